package objective

import (
	"fmt"
	"strconv"
	"strings"
)

// The command-line spellings of the UL2 knobs (midas train --ul2-mix, --ul2-r, --ul2-x, --ul2-prefix).

// ParseMix reads "causal,prefix,r,x", e.g. "0.6,0.2,0.1,0.1".
func ParseMix(s string) (Mix, error) {
	v, err := floats(s, 4, "causal,prefix,r,x weights")
	if err != nil {
		return Mix{}, fmt.Errorf("objective: ul2 mix %q: %v", s, err)
	}
	return Mix{Causal: v[0], Prefix: v[1], R: v[2], X: v[3]}, nil
}

// ParseDenoisers reads a comma-separated list of "meanspan:rate", e.g. "3:0.15,8:0.15".
func ParseDenoisers(s string) ([]Denoiser, error) {
	var ds []Denoiser
	for _, item := range strings.Split(s, ",") {
		span, rate, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok {
			return nil, fmt.Errorf("objective: ul2 denoisers %q: %q is not meanspan:rate", s, item)
		}
		v, err := floats(span+","+rate, 2, "meanspan:rate")
		if err != nil {
			return nil, fmt.Errorf("objective: ul2 denoisers %q: %v", s, err)
		}
		ds = append(ds, Denoiser{MeanSpan: v[0], Rate: v[1]})
	}
	return ds, nil
}

// ParseRange reads "min,max", e.g. "0.25,0.75".
func ParseRange(s string) (lo, hi float64, err error) {
	v, err := floats(s, 2, "min,max")
	if err != nil {
		return 0, 0, fmt.Errorf("objective: ul2 prefix range %q: %v", s, err)
	}
	return v[0], v[1], nil
}

// floats parses exactly n comma-separated numbers.
func floats(s string, n int, want string) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("want %d numbers (%s), got %d", n, want, len(parts))
	}
	v := make([]float64, n)
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		v[i] = x
	}
	return v, nil
}

// String writes the mix in ParseMix's form.
func (m Mix) String() string {
	return fmt.Sprintf("%g,%g,%g,%g", m.Causal, m.Prefix, m.R, m.X)
}

// DenoisersString writes ds in ParseDenoisers's form.
func DenoisersString(ds []Denoiser) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%g:%g", d.MeanSpan, d.Rate)
	}
	return strings.Join(parts, ",")
}
