package kern

import "math"

// Exp32 is a float32 exp accurate to about 2 ulp over the float32 range, without float64 math. It follows
// the classic Cody–Waite scheme: x = k·ln2 + r with |r| ≤ ln2/2, exp(r) by a degree-6 polynomial, then
// scaling by 2^k through the exponent bits. Inputs below -87.3 flush to 0, above 88.7 give +Inf.
func Exp32(x float32) float32 {
	if x != x {
		return x
	}
	if x > 88.72283 {
		return float32(math.Inf(1))
	}
	if x < -87.33654 {
		return 0
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	// The float32 conversions round every product before the sum that follows: they forbid fused
	// multiply-adds (which arm64 and GOAMD64=v3 would otherwise emit), so that Exp32 gives the same bits
	// on every build and equals the SIMD versions in elem_amd64.s and elem_arm64.s lane by lane.
	kf := float32(x*log2e) + 0.5
	if kf < 0 {
		kf -= 1
	}
	k := int32(kf) // floor(x·log2e + 0.5)
	r := x - float32(float32(k)*ln2hi)
	r -= float32(float32(k) * ln2lo)
	// Minimax polynomial of exp on [-ln2/2, ln2/2] (the Cephes expf coefficients).
	p := float32(1.9875691500e-4)
	p = float32(p*r) + 1.3981999507e-3
	p = float32(p*r) + 8.3334519073e-3
	p = float32(p*r) + 4.1665795894e-2
	p = float32(p*r) + 1.6666665459e-1
	p = float32(p*r) + 5.0000001201e-1
	y := float32(float32(p*r)*r) + r + 1
	// Scale by 2^k in two steps so that k = -127 or 128 does not overflow the exponent field.
	k1 := k / 2
	k2 := k - k1
	s1 := math.Float32frombits(uint32(k1+127) << 23)
	s2 := math.Float32frombits(uint32(k2+127) << 23)
	return y * s1 * s2
}

// SiLU32 is x·sigmoid(x) in float32.
func SiLU32(x float32) float32 { return x / (1 + Exp32(-x)) }

// Sigmoid32 is 1/(1+exp(-x)) in float32.
func Sigmoid32(x float32) float32 { return 1 / (1 + Exp32(-x)) }
