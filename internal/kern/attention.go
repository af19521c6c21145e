package kern

import (
	"fmt"
	"math"
)

// AttentionForward computes multi-head attention from packed projections, with H query heads sharing
// Hkv key/value heads (grouped-query attention; Hkv = H is plain multi-head attention, Hkv must divide
// H): query head i uses key/value head i/(H/Hkv), as Hugging Face's repeat_kv does. It is causal,
// except that each batch row may have a bidirectional prefix.
//
//	qkv    [N, (H+2·Hkv)·D]: row b·T+t holds q (H heads), then k (Hkv heads), then v (Hkv heads), each
//	                head D consecutive columns (rotary embedding already applied to q and k);
//	prefix [B] or nil: positions [0, prefix[b]) of batch row b attend to each other; 0 ≤ prefix[b] ≤ T.
//	                nil is all zeros: causal attention. Prefix 0 and 1 are both exactly causal.
//	att    [B, H, T, T]: out, the attention probabilities P = softmax(q·kᵀ/√D) over the visible keys,
//	                P[i,j] = 0 for the others;
//	y      [N, H·D]: out, P·v per head, heads concatenated along columns.
//
// Query i of row b sees key j iff j ≤ last(i) = max(i, prefix[b]−1). Reference loop:
// y[b,t,h·D+e] = Σ_{s ≤ last(t)} P[b,h,t,s] · v[b,s,(h/G)·D+e] with G = H/Hkv;
// attentionForwardNaive is the oracle.
func AttentionForward(y, att, qkv []float32, prefix []int, b, t, h, hkv, d int) {
	checkHeads("AttentionForward", h, hkv)
	need("AttentionForward", "qkv", qkv, b*t*(h+2*hkv)*d)
	need("AttentionForward", "att", att, b*h*t*t)
	need("AttentionForward", "y", y, b*t*h*d)
	checkPrefix("AttentionForward", prefix, b, t)
	scale := attScale(d)
	parallelArgs(&attFwdFree, b*h, attFwd{y, att, qkv, prefix, t, h, hkv, d, scale})
}

// checkHeads panics unless 1 ≤ hkv ≤ h and hkv divides h.
func checkHeads(op string, h, hkv int) {
	if hkv < 1 || h < hkv || h%hkv != 0 {
		panic("kern: " + op + ": " + itoa(hkv) + " key/value heads do not divide " + itoa(h) + " query heads")
	}
}

// checkPrefix panics unless prefix is nil or holds b lengths in [0, t].
func checkPrefix(fn string, prefix []int, b, t int) {
	if prefix == nil {
		return
	}
	if len(prefix) < b {
		panic("kern: " + fn + ": len(prefix) = " + itoa(len(prefix)) + " < B = " + itoa(b))
	}
	for i, p := range prefix[:b] {
		if p < 0 || p > t {
			panic("kern: " + fn + ": prefix[" + itoa(i) + "] = " + itoa(p) + " outside [0, T = " + itoa(t) + "]")
		}
	}
}

// prefixOf is row bi's prefix length (0 when prefix is nil).
func prefixOf(prefix []int, bi int) int {
	if prefix == nil {
		return 0
	}
	return prefix[bi]
}

// attFwd holds the arguments of AttentionForward; Run computes the (batch, head) pairs [lo, hi).
type attFwd struct {
	y, att, qkv  []float32
	prefix       []int
	t, h, hkv, d int
	scale        float32
}

var attFwdFree taskFree[attFwd]

func (a *attFwd) Run(lo, hi int) {
	y, att, qkv, t, h, d := a.y, a.att, a.qkv, a.t, a.h, a.d
	qd, kvd, g := h*d, a.hkv*d, h/a.hkv
	ld := qd + 2*kvd
	for bh := lo; bh < hi; bh++ {
		bi, hh := bh/h, bh%h
		base := bi * t * ld
		q := qkv[base+hh*d:]
		k := qkv[base+qd+(hh/g)*d:]
		v := qkv[base+qd+kvd+(hh/g)*d:]
		p := att[bh*t*t : (bh+1)*t*t]
		pre := prefixOf(a.prefix, bi)
		// Row block [i0, i1) attends to positions [0, max(i1, prefix)) only: the scores and products
		// right of that are skipped (their probabilities are 0), about 40% of the work at T = 256 for a
		// causal row. With prefix ≤ i1 the column count is i1, exactly the causal kernel's.
		for i0 := 0; i0 < t; i0 += attBlock {
			i1 := min(i0+attBlock, t)
			cols := max(i1, pre)
			GemmSerial(false, true, i1-i0, cols, d, a.scale, q[i0*ld:], ld, k, ld, 0, p[i0*t:], t)
			maskedSoftmaxRows(p, t, i0, i1, pre)
			GemmSerial(false, false, i1-i0, d, cols, 1, p[i0*t:], t, v, ld, 0, y[(bi*t+i0)*qd+hh*d:], qd)
		}
	}
}

// attBlock is the row block of the causal attention kernels, a multiple of every GEMM backend's
// micro-tile rows (12, 6, 4; 32 for amx-bf16 is not, which costs it a partial tile per block).
const attBlock = 48

// maskedSoftmaxRows turns rows [i0, i1) of the scores s [T,T] into probabilities over the columns
// each row sees, 0..last(i) with last(i) = max(i, prefix−1), and zeroes the columns after last(i). It
// reads only columns 0..last(i) of row i. prefix ≤ 1 is the causal softmax.
func maskedSoftmaxRows(s []float32, t, i0, i1, prefix int) {
	for i := i0; i < i1; i++ {
		n := max(i, prefix-1) + 1
		row := s[i*t : i*t+t]
		expNormalize(row[:n], maxGT(row[:n]))
		clear(row[n:])
	}
}

// expNormalize is the softmax of x shifted by its maximum mx, in place: e[j] = Exp32(x[j] − mx),
// s = Σ_j e[j] in the lane order of sum (elem.go), x[j] = e[j]·(1/s); every step vectorized and
// bitwise the same on every backend.
func expNormalize(x []float32, mx float32) {
	expSub(x, x, mx)
	scaleRow(x, 1/sum(x))
}

// AttentionBackward writes the gradient with respect to qkv (overwriting dqkv) given dy, using the
// probabilities att saved by AttentionForward (same heads and layout):
//
//	dP = dY·vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)) / √D,  dq = dS·k,  dk = Σ_group dSᵀ·q,  dv = Σ_group Pᵀ·dY,
//
// the sums over the G = H/Hkv query heads of a key/value head taken in head order, so that the result
// does not depend on the thread count. Shapes: dqkv [N,(H+2·Hkv)·D], datt [B,H,T,T] (scratch),
// dy [N,H·D], qkv [N,(H+2·Hkv)·D], att [B,H,T,T], prefix [B] or nil, the one given to
// AttentionForward. attentionBackwardNaive is the oracle.
func AttentionBackward(dqkv, datt, dy, qkv, att []float32, prefix []int, b, t, h, hkv, d int) {
	checkHeads("AttentionBackward", h, hkv)
	w := (h + 2*hkv) * d
	need("AttentionBackward", "dqkv", dqkv, b*t*w)
	need("AttentionBackward", "datt", datt, b*h*t*t)
	need("AttentionBackward", "dy", dy, b*t*h*d)
	need("AttentionBackward", "qkv", qkv, b*t*w)
	need("AttentionBackward", "att", att, b*h*t*t)
	checkPrefix("AttentionBackward", prefix, b, t)
	scale := attScale(d)
	// One task per (batch, key/value head): it owns that head's dk and dv.
	parallelArgs(&attBwdFree, b*hkv, attBwd{dqkv, datt, dy, qkv, att, prefix, t, h, hkv, d, scale})
}

// attBwd holds the arguments of AttentionBackward; Run computes the (batch, key/value head) pairs
// [lo, hi), each with its G query heads.
type attBwd struct {
	dqkv, datt, dy, qkv, att []float32
	prefix                   []int
	t, h, hkv, d             int
	scale                    float32
}

var attBwdFree taskFree[attBwd]

func (a *attBwd) Run(lo, hi int) {
	t, g := a.t, a.h/a.hkv
	for bkv := lo; bkv < hi; bkv++ {
		bi, kh := bkv/a.hkv, bkv%a.hkv
		for j := range g {
			bh := bi*a.h + kh*g + j
			a.head(bi, kh, j, bh*t*t, bh*t*t)
		}
	}
}

// head adds query head j of key/value head kh (batch row bi) to the gradient: dq of the head, and
// its share of dk and dv (the group's first head overwrites them, the others add). Its probabilities
// are att[pOff:pOff+T·T], its dP scratch datt[dpOff:dpOff+T·T].
func (a *attBwd) head(bi, kh, j, pOff, dpOff int) {
	dqkv, dy, qkv, t, h, d, scale := a.dqkv, a.dy, a.qkv, a.t, a.h, a.d, a.scale
	qd, kvd, g := h*d, a.hkv*d, h/a.hkv
	ld := qd + 2*kvd
	base := bi * t * ld
	k, v := qkv[base+qd+kh*d:], qkv[base+qd+kvd+kh*d:]
	dk, dv := dqkv[base+qd+kh*d:], dqkv[base+qd+kvd+kh*d:]
	pre := prefixOf(a.prefix, bi)
	hh := kh*g + j
	q, dq := qkv[base+hh*d:], dqkv[base+hh*d:]
	p := a.att[pOff : pOff+t*t]
	dp := a.datt[dpOff : dpOff+t*t]
	gy := dy[bi*t*qd+hh*d:]
	// Row block [i0, i1) of dP, dS and dq involves positions [0, max(i1, prefix)) only (as in the
	// forward); every row of dP is written in full, zeros right of last(i).
	for i0 := 0; i0 < t; i0 += attBlock {
		i1 := min(i0+attBlock, t)
		cols := max(i1, pre)
		GemmSerial(false, true, i1-i0, cols, d, 1, gy[i0*qd:], qd, v, ld, 0, dp[i0*t:], t)
		for i := i0; i < i1; i++ {
			n := max(i, pre-1) + 1
			pr, dr := p[i*t:i*t+n], dp[i*t:i*t+t]
			softmaxBwd(dr[:n], pr, dot2(pr, dr), scale)
			clear(dr[n:])
		}
		GemmSerial(false, false, i1-i0, d, cols, 1, dp[i0*t:], t, k, ld, 0, dq[i0*ld:], ld)
	}
	// Keys and values [j0, j1) receive gradient from positions [j0, T) only, or from every position
	// when the block starts inside the prefix (its keys are seen by all queries).
	beta := float32(min(j, 1))
	for j0 := 0; j0 < t; j0 += attBlock {
		j1 := min(j0+attBlock, t)
		r0 := j0
		if j0 < pre {
			r0 = 0
		}
		GemmSerial(true, false, j1-j0, d, t-r0, 1, dp[r0*t+j0:], t, q[r0*ld:], ld, beta, dk[j0*ld:], ld)
		GemmSerial(true, false, j1-j0, d, t-r0, 1, p[r0*t+j0:], t, gy[r0*qd:], qd, beta, dv[j0*ld:], ld)
	}
}

// AttentionCached is causal attention of n new positions against a cache that already holds `past`
// positions (inference with a KV cache), H query heads sharing Hkv key/value heads as in
// AttentionForward:
//
//	q    [n, ldq]: the new queries (RoPE applied), head h at columns [h·D, (h+1)·D)
//	kt   [Hkv·D, ldk ≥ past+n]: the keys (RoPE applied) of all positions, new ones included,
//	     transposed: row r holds component r of every position's key
//	vc   [past+n, Hkv·D]: the values of all positions
//	y    [n, H·D]: out
//	s    scratch of at least H·n·(past+n) floats
//
// New position i (absolute position past+i) attends to positions 0..past+i. One new position (a
// decoding step) runs its products through GemmRow: the same bits as the GEMMs, without packing the
// cache on every call.
func AttentionCached(y, s, q []float32, ldq int, kt []float32, ldk int, vc []float32, n, past, h, hkv, d int) {
	checkHeads("AttentionCached", h, hkv)
	e := CachedAttention{Y: y, S: s, Q: q, LDQ: ldq, KT: kt, LDK: ldk, V: vc, N: n, Past: past}
	e.check("AttentionCached", h, hkv, d)
	parallelArgs(&attCachedFree, h, attCached{e, h, hkv, d, attScale(d)})
}

// CachedAttention is one cache's share of AttentionCachedBatch: AttentionCached's arguments but for
// the head counts and width.
type CachedAttention struct {
	Y, S, Q []float32
	LDQ     int
	KT      []float32
	LDK     int
	V       []float32
	N, Past int
}

// AttentionCachedBatch runs AttentionCached(e.Y, e.S, e.Q, e.LDQ, e.KT, e.LDK, e.V, e.N, e.Past,
// h, hkv, d) for every entry e — distinct outputs and scratches — with the heads of all of them in one
// parallel loop (a decoding step of many prompts wakes the workers once per layer, not once per
// prompt). Bitwise the separate calls.
func AttentionCachedBatch(es []CachedAttention, h, hkv, d int) {
	checkHeads("AttentionCachedBatch", h, hkv)
	for i := range es {
		es[i].check("AttentionCachedBatch", h, hkv, d)
	}
	parallelArgs(&attBatchFree, len(es)*h, attBatch{es, h, hkv, d, attScale(d)})
}

func attScale(d int) float32 { return float32(1 / math.Sqrt(float64(d))) }

// check panics, naming fn, unless e's buffers hold what h query heads, hkv key/value heads of width d need.
func (e *CachedAttention) check(fn string, h, hkv, d int) {
	tk := e.Past + e.N
	if e.LDK < tk {
		panic(fmt.Sprintf("kern: %s: ldk=%d < %d positions", fn, e.LDK, tk))
	}
	need(fn, "q", e.Q, (e.N-1)*e.LDQ+h*d)
	need(fn, "kt", e.KT, (hkv*d-1)*e.LDK+tk)
	need(fn, "vc", e.V, tk*hkv*d)
	need(fn, "y", e.Y, e.N*h*d)
	need(fn, "s", e.S, h*e.N*tk)
}

// attCached holds the arguments of AttentionCached; Run computes heads [lo, hi).
type attCached struct {
	e         CachedAttention
	h, hkv, d int
	scale     float32
}

var attCachedFree taskFree[attCached]

func (a *attCached) Run(lo, hi int) {
	for hh := lo; hh < hi; hh++ {
		a.e.head(hh, a.h, a.hkv, a.d, a.scale)
	}
}

// attBatch holds the arguments of AttentionCachedBatch; Run computes units [lo, hi), unit u being
// head u%h of entry u/h.
type attBatch struct {
	es        []CachedAttention
	h, hkv, d int
	scale     float32
}

var attBatchFree taskFree[attBatch]

func (a *attBatch) Run(lo, hi int) {
	for u := lo; u < hi; u++ {
		a.es[u/a.h].head(u%a.h, a.h, a.hkv, a.d, a.scale)
	}
}

// head computes query head hh of e: the scores against the cached keys, the causal softmax, the
// weighted values.
func (e *CachedAttention) head(hh, h, hkv, d int, scale float32) {
	tk := e.Past + e.N
	e.headIn(hh, h, hkv, d, scale, e.S[hh*e.N*tk:(hh+1)*e.N*tk])
}

// headIn is head with the scores in p [N·(Past+N)].
func (e *CachedAttention) headIn(hh, h, hkv, d int, scale float32, p []float32) {
	y, q, kt, vc, ldq, ldk, n, past := e.Y, e.Q, e.KT, e.V, e.LDQ, e.LDK, e.N, e.Past
	qd, kvd, g := h*d, hkv*d, h/hkv
	tk := past + n
	kh, vh := kt[(hh/g)*d*ldk:], vc[(hh/g)*d:]
	if n == 1 {
		GemmRow(tk, d, scale, q[hh*d:], kh, ldk, p)
	} else {
		GemmSerial(false, false, n, tk, d, scale, q[hh*d:], ldq, kh, ldk, 0, p, tk)
	}
	for i := 0; i < n; i++ {
		causalSoftmaxRow(p[i*tk:i*tk+tk], past+i) // attend to 0..past+i
	}
	if n == 1 {
		GemmRow(d, tk, 1, p, vh, kvd, y[hh*d:])
	} else {
		GemmSerial(false, false, n, d, tk, 1, p, tk, vh, kvd, 0, y[hh*d:], qd)
	}
}
