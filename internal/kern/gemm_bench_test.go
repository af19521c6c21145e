package kern

import (
	"fmt"
	"math/rand"
	"testing"
)

// gemmBench is one benchmark problem. The names give the transposition (nn, nt, tn) and the role in
// training the small model (SPEC.md; `midas bench --gemm` derives the same list from any config):
// M = batch·seq = 2048 tokens, width 256, FFN hidden 683 (gate|up fused: 1366), q|k|v fused (768),
// vocabulary 512. nt = forward Y = X·Wᵀ, nn = backward dX = dY·W, tn = backward dW += dYᵀ·X
// (m = out, n = in, k = tokens, beta = 1); attn = one attention head of width 64 as a strided view
// of a 256-wide matrix.
type gemmBench struct {
	name           string
	transA, transB bool
	m, n, k        int
	lda, ldb, ldc  int // 0: tight
	beta           float32
}

var gemmBenches = []gemmBench{
	{name: "nn", m: 1024, n: 1024, k: 1024},
	{name: "nt", transB: true, m: 2048, n: 768, k: 256},
	{name: "nt", transB: true, m: 2048, n: 256, k: 256, beta: 1},
	{name: "nt", transB: true, m: 2048, n: 1366, k: 256},
	{name: "nt", transB: true, m: 2048, n: 256, k: 683, beta: 1},
	{name: "nt", transB: true, m: 2048, n: 512, k: 256},
	{name: "nn", m: 2048, n: 256, k: 512},
	{name: "nn", m: 2048, n: 683, k: 256},
	{name: "nn", m: 2048, n: 256, k: 1366},
	{name: "nn", m: 2048, n: 256, k: 256},
	{name: "nn", m: 2048, n: 256, k: 768},
	{name: "tn", transA: true, m: 512, n: 256, k: 2048, beta: 1},
	{name: "tn", transA: true, m: 256, n: 683, k: 2048, beta: 1},
	{name: "tn", transA: true, m: 1366, n: 256, k: 2048, beta: 1},
	{name: "tn", transA: true, m: 256, n: 256, k: 2048, beta: 1},
	{name: "tn", transA: true, m: 768, n: 256, k: 2048, beta: 1},
	{name: "attnNT", transB: true, m: 256, n: 256, k: 64, lda: 256, ldb: 256, ldc: 256},
	{name: "attnNN", m: 256, n: 64, k: 256, lda: 256, ldb: 256, ldc: 256},
}

// BenchmarkGemm reports GFLOP/s (2·m·n·k per call) as BenchmarkGemm/<name>_<M>x<N>x<K>/t<threads>/<backend>
// for every backend of this build. The backends of one shape run next to each other, so that in the
// openblas build (which holds the native backends too) each comparison is made in one process, close
// in time: `OPENBLAS_THREAD_TIMEOUT=4 OPENBLAS_CORETYPE=SapphireRapids go test -tags openblas -bench Gemm
// ./internal/kern/` (without the timeout, OpenBLAS's threads spin ~0.1 s after its last call and slow the
// benchmark that follows; without the core type, Debian's OpenBLAS may pick SSE3 kernels in a VM).
// `midas bench --gemm` makes the same comparison alternating the backends call by call.
func BenchmarkGemm(b *testing.B) {
	for _, g := range gemmBenches {
		for _, threads := range []int{1, 2} {
			for _, be := range Backends() {
				name := fmt.Sprintf("%s_%dx%dx%d/t%d/%s", g.name, g.m, g.n, g.k, threads, be)
				b.Run(name, func(b *testing.B) {
					withBackend(b, be, func() {
						withThreads(threads, func() { benchGemm(b, g) })
					})
				})
			}
		}
	}
}

func benchGemm(b *testing.B, g gemmBench) {
	ar, ac := g.m, g.k
	if g.transA {
		ar, ac = g.k, g.m
	}
	br, bc := g.k, g.n
	if g.transB {
		br, bc = g.n, g.k
	}
	lda, ldb, ldc := max(g.lda, ac), max(g.ldb, bc), max(g.ldc, g.n)
	rng := rand.New(rand.NewSource(1))
	a := make([]float32, (ar-1)*lda+ac)
	x := make([]float32, (br-1)*ldb+bc)
	c := make([]float32, (g.m-1)*ldc+g.n)
	gemmFill(rng, a)
	gemmFill(rng, x)
	Gemm(g.transA, g.transB, g.m, g.n, g.k, 1, a, lda, x, ldb, g.beta, c, ldc) // warm up buffers
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Gemm(g.transA, g.transB, g.m, g.n, g.k, 1, a, lda, x, ldb, g.beta, c, ldc)
	}
	b.StopTimer() // ReportMetric allocates; keep it out of allocs/op
	flops := 2 * float64(g.m) * float64(g.n) * float64(g.k) * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkGenericTiles compares the two tiles of the pure Go backend on one CPU, in one process:
// BenchmarkGenericTiles/<shape>/<tile>, GFLOP/s at one thread. On amd64 "4x4" is the tile the
// generic backend used before the 3×2 one (it spills there).
func BenchmarkGenericTiles(b *testing.B) {
	prev := gemmCur.Load()
	defer gemmCur.Store(prev)
	tiles := map[string]*gemmBackend{"3x2": newGemmGeneric("amd64"), "4x4": newGemmGeneric("arm64")}
	for _, g := range gemmBenches {
		for _, name := range []string{"3x2", "4x4"} {
			b.Run(fmt.Sprintf("%s_%dx%dx%d/%s", g.name, g.m, g.n, g.k, name), func(b *testing.B) {
				gemmCur.Store(tiles[name])
				withThreads(1, func() { benchGemm(b, g) })
			})
		}
	}
}
