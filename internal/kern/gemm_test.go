package kern

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// withBackend runs f with the named backend selected and restores the previous one.
func withBackend(t testing.TB, name string, f func()) {
	t.Helper()
	prev := Backend()
	if err := SetBackend(name); err != nil {
		t.Fatal(err)
	}
	defer SetBackend(prev)
	f()
}

// withThreads runs f with a pool of n workers and restores the previous size.
func withThreads(n int, f func()) {
	prev := Threads()
	SetThreads(n)
	defer SetThreads(prev)
	f()
}

// gemmCase is one GEMM problem. The stored matrices get ld = (row length) + pad.
type gemmCase struct {
	m, n, k int
	pad     int
}

// gemmShapes covers degenerate sizes, the micro-tiles of every backend ±1 (12×32 and 6×16 and 4×4),
// the K block (256) ±1 so that C is accumulated over several K blocks, the M block of the AVX-512
// backend (192) +1, and the model shapes of SPEC.md divided by 16 (2048×683×256 → 128×43×16, …).
var gemmShapes = []gemmCase{
	{0, 5, 3, 0}, {4, 0, 3, 0}, {4, 5, 0, 0}, {1, 1, 1, 0}, {3, 5, 7, 1}, {13, 17, 19, 3},
	{11, 31, 5, 0}, {12, 32, 8, 0}, {13, 33, 9, 2}, {5, 15, 4, 0}, {6, 16, 6, 0}, {7, 17, 7, 1},
	{3, 3, 3, 0}, {4, 4, 4, 0}, {5, 5, 5, 0}, {24, 64, 255, 0}, {25, 65, 256, 1}, {12, 32, 257, 0},
	{65, 127, 33, 0}, {193, 20, 17, 2}, {30, 70, 513, 0},
	{128, 16, 16, 0}, {128, 43, 16, 1}, {128, 16, 43, 0}, {128, 32, 16, 0}, {16, 16, 128, 0},
	{16, 4, 16, 5}, {16, 16, 4, 5},
}

// gemmFill fills x with values in [-1, 1) from rng.
func gemmFill(rng *rand.Rand, x []float32) {
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
}

// gemmSentinel marks C's guard zone and ld padding; it must survive every call bit for bit.
const gemmSentinel = float32(-12345.25)

// gemmGuard is the number of sentinel floats before and after C.
const gemmGuard = 37

// gemmOperands builds A, B (ld-padded) and C (guarded, ld-padded) for one case. C holds random values,
// or NaN if nanC (beta == 0 must overwrite it without reading).
func gemmOperands(rng *rand.Rand, tc gemmCase, transA, transB, nanC bool) (a []float32, lda int, b []float32, ldb int, cbuf []float32, ldc int) {
	ar, ac := tc.m, tc.k
	if transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if transB {
		br, bc = tc.n, tc.k
	}
	lda, ldb, ldc = ac+tc.pad, bc+tc.pad, tc.n+tc.pad
	a = make([]float32, ar*lda)
	b = make([]float32, br*ldb)
	gemmFill(rng, a)
	gemmFill(rng, b)
	cbuf = make([]float32, 2*gemmGuard+tc.m*ldc)
	for i := range cbuf {
		cbuf[i] = gemmSentinel
	}
	c := cbuf[gemmGuard : gemmGuard+tc.m*ldc]
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			c[i*ldc+j] = 2*rng.Float32() - 1
			if nanC {
				c[i*ldc+j] = float32(math.NaN())
			}
		}
	}
	return
}

// gemmTolerance is the error bound for element (i,j) of a float32 GEMM against the exact result:
// a dot product of length k accumulated in float32 in any order is within γ_k·Σ|a||b| ≈ k·ε·Σ|a||b|
// of the exact value (Higham, Accuracy and Stability of Numerical Algorithms, §3.1), and scaling by
// alpha and adding beta·c add a few more roundings. Fast and naive both satisfy it, so their difference
// is within twice the bound; we use (k+4)·ε·(|alpha|·Σ|a||b| + |beta·c|) per side.
func gemmTolerance(k int, alpha, beta float32, absDot, c float64) float64 {
	const eps = 0x1p-24 // float32 unit roundoff
	return 2 * float64(k+4) * eps * (math.Abs(float64(alpha))*absDot + math.Abs(float64(beta)*c))
}

// gemmAt returns op(X)[r, q] for a row-major X with stride ld.
func gemmAt(x []float32, trans bool, ld, r, q int) float32 {
	if trans {
		return x[q*ld+r]
	}
	return x[r*ld+q]
}

// bf16Round returns alpha·x with every element rounded to bfloat16, as a bf16 backend packs it.
func bf16Round(alpha float32, x []float32) []float32 {
	r := make([]float32, len(x))
	for i, v := range x {
		r[i] = math.Float32frombits(uint32(bf16(alpha*v)) << 16)
	}
	return r
}

// oracleInputs returns what GemmNaive must multiply to be the current backend's twin: the operands
// themselves, or for a bf16 backend alpha·A and B rounded to bf16 (with alpha then 1). The
// float32 tolerance then applies to both.
func oracleInputs(alpha float32, a, b []float32) (float32, []float32, []float32) {
	if !gemmCur.Load().bf16 {
		return alpha, a, b
	}
	return 1, bf16Round(alpha, a), bf16Round(1, b)
}

// checkGemmAgainstNaive runs fn and GemmNaive on the same case and compares them element-wise with
// gemmTolerance, and checks that the guard zone and the ld padding of C are untouched.
func checkGemmAgainstNaive(t *testing.T, fn func(bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int), tc gemmCase, transA, transB bool, alpha, beta float32) {
	t.Helper()
	rng := rand.New(rand.NewSource(int64(tc.m*1000003 + tc.n*1009 + tc.k)))
	a, lda, b, ldb, got, ldc := gemmOperands(rng, tc, transA, transB, beta == 0)
	want := append([]float32(nil), got...)
	cin := append([]float32(nil), got...)
	fn(transA, transB, tc.m, tc.n, tc.k, alpha, a, lda, b, ldb, beta, got[gemmGuard:len(got)-gemmGuard], ldc)
	alpha, a, b = oracleInputs(alpha, a, b)
	GemmNaive(transA, transB, tc.m, tc.n, tc.k, alpha, a, lda, b, ldb, beta, want[gemmGuard:len(want)-gemmGuard], ldc)
	for idx := range got {
		pos := idx - gemmGuard
		i, j := pos/max(ldc, 1), pos%max(ldc, 1)
		inside := pos >= 0 && pos < tc.m*ldc && j < tc.n
		if !inside {
			if math.Float32bits(got[idx]) != math.Float32bits(gemmSentinel) {
				t.Fatalf("guard/padding at offset %d (row %d col %d) changed: %v", pos, i, j, got[idx])
			}
			continue
		}
		var absDot float64
		for p := 0; p < tc.k; p++ {
			absDot += math.Abs(float64(gemmAt(a, transA, lda, i, p)) * float64(gemmAt(b, transB, ldb, p, j)))
		}
		cOld := float64(cin[idx])
		if beta == 0 {
			cOld = 0
		}
		tol := gemmTolerance(tc.k, alpha, beta, absDot, cOld)
		if d := math.Abs(float64(got[idx]) - float64(want[idx])); !(d <= tol) {
			t.Fatalf("C[%d,%d] = %v, naive %v, |diff| %g > tol %g", i, j, got[idx], want[idx], d, tol)
		}
	}
}

// TestGemmMatchesNaive checks every available backend, Gemm and GemmSerial, against the oracle over
// the shape table, all transpose combinations, alpha ∈ {1, 0.5}, beta ∈ {0, 1, -0.3}.
func TestGemmMatchesNaive(t *testing.T) {
	for _, be := range Backends() {
		withBackend(t, be, func() {
			for _, tc := range gemmShapes {
				for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
					for _, alpha := range []float32{1, 0.5} {
						for _, beta := range []float32{0, 1, -0.3} {
							name := fmt.Sprintf("%s/%dx%dx%d_pad%d/tA%v_tB%v/a%v_b%v", be, tc.m, tc.n, tc.k, tc.pad, tr[0], tr[1], alpha, beta)
							t.Run(name, func(t *testing.T) {
								checkGemmAgainstNaive(t, Gemm, tc, tr[0], tr[1], alpha, beta)
								checkGemmAgainstNaive(t, GemmSerial, tc, tr[0], tr[1], alpha, beta)
							})
						}
					}
				}
			}
		})
	}
}

// TestGemmStridedViews runs the attention pattern: per-head views into wider matrices
// (lda = ldb = ldc = model width), here 4 heads of 16 columns over T = 40 rows.
func TestGemmStridedViews(t *testing.T) {
	const tt, h, d = 40, 4, 16
	c := h * d
	rng := rand.New(rand.NewSource(7))
	q := make([]float32, tt*c)
	v := make([]float32, tt*c)
	gemmFill(rng, q)
	gemmFill(rng, v)
	for _, be := range Backends() {
		withBackend(t, be, func() {
			for hh := 0; hh < h; hh++ {
				s, sWant := make([]float32, tt*tt), make([]float32, tt*tt)
				GemmSerial(false, true, tt, tt, d, 0.25, q[hh*d:], c, q[hh*d:], c, 0, s, tt)
				alpha, qa, qb := oracleInputs(0.25, q, q)
				GemmNaive(false, true, tt, tt, d, alpha, qa[hh*d:], c, qb[hh*d:], c, 0, sWant, tt)
				for i := range s {
					// |q·q| ≤ 16 with k = 16: (16+4)·2^-23·0.25·16 bounds both.
					if d := math.Abs(float64(s[i] - sWant[i])); d > 20*0x1p-23*4 {
						t.Fatalf("%s head %d: s[%d] = %v, naive %v", be, hh, i, s[i], sWant[i])
					}
				}
				y, yWant := make([]float32, tt*c), make([]float32, tt*c)
				Gemm(false, false, tt, d, tt, 1, s, tt, v[hh*d:], c, 0, y[hh*d:], c)
				alpha, sa, vb := oracleInputs(1, s, v)
				GemmNaive(false, false, tt, d, tt, alpha, sa, tt, vb[hh*d:], c, 0, yWant[hh*d:], c)
				for i := range y {
					// |s| ≤ 0.25·16 and |v| ≤ 1 with k = 40: (40+4)·2^-24·2·(16·4·40) bounds both products.
					if d := math.Abs(float64(y[i] - yWant[i])); d > 44*0x1p-23*2560 {
						t.Fatalf("%s head %d: y[%d] = %v, naive %v", be, hh, i, y[i], yWant[i])
					}
				}
			}
		})
	}
}

// TestGemmThreadIndependence checks that Gemm gives bitwise the same C with 1, 2 and 3 workers, and
// the same as GemmSerial, for shapes above the parallel threshold split along M and along N.
func TestGemmThreadIndependence(t *testing.T) {
	cases := []gemmCase{{200, 150, 300, 1}, {70, 300, 260, 0}, {257, 97, 64, 0}}
	for _, be := range Backends() {
		if be == "openblas" {
			continue // OpenBLAS does not promise thread-count independence
		}
		withBackend(t, be, func() {
			for _, tc := range cases {
				for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
					rng := rand.New(rand.NewSource(11))
					a, lda, b, ldb, c0, ldc := gemmOperands(rng, tc, tr[0], tr[1], false)
					run := func(threads int, serial bool) []float32 {
						c := append([]float32(nil), c0...)
						withThreads(threads, func() {
							f := Gemm
							if serial {
								f = GemmSerial
							}
							f(tr[0], tr[1], tc.m, tc.n, tc.k, 0.5, a, lda, b, ldb, -0.3, c[gemmGuard:len(c)-gemmGuard], ldc)
						})
						return c
					}
					ref := run(1, true)
					for _, th := range []int{1, 2, 3} {
						got := run(th, false)
						for i := range ref {
							if math.Float32bits(got[i]) != math.Float32bits(ref[i]) {
								t.Fatalf("%s %v tA=%v tB=%v threads=%d: c[%d] = %v, serial %v", be, tc, tr[0], tr[1], th, i, got[i], ref[i])
							}
						}
					}
				}
			}
		})
	}
}

// TestGemmPanics checks that shape misuse panics with a message naming the argument.
func TestGemmPanics(t *testing.T) {
	buf := make([]float32, 100)
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"negative m", func() { Gemm(false, false, -1, 2, 2, 1, buf, 2, buf, 2, 0, buf, 2) }, "negative dimension"},
		{"lda small", func() { Gemm(false, false, 2, 2, 3, 1, buf, 2, buf, 2, 0, buf, 2) }, "lda=2 < 3"},
		{"lda small transA", func() { Gemm(true, false, 4, 2, 3, 1, buf, 3, buf, 2, 0, buf, 2) }, "lda=3 < 4"},
		{"ldb small transB", func() { Gemm(false, true, 2, 2, 3, 1, buf, 3, buf, 2, 0, buf, 2) }, "ldb=2 < 3"},
		{"ldc small", func() { GemmSerial(false, false, 2, 3, 2, 1, buf, 2, buf, 3, 0, buf, 2) }, "ldc=2 < 3"},
		{"short a", func() { Gemm(false, false, 4, 3, 3, 1, buf[:10], 3, buf, 3, 0, buf, 3) }, "len(a)=10 < 12"},
		{"short b", func() { Gemm(false, true, 2, 5, 3, 1, buf, 3, buf[:14], 3, 0, buf, 5) }, "len(b)=14 < 15"},
		{"short c", func() { GemmNaive(false, false, 2, 3, 2, 1, buf, 2, buf, 3, 0, buf[:6], 4) }, "len(c)=6 < 7"},
		{"exact c", func() { GemmNaive(false, false, 2, 3, 2, 1, buf, 2, buf, 3, 0, buf[:7], 4) }, ""}, // (2-1)·4+3 = 7 suffices
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if tc.want == "" {
					if r != nil {
						t.Fatalf("unexpected panic %v", r)
					}
					return
				}
				msg, _ := r.(string)
				if !strings.HasPrefix(msg, "kern: ") || !strings.Contains(msg, tc.want) {
					t.Fatalf("panic %q, want kern: ... %q", msg, tc.want)
				}
			}()
			tc.f()
		})
	}
}

// TestGemmNoAlloc checks that a warmed-up parallel Gemm does not allocate.
func TestGemmNoAlloc(t *testing.T) {
	m, n, k := 256, 128, 64 // 2^21 multiply-adds: above gemmParallelMin, so the pool is used
	a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	withThreads(2, func() {
		Gemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
		if allocs := testing.AllocsPerRun(20, func() { Gemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) }); allocs != 0 {
			t.Fatalf("Gemm allocates %v times per call", allocs)
		}
	})
}

// TestSetBackend checks the error cases and that Backend reports the choice.
func TestSetBackend(t *testing.T) {
	prev := Backend()
	defer SetBackend(prev)
	if err := SetBackend("sse9"); err == nil || !strings.HasPrefix(err.Error(), "kern: ") {
		t.Fatalf("unknown backend: err = %v", err)
	}
	for _, name := range Backends() {
		if err := SetBackend(name); err != nil || Backend() != name {
			t.Fatalf("SetBackend(%q) = %v, Backend() = %q", name, err, Backend())
		}
	}
	if Backend() != prev && SetBackend(prev) != nil {
		t.Fatal("cannot restore backend")
	}
}

// TestGemmRandomShapes checks every backend against the oracle on random shapes, transpositions,
// strides and scalars (seeded), to reach combinations the table misses.
func TestGemmRandomShapes(t *testing.T) {
	rng := rand.New(rand.NewSource(20240917))
	n := 150
	if testing.Short() {
		n = 30
	}
	scalars := []float32{0, 1, -1, 0.5, 2.25, -0.3}
	for _, be := range Backends() {
		withBackend(t, be, func() {
			for i := 0; i < n; i++ {
				tc := gemmCase{m: 1 + rng.Intn(40), n: 1 + rng.Intn(70), k: 1 + rng.Intn(300), pad: rng.Intn(4)}
				tA, tB := rng.Intn(2) == 1, rng.Intn(2) == 1
				alpha, beta := scalars[1+rng.Intn(len(scalars)-1)], scalars[rng.Intn(len(scalars))]
				t.Run(fmt.Sprintf("%s/%d", be, i), func(t *testing.T) {
					checkGemmAgainstNaive(t, Gemm, tc, tA, tB, alpha, beta)
				})
			}
		})
	}
}

// TestGemmPacked: GemmPacked with PackB's panels is bitwise Gemm for every backend, thread count,
// transposition, several K blocks and edge tiles, with beta 0 and 1, also after B changed in place and
// Repack; a packing made for another backend falls back to Gemm, and Repack packs it for the one in use.
func TestGemmPacked(t *testing.T) {
	prevB, prevT := Backend(), Threads()
	defer func() { SetBackend(prevB); SetThreads(prevT) }()
	fill := centred(rand.New(rand.NewSource(3)))
	for _, be := range Backends() {
		for _, th := range []int{1, 2} {
			SetBackend(be)
			SetThreads(th)
			for _, sh := range [][3]int{{1, 96, 64}, {7, 2100, 300}, {37, 70, 600}, {200, 1366, 256}} {
				m, n, k := sh[0], sh[1], sh[2]
				for _, tr := range [][2]bool{{false, true}, {false, false}, {true, true}} {
					lda, ldb := k, k
					if tr[0] {
						lda = m
					}
					if !tr[1] {
						ldb = n
					}
					a, b := fill(m*k), fill(n*k)
					pb := PackB(tr[1], n, k, b, ldb)
					for _, beta := range []float32{0, 1} {
						c0 := fill(m * n)
						want, got := slices.Clone(c0), slices.Clone(c0)
						Gemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, beta, want, n)
						GemmPacked(tr[0], m, 1, a, lda, pb, beta, got, n)
						if !slices.Equal(got, want) {
							t.Fatalf("%s threads %d %v trans %v beta %v: packed differs from Gemm", be, th, sh, tr, beta)
						}
					}
					copy(b, fill(n*k)) // B changes in place: Repack follows it
					pb.Repack()
					want, got := fill(m*n), make([]float32, m*n)
					Gemm(tr[0], tr[1], m, n, k, 1, a, lda, b, ldb, 0, want, n)
					GemmPacked(tr[0], m, 1, a, lda, pb, 0, got, n)
					if !slices.Equal(got, want) {
						t.Fatalf("%s threads %d %v trans %v: repacked differs from Gemm", be, th, sh, tr)
					}
				}
			}
		}
	}
	SetBackend("generic")
	pb := PackB(true, 8, 8, fill(64), 8)
	if err := SetBackend(Backends()[0]); err == nil {
		a, c1, c2 := fill(64), make([]float32, 64), make([]float32, 64)
		GemmPacked(false, 8, 1, a, 8, pb, 0, c1, 8)
		Gemm(false, true, 8, 8, 8, 1, a, 8, pb.b, 8, 0, c2, 8)
		if !slices.Equal(c1, c2) {
			t.Fatal("a packing for another backend is not plain Gemm")
		}
		pb.Repack() // now packs for the backend in use
		GemmPacked(false, 8, 1, a, 8, pb, 0, c1, 8)
		if pb.be != gemmCur.Load() || !slices.Equal(c1, c2) {
			t.Fatal("Repack under another backend does not pack for it")
		}
	}
}

// centred returns a filler of fresh slices with values uniform in [-0.5, 0.5) drawn from r.
func centred(r *rand.Rand) func(n int) []float32 {
	return func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = r.Float32() - 0.5
		}
		return x
	}
}

// TestGenericTilesBitwise: the two tiles of the generic backend (3×2 on amd64 and 386, 4×4
// elsewhere) give bit for bit the same products through the whole driver, for every
// transposition, edge tiles, odd and several K blocks, beta 0 and 1, alpha ≠ 1, 1 and 2 threads.
func TestGenericTilesBitwise(t *testing.T) {
	prev := gemmCur.Load()
	defer gemmCur.Store(prev)
	tiles := []*gemmBackend{newGemmGeneric("amd64"), newGemmGeneric("arm64")}
	shapes := [][3]int{{1, 1, 1}, {3, 2, 7}, {13, 21, 301}, {97, 130, 513}, {3, 1030, 64}}
	gemmBitwiseCases(t, 11, shapes, []int{1, 2}, func(i int) { gemmCur.Store(tiles[i]) }, "the 3×2 tile differs from the 4×4")
}

// gemmBitwiseCases runs Gemm(…, alpha 0.75, …) on random matrices of every shape, transposition,
// beta 0 and 1 and thread count twice, after use(0) and after use(1), and fails with msg unless the
// two results are bit for bit equal.
func gemmBitwiseCases(t *testing.T, seed int64, shapes [][3]int, threads []int, use func(int), msg string) {
	t.Helper()
	fill := centred(rand.New(rand.NewSource(seed)))
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			a, b, c0 := fill(m*k), fill(n*k), fill(m*n)
			for _, beta := range []float32{0, 1} {
				for _, th := range threads {
					var out [2][]float32
					for i := range out {
						use(i)
						out[i] = slices.Clone(c0)
						withThreads(th, func() { Gemm(tr[0], tr[1], m, n, k, 0.75, a, lda, b, ldb, beta, out[i], n) })
					}
					if !slices.Equal(out[0], out[1]) {
						t.Fatalf("%v trans %v beta %v threads %d: %s", sh, tr, beta, th, msg)
					}
				}
			}
		}
	}
}
