package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"midas/internal/eval"
	"midas/internal/kern"
	"midas/internal/model"
	"midas/internal/stats"
)

// GemmOptions configure a GEMM benchmark: every shape of one training step of Model on Batch
// sequences, timed per backend and thread count.
type GemmOptions struct {
	Model    model.Config
	Batch    int
	Backends []string      // nil: the fastest native backend, and openblas when it is built in
	Threads  []int         // thread counts, each timed
	Rounds   int           // rounds over all shapes
	Square   int           // > 0: also an N×N×N product, timed first
	MinTime  time.Duration // each backend's least time per round and shape
	Plot     string        // PREFIX of PlotGemm's files, whose directory NewGemm checks; "": no plots
}

// Gemm is a prepared GEMM benchmark: backends checked, operands filled.
type Gemm struct {
	Notes []string // about this build and environment, worth showing before the measurement
	o     GemmOptions
	probs []*gemmProblem
}

// GemmResult holds the GFLOP/s of every timed call.
type GemmResult struct {
	Shapes   []model.GemmShape
	Backends []string
	Threads  []int
	Calls    [][][][]float64 // Calls[shape][thread][backend]: one figure per timed call
}

// NewGemm resolves and checks the backends, checks the directory of o.Plot (before the long
// measurement, not after it) and fills the operands of every shape from a fixed seed.
func NewGemm(o GemmOptions) (*Gemm, error) {
	g := &Gemm{o: o}
	avail := kern.Backends()
	if len(g.o.Backends) == 0 {
		g.o.Backends = []string{avail[0]}
		if slices.Contains(avail, "openblas") && avail[0] != "openblas" {
			g.o.Backends = append(g.o.Backends, "openblas")
		}
		if !slices.Contains(avail, "openblas") {
			g.Notes = append(g.Notes, "this build has no OpenBLAS backend to compare with (build with -tags openblas, needs libopenblas-dev)")
		}
	}
	for _, be := range g.o.Backends {
		if !slices.Contains(avail, be) {
			return nil, fmt.Errorf("bench: --backends: %q is not available here (have %s)", be, strings.Join(avail, ", "))
		}
	}
	if o.Plot != "" {
		if fi, err := os.Stat(filepath.Dir(o.Plot)); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("bench: --plot: directory %s does not exist", filepath.Dir(o.Plot))
		}
	}
	shapes := o.Model.GemmShapes(o.Batch * o.Model.SeqLen)
	if o.Square > 0 {
		shapes = append([]model.GemmShape{{Name: "square", M: o.Square, N: o.Square, K: o.Square}}, shapes...)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range shapes {
		g.probs = append(g.probs, newGemmProblem(s, rng))
	}
	g.Notes = append(g.Notes, openBLASNotes(g.o.Backends, o.Threads)...)
	return g, nil
}

// openBLASNotes warns about OpenBLAS settings that make it slow, when openblas is among the backends.
func openBLASNotes(backends []string, threads []int) []string {
	if !slices.Contains(backends, "openblas") {
		return nil
	}
	var notes []string
	if os.Getenv("OPENBLAS_CORETYPE") == "" {
		notes = append(notes, "OPENBLAS_CORETYPE is not set; under a hypervisor OpenBLAS may pick slow kernels (set OPENBLAS_CORETYPE=SapphireRapids or SkylakeX)")
	}
	if os.Getenv("OPENBLAS_THREAD_TIMEOUT") == "" && slices.Max(threads) > 1 {
		notes = append(notes, "OPENBLAS_THREAD_TIMEOUT is not set; OpenBLAS's threads then spin for ~0.1 s after each call and slow whatever runs next on the other cores (set OPENBLAS_THREAD_TIMEOUT=4 for a fair comparison)")
	}
	return notes
}

// Total is the number of progress units of Run: rounds × shapes.
func (g *Gemm) Total() int64 { return int64(g.o.Rounds * len(g.probs)) }

// Run times every shape with each backend and thread count. The measurements are interleaved —
// round after round over all shapes, and within a round the backends alternate call by call on the
// same shape — so that the ratios compare like with like on a shared, noisy machine. progress, if not
// nil, is told the units done (of Total) and the round after every shape. The backend and thread count
// in use before are restored.
func (g *Gemm) Run(progress func(done int64, desc string)) (GemmResult, error) {
	prev, prevThreads := kern.Backend(), kern.Threads()
	defer func() { kern.SetBackend(prev); kern.SetThreads(prevThreads) }()
	r := GemmResult{Backends: g.o.Backends, Threads: g.o.Threads, Calls: make([][][][]float64, len(g.probs))}
	for i, p := range g.probs {
		r.Shapes = append(r.Shapes, p.GemmShape)
		r.Calls[i] = make([][][]float64, len(g.o.Threads))
		for t := range r.Calls[i] {
			r.Calls[i][t] = make([][]float64, len(g.o.Backends))
		}
	}
	for round := 0; round < g.o.Rounds; round++ {
		for i, p := range g.probs {
			for t, th := range g.o.Threads {
				kern.SetThreads(th)
				if err := p.alternate(g.o.Backends, g.o.MinTime, r.Calls[i][t]); err != nil {
					return GemmResult{}, err
				}
			}
			if progress != nil {
				progress(int64(round*len(g.probs)+i+1), fmt.Sprintf("gemm round %d/%d", round+1, g.o.Rounds))
			}
		}
	}
	return r, nil
}

// Median is the median GFLOP/s of shape s at thread count t with backend b.
func (r GemmResult) Median(s, t, b int) float64 { return stats.Median(r.Calls[s][t][b]) }

// StepSeconds is backend b's GEMM time of one training step at thread count t: every shape's calls per
// step at its median rate.
func (r GemmResult) StepSeconds(t, b int) float64 {
	var sec float64
	for i, s := range r.Shapes {
		sec += float64(s.PerStep) * Flops(s) / (r.Median(i, t, b) * 1e9)
	}
	return sec
}

// StepFLOPs is the GEMM work of one training step: every shape's calls per step (the square excluded).
func (r GemmResult) StepFLOPs() float64 {
	var f float64
	for _, s := range r.Shapes {
		f += float64(s.PerStep) * Flops(s)
	}
	return f
}

// Flops is 2·m·n·k, the multiply-adds of one call counted as two operations.
func Flops(s model.GemmShape) float64 { return 2 * float64(s.M) * float64(s.N) * float64(s.K) }

// PlotGemm draws PREFIX-t<threads>.png per thread count of r: median GFLOP/s per shape, one bar per
// backend. It returns the files written, also those before an error.
func PlotGemm(prefix string, r GemmResult) ([]string, error) {
	names := make([]string, len(r.Shapes))
	for i, s := range r.Shapes {
		names[i] = s.Name
	}
	var written []string
	for t, th := range r.Threads {
		bars := make([]eval.Bars, len(r.Backends))
		for b, be := range r.Backends {
			bars[b].Name = be
			for i := range r.Shapes {
				bars[b].Values = append(bars[b].Values, r.Median(i, t, b))
			}
		}
		path := fmt.Sprintf("%s-t%d.png", prefix, th)
		title := fmt.Sprintf("GEMM of one training step, %d thread(s) (medians of single calls)", th)
		if err := eval.BarPlot(path, title, "GFLOP/s", names, bars...); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

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
			out[b] = append(out[b], Flops(p.GemmShape)/time.Since(t0).Seconds()/1e9)
		}
	}
	return nil
}
