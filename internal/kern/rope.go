package kern

import "math"

// RoPETable holds cos and sin of the rotary angles pos·θ^(−2i/D) for pos < T and i < D/2.
// Shapes: Cos, Sin [T, D/2].
type RoPETable struct {
	T, D     int
	Cos, Sin []float32
}

// NewRoPETable computes the table in float64 and rounds once to float32.
func NewRoPETable(t, d int, theta float64) *RoPETable {
	if d%2 != 0 {
		panic("kern: NewRoPETable: head dim " + itoa(d) + " is odd")
	}
	return NewRoPETableFreq(t, RoPEInvFreq(d, theta))
}

// RoPEInvFreq returns the D/2 inverse frequencies θ^(−2i/D) of the unscaled rotary embedding.
func RoPEInvFreq(d int, theta float64) []float64 {
	inv := make([]float64, d/2)
	for i := range inv {
		inv[i] = 1 / math.Pow(theta, float64(2*i)/float64(d))
	}
	return inv
}

// NewRoPETableFreq is the table of the angles pos·inv[i] for pos < T, with D = 2·len(inv): computed
// in float64, rounded once to float32. Scaled rotary embeddings (linear, Llama 3) differ from
// NewRoPETable only in these frequencies.
func NewRoPETableFreq(t int, inv []float64) *RoPETable {
	h := len(inv)
	tb := &RoPETable{T: t, D: 2 * h, Cos: make([]float32, t*h), Sin: make([]float32, t*h)}
	for p := 0; p < t; p++ {
		for i := 0; i < h; i++ {
			a := float64(p) * inv[i]
			tb.Cos[p*h+i] = float32(math.Cos(a))
			tb.Sin[p*h+i] = float32(math.Sin(a))
		}
	}
	return tb
}

// RoPEForward rotates, in place, the H heads of D dims found at columns [0, H·D) of each row of x, in the
// HF Llama "rotate_half" convention: dim i pairs with dim i + D/2,
//
//	x1' = x1·cos − x2·sin,  x2' = x2·cos + x1·sin.
//
// Row r = b·T + t sits at position pos0 + t. Shapes: x [B·T, ld] with ld ≥ H·D.
func RoPEForward(x []float32, tb *RoPETable, b, t, h, ld, pos0 int) {
	rope(x, tb, b, t, h, ld, pos0, 1)
}

// RoPEBackward applies the inverse rotation (the transpose) in place to a gradient laid out as in RoPEForward.
func RoPEBackward(dx []float32, tb *RoPETable, b, t, h, ld, pos0 int) {
	rope(dx, tb, b, t, h, ld, pos0, -1)
}

func rope(x []float32, tb *RoPETable, b, t, h, ld, pos0 int, sign float32) {
	d := tb.D
	if pos0+t > tb.T {
		panic("kern: RoPE: positions up to " + itoa(pos0+t) + " exceed the table's " + itoa(tb.T))
	}
	if ld < h*d {
		panic("kern: RoPE: ld " + itoa(ld) + " < H·D " + itoa(h*d))
	}
	need("RoPE", "x", x, (b*t-1)*ld+h*d)
	parallelArgs(&ropeFree, b*t, ropeArgs{x, tb, t, h, ld, pos0, sign})
}

// ropeArgs holds the arguments of rope; Run rotates rows [lo, hi).
type ropeArgs struct {
	x              []float32
	tb             *RoPETable
	t, h, ld, pos0 int
	sign           float32
}

var ropeFree taskFree[ropeArgs]

func (a *ropeArgs) Run(lo, hi int) {
	x, t, h, ld, pos0, sign := a.x, a.t, a.h, a.ld, a.pos0, a.sign
	d := a.tb.D
	half := d / 2
	for r := lo; r < hi; r++ {
		p := pos0 + r%t
		cs := a.tb.Cos[p*half : p*half+half]
		sn := a.tb.Sin[p*half : p*half+half]
		row := x[r*ld : r*ld+h*d]
		for hh := 0; hh < h; hh++ {
			ropeRot(row[hh*d:hh*d+half], row[hh*d+half:hh*d+d], cs, sn, sign)
		}
	}
}

// ropeRot rotates the pairs (x1[i], x2[i]) by the angles of cs, sn (times sign): vectorized over the
// whole multiple of elemLanes, the rest by ropeRotGo — bitwise the same either way.
func ropeRot(x1, x2, cs, sn []float32, sign float32) {
	n := len(x1)
	x2, cs, sn = x2[:n], cs[:n], sn[:n]
	full := elemFull(n)
	if full > 0 {
		ropeRotVec(&x1[0], &x2[0], &cs[0], &sn[0], full, sign)
	}
	ropeRotGo(x1[full:], x2[full:], cs[full:], sn[full:], sign)
}

// ropeRotGo is the reference loop of ropeRot.
func ropeRotGo(x1, x2, cs, sn []float32, sign float32) {
	x2, cs, sn = x2[:len(x1)], cs[:len(x1)], sn[:len(x1)]
	for i := range x1 {
		a, c := x1[i], x2[i]
		s := sign * sn[i]
		// float32(…) rounds each product before the sum: without it Go fuses one of them into a
		// multiply-add on arm64 (and with GOAMD64=v3), and the twin would differ from the SIMD versions.
		x1[i] = float32(a*cs[i]) - float32(c*s)
		x2[i] = float32(c*cs[i]) + float32(a*s)
	}
}
