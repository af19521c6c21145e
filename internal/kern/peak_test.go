package kern

import (
	"testing"
	"time"
)

// TestFMALoops: every FMA loop really accumulates a·b into all 12 accumulators of every lane, n
// times (the naive twin: n·a·b, exact in float32 for these values).
func TestFMALoops(t *testing.T) {
	for _, l := range fmaLoops() {
		for _, n := range []int{0, 1, 7, 1000} {
			acc := runFMA(l, n)
			for i, v := range acc {
				if v != float32(n)*0.5 {
					t.Fatalf("%s n=%d: acc[%d] = %v, want %v", l.isa, n, i, v, float32(n)*0.5)
				}
			}
		}
	}
}

// TestPeak: the measured peak is positive and at most what the ISA's loop could do at 10 GHz on
// every thread (a sanity bound, not a timing threshold), or an error without a vector loop.
func TestPeak(t *testing.T) {
	r, err := Peak(1, 20*time.Millisecond)
	if len(fmaLoops()) == 0 {
		if err == nil {
			t.Fatal("no FMA loop but no error")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if bound := 10e9 * float64(fmaLoops()[0].flops); !(r.FLOPs > 0) || r.FLOPs > bound {
		t.Fatalf("peak %.3g FLOP/s outside (0, %.3g]", r.FLOPs, bound)
	}
	if _, err := Peak(0, time.Millisecond); err == nil {
		t.Error("threads 0 accepted")
	}
}
