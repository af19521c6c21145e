package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"midas/internal/bench"
	"midas/internal/model"
	"midas/internal/stats"
	"midas/internal/train"
)

// benchFlags are the flags of bench.
type benchFlags struct {
	model                                           modelFlags
	steps, warm, threads, rounds, square            *int
	vsTorch, gemm, evalBench, recompute             *bool
	evalN, evalShots                                *int
	ref, python, cpuProfile, matmul, backends, plot *string
	objective                                       *string
	minTime                                         *time.Duration
}

func addBenchFlags(fs *flag.FlagSet, def model.Config) benchFlags {
	return benchFlags{
		model:      addModelFlags(fs, def, 8),
		steps:      fs.Int("steps", 20, "timed steps"),
		warm:       fs.Int("warmup", 3, "untimed steps first"),
		threads:    fs.Int("threads", 2, "worker threads"),
		vsTorch:    fs.Bool("vs-torch", false, "also run the PyTorch reference (llama_ref.py bench) and print the ratio"),
		ref:        fs.String("ref", "../shared/ref/llama_ref.py", "path of llama_ref.py (for --vs-torch)"),
		python:     fs.String("python", "/usr/bin/python3", "python with torch (for --vs-torch)"),
		rounds:     fs.Int("rounds", 1, "with --vs-torch or --gemm: alternate the contenders this many times and report medians"),
		cpuProfile: fs.String("cpuprofile", "", "write a pprof CPU profile of the midas steps to this file"),
		matmul:     fs.String("matmul", "float32", "matrix-multiply precision of the midas side: float32 or bf16 (AMX)"),
		gemm:       fs.Bool("gemm", false, "time the GEMM shapes of one training step (and 1024³) per backend at 1 and --threads threads instead"),
		backends:   fs.String("backends", "", "with --gemm: comma-separated GEMM backends (default: the fastest native one, and openblas if built in)"),
		square:     fs.Int("square", 1024, "with --gemm: also time an N×N×N product (0: skip)"),
		plot:       fs.String("plot", "", "with --gemm: also draw GFLOP/s per shape and backend as PREFIX-t<threads>.png"),
		minTime:    fs.Duration("mintime", 100*time.Millisecond, "with --gemm: time each backend for at least this long per round and shape (calls alternate between backends)"),
		objective:  fs.String("objective", "causal", "training objective of the timed steps: causal, or ul2 (UL2 batches, bidirectional prefixes)"),
		evalBench:  fs.Bool("eval", false, "time k-shot decoding of the primitives instead, and their ranked scoring: one prompt at a time and batched"),
		evalN:      fs.Int("eval-n", 50, "with --eval: queries per primitive"),
		evalShots:  fs.Int("eval-shots", 5, "with --eval: shots per prompt"),
		recompute:  fs.Bool("recompute", false, "recompute each layer in backward (train --recompute): less activation memory, more time"),
	}
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "[--layers N --dim N --heads N --ffn N --vocab N --seq N --batch N] [--vs-torch | --gemm | --eval]", stderr)
	def := model.Config{VocabSize: 512, Dim: 256, NumLayers: 4, NumHeads: 4, FFNDim: 683, SeqLen: 256, RopeTheta: 10000, NormEps: 1e-5}
	f := addBenchFlags(fs, def)
	if err := parse(fs, args); err != nil {
		return err
	}
	o := bench.Options{Model: def, Batch: 8, Steps: *f.steps, Warmup: *f.warm, Threads: *f.threads, Objective: *f.objective, Recompute: *f.recompute}
	f.model.apply(setFlags(fs), &o.Model, &o.Batch)
	if err := o.Model.Validate(); err != nil {
		return err
	}
	if *f.vsTorch && (o.Model.Canonical().NumKVHeads > 0 || o.Model.Canonical().HeadDimOverride > 0) {
		return errors.New("--vs-torch: the PyTorch reference has no --kv-heads or --head-dim")
	}
	var bad flagChecks
	bad.positive("steps", o.Steps)
	bad.nonNegative("warmup", o.Warmup)
	bad.positive("threads", o.Threads)
	bad.positive("rounds", *f.rounds)
	bad.positive("batch", o.Batch)
	if err := bad.err(); err != nil {
		return err
	}
	if *f.vsTorch && o.Objective != "causal" {
		return fmt.Errorf("--vs-torch times the reference's causal steps; it cannot be combined with --objective %s", o.Objective)
	}
	if err := train.SetMatmul(*f.matmul); err != nil {
		return err
	}
	if *f.evalBench && (*f.vsTorch || *f.gemm) {
		return errors.New("--eval is a separate benchmark; give it without --vs-torch or --gemm")
	}
	if o.Recompute && (*f.vsTorch || *f.gemm || *f.evalBench) {
		return errors.New("--recompute times training steps that recompute their layers; it cannot be combined with --vs-torch (the reference keeps every activation), --gemm or --eval")
	}
	if *f.gemm {
		return runBenchGemm(f, o, stdout, stderr)
	}
	if *f.evalBench {
		return runBenchEval(f, o, stdout)
	}
	return benchTrain(f, o, stdout, stderr)
}

// benchTrain runs --rounds rounds of the training benchmark (each after the reference's, with
// --vs-torch), prints every round and, with --vs-torch, the reference's BLAS, the medians and their
// ratio — or why there is no fair ratio.
func benchTrain(f benchFlags, o bench.Options, stdout, stderr io.Writer) error {
	if *f.cpuProfile != "" {
		stop, err := bench.StartCPUProfile(*f.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	var coreType, unfair string
	if *f.vsTorch {
		var blas bench.TorchBLAS
		var err error
		if blas, coreType, unfair, err = bench.FairReference(*f.python); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "reference: %s\n", blas)
	}
	peak := printPeaks(stdout, o.Threads)
	var ours, theirs []float64
	for r := 0; r < *f.rounds; r++ {
		if *f.vsTorch {
			tps, err := bench.Torch(*f.python, *f.ref, o, coreType, stderr)
			if err != nil {
				return err
			}
			theirs = append(theirs, tps)
		}
		res, err := bench.Train(o)
		if err != nil {
			return err
		}
		printBenchRound(stdout, res, peak)
		ours = append(ours, res.TokensPerS)
	}
	if *f.vsTorch {
		mo, mt := stats.Median(ours), stats.Median(theirs)
		fmt.Fprintf(stdout, "torch_tokens_per_s %.0f\nmidas_tokens_per_s %.0f\n", mt, mo)
		if unfair != "" {
			fmt.Fprintf(stdout, "ratio: none — %s\n", unfair)
			return nil
		}
		fmt.Fprintf(stdout, "ratio %.2f  (midas / torch, medians of %d round(s); flags: %s)\n", mo/mt, *f.rounds, o.RefFlags())
	}
	return nil
}

// runBenchEval runs bench --eval and prints prompts/s and tokens/s both ways and their ratio.
func runBenchEval(f benchFlags, o bench.Options, w io.Writer) error {
	var bad flagChecks
	bad.positive("eval-n", *f.evalN)
	bad.nonNegative("eval-shots", *f.evalShots)
	if err := bad.err(); err != nil {
		return err
	}
	r, err := bench.Eval(bench.EvalOptions{Model: o.Model, Threads: o.Threads, N: *f.evalN, Shots: *f.evalShots})
	if err != nil {
		return err
	}
	tokens := float64(r.PromptTokens + r.Generated)
	fmt.Fprintf(w, "eval: %d prompts (%d-shot, 8 primitives × %d), %d prompt tokens, about %d answer tokens (re-encoded), threads %d\n",
		r.Prompts, *f.evalShots, *f.evalN, r.PromptTokens, r.Generated, o.Threads)
	fmt.Fprintf(w, "one_at_a_time  %.2f s  %.1f prompts/s  %.0f tokens/s\n", r.OneS, float64(r.Prompts)/r.OneS, tokens/r.OneS)
	fmt.Fprintf(w, "batched        %.2f s  %.1f prompts/s  %.0f tokens/s\n", r.BatchS, float64(r.Prompts)/r.BatchS, tokens/r.BatchS)
	fmt.Fprintf(w, "speedup %.2f  (same answers, bit for bit)\n", r.OneS/r.BatchS)
	fmt.Fprintf(w, "ranked: the same queries, %d candidate answers, %d tokens scored\n", r.RankCands, r.RankTokens)
	fmt.Fprintf(w, "ranked_one_at_a_time  %.2f s  %.1f prompts/s  %.0f candidates/s\n", r.RankOneS, float64(r.Prompts)/r.RankOneS, float64(r.RankCands)/r.RankOneS)
	fmt.Fprintf(w, "ranked_batched        %.2f s  %.1f prompts/s  %.0f candidates/s\n", r.RankBatchS, float64(r.Prompts)/r.RankBatchS, float64(r.RankCands)/r.RankBatchS)
	fmt.Fprintf(w, "ranked_speedup %.2f  (same scores, bit for bit)\n", r.RankOneS/r.RankBatchS)
	return nil
}

// printPeaks measures and prints the machine's FMA peak at 1 and threads threads and returns the
// peak at threads (0, with the reason printed, where it is not measured).
func printPeaks(w io.Writer, threads int) float64 {
	ps, err := bench.Peaks(threads, 300*time.Millisecond)
	if err != nil {
		fmt.Fprintf(w, "peak: %v\n", err)
		return 0
	}
	line := "peak_gflops " + ps[0].ISA
	for _, p := range ps {
		line += fmt.Sprintf("  %d thread(s) %.1f", p.Threads, p.FLOPs/1e9)
	}
	fmt.Fprintln(w, line+"  (float32 FMA from registers)")
	return ps[len(ps)-1].FLOPs
}

// printBenchRound prints one round: the median step time and tokens/s, then the peak resident memory
// next to the estimate of what training needs.
func printBenchRound(w io.Writer, r bench.Result, peak float64) {
	const mb = 1 << 20
	obj := ""
	if r.Objective != "" && r.Objective != "causal" {
		obj = " objective " + r.Objective
	}
	if r.Recompute {
		obj += " recompute"
	}
	fmt.Fprintf(w, "midas %s threads %d params %d%s\n", r.Backend, r.Threads, r.Params, obj)
	fmt.Fprintf(w, "step_ms %.1f\n", r.StepS*1e3)
	fmt.Fprintf(w, "tokens_per_s %.0f\n", r.TokensPerS)
	gf := r.StepFLOPs / r.StepS / 1e9
	if peak > 0 {
		fmt.Fprintf(w, "model_gflops %.1f  (6·params·tokens + attention per step)\n", gf)
		fmt.Fprintf(w, "step_efficiency %.2f  (model FLOP/s over the %d-thread FMA peak)\n", gf*1e9/peak, r.Threads)
	} else {
		fmt.Fprintf(w, "model_gflops %.1f  (6·params·tokens + attention per step)\n", gf)
	}
	est := r.EstimateBytes()
	fmt.Fprintf(w, "estimate_mb %.0f  (params+grads+AdamW %.1f, activations %.1f, bench tokens %.2f, process before the model %.1f)\n",
		float64(est)/mb, float64(r.StateBytes)/mb, float64(r.ActivationBytes)/mb, float64(r.TokenBytes)/mb, float64(r.BaseBytes)/mb)
	if r.PeakRSS > 0 {
		fmt.Fprintf(w, "peak_rss_mb %.0f\n", float64(r.PeakRSS)/mb)
		fmt.Fprintf(w, "peak_over_estimate %.2f\n", float64(r.PeakRSS)/float64(est))
	}
}
