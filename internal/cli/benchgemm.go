package cli

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"midas/internal/eval"
	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/stats"
)

// gemmProblem is one timed GEMM with its operands.
type gemmProblem struct {
	model.GemmShape
	a, b, c       []float32
	lda, ldb, ldc int
}

func newGemmProblem(s model.GemmShape, rng *rand.Rand) *gemmProblem {
	p := &gemmProblem{GemmShape: s, lda: s.K, ldb: s.N, ldc: s.N}
	if s.TransA {
		p.lda = s.M
	}
	if s.TransB {
		p.ldb = s.K
	}
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = rng.Float32()*2 - 1
		}
		return x
	}
	p.a, p.b, p.c = fill(s.M*s.K), fill(s.K*s.N), fill(s.M*s.N)
	return p
}

func (p *gemmProblem) run() {
	kern.Gemm(p.TransA, p.TransB, p.M, p.N, p.K, 1, p.a, p.lda, p.b, p.ldb, p.Beta, p.c, p.ldc)
}

// flops is 2·m·n·k, the multiply-adds of one call counted as two operations.
func (p *gemmProblem) flops() float64 { return 2 * float64(p.M) * float64(p.N) * float64(p.K) }

// alternate times single calls with each backend in turn — one call each, round robin — until every
// backend has had at least two calls and the round has lasted len(backends)·minTime, after one untimed
// call each. It appends each call's GFLOP/s to out[b]. Alternating call by call puts every backend
// under the same contention, however short its bursts on a shared machine.
func (p *gemmProblem) alternate(backends []string, minTime time.Duration, out [][]float64) error {
	for _, be := range backends {
		if err := kern.SetBackend(be); err != nil {
			return err
		}
		p.run()
	}
	budget := time.Duration(len(backends)) * minTime
	start := time.Now()
	for calls := 0; calls < 2 || time.Since(start) < budget; calls++ {
		for b, be := range backends {
			if err := kern.SetBackend(be); err != nil {
				return err
			}
			t0 := time.Now()
			p.run()
			out[b] = append(out[b], p.flops()/time.Since(t0).Seconds()/1e9)
		}
	}
	return nil
}

// runBenchGemm times every GEMM shape of one training step of cfg (and square³ if square > 0) with each backend
// and thread count. The measurements are interleaved — round after round over all shapes, and within a
// round the backends alternate call by call on the same shape — so that the ratios compare like with
// like on a shared, noisy machine. It prints the median over all timed calls, the ratio of the first
// backend to the last, and the same for the whole step's GEMM time (each shape weighted by its calls
// per step).
func runBenchGemm(cfg model.Config, batch int, backends []string, threads []int, rounds, square int, minTime time.Duration, plotPrefix string, stdout, stderr io.Writer) error {
	avail := kern.Backends()
	if len(backends) == 0 {
		backends = []string{avail[0]}
		if slices.Contains(avail, "openblas") && avail[0] != "openblas" {
			backends = append(backends, "openblas")
		}
		if !slices.Contains(avail, "openblas") {
			fmt.Fprintln(stderr, "bench --gemm: this build has no OpenBLAS backend to compare with (build with -tags openblas, needs libopenblas-dev)")
		}
	}
	for _, be := range backends {
		if !slices.Contains(avail, be) {
			return fmt.Errorf("--backends: %q is not available here (have %s)", be, strings.Join(avail, ", "))
		}
	}
	if plotPrefix != "" { // fail before the long measurement, not after it
		if fi, err := os.Stat(filepath.Dir(plotPrefix)); err != nil || !fi.IsDir() {
			return fmt.Errorf("--plot: directory %s does not exist", filepath.Dir(plotPrefix))
		}
	}
	prev, prevThreads := kern.Backend(), kern.Threads()
	defer func() { kern.SetBackend(prev); kern.SetThreads(prevThreads) }()

	shapes := cfg.GemmShapes(batch * cfg.SeqLen)
	if square > 0 {
		shapes = append([]model.GemmShape{{Name: "square", M: square, N: square, K: square}}, shapes...)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	probs := make([]*gemmProblem, len(shapes))
	for i, s := range shapes {
		probs[i] = newGemmProblem(s, rng)
	}
	// res[shape][thread][backend] collects the GFLOP/s of every timed call.
	res := make([][][][]float64, len(probs))
	for i := range res {
		res[i] = make([][][]float64, len(threads))
		for t := range res[i] {
			res[i][t] = make([][]float64, len(backends))
		}
	}
	if slices.Contains(backends, "openblas") {
		if os.Getenv("OPENBLAS_CORETYPE") == "" {
			fmt.Fprintln(stderr, "bench --gemm: OPENBLAS_CORETYPE is not set; under a hypervisor OpenBLAS may pick slow kernels (set OPENBLAS_CORETYPE=SapphireRapids or SkylakeX)")
		}
		if os.Getenv("OPENBLAS_THREAD_TIMEOUT") == "" && slices.Max(threads) > 1 {
			fmt.Fprintln(stderr, "bench --gemm: OPENBLAS_THREAD_TIMEOUT is not set; OpenBLAS's threads then spin for ~0.1 s after each call and slow whatever runs next on the other cores (set OPENBLAS_THREAD_TIMEOUT=4 for a fair comparison)")
		}
	}
	prog := newProgress(stderr, int64(rounds*len(probs)), "gemm")
	for r := 0; r < rounds; r++ {
		for i, p := range probs {
			for t, th := range threads {
				kern.SetThreads(th)
				if err := p.alternate(backends, minTime, res[i][t]); err != nil {
					return err
				}
			}
			prog.Set(int64(r*len(probs)+i+1), fmt.Sprintf("gemm round %d/%d", r+1, rounds))
		}
	}
	prog.Done()
	printGemmTable(probs, backends, threads, res, stdout)
	fmt.Fprintf(stdout, "medians of single calls: %d round(s), backends alternating call by call for ≥ %v each per round and shape; batch %d × seq %d tokens\n", rounds, minTime, batch, cfg.SeqLen)
	if plotPrefix == "" {
		return nil
	}
	return plotGemm(plotPrefix, probs, backends, threads, res, stdout)
}

// printGemmTable prints the median GFLOP/s of every shape, thread count and backend (res[shape][thread]
// [backend] holds the single calls' figures), the first/last backend ratio, and each backend's GEMM
// time for one training step (every shape times its calls per step, at the median rate).
func printGemmTable(probs []*gemmProblem, backends []string, threads []int, res [][][][]float64, stdout io.Writer) {
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	hdr := "shape\top\tm×n×k\tthreads\t"
	for _, be := range backends {
		hdr += be + " GFLOP/s\t"
	}
	if len(backends) > 1 {
		hdr += fmt.Sprintf("%s/%s\t", backends[0], backends[len(backends)-1])
	}
	fmt.Fprintln(tw, hdr)
	// stepTime[t][b]: seconds of GEMM per training step at the median rates.
	stepTime := make([][]float64, len(threads))
	for t := range stepTime {
		stepTime[t] = make([]float64, len(backends))
	}
	for i, p := range probs {
		op := map[[2]bool]string{{false, false}: "nn", {false, true}: "nt", {true, false}: "tn", {true, true}: "tt"}[[2]bool{p.TransA, p.TransB}]
		for t, th := range threads {
			line := fmt.Sprintf("%s\t%s\t%dx%dx%d\t%d\t", p.Name, op, p.M, p.N, p.K, th)
			meds := make([]float64, len(backends))
			for b := range backends {
				meds[b] = stats.Median(res[i][t][b])
				line += fmt.Sprintf("%.1f\t", meds[b])
				stepTime[t][b] += float64(p.PerStep) * p.flops() / (meds[b] * 1e9)
			}
			if len(backends) > 1 {
				line += fmt.Sprintf("%.2f\t", meds[0]/meds[len(meds)-1])
			}
			fmt.Fprintln(tw, line)
		}
	}
	tw.Flush()
	for t, th := range threads {
		line := fmt.Sprintf("step GEMM time (all shapes × calls per step), threads %d:", th)
		for b, be := range backends {
			line += fmt.Sprintf("  %s %.4g ms", be, stepTime[t][b]*1e3)
		}
		if len(backends) > 1 {
			line += fmt.Sprintf("  speed ratio %s/%s %.2f", backends[0], backends[len(backends)-1], stepTime[t][len(backends)-1]/stepTime[t][0])
		}
		fmt.Fprintln(stdout, line)
	}
}

// plotGemm draws PREFIX-t<threads>.png: median GFLOP/s per shape, one bar per backend.
func plotGemm(plotPrefix string, probs []*gemmProblem, backends []string, threads []int, res [][][][]float64, stdout io.Writer) error {
	names := make([]string, len(probs))
	for i, p := range probs {
		names[i] = p.Name
	}
	for t, th := range threads {
		bars := make([]eval.Bars, len(backends))
		for b, be := range backends {
			bars[b].Name = be
			for i := range probs {
				bars[b].Values = append(bars[b].Values, stats.Median(res[i][t][b]))
			}
		}
		path := fmt.Sprintf("%s-t%d.png", plotPrefix, th)
		title := fmt.Sprintf("GEMM of one training step, %d thread(s) (medians of single calls)", th)
		if err := eval.BarPlot(path, title, "GFLOP/s", names, bars...); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "plot: %s\n", path)
	}
	return nil
}
