package train

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"midas/internal/model"
)

// mixtureOptions are a tiny run on a mixture of a prose folder, a Go folder and the synthetic world.
func mixtureOptions(t *testing.T) Options {
	dir := t.TempDir()
	for i, name := range []string{"prose/a.txt", "prose/b.txt", "code/x.go", "code/y.go"} {
		var b strings.Builder
		for k := 0; k < 1500; k++ {
			if strings.HasSuffix(name, ".go") {
				fmt.Fprintf(&b, "func f%d_%d(x int) int { return x * %d }\n", i, k, k%97)
			} else {
				fmt.Fprintf(&b, "The %d traveller of book %d walked %d miles to the river.\n", k, i, k%31)
			}
		}
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o := DefaultOptions(model.Presets["tiny"])
	o.Data = []string{"prose=" + filepath.Join(dir, "prose") + ":0.6", "code=" + filepath.Join(dir, "code") + ":0.3", "math=synthetic:0.1"}
	o.TokenizerBytes, o.Threads = 1<<15, 1
	return o
}

// TestPrepareMixture: a mixture's tokens are its parts' tokens in order, the same on every call (a
// resumed run rebuilds them), PrepareVal gives the run's validation tokens, and another seed samples
// other text.
func TestPrepareMixture(t *testing.T) {
	o := mixtureOptions(t)
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	c, err := PrepareCorpus(o, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Parts) != 3 || c.World == nil || c.Parts[1].Kind.String() != "code" {
		t.Fatalf("parts %+v", c.Parts)
	}
	sum := 0
	for _, p := range c.Parts {
		if p.Train != nil || len(p.Val) == 0 || p.Tokens == 0 {
			t.Errorf("part %s: training text kept %v, %d validation docs, %d tokens", p.Name, p.Train != nil, len(p.Val), p.Tokens)
		}
		sum += p.Tokens
	}
	if sum != len(c.Train) {
		t.Errorf("parts hold %d tokens, the corpus %d", sum, len(c.Train))
	}
	again, err := PrepareCorpus(o, c.Tok, nil)
	if err != nil || !slices.Equal(again.Train, c.Train) || !slices.Equal(again.Val, c.Val) {
		t.Fatalf("the same options gave other tokens (%v)", err)
	}
	val, w, err := PrepareVal(o, c.Tok)
	if err != nil || !slices.Equal(val, c.Val) || w == nil {
		t.Fatalf("PrepareVal differs from the run's validation tokens (%v)", err)
	}
	o.Seed = 2
	other, err := PrepareCorpus(o, c.Tok, nil)
	if err != nil || slices.Equal(other.Train, c.Train) {
		t.Fatalf("another seed gave the same tokens (%v)", err)
	}
}

// TestMixtureOptions: the mixture and its budget are checked with the other options, and an options
// file without data_bytes (every file written before mixtures) still loads and compares equal.
func TestMixtureOptions(t *testing.T) {
	o := DefaultOptions(model.Presets["tiny"])
	for _, c := range []struct {
		data  []string
		bytes int64
		want  string
	}{
		{[]string{"prose=p:1", "code=c"}, 0, `source "code" has no weight`},
		{[]string{"prose=p:1", "notes.txt"}, 0, `"notes.txt" is a plain path in a mixture`},
		{[]string{"notes.txt"}, 1 << 20, "data-bytes needs a mixture of named sources"},
		{nil, 1 << 20, "data-bytes needs a mixture of named sources"},
		{[]string{"prose=p:1"}, 1000, "data-bytes must be at least 65536, got 1000"},
	} {
		o.Data, o.DataBytes = c.data, c.bytes
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q, %d bytes: %v; want %q", c.data, c.bytes, err, c.want)
		}
	}
	o.Data, o.DataBytes = []string{"notes.txt"}, 0
	raw, _ := json.Marshal(o)
	if strings.Contains(string(raw), "data_bytes") {
		t.Errorf("options without a budget write data_bytes: %s", raw)
	}
	explicit := strings.Replace(string(raw), `"data":["notes.txt"]`, `"data":["notes.txt"],"data_bytes":0`, 1)
	for _, js := range []string{string(raw), explicit} { // as files before mixtures were written, and with the key
		back, err := ParseOptions([]byte(js), DefaultOptions(model.Presets["tiny"]))
		if err != nil || len(OptionsDiff(o, back)) != 0 {
			t.Errorf("round trip of %s: %v, differences %v", js, err, OptionsDiff(o, back))
		}
	}
}
