// Package stats holds the summary statistics that commands and reports share: the mean, the sample
// standard deviation (± over seeds) and the median (robust step times and throughputs). Of no values
// each is 0, so a report prints a number; callers that must tell "none" apart check the length.
package stats

import (
	"math"
	"slices"
)

// Mean is Σx / n, summed in order (0 for no values).
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// MeanStd returns the mean and the sample standard deviation √(Σ(x − mean)² / (n − 1)); the deviation
// is 0 for fewer than two values.
func MeanStd(xs []float64) (mean, std float64) {
	mean = Mean(xs)
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// Median is the middle value of xs, or the mean of the two middle values for an even count (0 for no
// values). xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
