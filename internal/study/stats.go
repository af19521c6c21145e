package study

import (
	"math"
	"slices"

	"midas/internal/splitmix"
)

// Hits are the per-example outcomes of one task under one protocol for every seed of one run type:
// Hits[s][i] is example i of seed s. Every seed is scored on the same examples (the evaluation seed
// is fixed), so two run types are paired by seed and by example.
type Hits [][]bool

// Acc is the mean accuracy over seeds and examples.
func (h Hits) Acc() float64 {
	var c, n int
	for _, s := range h {
		for _, v := range s {
			n++
			if v {
				c++
			}
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return float64(c) / float64(n)
}

// SeedAccs are the accuracies of each seed.
func (h Hits) SeedAccs() []float64 {
	out := make([]float64, len(h))
	for i, s := range h {
		out[i] = Hits{s}.Acc()
	}
	return out
}

// Interval is a point estimate with a 95% percentile bootstrap interval.
type Interval struct {
	Est, Lo, Hi float64
}

// Excludes0 reports whether the interval lies strictly on one side of zero.
func (iv Interval) Excludes0() bool { return iv.Lo > 0 || iv.Hi < 0 }

// bootstrapRounds is the number of bootstrap resamples (2000: the 2.5% and 97.5% quantiles are then
// each the mean of two order statistics 50 apart from the ends).
const bootstrapRounds = 2000

// resample draws one hierarchical bootstrap sample: seeds with replacement, and within the study's
// shared example indices, examples with replacement. The same draw serves every run type, which
// keeps comparisons paired.
type resample struct {
	seeds, examples []int
}

func draw(r *splitmix.Source, nSeeds, nExamples int) resample {
	d := resample{seeds: make([]int, nSeeds), examples: make([]int, nExamples)}
	for i := range d.seeds {
		d.seeds[i] = r.Intn(nSeeds)
	}
	for i := range d.examples {
		d.examples[i] = r.Intn(nExamples)
	}
	return d
}

// acc is the accuracy of h under a resample.
func (h Hits) acc(d resample) float64 {
	var c, n int
	for _, s := range d.seeds {
		for _, i := range d.examples {
			n++
			if h[s][i] {
				c++
			}
		}
	}
	return float64(c) / float64(n)
}

// Bootstrap is the accuracy of h with its 95% interval over seeds and examples (seeded, so the same
// hits give the same interval).
func Bootstrap(h Hits, seed uint64) Interval {
	return bootstrapFn(len(h), width(h), seed, h.Acc(), func(d resample) float64 { return h.acc(d) })
}

// Diff is the paired difference of accuracies a − b with its 95% interval; a and b must hold the same
// seeds and examples.
func Diff(a, b Hits, seed uint64) Interval {
	return bootstrapFn(len(a), width(a), seed, a.Acc()-b.Acc(), func(d resample) float64 { return a.acc(d) - b.acc(d) })
}

func width(h Hits) int {
	if len(h) == 0 {
		return 0
	}
	return len(h[0])
}

// bootstrapFn computes stat over bootstrapRounds hierarchical resamples and returns est with the
// 2.5% and 97.5% quantiles.
func bootstrapFn(nSeeds, nExamples int, seed uint64, est float64, stat func(resample) float64) Interval {
	if nSeeds == 0 || nExamples == 0 {
		return Interval{math.NaN(), math.NaN(), math.NaN()}
	}
	r := splitmix.New(splitmix.Mix(seed, 0xb007))
	vals := make([]float64, bootstrapRounds)
	for i := range vals {
		vals[i] = stat(draw(&r, nSeeds, nExamples))
	}
	slices.Sort(vals)
	return Interval{Est: est, Lo: quantile(vals, 0.025), Hi: quantile(vals, 0.975)}
}

// quantile of sorted xs by linear interpolation between order statistics.
func quantile(xs []float64, q float64) float64 {
	pos := q * float64(len(xs)-1)
	i := int(pos)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}

// Point is one evaluated checkpoint of one seed: validation loss (log-perplexity) and accuracy.
type Point struct {
	Seed    int
	ValLoss float64
	Acc     float64
}

// Line is a least-squares fit Acc = A + B·ValLoss.
type Line struct{ A, B float64 }

// At is the line's accuracy at validation loss x.
func (l Line) At(x float64) float64 { return l.A + l.B*x }

// Fit is the least-squares line through the points (a flat line through their mean when every point
// has the same loss).
func Fit(ps []Point) Line {
	var sx, sy float64
	for _, p := range ps {
		sx += p.ValLoss
		sy += p.Acc
	}
	n := float64(len(ps))
	mx, my := sx/n, sy/n
	var sxy, sxx float64
	for _, p := range ps {
		sxy += (p.ValLoss - mx) * (p.Acc - my)
		sxx += (p.ValLoss - mx) * (p.ValLoss - mx)
	}
	if sxx == 0 {
		return Line{A: my}
	}
	b := sxy / sxx
	return Line{A: my - b*mx, B: b}
}

// Gap is the isoplot gap: line(a) − line(b) at validation loss x, with a 95% interval from
// resampling seeds (the same seeds for both run types) and refitting both lines.
func Gap(a, b []Point, x float64, seeds int, seed uint64) Interval {
	est := Fit(a).At(x) - Fit(b).At(x)
	r := splitmix.New(splitmix.Mix(seed, 0x15e))
	vals := make([]float64, 0, bootstrapRounds)
	for i := 0; i < bootstrapRounds; i++ {
		pick := make([]int, seeds)
		for j := range pick {
			pick[j] = r.Intn(seeds)
		}
		pa, pb := bySeeds(a, pick), bySeeds(b, pick)
		if len(pa) < 2 || len(pb) < 2 {
			continue
		}
		vals = append(vals, Fit(pa).At(x)-Fit(pb).At(x))
	}
	if len(vals) == 0 {
		return Interval{est, math.NaN(), math.NaN()}
	}
	slices.Sort(vals)
	return Interval{Est: est, Lo: quantile(vals, 0.025), Hi: quantile(vals, 0.975)}
}

// bySeeds gathers the points of the picked seeds (with repetition).
func bySeeds(ps []Point, pick []int) []Point {
	var out []Point
	for _, s := range pick {
		for _, p := range ps {
			if p.Seed == s {
				out = append(out, p)
			}
		}
	}
	return out
}
