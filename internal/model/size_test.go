package model

import "testing"

// TestSizes: the closed forms equal what the layout and a model really allocate.
func TestSizes(t *testing.T) {
	for _, name := range []string{"tiny", "small", "medium"} {
		for _, tied := range []bool{false, true} {
			c := Presets[name]
			c.TiedEmbeddings = tied
			if got, want := c.ParamCount(), float64(NewLayout(c).Size); got != want {
				t.Errorf("%s tied=%v: ParamCount %g, layout %g", name, tied, got, want)
			}
			m, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, bt := range [][2]int{{1, 1}, {2, 7}, {8, c.SeqLen}} {
				if got, want := c.ActivationBytes(bt[0], bt[1]), float64(m.ActivationBytes(bt[0], bt[1])); got != want {
					t.Errorf("%s %v: ActivationBytes %g, model %g", name, bt, got, want)
				}
			}
		}
	}
	huge := Config{VocabSize: 1 << 30, Dim: 1 << 20, NumLayers: 1 << 30, NumHeads: 1, FFNDim: 1 << 20, SeqLen: 1 << 20}
	if b := huge.TrainBytes(8, huge.SeqLen); !(b > 1e20) {
		t.Errorf("an absurd config's training memory is %g bytes", b)
	}
}
