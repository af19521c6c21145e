package grow

import (
	"fmt"

	"midas/internal/model"
)

// LayerParams is the number of parameters of one decoder layer of cfg: q, k, v, o (4·C²), gate, up,
// down (3·C·F) and the two RMSNorm scales (2·C).
func LayerParams(cfg model.Config) int {
	c, f := cfg.Dim, cfg.FFNDim
	return 4*c*c + 3*c*f + 2*c
}

// StepFLOPs is the training FLOPs (forward + backward) of one step of cfg's model with the given number
// of decoder layers (cfg.NumLayers is ignored) on tokensPerStep = batch·seq tokens:
//
//	FLOPs = tokens · (6·N + 12·L·T·C)
//	N     = L·LayerParams(cfg) + C (final norm) + V·C (lm_head matmul)
//
// N counts the parameters touched per token by a matmul or norm; the embedding lookup is a gather, not
// a matmul, so the embedding is not counted (and the lm_head matmul is counted also when it is tied to
// the embedding). 12·L·T·C is attention's score and value products (fwd + bwd, no causal discount) with
// T = cfg.SeqLen, the context length.
func StepFLOPs(cfg model.Config, layers, tokensPerStep int) float64 {
	c, v := float64(cfg.Dim), float64(cfg.VocabSize)
	l := float64(layers)
	n := l*float64(LayerParams(cfg)) + c + v*c
	attn := 12 * l * float64(cfg.SeqLen) * c
	return float64(tokensPerStep) * (6*n + attn)
}

// StageRow is one stage of a growth schedule. Steps FirstStep ≤ step < LastStep (0-based, LastStep
// exclusive) train a model of Layers layers; FLOPs = Steps·StepFLOPs, CumFLOPs the running total up to
// and including this stage.
type StageRow struct {
	Stage, Layers, FirstStep, LastStep, Steps int
	FLOPs, CumFLOPs                           float64
}

// Table is the compute accounting of a growth schedule.
type Table struct {
	Rows     []StageRow
	Baseline float64 // the full-depth model for all T steps
	Total    float64 // Σ Rows[i].FLOPs
	Speedup  float64 // Baseline / Total
}

// Schedule builds the table for growing to cfg.NumLayers by one block of `block` layers per stage
// (k = cfg.NumLayers/block stages, stage s has s·block layers) over T steps of tokensPerStep tokens,
// with the stage split given by spec (see Stages).
func Schedule(cfg model.Config, block, T, tokensPerStep int, spec string) (Table, error) {
	k, err := blocks(cfg.NumLayers, block)
	if err != nil {
		return Table{}, err
	}
	if tokensPerStep < 1 {
		return Table{}, fmt.Errorf("grow: tokens per step must be at least 1, got %d", tokensPerStep)
	}
	ends, err := Stages(spec, T, k)
	if err != nil {
		return Table{}, err
	}
	var t Table
	first := 0
	for i, e := range ends {
		r := StageRow{Stage: i + 1, Layers: (i + 1) * block, FirstStep: first, LastStep: e, Steps: e - first}
		r.FLOPs = float64(r.Steps) * StepFLOPs(cfg, r.Layers, tokensPerStep)
		t.Total += r.FLOPs
		r.CumFLOPs = t.Total
		t.Rows = append(t.Rows, r)
		first = e
	}
	t.Baseline = float64(T) * StepFLOPs(cfg, cfg.NumLayers, tokensPerStep)
	t.Speedup = t.Baseline / t.Total
	return t, nil
}

// LayerSpeedup is the analytic speedup counting layer FLOPs only, for one-block-per-stage growth with
// the stage ends returned by Stages (k = len(ends) stages, T = ends[k-1] steps): stage i has i blocks,
// so the speedup is k·T / Σ_i i·steps_i. For large T it tends to the closed forms prop-1 → 3k/(2k+1),
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
