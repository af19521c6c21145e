package kern

import (
	"math/rand"
	"slices"
	"testing"
)

// TestNEONBitwiseGeneric: on arm64 the NEON backend's results are bit for bit the generic Go
// backend's (both fuse every multiply-add, in k order, blocked by the same kc), for every
// transposition, edge tiles, several K blocks, beta 0 and 1, alpha ≠ 1.
func TestNEONBitwiseGeneric(t *testing.T) {
	prev := Backend()
	defer SetBackend(prev)
	fill := centred(rand.New(rand.NewSource(7)))
	for _, sh := range [][3]int{{1, 1, 1}, {8, 8, 8}, {13, 21, 300}, {96, 130, 513}, {3, 1030, 64}} {
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
				var out [2][]float32
				for i, be := range []string{"neon", "generic"} {
					if err := SetBackend(be); err != nil {
						t.Fatal(err)
					}
					out[i] = slices.Clone(c0)
					Gemm(tr[0], tr[1], m, n, k, 0.75, a, lda, b, ldb, beta, out[i], n)
				}
				if !slices.Equal(out[0], out[1]) {
					t.Fatalf("%v trans %v beta %v: neon differs from generic", sh, tr, beta)
				}
			}
		}
	}
}
