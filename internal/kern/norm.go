package kern

import "math"

// RMSNormForward computes out[n,:] = x[n,:] · rstd[n] · w, with rstd[n] = 1/sqrt(mean(x[n,:]²) + eps),
// the reference's `x * rsqrt(mean(x²) + eps) * w`. The sum of squares is sumSq's (16 interleaved
// partial sums, elem.go).
// Shapes: out [N,C], rstd [N], x [N,C], w [C]. out may alias x.
func RMSNormForward(out, rstd, x, w []float32, n, c int, eps float32) {
	need("RMSNormForward", "x", x, n*c)
	need("RMSNormForward", "out", out, n*c)
	need("RMSNormForward", "rstd", rstd, n)
	need("RMSNormForward", "w", w, c)
	parallelArgs(&rmsNormFwdFree, n, rmsNormFwd{out, rstd, x, w, c, eps})
}

// rmsNormFwd holds the arguments of RMSNormForward; Run normalizes rows [lo, hi).
type rmsNormFwd struct {
	out, rstd, x, w []float32
	c               int
	eps             float32
}

var rmsNormFwdFree taskFree[rmsNormFwd]

func (a *rmsNormFwd) Run(lo, hi int) {
	out, rstd, x, w, c, eps := a.out, a.rstd, a.x, a.w, a.c, a.eps
	for i := lo; i < hi; i++ {
		xr := x[i*c : i*c+c]
		or := out[i*c : i*c+c]
		ss := sumSq(xr)
		r := float32(1 / math.Sqrt(float64(ss/float32(c)+eps)))
		rstd[i] = r
		rmsScale(or, xr, w, r)
	}
}

// RMSNormBackward accumulates the gradients of RMSNormForward:
//
//	dx[n,:] += rstd·(dout·w) − x·rstd³/C · Σ_j dout[n,j]·w[j]·x[n,j]
//	dw[j]   += Σ_n dout[n,j]·x[n,j]·rstd[n]
//
// Shapes: dx [N,C], dw [C], dout [N,C], x [N,C], w [C], rstd [N]. dx must not alias dout.
// The row sum Σ_j is dot3's (16 interleaved partial sums, elem.go); dw is reduced over rows column by
// column in row order. Neither depends on the thread count.
func RMSNormBackward(dx, dw, dout, x, w, rstd []float32, n, c int) {
	need("RMSNormBackward", "dx", dx, n*c)
	need("RMSNormBackward", "dout", dout, n*c)
	need("RMSNormBackward", "x", x, n*c)
	need("RMSNormBackward", "rstd", rstd, n)
	need("RMSNormBackward", "w", w, c)
	need("RMSNormBackward", "dw", dw, c)
	args := rmsNormBwd{dx, dw, dout, x, w, rstd, n, c}
	parallelArgs(&rmsNormBwdRowsFree, n, rmsNormBwdRows(args))
	parallelArgs(&rmsNormBwdColsFree, c, rmsNormBwdCols(args))
}

// rmsNormBwd holds the arguments of RMSNormBackward. As rmsNormBwdRows, Run computes dx for rows
// [lo, hi); as rmsNormBwdCols, dw for columns [lo, hi).
type rmsNormBwd struct {
	dx, dw, dout, x, w, rstd []float32
	n, c                     int
}

type (
	rmsNormBwdRows rmsNormBwd
	rmsNormBwdCols rmsNormBwd
)

var (
	rmsNormBwdRowsFree taskFree[rmsNormBwdRows]
	rmsNormBwdColsFree taskFree[rmsNormBwdCols]
)

func (a *rmsNormBwdRows) Run(lo, hi int) {
	dx, dout, x, w, rstd, c := a.dx, a.dout, a.x, a.w, a.rstd, a.c
	for i := lo; i < hi; i++ {
		xr, dr, dxr := x[i*c:i*c+c], dout[i*c:i*c+c], dx[i*c:i*c+c]
		r := rstd[i]
		dot := dot3(dr, w[:c], xr)
		k := dot * r * r * r / float32(c)
		rmsBwdRow(dxr, dr, w, xr, r, k)
	}
}

func (a *rmsNormBwdCols) Run(lo, hi int) {
	dw, dout, x, rstd, n, c := a.dw, a.dout, a.x, a.rstd, a.n, a.c
	for i := 0; i < n; i++ {
		xr, dr := x[i*c:i*c+c], dout[i*c:i*c+c]
		rmsBwdCol(dw[lo:hi], dr[lo:hi], xr[lo:hi], rstd[i])
	}
}

// need panics when a buffer is shorter than the shapes require.
// rmsScale sets out[j] = (x[j]·r)·w[j]: vectorized over the whole multiple of elemLanes, the rest by
// rmsScaleGo — bitwise the same either way (as rmsBwdRow and rmsBwdCol). Shapes: out, x, w [n], n = len(out).
func rmsScale(out, x, w []float32, r float32) {
	n := len(out)
	x, w = x[:n], w[:n]
	full := elemFull(n)
	if full > 0 {
		rmsScaleVec(&out[0], &x[0], &w[0], full, r)
	}
	rmsScaleGo(out[full:], x[full:], w[full:], r)
}

// rmsScaleGo is the reference loop of rmsScale.
func rmsScaleGo(out, x, w []float32, r float32) {
	x, w = x[:len(out)], w[:len(out)]
	for j := range out {
		out[j] = float32(x[j]*r) * w[j]
	}
}

// rmsBwdRow adds ((r·dr[j])·w[j]) − k·x[j] to dx[j]. Shapes: dx, dr, w, x [n], n = len(dx).
func rmsBwdRow(dx, dr, w, x []float32, r, k float32) {
	n := len(dx)
	dr, w, x = dr[:n], w[:n], x[:n]
	full := elemFull(n)
	if full > 0 {
		rmsBwdRowVec(&dx[0], &dr[0], &w[0], &x[0], full, r, k)
	}
	rmsBwdRowGo(dx[full:], dr[full:], w[full:], x[full:], r, k)
}

// rmsBwdRowGo is the reference loop of rmsBwdRow.
func rmsBwdRowGo(dx, dr, w, x []float32, r, k float32) {
	dr, w, x = dr[:len(dx)], w[:len(dx)], x[:len(dx)]
	for j := range dx {
		dx[j] += float32(float32(r*dr[j])*w[j]) - float32(k*x[j])
	}
}

// rmsBwdCol adds (dr[j]·x[j])·r to dw[j]. Shapes: dw, dr, x [n], n = len(dw).
func rmsBwdCol(dw, dr, x []float32, r float32) {
	n := len(dw)
	dr, x = dr[:n], x[:n]
	full := elemFull(n)
	if full > 0 {
		rmsBwdColVec(&dw[0], &dr[0], &x[0], full, r)
	}
	rmsBwdColGo(dw[full:], dr[full:], x[full:], r)
}

// rmsBwdColGo is the reference loop of rmsBwdCol.
func rmsBwdColGo(dw, dr, x []float32, r float32) {
	dr, x = dr[:len(dw)], x[:len(dw)]
	for j := range dw {
		dw[j] += float32(float32(dr[j]*x[j]) * r) // rounded before the sum: no multiply-add on arm64
	}
}

// elemFull is the part of a length-n loop the vector routines take: n rounded down to a multiple of
// elemLanes (0 for the scalar backend).
func elemFull(n int) int {
	if elemLanes == 0 {
		return 0
	}
	return n &^ (elemLanes - 1)
}

func need(fn, name string, buf []float32, n int) {
	if len(buf) < n {
		panic("kern: " + fn + ": len(" + name + ") = " + itoa(len(buf)) + " < " + itoa(n))
	}
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
