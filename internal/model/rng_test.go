package model

import "testing"

// TestRNGSeedUnmixed: NewRNG(0) starts the splitmix64 state at 0 itself, so its first outputs are the
// reference C implementation's from state 0 (Vigna, splitmix64.c) — the stream the initial weights of
// every seed have always come from.
func TestRNGSeedUnmixed(t *testing.T) {
	r := NewRNG(0)
	for i, want := range []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f} {
		if got := r.Next(); got != want {
			t.Fatalf("output %d = %#x, want %#x", i, got, want)
		}
	}
	// Float64 is the top 53 bits of the next output, scaled to [0, 1).
	r = NewRNG(0)
	r.Next()
	next := *r
	if got, want := r.Float64(), float64(next.Next()>>11)/(1<<53); got != want {
		t.Errorf("Float64 = %v, want %v", got, want)
	}
}
