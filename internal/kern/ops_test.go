package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Finite-difference checks of every backward kernel. Each kernel's output is contracted with a fixed
// random tensor R into the scalar objective f = Σ out·R, accumulated in float64; its gradient is compared
// with central differences (step h) taken on the float32 inputs. With h = 1e-2 on O(1) inputs the float32
// rounding noise in f is ~1e-6·|f|/h ≈ 1e-4, so 2e-3 absolute + 2e-2 relative separates real bugs
// (errors of order 1) from noise.

func randSlice(r *rand.Rand, n int, scale float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64()) * scale
	}
	return s
}

func dot64(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// checkGrad compares analytic with the central difference of f over every element of x.
func checkGrad(t *testing.T, name string, x, analytic []float32, f func() float64) {
	t.Helper()
	const h = 1e-2
	worst := 0.0
	for i := range x {
		old := x[i]
		x[i] = old + h
		fp := f()
		x[i] = old - h
		fm := f()
		x[i] = old
		num := (fp - fm) / (2 * h)
		diff := math.Abs(num - float64(analytic[i]))
		if diff > worst {
			worst = diff
		}
		if diff > 2e-3+2e-2*math.Abs(num) {
			t.Fatalf("%s[%d]: analytic %.6g, finite difference %.6g", name, i, analytic[i], num)
		}
	}
	t.Logf("%s: max |analytic − numeric| = %.3g over %d elements", name, worst, len(x))
}

func TestRMSNormBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n, c := 5, 7
	x, w := randSlice(r, n*c, 1), randSlice(r, c, 1)
	R := randSlice(r, n*c, 1)
	out, rstd := make([]float32, n*c), make([]float32, n)
	f := func() float64 { RMSNormForward(out, rstd, x, w, n, c, 1e-5); return dot64(out, R) }
	f()
	dx, dw := make([]float32, n*c), make([]float32, c)
	RMSNormBackward(dx, dw, R, x, w, rstd, n, c)
	checkGrad(t, "dx", x, dx, f)
	checkGrad(t, "dw", w, dw, f)
}

func TestRoPEBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	b, tt, h, d, ld := 2, 5, 3, 4, 14 // ld > H·D: columns past H·D must stay untouched
	tb := NewRoPETable(8, d, 10000)
	x := randSlice(r, b*tt*ld, 1)
	R := randSlice(r, b*tt*ld, 1)
	y := make([]float32, len(x))
	f := func() float64 { copy(y, x); RoPEForward(y, tb, b, tt, h, ld, 2); return dot64(y, R) }
	f()
	for row := 0; row < b*tt; row++ {
		for j := h * d; j < ld; j++ {
			if y[row*ld+j] != x[row*ld+j] {
				t.Fatalf("RoPEForward wrote column %d of row %d past H·D", j, row)
			}
		}
	}
	dx := append([]float32(nil), R...)
	RoPEBackward(dx, tb, b, tt, h, ld, 2)
	checkGrad(t, "dx", x, dx, f)
}

// TestRoPEReference checks one rotation against the formula of llama_ref.py written out by hand:
// position 3, θ = 10000, D = 4: angles 3·10000^0 = 3 and 3·10000^(−1/2) = 0.03.
func TestRoPEReference(t *testing.T) {
	tb := NewRoPETable(4, 4, 10000)
	x := []float32{1, 2, 3, 4}
	RoPEForward(x, tb, 1, 1, 1, 4, 3)
	c0, s0, c1, s1 := math.Cos(3), math.Sin(3), math.Cos(0.03), math.Sin(0.03)
	want := []float64{1*c0 - 3*s0, 2*c1 - 4*s1, 3*c0 + 1*s0, 4*c1 + 2*s1}
	for i := range want {
		if math.Abs(float64(x[i])-want[i]) > 1e-6 {
			t.Fatalf("rope[%d] = %v, want %v", i, x[i], want[i])
		}
	}
}

func TestSwiGLUBackward(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n, f := 4, 6
	gu := randSlice(r, 2*n*f, 1.5)
	R := randSlice(r, n*f, 1)
	out := make([]float32, n*f)
	obj := func() float64 { SwiGLUForward(out, gu, n, f); return dot64(out, R) }
	obj()
	dgu := make([]float32, 2*n*f)
	SwiGLUBackward(dgu, R, gu, n, f)
	checkGrad(t, "dgu", gu, dgu, obj)
}

// TestAttentionBackward checks the gradient by finite differences, for one row block (T = 5) and
// for several with a partial last one (T = 2·attBlock+5), with multi-head (Hkv = H), grouped-query
// (Hkv = 2 of 4) and multi-query (Hkv = 1) attention. The probability and scratch buffers start as
// NaN: the kernels must write every entry they read.
func TestAttentionBackward(t *testing.T) {
	for _, heads := range [][2]int{{2, 2}, {4, 2}, {3, 1}} {
		for _, tt := range []int{5, 2*attBlock + 5} {
			r := rand.New(rand.NewPCG(7, 8))
			b, h, hkv, d := 2, heads[0], heads[1], 3
			w := (h + 2*hkv) * d
			qkv := randSlice(r, b*tt*w, 1)
			R := randSlice(r, b*tt*h*d, 1)
			y, att := make([]float32, b*tt*h*d), nanSlice(b*h*tt*tt)
			f := func() float64 { AttentionForward(y, att, qkv, nil, b, tt, h, hkv, d); return dot64(y, R) }
			f()
			dqkv, datt := nanSlice(len(qkv)), nanSlice(len(att))
			AttentionBackward(dqkv, datt, R, qkv, att, nil, b, tt, h, hkv, d)
			checkGrad(t, fmt.Sprintf("dqkv H=%d Hkv=%d T=%d", h, hkv, tt), qkv, dqkv, f)
		}
	}
}

func nanSlice(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.NaN())
	}
	return x
}

// TestAttentionNaive compares AttentionForward with the definition evaluated in float64, for
// multi-head and grouped-query attention (query head hh reads key/value head hh/(H/Hkv)).
func TestAttentionNaive(t *testing.T) {
	for _, heads := range [][2]int{{3, 3}, {6, 2}, {2, 1}} {
		for _, tt := range []int{7, 2*attBlock + 5} {
			testAttentionNaive(t, tt, heads[0], heads[1])
		}
	}
}

func testAttentionNaive(t *testing.T, tt, h, hkv int) {
	r := rand.New(rand.NewPCG(9, 10))
	b, d := 2, 4
	qd, kvd := h*d, hkv*d
	w := qd + 2*kvd
	qkv := randSlice(r, b*tt*w, 1)
	y, att := make([]float32, b*tt*qd), nanSlice(b*h*tt*tt)
	AttentionForward(y, att, qkv, nil, b, tt, h, hkv, d)
	for bi := 0; bi < b; bi++ {
		for hh := 0; hh < h; hh++ {
			kh := hh / (h / hkv)
			for i := 0; i < tt; i++ {
				s := make([]float64, i+1)
				mx := math.Inf(-1)
				for j := 0; j <= i; j++ {
					for e := 0; e < d; e++ {
						s[j] += float64(qkv[(bi*tt+i)*w+hh*d+e]) * float64(qkv[(bi*tt+j)*w+qd+kh*d+e])
					}
					s[j] /= math.Sqrt(float64(d))
					mx = math.Max(mx, s[j])
				}
				var sum float64
				for j := range s {
					s[j] = math.Exp(s[j] - mx)
					sum += s[j]
				}
				for e := 0; e < d; e++ {
					var want float64
					for j := range s {
						want += s[j] / sum * float64(qkv[(bi*tt+j)*w+qd+kvd+kh*d+e])
					}
					got := y[(bi*tt+i)*qd+hh*d+e]
					if math.Abs(float64(got)-want) > 1e-5 {
						t.Fatalf("H=%d Hkv=%d T=%d: y[b%d h%d t%d e%d] = %v, want %v", h, hkv, tt, bi, hh, i, e, got, want)
					}
				}
				row := att[((bi*h+hh)*tt+i)*tt : ((bi*h+hh)*tt+i+1)*tt]
				for j, got := range row {
					want := 0.0
					if j <= i {
						want = s[j] / sum
					}
					if !(math.Abs(float64(got)-want) <= 1e-6) {
						t.Fatalf("H=%d Hkv=%d T=%d: P[b%d h%d %d,%d] = %v, want %v", h, hkv, tt, bi, hh, i, j, got, want)
					}
				}
			}
		}
	}
}

func TestSoftmaxCrossEntropy(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	n, v := 4, 9
	logits := randSlice(r, n*v, 2)
	y := []int32{3, 0, -1, 8}
	losses := make([]float32, n)
	f := func() float64 {
		SoftmaxCrossEntropy(nil, losses, logits, y, n, v, 1)
		var s float64
		for _, l := range losses {
			s += float64(l)
		}
		return s
	}
	f()
	for i := 0; i < n; i++ {
		if y[i] < 0 {
			if losses[i] != 0 {
				t.Fatalf("ignored row %d has loss %v", i, losses[i])
			}
			continue
		}
		var sum float64
		for j := 0; j < v; j++ {
			sum += math.Exp(float64(logits[i*v+j]))
		}
		want := math.Log(sum) - float64(logits[i*v+int(y[i])])
		if math.Abs(float64(losses[i])-want) > 1e-5 {
			t.Fatalf("loss[%d] = %v, want %v", i, losses[i], want)
		}
	}
	d := make([]float32, n*v)
	SoftmaxCrossEntropy(d, losses, logits, y, n, v, 1)
	checkGrad(t, "dlogits", logits, d, f)
	// In place (dlogits aliasing logits) gives the same gradient.
	in := append([]float32(nil), logits...)
	SoftmaxCrossEntropy(in, losses, in, y, n, v, 1)
	for i := range in {
		if in[i] != d[i] {
			t.Fatalf("in-place gradient differs at %d: %v vs %v", i, in[i], d[i])
		}
	}
}
