package eval

import (
	"path/filepath"
	"slices"
	"testing"

	"midas/internal/model"
	"midas/internal/tok"
	"midas/internal/train"
)

// TestValidationMemo: the validation tokens of a run are reused for another run with the same data
// options and tokenizer bytes (the arms of a comparison), equal to PrepareVal's, and computed afresh
// when the tokenizer or the data's seed differs.
func TestValidationMemo(t *testing.T) {
	cfg := model.Presets["tiny"]
	opt := train.DefaultOptions(cfg)
	opt.SyntheticBytes, opt.Seed = 1<<16, 41
	save := func(texts []string, vocab int) string {
		tk, err := tok.Train(texts, vocab)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := tk.Save(filepath.Join(dir, train.FileTokenizer)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	texts := []string{"the cat sat on the mat. ", "x = 3; y = x + 4; "}
	a, b, other := save(texts, 270), save(texts, 270), save(texts, 265)
	va, _, tka, err := validation(a, opt)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := train.PrepareVal(opt, tka)
	if err != nil {
		t.Fatal(err)
	}
	vb, _, _, err := validation(b, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(va, want) || &vb[0] != &va[0] {
		t.Fatalf("the same data and tokenizer: not the memo's tokens, or not PrepareVal's")
	}
	vo, _, _, err := validation(other, opt)
	if err != nil {
		t.Fatal(err)
	}
	reseeded := opt
	reseeded.Seed = 42
	vs, _, _, err := validation(a, reseeded)
	if err != nil {
		t.Fatal(err)
	}
	if &vo[0] == &va[0] || &vs[0] == &va[0] || slices.Equal(vs, va) {
		t.Fatalf("another tokenizer or another data seed reused the memo's tokens")
	}
}
