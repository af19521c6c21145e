package kern

import (
	"math"
	"testing"
)

// TestExp32 sweeps the float32 range and checks the relative error against float64 math.Exp.
// 4 ulp (4·2^-23 ≈ 4.8e-7) is the bound: the polynomial is good to ~1 ulp, range reduction and the
// two-step scaling add at most a few more roundings.
func TestExp32(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x < 88.5; x += 0.001731 {
		got := float64(Exp32(x))
		want := math.Exp(float64(x))
		rel := math.Abs(got-want) / want
		if rel > worst {
			worst = rel
		}
		if rel > 4*math.Pow(2, -23) {
			t.Fatalf("Exp32(%v) = %v, want %v (rel err %.3g)", x, got, want, rel)
		}
	}
	t.Logf("worst relative error %.3g", worst)
	cases := []struct{ x, want float32 }{
		{0, 1}, {-100, 0}, {100, float32(math.Inf(1))}, {float32(math.Inf(-1)), 0},
	}
	for _, c := range cases {
		if got := Exp32(c.x); got != c.want {
			t.Errorf("Exp32(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := Exp32(float32(math.NaN())); got == got {
		t.Errorf("Exp32(NaN) = %v, want NaN", got)
	}
}
