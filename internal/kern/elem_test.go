package kern

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// withLanes runs f with each elementwise backend of this CPU (16, 8 and 0 lanes on AVX-512 machines).
func withLanes(t *testing.T, f func(t *testing.T)) {
	prev := elemLanes
	defer func() { elemLanes = prev }()
	for _, w := range elemBackends() {
		elemLanes = w
		t.Run("lanes"+itoa(w), f)
	}
}

// TestElemBackends checks the backend list that withLanes runs: widest first, powers of two up to
// elemMaxLanes, ending with the scalar twins, starting from the one in use — and that arm64 really
// tests its NEON backend (elem_arm64.s).
func TestElemBackends(t *testing.T) {
	l := elemBackends()
	if len(l) == 0 || l[len(l)-1] != 0 || l[0] != elemLanes {
		t.Fatalf("elemBackends() = %v with elemLanes %d: want the lanes in use first, 0 last", l, elemLanes)
	}
	for i, w := range l[:len(l)-1] {
		if w > elemMaxLanes || w&(w-1) != 0 || w <= l[i+1] {
			t.Fatalf("elemBackends() = %v: want decreasing powers of two ≤ %d", l, elemMaxLanes)
		}
	}
	if runtime.GOARCH == "arm64" && l[0] != 4 {
		t.Fatalf("arm64: elemBackends() = %v, want NEON (4 lanes) first", l)
	}
}

// sameBits reports whether a and b are the same float32, any NaN matching any NaN.
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// elemSpecial are inputs at the edges of Exp32: signed zeros, infinities, NaN, the two cut-offs and
// their float32 neighbours, values whose exp is subnormal, and huge magnitudes.
var elemSpecial = func() []float32 {
	s := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 88.72283, -87.33654, 1e30, -1e30, 1e-30, -1e-30, 80, -80, 0.34657359, -0.34657359}
	for _, c := range []float32{88.72283, -87.33654, -86, -103} {
		s = append(s, math.Nextafter32(c, 0), math.Nextafter32(c, float32(math.Inf(1))),
			math.Nextafter32(c, float32(math.Inf(-1))))
	}
	return s
}()

// elemInput returns n values: mostly N(0, scale²), with the special values mixed in.
func elemInput(r *rand.Rand, n int, scale float32) []float32 {
	x := randSlice(r, n, scale)
	for i := range x {
		if r.IntN(8) == 0 {
			x[i] = elemSpecial[r.IntN(len(elemSpecial))]
		}
	}
	return x
}

// guarded returns a slice of n values surrounded by 8 guard values on each side, and a check that
// the guards are intact.
func guarded(t *testing.T, n int) ([]float32, func(name string)) {
	const g, pad = -7.25, 8
	buf := make([]float32, n+2*pad)
	for i := range buf {
		buf[i] = g
	}
	return buf[pad : pad+n : pad+n], func(name string) {
		t.Helper()
		for i, v := range buf {
			if (i < pad || i >= pad+n) && v != g {
				t.Fatalf("%s n=%d: guard %d overwritten with %v", name, n, i, v)
			}
		}
	}
}

// elemLens covers empty, shorter than a vector, every remainder mod 16 (so mod 4 and 8 too), one
// vector of each width (4, 8, 16) with and without a tail, and a few long rows.
var elemLens = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 23, 31, 32, 33, 47, 63, 64, 65, 100, 255, 256, 683}

func TestExpSub(t *testing.T) {
	withLanes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		for _, n := range elemLens {
			for _, scale := range []float32{1, 30} {
				src := elemInput(r, n, scale)
				m := float32(r.NormFloat64())
				want := make([]float32, n)
				expSubGo(want, src, m)
				got, check := guarded(t, n)
				expSub(got, src, m)
				check("expSub")
				for j := range want {
					if !sameBits(got[j], want[j]) {
						t.Fatalf("n=%d: expSub[%d] of %v − %v = %v, want %v", n, j, src[j], m, got[j], want[j])
					}
				}
				// In place, as the softmax uses it.
				expSub(src, src, m)
				for j := range want {
					if !sameBits(src[j], want[j]) {
						t.Fatalf("n=%d: in-place expSub[%d] = %v, want %v", n, j, src[j], want[j])
					}
				}
			}
		}
	})
}

// TestExpSubSweep compares the vector exp with Exp32 on every 4099th float32 bit pattern (about a
// million inputs of every sign and exponent, NaNs and infinities included).
func TestExpSubSweep(t *testing.T) {
	src := make([]float32, 0, 1<<20+16)
	for b := uint64(0); b < 1<<32; b += 4099 {
		src = append(src, math.Float32frombits(uint32(b)))
	}
	if testing.Short() {
		src = src[:len(src)/8]
	}
	withLanes(t, func(t *testing.T) {
		got := make([]float32, len(src))
		expSub(got, src, 0)
		for j, x := range src {
			if want := Exp32(x - 0); !sameBits(got[j], want) {
				t.Fatalf("exp(%v) (bits %#x) = %v, want %v", x, math.Float32bits(x), got[j], want)
			}
		}
	})
}

// expEdges are the inputs where Exp32's steps change: for every k = floor(x·log2e + 0.5) in range (odd
// and even, negative and positive), x = k·ln2 and x = (k+½)·ln2 (where the rounding to k flips) with
// two float32 neighbours each side; the cut-offs ±1 ulp; and NaNs with other payloads and signs.
var expEdges = func() []float32 {
	var s []float32
	add := func(x float32) {
		lo, hi := x, x
		s = append(s, x)
		for i := 0; i < 2; i++ {
			lo, hi = math.Nextafter32(lo, float32(math.Inf(-1))), math.Nextafter32(hi, float32(math.Inf(1)))
			s = append(s, lo, hi)
		}
	}
	for k := -130; k <= 130; k++ {
		add(float32(float64(k) * math.Ln2))
		add(float32((float64(k) + 0.5) * math.Ln2))
	}
	add(88.72283)
	add(-87.33654)
	s = append(s, math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc00000), // quiet NaNs
		math.Float32frombits(0x7f800001), math.Float32frombits(0xff812345), // signalling NaNs
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32)
	return append(s, elemSpecial...)
}()

// TestExpEdges runs expSub, siluMul and swigluGrad over expEdges (as x, as the gate) on every backend
// and compares with Exp32 and the twins bit for bit, the tail included (the length is not a multiple
// of 16).
func TestExpEdges(t *testing.T) {
	n := len(expEdges)
	if n%16 == 0 {
		n-- // keep a tail for the zero-padded last vector
	}
	x := expEdges[:n]
	withLanes(t, func(t *testing.T) {
		for _, m := range []float32{0, -0.5, 3} {
			got, check := guarded(t, n)
			expSub(got, x, m)
			check("expSub")
			for j := range x {
				if want := Exp32(x[j] - m); !sameBits(got[j], want) {
					t.Fatalf("expSub(%v (bits %#x) − %v) = %v, want %v", x[j], math.Float32bits(x[j]), m, got[j], want)
				}
			}
		}
		u, d := make([]float32, n), make([]float32, n)
		for j := range u {
			u[j], d[j] = 1.5, -0.75
		}
		o, want := make([]float32, n), make([]float32, n)
		siluMul(o, x, u)
		siluMulGo(want, x, u)
		cmpBits(t, "siluMul", o, want)
		dg, du, wg, wu := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		swigluGrad(dg, du, d, x, u)
		swigluGradGo(wg, wu, d, x, u)
		cmpBits(t, "swigluGrad dg", dg, wg)
		cmpBits(t, "swigluGrad du", du, wu)
	})
}

func TestSiLUMul(t *testing.T) {
	withLanes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, n := range elemLens {
			g, u := elemInput(r, n, 4), elemInput(r, n, 1)
			want := make([]float32, n)
			siluMulGo(want, g, u)
			got, check := guarded(t, n)
			siluMul(got, g, u)
			check("siluMul")
			for j := range want {
				if !sameBits(got[j], want[j]) {
					t.Fatalf("n=%d: siluMul[%d] of g=%v u=%v = %v, want %v", n, j, g[j], u[j], got[j], want[j])
				}
			}
		}
	})
}

func TestSwiGLUGrad(t *testing.T) {
	withLanes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(15, 16))
		for _, n := range elemLens {
			d, g, u := elemInput(r, n, 1), elemInput(r, n, 4), elemInput(r, n, 1)
			wantG, wantU := make([]float32, n), make([]float32, n)
			swigluGradGo(wantG, wantU, d, g, u)
			gotG, checkG := guarded(t, n)
			gotU, checkU := guarded(t, n)
			swigluGrad(gotG, gotU, d, g, u)
			checkG("swigluGrad dg")
			checkU("swigluGrad du")
			for j := range wantG {
				if !sameBits(gotG[j], wantG[j]) || !sameBits(gotU[j], wantU[j]) {
					t.Fatalf("n=%d: swigluGrad[%d] of d=%v g=%v u=%v = (%v, %v), want (%v, %v)",
						n, j, d[j], g[j], u[j], gotG[j], gotU[j], wantG[j], wantU[j])
				}
			}
		}
	})
}

// TestSwiGLUTwins: the twins are the old per-element formulas, SiLU32(g)·u and the σ-based gradient.
func TestSwiGLUTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	n := 200
	d, g, u := elemInput(r, n, 1), elemInput(r, n, 4), elemInput(r, n, 1)
	o, dg, du := make([]float32, n), make([]float32, n), make([]float32, n)
	siluMulGo(o, g, u)
	swigluGradGo(dg, du, d, g, u)
	for j := range g {
		s := Sigmoid32(g[j])
		// float32(…) rounds the product before the addition, as swigluGradGo does, so that arm64 (where Go
		// fuses x*y + z) computes the same formula.
		if wo, wu, wg := SiLU32(g[j])*u[j], d[j]*g[j]*s, d[j]*u[j]*s*(1+float32(g[j]*(1-s))); !sameBits(o[j], wo) ||
			!sameBits(du[j], wu) || !sameBits(dg[j], wg) {
			t.Fatalf("j=%d: (%v %v %v), want (%v %v %v)", j, o[j], du[j], dg[j], wo, wu, wg)
		}
	}
}

// BenchmarkElem times the elementwise loops on a row of the small preset's FFN width (F = 683), on a
// full softmax row (T = 256) and on one rotary half-head (32 pairs), per backend.
func BenchmarkElem(b *testing.B) {
	prev := elemLanes
	defer func() { elemLanes = prev }()
	r := rand.New(rand.NewPCG(1, 1))
	d, g, u := randSlice(r, 683, 1), randSlice(r, 683, 4), randSlice(r, 683, 1)
	o, dg, du := make([]float32, 683), make([]float32, 683), make([]float32, 683)
	for _, w := range elemBackends() {
		elemLanes = w
		b.Run("expSub256/lanes"+itoa(w), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				expSub(o[:256], g[:256], 1)
			}
		})
		b.Run("siluMul683/lanes"+itoa(w), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				siluMul(o, g, u)
			}
		})
		b.Run("swigluGrad683/lanes"+itoa(w), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				swigluGrad(dg, du, d, g, u)
			}
		})
		b.Run("ropeRot32/lanes"+itoa(w), func(b *testing.B) { // one head half of D = 64
			for i := 0; i < b.N; i++ {
				ropeRot(o[:32], du[:32], d[:32], u[:32], 1)
			}
		})
	}
}

// TestRoPERotMatchesGo checks ropeRot on every elementwise backend against ropeRotGo, bit for bit,
// for lengths around the vector widths, both signs, special values included.
func TestRoPERotMatchesGo(t *testing.T) {
	withLanes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(21, 22))
		for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 32, 33, 64} {
			for _, sign := range []float32{1, -1} {
				x1, x2 := elemInput(r, n, 2), elemInput(r, n, 2)
				cs, sn := randSlice(r, n, 1), randSlice(r, n, 1)
				w1, w2 := append([]float32(nil), x1...), append([]float32(nil), x2...)
				g1, check1 := guarded(t, n)
				g2, check2 := guarded(t, n)
				copy(g1, x1)
				copy(g2, x2)
				ropeRot(g1, g2, cs, sn, sign)
				ropeRotGo(w1, w2, cs, sn, sign)
				check1("ropeRot x1")
				check2("ropeRot x2")
				for i := range w1 {
					if !sameBits(g1[i], w1[i]) || !sameBits(g2[i], w2[i]) {
						t.Fatalf("n=%d sign=%v i=%d: got (%v, %v), want (%v, %v)", n, sign, i, g1[i], g2[i], w1[i], w2[i])
					}
				}
			}
		}
	})
}

// TestRowSumsMatchGo checks sumSq and dot3 on every elementwise backend against their scalar twins,
// bit for bit, for lengths around the lane count, and against float64 sums (a length-n float32 sum is
// within about n·2^-24·Σ|terms| of the exact one).
func TestRowSumsMatchGo(t *testing.T) {
	withLanes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(23, 24))
		for _, n := range []int{0, 1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 48, 256, 683} {
			a, b, c := randSlice(r, n, 2), randSlice(r, n, 1), randSlice(r, n, 3)
			var ss, sa, d, da float64
			for j := range a {
				ss += float64(a[j]) * float64(a[j])
				p := float64(a[j]) * float64(b[j]) * float64(c[j])
				d += p
				da += math.Abs(p)
			}
			sa = ss
			if got, want := sumSq(a), sumSqGo(a); !sameBits(got, want) {
				t.Fatalf("n=%d: sumSq = %v, twin %v", n, got, want)
			} else if math.Abs(float64(got)-ss) > float64(n+2)*0x1p-24*sa {
				t.Fatalf("n=%d: sumSq = %v, exact %v", n, got, ss)
			}
			if got, want := dot3(a, b, c), dot3Go(a, b, c); !sameBits(got, want) {
				t.Fatalf("n=%d: dot3 = %v, twin %v", n, got, want)
			} else if math.Abs(float64(got)-d) > float64(n+4)*0x1p-24*da {
				t.Fatalf("n=%d: dot3 = %v, exact %v", n, got, d)
			}
		}
	})
}

// TestRMSNormSweepsMatchGo checks rmsScale, rmsBwdRow and rmsBwdCol on every elementwise backend
// against their scalar twins, bit for bit, with guard values around the outputs.
func TestRMSNormSweepsMatchGo(t *testing.T) {
	withLanes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(25, 26))
		for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 256, 683} {
			x, w, dr, acc := elemInput(r, n, 2), randSlice(r, n, 1), elemInput(r, n, 1), randSlice(r, n, 1)
			const rs, k = 0.7, -0.3
			out, check := guarded(t, n)
			want := make([]float32, n)
			rmsScale(out, x, w, rs)
			rmsScaleGo(want, x, w, rs)
			check("rmsScale")
			cmpBits(t, "rmsScale", out, want)

			dx, check := guarded(t, n)
			copy(dx, acc)
			want = append(want[:0], acc...)
			rmsBwdRow(dx, dr, w, x, rs, k)
			rmsBwdRowGo(want, dr, w, x, rs, k)
			check("rmsBwdRow")
			cmpBits(t, "rmsBwdRow", dx, want)

			dw, check := guarded(t, n)
			copy(dw, acc)
			want = append(want[:0], acc...)
			rmsBwdCol(dw, dr, x, rs)
			rmsBwdColGo(want, dr, x, rs)
			check("rmsBwdCol")
			cmpBits(t, "rmsBwdCol", dw, want)
		}
	})
}

func cmpBits(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for j := range want {
		if !sameBits(got[j], want[j]) {
			t.Fatalf("%s n=%d j=%d: %v, twin %v", name, len(want), j, got[j], want[j])
		}
	}
}

// TestSoftmaxSweepsMatchGo checks sum, dot2, scaleRow and softmaxBwd on every elementwise backend
// against their scalar twins, bit for bit, special values included, with guard values around outputs.
func TestSoftmaxSweepsMatchGo(t *testing.T) {
	withLanes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(27, 28))
		for _, n := range []int{0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 48, 256} {
			a, b := elemInput(r, n, 2), elemInput(r, n, 1)
			if got, want := sum(a), sumGo(a); !sameBits(got, want) {
				t.Fatalf("n=%d: sum = %v, twin %v", n, got, want)
			}
			if got, want := dot2(a, b), dot2Go(a, b); !sameBits(got, want) {
				t.Fatalf("n=%d: dot2 = %v, twin %v", n, got, want)
			}
			x, check := guarded(t, n)
			copy(x, a)
			want := append([]float32(nil), a...)
			scaleRow(x, 0.37)
			scaleRowGo(want, 0.37)
			check("scaleRow")
			cmpBits(t, "scaleRow", x, want)

			dr, check := guarded(t, n)
			copy(dr, b)
			want = append(want[:0], b...)
			softmaxBwd(dr, a, 0.25, 0.125)
			softmaxBwdGo(want, a, 0.25, 0.125)
			check("softmaxBwd")
			cmpBits(t, "softmaxBwd", dr, want)
		}
	})
}

// TestRowMax: when rowMax answers, its maximum has the bits of both scalar loops the kernels use
// (Go's max from x[0], and x > m from x[0]); it declines exactly when an element is a NaN or the
// maximum is ±0 (or the row is short, or there is no vector maximum); maxGo and maxGT always have
// their loop's bits. Rows of every length to 100
// and 2048, with NaNs, ±0, ±Inf and repeated maxima planted anywhere.
func TestRowMax(t *testing.T) {
	withLanes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		special := []float32{float32(math.NaN()), 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), 7.5}
		for n := 1; n <= 2048; n++ {
			if n > 100 && n != 2048 {
				continue
			}
			for trial := 0; trial < 8; trial++ {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(r.NormFloat64())
					if trial >= 4 {
						x[i] = -float32(math.Abs(float64(x[i]))) // maxima at or below zero
					}
				}
				if trial%2 == 1 {
					for k := 0; k < 1+r.IntN(3); k++ {
						x[r.IntN(n)] = special[r.IntN(len(special))]
					}
				}
				checkRowMax(t, x)
			}
		}
	})
}

func checkRowMax(t *testing.T, x []float32) {
	t.Helper()
	goMax, gt := x[0], x[0]
	nan := false
	for _, v := range x {
		goMax = max(goMax, v)
		if v > gt {
			gt = v
		}
		nan = nan || v != v
	}
	m, ok := rowMax(x)
	want := haveMaxVec && elemLanes > 0 && len(x) >= 32 && !nan && goMax != 0
	if ok != want {
		t.Fatalf("n %d: rowMax answered %v, want %v (NaN %v, max %v)", len(x), ok, want, nan, goMax)
	}
	if ok && (math.Float32bits(m) != math.Float32bits(goMax) || math.Float32bits(m) != math.Float32bits(gt)) {
		t.Fatalf("n %d: rowMax %v, loops %v and %v", len(x), m, goMax, gt)
	}
	if a, b := maxGo(x), maxGT(x); math.Float32bits(a) != math.Float32bits(goMax) || math.Float32bits(b) != math.Float32bits(gt) {
		t.Fatalf("n %d: maxGo %v, maxGT %v; loops %v and %v", len(x), a, b, goMax, gt)
	}
}

// BenchmarkRowMax: maxGT (the vector maximum where there is one) against its scalar loop, on a
// causal attention row (256) and a vocabulary row (2048).
func BenchmarkRowMax(b *testing.B) {
	for _, n := range []int{256, 2048} {
		x := make([]float32, n)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		var sink float32
		b.Run("vector/n="+itoa(n), func(b *testing.B) {
			for b.Loop() {
				sink += maxGT(x)
			}
		})
		b.Run("scalar/n="+itoa(n), func(b *testing.B) {
			for b.Loop() {
				m := x[0]
				for _, v := range x[1:] {
					if v > m {
						m = v
					}
				}
				sink += m
			}
		})
		_ = sink
	}
}
