package model

import "midas/internal/kern"

// Cache holds the keys and values of every layer for incremental decoding (inference only).
type Cache struct {
	Len  int         // positions held
	k, v [][]float32 // [L][maxT·KVDim]
	max  int
	// scratch for Extend, sized for the largest n seen
	x, h, qkv, y, gu, act, s, logits []float32
	rstd                             []float32
}

// NewCache makes an empty cache for up to maxT positions (at most SeqLen).
func (m *Model) NewCache(maxT int) *Cache {
	if maxT > m.Cfg.SeqLen || maxT < 1 {
		panic("model: NewCache: maxT must be in [1, SeqLen]")
	}
	c := &Cache{max: maxT}
	for l := 0; l < m.Layout.Depth(); l++ {
		c.k = append(c.k, make([]float32, maxT*m.Cfg.KVDim()))
		c.v = append(c.v, make([]float32, maxT*m.Cfg.KVDim()))
	}
	return c
}

// Truncate forgets every position from n on (n ≤ Len): the cache then holds a prefix.
func (c *Cache) Truncate(n int) {
	if n < 0 || n > c.Len {
		panic("model: Cache.Truncate out of range")
	}
	c.Len = n
}

// Max is the cache's capacity in positions.
func (c *Cache) Max() int { return c.max }

func grow32(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// Extend runs the model on n new tokens at positions Len..Len+n−1, appends their keys and values to the
// cache, and returns the logits [V] of the last new position (owned by the cache, valid until the next
// call). It computes exactly what Forward computes for those positions.
func (m *Model) Extend(c *Cache, tokens []int32) []float32 {
	cfg := m.Cfg
	n := len(tokens)
	if n == 0 || c.Len+n > c.max {
		panic("model: Extend: no tokens, or the cache is full")
	}
	C, F, H, Hkv, D, V := cfg.Dim, cfg.FFNDim, cfg.NumHeads, cfg.KVHeads(), cfg.HeadDim(), cfg.VocabSize
	Q, KV, W := cfg.QDim(), cfg.KVDim(), cfg.QKVDim()
	past := c.Len
	eps := float32(cfg.NormEps)
	P := m.Params
	embed, norm, head := m.Layout.global()
	c.x, c.h, c.y = grow32(c.x, n*C), grow32(c.h, n*C), grow32(c.y, n*Q)
	c.qkv, c.gu, c.act = grow32(c.qkv, n*W), grow32(c.gu, 2*n*F), grow32(c.act, n*F)
	c.s, c.rstd = grow32(c.s, H*n*(past+n)), grow32(c.rstd, n)
	x := c.x
	for i, tok := range tokens {
		if tok < 0 || int(tok) >= V {
			panic("model: Extend: token id out of vocabulary")
		}
		copy(x[i*C:i*C+C], P[embed.Offset+int(tok)*C:])
	}
	for l := 0; l < m.Layout.Depth(); l++ {
		lay := func(k, size int) []float32 { t := m.Layout.layerTensor(l, k); return P[t.Offset : t.Offset+size] }
		kern.RMSNormForward(c.h, c.rstd, x, lay(tLN1, C), n, C, eps)
		kern.Gemm(false, true, n, W, C, 1, c.h, C, lay(tQ, W*C), C, 0, c.qkv, W)
		kern.RoPEForward(c.qkv, m.rope, 1, n, H+Hkv, W, past)
		for i := 0; i < n; i++ {
			copy(c.k[l][(past+i)*KV:(past+i+1)*KV], c.qkv[i*W+Q:i*W+Q+KV])
			copy(c.v[l][(past+i)*KV:(past+i+1)*KV], c.qkv[i*W+Q+KV:i*W+W])
		}
		kern.AttentionCached(c.y, c.s, c.qkv, W, c.k[l], c.v[l], n, past, H, Hkv, D)
		kern.Gemm(false, true, n, C, Q, 1, c.y, Q, lay(tO, C*Q), Q, 1, x, C)
		kern.RMSNormForward(c.h, c.rstd, x, lay(tLN2, C), n, C, eps)
		kern.Gemm(false, true, n, 2*F, C, 1, c.h, C, lay(tGate, 2*F*C), C, 0, c.gu, 2*F)
		kern.SwiGLUForward(c.act, c.gu, n, F)
		kern.Gemm(false, true, n, C, F, 1, c.act, F, lay(tDown, C*F), F, 1, x, C)
	}
	c.Len += n
	last := x[(n-1)*C : n*C]
	kern.RMSNormForward(c.h[:C], c.rstd[:1], last, P[norm.Offset:norm.Offset+C], 1, C, eps)
	c.logits = grow32(c.logits, V)
	kern.Gemm(false, true, 1, V, C, 1, c.h[:C], C, P[head.Offset:head.Offset+head.Size], C, 0, c.logits, V)
	return c.logits
}
