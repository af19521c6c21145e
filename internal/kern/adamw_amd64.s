#include "textflag.h"

// func adamwAVX2(p, grad, m, v *float32, n int, s *AdamWScalars)
// Four elements per iteration: float32 lanes in X registers, their float64 values in Y registers.
// The operations are adamwGo's, in its order; every conversion rounds to nearest as Go's does.
// AdamWScalars layout: Keep 0, NegStep 4, BC2Sqrt 8, Eps 12, B1 16, B2 20, C1 24, C2 32.
TEXT ·adamwAVX2(SB), NOSPLIT, $0-48
	MOVQ p+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), DX
	MOVQ v+24(FP), R8
	MOVQ n+32(FP), CX
	MOVQ s+40(FP), AX
	VBROADCASTSS 0(AX), X10  // keep
	VBROADCASTSS 4(AX), X11  // negStep
	VBROADCASTSS 8(AX), X12  // bc2Sqrt
	VBROADCASTSS 12(AX), X13 // eps
	VBROADCASTSS 16(AX), X14 // b1
	VBROADCASTSS 20(AX), X15 // b2
	VBROADCASTSD 24(AX), Y8  // c1
	VBROADCASTSD 32(AX), Y9  // c2
	SHRQ $2, CX
	JZ done
loop:
	VCVTPS2PD (SI), Y0     // gd
	VMOVUPS (DX), X1
	VMULPS X14, X1, X1     // m·b1
	VCVTPS2PD X1, Y1
	VMULPD Y8, Y0, Y2      // gd·c1 (exact)
	VADDPD Y1, Y2, Y2
	VCVTPD2PSY Y2, X2      // mi
	VMULPD Y9, Y0, Y3      // c2·gd
	VCVTPD2PSY Y3, X3      // float32(c2·gd)
	VCVTPS2PD X3, Y3
	VMULPD Y0, Y3, Y3      // ·gd (exact)
	VMOVUPS (R8), X4
	VMULPS X15, X4, X4     // v·b2
	VCVTPS2PD X4, Y4
	VADDPD Y4, Y3, Y3
	VCVTPD2PSY Y3, X3      // vi
	VMOVUPS X2, (DX)
	VMOVUPS X3, (R8)
	VCVTPS2PD X3, Y5
	VSQRTPD Y5, Y5
	VCVTPD2PSY Y5, X5      // float32(√vi)
	VDIVPS X12, X5, X5
	VADDPS X13, X5, X5     // denom
	VMULPS X2, X11, X6     // negStep·mi
	VDIVPS X5, X6, X6
	VMOVUPS (DI), X7
	VMULPS X10, X7, X7     // p·keep
	VADDPS X6, X7, X7
	VMOVUPS X7, (DI)
	ADDQ $16, DI
	ADDQ $16, SI
	ADDQ $16, DX
	ADDQ $16, R8
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	RET
