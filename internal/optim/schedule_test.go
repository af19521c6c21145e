package optim

import (
	"math"
	"strings"
	"testing"
)

func TestScheduleLR(t *testing.T) {
	// cos(pi/2) and friends are not exact in float64, hence a tolerance on those cases; the others
	// involve only dyadic fractions or exact decimal products and must match exactly.
	const cosTol = 1e-15
	cosine := Schedule{Kind: Cosine, Peak: 1, Min: 0.1, Warmup: 10, Total: 110}
	wsd := Schedule{Kind: WSD, Peak: 1, Min: 0.1, Warmup: 10, Total: 110, DecaySteps: 20}
	constant := Schedule{Kind: Constant, Peak: 3e-4, Warmup: 100, Total: 1000}
	rewarm := Schedule{Kind: Constant, Peak: 1, Warmup: 4, Total: 100, Rewarm: []int{4, 50, 60, 62}, RewarmSteps: 4}
	cosRewarm := Schedule{Kind: Cosine, Peak: 1, Min: 0, Total: 100, Rewarm: []int{20, 50}, RewarmSteps: 10}
	for _, c := range []struct {
		name string
		s    Schedule
		step int
		want float64
		tol  float64
	}{
		{"cosine first warmup step", cosine, 0, 0.1, 0},
		{"cosine mid warmup", cosine, 4, 0.5, 0},
		{"cosine warmup ends at peak", cosine, 9, 1, 0},
		{"cosine decay starts at peak", cosine, 10, 1, 0},
		{"cosine quarter", cosine, 35, 0.1 + 0.45*(1+math.Sqrt2/2), cosTol}, // progress 0.25
		{"cosine midpoint", cosine, 60, 0.55, cosTol},                       // (peak+min)/2
		{"cosine three quarters", cosine, 85, 0.1 + 0.45*(1-math.Sqrt2/2), cosTol},
		{"cosine last step just above min", cosine, 109, 0.1 + 0.45*(1+math.Cos(math.Pi*0.99)), cosTol},
		{"cosine at total", cosine, 110, 0.1, 0},
		{"cosine long after total", cosine, 1 << 40, 0.1, 0},
		{"cosine no warmup", Schedule{Kind: Cosine, Peak: 2, Min: 0, Total: 4}, 0, 2, 0},
		{"cosine no warmup mid", Schedule{Kind: Cosine, Peak: 2, Min: 0, Total: 4}, 2, 1, cosTol},
		{"cosine warmup is whole run", Schedule{Kind: Cosine, Peak: 1, Min: 0.5, Warmup: 4, Total: 4}, 3, 1, 0},
		{"cosine warmup is whole run, after", Schedule{Kind: Cosine, Peak: 1, Min: 0.5, Warmup: 4, Total: 4}, 4, 0.5, 0},

		{"wsd warmup", wsd, 4, 0.5, 0},
		{"wsd warmup end", wsd, 9, 1, 0},
		{"wsd stable start", wsd, 10, 1, 0},
		{"wsd stable end", wsd, 89, 1, 0},
		{"wsd decay starts at peak", wsd, 90, 1, 0},
		{"wsd decay half", wsd, 100, 0.55, 1e-15},
		{"wsd decay three quarters", wsd, 105, 1 - 0.9*0.75, 1e-15},
		{"wsd last step", wsd, 109, 1 - 0.9*0.95, 1e-15},
		{"wsd at total", wsd, 110, 0.1, 0},
		{"wsd no decay keeps peak", Schedule{Kind: WSD, Peak: 1, Min: 0, Warmup: 2, Total: 10}, 9, 1, 0},
		{"wsd no decay after total", Schedule{Kind: WSD, Peak: 1, Min: 0, Warmup: 2, Total: 10}, 10, 0, 0},

		{"constant warmup", constant, 49, 1.5e-4, 1e-19},
		{"constant warmup end", constant, 99, 3e-4, 0},
		{"constant after", constant, 500, 3e-4, 0},
		{"constant after total", constant, 5000, 3e-4, 0},

		{"rewarm: initial warmup end", rewarm, 3, 1, 0},
		{"rewarm: first step of rewarm", rewarm, 4, 0.25, 0},
		{"rewarm: mid rewarm", rewarm, 5, 0.5, 0},
		{"rewarm: last rewarm step", rewarm, 7, 1, 0},
		{"rewarm: after rewarm", rewarm, 8, 1, 0},
		{"rewarm: second boundary", rewarm, 50, 0.25, 0},
		{"rewarm: second boundary +2", rewarm, 52, 0.75, 0},
		{"rewarm: overlap, latest start wins", rewarm, 62, 0.25, 0},
		{"rewarm: before overlap", rewarm, 61, 0.5, 0},
		{"rewarm: cosine before", cosRewarm, 19, 0.5 * (1 + math.Cos(math.Pi*0.19)), cosTol},
		{"rewarm: cosine scaled", cosRewarm, 50, 0.5 * 0.1, cosTol},
		{"rewarm: cosine scaled half", cosRewarm, 24, 0.5 * (1 + math.Cos(math.Pi*0.24)) * 0.5, cosTol},
		{"rewarm: cosine after", cosRewarm, 30, 0.5 * (1 + math.Cos(math.Pi*0.30)), cosTol},
	} {
		if err := c.s.Validate(); err != nil {
			t.Fatalf("%s: schedule invalid: %v", c.name, err)
		}
		got := c.s.LR(c.step)
		if math.Abs(got-c.want) > c.tol {
			t.Errorf("%s: LR(%d) = %.17g, want %.17g (tol %g)", c.name, c.step, got, c.want, c.tol)
		}
	}
}

func TestScheduleValidate(t *testing.T) {
	ok := Schedule{Kind: Cosine, Peak: 1e-3, Min: 1e-4, Warmup: 10, Total: 100}
	with := func(f func(*Schedule)) Schedule {
		s := ok
		f(&s)
		return s
	}
	for _, c := range []struct {
		name string
		s    Schedule
		want string // exact error text; "" = valid
	}{
		{"cosine", ok, ""},
		{"wsd", with(func(s *Schedule) { s.Kind, s.DecaySteps = WSD, 90 }), ""},
		{"constant without min", with(func(s *Schedule) { s.Kind, s.Min = Constant, 0 }), ""},
		{"rewarm", with(func(s *Schedule) { s.Rewarm, s.RewarmSteps = []int{0, 30, 99}, 5 }), ""},
		{"zero peak", with(func(s *Schedule) { s.Peak, s.Min = 0, 0 }), ""},
		{"unknown kind", with(func(s *Schedule) { s.Kind = "linear" }),
			`optim: unknown schedule kind "linear" (want "cosine", "wsd" or "constant")`},
		{"empty kind", with(func(s *Schedule) { s.Kind = "" }),
			`optim: unknown schedule kind "" (want "cosine", "wsd" or "constant")`},
		{"warmup exceeds total", with(func(s *Schedule) { s.Warmup = 500 }), "optim: warmup 500 exceeds total steps 100"},
		{"negative peak", with(func(s *Schedule) { s.Peak = -1 }), "optim: peak lr -1, want a finite value >= 0"},
		{"NaN peak", with(func(s *Schedule) { s.Peak = math.NaN() }), "optim: peak lr NaN, want a finite value >= 0"},
		{"infinite min", with(func(s *Schedule) { s.Min = math.Inf(1) }), "optim: min lr +Inf, want a finite value >= 0"},
		{"min above peak", with(func(s *Schedule) { s.Min, s.Peak = 0.1, 0.01 }), "optim: min lr 0.1 exceeds peak lr 0.01"},
		{"negative warmup", with(func(s *Schedule) { s.Warmup = -1 }), "optim: negative warmup -1"},
		{"negative total", with(func(s *Schedule) { s.Total = -5 }), "optim: negative total steps -5"},
		{"negative decay", with(func(s *Schedule) { s.DecaySteps = -2 }), "optim: negative decay steps -2"},
		{"zero total", with(func(s *Schedule) { s.Total, s.Warmup = 0, 0 }), "optim: total steps 0, want at least 1"},
		{"wsd decay too long", with(func(s *Schedule) { s.Kind, s.DecaySteps = WSD, 91 }),
			"optim: warmup 10 plus decay 91 exceeds total steps 100"},
		{"rewarm without length", with(func(s *Schedule) { s.Rewarm = []int{50} }),
			"optim: rewarm at steps [50] needs a rewarm length of at least 1, got 0"},
		{"rewarm at total", with(func(s *Schedule) { s.Rewarm, s.RewarmSteps = []int{100}, 5 }), "optim: rewarm step 100 outside [0, 100)"},
		{"rewarm negative", with(func(s *Schedule) { s.Rewarm, s.RewarmSteps = []int{-1}, 5 }), "optim: rewarm step -1 outside [0, 100)"},
		{"rewarm repeated", with(func(s *Schedule) { s.Rewarm, s.RewarmSteps = []int{20, 40, 40}, 5 }),
			"optim: rewarm steps not strictly increasing: 40 after 40"},
	} {
		err := c.s.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%s: Validate() = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestScheduleLRPanics(t *testing.T) {
	if msg := catchPanic(func() { Schedule{Kind: Constant, Peak: 1, Total: 1}.LR(-1) }); !strings.HasPrefix(msg, "optim: ") {
		t.Errorf("LR(-1): panic %q, want an optim: panic", msg)
	}
	if msg := catchPanic(func() { Schedule{Kind: "step", Peak: 1, Total: 1}.LR(3) }); !strings.Contains(msg, `unknown schedule kind "step"`) {
		t.Errorf("LR with unknown kind: panic %q", msg)
	}
}

// FuzzSchedule checks invariants of every valid schedule: the rate is finite and within [0, Peak]; it
// is at least Min outside warmups; after the warmup of a cosine or wsd schedule it never increases
// except at a re-warm.
func FuzzSchedule(f *testing.F) {
	f.Add(uint8(0), 1e-3, 1e-4, 10, 100, 0, 30, 60, 5, 42)
	f.Add(uint8(1), 6e-4, 0.0, 0, 1000, 200, 0, 999, 1, 950)
	f.Add(uint8(2), 1.0, 0.5, 7, 7, 0, 3, 5, 10, 6)
	f.Add(uint8(1), 2.0, 2.0, 1, 3, 2, -1, -1, 0, 2)
	f.Fuzz(func(t *testing.T, kind uint8, peak, minLR float64, warmup, total, decay, r1, r2, rwSteps, step int) {
		s := Schedule{Kind: []string{Cosine, WSD, Constant}[kind%3], Peak: peak, Min: minLR,
			Warmup: warmup, Total: total, DecaySteps: decay, RewarmSteps: rwSteps}
		for _, r := range []int{r1, r2} {
			if r >= 0 {
				s.Rewarm = append(s.Rewarm, r)
			}
		}
		if s.Validate() != nil || peak > 1e300 || step < 0 {
			return
		}
		lr := s.LR(step)
		if math.IsNaN(lr) || lr < 0 || lr > peak {
			t.Fatalf("%+v: LR(%d) = %v outside [0, %v]", s, step, lr, peak)
		}
		r, ok := s.rewarmStart(step)
		inRewarm := ok && step-r < s.RewarmSteps
		if step >= s.Warmup && !inRewarm && lr < minLR*(1-1e-15) {
			t.Fatalf("%+v: LR(%d) = %v below min %v", s, step, lr, minLR)
		}
		if s.Kind != Constant && step > s.Warmup && step < math.MaxInt && !inRewarm {
			if prev := s.base(step - 1); s.base(step) > prev*(1+1e-15) {
				t.Fatalf("%+v: base rate rises from %v at step %d to %v", s, prev, step-1, s.base(step))
			}
		}
	})
}
