package grow

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Stages splits T steps over k stages and returns ends, where ends[i] is the exclusive end step of stage
// i+1 (stage i+1 runs steps ends[i-1] ≤ step < ends[i], with ends[-1] = 0); ends[k-1] = T.
//
// spec is one of
//
//	"equal"                      every stage gets T/k steps (prop-0)
//	"prop-A"                     stage i gets steps ∝ i^A, A a finite float ≥ 0 (prop-1, prop-0.5, prop-2)
//	"explicit:s1,s2,...,s_{k-1}" the k−1 boundary steps, strictly increasing, in (0, T)
//
// For prop-A, stage i (1-based) ends at round(T·Σ_{j≤i} j^A / Σ_{j≤k} j^A), rounding half away from zero.
// Errors: an unknown or malformed spec, k < 1, T < k, or a stage that would get no steps.
func Stages(spec string, T, k int) ([]int, error) {
	if k < 1 {
		return nil, fmt.Errorf("grow: need at least 1 stage, got %d", k)
	}
	if T < k {
		return nil, fmt.Errorf("grow: %d steps cannot fill %d stages", T, k)
	}
	var ends []int
	switch {
	case spec == "equal":
		ends = propEnds(0, T, k)
	case strings.HasPrefix(spec, "prop-"):
		num := strings.TrimPrefix(spec, "prop-")
		a, err := strconv.ParseFloat(num, 64)
		// A signed exponent (prop--1) is refused: stages grow or stay equal, as in the paper (α ≥ 0).
		if err != nil || math.IsNaN(a) || math.IsInf(a, 0) || a < 0 || strings.ContainsAny(num[:min(len(num), 1)], "+-") {
			return nil, fmt.Errorf("grow: bad exponent in stage spec %q (want prop-A with A a finite number ≥ 0, e.g. prop-1)", spec)
		}
		ends = propEnds(a, T, k)
	case strings.HasPrefix(spec, "explicit:"):
		var err error
		if ends, err = explicitEnds(spec, T, k); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("grow: unknown stage spec %q (want equal, prop-A or explicit:s1,...,s_{k-1})", spec)
	}
	prev := 0
	for i, e := range ends {
		if e <= prev {
			return nil, fmt.Errorf("grow: stage spec %q with %d steps and %d stages gives stage %d no steps", spec, T, k, i+1)
		}
		prev = e
	}
	return ends, nil
}

// propEnds computes the prop-a boundaries; they may be non-increasing (Stages rejects that).
func propEnds(a float64, T, k int) []int {
	w := make([]float64, k) // cumulative Σ_{j≤i} j^a
	s := 0.0
	for j := 1; j <= k; j++ {
		s += math.Pow(float64(j), a)
		w[j-1] = s
	}
	ends := make([]int, k)
	for i := range ends {
		// T·cum first, then the division: exact for integer sums below 2^53, so ties really are ties.
		ends[i] = int(math.Round(float64(T) * w[i] / s))
	}
	ends[k-1] = T
	return ends
}

// explicitEnds parses "explicit:s1,...,s_{k-1}" and appends T.
func explicitEnds(spec string, T, k int) ([]int, error) {
	body := strings.TrimPrefix(spec, "explicit:")
	var ends []int
	if strings.TrimSpace(body) != "" {
		for _, f := range strings.Split(body, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return nil, fmt.Errorf("grow: bad boundary %q in stage spec %q", f, spec)
			}
			if n <= 0 || n >= T {
				return nil, fmt.Errorf("grow: boundary %d in stage spec %q is outside (0, %d)", n, spec, T)
			}
			if len(ends) > 0 && n <= ends[len(ends)-1] {
				return nil, fmt.Errorf("grow: boundaries in stage spec %q are not strictly increasing", spec)
			}
			ends = append(ends, n)
		}
	}
	if len(ends) != k-1 {
		return nil, fmt.Errorf("grow: stage spec %q has %d boundaries, %d stages need %d", spec, len(ends), k, k-1)
	}
	return append(ends, T), nil
}
