package train

import (
	"strings"
	"testing"

	"midas/internal/model"
)

// TestParseOptions: keys override the base, an unknown key is named, and Validate lists every problem.
func TestParseOptions(t *testing.T) {
	base := DefaultOptions(model.Presets["tiny"])
	o, err := ParseOptions([]byte(`{"steps": 50, "lr": 0.01, "model": {"vocab_size": 300, "dim": 64, "layers": 3,
		"heads": 2, "ffn": 100, "seq": 32, "rope_theta": 10000, "norm_eps": 1e-5}}`), base)
	if err != nil {
		t.Fatal(err)
	}
	if o.Steps != 50 || o.LR != 0.01 || o.Model.NumLayers != 3 || o.Batch != base.Batch {
		t.Fatalf("parsed %+v", o)
	}
	if _, err := ParseOptions([]byte(`{"learning_rate": 1}`), base); err == nil || !strings.Contains(err.Error(), `unknown key "learning_rate"`) {
		t.Fatalf("unknown key: %v", err)
	}
	o = base
	o.Batch, o.Steps, o.Model.Dim, o.Growth = 0, 0, 31, "wide"
	err = o.Validate()
	for _, want := range []string{"batch must be positive", "steps must be positive", "dim 31 is not divisible by heads 2", `growth "wide"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want it to mention %q", err, want)
		}
	}
}

// FuzzParseOptions: any input either parses or returns an error starting with "train:"; never a panic,
// and Validate never panics on what parses.
func FuzzParseOptions(f *testing.F) {
	f.Add([]byte(`{"steps": 10}`))
	f.Add([]byte(`{"model": {"layers": -1}, "growth": "midas", "block": 0, "schedule": "prop-x"}`))
	f.Add([]byte(`{"schedule": "explicit:1,2,3", "growth": "double", "block": 3}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"objective": "ul2", "ul2": {"mix": {"causal": 1}, "x_denoisers": [{"mean_span": 0, "rate": 2}]}, "model": {"seq": 1000000000}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := ParseOptions(data, DefaultOptions(model.Presets["tiny"]))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "train: ") {
				t.Fatalf("error without package prefix: %v", err)
			}
			return
		}
		_ = o.Validate()
	})
}

// TestAskedDiff: asking a saved run again ignores a smaller trained vocabulary and Recompute (which
// changes no result), and names every other difference.
func TestAskedDiff(t *testing.T) {
	saved := DefaultOptions(model.Presets["tiny"])
	asked := saved
	asked.Model.VocabSize++
	asked.Recompute = true
	if d := AskedDiff(saved, asked); len(d) != 0 {
		t.Fatalf("AskedDiff = %v, want none", d)
	}
	asked.LR *= 2
	if d := AskedDiff(saved, asked); strings.Join(d, ",") != "lr" {
		t.Fatalf("AskedDiff = %v, want [lr]", d)
	}
}
