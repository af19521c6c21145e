package kern

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// TestGemmRowBitwise: GemmRow is bit for bit the one-row Gemm on every backend (and both tiles of
// the generic one), for widths around the kernels' column groups, K below, at and above one K block,
// a B wider than n, alpha 1 and not.
func TestGemmRowBitwise(t *testing.T) {
	fill := centred(rand.New(rand.NewSource(3)))
	bes := []*gemmBackend{newGemmGeneric("amd64"), newGemmGeneric("arm64")}
	for _, name := range Backends() {
		withBackend(t, name, func() { bes = append(bes, gemmCur.Load()) })
	}
	prev := gemmCur.Load()
	defer gemmCur.Store(prev)
	for _, be := range bes {
		gemmCur.Store(be)
		for _, n := range []int{1, 3, 4, 7, 8, 9, 63, 64, 65, 130, 170} {
			for _, k := range []int{1, 2, 64, 255, 256, 257, 600} {
				for _, alpha := range []float32{1, 0.125} {
					ldb := n + 3
					a, b := fill(k), fill((k-1)*ldb+n)
					want, got := fill(n), fill(n)
					Gemm(false, false, 1, n, k, alpha, a, k, b, ldb, 0, want, n)
					GemmRow(n, k, alpha, a, b, ldb, got)
					if !slices.Equal(got, want) {
						t.Fatalf("%s n %d k %d alpha %v: GemmRow differs from Gemm", be.name, n, k, alpha)
					}
				}
			}
		}
	}
}

func TestGemmRowPanics(t *testing.T) {
	for i, f := range []func(){
		func() { GemmRow(4, 2, 1, make([]float32, 1), make([]float32, 8), 4, make([]float32, 4)) },
		func() { GemmRow(4, 2, 1, make([]float32, 2), make([]float32, 7), 4, make([]float32, 4)) },
		func() { GemmRow(4, 2, 1, make([]float32, 2), make([]float32, 8), 3, make([]float32, 4)) },
		func() { GemmRow(4, 2, 1, make([]float32, 2), make([]float32, 8), 4, make([]float32, 3)) },
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}
