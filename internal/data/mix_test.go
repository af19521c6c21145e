package data

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// lines returns n distinct numbered lines of a document called name (each under 60 bytes).
func lines(name string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s line %d: the quick brown fox %d\n", name, i, i*7919%1000)
	}
	return b.String()
}

// maxLine bounds the line length of lines(), the most a Sample may fall short of its target.
const maxLine = 60

func docsTotal(docs []Doc) int64 { return docBytes(docs) }

func sameDocs(a, b []Doc) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSample(t *testing.T) {
	docs := []Doc{{"big", lines("big", 8000)}, {"mid", lines("mid", 1500)}, {"a", lines("a", 3)}, {"empty", ""}, {"b", lines("b", 40)}}
	total := docsTotal(docs)
	if got := Sample(docs, total, 1); !sameDocs(got, append(docs[:3:3], docs[4])) {
		t.Errorf("n = total: not the documents themselves (empty dropped)")
	}
	for _, frac := range []float64{0.01, 0.3, 0.999, 2.5} {
		n := int64(frac * float64(total))
		got := Sample(docs, n, 7)
		if b := docsTotal(got); b > n || b < n-maxLine {
			t.Errorf("frac %g: %d bytes, want %d (less at most a line)", frac, b, n)
		}
		if !sameDocs(got, Sample(docs, n, 7)) {
			t.Errorf("frac %g: the same seed gave another sample", frac)
		}
		if sameDocs(got, Sample(docs, n, 8)) {
			t.Errorf("frac %g: another seed gave the same sample", frac)
		}
		checkPieces(t, docs, got[int(frac)*4:])
	}
	if Sample(docs, 0, 1) != nil || Sample(nil, 100, 1) != nil {
		t.Errorf("nothing asked or nothing there should give nothing")
	}
}

// checkPieces: every sampled Doc is a run of whole lines of the document it names, in document
// order, none overlapping or touching the next (touching pieces are joined).
func checkPieces(t *testing.T, docs []Doc, got []Doc) {
	t.Helper()
	byName := map[string]int{}
	for i, d := range docs {
		byName[d.Name] = i
	}
	lastDoc, lastEnd := -1, -1
	for _, g := range got {
		i, ok := byName[g.Name]
		if !ok || g.Text == "" {
			t.Fatalf("sampled doc %q is not one of the documents", g.Name)
		}
		src := docs[i].Text
		lo := strings.Index(src, g.Text) // lines are distinct, so the first match is the place
		if lo < 0 || (lo > 0 && src[lo-1] != '\n') || !strings.HasSuffix(g.Text, "\n") {
			t.Fatalf("sampled doc of %q is not a run of whole lines", g.Name)
		}
		if i < lastDoc || (i == lastDoc && lo <= lastEnd) {
			t.Fatalf("pieces out of document order, overlapping or not joined (doc %d at %d after doc %d to %d)", i, lo, lastDoc, lastEnd)
		}
		lastDoc, lastEnd = i, lo+len(g.Text)
	}
}

func TestInterleave(t *testing.T) {
	srcs := [][]string{{lines("p", 20000)}, {lines("c", 3000), lines("d", 3000)}, {lines("m", 4000)}}
	shares := []float64{0.6, 0.3, 0.1}
	source := map[byte]int{'p': 0, 'c': 1, 'd': 1, 'm': 2}
	out := Interleave(srcs, shares)
	var bytes [3]float64
	var all float64
	for k, s := range out {
		if len(s) > 2*interleaveBytes {
			t.Fatalf("piece %d is %d bytes", k, len(s))
		}
		bytes[source[s[0]]] += float64(len(s))
		all += float64(len(s))
		// Until the first source runs out (c and d: 6000 lines of 38 bytes at a share of 0.3, after 760 kB), every prefix holds each source within
		// two pieces of its share.
		for i := range shares {
			if all > 32<<10 && all < 700e3 && math.Abs(bytes[i]-shares[i]*all) > 2*interleaveBytes {
				t.Fatalf("after %d pieces (%.0f bytes) source %d holds %.3f, want %.3f", k+1, all, i, bytes[i]/all, shares[i])
			}
		}
	}
	if int(all) != len(srcs[0][0])+len(srcs[1][0])+len(srcs[1][1])+len(srcs[2][0]) {
		t.Errorf("Interleave lost or added text")
	}
}

// mixtureDir writes a prose folder (two books, about 220 kB and 75 kB) and a code folder (four Go
// files, one a test; about 400 kB) and returns their paths.
func mixtureDir(t *testing.T) (prose, code string) {
	dir := t.TempDir()
	prose, code = filepath.Join(dir, "prose"), filepath.Join(dir, "code")
	writeFile(t, filepath.Join(prose, "a.txt"), []byte(lines("a", 6000)))
	writeFile(t, filepath.Join(prose, "b.txt"), []byte(lines("b", 2000)))
	for i := 0; i < 3; i++ {
		writeFile(t, filepath.Join(code, fmt.Sprintf("f%d.go", i)), []byte("package f\n\n// "+strings.ReplaceAll(lines(fmt.Sprint("f", i), 3000), "\n", "\n// ")))
	}
	writeFile(t, filepath.Join(code, "f_test.go"), []byte("package f\n// never read\n"))
	return prose, code
}

func TestBuildMixture(t *testing.T) {
	prose, code := mixtureDir(t)
	sources, err := ParseMixture([]string{"prose=" + prose + ":0.6", "code=" + code + ":0.3", "math=synthetic:0.1"})
	if err != nil {
		t.Fatal(err)
	}
	o := MixOptions{ValFrac: 0.05, Seed: 1, WithTrain: true}
	m, err := BuildMixture(sources, o)
	if err != nil {
		t.Fatal(err)
	}
	// Automatic budget: prose (280 kB after its split, at a share of 0.6; code holds 380 kB for 0.3) limits; it is taken whole, code sampled.
	if p := m.Parts[0]; p.Bytes != p.Natural || p.Repeats() != 1 || m.Bytes != int64(math.Ceil(float64(p.Natural)/0.6)) {
		t.Errorf("prose: %d of %d bytes, budget %d", p.Bytes, p.Natural, m.Bytes)
	}
	if r := m.Parts[1].Repeats(); !(r > 0 && r < 1) || m.Parts[1].Docs != 3 || m.World == nil {
		t.Errorf("code: repeats %g, %d docs", r, m.Parts[1].Docs)
	}
	checkShares(t, m, 0.01)
	again, _ := BuildMixture(sources, o)
	o2 := o
	o2.Seed = 2
	other, _ := BuildMixture(sources, o2)
	if !sameMix(m, again) {
		t.Errorf("the same seed built another mixture")
	}
	if sameMix(m, other) {
		t.Errorf("another seed built the same mixture")
	}
	valOnly := o
	valOnly.WithTrain = false
	if v, _ := BuildMixture(sources, valOnly); strings.Join(v.Val, "") != strings.Join(m.Val, "") || v.Parts[1].Train != nil {
		t.Errorf("building only the validation text changed it")
	}
	// A budget beyond the sources repeats them; its validation text grows with it.
	o.Bytes = 3 * m.Bytes
	big, err := BuildMixture(sources, o)
	if err != nil {
		t.Fatal(err)
	}
	if r := big.Parts[0].Repeats(); math.Abs(r-3) > 1e-3 {
		t.Errorf("3× the budget: prose repeated %g×", r)
	}
	checkShares(t, big, 0.01)
}

// checkShares: each part's training and validation bytes are its share of the budgets (within tol),
// and the first 64 KiB of the interleaved validation text hold them in about their shares too.
func checkShares(t *testing.T, m *Mix, tol float64) {
	t.Helper()
	var train, val int64
	for _, p := range m.Parts {
		train += docBytes(p.Train)
		val += docBytes(p.Val)
	}
	for _, p := range m.Parts {
		if s := float64(docBytes(p.Train)) / float64(train); math.Abs(s-p.Share) > tol {
			t.Errorf("%s: %.4f of the training text, want %.4f", p.Name, s, p.Share)
		}
		if s := float64(docBytes(p.Val)) / float64(val); math.Abs(s-p.Share) > tol+float64(maxLine)/float64(val) {
			t.Errorf("%s: %.4f of the validation text, want %.4f", p.Name, s, p.Share)
		}
	}
	if math.Abs(float64(train)-float64(m.Bytes)) > float64(len(m.Parts))*2048 { // synthetic overshoots by < one document
		t.Errorf("%d training bytes, budget %d", train, m.Bytes)
	}
}

func sameMix(a, b *Mix) bool {
	if len(a.Parts) != len(b.Parts) || strings.Join(a.Val, "\x00") != strings.Join(b.Val, "\x00") {
		return false
	}
	for i := range a.Parts {
		if !sameDocs(a.Parts[i].Train, b.Parts[i].Train) {
			return false
		}
	}
	return true
}

func TestBuildMixtureErrors(t *testing.T) {
	prose, _ := mixtureDir(t)
	tiny := writeFile(t, filepath.Join(t.TempDir(), "tiny.txt"), []byte("x"))
	for _, c := range []struct {
		entries []string
		want    string
	}{
		{[]string{"prose=" + prose + ":1", "code=" + prose + ":1"}, "data: " + prose + ": folder has no usable source files"},
		{[]string{"prose=" + prose + "/nothing:1"}, "data: " + prose + "/nothing: no such file or directory"},
		{[]string{"one=" + tiny}, `data: source "one" (` + tiny + `) is too small to hold out a validation split`},
	} {
		sources, err := ParseMixture(c.entries)
		if err == nil {
			_, err = BuildMixture(sources, MixOptions{ValFrac: 0.05, Seed: 1, WithTrain: true})
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v\nwant prefix %s", c.entries, err, c.want)
		}
	}
}
