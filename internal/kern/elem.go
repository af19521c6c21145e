package kern

// Elementwise loops built on Exp32: the hot spots of SwiGLU, the attention softmax and cross-entropy.
// Each has a scalar twin (expSubGo, siluMulGo, swigluGradGo) that is its reference loop. The SIMD
// versions (elem_amd64.s: AVX-512 and AVX2; elem_arm64.s: NEON) evaluate the same float32 operations in
// the same order lane by lane, without FMA, so every backend gives bitwise the same results as the twin,
// on any CPU and thread count. The twins round every product explicitly (float32(a*b) + c) because Go
// fuses a*b + c into a multiply-add on arm64 (and with GOAMD64=v3).
// elemLanes is the vector width in use (0: the scalar twins); the vector routines take a multiple of
// it, and the wrappers below finish the remainder by running one more vector over a zero-padded
// copy, so short rows (early causal-softmax rows) stay vectorized.

// elemMaxLanes bounds elemLanes (AVX-512: 16 float32; AVX2 8, NEON 4).
const elemMaxLanes = 16

// expSub sets dst[j] = Exp32(src[j] − m) for j < len(src). dst may alias src exactly.
// Shapes: dst [n] with n = len(src) ≤ len(dst).
func expSub(dst, src []float32, m float32) {
	n := len(src)
	dst = dst[:n]
	w := elemLanes
	if w == 0 || n == 0 {
		expSubGo(dst, src, m)
		return
	}
	full := n &^ (w - 1)
	if full > 0 {
		expSubVec(&dst[0], &src[0], full, m)
	}
	if full < n {
		var a, b [elemMaxLanes]float32
		copy(a[:], src[full:])
		expSubVec(&b[0], &a[0], w, m)
		copy(dst[full:], b[:n-full])
	}
}

// expSubGo is the reference loop of expSub.
func expSubGo(dst, src []float32, m float32) {
	dst = dst[:len(src)]
	for j, x := range src {
		dst[j] = Exp32(x - m)
	}
}

// siluMul sets o[j] = SiLU32(g[j]) · u[j]: the SwiGLU forward of one row.
// Shapes: o, g, u [n] with n = len(o).
func siluMul(o, g, u []float32) {
	n := len(o)
	g, u = g[:n], u[:n]
	w := elemLanes
	if w == 0 || n == 0 {
		siluMulGo(o, g, u)
		return
	}
	full := n &^ (w - 1)
	if full > 0 {
		siluMulVec(&o[0], &g[0], &u[0], full)
	}
	if full < n {
		var a, b, c [elemMaxLanes]float32
		copy(a[:], g[full:])
		copy(b[:], u[full:])
		siluMulVec(&c[0], &a[0], &b[0], w)
		copy(o[full:], c[:n-full])
	}
}

// siluMulGo is the reference loop of siluMul.
func siluMulGo(o, g, u []float32) {
	g, u = g[:len(o)], u[:len(o)]
	for j := range o {
		o[j] = SiLU32(g[j]) * u[j]
	}
}

// swigluGrad is the SwiGLU backward of one row: with s = Sigmoid32(g[j]),
//
//	du[j] = d[j]·g[j]·s,  dg[j] = d[j]·u[j]·s·(1 + g[j]·(1−s))   (evaluated left to right).
//
// Shapes: dg, du, d, g, u [n] with n = len(d); the outputs must not alias the inputs.
func swigluGrad(dg, du, d, g, u []float32) {
	n := len(d)
	dg, du, g, u = dg[:n], du[:n], g[:n], u[:n]
	w := elemLanes
	if w == 0 || n == 0 {
		swigluGradGo(dg, du, d, g, u)
		return
	}
	full := n &^ (w - 1)
	if full > 0 {
		swigluGradVec(&dg[0], &du[0], &d[0], &g[0], &u[0], full)
	}
	if full < n {
		var a, b, c, x, y [elemMaxLanes]float32
		copy(a[:], d[full:])
		copy(b[:], g[full:])
		copy(c[:], u[full:])
		swigluGradVec(&x[0], &y[0], &a[0], &b[0], &c[0], w)
		copy(dg[full:], x[:n-full])
		copy(du[full:], y[:n-full])
	}
}

// swigluGradGo is the reference loop of swigluGrad.
func swigluGradGo(dg, du, d, g, u []float32) {
	dg, du, g, u = dg[:len(d)], du[:len(d)], g[:len(d)], u[:len(d)]
	for j := range d {
		s := Sigmoid32(g[j])
		du[j] = d[j] * g[j] * s
		dg[j] = d[j] * u[j] * s * (1 + float32(g[j]*(1-s)))
	}
}

// Row reductions (RMSNorm). A float32 sum in index order is one long dependency chain; these sum in
// sumLanes interleaved partial sums instead — element j goes to partial j%16, each partial in index
// order — and then add the partials pairwise (p[l] += p[l+8], then +4, +2, +1). The order is fixed by
// the length alone, so the vector and scalar versions give the same bits, on any CPU and thread count.
const sumLanes = 16

// sumSq returns Σ x[j]² in the sumLanes order.
func sumSq(x []float32) float32 {
	var p [sumLanes]float32
	full := 0
	if elemLanes > 0 {
		full = len(x) &^ (sumLanes - 1)
		if full > 0 {
			sumSqVec(&p, &x[0], full)
		}
	}
	for j := full; j < len(x); j++ {
		p[j%sumLanes] += float32(x[j] * x[j])
	}
	return reduceLanes(&p)
}

// sumSqGo is the reference loop of sumSq.
func sumSqGo(x []float32) float32 {
	var p [sumLanes]float32
	for j, v := range x {
		p[j%sumLanes] += float32(v * v)
	}
	return reduceLanes(&p)
}

// dot3 returns Σ (a[j]·b[j])·c[j] in the sumLanes order. Shapes: a, b, c [n] with n = len(a).
func dot3(a, b, c []float32) float32 {
	n := len(a)
	b, c = b[:n], c[:n]
	var p [sumLanes]float32
	full := 0
	if elemLanes > 0 {
		full = n &^ (sumLanes - 1)
		if full > 0 {
			dot3Vec(&p, &a[0], &b[0], &c[0], full)
		}
	}
	for j := full; j < n; j++ {
		p[j%sumLanes] += float32(float32(a[j]*b[j]) * c[j])
	}
	return reduceLanes(&p)
}

// dot3Go is the reference loop of dot3.
func dot3Go(a, b, c []float32) float32 {
	b, c = b[:len(a)], c[:len(a)]
	var p [sumLanes]float32
	for j := range a {
		p[j%sumLanes] += float32(float32(a[j]*b[j]) * c[j])
	}
	return reduceLanes(&p)
}

// sum returns Σ x[j] in the sumLanes order.
func sum(x []float32) float32 {
	var p [sumLanes]float32
	full := len(x) &^ (sumLanes - 1)
	if elemLanes == 0 {
		full = 0
	}
	if full > 0 {
		sumVec(&p, &x[0], full)
	}
	for j := full; j < len(x); j++ {
		p[j%sumLanes] += x[j]
	}
	return reduceLanes(&p)
}

// rowMax returns the largest element of x when every element is a number and the largest is not
// ±0 — then every maximum loop returns those same bits, whatever its NaN and signed-zero rules (Go's
// max, or x > m from x[0]) — and false otherwise, or when there is no vector maximum or x is short:
// the caller then runs its own scalar loop. Vectorized on amd64 (AVX2).
func rowMax(x []float32) (float32, bool) {
	if !haveMaxVec || elemLanes == 0 || len(x) < 32 {
		return 0, false
	}
	full := len(x) &^ 7
	m, nan := maxVec(&x[0], full)
	for _, v := range x[full:] {
		nan = nan || v != v
		m = max(m, v)
	}
	if nan || m == 0 {
		return 0, false
	}
	return m, true
}

// maxGT is the largest element of x found by x[j] > m from m = x[0] (a NaN is passed over, except
// as x[0]; the first of equal zeros is kept), through rowMax when it answers. x is not empty.
func maxGT(x []float32) float32 {
	if m, ok := rowMax(x); ok {
		return m
	}
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	return m
}

// maxGo is Go's max over x (a NaN wins, +0 over −0), through rowMax when it answers. x is not
// empty.
func maxGo(x []float32) float32 {
	if m, ok := rowMax(x); ok {
		return m
	}
	m := x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	return m
}

// sumGo is the reference loop of sum.
func sumGo(x []float32) float32 {
	var p [sumLanes]float32
	for j, v := range x {
		p[j%sumLanes] += v
	}
	return reduceLanes(&p)
}

// dot2 returns Σ a[j]·b[j] in the sumLanes order. Shapes: a, b [n] with n = len(a).
func dot2(a, b []float32) float32 {
	b = b[:len(a)]
	var p [sumLanes]float32
	full := len(a) &^ (sumLanes - 1)
	if elemLanes == 0 {
		full = 0
	}
	if full > 0 {
		dot2Vec(&p, &a[0], &b[0], full)
	}
	for j := full; j < len(a); j++ {
		p[j%sumLanes] += float32(a[j] * b[j])
	}
	return reduceLanes(&p)
}

// dot2Go is the reference loop of dot2.
func dot2Go(a, b []float32) float32 {
	b = b[:len(a)]
	var p [sumLanes]float32
	for j := range a {
		p[j%sumLanes] += float32(a[j] * b[j])
	}
	return reduceLanes(&p)
}

// scaleRow sets x[j] = x[j]·s (vectorized, bitwise the same as scaleRowGo).
func scaleRow(x []float32, s float32) {
	full := elemFull(len(x))
	if full > 0 {
		scaleRowVec(&x[0], full, s)
	}
	scaleRowGo(x[full:], s)
}

// scaleRowGo is the reference loop of scaleRow.
func scaleRowGo(x []float32, s float32) {
	for j := range x {
		x[j] *= s
	}
}

// softmaxBwd sets dr[j] = (p[j]·(dr[j] − dot))·scale: the softmax backward of one row given
// dot = Σ p·dr (vectorized, bitwise the same as softmaxBwdGo). Shapes: dr, p [n] with n = len(dr).
func softmaxBwd(dr, p []float32, dot, scale float32) {
	p = p[:len(dr)]
	full := elemFull(len(dr))
	if full > 0 {
		softmaxBwdVec(&dr[0], &p[0], full, dot, scale)
	}
	softmaxBwdGo(dr[full:], p[full:], dot, scale)
}

// softmaxBwdGo is the reference loop of softmaxBwd.
func softmaxBwdGo(dr, p []float32, dot, scale float32) {
	p = p[:len(dr)]
	for j := range dr {
		dr[j] = float32(p[j]*(dr[j]-dot)) * scale
	}
}

// reduceLanes adds the partial sums pairwise: p[l] += p[l+8] for l < 8, then +4, +2, +1.
func reduceLanes(p *[sumLanes]float32) float32 {
	for s := sumLanes / 2; s > 0; s /= 2 {
		for l := 0; l < s; l++ {
			p[l] += p[l+s]
		}
	}
	return p[0]
}
