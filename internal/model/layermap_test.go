package model

import (
	"math"
	"testing"
)

// TestLayerMapUnrolled: a model whose two logical layers share one physical layer (map [0, 0]) computes
// exactly what an unrolled 2-layer model with two equal layers computes — forward bitwise, and the
// shared layer's gradient is the sum of the unrolled layers' gradients (to float32 rounding of the
// different summation order: 1e-6 of the largest gradient).
func TestLayerMapUnrolled(t *testing.T) {
	cfg := Presets["tiny"]
	cfg.NumLayers = 1
	tied, err := NewMapped(cfg, []int{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	tied.InitWeights(3)
	ucfg := cfg
	ucfg.NumLayers = 2
	un, err := New(ucfg)
	if err != nil {
		t.Fatal(err)
	}
	// Copy the shared layer into both unrolled layers, and the global tensors.
	lo, hi := tied.Layout.LayerRange(0)
	for _, tn := range un.Layout.Tensors {
		src := tn
		if tn.Layer >= 0 {
			src = tied.Layout.layerTensor(0, indexInLayer(un.Layout, tn))
		} else {
			src, _ = tied.Layout.Lookup(tn.Name)
		}
		copy(un.Params[tn.Offset:tn.Offset+tn.Size], tied.Params[src.Offset:src.Offset+src.Size])
	}
	B, T := 2, 16
	tokens, targets := make([]int32, B*T), make([]int32, B*T)
	for i := range tokens {
		tokens[i], targets[i] = int32((i*37+5)%cfg.VocabSize), int32((i*11+3)%cfg.VocabSize)
	}
	lt, lu := tied.Loss(tokens, targets, B, T), un.Loss(tokens, targets, B, T)
	if math.Float32bits(lt) != math.Float32bits(lu) {
		t.Fatalf("loss %v (tied) vs %v (unrolled)", lt, lu)
	}
	tied.ZeroGrads()
	un.ZeroGrads()
	tied.Backward(1)
	un.Backward(1)
	l0, _ := un.Layout.LayerRange(0)
	l1, _ := un.Layout.LayerRange(1)
	var worst, scale float64
	for i := 0; i < hi-lo; i++ {
		want := un.Grads[l0+i] + un.Grads[l1+i]
		worst = max(worst, math.Abs(float64(tied.Grads[lo+i]-want)))
		scale = max(scale, math.Abs(float64(want)))
	}
	if worst > 1e-6*scale {
		t.Fatalf("shared layer's gradient differs from the sum of the unrolled ones by %g (scale %g)", worst, scale)
	}
	for _, tn := range tied.Layout.Tensors {
		if tn.Layer >= 0 {
			continue
		}
		u, _ := un.Layout.Lookup(tn.Name)
		for i := 0; i < tn.Size; i++ {
			if d := math.Abs(float64(tied.Grads[tn.Offset+i] - un.Grads[u.Offset+i])); d > 1e-6*scale {
				t.Fatalf("%s: gradient differs by %g", tn.Name, d)
			}
		}
	}
}

// indexInLayer is the position of a layer tensor within its layer (0 … tensorsPerLayer−1).
func indexInLayer(l *Layout, tn Tensor) int {
	for k := 0; k < tensorsPerLayer; k++ {
		if l.layerTensor(tn.Layer, k).Offset == tn.Offset {
			return k
		}
	}
	panic("not a layer tensor")
}

// TestLayerMapErrors: maps that name a missing layer or leave one unused are refused.
func TestLayerMapErrors(t *testing.T) {
	cfg := Presets["tiny"]
	for _, m := range [][]int{{0, 2}, {-1, 0, 1}, {0, 0}} {
		if _, err := NewMapped(cfg, m); err == nil {
			t.Errorf("map %v of %d layers accepted", m, cfg.NumLayers)
		}
	}
	if _, err := NewMapped(cfg, []int{1, 0, 1}); err != nil {
		t.Errorf("map [1 0 1]: %v", err)
	}
}
