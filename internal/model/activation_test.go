package model

import (
	"reflect"
	"testing"
)

// TestActivationBytes: ActivationBytes equals 4 × the floats of every buffer that ensure allocates,
// found by walking the activations struct, so a buffer added to ensure but not to ActivationBytes
// fails here. Shapes include B·T·T > N·C (attention dominated) and a tied, odd-sized config.
// With Recompute, buffers shared by the layers count once.
func TestActivationBytes(t *testing.T) {
	for _, lean := range []bool{false, true} {
		if lean { // every batch through the lean attention
			prev := leanAttentionMin
			leanAttentionMin = -1
			defer func() { leanAttentionMin = prev }()
		}
		activationBytesCases(t, false)
		activationBytesCases(t, true)
	}
}

func activationBytesCases(t *testing.T, recompute bool) {
	for _, c := range []struct {
		cfg  Config
		b, t int
	}{
		{Presets["tiny"], 2, 64},
		{Presets["tiny"], 3, 17},
		{Config{VocabSize: 11, Dim: 8, NumLayers: 3, NumHeads: 2, FFNDim: 13, SeqLen: 9, RopeTheta: 10000, NormEps: 1e-5, TiedEmbeddings: true}, 1, 9},
	} {
		m, err := New(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.Recompute = recompute
		m.ensure(c.b, c.t)
		var floats int64
		seen := map[uintptr]bool{}
		count := func(b reflect.Value) {
			if !seen[b.Pointer()] {
				seen[b.Pointer()] = true
				floats += int64(b.Len())
			}
		}
		v := reflect.ValueOf(m.acts)
		for i := 0; i < v.NumField(); i++ {
			switch f := v.Field(i); f.Kind() {
			case reflect.Slice:
				if f.Type().Elem().Kind() == reflect.Slice { // [][]float32: one buffer per layer
					for j := 0; j < f.Len(); j++ {
						count(f.Index(j))
					}
				} else {
					count(f)
				}
			case reflect.Int, reflect.Bool:
			default:
				t.Fatalf("activations field %s of kind %s: teach this test about it", v.Type().Field(i).Name, f.Kind())
			}
		}
		if got, want := m.ActivationBytes(c.b, c.t), 4*floats+m.attentionScratchBytes(c.b, c.t); got != want {
			t.Errorf("%+v B=%d T=%d recompute %v: ActivationBytes = %d, ensure allocated %d", c.cfg, c.b, c.t, recompute, got, want)
		}
	}
}

// TestLeanAttentionModel: a model trained through the lean attention (forced for every batch) has,
// bit for bit, the losses and gradients of the full attention, causal and with prefixes.
func TestLeanAttentionModel(t *testing.T) {
	cfg := Presets["tiny"]
	cfg.NumKVHeads = 1
	run := func() ([]float32, []float32) {
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.InitWeights(4)
		r := NewRNG(5)
		toks, tgts := make([]int32, 3*40), make([]int32, 3*40)
		for i := range toks {
			toks[i], tgts[i] = int32(r.Next()%uint64(cfg.VocabSize)), int32(r.Next()%uint64(cfg.VocabSize))
		}
		var losses []float32
		m.ZeroGrads()
		losses = append(losses, m.Loss(toks, tgts, 3, 40))
		m.Backward(1)
		return losses, append([]float32(nil), m.Grads...)
	}
	lf, gf := run()
	prev := leanAttentionMin
	leanAttentionMin = -1
	defer func() { leanAttentionMin = prev }()
	ll, gl := run()
	if !reflect.DeepEqual(lf, ll) || !reflect.DeepEqual(gf, gl) {
		t.Fatal("the lean attention's loss or gradients differ from the full attention's")
	}
}

// TestRecompute: with Recompute a model has, bit for bit, the losses and gradients it has without,
// for the full and the lean attention, causal and with bidirectional prefixes, grouped-query
// attention, a looped layer map, two batch shapes in turn, the mode switched between passes and
// flipped between a Loss and its Backward; and it keeps fewer activations.
func TestRecompute(t *testing.T) {
	cfg := Presets["tiny"]
	cfg.NumKVHeads = 1
	run := func(recompute bool) [][]float32 {
		m, err := NewMapped(cfg, []int{0, 1, 1, 0})
		if err != nil {
			t.Fatal(err)
		}
		m.InitWeights(4)
		r := NewRNG(5)
		var out [][]float32
		for i, sh := range [][2]int{{3, 40}, {2, 17}, {3, 40}} {
			b, tt := sh[0], sh[1]
			toks, tgts := make([]int32, b*tt), make([]int32, b*tt)
			for j := range toks {
				toks[j], tgts[j] = int32(r.Next()%uint64(cfg.VocabSize)), int32(r.Next()%uint64(cfg.VocabSize))
			}
			var prefix []int
			if i == 1 {
				prefix = []int{5, 0}
			}
			m.Recompute = recompute != (i == 2) // the last pass switches the mode
			m.ZeroGrads()
			loss := m.loss(toks, tgts, prefix, b, tt)
			m.Recompute = !m.Recompute // Backward follows the buffers of its forward pass, not the flag
			m.Backward(1)
			m.Recompute = !m.Recompute
			out = append(out, []float32{loss}, append([]float32(nil), m.Grads...))
		}
		return out
	}
	for _, lean := range []bool{false, true} {
		prev := leanAttentionMin
		if lean {
			leanAttentionMin = -1
		}
		want, got := run(false), run(true)
		leanAttentionMin = prev
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("lean %v: losses or gradients with Recompute differ from those without", lean)
		}
	}
	m, err := NewMapped(cfg, []int{0, 1, 1, 0})
	if err != nil {
		t.Fatal(err)
	}
	full := m.ActivationBytes(8, 64)
	m.Recompute = true
	if lean := m.ActivationBytes(8, 64); lean >= full/2 {
		t.Fatalf("Recompute keeps %d of %d bytes of activations", lean, full)
	}
}
