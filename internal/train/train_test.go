package train

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"midas/internal/ckpt"
	"midas/internal/data"
	"midas/internal/grow"
	"midas/internal/model"
)

// newTestTrainer makes a growing trainer over random tokens for the tiny preset at final depth layers.
func newTestTrainer(t *testing.T, growth string, layers int, identity bool) *Trainer {
	t.Helper()
	cfg := model.Presets["tiny"]
	cfg.NumLayers = layers
	opt := DefaultOptions(cfg)
	opt.Batch, opt.Steps, opt.Warmup, opt.EvalBatches = 2, 8, 1, 2
	opt.Growth, opt.Block, opt.Stages, opt.GrowIdentity = growth, 1, "explicit:2", identity
	if opt.NumStages() == 3 {
		opt.Stages = "explicit:1,2"
	}
	if err := opt.Validate(); err != nil {
		t.Fatal(err)
	}
	r := model.NewRNG(5)
	tokens := make([]int32, 20000)
	for i := range tokens {
		tokens[i] = int32(r.Next() % uint64(cfg.VocabSize))
	}
	start := cfg
	start.NumLayers = opt.StageLayers(1)
	m, err := model.New(start)
	if err != nil {
		t.Fatal(err)
	}
	m.InitWeights(1)
	loader, err := data.NewLoader(tokens[:15000], cfg.SeqLen, opt.Batch, 1)
	if err != nil {
		t.Fatal(err)
	}
	return New(opt, m, loader, data.ValBatches(tokens[15000:], cfg.SeqLen, opt.Batch, 2))
}

// TestIdentityGrowthKeepsLoss: with --identity the grown model computes the same function, so the
// validation loss right after growth equals the one right before (to float32 rounding: the zeroed
// branches add exact zeros, so 1e-6 is generous).
func TestIdentityGrowthKeepsLoss(t *testing.T) {
	for _, op := range []string{grow.OpMIDAS, grow.OpGradStack, grow.OpDouble} {
		tr := newTestTrainer(t, op, 2, true)
		for tr.Step < 2 {
			if _, err := tr.TrainStep(); err != nil {
				t.Fatal(err)
			}
		}
		before := tr.ValLoss()
		if err := tr.GrowIfDue(); err != nil {
			t.Fatal(err)
		}
		if tr.Model.Cfg.NumLayers != 2 || len(tr.History) != 1 {
			t.Fatalf("%s: after growth %d layers, %d events", op, tr.Model.Cfg.NumLayers, len(tr.History))
		}
		after := tr.ValLoss()
		if math.Abs(before-after) > 1e-6 {
			t.Errorf("%s: validation loss %.7f before identity growth, %.7f after", op, before, after)
		}
		// Without identity the function changes (so the check above can fail).
		tr2 := newTestTrainer(t, op, 2, false)
		for tr2.Step < 2 {
			tr2.TrainStep()
		}
		b2 := tr2.ValLoss()
		tr2.GrowIfDue()
		if a2 := tr2.ValLoss(); math.Abs(b2-a2) < 1e-4 {
			t.Errorf("%s: plain growth left the loss at %.6f (was %.6f)", op, a2, b2)
		}
	}
}

// TestGrowthMapsMoments: after growth the copied layer's parameters and both AdamW moments are bitwise
// equal to its source's, and the embedding, final norm and head are unchanged.
func TestGrowthMapsMoments(t *testing.T) {
	tr := newTestTrainer(t, grow.OpMIDAS, 2, false)
	for tr.Step < 2 {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	oldP, oldM, oldV := slices.Clone(tr.Model.Params), slices.Clone(tr.M), slices.Clone(tr.V)
	oldL := tr.Model.Layout
	if err := tr.GrowIfDue(); err != nil {
		t.Fatal(err)
	}
	nl := tr.Model.Layout
	lo0, hi0 := oldL.LayerRange(0)
	for i := 0; i < 2; i++ { // MIDAS 1 → 2: both new layers come from old layer 0
		lo, hi := nl.LayerRange(i)
		for name, pair := range map[string][2][]float32{"params": {oldP, tr.Model.Params}, "m": {oldM, tr.M}, "v": {oldV, tr.V}} {
			if !slices.Equal(pair[0][lo0:hi0], pair[1][lo:hi]) {
				t.Errorf("new layer %d %s differ from old layer 0", i, name)
			}
		}
	}
	for _, name := range []string{"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"} {
		a, _ := oldL.Lookup(name)
		b, _ := nl.Lookup(name)
		if !slices.Equal(oldP[a.Offset:a.Offset+a.Size], tr.Model.Params[b.Offset:b.Offset+b.Size]) ||
			!slices.Equal(oldM[a.Offset:a.Offset+a.Size], tr.M[b.Offset:b.Offset+b.Size]) {
			t.Errorf("%s changed by growth", name)
		}
	}
}

// TestGrowSaveLoadForward: grow → save → load → forward is bitwise equal to the in-memory grown model.
func TestGrowSaveLoadForward(t *testing.T) {
	tr := newTestTrainer(t, grow.OpMIDAS, 3, false)
	for tr.Step < 3 {
		if err := tr.GrowIfDue(); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if err := SaveCheckpoint(dir, tr.Model, CheckpointFiles{EOT: -1}, tr); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Cfg != tr.Model.Cfg {
		t.Fatalf("loaded config %+v, want %+v", m.Cfg, tr.Model.Cfg)
	}
	toks := tr.Val[0][:tr.Opt.Model.SeqLen]
	want := slices.Clone(tr.Model.Forward(toks, 1, len(toks)))
	got := m.Forward(toks, 1, len(toks))
	if !slices.Equal(got, want) {
		t.Fatal("forward of the loaded checkpoint differs from the in-memory grown model")
	}
	st, err := LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.History) != len(tr.History) || st.History[0].Op != grow.OpMIDAS || st.FLOPs != tr.FLOPs {
		t.Fatalf("state history %+v flops %g, want %+v %g", st.History, st.FLOPs, tr.History, tr.FLOPs)
	}
}

// TestStageWrappers: the Options shorthands are the grow schedule's (the policy is tested there).
func TestStageWrappers(t *testing.T) {
	opt := DefaultOptions(model.Presets["tiny"])
	opt.Model.NumLayers, opt.Steps, opt.Growth, opt.Block, opt.Stages = 4, 20, grow.OpMIDAS, 1, "prop-1"
	ends, err := opt.StageEnds()
	if err != nil || !slices.Equal(ends, []int{2, 6, 12, 20}) {
		t.Fatalf("ends %v, %v", ends, err)
	}
	opt.Growth, opt.Model.NumLayers = grow.OpDouble, 8
	if opt.NumStages() != 4 || opt.StageLayers(4) != 8 || opt.StageLayers(2) != 2 {
		t.Errorf("double: %d stages, stage layers %d %d", opt.NumStages(), opt.StageLayers(2), opt.StageLayers(4))
	}
	opt.Growth = grow.OpNone
	if opt.Growing() || opt.NumStages() != 1 || opt.StageLayers(1) != 8 {
		t.Errorf("no growth: growing %v, %d stages of %d layers", opt.Growing(), opt.NumStages(), opt.StageLayers(1))
	}
}

// TestHistoryIsThePlan: a run records in its history exactly the growths of its schedule's plan
// (grow.Schedule.Table, what `midas plan --json` prints), and trainer_state.json and config.json give
// them back unchanged — one type, one schema.
func TestHistoryIsThePlan(t *testing.T) {
	tr := newTestTrainer(t, grow.OpDouble, 4, true)
	tr.Opt.GrowOptim = grow.OptimZero
	for tr.Step < tr.Opt.Steps {
		if err := tr.GrowIfDue(); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	tab, err := tr.Opt.StageSchedule().Table(tr.Opt.Model, tr.Opt.Batch*tr.Opt.Model.SeqLen)
	if err != nil {
		t.Fatal(err)
	}
	var want []grow.Plan
	for _, r := range tab.Rows[1:] {
		want = append(want, *r.Grow)
	}
	if len(want) != 2 || !reflect.DeepEqual(tr.History, want) {
		t.Fatalf("history %+v\nwant %+v", tr.History, want)
	}
	dir := t.TempDir()
	if err := SaveCheckpoint(dir, tr.Model, CheckpointFiles{EOT: -1}, tr); err != nil {
		t.Fatal(err)
	}
	st, err := LoadState(dir)
	if err != nil || !reflect.DeepEqual(st.History, want) {
		t.Errorf("trainer_state.json history %+v, %v", st.History, err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, FileConfig))
	if err != nil {
		t.Fatal(err)
	}
	h, err := ckpt.ParseLlamaConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := grow.ReadHistory(h.Extra); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("config.json growth_history %+v, %v", got, err)
	}
}

// TestGradientHook: the hook between backward and clipping sees the step's gradient, what it adds to
// the gradient reaches the norm and the update, and its loss term is added to the step's loss.
func TestGradientHook(t *testing.T) {
	plain := newTestTrainer(t, "none", 2, false)
	hooked := newTestTrainer(t, "none", 2, false)
	var seen float32
	hooked.Hooks.Gradient = func(tr *Trainer) (float64, error) {
		seen = tr.Model.Grads[0]
		tr.Model.Grads[0] += 1000 // dominates the norm
		return 1.25, nil
	}
	a, err := plain.TrainStep()
	if err != nil {
		t.Fatal(err)
	}
	b, err := hooked.TrainStep()
	if err != nil {
		t.Fatal(err)
	}
	if seen != plain.Model.Grads[0] {
		t.Errorf("hook saw gradient %v, the step's is %v", seen, plain.Model.Grads[0])
	}
	if b.Loss != a.Loss+1.25 {
		t.Errorf("loss %v with the hook, %v without: want +1.25", b.Loss, a.Loss)
	}
	if b.GradNorm < 1000 || a.GradNorm > 100 {
		t.Errorf("grad norm %v with the hook, %v without", b.GradNorm, a.GradNorm)
	}
	if slices.Equal(plain.Model.Params, hooked.Model.Params) {
		t.Error("the hook's gradient did not reach the update")
	}
}
