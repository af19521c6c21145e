package data

import (
	"testing"

	"midas/internal/splitmix"
)

func TestSplitmix64Reference(t *testing.T) {
	// The first outputs of splitmix64 from state 0, as printed by the reference C
	// implementation (Vigna, splitmix64.c).
	r := rng{splitmix.Source{S: 0}}
	for i, want := range []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f} {
		if got := r.next(); got != want {
			t.Fatalf("output %d = %#x, want %#x", i, got, want)
		}
	}
}

func TestIntnUniform(t *testing.T) {
	r := newRNG(1)
	const n, draws = 7, 70_000
	var hist [n]int
	for i := 0; i < draws; i++ {
		hist[r.intn(n)]++
	}
	// Expected 10,000 per bucket with sd ≈ 93; ±500 is > 5 sd.
	for k, c := range hist {
		if c < 9_500 || c > 10_500 {
			t.Errorf("bucket %d: %d of %d", k, c, draws)
		}
	}
	for i := 0; i < 1000; i++ {
		if v := r.between(3, 5); v < 3 || v > 5 {
			t.Fatalf("between(3, 5) = %d", v)
		}
	}
}

func TestShuffleIsPermutation(t *testing.T) {
	r := newRNG(9)
	xs := make([]int, 100)
	for i := range xs {
		xs[i] = i
	}
	shuffle(&r, xs)
	seen := make([]bool, len(xs))
	moved := 0
	for i, x := range xs {
		if seen[x] {
			t.Fatalf("%d twice", x)
		}
		seen[x] = true
		if x != i {
			moved++
		}
	}
	if moved < 90 { // a random permutation of 100 fixes 1 element on average
		t.Fatalf("only %d of 100 elements moved", moved)
	}
}
