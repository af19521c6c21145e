package optim

import "fmt"

// checkRange panics (a caller bug) unless 0 <= lo <= hi <= n.
func checkRange(fn string, lo, hi, n int) {
	if lo < 0 || hi < lo || hi > n {
		panic(fmt.Sprintf("optim: %s range [%d,%d) outside buffer of length %d", fn, lo, hi, n))
	}
}

// SumSquares returns Σ g[i]² over i in [lo, hi), accumulated in float64 in index order.
//
// Reference loop: s := 0.0; for i := lo; i < hi; i++ { s += float64(g[i]) * float64(g[i]) }.
//
// Each square of a float32 is exact in float64, so the only rounding is in the additions, whose order is
// fixed: callers that sum fixed chunks in a fixed order get a deterministic global norm. Panics if
// [lo, hi) is not a valid range of g.
func SumSquares(g []float32, lo, hi int) float64 {
	checkRange("SumSquares", lo, hi, len(g))
	var s float64
	for _, x := range g[lo:hi] {
		y := float64(x)
		s += y * y
	}
	return s
}

// Scale multiplies g[lo:hi] by s in float32 (g[i] *= s), as torch's clip_grad_norm_ multiplies every
// gradient by the clip coefficient. Panics if [lo, hi) is not a valid range of g.
func Scale(g []float32, lo, hi int, s float32) {
	checkRange("Scale", lo, hi, len(g))
	g = g[lo:hi]
	for i := range g {
		g[i] *= s
	}
}

// ClipScale returns the factor torch.nn.utils.clip_grad_norm_ applies to every gradient given the total
// (global L2) norm: maxNorm/(norm+1e-6) clamped to at most 1, computed in float64 and rounded to
// float32. It returns 1 when no clipping is needed, and also when maxNorm <= 0, which midas uses to mean
// "clipping disabled" (nanoGPT's grad_clip=0.0). Note that, as in torch, norm == maxNorm still gives a
// factor slightly below 1. A NaN norm gives NaN (torch.clamp propagates NaN), so a NaN check on the
// gradients still fires after scaling; an infinite norm gives 0.
func ClipScale(norm, maxNorm float64) float32 {
	if maxNorm <= 0 {
		return 1
	}
	c := maxNorm / (norm + 1e-6)
	if c >= 1 {
		return 1
	}
	return float32(c) // NaN stays NaN
}
