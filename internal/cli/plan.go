package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"midas/internal/grow"
	"midas/internal/model"
)

func runPlan(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan", "--layers L --block B --schedule prop-1 --steps T [--growth midas|gradstack|double] [--identity] [--grow-optim copy|zero] [--dim D --seq S ...] [--json]", stderr)
	def := model.Presets["small"]
	mf := addModelFlags(fs, def, 8)
	op := fs.String("growth", grow.OpMIDAS, "growth operator: "+strings.Join(grow.StagedOps, ", ")+" ("+grow.OpNone+": the full-depth baseline)")
	block := fs.Int("block", 1, "layers per block")
	spec := fs.String("schedule", "prop-1", "stage split: equal, prop-A, explicit:s1,s2,...")
	steps := fs.Int("steps", 1000, "total optimizer steps")
	identity := fs.Bool("identity", false, "the growths zero the copies' o_proj and down_proj (function-preserving)")
	growOptim := fs.String("grow-optim", grow.OptimCopy, "AdamW moments of copied layers: copy or zero")
	asJSON := fs.Bool("json", false, "print JSON (for an external trainer, see the README) instead of a table")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, batch := def, 8
	mf.apply(setFlags(fs), &cfg, &batch)
	if err := cfg.Validate(); err != nil {
		return err
	}
	tokens := batch * cfg.SeqLen
	sched := grow.Schedule{Op: *op, Block: *block, Layers: cfg.NumLayers, Split: *spec, Steps: *steps,
		Identity: *identity, Optim: *growOptim}
	out, err := sched.PlanJSON(cfg, tokens)
	if err != nil {
		return err
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
		out.Op, *block, *spec, *steps, tokens, cfg.NumLayers, cfg.Dim)
	fmt.Fprintf(stdout, "%5s %6s %10s %10s %7s %12s %12s  %s\n", "stage", "layers", "first", "last", "steps", "FLOPs", "cum FLOPs", "growth")
	for _, s := range out.Rows {
		g := ""
		if s.Grow != nil {
			g = s.Grow.String()
		}
		fmt.Fprintf(stdout, "%5d %6d %10d %10d %7d %12.4g %12.4g  %s\n", s.Stage, s.Layers, s.FirstStep, s.EndStep-1, s.Steps, s.FLOPs, s.CumFLOPs, g)
	}
	fmt.Fprintf(stdout, "\ntotal %.4g FLOPs, baseline %.4g: speedup %.3f× (layers only: %.3f×)\n",
		out.Total, out.Baseline, out.Speedup, out.LayerSpeedup)
	return nil
}
