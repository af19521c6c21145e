package kern

import "math"

// AttentionForward computes causal multi-head attention from packed projections.
//
//	qkv [N, 3C]: row b·T+t holds q (cols [0,C)), k (cols [C,2C)) and v (cols [2C,3C)), heads of D
//	             consecutive columns each (rotary embedding already applied to q and k);
//	att [B, H, T, T]: out, the attention probabilities P = softmax(q·kᵀ/√D) with P[i,j] = 0 for j > i;
//	y   [N, C]: out, P·v per head, heads concatenated along columns.
//
// Reference loop: y[b,t,h·D+e] = Σ_{s≤t} P[b,h,t,s] · v[b,s,h·D+e].
func AttentionForward(y, att, qkv []float32, b, t, h, d int) {
	c := h * d
	need("AttentionForward", "qkv", qkv, b*t*3*c)
	need("AttentionForward", "att", att, b*h*t*t)
	need("AttentionForward", "y", y, b*t*c)
	scale := float32(1 / math.Sqrt(float64(d)))
	parallelArgs(&attFwdFree, b*h, attFwd{y, att, qkv, t, h, d, scale})
}

// attFwd holds the arguments of AttentionForward; Run computes the (batch, head) pairs [lo, hi).
type attFwd struct {
	y, att, qkv []float32
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
		GemmSerial(false, true, t, t, d, a.scale, q, 3*c, k, 3*c, 0, p, t)
		causalSoftmax(p, t)
		GemmSerial(false, false, t, d, t, 1, p, t, v, 3*c, 0, y[bi*t*c+hh*d:], c)
	}
}

// causalSoftmax turns each row i of the scores s [T,T] into probabilities over columns 0..i and zeroes
// the columns after i.
func causalSoftmax(s []float32, t int) {
	for i := 0; i < t; i++ {
		row := s[i*t : i*t+t]
		mx := row[0]
		for _, x := range row[1 : i+1] {
			if x > mx {
				mx = x
			}
		}
		expNormalize(row[:i+1], mx)
		clear(row[i+1:])
	}
}

// expNormalize is the softmax of x shifted by its maximum mx, in place: e[j] = Exp32(x[j] − mx)
// (vectorized), sum = Σ_j e[j] in float32 in index order, x[j] = e[j]·(1/sum) — the loop it replaced,
// so the bits are those of every backend and of earlier versions.
func expNormalize(x []float32, mx float32) {
	expSub(x, x, mx)
	var sum float32
	for _, e := range x {
		sum += e
	}
	inv := 1 / sum
	for j := range x {
		x[j] *= inv
	}
}

// AttentionBackward writes the gradient with respect to qkv (overwriting dqkv) given dy, using the
// probabilities att saved by AttentionForward:
//
//	dP = dY·vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)) / √D,  dq = dS·k,  dk = dSᵀ·q,  dv = Pᵀ·dY.
//
// Shapes: dqkv [N,3C], datt [B,H,T,T] (scratch), dy [N,C], qkv [N,3C], att [B,H,T,T].
func AttentionBackward(dqkv, datt, dy, qkv, att []float32, b, t, h, d int) {
	c := h * d
	need("AttentionBackward", "dqkv", dqkv, b*t*3*c)
	need("AttentionBackward", "datt", datt, b*h*t*t)
	need("AttentionBackward", "dy", dy, b*t*c)
	need("AttentionBackward", "qkv", qkv, b*t*3*c)
	need("AttentionBackward", "att", att, b*h*t*t)
	scale := float32(1 / math.Sqrt(float64(d)))
	parallelArgs(&attBwdFree, b*h, attBwd{dqkv, datt, dy, qkv, att, t, h, d, scale})
}

// attBwd holds the arguments of AttentionBackward; Run computes the (batch, head) pairs [lo, hi).
type attBwd struct {
	dqkv, datt, dy, qkv, att []float32
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
		GemmSerial(false, true, t, t, d, 1, g, c, v, 3*c, 0, dp, t)
		for i := 0; i < t; i++ {
			pr, dr := p[i*t:i*t+i+1], dp[i*t:i*t+t]
			var dot float32
			for j, pv := range pr {
				dot += pv * dr[j]
			}
			for j, pv := range pr {
				dr[j] = pv * (dr[j] - dot) * scale
			}
			for j := i + 1; j < t; j++ {
				dr[j] = 0
			}
		}
		GemmSerial(false, false, t, d, t, 1, dp, t, k, 3*c, 0, dq, 3*c)
		GemmSerial(true, false, t, d, t, 1, dp, t, q, 3*c, 0, dk, 3*c)
		GemmSerial(true, false, t, d, t, 1, p, t, g, c, 0, dv, 3*c)
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
