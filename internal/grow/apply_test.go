package grow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"midas/internal/model"
)

// microCfg is a small valid config (layout size ≈ 1.3k floats for 4 layers) so the tables stay fast.
func microCfg(layers int, tied bool) model.Config {
	return model.Config{VocabSize: 16, Dim: 8, NumLayers: layers, NumHeads: 2, FFNDim: 12, SeqLen: 8,
		RopeTheta: 10000, NormEps: 1e-5, TiedEmbeddings: tied}
}

// filled returns a buffer of n distinct nonzero values from a fixed seed (distinct so that a range
// copied from the wrong place cannot compare equal).
func filled(n int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]float32, n)
	for i := range b {
		b[i] = float32(i+1) + r.Float32()*0.5
	}
	return b
}

func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func allZero(a []float32) bool {
	for _, x := range a {
		if math.Float32bits(x) != 0 {
			return false
		}
	}
	return true
}

func TestApply(t *testing.T) {
	type planCase struct {
		op    string
		from  int
		block int
		src   []int
	}
	plans := []planCase{
		{"midas", 1, 1, nil}, {"midas", 3, 1, nil}, {"midas", 4, 2, nil}, {"midas", 6, 3, nil},
		{"gradstack", 2, 1, nil}, {"gradstack", 4, 2, nil},
		{"double", 2, 1, nil}, {"double", 4, 2, nil},
		{"map", 4, 1, []int{0, 1, 2, 1, 2, 3}}, {"map", 3, 1, []int{2, 0, 0}},
	}
	for _, pc := range plans {
		for _, tied := range []bool{false, true} {
			for opt := 0; opt < 4; opt++ {
				p, err := New(pc.op, pc.from, pc.block, pc.src)
				if err != nil {
					t.Fatal(err)
				}
				p.Identity, p.ZeroOptim = opt&1 != 0, opt&2 != 0
				t.Run(fmt.Sprintf("%s/tied=%v", p, tied), func(t *testing.T) { checkApply(t, p, microCfg(pc.from, tied)) })
			}
		}
	}
}

// checkApply applies p and checks every tensor of the result by name against its source tensor.
func checkApply(t *testing.T, p Plan, cfg model.Config) {
	ol := model.NewLayout(cfg)
	params, m, v := filled(ol.Size, 1), filled(ol.Size, 2), filled(ol.Size, 3)
	keep := [][]float32{slices.Clone(params), slices.Clone(m), slices.Clone(v)}
	newCfg, np, nm, nv, err := Apply(p, cfg, params, m, v)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range [][]float32{params, m, v} {
		if !bitsEqual(in, keep[i]) {
			t.Fatalf("input buffer %d was modified", i)
		}
	}
	wantCfg := cfg
	wantCfg.NumLayers = p.To()
	if newCfg != wantCfg {
		t.Fatalf("newCfg %+v, want %+v", newCfg, wantCfg)
	}
	nl := model.NewLayout(newCfg)
	if len(np) != nl.Size || len(nm) != nl.Size || len(nv) != nl.Size {
		t.Fatalf("result sizes %d %d %d, want %d", len(np), len(nm), len(nv), nl.Size)
	}
	for _, nt := range nl.Tensors {
		srcName, suffix := nt.Name, ""
		isCopy := false
		if nt.Layer >= 0 {
			suffix = strings.TrimPrefix(nt.Name, fmt.Sprintf("model.layers.%d.", nt.Layer))
			srcName = fmt.Sprintf("model.layers.%d.%s", p.Src[nt.Layer], suffix)
			isCopy = p.Copy[nt.Layer]
		}
		ot, ok := ol.Lookup(srcName)
		if !ok || ot.Size != nt.Size {
			t.Fatalf("%s: source %s missing or of another size", nt.Name, srcName)
		}
		get := func(b []float32, tt model.Tensor) []float32 { return b[tt.Offset : tt.Offset+tt.Size] }
		if p.Identity && isCopy && IsZeroedByIdentity(suffix) {
			if !allZero(get(np, nt)) {
				t.Errorf("%s: params not zeroed by identity", nt.Name)
			}
		} else if !bitsEqual(get(np, nt), get(params, ot)) {
			t.Errorf("%s: params differ from %s", nt.Name, srcName)
		}
		for j, mom := range [][2][]float32{{nm, m}, {nv, v}} {
			if p.ZeroOptim && isCopy {
				if !allZero(get(mom[0], nt)) {
					t.Errorf("%s: moment %d not zeroed", nt.Name, j)
				}
			} else if !bitsEqual(get(mom[0], nt), get(mom[1], ot)) {
				t.Errorf("%s: moment %d differs from %s", nt.Name, j, srcName)
			}
		}
	}
	// Results must not alias the inputs.
	np[0], nm[0], nv[0] = -1, -1, -1
	if params[0] == -1 || m[0] == -1 || v[0] == -1 {
		t.Error("result aliases an input")
	}
}

func TestApplyNilMoments(t *testing.T) {
	cfg := microCfg(2, false)
	p, _ := GradStack(2, 1)
	params := filled(model.NewLayout(cfg).Size, 4)
	_, np, nm, nv, err := Apply(p, cfg, params, nil, nil)
	if err != nil || nm != nil || nv != nil || len(np) != model.NewLayout(microCfg(3, false)).Size {
		t.Errorf("Apply with nil moments: len(np)=%d nm=%v nv=%v err=%v", len(np), nm, nv, err)
	}
	_, _, nm, nv, _ = Apply(p, cfg, params, params, nil)
	if nm == nil || nv != nil {
		t.Errorf("m given, v nil: nm nil=%v nv nil=%v", nm == nil, nv == nil)
	}
}

func TestApplyErrors(t *testing.T) {
	cfg := microCfg(4, false)
	params := make([]float32, model.NewLayout(cfg).Size)
	p3, _ := MIDAS(3, 1)
	bad, _ := MIDAS(4, 1)
	bad.Src[0] = 3
	badCfg := cfg
	badCfg.NumHeads = 3
	cases := []struct {
		p    Plan
		cfg  model.Config
		want string
	}{
		{p3, cfg, "grow: plan \"midas b=1: 0 1 [1] 2\" grows 3 layers, the model has 4"},
		{bad, cfg, "grow: midas plan from 4 layers"},
		{Plan{}, cfg, "grow: unknown op"},
		{func() Plan { p, _ := MIDAS(4, 1); return p }(), badCfg, "grow: model: invalid config"},
	}
	for _, c := range cases {
		if _, _, _, _, err := Apply(c.p, c.cfg, params, nil, nil); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Apply(%s) = %v, want prefix %q", c.p, err, c.want)
		}
	}
	p4, _ := MIDAS(4, 1)
	for name, f := range map[string]func(){
		"short params": func() { Apply(p4, cfg, params[1:], nil, nil) },
		"nil params":   func() { Apply(p4, cfg, nil, nil, nil) },
		"long m":       func() { Apply(p4, cfg, params, append(slices.Clone(params), 0), nil) },
		"short v":      func() { Apply(p4, cfg, params, nil, params[:3]) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestLayerTensorNames(t *testing.T) {
	want := []string{ // the order of model/layout.go and HF LlamaDecoderLayer
		"input_layernorm.weight", "self_attn.q_proj.weight", "self_attn.k_proj.weight",
		"self_attn.v_proj.weight", "self_attn.o_proj.weight", "post_attention_layernorm.weight",
		"mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
	}
	got := LayerTensorNames()
	if !slices.Equal(got, want) {
		t.Fatalf("LayerTensorNames = %v, want %v", got, want)
	}
	var zeroed []string
	for _, s := range got {
		if IsZeroedByIdentity(s) {
			zeroed = append(zeroed, s)
		}
	}
	if !slices.Equal(zeroed, []string{"self_attn.o_proj.weight", "mlp.down_proj.weight"}) {
		t.Errorf("zeroed by identity: %v", zeroed)
	}
	if IsZeroedByIdentity("model.layers.0.self_attn.o_proj.weight") {
		t.Error("IsZeroedByIdentity takes a suffix, not a full name")
	}
}

// TestIdentityGrowthKeepsLoss: an identity-grown model computes the same function, so the loss on a fixed
// batch is unchanged (to 1e-6); a plain (non-identity) growth changes it, so the test can fail.
func TestIdentityGrowthKeepsLoss(t *testing.T) {
	for _, tied := range []bool{false, true} {
		cfg := model.Presets["tiny"]
		cfg.TiedEmbeddings = tied
		cfg.NumLayers = 2
		m0, err := model.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m0.InitWeights(7)
		const b, T = 2, 16
		r := rand.New(rand.NewPCG(11, 0))
		tokens, targets := make([]int32, b*T), make([]int32, b*T)
		for i := range tokens {
			tokens[i], targets[i] = int32(r.IntN(cfg.VocabSize)), int32(r.IntN(cfg.VocabSize))
		}
		base := m0.Loss(tokens, targets, b, T)
		mp, _ := Map(2, []int{1, 0, 0}) // layers swapped, then a copy
		for _, mk := range []func() (Plan, error){
			func() (Plan, error) { return MIDAS(2, 1) },
			func() (Plan, error) { return Double(2, 1) },
			func() (Plan, error) { return GradStack(2, 2) },
			func() (Plan, error) { return Map(2, []int{0, 0, 1, 1}) },
		} {
			p, err := mk()
			if err != nil {
				t.Fatal(err)
			}
			for _, identity := range []bool{true, false} {
				p.Identity = identity
				got := lossAfter(t, p, cfg, m0.Params, tokens, targets, b, T)
				d := math.Abs(float64(got - base))
				if identity && d > 1e-6 {
					t.Errorf("tied=%v %s: loss %v, before growth %v", tied, p, got, base)
				}
				if !identity && d < 1e-6 {
					t.Errorf("tied=%v %s: loss unchanged (%v) without identity; the check is blind", tied, p, got)
				}
			}
		}
		// A reordering map is not the same function even with identity: only copies are zeroed.
		mp.Identity = true
		if got := lossAfter(t, mp, cfg, m0.Params, tokens, targets, b, T); math.Abs(float64(got-base)) < 1e-6 {
			t.Errorf("tied=%v %s: loss unchanged after reordering", tied, mp)
		}
	}
}

func lossAfter(t *testing.T, p Plan, cfg model.Config, params []float32, tokens, targets []int32, b, T int) float32 {
	t.Helper()
	newCfg, np, _, _, err := Apply(p, cfg, params, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m1, err := model.New(newCfg)
	if err != nil {
		t.Fatal(err)
	}
	copy(m1.Params, np)
	return m1.Loss(tokens, targets, b, T)
}

func cfgSize(c model.Config) int { return model.NewLayout(c).Size }
