package kern

// Assembly in elem_arm64.s (NEON): n is a multiple of 4 (of sumLanes for the row sums); see elem.go.
// (g is a register name in the arm64 assembler, hence gate and up.)

// elemLanes is 4 (NEON) or 0 (scalar Go; tests switch it to every entry of elemBackends). ASIMD is part
// of every arm64 CPU (ARMv8-A), so it needs no detection.
var elemLanes = 4

// elemBackends lists the lane counts of arm64, widest first, ending with 0 (scalar Go).
func elemBackends() []int { return []int{4, 0} }

//go:noescape
func expSubVec(dst, src *float32, n int, m float32)

//go:noescape
func siluMulVec(o, gate, up *float32, n int)

//go:noescape
func swigluGradVec(dgate, dup, dout, gate, up *float32, n int)

//go:noescape
func ropeRotVec(x1, x2, cs, sn *float32, n int, sign float32)

//go:noescape
func sumSqVec(p *[sumLanes]float32, x *float32, n int)

//go:noescape
func dot3Vec(p *[sumLanes]float32, a, b, c *float32, n int)

//go:noescape
func sumVec(p *[sumLanes]float32, x *float32, n int)

//go:noescape
func dot2Vec(p *[sumLanes]float32, a, b *float32, n int)

//go:noescape
func rmsScaleVec(out, x, w *float32, n int, r float32)

//go:noescape
func rmsBwdRowVec(dx, dr, w, x *float32, n int, r, k float32)

//go:noescape
func rmsBwdColVec(dw, dr, x *float32, n int, r float32)

//go:noescape
func scaleRowVec(x *float32, n int, s float32)

//go:noescape
func softmaxBwdVec(dr, p *float32, n int, dot, scale float32)

// No vector maximum here: rowMax leaves every maximum to its caller's scalar loop.
const haveMaxVec = false

func maxVec(x *float32, n int) (float32, bool) { panic("kern: no vector maximum") }
