package optim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// guard fills the slots of a test buffer outside [lo, hi) with this value; no function may touch them.
const guard = float32(-12345.678)

// state is one AdamW state (params, grads, moments) with guard values outside [lo, hi).
type state struct{ p, g, m, v []float32 }

// newState returns buffers of length n with random params, grads of scale gs, and moments as they look
// after some training (m of the grads' scale, v of their square); slots outside [lo, hi) hold guard.
func newState(rng *rand.Rand, n, lo, hi int, gs float64) state {
	s := state{make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)}
	for i := range n {
		if i < lo || i >= hi {
			s.p[i], s.g[i], s.m[i], s.v[i] = guard, guard, guard, guard
			continue
		}
		s.p[i] = float32(rng.NormFloat64())
		s.g[i] = float32(gs * rng.NormFloat64())
		s.m[i] = float32(0.5 * gs * rng.NormFloat64())
		s.v[i] = float32(gs * gs * rng.ExpFloat64())
	}
	return s
}

func (s state) clone() state {
	c := func(x []float32) []float32 { return append([]float32(nil), x...) }
	return state{c(s.p), c(s.g), c(s.m), c(s.v)}
}

// checkGuards fails if any slot outside [lo, hi) lost its guard value.
func checkGuards(t *testing.T, s state, lo, hi int) {
	t.Helper()
	for name, b := range map[string][]float32{"p": s.p, "g": s.g, "m": s.m, "v": s.v} {
		for i, x := range b {
			if (i < lo || i >= hi) && x != guard {
				t.Fatalf("%s[%d] = %v outside range [%d,%d): guard overwritten", name, i, x, lo, hi)
			}
		}
	}
}

// bitwiseEqual reports the first index where a and b differ bit for bit, or -1.
func bitwiseEqual(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestUpdateMatchesFloat64 checks every element of one Update against the textbook AdamW formula
// evaluated in float64 from the same float32 inputs, over several consecutive steps (the reference
// restarts from the float32 state at each step, so errors do not compound).
//
// Tolerances: float32 has a unit roundoff of 2^-24 ≈ 6e-8. m and v take 2-3 roundings each, so
// |m - mRef| <= 4e-7 * (Beta1|m| + (1-Beta1)|g|) (the sum of magnitudes, because the two terms can
// cancel) and |v - vRef| <= 4e-7 * vRef. The parameter update u = stepSize*m/denom takes ~6 roundings
// (plus those in m and v, halved by the sqrt), and p*keep and p+u one each:
// |p - pRef| <= 2e-7*|pRef| + 1e-6*|uRef|.
func TestUpdateMatchesFloat64(t *testing.T) {
	cases := []struct {
		name      string
		o         AdamW
		n, lo, hi int
		decay     bool
		lr, gs    float64
		steps     int
	}{
		{"default", DefaultAdamW(), 37, 3, 33, true, 1e-3, 1, 5},
		{"no decay", DefaultAdamW(), 37, 0, 37, false, 3e-4, 1, 5},
		{"tiny grads near eps", DefaultAdamW(), 64, 1, 63, true, 1e-3, 1e-8, 4},
		{"large grads", DefaultAdamW(), 19, 2, 17, true, 6e-4, 1e3, 3},
		{"betas 0.8 0.999 big lr", AdamW{Beta1: 0.8, Beta2: 0.999, Eps: 1e-6, WeightDecay: 0.01}, 41, 5, 40, true, 0.1, 0.3, 6},
		{"beta1 0", AdamW{Beta1: 0, Beta2: 0.9, Eps: 1e-8, WeightDecay: 0.5}, 16, 0, 16, true, 1e-2, 1, 3},
		{"empty range", DefaultAdamW(), 10, 4, 4, true, 1e-3, 1, 2},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(ci)))
			s := newState(rng, c.n, c.lo, c.hi, c.gs)
			var worstP, worstM, worstV float64 // errors as fractions of their tolerance
			for step := 1; step <= c.steps; step++ {
				before := s.clone()
				c.o.Update(s.p, s.g, s.m, s.v, c.lo, c.hi, c.decay, c.lr, step)
				checkGuards(t, s, c.lo, c.hi)
				for i := c.lo; i < c.hi; i++ {
					pRef, mRef, vRef, uRef := refAdamW(c.o, before, i, c.decay, c.lr, step)
					g, m := float64(before.g[i]), float64(before.m[i])
					tolM := 4e-7 * (c.o.Beta1*math.Abs(m) + (1-c.o.Beta1)*math.Abs(g))
					tolV := 4e-7 * vRef
					tolP := 2e-7*math.Abs(pRef) + 1e-6*math.Abs(uRef)
					eM := math.Abs(float64(s.m[i]) - mRef)
					eV := math.Abs(float64(s.v[i]) - vRef)
					eP := math.Abs(float64(s.p[i]) - pRef)
					if eM > tolM || eV > tolV || eP > tolP {
						t.Fatalf("step %d i=%d: p=%v want %v (tol %g), m=%v want %v (tol %g), v=%v want %v (tol %g)",
							step, i, s.p[i], pRef, tolP, s.m[i], mRef, tolM, s.v[i], vRef, tolV)
					}
					worstP = max(worstP, ratio(eP, tolP))
					worstM = max(worstM, ratio(eM, tolM))
					worstV = max(worstV, ratio(eV, tolV))
				}
			}
			t.Logf("worst error / tolerance: p %.3f, m %.3f, v %.3f", worstP, worstM, worstV)
		})
	}
}

func ratio(e, tol float64) float64 {
	if e == 0 {
		return 0
	}
	return e / tol
}

// refAdamW is the float64 oracle for element i: AdamW as written in the paper/torch docs.
// It returns the new p, m, v and the update u added to the decayed p.
func refAdamW(o AdamW, s state, i int, decay bool, lr float64, t int) (p, m, v, u float64) {
	p, g := float64(s.p[i]), float64(s.g[i])
	if decay {
		p -= lr * o.WeightDecay * p
	}
	m = o.Beta1*float64(s.m[i]) + (1-o.Beta1)*g
	v = o.Beta2*float64(s.v[i]) + (1-o.Beta2)*g*g
	mHat := m / (1 - math.Pow(o.Beta1, float64(t)))
	vHat := v / (1 - math.Pow(o.Beta2, float64(t)))
	u = -lr * mHat / (math.Sqrt(vHat) + o.Eps)
	return p + u, m, v, u
}

// updateTorchOps is the naive twin of Update: one pass per tensor operation of torch's
// _single_tensor_adamw, in float32, with products rounded explicitly except in the two multiply-adds
// that torch's AVX2 kernels fuse.
func updateTorchOps(o AdamW, p, g, m, v []float32, lo, hi int, decay bool, lr float64, t int) {
	p, g, m, v = p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi]
	if decay { // param.mul_(1 - lr * weight_decay)
		for i := range p {
			p[i] = float32(p[i] * float32(1-lr*o.WeightDecay))
		}
	}
	for i := range m { // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1): vec::fmadd(grad, alpha, exp_avg)
		m[i] = float32(m[i] * float32(o.Beta1))
		m[i] = fma32(g[i], float32(1-o.Beta1), m[i])
	}
	for i := range v { // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2): self + (value*t1)*t2, contracted
		v[i] = float32(v[i] * float32(o.Beta2))
		v[i] = fma32(float32(float32(1-o.Beta2)*g[i]), g[i], v[i])
	}
	bc1 := 1 - math.Pow(o.Beta1, float64(t))
	bc2 := 1 - math.Pow(o.Beta2, float64(t))
	denom := make([]float32, len(v)) // (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
	for i := range v {
		denom[i] = float32(math.Sqrt(float64(v[i])))
		denom[i] = denom[i] / float32(math.Sqrt(bc2))
		denom[i] = denom[i] + float32(o.Eps)
	}
	for i := range p { // param.addcdiv_(exp_avg, denom, value=-step_size)
		p[i] = p[i] + float32(float32(-lr/bc1)*m[i])/denom[i]
	}
}

// fma32 returns a*b + c rounded once to float32, with math.FMA; Update uses a float64 evaluation instead,
// which can differ by a double rounding about once in 2^29 draws (not expected in these small tests).
func fma32(a, b, c float32) float32 {
	return float32(math.FMA(float64(a), float64(b), float64(c)))
}

// TestUpdateMatchesTorchOps compares Update bitwise with its naive multi-pass twin.
func TestUpdateMatchesTorchOps(t *testing.T) {
	for ci, c := range []struct {
		name  string
		o     AdamW
		decay bool
		gs    float64
	}{
		{"default", DefaultAdamW(), true, 1},
		{"no decay", DefaultAdamW(), false, 1},
		{"tiny grads", DefaultAdamW(), true, 1e-9},
		{"other betas", AdamW{Beta1: 0.85, Beta2: 0.999, Eps: 1e-6, WeightDecay: 0.3}, true, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			const n, lo, hi = 101, 2, 99
			rng := rand.New(rand.NewPCG(2, uint64(ci)))
			fast := newState(rng, n, lo, hi, c.gs)
			naive := fast.clone()
			for step := 1; step <= 4; step++ {
				lr := 1e-3 * float64(step)
				c.o.Update(fast.p, fast.g, fast.m, fast.v, lo, hi, c.decay, lr, step)
				updateTorchOps(c.o, naive.p, naive.g, naive.m, naive.v, lo, hi, c.decay, lr, step)
				for name, pair := range map[string][2][]float32{"p": {fast.p, naive.p}, "m": {fast.m, naive.m}, "v": {fast.v, naive.v}} {
					if i := bitwiseEqual(pair[0], pair[1]); i >= 0 {
						t.Fatalf("step %d: %s[%d] = %v, naive twin %v", step, name, i, pair[0][i], pair[1][i])
					}
				}
			}
			checkGuards(t, fast, lo, hi)
		})
	}
}

// TestUpdateChunking checks that splitting a buffer into ranges (including empty ones) gives results
// bitwise equal to one call over the whole buffer.
func TestUpdateChunking(t *testing.T) {
	const n = 1000
	o := DefaultAdamW()
	rng := rand.New(rand.NewPCG(3, 0))
	whole := newState(rng, n, 0, n, 1)
	chunked := whole.clone()
	for step := 1; step <= 3; step++ {
		lr := 6e-4 * float64(step)
		o.Update(whole.p, whole.g, whole.m, whole.v, 0, n, true, lr, step)
		// Random cut points, different at every step; repeated cuts make empty chunks.
		cuts := []int{0, n}
		for range 12 {
			cuts = append(cuts, rng.IntN(n+1))
		}
		slices.Sort(cuts)
		for k := 1; k < len(cuts); k++ {
			o.Update(chunked.p, chunked.g, chunked.m, chunked.v, cuts[k-1], cuts[k], true, lr, step)
		}
		for name, pair := range map[string][2][]float32{"p": {whole.p, chunked.p}, "m": {whole.m, chunked.m}, "v": {whole.v, chunked.v}} {
			if i := bitwiseEqual(pair[0], pair[1]); i >= 0 {
				t.Fatalf("step %d cuts %v: %s[%d] whole %v, chunked %v", step, cuts, name, i, pair[0][i], pair[1][i])
			}
		}
	}
}

// TestUpdateNoDecay checks that decay=false is exactly AdamW with WeightDecay 0, and that decay=true
// does change the result (so the first check is not vacuous).
func TestUpdateNoDecay(t *testing.T) {
	const n = 50
	o := DefaultAdamW()
	noWD := o
	noWD.WeightDecay = 0
	rng := rand.New(rand.NewPCG(4, 0))
	off := newState(rng, n, 0, n, 1)
	zero, on := off.clone(), off.clone()
	o.Update(off.p, off.g, off.m, off.v, 0, n, false, 1e-2, 1)
	noWD.Update(zero.p, zero.g, zero.m, zero.v, 0, n, true, 1e-2, 1)
	o.Update(on.p, on.g, on.m, on.v, 0, n, true, 1e-2, 1)
	if i := bitwiseEqual(off.p, zero.p); i >= 0 {
		t.Fatalf("decay=false p[%d] = %v, WeightDecay=0 gives %v", i, off.p[i], zero.p[i])
	}
	if bitwiseEqual(off.m, on.m) >= 0 || bitwiseEqual(off.v, on.v) >= 0 {
		t.Fatal("decay changed the moments; it must only touch p")
	}
	differ := 0
	for i := range off.p {
		if off.p[i] != on.p[i] {
			differ++
		}
	}
	if differ < n/2 {
		t.Fatalf("decay=true changed only %d of %d params (lr*wd = 1e-3 should move nearly all)", differ, n)
	}
}

// TestUpdateZeroGradDecay: with g = m = v = 0 only weight decay acts: p = p*(1-lr*wd) exactly.
func TestUpdateZeroGradDecay(t *testing.T) {
	o := DefaultAdamW()
	p := []float32{1, -2, 0.5}
	z := make([]float32, 3)
	o.Update(p, z, make([]float32, 3), make([]float32, 3), 0, 3, true, 0.01, 1)
	keep := float32(1 - 0.01*0.1)
	for i, want := range []float32{1 * keep, -2 * keep, 0.5 * keep} {
		if p[i] != want {
			t.Errorf("p[%d] = %v, want %v", i, p[i], want)
		}
	}
}

func TestUpdatePanics(t *testing.T) {
	buf := func(n int) []float32 { return make([]float32, n) }
	o := DefaultAdamW()
	for _, c := range []struct {
		name       string
		np, ng     int
		lo, hi, t  int
		wantSubstr string
	}{
		{"negative lo", 4, 4, -1, 2, 1, "range [-1,2)"},
		{"hi before lo", 4, 4, 3, 2, 1, "range [3,2)"},
		{"hi past p", 4, 4, 0, 5, 1, "range [0,5)"},
		{"g shorter", 4, 3, 0, 4, 1, "g=3"},
		{"t zero", 4, 4, 0, 4, 0, "t=0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := catchPanic(func() { o.Update(buf(c.np), buf(c.ng), buf(4), buf(4), c.lo, c.hi, true, 1e-3, c.t) })
			if !strings.HasPrefix(msg, "optim: ") || !strings.Contains(msg, c.wantSubstr) {
				t.Fatalf("panic %q, want prefix \"optim: \" and %q", msg, c.wantSubstr)
			}
		})
	}
}

// catchPanic runs f and returns its panic value as a string ("" if it did not panic).
func catchPanic(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

func TestUpdateNoAlloc(t *testing.T) {
	const n = 256
	o := DefaultAdamW()
	s := newState(rand.New(rand.NewPCG(5, 0)), n, 0, n, 1)
	if a := testing.AllocsPerRun(10, func() { o.Update(s.p, s.g, s.m, s.v, 0, n, true, 1e-3, 3) }); a != 0 {
		t.Fatalf("Update allocates %v times per call, want 0", a)
	}
}

func TestAdamWValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		o    AdamW
		want string // "" = valid
	}{
		{"default", DefaultAdamW(), ""},
		{"zero eps and decay", AdamW{Beta1: 0, Beta2: 0, Eps: 0, WeightDecay: 0}, ""},
		{"beta1 one", AdamW{Beta1: 1, Beta2: 0.95, Eps: 1e-8}, "optim: beta1 1 outside [0, 1)"},
		{"beta2 negative", AdamW{Beta1: 0.9, Beta2: -0.1, Eps: 1e-8}, "optim: beta2 -0.1 outside [0, 1)"},
		{"beta1 NaN", AdamW{Beta1: math.NaN(), Beta2: 0.95, Eps: 1e-8}, "optim: beta1 NaN"},
		{"eps negative", AdamW{Beta1: 0.9, Beta2: 0.95, Eps: -1}, "optim: eps -1"},
		{"decay inf", AdamW{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: math.Inf(1)}, "optim: weight decay +Inf"},
	} {
		err := c.o.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", c.name, err)
		case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
			t.Errorf("%s: error %v, want prefix %q", c.name, err, c.want)
		}
	}
}

// BenchmarkUpdate measures one AdamW step by buffer size; 4M floats is ~ the 10M-parameter target's
// order of magnitude while staying light on a shared machine.
func BenchmarkUpdate(b *testing.B) {
	for _, n := range []int{4 << 10, 256 << 10, 4 << 20} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			o := DefaultAdamW()
			s := newState(rand.New(rand.NewPCG(6, 0)), n, 0, n, 1)
			b.SetBytes(int64(n) * 4 * 7) // reads p g m v, writes p m v
			t := 1
			for b.Loop() {
				o.Update(s.p, s.g, s.m, s.v, 0, n, true, 1e-3, t)
				t++
			}
		})
	}
}
