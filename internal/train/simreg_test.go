package train

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"midas/internal/ckpt"
	"midas/internal/model"
	"midas/internal/objective"
)

// TestSimRegGradFD checks the regulariser's gradient against central differences in float64, for
// blocks of 1 and 2 layers, per-matrix and flattened cosines, with and without the norms. The
// parameters are random (so no cosine is near ±1, where its gradient vanishes); h = 1e-6 and the
// tolerance 1e-8 + 1e-6·|g| leave the O(h²) truncation and float64 rounding (≈ 1e-10/h) well inside.
func TestSimRegGradFD(t *testing.T) {
	cfg := model.Config{VocabSize: 5, Dim: 4, NumLayers: 4, NumHeads: 2, FFNDim: 6, SeqLen: 4, RopeTheta: 10000, NormEps: 1e-5}
	l := model.NewLayout(cfg)
	for _, s := range []SimReg{{Lambda: 1, Block: 1}, {Lambda: 1, Block: 2}, {Lambda: 1, Block: 1, Flat: true}, {Lambda: 1, Block: 2, Norms: true}} {
		terms := s.terms(l)
		r := model.NewRNG(7)
		p := make([]float64, l.Size)
		for i := range p {
			p[i] = r.Normal()
		}
		g := make([]float64, l.Size)
		simValueGrad(p, g, terms, 1)
		const h = 1e-6
		worst := 0.0
		for i := range p {
			old := p[i]
			p[i] = old + h
			up := simValueGrad[float64](p, nil, terms, 0)
			p[i] = old - h
			dn := simValueGrad[float64](p, nil, terms, 0)
			p[i] = old
			num := (up - dn) / (2 * h)
			d := math.Abs(num - g[i])
			worst = max(worst, d)
			if d > 1e-8+1e-6*math.Abs(num) {
				t.Fatalf("%+v: parameter %d: analytic %.10g, numeric %.10g", s, i, g[i], num)
			}
		}
		t.Logf("%+v: %d cosines, max |analytic − numeric| = %.3g", s, len(terms), worst)
	}
}

// TestSimRegValue: R is 1 for a model whose blocks are copies of each other, the mean of the pairs'
// cosines otherwise, and its terms weigh the L−k pairs (and the 7 matrices of each) equally.
func TestSimRegValue(t *testing.T) {
	cfg := model.Presets["tiny"]
	cfg.NumLayers = 4
	m, _ := model.New(cfg)
	m.InitWeights(3)
	s := SimReg{Lambda: 1, Block: 2}
	if r := s.Value(m.Layout, m.Params); math.Abs(r) > 0.02 {
		t.Errorf("R of independent random layers %.4f, want ≈ 0", r)
	}
	for _, k := range []int{0, 1} { // layers 2, 3 := layers 0, 1
		lo, hi := m.Layout.LayerRange(k)
		dst, _ := m.Layout.LayerRange(k + 2)
		copy(m.Params[dst:dst+hi-lo], m.Params[lo:hi])
	}
	if r := s.Value(m.Layout, m.Params); math.Abs(r-1) > 1e-12 {
		t.Errorf("R of copied blocks %.15f, want 1", r)
	}
	var w float64
	for _, tm := range s.terms(m.Layout) {
		w += tm.w
	}
	if len(s.terms(m.Layout)) != 2*7 || math.Abs(w-1) > 1e-12 {
		t.Errorf("%d terms of total weight %g, want 14 and 1", len(s.terms(m.Layout)), w)
	}
}

// TestSimRegTraining: training a tiny untied model with the regulariser raises R(1) — the mean cosine
// similarity of successive layers — far above the unregularised run's, at a validation loss within a
// few percent of it. Measured (40 steps, 4 layers, λ = 1): R(1) 0.004 without, 0.904 with; validation
// loss 5.1936 vs 5.1945 (λ = 0.1, 0.2, 0.5 gave R 0.50, 0.64, 0.81 within 3% of the loss).
func TestSimRegTraining(t *testing.T) {
	base := runOptions()
	base.Growth, base.Stages, base.Model.NumLayers = "none", "prop-1", 4
	base.Steps, base.Warmup, base.Batch, base.EvalEvery = 40, 4, 4, 0
	reg := base
	reg.SimReg = SimReg{Lambda: 1, Block: 1}
	dir := t.TempDir()
	var r [2]float64
	var val [2]float64
	for i, o := range []Options{base, reg} {
		d := filepath.Join(dir, fmt.Sprint(i))
		s := trainDir(t, RunConfig{Dir: d, Options: o})
		m, err := LoadModel(d, 0)
		if err != nil {
			t.Fatal(err)
		}
		r[i], val[i] = SimReg{Lambda: 1, Block: 1}.Value(m.Layout, m.Params), s.ValLoss
	}
	t.Logf("R(1): %.4f without, %.4f with sim-reg λ=%g; validation loss %.4f vs %.4f", r[0], r[1], reg.SimReg.Lambda, val[0], val[1])
	if r[1] < 0.7 || r[1] < r[0]+0.5 {
		t.Errorf("R(1) %.4f with the regulariser, %.4f without: want ≥ 0.7 and 0.5 above", r[1], r[0])
	}
	if math.Abs(val[1]-val[0]) > 0.05*val[0] {
		t.Errorf("validation loss %.4f with the regulariser, %.4f without: want within 5%%", val[1], val[0])
	}
}

// TestSimRegGolden compares R and its gradient with PyTorch autograd (testdata/gen_golden_simreg.py,
// float64 from the same float32 weights) for three settings. Tolerances: the value 1e-12 (float64 sums
// in another order); the gradient, which torch wrote in float32, 1e-9 + 1e-6·|g| (float32 rounding of
// both sides). Skips when the fixture was not generated (no torch where it was written).
func TestSimRegGolden(t *testing.T) {
	raw, err := os.ReadFile("testdata/golden_simreg.json")
	if err != nil {
		t.Skip("testdata/golden_simreg.json is absent: run testdata/gen_golden_simreg.py (needs python3-torch)")
	}
	var g struct {
		Config struct {
			Vocab, Dim, Layers, Heads, FFN, Seq int
		}
		Settings []struct {
			Name        string
			Block       int
			Flat, Norms bool
			Value       float64
		}
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	c := g.Config
	cfg := model.Config{VocabSize: c.Vocab, Dim: c.Dim, NumLayers: c.Layers, NumHeads: c.Heads, FFNDim: c.FFN, SeqLen: c.Seq, RopeTheta: 10000, NormEps: 1e-5}
	l := model.NewLayout(cfg)
	f, err := ckpt.Open("testdata/golden_simreg.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	params := make([]float32, l.Size)
	if err := readTensors("testdata/golden_simreg.safetensors", l.Tensors, "", params); err != nil {
		t.Fatal(err)
	}
	for _, st := range g.Settings {
		s := SimReg{Lambda: 1, Block: st.Block, Flat: st.Flat, Norms: st.Norms}
		grads := make([]float32, l.Size)
		r := simValueGrad(params, grads, s.terms(l), 1)
		t.Logf("%s: R %.15f, torch %.15f", st.Name, r, st.Value)
		if math.Abs(r-st.Value) > 1e-12 || s.Value(l, params) != r {
			t.Errorf("%s: R %.15f, torch %.15f", st.Name, r, st.Value)
		}
		for _, tn := range l.Tensors {
			if tn.Layer < 0 {
				continue
			}
			want, err := f.ReadFloat32("grad/" + st.Name + "/" + tn.Name)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range want {
				if d := math.Abs(float64(grads[tn.Offset+i] - w)); d > 1e-9+1e-6*math.Abs(float64(w)) {
					t.Fatalf("%s: grad %s[%d] = %.9g, torch %.9g", st.Name, tn.Name, i, grads[tn.Offset+i], w)
				}
			}
		}
	}
}

// TestSimRegAllocs: a step with the regulariser hook allocates nothing in steady state (its terms are
// listed once), like a plain step (TestTrainStepAllocs).
func TestSimRegAllocs(t *testing.T) {
	tr := newBenchTrainer(t, "tiny", 2, objective.NameCausal)
	h := &simRegHook{s: SimReg{Lambda: 0.5, Block: 1}}
	tr.Hooks.Gradient = h.Gradient
	step := func() {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	step()
	if n := testing.AllocsPerRun(5, step); n != 0 {
		t.Errorf("TrainStep with sim-reg allocates %v times per step, want 0", n)
	}
}
