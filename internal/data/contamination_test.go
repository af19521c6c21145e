package data

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"midas/internal/tasks"
)

// finder looks for many needles (each at least 8 bytes) in a text in one pass: the first 8 bytes
// of every needle are hashed into a bit set, and only positions whose 8 bytes hit the set are
// compared.
type finder struct {
	bits  []uint64
	byKey map[uint64][]string
}

const finderBits = 22 // 4 Mi bits: a few percent filled by 25k needles

func key8(s string) uint64 {
	var k uint64
	for i := 7; i >= 0; i-- {
		k = k<<8 | uint64(s[i])
	}
	return k
}

func slot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> (64 - finderBits) }

func newFinder(needles []string) *finder {
	f := &finder{bits: make([]uint64, 1<<finderBits/64), byKey: map[uint64][]string{}}
	for _, n := range needles {
		if len(n) < 8 {
			panic("finder: needle shorter than 8 bytes: " + n)
		}
		k := key8(n)
		f.bits[slot(k)/64] |= 1 << (slot(k) % 64)
		f.byKey[k] = append(f.byKey[k], n)
	}
	return f
}

// find returns a needle that occurs in text and its offset, or ("", -1).
func (f *finder) find(text string) (string, int) {
	if len(text) < 8 {
		return "", -1
	}
	k := key8(text)
	for i := 0; ; i++ {
		if s := slot(k); f.bits[s/64]&(1<<(s%64)) != 0 {
			for _, n := range f.byKey[k] {
				if strings.HasPrefix(text[i:], n) {
					return n, i
				}
			}
		}
		if i+8 >= len(text) {
			return "", -1
		}
		k = k>>8 | uint64(text[i+8])<<56
	}
}

// evalPrompts are the prompts the evaluations of midas ask: every suite task's queries at the
// training-time and final seeds (1, 2) and the fine-tuning protocol's query seeds (1000+seed+s for
// 3 seeds), their shots (seed+1), and the fine-tuning mixtures (seed+s, up to 4096 examples).
func evalPrompts(t *testing.T) []string {
	var out []string
	for _, spec := range tasks.Suite() {
		for _, seed := range []uint64{1, 2, 1001, 1002, 1003, 1004} {
			qs, err := tasks.Generate(spec, 200, seed)
			if err != nil {
				t.Fatal(err)
			}
			shots, err := tasks.Shots(spec, 5, seed+1)
			if err != nil {
				t.Fatal(err)
			}
			for _, ex := range append(qs, shots...) {
				out = append(out, ex.Prompt)
			}
		}
	}
	for seed := uint64(1); seed <= 4; seed++ {
		for _, ex := range tasks.Mixture(4096, seed) {
			out = append(out, ex.Prompt)
		}
	}
	return out
}

func TestFinder(t *testing.T) {
	f := newFinder([]string{"e=9, w=2, q=0, w=?", "q v e q v w j b c e | b c ->"})
	for text, want := range map[string]int{
		"prose e=9, w=2, q=0, w=? more":      6,
		"e=9, w=2, q=0, w=?":                 0,
		"x q v e q v w j b c e | b c ->":     2,
		"e=9, w=2, q=0, w=! q v e q v w j b": -1,
		"short":                              -1,
	} {
		if _, at := f.find(text); at != want {
			t.Errorf("find(%q) at %d, want %d", text, at, want)
		}
	}
}

// TestNoPromptInMixture: no evaluation prompt of any primitive occurs in the training or validation
// text of the paper-like mixture — english-pd prose 57%, the Go tree's source 33%, the synthetic world
// 10% — so k-shot and fine-tuning accuracies measure reasoning, not recall. The mixture is the one a
// study trains on: the automatic budget (all of english-pd, 78 MB in all), then the whole Go tree
// (about 3 s); under -short a 6 MB sample of the mixture only.
func TestNoPromptInMixture(t *testing.T) {
	prose, goSrc := paperSources(t)
	sources, err := ParseMixture([]string{"prose=" + prose + ":0.57", "code=" + goSrc + ":0.33", "math=synthetic:0.1"})
	if err != nil {
		t.Fatal(err)
	}
	o := MixOptions{ValFrac: 0.05, Seed: 1, WithTrain: true}
	if testing.Short() {
		o.Bytes = 6 << 20
	}
	m, err := BuildMixture(sources, o)
	if err != nil {
		t.Fatal(err)
	}
	prompts := evalPrompts(t)
	f := newFinder(prompts)
	// A control: the check finds a prompt planted in text.
	planted := strings.Repeat("word ", 200) + prompts[len(prompts)/2] + " more words"
	if _, at := f.find(planted); at != 1000 {
		t.Fatalf("a planted prompt was not found (at %d)", at)
	}
	var checked int64
	for _, p := range m.Parts {
		for _, d := range append(append([]Doc(nil), p.Train...), p.Val...) {
			if n, at := f.find(d.Text); at >= 0 {
				t.Errorf("source %s, %s: evaluation prompt %q at byte %d", p.Name, d.Name, n, at)
			}
			checked += int64(len(d.Text))
		}
	}
	t.Logf("%d prompts, none in %d bytes of the mixture", len(prompts), checked)
	if testing.Short() {
		return
	}
	// The sample took all of the prose but a third of the Go tree; another seed samples other files,
	// so the whole tree is checked too.
	docs, _, err := ReadCode([]string{goSrc})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if n, at := f.find(d.Text); at >= 0 {
			t.Errorf("%s: evaluation prompt %q at byte %d", d.Name, n, at)
		}
	}
}

// paperSources returns the shared english-pd corpus and the Go source tree, or skips.
func paperSources(t *testing.T) (prose, goSrc string) {
	prose = filepath.Join("..", "..", "..", "shared", "data", "english-pd")
	if _, err := os.Stat(prose); err != nil {
		t.Skipf("shared corpus not available: %v", err)
	}
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	goSrc = filepath.Join(strings.TrimSpace(string(out)), "src")
	if _, err := os.Stat(goSrc); err != nil {
		t.Skipf("no Go source tree: %v", err)
	}
	return prose, goSrc
}
