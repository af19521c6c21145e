//go:build !amd64 && !arm64

package kern

// Architectures without vector elementwise kernels (neither amd64 nor arm64) run the scalar twins of
// elem.go.
var elemLanes = 0

func elemBackends() []int { return []int{0} }

func expSubVec(dst, src *float32, n int, m float32) { panic("kern: no vector elementwise kernels") }
func siluMulVec(o, g, u *float32, n int)            { panic("kern: no vector elementwise kernels") }
func swigluGradVec(dg, du, d, g, u *float32, n int) { panic("kern: no vector elementwise kernels") }
func ropeRotVec(x1, x2, cs, sn *float32, n int, sign float32) {
	panic("kern: no vector elementwise kernels")
}
func sumSqVec(p *[sumLanes]float32, x *float32, n int) { panic("kern: no vector elementwise kernels") }
func dot3Vec(p *[sumLanes]float32, a, b, c *float32, n int) {
	panic("kern: no vector elementwise kernels")
}
func rmsScaleVec(out, x, w *float32, n int, r float32) { panic("kern: no vector elementwise kernels") }
func rmsBwdRowVec(dx, dr, w, x *float32, n int, r, k float32) {
	panic("kern: no vector elementwise kernels")
}
func rmsBwdColVec(dw, dr, x *float32, n int, r float32) { panic("kern: no vector elementwise kernels") }
func sumVec(p *[sumLanes]float32, x *float32, n int)    { panic("kern: no vector elementwise kernels") }
func dot2Vec(p *[sumLanes]float32, a, b *float32, n int) {
	panic("kern: no vector elementwise kernels")
}
func scaleRowVec(x *float32, n int, s float32) { panic("kern: no vector elementwise kernels") }
func softmaxBwdVec(dr, p *float32, n int, dot, scale float32) {
	panic("kern: no vector elementwise kernels")
}

// No vector maximum here: rowMax leaves every maximum to its caller's scalar loop.
const haveMaxVec = false

func maxVec(x *float32, n int) (float32, bool) { panic("kern: no vector maximum") }
