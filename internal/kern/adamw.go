package kern

import "math"

// AdamWScalars are the per-call constants of one AdamW update (optim.AdamW.Update computes them as
// torch does): keep = 1 − lr·wd (1 without decay), negStep = −lr/(1−β1^t), bc2Sqrt = √(1−β2^t),
// eps, β1 and β2 rounded to float32, and 1−β1, 1−β2 rounded to float32 then held in float64.
type AdamWScalars struct {
	Keep, NegStep, BC2Sqrt, Eps, B1, B2 float32
	C1, C2                              float64
}

// AdamWStep updates p, m and v in place from g, element by element (shapes: all [n], n = len(p)):
//
//	m = float32(g·C1 + float64(m·B1))                      (in float64: the product g·C1 is exact)
//	v = float32(float64(float32(C2·g))·g + float64(v·B2))
//	p = float32(p·Keep) + float32(NegStep·m) / (float32(float32(√v)/BC2Sqrt) + Eps)
//
// — optim.AdamW's loop, vectorized where the CPU has AVX2 (eight lanes, the same float32 and float64
// operations in the same order, IEEE square root and division), bitwise equal to adamwGo.
func AdamWStep(p, g, m, v []float32, s AdamWScalars) {
	n := len(p)
	g, m, v = g[:n], m[:n], v[:n]
	full := 0
	if adamwVec && n >= 8 {
		full = n &^ 7
		adamwAVX2(&p[0], &g[0], &m[0], &v[0], full, &s)
	}
	adamwGo(p[full:], g[full:], m[full:], v[full:], s)
}

// adamwGo is the reference loop of AdamWStep.
func adamwGo(p, g, m, v []float32, s AdamWScalars) {
	n := len(p)
	p, g, m, v = p[:n:n], g[:n:n], m[:n:n], v[:n:n]
	for i := range p {
		// Every float32 value converted to float64 is dead after its conversion, so the compiler
		// converts in place (a conversion into another register merges into it and chains the
		// iterations); the float32(...) conversions round every product before its sum, which forbids
		// fused multiply-adds (arm64, GOAMD64=v3) except where the product is exact (g·C1, c2g·g).
		gd := float64(g[i])
		mi := float32(gd*s.C1 + float64(m[i]*s.B1))
		vi := float32(float64(float32(s.C2*gd))*gd + float64(v[i]*s.B2))
		m[i] = mi
		v[i] = vi
		denom := float32(float32(math.Sqrt(float64(vi)))/s.BC2Sqrt) + s.Eps
		p[i] = float32(p[i]*s.Keep) + float32(s.NegStep*mi)/denom
	}
}
