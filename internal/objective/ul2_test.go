package objective

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// Test vocabulary: window tokens are < 100; the special tokens sit at 1000 and up, so a row's first
// input tells its kind.
const textVocab = 100

func testTokens(sentinels int) UL2Tokens {
	tk := UL2Tokens{R: 1000, X: 1001, S: 1002, Pad: 999}
	for k := range sentinels {
		tk.Sentinel = append(tk.Sentinel, int32(2000+k))
	}
	return tk
}

// randWindows returns B windows of T+1 tokens in [0, textVocab), a function of seed.
func randWindows(B, T int, seed uint64) []int32 {
	w := make([]int32, B*(T+1))
	x := seed*0x9e3779b97f4a7c15 + 1
	for i := range w {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		w[i] = int32(x % textVocab)
	}
	return w
}

func newTestUL2(t *testing.T, c UL2Config, T int) *UL2 {
	t.Helper()
	u, err := NewUL2(c, testTokens(c.Sentinels(T)), 7)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// row is one decoded row of a UL2 batch.
type row struct {
	kind   int
	n      int       // window tokens used: T+1 for causal rows, T for S rows
	noise  []int     // span rows: the lengths of the noise spans, in order
	lead   int       // span rows: the text tokens before the first sentinel of the input part
	prefix int       // Batch.Prefix
	loss   int       // positions with a target
	src    []int32   // the window tokens recovered from (input, target)
	spans  [][]int32 // span rows: the hidden spans
}

// decode recovers the window tokens of row b from the batch alone, independently of Make: it
// rebuilds the sequence from Inputs and Targets, checks that the loss covers exactly the target part,
// and undoes the sentinels. It fails the test on any inconsistency.
func decode(t *testing.T, bt *Batch, b int, tk UL2Tokens) row {
	t.Helper()
	T := bt.T
	in, tgt := bt.Inputs[b*T:(b+1)*T], bt.Targets[b*T:(b+1)*T]
	p := bt.Prefix[b]
	r := row{prefix: p}
	for _, y := range tgt {
		if y != Ignore {
			r.loss++
		}
	}
	switch in[0] {
	default:
		r.kind, r.n = rowCausal, T+1
		if p != 0 || r.loss != T {
			t.Fatalf("causal row %d: prefix %d, %d targets, want 0 and %d", b, p, r.loss, T)
		}
		r.src = append(slices.Clone(in), tgt[T-1])
		for i := 1; i < T; i++ {
			if tgt[i-1] != in[i] {
				t.Fatalf("causal row %d: target %d = %d, next input %d", b, i-1, tgt[i-1], in[i])
			}
		}
		return r
	case tk.S:
		r.kind, r.n = rowS, T
		checkTargets(t, b, in, tgt, p, T+1)
		r.src = append(slices.Clone(in[1:]), tgt[T-1])
		return r
	case tk.R, tk.X:
		r.kind = rowR
		if in[0] == tk.X {
			r.kind = rowX
		}
	}
	return decodeSpans(t, b, in, tgt, r, tk)
}

// decodeSpans undoes the sentinels of a span row: the input part is in[1:prefix], the target part
// the sequence after it up to the first Pad.
func decodeSpans(t *testing.T, b int, in, tgt []int32, r row, tk UL2Tokens) row {
	t.Helper()
	T := len(in)
	seq := append(slices.Clone(in), tgt[T-1])
	end := slices.Index(seq[r.prefix:], tk.Pad)
	if end < 0 {
		end = T + 1
	} else {
		end += r.prefix
	}
	checkTargets(t, b, in, tgt, r.prefix, end)
	sentinel := func(x int32) int { return slices.Index(tk.Sentinel, x) }
	// Target part: <k> span k, in order.
	for _, x := range seq[r.prefix:end] {
		if k := sentinel(x); k >= 0 {
			if k != len(r.spans) {
				t.Fatalf("span row %d: target sentinel %d after %d spans", b, k, len(r.spans))
			}
			r.spans = append(r.spans, nil)
			continue
		}
		if len(r.spans) == 0 {
			t.Fatalf("span row %d: target part starts with %d, not a sentinel", b, x)
		}
		r.spans[len(r.spans)-1] = append(r.spans[len(r.spans)-1], x)
	}
	// Input part: text with <k> where span k was.
	k := 0
	for _, x := range seq[1:r.prefix] {
		if s := sentinel(x); s >= 0 {
			if s != k || k >= len(r.spans) {
				t.Fatalf("span row %d: input sentinel %d, want %d of %d", b, s, k, len(r.spans))
			}
			if k == 0 {
				r.lead = len(r.src)
			}
			r.src = append(r.src, r.spans[k]...)
			r.noise = append(r.noise, len(r.spans[k]))
			k++
			continue
		}
		r.src = append(r.src, x)
	}
	if k != len(r.spans) {
		t.Fatalf("span row %d: %d sentinels in the input, %d spans in the target", b, k, len(r.spans))
	}
	r.n = len(r.src)
	return r
}

// checkTargets: the targets of positions before prefix−1 and from end−1 on are Ignore, the others are
// the next input (the sequence shifted by one).
func checkTargets(t *testing.T, b int, in, tgt []int32, prefix, end int) {
	t.Helper()
	for i, y := range tgt {
		switch {
		case i < prefix-1 || i >= end-1:
			if y != Ignore {
				t.Fatalf("row %d: position %d (prefix %d, end %d) has target %d, want Ignore", b, i, prefix, end, y)
			}
		case i+1 < len(in) && y != in[i+1]:
			t.Fatalf("row %d: target %d = %d, next input %d", b, i, y, in[i+1])
		case y == Ignore:
			t.Fatalf("row %d: position %d inside the target part has no target", b, i)
		}
	}
}

// TestUL2Recoverable: every row of many batches, for several window lengths (the minimum, odd ones,
// the presets' 64 and 256), holds its window: the tokens recovered from (input, target) by undoing the
// sentinels are the window's first n tokens; span rows use as much of the window as fits (n + 2·spans
// is T or T−1); the prefix and loss mask are where the package doc says.
func TestUL2Recoverable(t *testing.T) {
	for _, T := range []int{MinUL2Seq, 6, 17, 64, 256} {
		u := newTestUL2(t, DefaultUL2(), T)
		const B = 16
		seen := map[int]int{}
		var bt Batch
		for key := range uint64(40) {
			win := randWindows(B, T, key)
			u.Make(&bt, win, B, T, key)
			for b := range B {
				r := decode(t, &bt, b, u.Tokens)
				seen[r.kind]++
				w := win[b*(T+1) : (b+1)*(T+1)]
				if !slices.Equal(r.src, w[:r.n]) {
					t.Fatalf("T=%d key %d row %d (kind %d): recovered %v, window starts %v", T, key, b, r.kind, r.src, w[:r.n])
				}
				if r.kind == rowR || r.kind == rowX {
					if fill := r.n + 2*len(r.spans); fill != T && fill != T-1 {
						t.Fatalf("T=%d row %d: n %d + 2·%d spans = %d, want T or T−1", T, b, r.n, len(r.spans), fill)
					}
				}
			}
		}
		if len(seen) != 4 {
			t.Errorf("T=%d: row kinds seen %v, want all four", T, seen)
		}
	}
}

// TestUL2SpanStatistics: for each default denoiser at T = 256, the noise fraction of a row is the
// rate and the mean span length μ up to T5's rounding of counts (noise = round(n·r), spans =
// round(noise/μ)); over many rows the span lengths have the variance of a uniformly random cut of the
// noise into `spans` runs (Bose–Einstein: with m = noise − spans extra tokens over s runs,
// Var = m(s−1)(m+s) / (s²(s+1))) within 10% (the sampling error of ~2,000 rows is a few percent), and
// the first span does not always start at the same place.
func TestUL2SpanStatistics(t *testing.T) {
	const T, B, keys = 256, 32, 60
	def := DefaultUL2()
	for _, d := range slices.Concat(def.R, def.X) {
		t.Run(fmt.Sprintf("mu%g-r%g", d.MeanSpan, d.Rate), func(t *testing.T) {
			c := UL2Config{Mix: Mix{R: 1}, R: []Denoiser{d}, PrefixMax: 1}
			u := newTestUL2(t, c, T)
			var lens []float64
			leads := map[int]bool{}
			var bt Batch
			for key := range uint64(keys) {
				u.Make(&bt, randWindows(B, T, key+100), B, T, key)
				for b := range B {
					r := decode(t, &bt, b, u.Tokens)
					noise := 0
					for _, l := range r.noise {
						noise += l
						lens = append(lens, float64(l))
					}
					if rate := float64(noise) / float64(r.n); math.Abs(rate-d.Rate) > 0.5/float64(r.n)+1e-12 {
						t.Fatalf("row noise fraction %g (%d of %d), rate %g", rate, noise, r.n, d.Rate)
					}
					if s := float64(len(r.noise)); s > 1 && math.Abs(s-float64(noise)/d.MeanSpan) > 0.5+1e-9 {
						t.Fatalf("row has %g spans for %d noise tokens, μ %g", s, noise, d.MeanSpan)
					}
					leads[r.lead] = true
				}
			}
			l := d.layout(T)
			m, s := float64(l.noise-l.spans), float64(l.spans)
			want := m * (s - 1) * (m + s) / (s * s * (s + 1))
			got := variance(lens)
			t.Logf("%d rows: %d spans of mean %.3g (μ %g), variance %.3g (uniform cut %.3g)", B*keys, l.spans, float64(l.noise)/s, d.MeanSpan, got, want)
			if math.Abs(got-want) > 0.1*want+1e-9 {
				t.Errorf("span length variance %.4g, a uniform cut gives %.4g", got, want)
			}
			if l.spans > 1 && l.n-l.noise > l.spans && len(leads) < 2 {
				t.Errorf("the first span always starts after %v kept tokens", leads)
			}
		})
	}
}

func variance(x []float64) float64 {
	var s, ss float64
	for _, v := range x {
		s += v
	}
	mean := s / float64(len(x))
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return ss / float64(len(x)-1)
}

// TestUL2Mix: over 16,000 rows the kinds follow the mix (each count within 4.5 binomial standard
// deviations: a false alarm about once in 10⁵ runs, and fixed seeds make it reproducible anyway);
// S-row prefixes are uniform over the configured range (mean within 4.5 standard errors, both ends
// reached); a kind of weight 0 never appears.
func TestUL2Mix(t *testing.T) {
	const T, B, keys = 40, 40, 400
	c := DefaultUL2()
	c.Mix = Mix{Causal: 0.5, Prefix: 0.3, R: 0.2, X: 0}
	c.PrefixMin, c.PrefixMax = 0.25, 0.5 // prefixes of 10..20 window tokens
	u := newTestUL2(t, c, T)
	count := map[int]float64{}
	var prefixes []float64
	var bt Batch
	win := randWindows(B, T, 3)
	for key := range uint64(keys) {
		u.Make(&bt, win, B, T, key)
		for b := range B {
			r := decode(t, &bt, b, u.Tokens)
			count[r.kind]++
			if r.kind == rowS {
				prefixes = append(prefixes, float64(r.prefix-1))
			}
		}
	}
	n := float64(B * keys)
	for k, w := range []float64{c.Mix.Causal, c.Mix.Prefix, c.Mix.R, c.Mix.X} {
		if sd := math.Sqrt(n * w * (1 - w)); math.Abs(count[k]-n*w) > 4.5*sd+1e-9 {
			t.Errorf("kind %d: %g rows of %g, mix weight %g (sd %.3g)", k, count[k], n, w, sd)
		}
	}
	lo, hi := slices.Min(prefixes), slices.Max(prefixes)
	mean := 0.0
	for _, p := range prefixes {
		mean += p / float64(len(prefixes))
	}
	// Uniform over 10..20: mean 15, variance (11²−1)/12 = 10.
	if se := math.Sqrt(10 / float64(len(prefixes))); lo != 10 || hi != 20 || math.Abs(mean-15) > 4.5*se {
		t.Errorf("S prefixes: min %g max %g mean %.3g, want 10, 20, 15 ± %.2g", lo, hi, mean, 4.5*se)
	}
}

// TestUL2Deterministic: a batch is a function of (windows, seed, key) only — the same call gives the
// same batch after other calls, and another key or seed another one.
func TestUL2Deterministic(t *testing.T) {
	const B, T = 8, 64
	u := newTestUL2(t, DefaultUL2(), T)
	win := randWindows(B, T, 1)
	var a, b, c Batch
	u.Make(&a, win, B, T, 5)
	u.Make(&c, win, B, T, 6)
	u.Make(&b, win, B, T, 5)
	same := func(x, y *Batch) bool {
		return slices.Equal(x.Inputs, y.Inputs) && slices.Equal(x.Targets, y.Targets) && slices.Equal(x.Prefix, y.Prefix)
	}
	if !same(&a, &b) {
		t.Error("the same key made different batches")
	}
	if same(&a, &c) {
		t.Error("keys 5 and 6 made the same batch")
	}
	v := *u
	v.Seed++
	v.Make(&c, win, B, T, 5)
	if same(&a, &c) {
		t.Error("seeds 7 and 8 made the same batch")
	}
}

// TestUL2Allocs: after one call at the largest shape, Make allocates nothing, whatever rows it draws.
func TestUL2Allocs(t *testing.T) {
	const B, T = 8, 256
	u := newTestUL2(t, DefaultUL2(), T)
	win := randWindows(B, T, 2)
	var bt Batch
	u.Make(&bt, win, B, T, 0)
	var obj Objective = u
	key := uint64(100)
	if n := testing.AllocsPerRun(50, func() { obj.Make(&bt, win, B, T, key); key++ }); n != 0 {
		t.Errorf("Make allocates %v times per call, want 0", n)
	}
}

// TestUL2Problems: bad knobs are reported, each by name, and defaults pass.
func TestUL2Problems(t *testing.T) {
	if p := DefaultUL2().Problems(256); p != nil {
		t.Fatalf("defaults: %v", p)
	}
	for _, c := range []struct {
		name string
		set  func(*UL2Config)
		T    int
		want string
	}{
		{"rate 1", func(c *UL2Config) { c.R[1].Rate = 1 }, 64, "ul2 r-denoiser 2: rate 1 outside (0, 1)"},
		{"rate 0", func(c *UL2Config) { c.X[0].Rate = 0 }, 64, "ul2 x-denoiser 1: rate 0 outside (0, 1)"},
		{"rate NaN", func(c *UL2Config) { c.X[0].Rate = math.NaN() }, 64, "rate NaN outside (0, 1)"},
		{"span below 1", func(c *UL2Config) { c.R[0].MeanSpan = 0.5 }, 64, "ul2 r-denoiser 1: mean span 0.5 outside [1, 1e6]"},
		{"mix sum", func(c *UL2Config) { c.Mix.Causal = 0.7 }, 64, "ul2 mix 0.7,0.2,0.1,0.1 sums to 1.1, want 1"},
		{"negative weight", func(c *UL2Config) { c.Mix.Causal, c.Mix.Prefix = 0.9, -0.1 }, 64, "ul2 mix weight prefix = -0.1 outside [0, 1]"},
		{"no x", func(c *UL2Config) { c.X = nil }, 64, "ul2 mix gives x-denoisers 0.1 but none are configured"},
		{"prefix range", func(c *UL2Config) { c.PrefixMin, c.PrefixMax = 0.8, 0.2 }, 64, "ul2 prefix range 0.8,0.2: want 0 ≤ min ≤ max ≤ 1"},
		{"short windows", func(c *UL2Config) {}, 4, "ul2 needs windows of at least 5 tokens, got seq 4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultUL2()
			c.set(&cfg)
			err := cfg.Validate(c.T)
			if err == nil || !strings.HasPrefix(err.Error(), "objective: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate: %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Validate: %q spans lines", err)
			}
		})
	}
}

// TestUL2Sentinels: the sentinel count is the most spans of any denoiser (the X-denoiser μ 3, r 0.5
// at T = 256: n = 192 kept and corrupted tokens, 96 noise, 32 spans; 192 + 2·32 = 256), and Make
// refuses a vocabulary with fewer.
func TestUL2Sentinels(t *testing.T) {
	c := DefaultUL2()
	if got := c.Sentinels(256); got != 32 {
		t.Errorf("Sentinels(256) = %d, want 32", got)
	}
	if got := (Denoiser{3, 0.5}).layout(256); got != (spanLayout{192, 96, 32}) {
		t.Errorf("layout(256) = %+v, want {192 96 32}", got)
	}
	specials := c.SpecialTokens(64)
	if len(specials) != 3+c.Sentinels(64) || specials[0] != ModeR || specials[3] != "<extra_id_0>" {
		t.Errorf("SpecialTokens(64) = %v", specials)
	}
	u, err := NewUL2(c, testTokens(c.Sentinels(64)), 1)
	if err != nil {
		t.Fatal(err)
	}
	msg := catchPanic(func() { u.Make(&Batch{}, make([]int32, 257), 1, 256, 0) })
	if !strings.Contains(msg, "objective: UL2.Make: seq 256 needs 32 sentinels, the vocabulary has") {
		t.Errorf("panic %q", msg)
	}
}

// TestLayoutBisection: the bisection of layout finds what a scan down from T−2 finds, for every window
// length up to 300 and denoisers from the defaults to extremes.
func TestLayoutBisection(t *testing.T) {
	ds := append(slices.Concat(DefaultUL2().R, DefaultUL2().X), Denoiser{1, 0.99}, Denoiser{1, 0.01}, Denoiser{1e6, 0.5}, Denoiser{2.5, 0.3})
	for _, d := range ds {
		for T := MinUL2Seq; T <= 300; T++ {
			var want spanLayout
			for n := T - 2; n >= 2; n-- {
				noise := min(max(int(math.Round(float64(n)*d.Rate)), 1), n-1)
				spans := min(max(int(math.Round(float64(noise)/d.MeanSpan)), 1), noise, n-noise)
				if n+2*spans <= T {
					want = spanLayout{n, noise, spans}
					break
				}
			}
			if got := d.layout(T); got != want {
				t.Fatalf("%+v T=%d: layout %+v, scan %+v", d, T, got, want)
			}
		}
	}
}

func TestParseKnobs(t *testing.T) {
	m, err := ParseMix("0.6, 0.2,0.1,0.1")
	if err != nil || m != DefaultUL2().Mix || m.String() != "0.6,0.2,0.1,0.1" {
		t.Errorf("ParseMix: %+v, %v", m, err)
	}
	ds, err := ParseDenoisers("3:0.5,64:0.15")
	if err != nil || !slices.Equal(ds, []Denoiser{{3, 0.5}, {64, 0.15}}) || DenoisersString(ds) != "3:0.5,64:0.15" {
		t.Errorf("ParseDenoisers: %v, %v", ds, err)
	}
	if lo, hi, err := ParseRange("0.1,0.9"); err != nil || lo != 0.1 || hi != 0.9 {
		t.Errorf("ParseRange: %v %v %v", lo, hi, err)
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{func() error { _, err := ParseMix("0.6,0.4"); return err }(), `objective: ul2 mix "0.6,0.4": want 4 numbers`},
		{func() error { _, err := ParseDenoisers("3"); return err }(), `objective: ul2 denoisers "3": "3" is not meanspan:rate`},
		{func() error { _, err := ParseDenoisers("3:x"); return err }(), `"x" is not a number`},
		{func() error { _, _, err := ParseRange("a,b"); return err }(), `objective: ul2 prefix range "a,b": "a" is not a number`},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error %v, want %q", c.err, c.want)
		}
	}
}
