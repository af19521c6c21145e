package kern

// Assembly in elem_amd64.s: n is a multiple of the lanes (16 or 8); see elem.go.

//go:noescape
func expSubAVX512(dst, src *float32, n int, m float32)

//go:noescape
func siluMulAVX512(o, gate, up *float32, n int)

//go:noescape
func swigluGradAVX512(dgate, dup, dout, gate, up *float32, n int)

//go:noescape
func expSubAVX2(dst, src *float32, n int, m float32)

//go:noescape
func siluMulAVX2(o, gate, up *float32, n int)

//go:noescape
func swigluGradAVX2(dgate, dup, dout, gate, up *float32, n int)

//go:noescape
func ropeRotAVX512(x1, x2, cs, sn *float32, n int, sign float32)

//go:noescape
func ropeRotAVX2(x1, x2, cs, sn *float32, n int, sign float32)

func ropeRotVec(x1, x2, cs, sn *float32, n int, sign float32) {
	if elemLanes == 16 {
		ropeRotAVX512(x1, x2, cs, sn, n, sign)
	} else {
		ropeRotAVX2(x1, x2, cs, sn, n, sign)
	}
}

//go:noescape
func sumSqAVX512(p *[sumLanes]float32, x *float32, n int)

//go:noescape
func dot3AVX512(p *[sumLanes]float32, a, b, c *float32, n int)

//go:noescape
func sumSqAVX2(p *[sumLanes]float32, x *float32, n int)

//go:noescape
func dot3AVX2(p *[sumLanes]float32, a, b, c *float32, n int)

func sumSqVec(p *[sumLanes]float32, x *float32, n int) {
	if elemLanes == 16 {
		sumSqAVX512(p, x, n)
	} else {
		sumSqAVX2(p, x, n)
	}
}

func dot3Vec(p *[sumLanes]float32, a, b, c *float32, n int) {
	if elemLanes == 16 {
		dot3AVX512(p, a, b, c, n)
	} else {
		dot3AVX2(p, a, b, c, n)
	}
}

//go:noescape
func rmsScaleAVX512(out, x, w *float32, n int, r float32)

//go:noescape
func rmsBwdRowAVX512(dx, dr, w, x *float32, n int, r, k float32)

//go:noescape
func rmsBwdColAVX512(dw, dr, x *float32, n int, r float32)

//go:noescape
func rmsScaleAVX2(out, x, w *float32, n int, r float32)

//go:noescape
func rmsBwdRowAVX2(dx, dr, w, x *float32, n int, r, k float32)

//go:noescape
func rmsBwdColAVX2(dw, dr, x *float32, n int, r float32)

func rmsScaleVec(out, x, w *float32, n int, r float32) {
	if elemLanes == 16 {
		rmsScaleAVX512(out, x, w, n, r)
	} else {
		rmsScaleAVX2(out, x, w, n, r)
	}
}

func rmsBwdRowVec(dx, dr, w, x *float32, n int, r, k float32) {
	if elemLanes == 16 {
		rmsBwdRowAVX512(dx, dr, w, x, n, r, k)
	} else {
		rmsBwdRowAVX2(dx, dr, w, x, n, r, k)
	}
}

func rmsBwdColVec(dw, dr, x *float32, n int, r float32) {
	if elemLanes == 16 {
		rmsBwdColAVX512(dw, dr, x, n, r)
	} else {
		rmsBwdColAVX2(dw, dr, x, n, r)
	}
}

//go:noescape
func sumAVX512(p *[sumLanes]float32, x *float32, n int)

//go:noescape
func sumAVX2(p *[sumLanes]float32, x *float32, n int)

func sumVec(p *[sumLanes]float32, x *float32, n int) {
	if elemLanes == 16 {
		sumAVX512(p, x, n)
	} else {
		sumAVX2(p, x, n)
	}
}

//go:noescape
func dot2AVX512(p *[sumLanes]float32, a, b *float32, n int)

//go:noescape
func dot2AVX2(p *[sumLanes]float32, a, b *float32, n int)

func dot2Vec(p *[sumLanes]float32, a, b *float32, n int) {
	if elemLanes == 16 {
		dot2AVX512(p, a, b, n)
	} else {
		dot2AVX2(p, a, b, n)
	}
}

//go:noescape
func scaleRowAVX512(x *float32, n int, s float32)

//go:noescape
func scaleRowAVX2(x *float32, n int, s float32)

func scaleRowVec(x *float32, n int, s float32) {
	if elemLanes == 16 {
		scaleRowAVX512(x, n, s)
	} else {
		scaleRowAVX2(x, n, s)
	}
}

//go:noescape
func softmaxBwdAVX512(dr, p *float32, n int, dot, scale float32)

//go:noescape
func softmaxBwdAVX2(dr, p *float32, n int, dot, scale float32)

func softmaxBwdVec(dr, p *float32, n int, dot, scale float32) {
	if elemLanes == 16 {
		softmaxBwdAVX512(dr, p, n, dot, scale)
	} else {
		softmaxBwdAVX2(dr, p, n, dot, scale)
	}
}

// elemLanes is 16 (AVX-512), 8 (AVX2) or 0 (scalar Go), chosen from the CPU at start-up (tests
// switch it to every entry of elemBackends).
var elemLanes = elemLanesFor(gemmCPU)

func elemLanesFor(f cpuFeatures) int {
	switch {
	case f.avx512:
		return 16
	case f.avx2FMA:
		return 8
	}
	return 0
}

// elemBackends lists the lane counts this CPU supports, widest first, ending with 0 (scalar Go).
func elemBackends() []int {
	var l []int
	for _, w := range []int{16, 8} {
		if elemLanesFor(gemmCPU) >= w {
			l = append(l, w)
		}
	}
	return append(l, 0)
}

func expSubVec(dst, src *float32, n int, m float32) {
	if elemLanes == 16 {
		expSubAVX512(dst, src, n, m)
	} else {
		expSubAVX2(dst, src, n, m)
	}
}

func siluMulVec(o, g, u *float32, n int) {
	if elemLanes == 16 {
		siluMulAVX512(o, g, u, n)
	} else {
		siluMulAVX2(o, g, u, n)
	}
}

func swigluGradVec(dg, du, d, g, u *float32, n int) {
	if elemLanes == 16 {
		swigluGradAVX512(dg, du, d, g, u, n)
	} else {
		swigluGradAVX2(dg, du, d, g, u, n)
	}
}

// maxAVX2 serves rowMax on both AVX backends (a maximum has one answer: no lane-order question).
//
//go:noescape
func maxAVX2(x *float32, n int) (m float32, nan bool)

const haveMaxVec = true

func maxVec(x *float32, n int) (float32, bool) { return maxAVX2(x, n) }
