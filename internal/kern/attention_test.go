package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// attCase is one shape of the prefix-attention tests: B = len(prefix) rows with their prefix lengths,
// H query heads sharing Hkv key/value heads.
type attCase struct {
	name         string
	t, h, hkv, d int
	prefix       []int
}

// attCases cover one row block and several with a partial last one (attBlock = 48), prefixes of 0
// and 1 (causal), inside the first block, ending exactly at a block edge, crossing one, the whole
// window, and rows of different prefixes in one batch; with multi-head (Hkv = H), grouped-query and
// multi-query (Hkv = 1) attention.
var attCases = []attCase{
	{"one block", 7, 2, 2, 3, []int{0, 4}},
	{"prefix 1 and T", 5, 1, 1, 4, []int{1, 5}},
	{"block edge", 2*attBlock + 5, 2, 2, 3, []int{attBlock, attBlock + 1}},
	{"crossing blocks", 2*attBlock + 5, 3, 3, 4, []int{attBlock + 7, 2*attBlock + 2, 0}},
	{"odd head dim", 61, 2, 2, 5, []int{60, 13}},
	{"gqa one block", 7, 4, 2, 3, []int{0, 6}},
	{"gqa crossing blocks", 2*attBlock + 5, 4, 2, 3, []int{attBlock + 7, 2*attBlock + 2, 0}},
	{"mqa block edge", 2*attBlock + 5, 3, 1, 4, []int{attBlock, 1}},
}

// TestAttentionPrefixMatchesNaive compares AttentionForward and AttentionBackward with their float64
// oracles on every elementwise backend, with guard values around every output. Tolerances: y, att and
// dqkv are sums of ≤ T = 101 float32 products of O(1) terms, so ~1e-6 relative rounding; 2e-5 absolute
// + 1e-4 relative is a hundred times that and far below any masking error (an attended key of the
// wrong set changes entries by O(1/T)).
func TestAttentionPrefixMatchesNaive(t *testing.T) {
	withLanes(t, func(t *testing.T) {
		for _, tc := range attCases {
			t.Run(tc.name, func(t *testing.T) { checkAttentionNaive(t, tc) })
		}
	})
}

func checkAttentionNaive(t *testing.T, tc attCase) {
	r := rand.New(rand.NewPCG(31, uint64(tc.t)))
	b, tt, h, hkv, d := len(tc.prefix), tc.t, tc.h, tc.hkv, tc.d
	c, w := h*d, (h+2*hkv)*d
	qkv, dy := randSlice(r, b*tt*w, 1), randSlice(r, b*tt*c, 1)
	y, checkY := guarded(t, b*tt*c)
	att, checkAtt := guarded(t, b*h*tt*tt)
	dqkv, checkD := guarded(t, b*tt*w)
	datt := nanSlice(b * h * tt * tt)
	AttentionForward(y, att, qkv, tc.prefix, b, tt, h, hkv, d)
	AttentionBackward(dqkv, datt, dy, qkv, att, tc.prefix, b, tt, h, hkv, d)
	checkY("y")
	checkAtt("att")
	checkD("dqkv")
	wy, watt, wd := make([]float32, len(y)), make([]float32, len(att)), make([]float32, len(dqkv))
	attentionForwardNaive(wy, watt, qkv, tc.prefix, b, tt, h, hkv, d)
	attentionBackwardNaive(wd, dy, qkv, tc.prefix, b, tt, h, hkv, d)
	closeTo(t, "y", y, wy, 2e-5, 1e-4)
	closeTo(t, "att", att, watt, 2e-5, 1e-4)
	closeTo(t, "dqkv", dqkv, wd, 2e-5, 1e-4)
	// The masked probabilities are exact zeros, not small numbers.
	for i, w := range watt {
		if w == 0 && att[i] != 0 {
			t.Fatalf("att[%d] = %v, want exactly 0 (masked)", i, att[i])
		}
	}
}

// closeTo checks |got − want| ≤ abs + rel·|want| elementwise and logs the largest difference.
func closeTo(t *testing.T, name string, got, want []float32, abs, rel float64) {
	t.Helper()
	worst := 0.0
	for i := range want {
		diff := math.Abs(float64(got[i]) - float64(want[i]))
		if !(diff <= abs+rel*math.Abs(float64(want[i]))) {
			t.Fatalf("%s[%d] = %v, oracle %v", name, i, got[i], want[i])
		}
		worst = max(worst, diff)
	}
	t.Logf("%s: max |fast − naive| = %.3g over %d values", name, worst, len(want))
}

// TestAttentionPrefixBackward checks the gradient with prefixes by finite differences (the tolerance
// of checkGrad, ops_test.go), for the fast kernel and for the naive oracle, on one row block and on
// several (a prefix that crosses a block edge and a causal row in the same batch), with multi-head and
// grouped-query attention.
func TestAttentionPrefixBackward(t *testing.T) {
	for _, tc := range []attCase{
		{"one block", 5, 2, 2, 3, []int{3, 5}},
		{"crossing blocks", 2*attBlock + 5, 2, 2, 3, []int{attBlock + 7, 0}},
		{"gqa one block", 5, 4, 2, 3, []int{3, 5}},
		{"gqa crossing blocks", 2*attBlock + 5, 4, 2, 3, []int{attBlock + 7, 0}},
	} {
		r := rand.New(rand.NewPCG(7, 9))
		b, tt, h, hkv, d := len(tc.prefix), tc.t, tc.h, tc.hkv, tc.d
		c := h * d
		qkv := randSlice(r, b*tt*(h+2*hkv)*d, 1)
		R := randSlice(r, b*tt*c, 1)
		y, att := make([]float32, b*tt*c), nanSlice(b*h*tt*tt)
		f := func() float64 { AttentionForward(y, att, qkv, tc.prefix, b, tt, h, hkv, d); return dot64(y, R) }
		f()
		dqkv, datt := nanSlice(len(qkv)), nanSlice(len(att))
		AttentionBackward(dqkv, datt, R, qkv, att, tc.prefix, b, tt, h, hkv, d)
		checkGrad(t, fmt.Sprintf("dqkv %s", tc.name), qkv, dqkv, f)
		if tt > 10 {
			continue // the oracle's own check needs one small case only
		}
		naive := make([]float32, len(qkv))
		attentionBackwardNaive(naive, R, qkv, tc.prefix, b, tt, h, hkv, d)
		checkGrad(t, fmt.Sprintf("naive dqkv %s", tc.name), qkv, naive, f)
	}
}

// TestAttentionPrefixZeroIsCausal: prefix 0 (and 1) give bitwise the results of the causal kernel
// (prefix nil) — probabilities, outputs and gradients — on every backend, across row blocks, with
// grouped-query attention (Hkv = 2 of 4).
func TestAttentionPrefixZeroIsCausal(t *testing.T) {
	withLanes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		b, tt, h, hkv, d := 3, 2*attBlock+5, 4, 2, 4
		c, w := h*d, (h+2*hkv)*d
		qkv, dy := randSlice(r, b*tt*w, 1), randSlice(r, b*tt*c, 1)
		run := func(prefix []int) (y, att, dqkv []float32) {
			y, att, dqkv = make([]float32, b*tt*c), make([]float32, b*h*tt*tt), make([]float32, b*tt*w)
			AttentionForward(y, att, qkv, prefix, b, tt, h, hkv, d)
			AttentionBackward(dqkv, nanSlice(len(att)), dy, qkv, att, prefix, b, tt, h, hkv, d)
			return y, att, dqkv
		}
		y0, att0, d0 := run(nil)
		for _, prefix := range [][]int{{0, 0, 0}, {1, 0, 1}} {
			y, att, dqkv := run(prefix)
			for _, o := range []struct {
				name      string
				got, want []float32
			}{{"y", y, y0}, {"att", att, att0}, {"dqkv", dqkv, d0}} {
				if i := firstBitDiff(o.got, o.want); i >= 0 {
					t.Fatalf("prefix %v: %s[%d] = %v, causal %v", prefix, o.name, i, o.got[i], o.want[i])
				}
			}
		}
	})
}

// firstBitDiff is the first index where a and b differ in bits, or −1.
func firstBitDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestAttentionPrefixPanics: a prefix outside [0, T] or shorter than B is a caller bug.
func TestAttentionPrefixPanics(t *testing.T) {
	b, tt, h, d := 2, 4, 1, 2
	c := h * d
	qkv, y, att := make([]float32, b*tt*3*c), make([]float32, b*tt*c), make([]float32, b*h*tt*tt)
	for _, tc := range []struct {
		name, want string
		f          func()
	}{
		{"forward prefix past T", "kern: AttentionForward: prefix[1] = 5 outside [0, T = 4]",
			func() { AttentionForward(y, att, qkv, []int{0, 5}, b, tt, h, h, d) }},
		{"forward negative", "kern: AttentionForward: prefix[0] = -1 outside [0, T = 4]",
			func() { AttentionForward(y, att, qkv, []int{-1, 0}, b, tt, h, h, d) }},
		{"forward short", "kern: AttentionForward: len(prefix) = 1 < B = 2",
			func() { AttentionForward(y, att, qkv, []int{0}, b, tt, h, h, d) }},
		{"backward past T", "kern: AttentionBackward: prefix[0] = 9 outside [0, T = 4]",
			func() { AttentionBackward(qkv, att, y, qkv, att, []int{9, 0}, b, tt, h, h, d) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := func() (msg string) {
				defer func() { msg = fmt.Sprint(recover()) }()
				tc.f()
				return ""
			}()
			if !strings.HasPrefix(msg, tc.want) {
				t.Errorf("panic %q, want %q", msg, tc.want)
			}
		})
	}
}

// BenchmarkAttention is the attention step (forward + backward) at the default bench shape per head
// (T = 256, D = 64, 4 heads, 8 rows) for a causal batch and for UL2-like prefixes; compare the ns/op
// of the family as ratios (prefix rows cost up to the prefix's square more than causal ones).
func BenchmarkAttention(b *testing.B) {
	const B, T, H, D = 8, 256, 4, 64
	r := rand.New(rand.NewPCG(1, 1))
	qkv, dy := randSlice(r, B*T*3*H*D, 1), randSlice(r, B*T*H*D, 1)
	y, att, datt, dqkv := make([]float32, B*T*H*D), make([]float32, B*H*T*T), make([]float32, B*H*T*T), make([]float32, len(qkv))
	for _, bc := range []struct {
		name   string
		prefix []int
	}{
		{"causal", nil},
		{"prefix-half", []int{128, 128, 128, 128, 128, 128, 128, 128}},
		{"prefix-full", []int{T, T, T, T, T, T, T, T}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				AttentionForward(y, att, qkv, bc.prefix, B, T, H, H, D)
				AttentionBackward(dqkv, datt, dy, qkv, att, bc.prefix, B, T, H, H, D)
			}
		})
	}
}

// TestAttentionLeanBitwise: the lean attention (statistics kept, probabilities recomputed in
// backward) gives bit for bit AttentionForward's y and AttentionBackward's dqkv — causal and with
// prefixes, grouped-query heads, T across row blocks, 1 and 2 threads, every GEMM backend — and its
// statistics are each row's maximum score and inverse sum.
func TestAttentionLeanBitwise(t *testing.T) {
	prevB, prevT := Backend(), Threads()
	defer func() { SetBackend(prevB); SetThreads(prevT) }()
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		b, t, h, hkv, d int
		prefix          []int
	}{
		{2, 7, 2, 2, 4, nil}, {2, 100, 4, 2, 8, []int{0, 60}}, {1, 130, 4, 1, 16, []int{130}}, {3, 49, 2, 1, 8, []int{1, 0, 48}},
	} {
		w := (tc.h + 2*tc.hkv) * tc.d
		qkv, dy := randSlice(r, tc.b*tc.t*w, 1), randSlice(r, tc.b*tc.t*tc.h*tc.d, 1)
		for _, be := range Backends() {
			if be == "openblas" || be == "amx-bf16" {
				continue
			}
			for _, th := range []int{1, 2} {
				SetBackend(be)
				SetThreads(th)
				y, att, datt := make([]float32, len(dy)), make([]float32, tc.b*tc.h*tc.t*tc.t), make([]float32, tc.b*tc.h*tc.t*tc.t)
				dqkv := make([]float32, len(qkv))
				AttentionForward(y, att, qkv, tc.prefix, tc.b, tc.t, tc.h, tc.hkv, tc.d)
				AttentionBackward(dqkv, datt, dy, qkv, att, tc.prefix, tc.b, tc.t, tc.h, tc.hkv, tc.d)
				yl, stats, dl := make([]float32, len(dy)), make([]float32, AttentionStatsLen(tc.b, tc.t, tc.h)), nanSlice(len(qkv))
				AttentionForwardLean(yl, stats, qkv, tc.prefix, tc.b, tc.t, tc.h, tc.hkv, tc.d)
				AttentionBackwardLean(dl, dy, qkv, stats, tc.prefix, tc.b, tc.t, tc.h, tc.hkv, tc.d)
				if !slices.Equal(y, yl) || !slices.Equal(dqkv, dl) {
					t.Fatalf("%+v %s threads %d: lean attention differs from the full one", tc, be, th)
				}
				if stats[1] <= 0 || stats[1] > 1 {
					t.Fatalf("%+v: first row's inverse sum %v, want in (0, 1]", tc, stats[1])
				}
			}
		}
	}
}
