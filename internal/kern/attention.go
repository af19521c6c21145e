package kern

import "math"

// AttentionForward computes multi-head attention from packed projections: causal, except that each
// batch row may have a bidirectional prefix.
//
//	qkv    [N, 3C]: row b·T+t holds q (cols [0,C)), k (cols [C,2C)) and v (cols [2C,3C)), heads of D
//	                consecutive columns each (rotary embedding already applied to q and k);
//	prefix [B] or nil: positions [0, prefix[b]) of batch row b attend to each other; 0 ≤ prefix[b] ≤ T.
//	                nil is all zeros: causal attention. Prefix 0 and 1 are both exactly causal.
//	att    [B, H, T, T]: out, the attention probabilities P = softmax(q·kᵀ/√D) over the visible keys,
//	                P[i,j] = 0 for the others;
//	y      [N, C]: out, P·v per head, heads concatenated along columns.
//
// Query i of row b sees key j iff j ≤ last(i) = max(i, prefix[b]−1). Reference loop:
// y[b,t,h·D+e] = Σ_{s ≤ last(t)} P[b,h,t,s] · v[b,s,h·D+e]; attentionForwardNaive is the oracle.
func AttentionForward(y, att, qkv []float32, prefix []int, b, t, h, d int) {
	c := h * d
	need("AttentionForward", "qkv", qkv, b*t*3*c)
	need("AttentionForward", "att", att, b*h*t*t)
	need("AttentionForward", "y", y, b*t*c)
	checkPrefix("AttentionForward", prefix, b, t)
	scale := float32(1 / math.Sqrt(float64(d)))
	parallelArgs(&attFwdFree, b*h, attFwd{y, att, qkv, prefix, t, h, d, scale})
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
	y, att, qkv []float32
	prefix      []int
	t, h, d     int
	scale       float32
}

var attFwdFree taskFree[attFwd]

func (a *attFwd) Run(lo, hi int) {
	y, att, qkv, t, h, d := a.y, a.att, a.qkv, a.t, a.h, a.d
	c := h * d
	for bh := lo; bh < hi; bh++ {
		bi, hh := bh/h, bh%h
		base := bi * t * 3 * c
		q := qkv[base+hh*d:]
		k := qkv[base+c+hh*d:]
		v := qkv[base+2*c+hh*d:]
		p := att[bh*t*t : (bh+1)*t*t]
		pre := prefixOf(a.prefix, bi)
		// Row block [i0, i1) attends to positions [0, max(i1, prefix)) only: the scores and products
		// right of that are skipped (their probabilities are 0), about 40% of the work at T = 256 for a
		// causal row. With prefix ≤ i1 the column count is i1, exactly the causal kernel's.
		for i0 := 0; i0 < t; i0 += attBlock {
			i1 := min(i0+attBlock, t)
			cols := max(i1, pre)
			GemmSerial(false, true, i1-i0, cols, d, a.scale, q[i0*3*c:], 3*c, k, 3*c, 0, p[i0*t:], t)
			maskedSoftmaxRows(p, t, i0, i1, pre)
			GemmSerial(false, false, i1-i0, d, cols, 1, p[i0*t:], t, v, 3*c, 0, y[(bi*t+i0)*c+hh*d:], c)
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
		mx := row[0]
		for _, x := range row[1:n] {
			if x > mx {
				mx = x
			}
		}
		expNormalize(row[:n], mx)
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
// probabilities att saved by AttentionForward:
//
//	dP = dY·vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)) / √D,  dq = dS·k,  dk = dSᵀ·q,  dv = Pᵀ·dY.
//
// Shapes: dqkv [N,3C], datt [B,H,T,T] (scratch), dy [N,C], qkv [N,3C], att [B,H,T,T], prefix [B] or
// nil, the one given to AttentionForward. attentionBackwardNaive is the oracle.
func AttentionBackward(dqkv, datt, dy, qkv, att []float32, prefix []int, b, t, h, d int) {
	c := h * d
	need("AttentionBackward", "dqkv", dqkv, b*t*3*c)
	need("AttentionBackward", "datt", datt, b*h*t*t)
	need("AttentionBackward", "dy", dy, b*t*c)
	need("AttentionBackward", "qkv", qkv, b*t*3*c)
	need("AttentionBackward", "att", att, b*h*t*t)
	checkPrefix("AttentionBackward", prefix, b, t)
	scale := float32(1 / math.Sqrt(float64(d)))
	parallelArgs(&attBwdFree, b*h, attBwd{dqkv, datt, dy, qkv, att, prefix, t, h, d, scale})
}

// attBwd holds the arguments of AttentionBackward; Run computes the (batch, head) pairs [lo, hi).
type attBwd struct {
	dqkv, datt, dy, qkv, att []float32
	prefix                   []int
	t, h, d                  int
	scale                    float32
}

var attBwdFree taskFree[attBwd]

func (a *attBwd) Run(lo, hi int) {
	dqkv, datt, dy, qkv, att, t, h, d, scale := a.dqkv, a.datt, a.dy, a.qkv, a.att, a.t, a.h, a.d, a.scale
	c := h * d
	for bh := lo; bh < hi; bh++ {
		bi, hh := bh/h, bh%h
		base := bi * t * 3 * c
		q, k, v := qkv[base+hh*d:], qkv[base+c+hh*d:], qkv[base+2*c+hh*d:]
		dq, dk, dv := dqkv[base+hh*d:], dqkv[base+c+hh*d:], dqkv[base+2*c+hh*d:]
		p := att[bh*t*t : (bh+1)*t*t]
		dp := datt[bh*t*t : (bh+1)*t*t]
		g := dy[bi*t*c+hh*d:]
		pre := prefixOf(a.prefix, bi)
		// Row block [i0, i1) of dP, dS and dq involves positions [0, max(i1, prefix)) only (as in the
		// forward); every row of dP is written in full, zeros right of last(i).
		for i0 := 0; i0 < t; i0 += attBlock {
			i1 := min(i0+attBlock, t)
			cols := max(i1, pre)
			GemmSerial(false, true, i1-i0, cols, d, 1, g[i0*c:], c, v, 3*c, 0, dp[i0*t:], t)
			for i := i0; i < i1; i++ {
				n := max(i, pre-1) + 1
				pr, dr := p[i*t:i*t+n], dp[i*t:i*t+t]
				softmaxBwd(dr[:n], pr, dot2(pr, dr), scale)
				clear(dr[n:])
			}
			GemmSerial(false, false, i1-i0, d, cols, 1, dp[i0*t:], t, k, 3*c, 0, dq[i0*3*c:], 3*c)
		}
		// Keys and values [j0, j1) receive gradient from positions [j0, T) only, or from every position
		// when the block starts inside the prefix (its keys are seen by all queries).
		for j0 := 0; j0 < t; j0 += attBlock {
			j1 := min(j0+attBlock, t)
			r0 := j0
			if j0 < pre {
				r0 = 0
			}
			GemmSerial(true, false, j1-j0, d, t-r0, 1, dp[r0*t+j0:], t, q[r0*3*c:], 3*c, 0, dk[j0*3*c:], 3*c)
			GemmSerial(true, false, j1-j0, d, t-r0, 1, p[r0*t+j0:], t, g[r0*c:], c, 0, dv[j0*3*c:], 3*c)
		}
	}
}

// AttentionCached is causal attention of n new positions against a cache that already holds `past`
// positions (inference with a KV cache):
//
//	q    [n, ldq]: the new queries (RoPE applied), head h at columns [h·D, (h+1)·D)
//	kc   [past+n, C], vc [past+n, C]: keys (RoPE applied) and values of all positions, new ones included
//	y    [n, C]: out
//	s    scratch of at least H·n·(past+n) floats
//
// New position i (absolute position past+i) attends to positions 0..past+i.
func AttentionCached(y, s, q []float32, ldq int, kc, vc []float32, n, past, h, d int) {
	c := h * d
	tk := past + n
	need("AttentionCached", "q", q, (n-1)*ldq+c)
	need("AttentionCached", "kc", kc, tk*c)
	need("AttentionCached", "vc", vc, tk*c)
	need("AttentionCached", "y", y, n*c)
	need("AttentionCached", "s", s, h*n*tk)
	scale := float32(1 / math.Sqrt(float64(d)))
	parallelArgs(&attCachedFree, h, attCached{y, s, q, kc, vc, ldq, n, past, h, d, scale})
}

// attCached holds the arguments of AttentionCached; Run computes heads [lo, hi).
type attCached struct {
	y, s, q, kc, vc    []float32
	ldq, n, past, h, d int
	scale              float32
}

var attCachedFree taskFree[attCached]

func (a *attCached) Run(lo, hi int) {
	y, s, q, kc, vc, ldq, n, past, d := a.y, a.s, a.q, a.kc, a.vc, a.ldq, a.n, a.past, a.d
	c := a.h * d
	tk := past + n
	for hh := lo; hh < hi; hh++ {
		p := s[hh*n*tk : (hh+1)*n*tk]
		GemmSerial(false, true, n, tk, d, a.scale, q[hh*d:], ldq, kc[hh*d:], c, 0, p, tk)
		for i := 0; i < n; i++ {
			row := p[i*tk : i*tk+tk]
			last := past + i // attend to 0..last
			mx := row[0]
			for _, x := range row[1 : last+1] {
				mx = max(mx, x)
			}
			expNormalize(row[:last+1], mx)
			clear(row[last+1:])
		}
		GemmSerial(false, false, n, d, tk, 1, p, tk, vc[hh*d:], c, 0, y[hh*d:], c)
	}
}
