package model

import "midas/internal/kern"

// Cache holds the keys and values of every layer for incremental decoding (inference only).
type Cache struct {
	Len int         // positions held
	kt  [][]float32 // [L][KVDim·maxT]: the keys transposed, row r = component r of every position
	v   [][]float32 // [L][maxT·KVDim]
	max int
	sc  DecodeScratch // Extend's working memory
	// base holds positions [0, shared) when c shares them (Share); c's own buffers hold the rest.
	base   *Cache
	shared int
}

// DecodeScratch is the working memory of Extend and ExtendBatch, grown to the largest call seen.
// One scratch serves one call at a time.
type DecodeScratch struct {
	x, h, qkv, y, gu, act, s, logits []float32
	rstd, fin                        []float32
	caches                           [1]*Cache
	tokens                           [1][]int32
	out                              [][]float32
	att                              []kern.CachedAttention // one layer's attention, cache by cache
	rows                             []int                  // cache b's new rows start at rows[b]
	last                             [][]int32              // each cache's last new token (attendLast)
	sh                               kern.SharedAttention   // one group of caches sharing a prefix
	shs                              []float32              // its scratch
	packs                            map[int]*kern.PackedB  // by tensor offset (Pack)
	// All makes ExtendBatch return the logits of every new position of each cache ([n_b·V], row
	// by row), not only of the last.
	All bool
}

// Pack packs m's projection and head weights for ExtendBatch through sc (kern.PackB), so that
// decoding does not pack them again on every call: bitwise the same results, faster at small
// batches. The packing is a copy: it must be redone (or sc dropped) when m's weights change.
func (sc *DecodeScratch) Pack(m *Model) {
	sc.packs = map[int]*kern.PackedB{}
	for _, w := range m.projWeights() {
		sc.packs[w.off] = kern.PackB(true, w.rows, w.cols, m.Params[w.off:w.off+w.rows*w.cols], w.cols)
	}
}

// gemmW is C = act·Wᵀ (+ C when beta is 1) for the weight tensor at offset off (n×k): packed when
// Pack packed it, else plain Gemm.
func (sc *DecodeScratch) gemmW(P []float32, off, m, n, k int, act []float32, beta float32, c []float32) {
	if pb := sc.packs[off]; pb != nil {
		kern.GemmPacked(false, m, 1, act, k, pb, beta, c, n)
		return
	}
	kern.Gemm(false, true, m, n, k, 1, act, k, P[off:off+n*k], k, beta, c, n)
}

// NewCache makes an empty cache for up to maxT positions (at most SeqLen).
func (m *Model) NewCache(maxT int) *Cache {
	if maxT > m.Cfg.SeqLen || maxT < 1 {
		panic("model: NewCache: maxT must be in [1, SeqLen]")
	}
	c := &Cache{max: maxT}
	for l := 0; l < m.Layout.Depth(); l++ {
		c.kt = append(c.kt, make([]float32, maxT*m.Cfg.KVDim()))
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
	if n < c.shared {
		c.shared = n
	}
	if c.shared == 0 {
		c.base = nil
	}
}

// Max is the cache's capacity in positions.
func (c *Cache) Max() int { return c.max }

func grow32(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// CopyPrefix makes c hold the first n positions of src (n ≤ src.Len; both of one model) in its own
// buffers.
func (c *Cache) CopyPrefix(src *Cache, n int) {
	if n < 0 || n > src.Len || !c.fits(src, n) {
		panic("model: Cache.CopyPrefix out of range")
	}
	s := min(n, src.shared)
	c.copyRange(src.base, 0, s)
	c.copyRange(src, s, n)
	c.Len, c.base, c.shared = n, nil, 0
}

// fits reports whether c can hold n positions of src's model.
func (c *Cache) fits(src *Cache, n int) bool {
	return n <= c.max && len(c.kt) == len(src.kt) && len(c.kt[0])/c.max == len(src.kt[0])/src.max
}

// copyRange copies positions [lo, hi) of src's own buffers into c's.
func (c *Cache) copyRange(src *Cache, lo, hi int) {
	if lo >= hi {
		return
	}
	kv := len(src.kt[0]) / src.max
	for l := range c.kt {
		for r := 0; r < kv; r++ {
			copy(c.kt[l][r*c.max+lo:r*c.max+hi], src.kt[l][r*src.max+lo:r*src.max+hi])
		}
		copy(c.v[l][lo*kv:hi*kv], src.v[l][lo*kv:hi*kv])
	}
}

// Share makes c hold the first n positions of src (n ≤ src.Len; both of one model) without copying
// them: c reads src's keys and values for those positions and keeps its own from n on, and
// ExtendBatch computes the attention of consecutive caches sharing one src together
// (kern.AttentionShared), bitwise as if each held a copy. src must keep those positions unchanged
// (not be truncated below n and extended again) while c uses them, and must not share itself.
func (c *Cache) Share(src *Cache, n int) {
	if n < 0 || n > src.Len || !c.fits(src, n) || src.shared > 0 || src == c {
		panic("model: Cache.Share out of range, or from a cache that shares")
	}
	c.Len, c.base, c.shared = n, src, n
	if n == 0 {
		c.base = nil
	}
}

// Extend runs the model on n new tokens at positions Len..Len+n−1, appends their keys and values to the
// cache, and returns the logits [V] of the last new position (owned by the cache, valid until the next
// call). It computes exactly what Forward computes for those positions.
func (m *Model) Extend(c *Cache, tokens []int32) []float32 {
	c.sc.caches[0], c.sc.tokens[0] = c, tokens
	return m.ExtendBatch(&c.sc, c.sc.caches[:], c.sc.tokens[:])[0]
}

// ExtendBatch is Extend for several caches at once: tokens[b] go to caches[b] (distinct caches, each
// at its own length), every projection is one GEMM over the new rows of all of them, and attention
// runs per cache. It returns the logits [V] of each cache's last new position (owned by sc, valid
// until its next use). Every kernel computes a row independently of the others, so the results are
// bitwise those of Extend on each cache alone.
func (m *Model) ExtendBatch(sc *DecodeScratch, caches []*Cache, tokens [][]int32) [][]float32 {
	cfg := m.Cfg
	if len(caches) != len(tokens) || len(caches) == 0 {
		panic("model: ExtendBatch: caches and token lists differ in number, or none")
	}
	// Attention scratch of the caches that do not share a prefix: one shared by those with several
	// new tokens (they run one after the other), then a row of scores for each with one (they run
	// together; attendCached). Groups sharing a prefix have their own (sc.shs).
	// In the last layer only each cache's last new row goes on when only its logits are asked for
	// (attendLast): every cache that does not share has a row of scores then.
	n, many, one, last := 0, 0, 0, 0
	for b, c := range caches {
		k := len(tokens[b])
		if k == 0 || c.Len+k > c.max {
			panic("model: Extend: no tokens, or the cache is full")
		}
		n += k
		switch {
		case c.shared > 0:
		case k == 1:
			one += c.Len + 1
		default:
			many = max(many, k*(c.Len+k))
		}
		if c.shared == 0 {
			last += c.Len + k
		}
	}
	prune := !sc.All && n > len(caches)
	att := many + one
	if prune {
		att = max(att, last)
	}
	C, F, H, V := cfg.Dim, cfg.FFNDim, cfg.NumHeads, cfg.VocabSize
	Q, W := cfg.QDim(), cfg.QKVDim()
	eps := float32(cfg.NormEps)
	P := m.Params
	embed, _, _ := m.Layout.global()
	sc.x, sc.h, sc.y = grow32(sc.x, n*C), grow32(sc.h, n*C), grow32(sc.y, n*Q)
	sc.qkv, sc.gu, sc.act = grow32(sc.qkv, n*W), grow32(sc.gu, 2*n*F), grow32(sc.act, n*F)
	sc.s, sc.rstd = grow32(sc.s, H*att), grow32(sc.rstd, n)
	x := sc.x
	i := 0
	for _, toks := range tokens {
		for _, tok := range toks {
			if tok < 0 || int(tok) >= V {
				panic("model: Extend: token id out of vocabulary")
			}
			copy(x[i*C:i*C+C], P[embed.Offset+int(tok)*C:])
			i++
		}
	}
	depth := m.Layout.Depth()
	for l := 0; l < depth; l++ {
		lay := func(k, size int) []float32 { t := m.Layout.layerTensor(l, k); return P[t.Offset : t.Offset+size] }
		at := func(k int) int { return m.Layout.layerTensor(l, k).Offset }
		kern.RMSNormForward(sc.h, sc.rstd, x, lay(tLN1, C), n, C, eps)
		sc.gemmW(P, at(tQ), n, W, C, sc.h, 0, sc.qkv)
		m.storeKV(sc, caches, tokens, l)
		if l == depth-1 && prune {
			n = m.attendLast(sc, caches, tokens, l)
		} else {
			m.attend(sc, caches, tokens, l, many)
		}
		sc.gemmW(P, at(tO), n, C, Q, sc.y, 1, x)
		kern.RMSNormForward(sc.h, sc.rstd, x, lay(tLN2, C), n, C, eps)
		sc.gemmW(P, at(tGate), n, 2*F, C, sc.h, 0, sc.gu)
		kern.SwiGLUForward(sc.act, sc.gu, n, F)
		sc.gemmW(P, at(tDown), n, C, F, sc.act, 1, x)
	}
	for b, c := range caches {
		c.Len += len(tokens[b])
	}
	if !prune {
		return m.headLogits(sc, tokens, n)
	}
	out := m.headLogits(sc, sc.last, n)
	clear(sc.last) // drop the references to the callers' tokens
	return out
}

// headLogits puts the last new row of every cache (every new row with All) of sc.x through the final
// norm and the head, in one GEMM, and returns each cache's logits.
func (m *Model) headLogits(sc *DecodeScratch, tokens [][]int32, n int) [][]float32 {
	C, V, B := m.Cfg.Dim, m.Cfg.VocabSize, len(tokens)
	P, x := m.Params, sc.x
	_, norm, head := m.Layout.global()
	rows := B
	if sc.All {
		rows = n
	}
	sc.fin, sc.rstd = grow32(sc.fin, rows*C), grow32(sc.rstd, rows)
	sc.h = grow32(sc.h, rows*C)
	if sc.All {
		copy(sc.fin, x[:n*C])
	} else {
		last := 0
		for b := range tokens {
			last += len(tokens[b])
			copy(sc.fin[b*C:(b+1)*C], x[(last-1)*C:last*C])
		}
	}
	kern.RMSNormForward(sc.h, sc.rstd, sc.fin, P[norm.Offset:norm.Offset+C], rows, C, float32(m.Cfg.NormEps))
	sc.logits = grow32(sc.logits, rows*V)
	sc.gemmW(P, head.Offset, rows, V, C, sc.h[:rows*C], 0, sc.logits)
	sc.out = sc.out[:0]
	off := 0
	for b := range tokens {
		if sc.All {
			sc.out = append(sc.out, sc.logits[off*V:(off+len(tokens[b]))*V])
			off += len(tokens[b])
		} else {
			sc.out = append(sc.out, sc.logits[b*V:(b+1)*V])
		}
	}
	return sc.out
}

// storeKV rotates the new rows of every cache (in order in sc.qkv, from row sc.rows[b] for cache b)
// and appends their keys and values to the caches' layer l.
func (m *Model) storeKV(sc *DecodeScratch, caches []*Cache, tokens [][]int32, l int) {
	cfg := m.Cfg
	H, Hkv, Q, KV, W := cfg.NumHeads, cfg.KVHeads(), cfg.QDim(), cfg.KVDim(), cfg.QKVDim()
	sc.rows = append(sc.rows[:0], 0)
	for b := range caches {
		sc.rows = append(sc.rows, sc.rows[b]+len(tokens[b]))
	}
	store := func(lo, hi int) {
		for b, c := range caches[lo:hi] {
			off, past := sc.rows[lo+b], c.Len
			n := sc.rows[lo+b+1] - off
			qkv := sc.qkv[off*W : (off+n)*W]
			kern.RoPEForward(qkv, m.rope, 1, n, H+Hkv, W, past)
			kt := c.kt[l]
			for i := 0; i < n; i++ {
				for r, x := range qkv[i*W+Q : i*W+Q+KV] {
					kt[r*c.max+past+i] = x
				}
				copy(c.v[l][(past+i)*KV:(past+i+1)*KV], qkv[i*W+Q+KV:i*W+W])
			}
		}
	}
	if sc.rows[len(caches)] >= 64 { // the stores are memory-bound: worth a parallel loop at prefill
		kern.ParallelFor(len(caches), store)
	} else {
		store(0, len(caches))
	}
}

// attend writes the attention outputs of the new rows of every cache (rotated and stored: storeKV)
// to sc.y. Consecutive caches that share one prefix run together (attendShared). Of the others, a
// cache with several new tokens runs at once (its heads in parallel, in the scratch they all share:
// sc.s[:H·many]); the caches with one (decoding steps) run together after, all their heads in one
// parallel loop, each with its own row of scores.
func (m *Model) attend(sc *DecodeScratch, caches []*Cache, tokens [][]int32, l, many int) {
	cfg := m.Cfg
	H, Hkv, D, Q, W := cfg.NumHeads, cfg.KVHeads(), cfg.HeadDim(), cfg.QDim(), cfg.QKVDim()
	sc.att = sc.att[:0]
	off, soff := 0, H*many
	for b := 0; b < len(caches); {
		c, n := caches[b], len(tokens[b])
		if c.shared > 0 {
			b, off = m.attendShared(sc, caches, tokens, b, off, l)
			continue
		}
		past, qkv, kt := c.Len, sc.qkv[off*W:(off+n)*W], c.kt[l]
		y := sc.y[off*Q : (off+n)*Q]
		off += n
		b++
		if n > 1 {
			kern.AttentionCached(y, sc.s[:H*many], qkv, W, kt, c.max, c.v[l], n, past, H, Hkv, D)
			continue
		}
		s := H * (past + 1)
		sc.att = append(sc.att, kern.CachedAttention{Y: y, S: sc.s[soff : soff+s], Q: qkv, LDQ: W,
			KT: kt, LDK: c.max, V: c.v[l], N: 1, Past: past})
		soff += s
	}
	if len(sc.att) > 0 {
		kern.AttentionCachedBatch(sc.att, H, Hkv, D)
	}
	clear(sc.att) // drop the references to the caches
}

// attendLast is layer l's attention (after storeKV) when only each cache's last new row goes on to
// the head — the last layer, when ExtendBatch returns the last position's logits alone: it moves each
// cache b's last row of sc.qkv and sc.x to row b and attends for those rows alone, each a query at its
// cache's last position, into sc.y's rows 0..B−1 — bitwise what the whole layer computes for them
// (TestExtendBatchBitwise). It returns the rows left, B; the others' outputs would feed nothing.
func (m *Model) attendLast(sc *DecodeScratch, caches []*Cache, tokens [][]int32, l int) int {
	C, W := m.Cfg.Dim, m.Cfg.QKVDim()
	sc.last = sc.last[:0]
	for b, c := range caches {
		r, k := sc.rows[b+1]-1, len(tokens[b])
		copy(sc.qkv[b*W:(b+1)*W], sc.qkv[r*W:(r+1)*W]) // r ≥ b: no later cache's row is overwritten
		copy(sc.x[b*C:(b+1)*C], sc.x[r*C:(r+1)*C])
		sc.last = append(sc.last, tokens[b][k-1:])
		c.Len += k - 1 // its other new positions are stored: the query comes after them
	}
	m.attend(sc, caches, sc.last, l, 0)
	for b, c := range caches {
		c.Len -= len(tokens[b]) - 1
	}
	return len(caches)
}

// attendShared runs layer l's attention for caches[b:e], the longest run from b of caches sharing
// one prefix (whose new rows start at row off of sc.qkv), in one kern.AttentionShared, and returns e
// and the row after theirs.
func (m *Model) attendShared(sc *DecodeScratch, caches []*Cache, tokens [][]int32, b, off, l int) (int, int) {
	cfg := m.Cfg
	H, Hkv, D, Q, W := cfg.NumHeads, cfg.KVHeads(), cfg.HeadDim(), cfg.QDim(), cfg.QKVDim()
	base, pre := caches[b].base, caches[b].shared
	sh := &sc.sh
	sh.KT, sh.LDK, sh.V, sh.Pre = base.kt[l], base.max, base.v[l], pre
	sh.Q, sh.LDQ, sh.Y, sh.Own = sc.qkv[off*W:], W, sc.y[off*Q:], sh.Own[:0]
	e := b
	for ; e < len(caches) && caches[e].base == base && caches[e].shared == pre; e++ {
		c := caches[e]
		sh.Own = append(sh.Own, kern.SharedEntry{KT: c.kt[l], LDK: c.max, V: c.v[l], N: len(tokens[e]), Past: c.Len})
		off += len(tokens[e])
	}
	sc.shs = grow32(sc.shs, kern.SharedScratch(sh, H, Hkv, D))
	kern.AttentionShared(sh, sc.shs, H, Hkv, D)
	clear(sh.Own) // drop the references to the caches
	sh.KT, sh.V, sh.Q, sh.Y = nil, nil, nil, nil
	return e, off
}
