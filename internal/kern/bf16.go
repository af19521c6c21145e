package kern

import "math"

// bf16 rounds x to bfloat16 (round to nearest, ties to even), keeping NaNs NaN: the rounding of the
// bf16 GEMM backends' packers (and of the tests' twin of them).
func bf16(x float32) uint16 {
	b := math.Float32bits(x)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}
