package objective

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"midas/internal/splitmix"
)

// Objective names (train.Options.Objective).
const (
	NameCausal = "causal"
	NameUL2    = "ul2"
)

// UL2's mode tokens, as in the released UL2 checkpoints: the first input token of a row tells the
// model which denoiser made it. Causal rows have none.
const (
	ModeR = "[NLU]" // R-denoiser: short spans, low rate
	ModeX = "[NLG]" // X-denoiser: long spans or a high rate
	ModeS = "[S2S]" // S-denoiser: prefix LM
)

// Sentinel is the text of sentinel token k, T5's spelling.
func Sentinel(k int) string { return "<extra_id_" + strconv.Itoa(k) + ">" }

// SpecialTokens are the special tokens a UL2 vocabulary needs for windows of T tokens, in id order:
// the three mode tokens, then Sentinel(0), Sentinel(1), … — as many as c makes spans in one window.
func (c UL2Config) SpecialTokens(T int) []string {
	s := []string{ModeR, ModeX, ModeS}
	for k := range c.Sentinels(T) {
		s = append(s, Sentinel(k))
	}
	return s
}

// Denoiser is one span-corruption setting: spans of mean length MeanSpan tokens that cover a fraction
// Rate of the corrupted text.
type Denoiser struct {
	MeanSpan float64 `json:"mean_span"`
	Rate     float64 `json:"rate"`
}

// Mix is the share of each kind of row in the UL2 mixture; the four sum to 1.
type Mix struct {
	Causal float64 `json:"causal"` // next-token prediction over the whole window
	Prefix float64 `json:"prefix"` // S-denoiser: prefix LM
	R      float64 `json:"r"`      // R-denoisers (span corruption)
	X      float64 `json:"x"`      // X-denoisers (span corruption)
}

// UL2Config are the knobs of the UL2 mixture (train.Options.UL2, trainer_state.json's "ul2").
type UL2Config struct {
	Mix Mix        `json:"mix"`
	R   []Denoiser `json:"r_denoisers"` // a span row of kind R uses one of these, uniformly
	X   []Denoiser `json:"x_denoisers"` // likewise for X
	// PrefixMin and PrefixMax bound the prefix of an S row as a fraction of the window: its length is
	// uniform over the integers in [PrefixMin·T, PrefixMax·T], clamped to [1, T−1].
	PrefixMin float64 `json:"prefix_min"`
	PrefixMax float64 `json:"prefix_max"`
}

// DefaultUL2 is the MIDAS paper's mixture — 60% causal LM, 20% prefix LM, 20% span corruption (split
// evenly between R and X) — with UL2's denoisers: R (μ 3, r 0.15), (μ 8, r 0.15); X (μ 3, r 0.5),
// (μ 8, r 0.5), (μ 64, r 0.15), (μ 64, r 0.5). The prefix of an S row is 25–75% of the window.
func DefaultUL2() UL2Config {
	return UL2Config{
		Mix: Mix{Causal: 0.6, Prefix: 0.2, R: 0.1, X: 0.1},
		R:   []Denoiser{{3, 0.15}, {8, 0.15}},
		X:   []Denoiser{{3, 0.5}, {8, 0.5}, {64, 0.15}, {64, 0.5}},

		PrefixMin: 0.25, PrefixMax: 0.75,
	}
}

// MinUL2Seq is the shortest window UL2 corrupts: a mode token, two source tokens, one sentinel in the
// input part and one in the target part.
const MinUL2Seq = 5

// Problems lists what is wrong with c for windows of T tokens (nil: nothing), one phrase each.
func (c UL2Config) Problems(T int) []string {
	var p []string
	m := c.Mix
	for _, w := range []struct {
		name string
		v    float64
	}{{"causal", m.Causal}, {"prefix", m.Prefix}, {"r", m.R}, {"x", m.X}} {
		if !(w.v >= 0 && w.v <= 1) {
			p = append(p, fmt.Sprintf("ul2 mix weight %s = %g outside [0, 1]", w.name, w.v))
		}
	}
	if sum := m.Causal + m.Prefix + m.R + m.X; !(math.Abs(sum-1) <= 1e-6) {
		p = append(p, fmt.Sprintf("ul2 mix %g,%g,%g,%g sums to %.6g, want 1", m.Causal, m.Prefix, m.R, m.X, sum))
	}
	for _, set := range []struct {
		name   string
		weight float64
		ds     []Denoiser
	}{{"r", m.R, c.R}, {"x", m.X, c.X}} {
		if set.weight > 0 && len(set.ds) == 0 {
			p = append(p, fmt.Sprintf("ul2 mix gives %s-denoisers %g but none are configured", set.name, set.weight))
		}
		for i, d := range set.ds {
			if !(d.Rate > 0 && d.Rate < 1) {
				p = append(p, fmt.Sprintf("ul2 %s-denoiser %d: rate %g outside (0, 1)", set.name, i+1, d.Rate))
			}
			if !(d.MeanSpan >= 1 && d.MeanSpan <= 1e6) {
				p = append(p, fmt.Sprintf("ul2 %s-denoiser %d: mean span %g outside [1, 1e6]", set.name, i+1, d.MeanSpan))
			}
		}
	}
	if !(c.PrefixMin >= 0 && c.PrefixMin <= c.PrefixMax && c.PrefixMax <= 1) {
		p = append(p, fmt.Sprintf("ul2 prefix range %g,%g: want 0 ≤ min ≤ max ≤ 1", c.PrefixMin, c.PrefixMax))
	}
	if T < MinUL2Seq {
		p = append(p, fmt.Sprintf("ul2 needs windows of at least %d tokens, got seq %d", MinUL2Seq, T))
	}
	return p
}

// Validate returns Problems as one error (nil when there are none).
func (c UL2Config) Validate(T int) error {
	if p := c.Problems(T); len(p) > 0 {
		return fmt.Errorf("objective: %s", strings.Join(p, "; "))
	}
	return nil
}

// Sentinels is the most spans any denoiser of c makes in a window of T tokens: the sentinel tokens
// the vocabulary needs.
func (c UL2Config) Sentinels(T int) int {
	n := 0
	for _, ds := range [...][]Denoiser{c.R, c.X} {
		for _, d := range ds {
			if T >= MinUL2Seq && d.Rate > 0 && d.Rate < 1 && d.MeanSpan >= 1 {
				n = max(n, d.layout(T).spans)
			}
		}
	}
	return n
}

// spanLayout is how a denoiser corrupts a window of T tokens: its first n tokens, noise of them
// hidden in spans; the row is [mode] + n − noise kept tokens and spans sentinels (the input part,
// the prefix) + spans sentinels and the noise tokens (the target part), 1 + n + 2·spans ≤ T+1
// tokens, padded to T+1.
type spanLayout struct{ n, noise, spans int }

// layout is T5's count of noise tokens and spans for a text of n tokens — noise = round(n·rate) in
// [1, n−1], spans = round(noise/μ) in [1, min(noise, n−noise)] — for the largest n in [2, T−2] with
// n + 2·spans ≤ T. Both counts grow with n, so n + 2·spans is increasing and a bisection finds it.
func (d Denoiser) layout(T int) spanLayout {
	at := func(n int) spanLayout {
		noise := min(max(int(math.Round(float64(n)*d.Rate)), 1), n-1)
		spans := min(max(int(math.Round(float64(noise)/d.MeanSpan)), 1), noise, n-noise)
		return spanLayout{n, noise, spans}
	}
	lo, hi := 2, max(T-2, 2) // at(lo) fits for T ≥ 4; find the last n that fits
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if l := at(mid); l.n+2*l.spans <= T {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return at(lo)
}

// UL2Tokens are the ids of UL2's special tokens in a vocabulary.
type UL2Tokens struct {
	R, X, S  int32   // the mode tokens ModeR, ModeX, ModeS
	Sentinel []int32 // Sentinel(k) is Sentinel[k]
	Pad      int32   // fills a span row after its target part (no loss there); EOT
}

// TokensFrom are the ids of SpecialTokens(T) when they start at id first, in their order, with the
// id before them as Pad: the layout of a midas tokenizer, whose EOT precedes its special tokens
// (for benchmarks on random tokens, which have no tokenizer).
func (c UL2Config) TokensFrom(first int32, T int) UL2Tokens {
	tk := UL2Tokens{R: first, X: first + 1, S: first + 2, Pad: first - 1}
	for k := range c.Sentinels(T) {
		tk.Sentinel = append(tk.Sentinel, first+3+int32(k))
	}
	return tk
}

// UL2 is the UL2 mixture of SPEC §6a: each row of a batch is, at random, a causal LM row, a prefix
// LM row (S-denoiser) or a span-corruption row (R- or X-denoiser) in decoder form. With a window w
// [T+1], the rows are
//
//	causal   Inputs w[0:T], Targets w[1:T+1], Prefix 0 (exactly Causal's row)
//	S        the sequence [S2S] w[0:T]; Prefix 1+p for p uniform in the prefix range; loss on the
//	         predictions of w[p:T]
//	R, X     the sequence [NLU] or [NLG], then w[0:n] with its noise spans replaced by sentinels
//	         (the input part, the Prefix), then each sentinel followed by the span it hid (the target
//	         part, the loss), then Pad without loss up to T+1 tokens
//
// where Inputs are a sequence's first T tokens and Targets its last T. Spans follow T5's
// random_spans_noise_mask: the kept and the noise tokens are each cut into `spans` nonempty runs,
// every cut equally likely, and the runs alternate kept, noise, kept, … ending with noise. Example:
// w[0:n] = a b c d e f g h, noise d e and h in two spans, sentinels <0> <1>:
//
//	input part   [NLU] a b c <0> f g <1>
//	target part  <0> d e <1> h
//
// Every draw comes from splitmix seeded by (Seed, key, row), so a batch is a pure function of the
// windows, the seed and the micro-batch index: a resumed run makes the same batches.
type UL2 struct {
	Config UL2Config
	Tokens UL2Tokens
	Seed   uint64

	perm, keep, noise []int // scratch of the span draws, reused
}

// NewUL2 checks the configuration and returns the objective; Make panics on windows longer than the
// sentinels allow (T with Config.Sentinels(T) > len(Tokens.Sentinel)).
func NewUL2(c UL2Config, tk UL2Tokens, seed uint64) (*UL2, error) {
	if err := c.Validate(MinUL2Seq); err != nil {
		return nil, err
	}
	return &UL2{Config: c, Tokens: tk, Seed: seed}, nil
}

// Row kinds drawn by UL2.Make.
const (
	rowCausal = iota
	rowS
	rowR
	rowX
)

// Make implements Objective.
func (u *UL2) Make(dst *Batch, windows []int32, B, T int, key uint64) {
	if B <= 0 || T < MinUL2Seq {
		panic(fmt.Sprintf("objective: UL2.Make: B = %d, T = %d, want B > 0 and T ≥ %d", B, T, MinUL2Seq))
	}
	if len(windows) != B*(T+1) {
		panic(fmt.Sprintf("objective: UL2.Make: len(windows) = %d, want B·(T+1) = %d", len(windows), B*(T+1)))
	}
	if need := u.Config.Sentinels(T); need > len(u.Tokens.Sentinel) {
		panic(fmt.Sprintf("objective: UL2.Make: seq %d needs %d sentinels, the vocabulary has %d", T, need, len(u.Tokens.Sentinel)))
	}
	dst.Resize(B, T)
	if cap(u.perm) < T { // room for any row of this length: Make allocates only the first time
		u.perm, u.keep, u.noise = make([]int, T), make([]int, 0, T), make([]int, 0, T)
	}
	for b := 0; b < B; b++ {
		w := windows[b*(T+1) : (b+1)*(T+1)]
		r := splitmix.New(splitmix.Mix(u.Seed, key, uint64(b)))
		switch kind := u.kind(&r); kind {
		case rowCausal:
			copy(dst.Inputs[b*T:(b+1)*T], w[:T])
			copy(dst.Targets[b*T:(b+1)*T], w[1:])
			dst.Prefix[b] = 0
		case rowS:
			u.prefixRow(dst, b, w, &r)
		default:
			mode, ds := u.Tokens.R, u.Config.R
			if kind == rowX {
				mode, ds = u.Tokens.X, u.Config.X
			}
			u.spanRow(dst, b, w, mode, ds[r.Intn(len(ds))], &r)
		}
	}
}

// kind draws a row kind by the mix weights; a kind of weight 0 is never drawn.
func (u *UL2) kind(r *splitmix.Source) int {
	m := u.Config.Mix
	x, last := r.Float64(), rowCausal
	for k, w := range [...]float64{m.Causal, m.Prefix, m.R, m.X} {
		if w <= 0 {
			continue
		}
		if x < w {
			return k
		}
		x, last = x-w, k
	}
	return last // rounding left x past the weights' sum
}

// prefixRow makes row b an S-denoiser row of window w.
func (u *UL2) prefixRow(dst *Batch, b int, w []int32, r *splitmix.Source) {
	T := dst.T
	lo := min(max(int(math.Ceil(u.Config.PrefixMin*float64(T))), 1), T-1)
	hi := min(max(int(math.Floor(u.Config.PrefixMax*float64(T))), lo), T-1)
	p := r.Between(lo, hi)
	in, tgt := dst.Inputs[b*T:(b+1)*T], dst.Targets[b*T:(b+1)*T]
	in[0] = u.Tokens.S
	copy(in[1:], w[:T-1])
	copy(tgt, w[:T])
	dst.Prefix[b] = 1 + p
	dst.LossFrom(b, 1+p)
}

// spanRow makes row b a span-corruption row of window w with denoiser d and mode token mode.
func (u *UL2) spanRow(dst *Batch, b int, w []int32, mode int32, d Denoiser, r *splitmix.Source) {
	T := dst.T
	l := d.layout(T)
	u.keep = segment(r, l.n-l.noise, l.spans, &u.perm, u.keep)
	u.noise = segment(r, l.noise, l.spans, &u.perm, u.noise)
	s := seqWriter{in: dst.Inputs[b*T : (b+1)*T], tgt: dst.Targets[b*T : (b+1)*T]}
	s.put(mode)
	src := 0
	for k := range l.spans {
		s.put(w[src : src+u.keep[k]]...)
		src += u.keep[k] + u.noise[k]
		s.put(u.Tokens.Sentinel[k])
	}
	prefix := s.n
	src = 0
	for k := range l.spans {
		src += u.keep[k]
		s.put(u.Tokens.Sentinel[k])
		s.put(w[src : src+u.noise[k]]...)
		src += u.noise[k]
	}
	end := s.n
	for s.n <= T {
		s.put(u.Tokens.Pad)
	}
	for i := end - 1; i < T; i++ {
		s.tgt[i] = Ignore // the predictions of the padding
	}
	dst.Prefix[b] = prefix
	dst.LossFrom(b, prefix)
}

// seqWriter writes a sequence of T+1 tokens into a row: token i is input i (i < T) and the target of
// position i−1 (i ≥ 1).
type seqWriter struct {
	in, tgt []int32
	n       int
}

func (s *seqWriter) put(ids ...int32) {
	for _, id := range ids {
		if s.n < len(s.in) {
			s.in[s.n] = id
		}
		if s.n >= 1 {
			s.tgt[s.n-1] = id
		}
		s.n++
	}
}

// segment cuts items into parts nonempty runs, every set of parts−1 cut points among the items−1 gaps
// equally likely (a partial Fisher–Yates shuffle of the gaps), and returns the run lengths in out
// (resized). perm is scratch.
func segment(r *splitmix.Source, items, parts int, perm *[]int, out []int) []int {
	gaps := items - 1
	if cap(*perm) < gaps {
		*perm = make([]int, gaps)
	}
	p := (*perm)[:gaps]
	for i := range p {
		p[i] = i + 1
	}
	for i := 0; i < parts-1; i++ {
		j := i + r.Intn(gaps-i)
		p[i], p[j] = p[j], p[i]
	}
	cuts := p[:parts-1]
	slices.Sort(cuts)
	if cap(out) < parts {
		out = make([]int, parts)
	}
	out = out[:parts]
	prev := 0
	for k, c := range cuts {
		out[k], prev = c-prev, c
	}
	out[parts-1] = items - prev
	return out
}
