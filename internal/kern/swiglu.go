package kern

// SwiGLUForward computes out[n,f] = SiLU32(gu[n,f]) · gu[n,F+f] (siluMulGo is the reference loop): each row of gu holds the gate
// projection in its first F columns and the up projection in the next F.
// Shapes: out [N,F], gu [N,2F].
func SwiGLUForward(out, gu []float32, n, f int) {
	need("SwiGLUForward", "out", out, n*f)
	need("SwiGLUForward", "gu", gu, 2*n*f)
	parallelArgs(&swigluFwdFree, n, swigluFwd{out, gu, f})
}

// swigluFwd holds the arguments of SwiGLUForward; Run computes rows [lo, hi).
type swigluFwd struct {
	out, gu []float32
	f       int
}

var swigluFwdFree taskFree[swigluFwd]

func (a *swigluFwd) Run(lo, hi int) {
	out, gu, f := a.out, a.gu, a.f
	for i := lo; i < hi; i++ {
		g := gu[2*i*f : 2*i*f+f]
		u := gu[2*i*f+f : 2*i*f+2*f]
		siluMul(out[i*f:i*f+f], g, u)
	}
}

// SwiGLUBackward writes the gradient with respect to gu given dout:
//
//	dgate = dout · u · σ(g)·(1 + g·(1−σ(g))),  dup = dout · silu(g)
//
// (swigluGradGo is the reference loop, with dup computed as dout·g·σ(g)).
//
// Shapes: dgu [N,2F], dout [N,F], gu [N,2F]. dgu must not alias gu.
func SwiGLUBackward(dgu, dout, gu []float32, n, f int) {
	need("SwiGLUBackward", "dgu", dgu, 2*n*f)
	need("SwiGLUBackward", "dout", dout, n*f)
	need("SwiGLUBackward", "gu", gu, 2*n*f)
	parallelArgs(&swigluBwdFree, n, swigluBwd{dgu, dout, gu, f})
}

// swigluBwd holds the arguments of SwiGLUBackward; Run computes rows [lo, hi).
type swigluBwd struct {
	dgu, dout, gu []float32
	f             int
}

var swigluBwdFree taskFree[swigluBwd]

func (a *swigluBwd) Run(lo, hi int) {
	dgu, dout, gu, f := a.dgu, a.dout, a.gu, a.f
	for i := lo; i < hi; i++ {
		g := gu[2*i*f : 2*i*f+f]
		u := gu[2*i*f+f : 2*i*f+2*f]
		dg := dgu[2*i*f : 2*i*f+f]
		du := dgu[2*i*f+f : 2*i*f+2*f]
		swigluGrad(dg, du, dout[i*f:i*f+f], g, u)
	}
}
