#include "textflag.h"

// func adamwAVX2(p, grad, m, v *float32, n int, s *AdamWScalars)
// Eight elements per iteration (n a multiple of 8): float32 lanes in Y registers, their float64
// values in two Y registers each.
// The operations are adamwGo's, in its order; every conversion rounds to nearest as Go's does. The
// square root is taken in float32 (VSQRTPS): rounding the float64 root of a float32 to float32 gives
// the correctly rounded float32 root (53 ≥ 2·24 + 2 bits: double rounding is innocuous for √, as Go's
// compiler also relies on when it turns float32(math.Sqrt(float64(x))) into SQRTSS), and it frees the
// divider, which the two divisions and the root share and which bounds this loop.
// AdamWScalars layout: Keep 0, NegStep 4, BC2Sqrt 8, Eps 12, B1 16, B2 20, C1 24, C2 32.
TEXT ·adamwAVX2(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ v+24(FP), R8
	MOVQ n+32(FP), CX
	MOVQ s+40(FP), AX
	VBROADCASTSS 0(AX), Y10  // keep
	VBROADCASTSS 4(AX), Y11  // negStep
	VBROADCASTSS 8(AX), Y12  // bc2Sqrt
	VBROADCASTSS 12(AX), Y13 // eps
	VBROADCASTSS 16(AX), Y14 // b1
	VBROADCASTSS 20(AX), Y15 // b2
	VBROADCASTSD 24(AX), Y8  // c1
	VBROADCASTSD 32(AX), Y9  // c2
	MOVQ CX, BX
	SHRQ $3, BX
	JZ done
eight:
	// Eight elements: the float32 steps in one Y register, the float64 ones in two (lo, hi). The
	// products g·c1 and float32(c2·g)·g are exact in float64, so a fused multiply-add rounds their sums
	// as the separate multiply and add do.
	VCVTPS2PD (SI), Y0     // gd lo
	VCVTPS2PD 16(SI), Y1   // gd hi
	VMOVUPS (DX), Y2
	VMULPS Y14, Y2, Y2     // m·b1
	VCVTPS2PD X2, Y3
	VEXTRACTF128 $1, Y2, X4
	VCVTPS2PD X4, Y4
	VFMADD231PD Y8, Y0, Y3 // gd·c1 + m·b1
	VFMADD231PD Y8, Y1, Y4
	VCVTPD2PSY Y3, X3
	VCVTPD2PSY Y4, X4
	VINSERTF128 $1, X4, Y3, Y3 // mi
	VMULPD Y9, Y0, Y5      // c2·gd
	VMULPD Y9, Y1, Y6
	VCVTPD2PSY Y5, X5      // float32(c2·gd)
	VCVTPD2PSY Y6, X6
	VCVTPS2PD X5, Y5
	VCVTPS2PD X6, Y6
	VMOVUPS (R8), Y7
	VMULPS Y15, Y7, Y7     // v·b2
	VCVTPS2PD X7, Y2
	VEXTRACTF128 $1, Y7, X7
	VCVTPS2PD X7, Y4
	VFMADD231PD Y0, Y5, Y2 // float32(c2·gd)·gd + v·b2
	VFMADD231PD Y1, Y6, Y4
	VCVTPD2PSY Y2, X2
	VCVTPD2PSY Y4, X4
	VINSERTF128 $1, X4, Y2, Y2 // vi
	VMOVUPS Y3, (DX)
	VMOVUPS Y2, (R8)
	VSQRTPS Y2, Y5         // float32(√vi)
	VDIVPS Y12, Y5, Y5
	VADDPS Y13, Y5, Y5     // denom
	VMULPS Y3, Y11, Y6     // negStep·mi
	VDIVPS Y5, Y6, Y6
	VMOVUPS (DI), Y7
	VMULPS Y10, Y7, Y7     // p·keep
	VADDPS Y6, Y7, Y7
	VMOVUPS Y7, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, R8
	DECQ BX
	JNZ eight
done:
	VZEROUPPER
	RET
