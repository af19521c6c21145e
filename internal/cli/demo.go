package cli

import (
	"fmt"
	"io"
	"strconv"
)

// runDemo is the main job: a small baseline / gradstack / midas comparison on the embedded synthetic
// corpus, sized to finish in about 6 minutes on 2 cores, ending with where its report is.
func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "[--out DIR] [--steps N] [--objective causal|ul2]", stderr)
	out := fs.String("out", "runs/demo", "directory of the comparison and its report")
	steps := fs.Int("steps", 250, "training steps of each run")
	obj := fs.String("objective", "causal", "training objective of every run: causal, or ul2 (the paper's UL2 mixture)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *steps < 8 {
		return fmt.Errorf("--steps must be at least 8, got %d", *steps)
	}
	with := ""
	if *obj != "causal" {
		with = ", objective " + *obj
	}
	fmt.Fprintf(stdout, "midas demo: baseline vs gradstack vs midas (4 layers, prop-1 stages) on the synthetic corpus, %d steps each%s.\n", *steps, with)
	fmt.Fprintf(stdout, "Run it again to continue if interrupted. The same comparison with other sizes: midas compare --help\n\n")
	return runCompare([]string{"--runs", "baseline,gradstack,midas", "--preset", "small", "--layers", "4", "--block", "1",
		"--schedule", "prop-1", "--steps", strconv.Itoa(*steps), "--eval-every", strconv.Itoa(max(*steps/5, 1)),
		"--eval-n", "16", "--final-n", "50", "--synthetic-bytes", "8000000", "--objective", *obj, "--out", *out}, stdout, stderr)
}
