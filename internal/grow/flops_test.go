package grow

import (
	"math"
	"strings"
	"testing"

	"midas/internal/model"
)

// TestLayerSpeedupClosedForms: the SPEC §3 closed forms from the actual integer stages at a large T.
func TestLayerSpeedupClosedForms(t *testing.T) {
	const T = 6_000_000
	for _, k := range []int{1, 2, 3, 4, 6, 8, 12} {
		fk := float64(k)
		for _, c := range []struct {
			spec string
			want float64
		}{
			{"prop-1", 3 * fk / (2*fk + 1)},             // k·Σi/Σi² ; k=6: 18/13 = 1.3846
			{"prop-2", 2 * (2*fk + 1) / (3 * (fk + 1))}, // k·Σi²/Σi³ ; k=6: 26/21 = 1.2381
			{"equal", 2 * fk / (fk + 1)},                // k·k/Σi   ; k=6: 12/7 = 1.7143
		} {
			ends, err := Stages(c.spec, T, k)
			if err != nil {
				t.Fatal(err)
			}
			if got := LayerSpeedup(ends); math.Abs(got-c.want) > 1e-4 {
				t.Errorf("k=%d %s: LayerSpeedup %.6f, want %.6f", k, c.spec, got, c.want)
			}
		}
	}
	// The SPEC's rounded figures for k = 6 ("1.39×" is 18/13 = 1.3846, so within 0.01, not 0.005).
	for spec, want := range map[string]float64{"prop-1": 1.39, "prop-2": 1.24} {
		ends, _ := Stages(spec, T, 6)
		if got := LayerSpeedup(ends); math.Abs(got-want) > 0.01 {
			t.Errorf("%s k=6: %.4f, SPEC says %.2f", spec, got, want)
		}
	}
	// Exact on a small integer schedule: ends 1,3,6 → steps 1,2,3; 3·6/(1+4+9) = 18/14.
	if got, want := LayerSpeedup([]int{1, 3, 6}), 18.0/14; got != want {
		t.Errorf("LayerSpeedup([1 3 6]) = %v, want %v", got, want)
	}
	for _, bad := range [][]int{nil, {3, 3}, {0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("LayerSpeedup(%v): no panic", bad)
				}
			}()
			LayerSpeedup(bad)
		}()
	}
}

// TestStepFLOPsSmall counts the small preset by hand: V=2048, C=256, L=4, F=683, T=256.
func TestStepFLOPsSmall(t *testing.T) {
	cfg := model.Presets["small"]
	// Per layer: 4·256² = 262144 (q,k,v,o) + 3·256·683 = 524544 (gate,up,down) + 2·256 (norms) = 787200.
	if got := LayerParams(cfg); got != 787200 {
		t.Fatalf("LayerParams = %d, want 787200", got)
	}
	// N = 4·787200 + 256 (final norm) + 2048·256 (lm_head) = 3673344.
	// Per token: 6·N = 22040064, attention 12·4·256·256 = 3145728, sum 25185792.
	// Tokens 8·256 = 2048 → 51580502016.
	if got, want := StepFLOPs(cfg, 4, 2048), 51580502016.0; got != want {
		t.Errorf("StepFLOPs(small, 4, 2048) = %.0f, want %.0f", got, want)
	}
	// One layer: N = 787200 + 256 + 524288 = 1311744; 6N = 7870464; attention 786432; sum 8656896.
	if got, want := StepFLOPs(cfg, 1, 1), 8656896.0; got != want {
		t.Errorf("StepFLOPs(small, 1, 1) = %.0f, want %.0f", got, want)
	}
	// The lm_head matmul is counted whether or not it is tied; the embedding never is.
	tied := cfg
	tied.TiedEmbeddings = true
	if StepFLOPs(tied, 4, 2048) != StepFLOPs(cfg, 4, 2048) {
		t.Error("tying changes the FLOPs count")
	}
	// The model's own parameter count differs from N exactly by the embedding (untied).
	if n := float64(cfg.NumParams() - cfg.VocabSize*cfg.Dim); 6*n+12*4*256*256 != StepFLOPs(cfg, 4, 1) {
		t.Errorf("6·(NumParams − embedding) + attention = %.0f, StepFLOPs = %.0f", 6*n+12*4*256*256, StepFLOPs(cfg, 4, 1))
	}
}

// TestTable: every row of Schedule.Table for one-block-per-stage and doubling schedules — depth, steps,
// FLOPs, the plan that starts the stage — and the totals; LayerSpeedup of a one-block-per-stage table
// is exactly the closed-form function's.
func TestTable(t *testing.T) {
	cfg := model.Presets["medium"] // 8 layers
	for _, c := range []struct {
		op    string
		block int
		spec  string
		k     int
	}{
		{OpMIDAS, 1, "prop-1", 8}, {OpMIDAS, 2, "prop-2", 4}, {OpGradStack, 4, "equal", 2}, {OpMIDAS, 8, "equal", 1},
		{OpGradStack, 2, "explicit:100,400,700", 4},
		{OpDouble, 1, "prop-1", 4}, {OpDouble, 2, "explicit:300,600", 3}, {OpDouble, 8, "equal", 1},
		{OpNone, 1, "prop-1", 1}, {"", 3, "cubic", 1}, // no growth: block and split are not used
	} {
		const T, tokens = 1000, 16 * 256
		s := Schedule{Op: c.op, Block: c.block, Layers: cfg.NumLayers, Split: c.spec, Steps: T, Identity: true, Optim: OptimZero}
		tab, err := s.Table(cfg, tokens)
		if err != nil {
			t.Fatalf("%s b=%d %s: %v", c.op, c.block, c.spec, err)
		}
		if len(tab.Rows) != c.k || s.NumStages() != c.k {
			t.Fatalf("%s b=%d: %d rows, NumStages %d, want %d", c.op, c.block, len(tab.Rows), s.NumStages(), c.k)
		}
		ends, _ := s.Ends()
		var sum, layerSteps float64
		first := 0
		for i, r := range tab.Rows {
			depth := (i + 1) * c.block
			if c.op == OpDouble {
				depth = c.block << i
			}
			if c.k == 1 {
				depth = cfg.NumLayers
			}
			if r.Stage != i+1 || r.Layers != depth || r.Layers != s.StageLayers(i+1) || r.FirstStep != first || r.EndStep != ends[i] || r.Steps != r.EndStep-r.FirstStep {
				t.Errorf("%s b=%d row %d: %+v", c.op, c.block, i, r)
			}
			if i == 0 && r.Grow != nil {
				t.Errorf("%s b=%d: stage 1 has a growth %s", c.op, c.block, r.Grow)
			}
			if g := r.Grow; i > 0 && (g == nil || g.Validate() != nil || g.Op != c.op || g.Stage != i+1 || g.Step != first ||
				g.From != tab.Rows[i-1].Layers || g.To() != r.Layers || !g.Identity || !g.ZeroOptim) {
				t.Errorf("%s b=%d row %d: growth %+v", c.op, c.block, i, g)
			}
			if want := float64(r.Steps) * StepFLOPs(cfg, r.Layers, tokens); r.FLOPs != want {
				t.Errorf("%s row %d: FLOPs %g, want %g", c.spec, i, r.FLOPs, want)
			}
			sum += r.FLOPs
			layerSteps += float64(r.Layers * r.Steps)
			if r.CumFLOPs != sum {
				t.Errorf("%s row %d: CumFLOPs %g, want %g", c.spec, i, r.CumFLOPs, sum)
			}
			first = r.EndStep
		}
		if first != T || tab.Total != sum || tab.Rows[c.k-1].CumFLOPs != tab.Total {
			t.Errorf("%s: last step %d, Total %g, sum %g", c.spec, first, tab.Total, sum)
		}
		if want := T * StepFLOPs(cfg, cfg.NumLayers, tokens); tab.Baseline != want {
			t.Errorf("%s: Baseline %g, want %g", c.spec, tab.Baseline, want)
		}
		if tab.Speedup != tab.Baseline/tab.Total {
			t.Errorf("%s: Speedup %g != Baseline/Total", c.spec, tab.Speedup)
		}
		if want := float64(cfg.NumLayers*T) / layerSteps; tab.LayerSpeedup != want {
			t.Errorf("%s b=%d: LayerSpeedup %v, want %v", c.op, c.block, tab.LayerSpeedup, want)
		}
		if c.op == OpMIDAS || c.op == OpGradStack {
			if ls := LayerSpeedup(ends); tab.LayerSpeedup != ls {
				t.Errorf("%s b=%d: Table.LayerSpeedup %v, LayerSpeedup(ends) %v", c.op, c.block, tab.LayerSpeedup, ls)
			}
		}
		// Head and attention make whole-model savings smaller than layer-only ones (equal when k = 1).
		if c.k == 1 && (tab.Speedup != 1 || tab.LayerSpeedup != 1) || c.k > 1 && !(tab.Speedup > 1 && tab.Speedup < tab.LayerSpeedup) {
			t.Errorf("%s b=%d: Speedup %.4f, layer-only %.4f", c.spec, c.block, tab.Speedup, tab.LayerSpeedup)
		}
	}
}

func TestTableErrors(t *testing.T) {
	cfg := model.Presets["small"] // 4 layers
	for _, c := range []struct {
		op               string
		block, T, tokens int
		spec, want       string
	}{
		{OpMIDAS, 3, 100, 1, "equal", "grow: 4 layers are not divisible into blocks of 3"},
		{OpMIDAS, 0, 100, 1, "equal", "grow: block must be at least 1 layer, got 0"},
		{OpMIDAS, 1, 100, 0, "equal", "grow: tokens per step must be at least 1, got 0"},
		{OpMIDAS, 1, 3, 1, "equal", "grow: 3 steps cannot fill 4 stages"},
		{OpMIDAS, 1, 100, 1, "cubic", `grow: unknown stage spec "cubic"`},
		{OpDouble, 1, 2, 1, "equal", "grow: 2 steps cannot fill 3 stages"},
		{OpMap, 1, 100, 1, "equal", `grow: growth "map" is not one of none, midas, gradstack, double`},
	} {
		s := Schedule{Op: c.op, Block: c.block, Layers: cfg.NumLayers, Split: c.spec, Steps: c.T}
		if _, err := s.Table(cfg, c.tokens); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Table(%s b=%d, T=%d, %q) = %v, want %q", c.op, c.block, c.T, c.spec, err, c.want)
		}
	}
	s := Schedule{Op: OpMIDAS, Block: 1, Layers: 6, Split: "equal", Steps: 100}
	if _, err := s.Table(cfg, 1); err == nil || err.Error() != "grow: the schedule grows to 6 layers, the model has 4" {
		t.Errorf("depth mismatch: %v", err)
	}
}
