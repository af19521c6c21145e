package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"midas/internal/bench"
	"midas/internal/kern"
)

// runBenchGemm runs bench --gemm: every GEMM shape of one training step (and --square³) with each
// backend, at 1 and --threads threads. It prints the median over all timed calls per shape, the ratio
// of the first backend to the last, and the same for the whole step's GEMM time.
func runBenchGemm(f benchFlags, o bench.Options, stdout, stderr io.Writer) error {
	var bad flagChecks
	bad.nonNegative("square", *f.square)
	if err := bad.err(); err != nil {
		return err
	}
	if *f.vsTorch {
		return fmt.Errorf("--gemm and --vs-torch are separate benchmarks; give one")
	}
	g := bench.GemmOptions{Model: o.Model, Batch: o.Batch, Threads: []int{1}, Rounds: *f.rounds, Square: *f.square, MinTime: *f.minTime, Plot: *f.plot}
	if *f.backends != "" {
		g.Backends = strings.Split(*f.backends, ",")
	}
	if o.Threads > 1 {
		g.Threads = append(g.Threads, o.Threads)
	}
	run, err := bench.NewGemm(g)
	if err != nil {
		return err
	}
	for _, n := range run.Notes {
		fmt.Fprintln(stderr, "bench --gemm: "+n)
	}
	peaks, perr := bench.Peaks(max(o.Threads, 1), 300*time.Millisecond)
	prog := newProgress(stderr, run.Total(), "gemm")
	res, err := run.Run(prog.Set)
	if err != nil {
		return err
	}
	prog.Done()
	printGemmTable(stdout, res)
	printGemmPeak(stdout, res, peaks, perr)
	fmt.Fprintf(stdout, "medians of single calls: %d round(s), backends alternating call by call for ≥ %v each per round and shape; batch %d × seq %d tokens\n", g.Rounds, g.MinTime, g.Batch, g.Model.SeqLen)
	if g.Plot == "" {
		return nil
	}
	written, err := bench.PlotGemm(g.Plot, res)
	for _, p := range written {
		fmt.Fprintf(stdout, "plot: %s\n", p)
	}
	return err
}

// printGemmPeak prints each backend's step-GEMM FLOP/s as a share of the FMA peak at each thread count.
func printGemmPeak(w io.Writer, r bench.GemmResult, peaks []kern.PeakResult, err error) {
	if err != nil {
		fmt.Fprintf(w, "peak: %v\n", err)
		return
	}
	for t, th := range r.Threads {
		var peak kern.PeakResult
		for _, p := range peaks {
			if p.Threads == th {
				peak = p
			}
		}
		line := fmt.Sprintf("step GEMMs vs the %s FMA peak (%.1f GFLOP/s), threads %d:", peak.ISA, peak.FLOPs/1e9, th)
		for b, be := range r.Backends {
			gf := r.StepFLOPs() / r.StepSeconds(t, b)
			line += fmt.Sprintf("  %s %.1f GFLOP/s = %.0f%%", be, gf/1e9, 100*gf/peak.FLOPs)
		}
		fmt.Fprintln(w, line)
	}
}

// printGemmTable prints the median GFLOP/s of every shape, thread count and backend, the first/last
// backend ratio, and each backend's GEMM time for one training step (every shape times its calls per
// step, at the median rate).
func printGemmTable(w io.Writer, r bench.GemmResult) {
	bes := r.Backends
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	hdr := "shape\top\tm×n×k\tthreads\t"
	for _, be := range bes {
		hdr += be + " GFLOP/s\t"
	}
	if len(bes) > 1 {
		hdr += fmt.Sprintf("%s/%s\t", bes[0], bes[len(bes)-1])
	}
	fmt.Fprintln(tw, hdr)
	for i, s := range r.Shapes {
		op := map[[2]bool]string{{false, false}: "nn", {false, true}: "nt", {true, false}: "tn", {true, true}: "tt"}[[2]bool{s.TransA, s.TransB}]
		for t, th := range r.Threads {
			line := fmt.Sprintf("%s\t%s\t%dx%dx%d\t%d\t", s.Name, op, s.M, s.N, s.K, th)
			for b := range bes {
				line += fmt.Sprintf("%.1f\t", r.Median(i, t, b))
			}
			if len(bes) > 1 {
				line += fmt.Sprintf("%.2f\t", r.Median(i, t, 0)/r.Median(i, t, len(bes)-1))
			}
			fmt.Fprintln(tw, line)
		}
	}
	tw.Flush()
	for t, th := range r.Threads {
		line := fmt.Sprintf("step GEMM time (all shapes × calls per step), threads %d:", th)
		for b, be := range bes {
			line += fmt.Sprintf("  %s %.4g ms", be, r.StepSeconds(t, b)*1e3)
		}
		if len(bes) > 1 {
			line += fmt.Sprintf("  speed ratio %s/%s %.2f", bes[0], bes[len(bes)-1], r.StepSeconds(t, len(bes)-1)/r.StepSeconds(t, 0))
		}
		fmt.Fprintln(w, line)
	}
}
