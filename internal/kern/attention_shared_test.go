package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// sharedCase is one AttentionShared problem: pre shared positions, then entries of n new rows each
// after own positions (past−pre of them already in the entry's cache).
type sharedCase struct {
	h, hkv, d, pre int
	entries        [][2]int // {n, past}
}

// TestAttentionSharedBitwise: AttentionShared equals AttentionCached on each entry with the shared
// positions copied into its cache, bit for bit, on every backend and thread count, with and without
// the row kernel: one-token and several-token entries, chunks of several entries, grouped-query
// heads, shared prefixes shorter than, equal to and longer than the GEMM's K block (256), own blocks
// after it, head widths that reach each column block of the row kernel.
func TestAttentionSharedBitwise(t *testing.T) {
	cases := []sharedCase{
		{4, 4, 16, 37, [][2]int{{1, 37}, {1, 40}, {5, 37}, {1, 38}}},
		{4, 2, 24, 50, [][2]int{{40, 50}, {40, 52}, {40, 50}, {1, 90}, {7, 51}}},
		{2, 1, 16, 256, [][2]int{{1, 256}, {3, 260}, {1, 300}}},
		{2, 2, 16, 300, [][2]int{{1, 300}, {2, 310}, {30, 500}}},
		{2, 2, 16, 300, [][2]int{{1, 300}, {2, 305}}}, // few rows: row kernels on the shared part
		{2, 2, 8, 1, [][2]int{{1, 1}, {2, 1}}},
		{2, 2, 8, 0, [][2]int{{3, 0}, {1, 2}}},
		{2, 1, 64, 45, [][2]int{{1, 45}, {4, 47}}},  // the row kernel's 64-column blocks
		{1, 1, 108, 20, [][2]int{{1, 20}, {3, 21}}}, // 64 + 32 + 8 + a masked 4
	}
	for _, be := range Backends() {
		for _, row := range []bool{true, false} {
			for _, threads := range []int{1, 2, 3} {
				for ci, c := range cases {
					name := fmt.Sprintf("%s/row=%v/threads=%d/case%d", be, row, threads, ci)
					withBackend(t, be, func() {
						withThreads(threads, func() {
							prev := gemmCur.Load()
							if !row && prev.row != nil {
								noRow := *prev
								noRow.row = nil
								gemmCur.Store(&noRow)
								defer gemmCur.Store(prev)
							}
							checkShared(t, name, c)
						})
					})
				}
			}
		}
	}
}

func checkShared(t *testing.T, name string, c sharedCase) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(c.pre), 7))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	qd, kvd := c.h*c.d, c.hkv*c.d
	ld := qd + 2*kvd
	ldk := c.pre + 3
	for _, e := range c.entries {
		ldk = max(ldk, e[0]+e[1]+2)
	}
	a := &SharedAttention{KT: fill(kvd * ldk), LDK: ldk, V: fill(ldk * kvd), Pre: c.pre, LDQ: ld}
	rows := 0
	for _, e := range c.entries {
		a.Own = append(a.Own, SharedEntry{KT: fill(kvd * ldk), LDK: ldk, V: fill(ldk * kvd), N: e[0], Past: e[1]})
		rows += e[0]
	}
	a.Q, a.Y = fill(rows*ld), make([]float32, rows*qd)
	AttentionShared(a, make([]float32, SharedScratch(a, c.h, c.hkv, c.d)), c.h, c.hkv, c.d)
	off := 0
	for i, e := range a.Own {
		tk := e.Past + e.N
		kt, v := append([]float32(nil), e.KT...), append([]float32(nil), e.V...)
		for r := 0; r < kvd; r++ {
			copy(kt[r*ldk:r*ldk+c.pre], a.KT[r*ldk:])
		}
		copy(v, a.V[:c.pre*kvd])
		want := make([]float32, e.N*qd)
		AttentionCached(want, make([]float32, c.h*e.N*tk), a.Q[off*ld:], ld, kt, ldk, v, e.N, e.Past, c.h, c.hkv, c.d)
		for j, w := range want {
			if g := a.Y[off*qd+j]; math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("%s: entry %d, output %d: shared %v, copied %v", name, i, j, g, w)
			}
		}
		off += e.N
	}
}
