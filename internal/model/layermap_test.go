package model

import (
	"math"
	"slices"
	"testing"
)

// TestLayerMapUnrolled: a weight-shared model computes exactly what the untied model of its depth
// computes when every tied layer holds the shared values (Model.Unrolled) — forward bitwise, and each
// shared layer's gradient is the sum of the gradients of the unrolled layers that use it (to float32
// rounding of the different summation order: 1e-6 of the largest gradient). The maps cover a layer
// used twice, a 2-layer block looped twice, and middle looping (one untied layer below, one above).
func TestLayerMapUnrolled(t *testing.T) {
	for _, c := range []struct {
		name     string
		physical int
		layerMap []int
	}{
		{"1x2", 1, []int{0, 0}},
		{"2x2", 2, []int{0, 1, 0, 1}},
		{"middle 2x2 untied 1,1", 4, Loop{K: 2, R: 2, P: 1, Q: 1}.Map()},
		{"middle 1x3 untied 2,0", 3, Loop{K: 1, R: 3, P: 2}.Map()},
	} {
		t.Run(c.name, func(t *testing.T) { checkUnrolled(t, c.physical, c.layerMap) })
	}
}

func checkUnrolled(t *testing.T, physical int, layerMap []int) {
	cfg := Presets["tiny"]
	cfg.NumLayers = physical
	tied, err := NewMapped(cfg, layerMap)
	if err != nil {
		t.Fatal(err)
	}
	tied.InitWeights(3)
	ucfg, uparams := tied.Unrolled()
	if ucfg.NumLayers != len(layerMap) {
		t.Fatalf("unrolled config has %d layers, want %d", ucfg.NumLayers, len(layerMap))
	}
	un, err := New(ucfg)
	if err != nil {
		t.Fatal(err)
	}
	copy(un.Params, uparams)
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
	// want: the unrolled gradients summed onto the physical tensors they view.
	want := make([]float64, len(tied.Grads))
	ut := un.Layout.Tensors
	for i, v := range tied.Layout.UnrolledTensors() {
		for j := 0; j < v.Size; j++ {
			want[v.Offset+j] += float64(un.Grads[ut[i].Offset+j])
		}
	}
	var worst, scale float64
	for i, w := range want {
		worst = max(worst, math.Abs(float64(tied.Grads[i])-w))
		scale = max(scale, math.Abs(w))
	}
	if worst > 1e-6*scale {
		t.Fatalf("shared gradients differ from the sums of the unrolled ones by %g (scale %g)", worst, scale)
	}
	t.Logf("max |shared − Σ unrolled| = %.3g (scale %.3g)", worst, scale)
}

// TestUnrolledTensors: the unrolled view names every logical layer and reads its physical layer.
func TestUnrolledTensors(t *testing.T) {
	cfg := Presets["tiny"]
	cfg.NumLayers = 4
	m, err := NewLoop(withLayers(cfg, 8), Loop{K: 2, R: 3, P: 1, Q: 1})
	if err != nil {
		t.Fatal(err)
	}
	if m.Cfg.NumLayers != 4 || m.Layout.Depth() != 8 {
		t.Fatalf("%d physical layers, depth %d; want 4 and 8", m.Cfg.NumLayers, m.Layout.Depth())
	}
	ul := NewLayout(withLayers(cfg, 8))
	vs := m.Layout.UnrolledTensors()
	if len(vs) != len(ul.Tensors) {
		t.Fatalf("%d unrolled tensors, the 8-layer layout has %d", len(vs), len(ul.Tensors))
	}
	for i, v := range vs {
		if v.Name != ul.Tensors[i].Name || !slices.Equal(v.Shape, ul.Tensors[i].Shape) {
			t.Fatalf("tensor %d: %s %v, want %s %v", i, v.Name, v.Shape, ul.Tensors[i].Name, ul.Tensors[i].Shape)
		}
	}
	// logical layer 6 (third repetition, second layer of the block) reads physical layer 2.
	q, _ := m.Layout.Lookup("model.layers.2.self_attn.q_proj.weight")
	for _, v := range vs {
		if v.Name == "model.layers.6.self_attn.q_proj.weight" && v.Offset != q.Offset {
			t.Fatalf("logical layer 6 reads offset %d, physical layer 2 is at %d", v.Offset, q.Offset)
		}
	}
}

func withLayers(c Config, n int) Config { c.NumLayers = n; return c }

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
