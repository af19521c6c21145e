package model

import (
	"reflect"
	"testing"
)

// TestActivationBytes: ActivationBytes equals 4 × the floats of every buffer that ensure allocates,
// found by walking the activations struct, so a buffer added to ensure but not to ActivationBytes
// fails here. Shapes include B·T·T > N·C (attention dominated) and a tied, odd-sized config.
func TestActivationBytes(t *testing.T) {
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
		if got, want := m.ActivationBytes(c.b, c.t), 4*floats+attentionScratchBytes(c.t); got != want {
			t.Errorf("%+v B=%d T=%d: ActivationBytes = %d, ensure allocated %d", c.cfg, c.b, c.t, got, want)
		}
	}
}
