package splitmix

import "testing"

// TestReference pins the stream against splitmix64's published first outputs for state 0 (Vigna's
// reference implementation: next() with x = 0 yields 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, ...).
func TestReference(t *testing.T) {
	r := Source{S: 0}
	for i, want := range []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f} {
		if got := r.Next(); got != want {
			t.Fatalf("output %d = %#x, want %#x", i, got, want)
		}
	}
	r = New(7)
	counts := make([]int, 5)
	for i := 0; i < 50000; i++ {
		counts[r.Intn(5)]++
	}
	for v, c := range counts { // 10000 expected each; 5σ ≈ 450
		if c < 9550 || c > 10450 {
			t.Errorf("Intn(5) gave %d %d times of 50000", v, c)
		}
	}
	if FNV64("") != 14695981039346656037 || FNV64("a") != 0xaf63dc4c8601ec8c {
		t.Errorf("FNV64 mismatch: %#x", FNV64("a"))
	}
}

// TestMix: Mix folds its values left to right, and Mix of a seed alone is the seed.
func TestMix(t *testing.T) {
	if Mix(3, 4, 5) != Mix(Mix(3, 4), 5) || Mix(9) != 9 || Mix(3, 4) == Mix(4, 3) {
		t.Errorf("Mix(3,4,5) %#x, Mix(Mix(3,4),5) %#x, Mix(9) %#x", Mix(3, 4, 5), Mix(Mix(3, 4), 5), Mix(9))
	}
}

// TestBoundedDraws: Between stays in its closed range and hits both ends, Chance(p) is true about p
// of the time, Float64 is in [0, 1), Pick returns elements.
func TestBoundedDraws(t *testing.T) {
	r := New(1)
	var hist [3]int
	for i := 0; i < 3000; i++ {
		v := r.Between(3, 5)
		if v < 3 || v > 5 {
			t.Fatalf("Between(3, 5) = %d", v)
		}
		hist[v-3]++
	}
	if hist[0] == 0 || hist[2] == 0 {
		t.Errorf("Between(3, 5) never hit an end: %v", hist)
	}
	hits := 0
	for i := 0; i < 10000; i++ {
		if r.Chance(0.3) {
			hits++
		}
		if f := r.Float64(); f < 0 || f >= 1 {
			t.Fatalf("Float64 = %v", f)
		}
	}
	if hits < 2770 || hits > 3230 { // 3000 expected, σ ≈ 46: ±5σ
		t.Errorf("Chance(0.3) true %d of 10000 times", hits)
	}
	if r.Chance(0) || !r.Chance(1) {
		t.Error("Chance(0) or Chance(1) wrong")
	}
	if v := Pick(&r, []string{"x"}); v != "x" {
		t.Errorf("Pick = %q", v)
	}
}

// TestPermShuffle: Perm and Shuffle give permutations that move most elements.
func TestPermShuffle(t *testing.T) {
	r := New(9)
	xs := r.Perm(100)
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
