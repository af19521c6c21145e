package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"midas/internal/eval"
	"midas/internal/experiment"
	"midas/internal/grow"
	"midas/internal/train"
)

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compare", "--runs baseline,gradstack,midas --seeds N --out DIR [train flags]", stderr)
	out := fs.String("out", "", "directory for the runs, their evaluations and report.md")
	var runs listFlag
	fs.Var(&runs, "runs", "runs to compare: baseline, gradstack, midas, double, looped, midloop, simreg (default baseline,gradstack,midas)")
	seeds := fs.Int("seeds", 1, "seeds per run (seed, seed+1, ...)")
	finalN := fs.Int("final-n", 100, "held-out examples per task in each run's final evaluation")
	ft := fs.Int("finetune", 0, "also run the fine-tuning protocol on this many examples in the final evaluation")
	force := fs.Bool("force", false, "retrain runs of --out that were trained with other settings")
	repeat := fs.String("repeat-middle", "", "also evaluate every midas run with its middle block of `BxR` (B layers applied R times), as the row midas+repBxR")
	tf := defineTrainFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errUsage
	}
	if len(runs) == 0 {
		runs = listFlag{eval.Baseline, grow.OpGradStack, grow.OpMIDAS}
	}
	var c flagChecks
	c.positive("seeds", *seeds)
	c.positive("final-n", *finalN)
	c.nonNegative("finetune", *ft)
	if err := c.err(); err != nil {
		return err
	}
	base, err := tf.options(setFlags(fs))
	if err != nil {
		return err
	}
	spec := experiment.Spec{Out: *out, Seeds: *seeds, Final: eval.FinalOptions{N: *finalN, Finetune: *ft}, Force: *force}
	if spec.MaxMemory, err = tf.memory(); err != nil {
		return err
	}
	if *repeat != "" {
		if spec.RepeatBlock, spec.RepeatTimes, err = parseRepeat(*repeat); err != nil {
			return err
		}
	}
	for _, name := range runs {
		spec.Arms = append(spec.Arms, experiment.NewArm(name, base))
	}
	spec.Setup = compareSetup(runs, *seeds, *finalN, base, args) + armSetup(spec)
	if obj := objectiveSetup(base); obj != "" {
		spec.Setup += " Objective: " + obj + "."
	}
	return executeCompare(spec, stdout, stderr)
}

// armSetup describes the weight-sharing arms and the repeated-middle row of a comparison.
func armSetup(spec experiment.Spec) string {
	var parts []string
	for _, a := range spec.Arms {
		switch o := a.Options; a.Name {
		case experiment.Looped, experiment.MidLoop:
			parts = append(parts, fmt.Sprintf("%s: loop %s, %d physical layers", a.Name, o.Loop, o.Loop.Physical()))
		case experiment.SimReg:
			parts = append(parts, fmt.Sprintf("simreg: λ %g, block %d", o.SimReg.Lambda, o.SimReg.Block))
		}
	}
	if spec.RepeatTimes > 0 {
		parts = append(parts, fmt.Sprintf("%s: the midas checkpoints evaluated with their centred %d-layer block applied %d times",
			spec.RepeatName(), spec.RepeatBlock, spec.RepeatTimes))
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, "; ") + "."
}

// compareSetup is the report's description of a comparison.
func compareSetup(runs []string, seeds, finalN int, base train.Options, args []string) string {
	return fmt.Sprintf("Runs %s, %d seed(s) each (seed %d on), on %s. Model: %d layers, dim %d, %d heads, FFN %d, vocab %d, "+
		"sequence %d; %d steps of %d tokens; growth block %d, schedule %s. Final evaluation: %d-shot, %d held-out examples per task. "+
		"Command: `midas compare %s`.",
		strings.Join(runs, ", "), seeds, base.Seed, dataName(base), base.Model.NumLayers, base.Model.Dim, base.Model.NumHeads,
		base.Model.FFNDim, base.Model.VocabSize, base.Model.SeqLen, base.Steps, base.Batch*base.Accum*base.Model.SeqLen,
		base.Block, base.Stages, base.EvalShots, finalN, strings.Join(args, " "))
}

// executeCompare runs the experiment with progress on the terminal and says where its report is.
func executeCompare(spec experiment.Spec, stdout, stderr io.Writer) error {
	start := time.Now()
	ev := experiment.Events{
		Job: func(i, n int, j experiment.Job, status string) {
			fmt.Fprintf(stdout, "[%d/%d] %s seed %d → %s\n", i+1, n, j.Arm, j.Seed, j.Dir)
			if status != "training" {
				fmt.Fprintf(stdout, "  %s\n", status)
			}
		},
		Evaluate: func(j experiment.Job) {
			fmt.Fprintf(stdout, "  final evaluation (%d examples per task)...\n", spec.Final.N)
		},
		Train: func(cfg train.RunConfig) (train.Summary, error) { return trainRun(cfg, stdout, stderr) },
	}
	res, err := experiment.Execute(spec, ev, true)
	if err != nil {
		return err
	}
	if res.Stopped {
		fmt.Fprintf(stdout, "stopped; run the same command again to continue where it stopped\n")
		return nil
	}
	fmt.Fprintf(stdout, "report: %s (%s)\n", filepath.Join(spec.Out, "report.md"), time.Since(start).Round(time.Second))
	return nil
}
