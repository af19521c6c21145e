package grow

import (
	"fmt"

	"midas/internal/model"
)

// LayerParams is the number of parameters of one decoder layer of cfg: q and o (2·C·Q), k and v
// (2·C·KV; 4·C² in all for multi-head attention), gate, up, down (3·C·F) and the two RMSNorm scales
// (2·C), with Q = cfg.QDim() and KV = cfg.KVDim().
func LayerParams(cfg model.Config) int {
	c, f := cfg.Dim, cfg.FFNDim
	return 2*c*cfg.QDim() + 2*c*cfg.KVDim() + 3*c*f + 2*c
}

// StepFLOPs is the training FLOPs (forward + backward) of one step of cfg's model with the given number
// of decoder layers (cfg.NumLayers is ignored) on tokensPerStep = batch·seq tokens:
//
//	FLOPs = tokens · (6·N + 12·L·T·Q)
//	N     = L·LayerParams(cfg) + C (final norm) + V·C (lm_head matmul)
//
// N counts the parameters touched per token by a matmul or norm; the embedding lookup is a gather, not
// a matmul, so the embedding is not counted (and the lm_head matmul is counted also when it is tied to
// the embedding). 12·L·T·Q is attention's score and value products (fwd + bwd, no causal discount) with
// T = cfg.SeqLen, the context length, and Q = cfg.QDim() the width of the queries (C unless head_dim
// says otherwise).
func StepFLOPs(cfg model.Config, layers, tokensPerStep int) float64 {
	c, v := float64(cfg.Dim), float64(cfg.VocabSize)
	l := float64(layers)
	n := l*float64(LayerParams(cfg)) + c + v*c
	attn := 12 * l * float64(cfg.SeqLen) * float64(cfg.QDim())
	return float64(tokensPerStep) * (6*n + attn)
}

// StageRow is one stage of a growth schedule. Steps FirstStep ≤ step < EndStep (0-based, EndStep
// exclusive) train a model of Layers layers; FLOPs = Steps·StepFLOPs, CumFLOPs the running total up to
// and including this stage. Grow is the growth applied before the stage's first step (nil for stage 1),
// with Stage and Step set: exactly what a run of the schedule records in its history.
type StageRow struct {
	Stage     int     `json:"stage"`
	Layers    int     `json:"layers"`
	FirstStep int     `json:"first_step"` // inclusive
	EndStep   int     `json:"end_step"`   // exclusive
	Steps     int     `json:"steps"`
	FLOPs     float64 `json:"flops"`
	CumFLOPs  float64 `json:"cum_flops"`
	Grow      *Plan   `json:"grow,omitempty"`
}

// Table is the compute accounting of a growth schedule (the JSON keys are PlanJSON's).
type Table struct {
	Rows         []StageRow `json:"stages"`
	Total        float64    `json:"total_flops"`    // Σ Rows[i].FLOPs
	Baseline     float64    `json:"baseline_flops"` // the full-depth model for all T steps
	Speedup      float64    `json:"speedup"`        // Baseline / Total
	LayerSpeedup float64    `json:"layer_speedup"`  // counting layer FLOPs only: Layers·T / Σ layers·steps
}

// Table builds the accounting of the schedule for cfg's model (cfg.NumLayers must be s.Layers) at
// tokensPerStep = batch·seq tokens per step: one row per stage, with its depth and the plan that
// starts it. The schedule is validated first.
func (s Schedule) Table(cfg model.Config, tokensPerStep int) (Table, error) {
	if err := s.Validate(); err != nil {
		return Table{}, err
	}
	if cfg.NumLayers != s.Layers {
		return Table{}, fmt.Errorf("grow: the schedule grows to %d layers, the model has %d", s.Layers, cfg.NumLayers)
	}
	if tokensPerStep < 1 {
		return Table{}, fmt.Errorf("grow: tokens per step must be at least 1, got %d", tokensPerStep)
	}
	ends, err := s.Ends()
	if err != nil {
		return Table{}, err
	}
	var t Table
	var layerSteps float64 // Σ layers·steps
	first := 0
	for i, e := range ends {
		r := StageRow{Stage: i + 1, Layers: s.StageLayers(i + 1), FirstStep: first, EndStep: e, Steps: e - first}
		if i > 0 {
			p, err := s.Grow(t.Rows[i-1].Layers)
			if err != nil {
				return Table{}, err
			}
			p.Stage, p.Step = r.Stage, r.FirstStep
			r.Grow = &p
		}
		r.FLOPs = float64(r.Steps) * StepFLOPs(cfg, r.Layers, tokensPerStep)
		t.Total += r.FLOPs
		r.CumFLOPs = t.Total
		layerSteps += float64(r.Layers) * float64(r.Steps)
		t.Rows = append(t.Rows, r)
		first = e
	}
	t.Baseline = float64(s.Steps) * StepFLOPs(cfg, s.Layers, tokensPerStep)
	t.Speedup = t.Baseline / t.Total
	t.LayerSpeedup = float64(s.Layers) * float64(s.Steps) / layerSteps
	return t, nil
}

// LayerSpeedup is the analytic speedup counting layer FLOPs only, for one-block-per-stage growth
// (midas, gradstack; Table.LayerSpeedup is the same quantity for any schedule) with the stage ends
// returned by Stages (k = len(ends) stages, T = ends[k-1] steps): stage i has i blocks, so the speedup
// is k·T / Σ_i i·steps_i. For large T it tends to the closed forms prop-1 → 3k/(2k+1),
// prop-2 → 2(2k+1)/(3(k+1)), equal → 2k/(k+1). ends must be non-empty and increasing (panics otherwise).
func LayerSpeedup(ends []int) float64 {
	if len(ends) == 0 {
		panic("grow: LayerSpeedup: no stages")
	}
	k := len(ends)
	var sum float64
	prev := 0
	for i, e := range ends {
		if e <= prev {
			panic(fmt.Sprintf("grow: LayerSpeedup: stage %d ends at %d, not after %d", i+1, e, prev))
		}
		sum += float64(i+1) * float64(e-prev)
		prev = e
	}
	return float64(k) * float64(ends[k-1]) / sum
}
