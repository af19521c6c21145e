package optim

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestSumSquares(t *testing.T) {
	g := []float32{guard, 3, 4, -12, 0.5, guard}
	for _, c := range []struct {
		lo, hi int
		want   float64
	}{
		{1, 5, 9 + 16 + 144 + 0.25}, // small integers and halves: every partial sum is exact
		{1, 3, 25},
		{3, 4, 144},
		{2, 2, 0},
	} {
		if got := SumSquares(g, c.lo, c.hi); got != c.want {
			t.Errorf("SumSquares(g, %d, %d) = %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
	// Accumulation is in float64: 1e20² overflows float32 but not float64, and 2^-80 squared
	// underflows float32 to 0 but survives in float64.
	big := float32(1e20)
	if got, want := SumSquares([]float32{big}, 0, 1), float64(big)*float64(big); got != want || math.IsInf(got, 0) {
		t.Errorf("SumSquares(1e20) = %v, want %v", got, want)
	}
	tiny := float32(math.Ldexp(1, -80))
	if got, want := SumSquares([]float32{tiny}, 0, 1), math.Ldexp(1, -160); got != want {
		t.Errorf("SumSquares(2^-80) = %v, want 2^-160 = %v", got, want)
	}
	// Index order: 1 followed by 2^10 squares of 2^-60 sums to exactly 1 in order (each small term is
	// below half an ulp of 1), but to 1+2^-50 summed in reverse or pairwise.
	order := make([]float32, 1+1<<10)
	order[0] = 1
	for i := 1; i < len(order); i++ {
		order[i] = float32(math.Ldexp(1, -30))
	}
	if got := SumSquares(order, 0, len(order)); got != 1 {
		t.Errorf("SumSquares summed out of index order: got %v, want exactly 1", got)
	}
}

func TestScale(t *testing.T) {
	g := []float32{guard, 1, -2, 0.75, guard}
	Scale(g, 1, 4, 0.5)
	want := []float32{guard, 0.5, -1, 0.375, guard}
	for i := range g {
		if g[i] != want[i] {
			t.Fatalf("after Scale: %v, want %v", g, want)
		}
	}
}

func TestClipScale(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		name          string
		norm, maxNorm float64
		want          float32
	}{
		{"below max", 0.5, 1, 1},
		{"zero norm", 0, 1, 1},
		{"twice max", 2, 1, float32(1 / (2 + 1e-6))},
		{"equal to max clips slightly, as torch", 1, 1, float32(1 / (1 + 1e-6))},
		{"huge norm", 1e6, 0.5, float32(0.5 / (1e6 + 1e-6))},
		{"disabled", 100, 0, 1},
		{"infinite norm", math.Inf(1), 1, 0},
		{"NaN norm", math.NaN(), 1, nan},
	} {
		got := ClipScale(c.norm, c.maxNorm)
		if got != c.want && !(got != got && c.want != c.want) {
			t.Errorf("%s: ClipScale(%v, %v) = %v, want %v", c.name, c.norm, c.maxNorm, got, c.want)
		}
	}
}

func TestClipPanics(t *testing.T) {
	g := make([]float32, 4)
	for name, f := range map[string]func(){
		"SumSquares past end": func() { SumSquares(g, 0, 5) },
		"SumSquares reversed": func() { SumSquares(g, 3, 1) },
		"Scale negative lo":   func() { Scale(g, -1, 2, 1) },
	} {
		if msg := catchPanic(f); !strings.HasPrefix(msg, "optim: ") {
			t.Errorf("%s: panic %q, want one starting with \"optim: \"", name, msg)
		}
	}
}

func BenchmarkSumSquares(b *testing.B) {
	for _, n := range []int{4 << 10, 4 << 20} {
		g := make([]float32, n)
		for i := range g {
			g[i] = float32(i%13) - 6
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.SetBytes(int64(n) * 4)
			for b.Loop() {
				SumSquares(g, 0, n)
			}
		})
	}
}
