package kern

// GemmNaive is the oracle for Gemm: the plain triple loop with float32 accumulation in k order, same
// contract as Gemm (including: C is not read when beta == 0; k == 0 or alpha == 0 gives C = beta·C).
//
//	for i, j: s = Σ_{p=0..k-1} op(A)[i,p]·op(B)[p,j];  C[i,j] = alpha·s + beta·C[i,j]
func GemmNaive(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmCheck("GemmNaive", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if gemmTrivial(m, n, k, alpha, beta, c, ldc) {
		return
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				var x, y float32
				if transA {
					x = a[p*lda+i]
				} else {
					x = a[i*lda+p]
				}
				if transB {
					y = b[j*ldb+p]
				} else {
					y = b[p*ldb+j]
				}
				s += x * y
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}
}
