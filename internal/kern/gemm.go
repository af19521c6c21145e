package kern

import "fmt"

// Gemm computes C = alpha·op(A)·op(B) + beta·C in row-major storage (the cblas_sgemm RowMajor contract).
// op(A) is m×k: A is m×k with row stride lda ≥ k if !transA, else A is k×m with lda ≥ m.
// op(B) is k×n: B is k×n with ldb ≥ n if !transB, else B is n×k with ldb ≥ k.
// C is m×n with ldc ≥ n. beta == 0 means C is not read (NaN/garbage in C is overwritten).
// If k == 0 or alpha == 0, A and B are not read and C = beta·C.
// It uses all workers of the pool (Threads()); the result is bitwise the same for every thread count.
//
// Reference loop (GemmNaive): C[i,j] = alpha·(Σ_{p<k} op(A)[i,p]·op(B)[p,j]) + beta·C[i,j].
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmCheck("Gemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if gemmTrivial(m, n, k, alpha, beta, c, ldc) {
		return
	}
	gemmRun(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GemmSerial is Gemm on the calling goroutine only (for use inside ParallelFor bodies, e.g. per
// attention head). Its result is bitwise equal to Gemm's.
func GemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmCheck("GemmSerial", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if gemmTrivial(m, n, k, alpha, beta, c, ldc) {
		return
	}
	gemmRun(false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmCheck panics on caller bugs: negative dimensions, leading dimensions too small for the rows,
// or slices too short for the matrices they describe.
func gemmCheck(fn string, transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kern: %s: negative dimension m=%d n=%d k=%d", fn, m, n, k))
	}
	// Stored shapes: A is ar×ac, B is br×bc.
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	gemmCheckMat(fn, "a", a, ar, ac, lda)
	gemmCheckMat(fn, "b", b, br, bc, ldb)
	gemmCheckMat(fn, "c", c, m, n, ldc)
}

// gemmCheckMat checks that x can hold a rows×cols row-major matrix with row stride ld.
func gemmCheckMat(fn, name string, x []float32, rows, cols, ld int) {
	if ld < cols {
		panic(fmt.Sprintf("kern: %s: ld%s=%d < %d", fn, name, ld, cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("kern: %s: len(%s)=%d < %d", fn, name, len(x), need))
	}
}

// gemmTrivial handles the cases that do no multiplication: an empty C, and k == 0 or alpha == 0,
// where C = beta·C (C is not read when beta == 0). It reports whether it did.
func gemmTrivial(m, n, k int, alpha, beta float32, c []float32, ldc int) bool {
	if m == 0 || n == 0 {
		return true
	}
	if k != 0 && alpha != 0 {
		return false
	}
	gemmScaleC(m, n, beta, c, ldc)
	return true
}

// gemmScaleC sets C = beta·C, writing zeros without reading C when beta == 0.
func gemmScaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// PackedB is op(B) of a GEMM packed in advance for the backend in use when it was made — the panels
// Gemm would pack on every call — for a B used by many calls (a model's weights while decoding).
type PackedB struct {
	be     *gemmBackend
	transB bool
	n, k   int
	b      []float32 // the matrix itself, for backends that pack nothing or another way
	ldb    int
	blocks [][]float32 // per kc block of K: the panels of all n columns
}

// PackB packs op(B) (k×n; b is n×k with row stride ldb when transB) for GemmPacked. B must not change
// while the packing is in use: GemmPacked reads the copy.
func PackB(transB bool, n, k int, b []float32, ldb int) *PackedB {
	gemmCheck("PackB", false, transB, 1, n, k, make([]float32, k), k, b, ldb, make([]float32, n), n)
	be := gemmCur.Load()
	pb := &PackedB{be: be, transB: transB, n: n, k: k, b: b, ldb: ldb}
	if be.external != nil || be.region != nil {
		return pb // GemmPacked falls back to Gemm
	}
	j := &gemmJob{be: be, transB: transB, n: n, k: k, b: b, ldb: ldb}
	for pc := 0; pc < k; pc += be.kc {
		kc := min(be.kc, k-pc)
		blk := make([]float32, kc*gemmRoundUp(n, be.nr))
		gemmPackB(blk, j, be.nr, 0, n, pc, kc)
		pb.blocks = append(pb.blocks, blk)
	}
	return pb
}

// Repack packs op(B) again from the matrix PackB was given, after it changed in place: into the same
// panels when the backend in use is the one they were made for, else anew for the one in use.
func (pb *PackedB) Repack() {
	be := gemmCur.Load()
	if be != pb.be {
		*pb = *PackB(pb.transB, pb.n, pb.k, pb.b, pb.ldb)
		return
	}
	if pb.blocks == nil {
		return
	}
	j := gemmJob{be: be, transB: pb.transB, n: pb.n, k: pb.k, b: pb.b, ldb: pb.ldb}
	for i, pc := 0, 0; pc < pb.k; i, pc = i+1, pc+be.kc {
		gemmPackB(pb.blocks[i], &j, be.nr, 0, pb.n, pc, min(be.kc, pb.k-pc))
	}
}

// GemmPacked is Gemm(transA, pb.transB, m, pb.n, pb.k, alpha, a, lda, B, ldb, beta, c, ldc) with the
// packing made by PackB: bitwise the same result (the same panels go through the same micro-kernels),
// without packing B again. When the backend in use is not the one PackB packed for, it is plain Gemm.
func GemmPacked(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	n, k := pb.n, pb.k
	gemmCheck("GemmPacked", transA, pb.transB, m, n, k, a, lda, pb.b, pb.ldb, c, ldc)
	if gemmTrivial(m, n, k, alpha, beta, c, ldc) {
		return
	}
	if pb.be != gemmCur.Load() || pb.blocks == nil {
		gemmRun(true, transA, pb.transB, m, n, k, alpha, a, lda, pb.b, pb.ldb, beta, c, ldc)
		return
	}
	gemmRunPacked(true, transA, pb.transB, m, n, k, alpha, a, lda, pb.b, pb.ldb, pb, beta, c, ldc)
}
