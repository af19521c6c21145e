package kern

import "unsafe"

// One-row products: the matrix-vector work of one-token decoding (attention scores against the
// cached keys, the probabilities times the cached values). Gemm would pack B and run a whole
// mr-row micro-tile for the single row (12 rows of FMAs for one on AVX-512); a row kernel reads B in
// place and computes only that row, with exactly the float32 operations of its backend's
// micro-kernel for every element, so that GemmRow is bitwise Gemm.

// gemmRowFunc computes c[j] = alpha·Σ_{p<kc} a[p]·b[p·ldb+j] + beta·c[j] for j < n (c not read when
// beta == 0) with the element arithmetic of its backend's micro-kernel; 1 ≤ kc, n ≥ 1. With acc the
// sums start from c[j] instead of zero — the same chain of operations continued, so a k range split
// in two calls (the first with beta 0, the second with acc) gives the one-call bits — and alpha
// must be 1, beta 0.
type gemmRowFunc func(kc int, a, b *float32, ldb int, c *float32, n int, alpha, beta float32, acc bool)

// GemmRow sets c[j] = alpha·Σ_{p<k} a[p]·b[p·ldb+j] for j < n: bit for bit
// Gemm(false, false, 1, n, k, alpha, a, k, b, ldb, 0, c, n) on the backend in use, on the calling
// goroutine. Backends without a row kernel (bf16, external libraries) run GemmSerial itself.
// Shapes: a [k], b [k rows, ldb ≥ n], c [n].
func GemmRow(n, k int, alpha float32, a, b []float32, ldb int, c []float32) {
	gemmRowBeta(n, k, alpha, a, b, ldb, 0, c)
}

// gemmRowBeta is GemmRow with C = alpha·a·B + beta·C: bitwise the one-row GemmSerial with beta.
func gemmRowBeta(n, k int, alpha float32, a, b []float32, ldb int, beta float32, c []float32) {
	gemmCheck("GemmRow", false, false, 1, n, k, a, k, b, ldb, c, n)
	if gemmTrivial(1, n, k, alpha, beta, c, n) {
		return
	}
	be := gemmCur.Load()
	if be.row == nil {
		gemmRun(false, false, false, 1, n, k, alpha, a, k, b, ldb, beta, c, n)
		return
	}
	for pc := 0; pc < k; pc += be.kc { // as Gemm: beta for the first K block, 1 after
		be.row(min(be.kc, k-pc), &a[pc], &b[pc*ldb], ldb, &c[0], n, alpha, beta, false)
		beta = 1
	}
}

// gemmRowGo is the row kernel of the pure Go backends (generic, and NEON, whose sums are the fused
// ones of Go on arm64): four sums at a time, each as a generic micro-kernel element (s += a·b in k
// order from zero), stored by gemmStore4 (the last group through a copy, as an edge tile). On amd64
// this is the arithmetic of gemmKernGo3x2 and gemmStore2 too (Go does not fuse there).
func gemmRowGo(kc int, a, b *float32, ldb int, c *float32, n int, alpha, beta float32, acc bool) {
	as := unsafe.Slice(a, kc)
	bs := unsafe.Slice(b, (kc-1)*ldb+n)
	cs := unsafe.Slice(c, n)
	for j := 0; j < n; j += 4 {
		var s0, s1, s2, s3 float32
		if j+4 <= n {
			if acc {
				s0, s1, s2, s3 = cs[j], cs[j+1], cs[j+2], cs[j+3]
			}
			for p, x := range as {
				r := bs[p*ldb+j : p*ldb+j+4 : p*ldb+j+4]
				s0 += x * r[0]
				s1 += x * r[1]
				s2 += x * r[2]
				s3 += x * r[3]
			}
			gemmStore4(cs[j:j+4:j+4], s0, s1, s2, s3, alpha, beta)
			continue
		}
		var r, t [4]float32
		copy(t[:], cs[j:])
		if acc {
			s0, s1, s2, s3 = t[0], t[1], t[2], t[3]
		}
		for p, x := range as {
			copy(r[:], bs[p*ldb+j:p*ldb+n])
			s0 += x * r[0]
			s1 += x * r[1]
			s2 += x * r[2]
			s3 += x * r[3]
		}
		gemmStore4(t[:], s0, s1, s2, s3, alpha, beta)
		copy(cs[j:], t[:n-j])
	}
}
