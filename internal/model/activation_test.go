package model

import (
	"reflect"
	"testing"
)

// TestActivationBytes: ActivationBytes equals 4 × the floats of every buffer that ensure allocates,
// found by walking the activations struct, so a buffer added to ensure but not to ActivationBytes
// fails here. Shapes include B·T·T > N·C (attention dominated) and a tied, odd-sized config.
func TestActivationBytes(t *testing.T) {
	for _, lean := range []bool{false, true} {
		if lean { // every batch through the lean attention
			prev := leanAttentionMin
			leanAttentionMin = -1
			defer func() { leanAttentionMin = prev }()
		}
		activationBytesCases(t)
	}
}

func activationBytesCases(t *testing.T) {
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
		m.ensure(c.b, c.t)
		var floats int64
		v := reflect.ValueOf(m.acts)
		for i := 0; i < v.NumField(); i++ {
			switch f := v.Field(i); f.Kind() {
			case reflect.Slice:
				if f.Type().Elem().Kind() == reflect.Slice { // [][]float32: one buffer per layer
					for j := 0; j < f.Len(); j++ {
						floats += int64(f.Index(j).Len())
					}
				} else {
					floats += int64(f.Len())
				}
			case reflect.Int:
			default:
				t.Fatalf("activations field %s of kind %s: teach this test about it", v.Type().Field(i).Name, f.Kind())
			}
		}
		if got, want := m.ActivationBytes(c.b, c.t), 4*floats+m.attentionScratchBytes(c.b, c.t); got != want {
			t.Errorf("%+v B=%d T=%d: ActivationBytes = %d, ensure allocated %d", c.cfg, c.b, c.t, got, want)
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
