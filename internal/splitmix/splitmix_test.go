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
