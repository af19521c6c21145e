package stats

import (
	"math"
	"slices"
	"testing"
)

func TestStats(t *testing.T) {
	cases := []struct {
		xs                []float64
		mean, std, median float64
	}{
		// Hand computed: mean 0.7, deviations ±0.2 → √(0.08/2) = 0.2.
		{[]float64{0.5, 0.7, 0.9}, 0.7, 0.2, 0.7},
		{[]float64{0.3}, 0.3, 0, 0.3}, // one seed: no spread
		{[]float64{4, 1, 3, 2}, 2.5, math.Sqrt(5.0 / 3), 2.5},
		{[]float64{5, -1, 5}, 3, math.Sqrt(12), 5},
		{nil, 0, 0, 0},
	}
	for _, c := range cases {
		in := slices.Clone(c.xs)
		m, s := MeanStd(c.xs)
		// 1e-12: a few float64 roundings on values of order 1.
		if math.Abs(m-c.mean) > 1e-12 || math.Abs(s-c.std) > 1e-12 || Mean(c.xs) != m {
			t.Errorf("MeanStd(%v) = %v, %v (Mean %v); want %v, %v", c.xs, m, s, Mean(c.xs), c.mean, c.std)
		}
		if got := Median(c.xs); got != c.median {
			t.Errorf("Median(%v) = %v, want %v", c.xs, got, c.median)
		}
		if !slices.Equal(in, c.xs) {
			t.Errorf("input changed: %v, was %v", c.xs, in)
		}
	}
}
