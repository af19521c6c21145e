package kern

import (
	"math"
	"math/rand"
	"slices"
	"testing"
)

// TestAdamWStepTwin: AdamWStep (vectorized where the CPU allows) is bitwise adamwGo, for lengths
// around the four lanes, values from subnormal to large, zero moments and gradients, and the
// scalars of a first step, a late step, with and without decay.
func TestAdamWStepTwin(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	val := func() float32 {
		switch r.Intn(8) {
		case 0:
			return 0
		case 1:
			return float32(r.NormFloat64()) * 1e-40 // subnormal
		case 2:
			return float32(r.NormFloat64()) * 1e6
		}
		return float32(r.NormFloat64() * math.Pow(10, float64(r.Intn(8)-6)))
	}
	scalars := func(lr, wd, b1, b2, eps float64, step int, decay bool) AdamWScalars {
		bc1, bc2 := 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step))
		s := AdamWScalars{Keep: 1, NegStep: float32(-(lr / bc1)), BC2Sqrt: float32(math.Sqrt(bc2)), Eps: float32(eps),
			B1: float32(b1), B2: float32(b2), C1: float64(float32(1 - b1)), C2: float64(float32(1 - b2))}
		if decay {
			s.Keep = float32(1 - lr*wd)
		}
		return s
	}
	for _, s := range []AdamWScalars{
		scalars(3e-4, 0.1, 0.9, 0.95, 1e-8, 1, true),
		scalars(1e-3, 0.1, 0.9, 0.999, 1e-8, 5000, false),
		scalars(2.5e-2, 0.01, 0.5, 0.9, 1e-6, 7, true),
	} {
		for _, n := range []int{0, 1, 3, 4, 5, 8, 17, 1001} {
			p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range p {
				p[i], g[i], m[i], v[i] = val(), val(), val(), float32(math.Abs(float64(val())))
			}
			want := [][]float32{slices.Clone(p), slices.Clone(m), slices.Clone(v)}
			adamwGo(want[0], g, want[1], want[2], s)
			AdamWStep(p, g, m, v, s)
			if !slices.Equal(p, want[0]) || !slices.Equal(m, want[1]) || !slices.Equal(v, want[2]) {
				t.Fatalf("n %d scalars %+v: AdamWStep differs from adamwGo (vector %v)", n, s, adamwVec)
			}
		}
	}
}

// BenchmarkAdamWStep times one update of 1M parameters, vectorized and the Go twin.
func BenchmarkAdamWStep(b *testing.B) {
	n := 1 << 20
	p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range p {
		p[i], g[i], m[i], v[i] = 0.01, 0.001*float32(i%7), 0.0001, 1e-6
	}
	s := AdamWScalars{Keep: 0.99997, NegStep: -3e-4, BC2Sqrt: 0.3, Eps: 1e-8, B1: 0.9, B2: 0.95, C1: 0.1, C2: 0.05}
	for _, vec := range []bool{true, false} {
		name := "go"
		if vec {
			name = "vector"
		}
		b.Run(name, func(b *testing.B) {
			prev := adamwVec
			adamwVec = vec && prev
			defer func() { adamwVec = prev }()
			for i := 0; i < b.N; i++ {
				AdamWStep(p, g, m, v, s)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mparams/s")
		})
	}
}

// sqrt64 is math.Sqrt behind a call, so that the compiler cannot turn float32(sqrt64(float64(x)))
// into a float32 square root.
//
//go:noinline
func sqrt64(x float64) float64 { return math.Sqrt(x) }

// TestSqrtRounding: the float64 square root of a float32 rounded to float32 is the float32 square
// root (the AVX2 AdamW loop takes the root in float32; adamwGo in float64), checked on every 64th bit
// pattern of the non-negative floats (subnormals, normals, +Inf, NaN) from a random offset.
func TestSqrtRounding(t *testing.T) {
	step := uint32(64)
	if testing.Short() {
		step = 4096
	}
	off := uint32(rand.New(rand.NewSource(9)).Intn(int(step)))
	for b := off; b < 0x7fc00000; b += step {
		x := math.Float32frombits(b)
		got := math.Float32bits(float32(math.Sqrt(float64(x)))) // the compiler's SQRTSS
		want := math.Float32bits(float32(sqrt64(float64(x))))
		if got != want {
			t.Fatalf("√%v (bits %#x): float32 root %#x, float64 root rounded %#x", x, b, got, want)
		}
	}
}
