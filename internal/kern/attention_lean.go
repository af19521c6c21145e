package kern

import "sync"

// Attention that keeps O(B·H·T) for its backward instead of the B·H·T·T probabilities: the forward
// saves each query row's softmax statistics — the maximum of its visible scores and the inverse of
// its sum of exponentials — and the backward recomputes the probabilities of one (batch row, head)
// at a time from q, k and those statistics, with the very operations of the forward (the same
// GemmSerial calls for the scores, Exp32 of the shifted scores, the same scaling), so that the
// results are bitwise those of AttentionForward and AttentionBackward. The memory of a step then
// grows linearly with the sequence: per worker two T×T scratch matrices instead of per layer
// B·H·T·T floats.

// AttentionStatsLen is the length of AttentionForwardLean's stats for b rows, h heads, t positions.
func AttentionStatsLen(b, t, h int) int { return 2 * b * h * t }

// AttentionForwardLean is AttentionForward (same y, bitwise) that writes the softmax statistics of
// every query row to stats [B, H, T, 2] (maximum score, inverse sum of exponentials) instead of the
// probabilities.
func AttentionForwardLean(y, stats, qkv []float32, prefix []int, b, t, h, hkv, d int) {
	checkHeads("AttentionForwardLean", h, hkv)
	need("AttentionForwardLean", "qkv", qkv, b*t*(h+2*hkv)*d)
	need("AttentionForwardLean", "stats", stats, AttentionStatsLen(b, t, h))
	need("AttentionForwardLean", "y", y, b*t*h*d)
	checkPrefix("AttentionForwardLean", prefix, b, t)
	scale := attScale(d)
	parallelArgs(&attLeanFwdFree, b*h, attLeanFwd{y, stats, qkv, prefix, t, h, hkv, d, scale})
}

type attLeanFwd struct {
	y, stats, qkv []float32
	prefix        []int
	t, h, hkv, d  int
	scale         float32
}

var attLeanFwdFree taskFree[attLeanFwd]

func (a *attLeanFwd) Run(lo, hi int) {
	y, stats, qkv, t, h, d := a.y, a.stats, a.qkv, a.t, a.h, a.d
	qd, kvd, g := h*d, a.hkv*d, h/a.hkv
	ld := qd + 2*kvd
	sc := getAttScratch(attBlock * t)
	defer putAttScratch(sc)
	for bh := lo; bh < hi; bh++ {
		bi, hh := bh/h, bh%h
		base := bi * t * ld
		q, k, v := qkv[base+hh*d:], qkv[base+qd+(hh/g)*d:], qkv[base+qd+kvd+(hh/g)*d:]
		st := stats[2*bh*t : 2*(bh+1)*t]
		pre := prefixOf(a.prefix, bi)
		for i0 := 0; i0 < t; i0 += attBlock {
			i1 := min(i0+attBlock, t)
			cols := max(i1, pre)
			// The block's rows at their forward offsets in a T-wide scratch: p row i is sc.p[(i−i0)·t:].
			p := sc.p[:(i1-i0)*t]
			GemmSerial(false, true, i1-i0, cols, d, a.scale, q[i0*ld:], ld, k, ld, 0, p, t)
			for i := i0; i < i1; i++ {
				n := max(i, pre-1) + 1
				row := p[(i-i0)*t : (i-i0)*t+t]
				mx := maxGT(row[:n])
				expSub(row[:n], row[:n], mx)
				inv := 1 / sum(row[:n])
				scaleRow(row[:n], inv)
				clear(row[n:])
				st[2*i], st[2*i+1] = mx, inv
			}
			GemmSerial(false, false, i1-i0, d, cols, 1, p, t, v, ld, 0, y[(bi*t+i0)*qd+hh*d:], qd)
		}
	}
}

// AttentionBackwardLean is AttentionBackward (same dqkv, bitwise) from AttentionForwardLean's
// statistics: each (batch row, head)'s probabilities are recomputed before its gradient.
func AttentionBackwardLean(dqkv, dy, qkv, stats []float32, prefix []int, b, t, h, hkv, d int) {
	checkHeads("AttentionBackwardLean", h, hkv)
	w := (h + 2*hkv) * d
	need("AttentionBackwardLean", "dqkv", dqkv, b*t*w)
	need("AttentionBackwardLean", "dy", dy, b*t*h*d)
	need("AttentionBackwardLean", "qkv", qkv, b*t*w)
	need("AttentionBackwardLean", "stats", stats, AttentionStatsLen(b, t, h))
	checkPrefix("AttentionBackwardLean", prefix, b, t)
	scale := attScale(d)
	parallelArgs(&attLeanBwdFree, b*hkv, attLeanBwd{dqkv, dy, qkv, stats, prefix, t, h, hkv, d, scale})
}

type attLeanBwd struct {
	dqkv, dy, qkv, stats []float32
	prefix               []int
	t, h, hkv, d         int
	scale                float32
}

var attLeanBwdFree taskFree[attLeanBwd]

func (a *attLeanBwd) Run(lo, hi int) {
	t, h, d := a.t, a.h, a.d
	qd, kvd, g := h*d, a.hkv*d, h/a.hkv
	ld := qd + 2*kvd
	sc := getAttScratch(t * t)
	defer putAttScratch(sc)
	for bkv := lo; bkv < hi; bkv++ {
		bi := bkv / a.hkv
		base := bi * t * ld
		pre := prefixOf(a.prefix, bi)
		for j := range g {
			hh := (bkv%a.hkv)*g + j
			bh := bi*h + hh
			q, k := a.qkv[base+hh*d:], a.qkv[base+qd+(hh/g)*d:]
			st := a.stats[2*bh*t : 2*(bh+1)*t]
			p := sc.p[:t*t]
			for i0 := 0; i0 < t; i0 += attBlock {
				i1 := min(i0+attBlock, t)
				GemmSerial(false, true, i1-i0, max(i1, pre), d, a.scale, q[i0*ld:], ld, k, ld, 0, p[i0*t:], t)
				for i := i0; i < i1; i++ {
					n := max(i, pre-1) + 1
					row := p[i*t : i*t+t]
					expSub(row[:n], row[:n], st[2*i])
					scaleRow(row[:n], st[2*i+1])
					clear(row[n:])
				}
			}
			// The gradient of this head alone, with the recomputed probabilities, as AttentionBackward
			// computes it (its attBwd over one key/value head and one of its query heads).
			one := attBwd{a.dqkv, sc.dp, a.dy, a.qkv, p, a.prefix, t, h, a.hkv, d, a.scale}
			one.head(bi, bkv%a.hkv, j, 0, 0)
		}
	}
}

// attScratch is one worker's probability and gradient scratch for the lean attention.
type attScratch struct{ p, dp []float32 }

var attScratchFree struct {
	sync.Mutex
	free []*attScratch
}

// getAttScratch returns a recycled scratch whose p and dp hold at least n floats (kept between
// steps, so that steps allocate nothing once the largest size has been seen).
func getAttScratch(n int) *attScratch {
	attScratchFree.Lock()
	var s *attScratch
	if k := len(attScratchFree.free); k > 0 {
		s = attScratchFree.free[k-1]
		attScratchFree.free = attScratchFree.free[:k-1]
	}
	attScratchFree.Unlock()
	if s == nil {
		s = &attScratch{}
	}
	if len(s.p) < n {
		s.p, s.dp = make([]float32, n), make([]float32, n)
	}
	return s
}

func putAttScratch(s *attScratch) {
	attScratchFree.Lock()
	attScratchFree.free = append(attScratchFree.free, s)
	attScratchFree.Unlock()
}
