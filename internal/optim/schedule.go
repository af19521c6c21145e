package optim

import (
	"fmt"
	"math"
)

// Schedule kinds accepted by Schedule.Kind.
const (
	Cosine   = "cosine"   // linear warmup, then cosine decay from Peak to Min at Total
	WSD      = "wsd"      // linear warmup, stable at Peak, then linear decay to Min over the last DecaySteps
	Constant = "constant" // linear warmup, then Peak forever
)

// Schedule is a learning-rate schedule: LR is a pure function of the 0-based index of the update
// (step 0 is the first update, which AdamW.Update calls t=1). One schedule spans the whole run, across
// growth stages; Rewarm optionally restarts a short linear warmup at stage boundaries.
//
// Formulas (W = Warmup, T = Total, D = DecaySteps):
//
//	warmup, step < W:     lr = Peak * ((step+1) / W)        (exactly Peak at step W-1)
//	cosine, W <= step < T: progress = (step-W)/(T-W)
//	                      lr = Min + 0.5*(Peak-Min)*(1 + cos(pi*progress))
//	wsd, W <= step < T-D: lr = Peak
//	wsd, T-D <= step < T: lr = Peak + (Min-Peak) * (step-(T-D))/D
//	cosine, wsd, step >= T: lr = Min
//	constant, step >= W:  lr = Peak
//
// Both decays start at Peak (progress 0) and would reach Min at step T, so the last update (step T-1)
// uses a learning rate just above Min, as in nanoGPT.
//
// Re-warming: if r is the latest entry of Rewarm with r <= step and step < r+RewarmSteps, the rate above
// (the base rate) is multiplied by (step-r+1)/RewarmSteps.
type Schedule struct {
	Kind        string  // Cosine, WSD or Constant
	Peak, Min   float64 // peak learning rate, and the final one for cosine and wsd (0 <= Min <= Peak)
	Warmup      int     // steps of the initial linear warmup (0: start at Peak); at most Total
	Total       int     // total number of updates in the run (at least 1)
	DecaySteps  int     // wsd only: length of the final linear decay; Warmup+DecaySteps <= Total
	Rewarm      []int   // optional: strictly increasing steps in [0, Total) where a re-warmup starts
	RewarmSteps int     // length of each re-warmup; at least 1 when Rewarm is not empty
}

// Validate returns an error (text starting with "optim:") describing the first problem found: an unknown
// kind, negative or non-finite rates, Min > Peak, negative step counts, Total < 1, a warmup longer than
// the run, a wsd decay that does not fit after the warmup, or bad re-warm steps.
func (s Schedule) Validate() error {
	switch s.Kind {
	case Cosine, WSD, Constant:
	default:
		return fmt.Errorf("optim: unknown schedule kind %q (want %q, %q or %q)", s.Kind, Cosine, WSD, Constant)
	}
	if !(s.Peak >= 0) || math.IsInf(s.Peak, 0) {
		return fmt.Errorf("optim: peak lr %v, want a finite value >= 0", s.Peak)
	}
	if !(s.Min >= 0) || math.IsInf(s.Min, 0) {
		return fmt.Errorf("optim: min lr %v, want a finite value >= 0", s.Min)
	}
	if s.Min > s.Peak {
		return fmt.Errorf("optim: min lr %v exceeds peak lr %v", s.Min, s.Peak)
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"warmup", s.Warmup}, {"total steps", s.Total}, {"decay steps", s.DecaySteps}, {"rewarm steps", s.RewarmSteps}} {
		if c.n < 0 {
			return fmt.Errorf("optim: negative %s %d", c.name, c.n)
		}
	}
	if s.Total < 1 {
		return fmt.Errorf("optim: total steps %d, want at least 1", s.Total)
	}
	if s.Warmup > s.Total {
		return fmt.Errorf("optim: warmup %d exceeds total steps %d", s.Warmup, s.Total)
	}
	if s.Kind == WSD && s.Warmup+s.DecaySteps > s.Total {
		return fmt.Errorf("optim: warmup %d plus decay %d exceeds total steps %d", s.Warmup, s.DecaySteps, s.Total)
	}
	if len(s.Rewarm) > 0 && s.RewarmSteps < 1 {
		return fmt.Errorf("optim: rewarm at steps %v needs a rewarm length of at least 1, got %d", s.Rewarm, s.RewarmSteps)
	}
	for i, r := range s.Rewarm {
		if r < 0 || r >= s.Total {
			return fmt.Errorf("optim: rewarm step %d outside [0, %d)", r, s.Total)
		}
		if i > 0 && r <= s.Rewarm[i-1] {
			return fmt.Errorf("optim: rewarm steps not strictly increasing: %d after %d", r, s.Rewarm[i-1])
		}
	}
	return nil
}

// LR returns the learning rate for the update with 0-based index step (see Schedule for the formulas).
// The schedule must have passed Validate; LR panics on a negative step or an unknown kind.
func (s Schedule) LR(step int) float64 {
	if step < 0 {
		panic(fmt.Sprintf("optim: LR of negative step %d", step))
	}
	lr := s.base(step)
	if r, ok := s.rewarmStart(step); ok && step-r < s.RewarmSteps {
		lr *= float64(step-r+1) / float64(s.RewarmSteps)
	}
	return lr
}

// base is the schedule without re-warming.
func (s Schedule) base(step int) float64 {
	if step < s.Warmup {
		// Ratio first: it is exactly 1 at step W-1, so the warmup ends exactly at Peak and never exceeds it.
		return s.Peak * (float64(step+1) / float64(s.Warmup))
	}
	switch s.Kind {
	case Constant:
		return s.Peak
	case Cosine:
		if step >= s.Total {
			return s.Min
		}
		progress := float64(step-s.Warmup) / float64(s.Total-s.Warmup)
		return s.Min + 0.5*(s.Peak-s.Min)*(1+math.Cos(math.Pi*progress))
	case WSD:
		if step >= s.Total {
			return s.Min
		}
		start := s.Total - s.DecaySteps
		if step < start {
			return s.Peak
		}
		progress := float64(step-start) / float64(s.DecaySteps)
		return s.Peak + (s.Min-s.Peak)*progress
	}
	panic(fmt.Sprintf("optim: unknown schedule kind %q", s.Kind))
}

// rewarmStart returns the latest re-warm start r <= step. It scans all entries rather than relying on
// their order, so an unvalidated schedule still gives a well-defined answer.
func (s Schedule) rewarmStart(step int) (int, bool) {
	best, ok := 0, false
	for _, r := range s.Rewarm {
		if r <= step && (!ok || r > best) {
			best, ok = r, true
		}
	}
	return best, ok
}
