package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"midas/internal/grow"
	"midas/internal/model"
)

// PlanJSON is what `midas plan --json` prints: the stage table of a gradual-stacking run, for an external
// trainer to follow. Steps are 0-based; stage s trains steps [first_step, end_step) with `layers` layers.
// At the start of stage s > 1 the model is grown with `grow` (a source-layer map, see grow.Plan:
// src[i] is the old layer copied into new layer i, copy[i] marks the fresh copies). FLOPs follow SPEC §3.
type PlanJSON struct {
	Op            string       `json:"op"`       // growth operator
	Block         int          `json:"block"`    // layers per block
	Schedule      string       `json:"schedule"` // stage split spec
	Steps         int          `json:"steps"`    // total optimizer steps
	TokensPerStep int          `json:"tokens_per_step"`
	Model         model.Config `json:"model"` // the final model
	Stages        []PlanStage  `json:"stages"`
	TotalFLOPs    float64      `json:"total_flops"`
	BaselineFLOPs float64      `json:"baseline_flops"` // full depth for all steps
	Speedup       float64      `json:"speedup"`        // baseline_flops / total_flops
	LayerSpeedup  float64      `json:"layer_speedup"`  // counting layer FLOPs only (the SPEC's closed forms)
}

// PlanStage is one row of the table.
type PlanStage struct {
	Stage     int        `json:"stage"`
	Layers    int        `json:"layers"`
	FirstStep int        `json:"first_step"` // inclusive
	EndStep   int        `json:"end_step"`   // exclusive
	Steps     int        `json:"steps"`
	FLOPs     float64    `json:"flops"`
	CumFLOPs  float64    `json:"cum_flops"`
	Grow      *grow.Plan `json:"grow,omitempty"` // applied before the stage's first step (nil for stage 1)
}

func runPlan(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan", "--layers L --block B --schedule prop-1 --steps T [--dim D --seq S ...] [--json]", stderr)
	def := model.Presets["small"]
	mf := addModelFlags(fs, def, 8)
	op := fs.String("growth", grow.OpMIDAS, "growth operator: "+strings.Join(grow.StagedOps, ", ")+" ("+grow.OpNone+": the full-depth baseline)")
	block := fs.Int("block", 1, "layers per block")
	spec := fs.String("schedule", "prop-1", "stage split: equal, prop-A, explicit:s1,s2,...")
	steps := fs.Int("steps", 1000, "total optimizer steps")
	asJSON := fs.Bool("json", false, "print JSON (for an external trainer) instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, batch := def, 8
	mf.apply(setFlags(fs), &cfg, &batch)
	if err := cfg.Validate(); err != nil {
		return err
	}
	tokens := batch * cfg.SeqLen
	sched := grow.Schedule{Op: *op, Block: *block, Layers: cfg.NumLayers, Split: *spec, Steps: *steps}
	tab, err := sched.Table(cfg, tokens)
	if err != nil {
		return err
	}
	out := PlanJSON{Op: *op, Block: *block, Schedule: *spec, Steps: *steps, TokensPerStep: tokens, Model: cfg,
		TotalFLOPs: tab.Total, BaselineFLOPs: tab.Baseline, Speedup: tab.Speedup, LayerSpeedup: tab.LayerSpeedup}
	for _, r := range tab.Rows {
		out.Stages = append(out.Stages, PlanStage{Stage: r.Stage, Layers: r.Layers, FirstStep: r.FirstStep, EndStep: r.EndStep,
			Steps: r.Steps, FLOPs: r.FLOPs, CumFLOPs: r.CumFLOPs, Grow: r.Grow})
	}
	if *asJSON {
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "%s, block %d, %s over %d steps of %d tokens; final model %d layers, dim %d\n\n",
		*op, *block, *spec, *steps, tokens, cfg.NumLayers, cfg.Dim)
	fmt.Fprintf(stdout, "%5s %6s %10s %10s %7s %12s %12s  %s\n", "stage", "layers", "first", "last", "steps", "FLOPs", "cum FLOPs", "growth")
	for _, s := range out.Stages {
		g := ""
		if s.Grow != nil {
			g = s.Grow.String()
		}
		fmt.Fprintf(stdout, "%5d %6d %10d %10d %7d %12.4g %12.4g  %s\n", s.Stage, s.Layers, s.FirstStep, s.EndStep-1, s.Steps, s.FLOPs, s.CumFLOPs, g)
	}
	fmt.Fprintf(stdout, "\ntotal %.4g FLOPs, baseline %.4g: speedup %.3f× (layers only: %.3f×)\n",
		out.TotalFLOPs, out.BaselineFLOPs, out.Speedup, out.LayerSpeedup)
	return nil
}
