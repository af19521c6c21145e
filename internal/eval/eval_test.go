package eval

import (
	"strings"
	"testing"

	"midas/internal/data"
	"midas/internal/model"
	"midas/internal/tasks"
	"midas/internal/tok"
	"midas/internal/train"
)

// TestEvalEndToEnd trains a tiny model briefly on solved depth-0 variable-assignment examples and checks
// that the whole eval path — tokenizer, KV-cache greedy decoding with shared few-shot prefixes, answer
// cutting and exact-match scoring — scores it far above a broken pipeline. Two chains: the queried
// value is one of the 2 distinct digits in the prompt, so a model that learnt the format and copies a
// digit from the prompt scores about 1/2, one that emits a random digit 1/10, and a broken decoder or
// scorer about 0. We require more than 0.3 (over 6σ above 1/10 with 100 examples). Beating 1/2 needs
// the induction lookup, which this character-level model (vocab 257: bytes and EOT) is still learning
// at 2500 steps: it measured 67/100 once and 48/100 after a change of float32 rounding in RMSNorm's
// sums, so the test does not ask for it. See the log for the accuracy reached.
func TestEvalEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model for a few seconds")
	}
	spec := tasks.Spec{Task: tasks.VarAssign, Depth: 0, Form: tasks.Math, Chains: 2}
	exs, err := tasks.Generate(spec, 3000, 77)
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for i := 0; i+4 <= len(exs); i += 4 { // documents of 4 solved examples, few-shot style
		var b strings.Builder
		for _, ex := range exs[i : i+4] {
			b.WriteString(ex.Solved() + "\n\n")
		}
		docs = append(docs, b.String())
	}
	cfg := model.Presets["tiny"]
	cfg.VocabSize, cfg.SeqLen = 257, 128
	tk, err := tok.Train(docs, cfg.VocabSize)
	if err != nil {
		t.Fatal(err)
	}
	tokens := data.Tokenize(docs, tk, 2, nil)
	opt := train.DefaultOptions(cfg)
	opt.Batch, opt.Steps, opt.LR, opt.MinLR, opt.Warmup = 8, 2500, 3e-3, 3e-4, 100
	m, err := model.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.InitWeights(1)
	loader, err := data.NewLoader(tokens, cfg.SeqLen, opt.Batch, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr := train.New(opt, m, loader, nil)
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(m, tk)
	r, err := FewShot(d, spec, 3, 100, 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("varassign-d0-math after %d steps: %d/%d correct with %d shots", opt.Steps, r.Correct, r.Total, r.Shots)
	if r.Acc <= 0.3 {
		t.Errorf("accuracy %.2f, want > 0.3 (a random digit scores 1/10, copying a prompt digit 1/2)", r.Acc)
	}
	// The decoder's cached answer equals decoding without any cache reuse.
	q := tasks.FewShot(exs[0], exs[1:3])
	a1 := d.Complete(d.Encode(q), 8)
	a2 := NewDecoder(m, tk).Complete(d.Encode(q), 8)
	if a1 != a2 {
		t.Errorf("cached decoding %q, fresh decoding %q", a1, a2)
	}
}
