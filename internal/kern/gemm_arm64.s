#include "textflag.h"

// The NEON (ASIMD) GEMM micro-kernel of arm64: an 8×8 tile of sums over kc packed steps. Every
// element is a chain of fused multiply-adds in k order from zero — what the generic Go kernel
// computes on arm64, where Go fuses x += a*b — so that the tile is bitwise the generic one's. The
// Go wrapper (gemm_arm64.go) applies alpha and beta with the generic store.

// func gemmKernNEON8x8(kc int, a, b, t *float32)
// a: kc×8 packed A (8 rows per k step), b: kc×8 packed B, t: the 64 sums, row-major.
TEXT ·gemmKernNEON8x8(SB), NOSPLIT, $0-32
	MOVD kc+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD t+24(FP), R3
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
	VEOR V24.B16, V24.B16, V24.B16
	VEOR V25.B16, V25.B16, V25.B16
	VEOR V26.B16, V26.B16, V26.B16
	VEOR V27.B16, V27.B16, V27.B16
	VEOR V28.B16, V28.B16, V28.B16
	VEOR V29.B16, V29.B16, V29.B16
	VEOR V30.B16, V30.B16, V30.B16
	VEOR V31.B16, V31.B16, V31.B16
	CBZ R0, store
loop:
	VLD1.P 32(R2), [V0.S4, V1.S4]
	VLD1R.P 4(R1), [V2.S4]
	VLD1R.P 4(R1), [V3.S4]
	VLD1R.P 4(R1), [V4.S4]
	VLD1R.P 4(R1), [V5.S4]
	VLD1R.P 4(R1), [V6.S4]
	VLD1R.P 4(R1), [V7.S4]
	VLD1R.P 4(R1), [V8.S4]
	VLD1R.P 4(R1), [V9.S4]
	VFMLA V0.S4, V2.S4, V16.S4
	VFMLA V1.S4, V2.S4, V17.S4
	VFMLA V0.S4, V3.S4, V18.S4
	VFMLA V1.S4, V3.S4, V19.S4
	VFMLA V0.S4, V4.S4, V20.S4
	VFMLA V1.S4, V4.S4, V21.S4
	VFMLA V0.S4, V5.S4, V22.S4
	VFMLA V1.S4, V5.S4, V23.S4
	VFMLA V0.S4, V6.S4, V24.S4
	VFMLA V1.S4, V6.S4, V25.S4
	VFMLA V0.S4, V7.S4, V26.S4
	VFMLA V1.S4, V7.S4, V27.S4
	VFMLA V0.S4, V8.S4, V28.S4
	VFMLA V1.S4, V8.S4, V29.S4
	VFMLA V0.S4, V9.S4, V30.S4
	VFMLA V1.S4, V9.S4, V31.S4
	SUBS $1, R0, R0
	BNE loop
store:
	VST1.P [V16.S4, V17.S4], 32(R3)
	VST1.P [V18.S4, V19.S4], 32(R3)
	VST1.P [V20.S4, V21.S4], 32(R3)
	VST1.P [V22.S4, V23.S4], 32(R3)
	VST1.P [V24.S4, V25.S4], 32(R3)
	VST1.P [V26.S4, V27.S4], 32(R3)
	VST1.P [V28.S4, V29.S4], 32(R3)
	VST1.P [V30.S4, V31.S4], 32(R3)
	RET
