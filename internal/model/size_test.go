package model

import "testing"

// TestSizes: the closed forms equal what the layout and a model really allocate, also with
// grouped-query attention and a head_dim override.
func TestSizes(t *testing.T) {
	for _, name := range []string{"tiny", "small", "medium", "tiny-gqa-headdim"} {
		for _, tied := range []bool{false, true} {
			c := Presets[name]
			if name == "tiny-gqa-headdim" {
				c = Presets["tiny"]
				c.NumHeads, c.NumKVHeads, c.HeadDimOverride = 4, 2, 10
			}
			c.TiedEmbeddings = tied
			if got, want := c.ParamCount(), float64(NewLayout(c).Size); got != want {
				t.Errorf("%s tied=%v: ParamCount %g, layout %g", name, tied, got, want)
			}
			m, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, bt := range [][2]int{{1, 1}, {2, 7}, {8, c.SeqLen}} {
				for _, rc := range []bool{false, true} {
					m.Recompute = rc
					if got, want := c.ActivationBytes(bt[0], bt[1], rc), float64(m.ActivationBytes(bt[0], bt[1])); got != want {
						t.Errorf("%s %v recompute %v: ActivationBytes %g, model %g", name, bt, rc, got, want)
					}
				}
			}
		}
	}
	// The activation buffers a forward and backward pass really makes.
	c := Presets["tiny"]
	c.NumHeads, c.NumKVHeads, c.HeadDimOverride = 4, 1, 12
	m, _ := New(c)
	m.ensure(2, 9)
	a := &m.acts
	if len(a.qkv[0]) != 2*9*c.QKVDim() || len(a.y[0]) != 2*9*4*12 || len(a.dy) != len(a.y[0]) || len(a.dqkv) != len(a.qkv[0]) {
		t.Errorf("GQA buffers: qkv %d, y %d, dy %d, dqkv %d", len(a.qkv[0]), len(a.y[0]), len(a.dy), len(a.dqkv))
	}
	huge := Config{VocabSize: 1 << 30, Dim: 1 << 20, NumLayers: 1 << 30, NumHeads: 1, FFNDim: 1 << 20, SeqLen: 1 << 20}
	if b := huge.TrainBytes(8, huge.SeqLen); !(b > 1e20) {
		t.Errorf("an absurd config's training memory is %g bytes", b)
	}
}
