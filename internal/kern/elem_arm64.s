#include "textflag.h"

// NEON (ASIMD) versions of the elementwise loops in elem.go, norm.go and rope.go, 4 lanes. Each lane
// computes exactly the operations of the scalar Go twin, in the same order and with the same float32
// roundings — a separate FMUL before every FADD/FSUB, never FMLA/FMLS — so the results are bitwise equal
// to Exp32, SiLU32, Sigmoid32 and the twins (SIMD on amd64 is elem_amd64.s, the same sequences). Every
// function handles n elements, n a multiple of 4 (16 for the row sums); the Go wrappers do the rest.
//
// Go's arm64 assembler has no vector floating-point arithmetic, comparisons or conversions, nor SSHR
// and BIC: those are WORDs, each with its instruction in the comment (encodings checked with GNU as
// and objdump). Go operand order elsewhere: VSUB Vm, Vn, Vd is d = n − m; VBIT/VBIF Vm, Vn, Vd insert
// n into d where m is set / clear.

// Constants of Exp32 (as in elem_amd64.s), each repeated over the 16 bytes of a V register; CONST4
// loads them into V16–V31 in this order.

// HI: 88.72283: above, exp overflows to +Inf
DATA elemConst<>+0(SB)/4, $0x42b17217
DATA elemConst<>+4(SB)/4, $0x42b17217
DATA elemConst<>+8(SB)/4, $0x42b17217
DATA elemConst<>+12(SB)/4, $0x42b17217
// LO: -87.33654: below, exp flushes to 0
DATA elemConst<>+16(SB)/4, $0xc2aeac4f
DATA elemConst<>+20(SB)/4, $0xc2aeac4f
DATA elemConst<>+24(SB)/4, $0xc2aeac4f
DATA elemConst<>+28(SB)/4, $0xc2aeac4f
// LOG2E: float32(1.44269504088896341)
DATA elemConst<>+32(SB)/4, $0x3fb8aa3b
DATA elemConst<>+36(SB)/4, $0x3fb8aa3b
DATA elemConst<>+40(SB)/4, $0x3fb8aa3b
DATA elemConst<>+44(SB)/4, $0x3fb8aa3b
// HALF: 0.5
DATA elemConst<>+48(SB)/4, $0x3f000000
DATA elemConst<>+52(SB)/4, $0x3f000000
DATA elemConst<>+56(SB)/4, $0x3f000000
DATA elemConst<>+60(SB)/4, $0x3f000000
// ONE: 1
DATA elemConst<>+64(SB)/4, $0x3f800000
DATA elemConst<>+68(SB)/4, $0x3f800000
DATA elemConst<>+72(SB)/4, $0x3f800000
DATA elemConst<>+76(SB)/4, $0x3f800000
// LN2HI: 0.693359375
DATA elemConst<>+80(SB)/4, $0x3f318000
DATA elemConst<>+84(SB)/4, $0x3f318000
DATA elemConst<>+88(SB)/4, $0x3f318000
DATA elemConst<>+92(SB)/4, $0x3f318000
// LN2LO: -2.12194440e-4
DATA elemConst<>+96(SB)/4, $0xb95e8083
DATA elemConst<>+100(SB)/4, $0xb95e8083
DATA elemConst<>+104(SB)/4, $0xb95e8083
DATA elemConst<>+108(SB)/4, $0xb95e8083
// P0: 1.9875691500e-4
DATA elemConst<>+112(SB)/4, $0x39506967
DATA elemConst<>+116(SB)/4, $0x39506967
DATA elemConst<>+120(SB)/4, $0x39506967
DATA elemConst<>+124(SB)/4, $0x39506967
// P1: 1.3981999507e-3
DATA elemConst<>+128(SB)/4, $0x3ab743ce
DATA elemConst<>+132(SB)/4, $0x3ab743ce
DATA elemConst<>+136(SB)/4, $0x3ab743ce
DATA elemConst<>+140(SB)/4, $0x3ab743ce
// P2: 8.3334519073e-3
DATA elemConst<>+144(SB)/4, $0x3c088908
DATA elemConst<>+148(SB)/4, $0x3c088908
DATA elemConst<>+152(SB)/4, $0x3c088908
DATA elemConst<>+156(SB)/4, $0x3c088908
// P3: 4.1665795894e-2
DATA elemConst<>+160(SB)/4, $0x3d2aa9c1
DATA elemConst<>+164(SB)/4, $0x3d2aa9c1
DATA elemConst<>+168(SB)/4, $0x3d2aa9c1
DATA elemConst<>+172(SB)/4, $0x3d2aa9c1
// P4: 1.6666665459e-1
DATA elemConst<>+176(SB)/4, $0x3e2aaaaa
DATA elemConst<>+180(SB)/4, $0x3e2aaaaa
DATA elemConst<>+184(SB)/4, $0x3e2aaaaa
DATA elemConst<>+188(SB)/4, $0x3e2aaaaa
// P5: 5.0000001201e-1 (rounds to 0.5)
DATA elemConst<>+192(SB)/4, $0x3f000000
DATA elemConst<>+196(SB)/4, $0x3f000000
DATA elemConst<>+200(SB)/4, $0x3f000000
DATA elemConst<>+204(SB)/4, $0x3f000000
// INF: +Inf
DATA elemConst<>+208(SB)/4, $0x7f800000
DATA elemConst<>+212(SB)/4, $0x7f800000
DATA elemConst<>+216(SB)/4, $0x7f800000
DATA elemConst<>+220(SB)/4, $0x7f800000
// I127: int32 127: the exponent bias
DATA elemConst<>+224(SB)/4, $0x0000007f
DATA elemConst<>+228(SB)/4, $0x0000007f
DATA elemConst<>+232(SB)/4, $0x0000007f
DATA elemConst<>+236(SB)/4, $0x0000007f
// SIGN: the float32 sign bit
DATA elemConst<>+240(SB)/4, $0x80000000
DATA elemConst<>+244(SB)/4, $0x80000000
DATA elemConst<>+248(SB)/4, $0x80000000
DATA elemConst<>+252(SB)/4, $0x80000000
GLOBL elemConst<>(SB), RODATA|NOPTR, $256

// CONST4 loads the constants: V16 HI, V17 LO, V18 LOG2E, V19 HALF, V20 ONE, V21 LN2HI, V22 LN2LO,
// V23–V28 P0–P5, V29 INF, V30 I127, V31 SIGN. R9 is clobbered.
#define CONST4 \
	MOVD    $elemConst<>(SB), R9; \
	VLD1.P  64(R9), [V16.S4, V17.S4, V18.S4, V19.S4]; \
	VLD1.P  64(R9), [V20.S4, V21.S4, V22.S4, V23.S4]; \
	VLD1.P  64(R9), [V24.S4, V25.S4, V26.S4, V27.S4]; \
	VLD1    (R9), [V28.S4, V29.S4, V30.S4, V31.S4]

// EXP4 sets V2 = Exp32(V1) lane-wise, keeping V1; V3–V5 are clobbered. The steps follow Exp32 line by
// line: V3 = kf, then float32(k); V4 = k, then k2; V5 = r; V2 = p, then y.
#define EXP4 \
	WORD $0x6e32dc23; /* fmul v3.4s, v1.4s, v18.4s */ \
	WORD $0x4e33d463; /* fadd v3.4s, v3.4s, v19.4s */ \
	WORD $0x4ea0e864; /* fcmlt v4.4s, v3.4s, #0.0 */ \
	VAND V20.B16, V4.B16, V4.B16; /* kf < 0 ? 1 : 0 */ \
	WORD $0x4ea4d463; /* fsub v3.4s, v3.4s, v4.4s */ \
	WORD $0x4ea1b864; /* fcvtzs v4.4s, v3.4s */ \
	WORD $0x4e21d883; /* scvtf v3.4s, v4.4s */ \
	WORD $0x6e35dc65; /* fmul v5.4s, v3.4s, v21.4s */ \
	WORD $0x4ea5d425; /* fsub v5.4s, v1.4s, v5.4s */ \
	WORD $0x6e36dc63; /* fmul v3.4s, v3.4s, v22.4s */ \
	WORD $0x4ea3d4a5; /* fsub v5.4s, v5.4s, v3.4s */ \
	WORD $0x6e25dee2; /* fmul v2.4s, v23.4s, v5.4s */ \
	WORD $0x4e38d442; /* fadd v2.4s, v2.4s, v24.4s */ \
	WORD $0x6e25dc42; /* fmul v2.4s, v2.4s, v5.4s */ \
	WORD $0x4e39d442; /* fadd v2.4s, v2.4s, v25.4s */ \
	WORD $0x6e25dc42; /* fmul v2.4s, v2.4s, v5.4s */ \
	WORD $0x4e3ad442; /* fadd v2.4s, v2.4s, v26.4s */ \
	WORD $0x6e25dc42; /* fmul v2.4s, v2.4s, v5.4s */ \
	WORD $0x4e3bd442; /* fadd v2.4s, v2.4s, v27.4s */ \
	WORD $0x6e25dc42; /* fmul v2.4s, v2.4s, v5.4s */ \
	WORD $0x4e3cd442; /* fadd v2.4s, v2.4s, v28.4s */ \
	WORD $0x6e25dc42; /* fmul v2.4s, v2.4s, v5.4s */ \
	WORD $0x6e25dc42; /* fmul v2.4s, v2.4s, v5.4s */ \
	WORD $0x4e25d442; /* fadd v2.4s, v2.4s, v5.4s */ \
	WORD $0x4e34d442; /* fadd v2.4s, v2.4s, v20.4s */ \
	VUSHR $31, V4.S4, V3.S4; /* k1 = k/2, rounded toward zero as Go's int32 division: */ \
	VADD  V4.S4, V3.S4, V3.S4; /* (k + (k<0)) >> 1 */ \
	WORD $0x4f3f0463; /* sshr v3.4s, v3.4s, #1 */ \
	VSUB  V3.S4, V4.S4, V4.S4; /* k2 = k − k1 */ \
	VADD  V30.S4, V3.S4, V3.S4; \
	VSHL  $23, V3.S4, V3.S4; /* s1 = 2^k1 */ \
	VADD  V30.S4, V4.S4, V4.S4; \
	VSHL  $23, V4.S4, V4.S4; /* s2 = 2^k2 */ \
	WORD $0x6e23dc42; /* fmul v2.4s, v2.4s, v3.4s */ \
	WORD $0x6e24dc42; /* fmul v2.4s, v2.4s, v4.4s */ \
	WORD $0x6eb0e423; /* fcmgt v3.4s, v1.4s, v16.4s */ \
	VBIT V3.B16, V29.B16, V2.B16; /* x > HI: +Inf */ \
	WORD $0x6ea1e623; /* fcmgt v3.4s, v17.4s, v1.4s */ \
	WORD $0x4e631c42; /* bic v2.16b, v2.16b, v3.16b */ \
	WORD $0x4e21e423; /* fcmeq v3.4s, v1.4s, v1.4s */ \
	VBIF V3.B16, V1.B16, V2.B16 /* x NaN: x */

// func expSubVec(dst, src *float32, n int, m float32)
TEXT ·expSubVec(SB), NOSPLIT, $0-28
	MOVD  dst+0(FP), R0
	MOVD  src+8(FP), R1
	MOVD  n+16(FP), R2
	FMOVS m+24(FP), F14
	VDUP  V14.S[0], V14.S4
	CONST4
	LSR   $2, R2
	CBZ   R2, expSubDone

expSubLoop:
	VLD1.P 16(R1), [V0.S4]
	WORD   $0x4eaed401 // fsub v1.4s, v0.4s, v14.4s
	EXP4
	VST1.P [V2.S4], 16(R0)
	SUBS   $1, R2
	BNE    expSubLoop

expSubDone:
	RET

// func siluMulVec(o, gate, up *float32, n int)
TEXT ·siluMulVec(SB), NOSPLIT, $0-32
	MOVD o+0(FP), R0
	MOVD gate+8(FP), R1
	MOVD up+16(FP), R2
	MOVD n+24(FP), R3
	CONST4
	LSR  $2, R3
	CBZ  R3, siluMulDone

siluMulLoop:
	VLD1.P 16(R1), [V0.S4]
	VEOR   V31.B16, V0.B16, V1.B16 // -g
	EXP4
	WORD   $0x4e22d682 // fadd v2.4s, v20.4s, v2.4s
	WORD   $0x6e22fc02 // fdiv v2.4s, v0.4s, v2.4s
	VLD1.P 16(R2), [V6.S4]
	WORD   $0x6e26dc42 // fmul v2.4s, v2.4s, v6.4s
	VST1.P [V2.S4], 16(R0)
	SUBS   $1, R3
	BNE    siluMulLoop

siluMulDone:
	RET

// func swigluGradVec(dgate, dup, dout, gate, up *float32, n int)
TEXT ·swigluGradVec(SB), NOSPLIT, $0-48
	MOVD dgate+0(FP), R0
	MOVD dup+8(FP), R1
	MOVD dout+16(FP), R2
	MOVD gate+24(FP), R3
	MOVD up+32(FP), R4
	MOVD n+40(FP), R5
	CONST4
	LSR  $2, R5
	CBZ  R5, swigluGradDone

swigluGradLoop:
	VLD1.P 16(R3), [V0.S4]
	VEOR   V31.B16, V0.B16, V1.B16 // -g
	EXP4
	WORD   $0x4e22d682 // fadd v2.4s, v20.4s, v2.4s
	WORD   $0x6e22fe82 // fdiv v2.4s, v20.4s, v2.4s
	VLD1.P 16(R2), [V6.S4]
	VLD1.P 16(R4), [V7.S4]
	WORD   $0x6e20dcc8 // fmul v8.4s, v6.4s, v0.4s
	WORD   $0x6e22dd08 // fmul v8.4s, v8.4s, v2.4s
	VST1.P [V8.S4], 16(R1)
	WORD   $0x4ea2d689 // fsub v9.4s, v20.4s, v2.4s
	WORD   $0x6e29dc09 // fmul v9.4s, v0.4s, v9.4s
	WORD   $0x4e29d689 // fadd v9.4s, v20.4s, v9.4s
	WORD   $0x6e27dcca // fmul v10.4s, v6.4s, v7.4s
	WORD   $0x6e22dd4a // fmul v10.4s, v10.4s, v2.4s
	WORD   $0x6e29dd4a // fmul v10.4s, v10.4s, v9.4s
	VST1.P [V10.S4], 16(R0)
	SUBS   $1, R5
	BNE    swigluGradLoop

swigluGradDone:
	RET

// func ropeRotVec(x1, x2, cs, sn *float32, n int, sign float32)
//
// With s = sign·sn[j]: x1[j], x2[j] = x1·cs − x2·s, x2·cs + x1·s, each product rounded before the
// sum, as ropeRotGo.
TEXT ·ropeRotVec(SB), NOSPLIT, $0-44
	MOVD  x1+0(FP), R0
	MOVD  x2+8(FP), R1
	MOVD  cs+16(FP), R2
	MOVD  sn+24(FP), R3
	MOVD  n+32(FP), R4
	FMOVS sign+40(FP), F7
	VDUP  V7.S[0], V7.S4
	LSR   $2, R4
	CBZ   R4, ropeRotDone

ropeRotLoop:
	VLD1   (R0), [V0.S4]     // a = x1
	VLD1   (R1), [V1.S4]     // c = x2
	VLD1.P 16(R2), [V2.S4]   // cos
	VLD1.P 16(R3), [V3.S4]   // sin
	WORD   $0x6e23dce3 // fmul v3.4s, v7.4s, v3.4s
	WORD   $0x6e22dc04 // fmul v4.4s, v0.4s, v2.4s
	WORD   $0x6e23dc25 // fmul v5.4s, v1.4s, v3.4s
	WORD   $0x4ea5d484 // fsub v4.4s, v4.4s, v5.4s
	WORD   $0x6e22dc25 // fmul v5.4s, v1.4s, v2.4s
	WORD   $0x6e23dc06 // fmul v6.4s, v0.4s, v3.4s
	WORD   $0x4e26d4a5 // fadd v5.4s, v5.4s, v6.4s
	VST1.P [V4.S4], 16(R0)
	VST1.P [V5.S4], 16(R1)
	SUBS   $1, R4
	BNE    ropeRotLoop

ropeRotDone:
	RET

// Row sums (elem.go): the 16 partial sums p[0..15] live in V0–V3 (partial l in lane l%4 of V(l/4)),
// loaded from p and stored back: p[l] += the terms j ≡ l (mod 16), in index order, n a multiple of 16.

// func sumSqVec(p *[sumLanes]float32, x *float32, n int)
// p[l] += x[j]·x[j], the product rounded before the sum (as sumSqGo).
TEXT ·sumSqVec(SB), NOSPLIT, $0-24
	MOVD p+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R2
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	LSR  $4, R2
	CBZ  R2, sumSqDone

sumSqLoop:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD   $0x6e24dc84 // fmul v4.4s, v4.4s, v4.4s
	WORD   $0x6e25dca5 // fmul v5.4s, v5.4s, v5.4s
	WORD   $0x6e26dcc6 // fmul v6.4s, v6.4s, v6.4s
	WORD   $0x6e27dce7 // fmul v7.4s, v7.4s, v7.4s
	WORD   $0x4e24d400 // fadd v0.4s, v0.4s, v4.4s
	WORD   $0x4e25d421 // fadd v1.4s, v1.4s, v5.4s
	WORD   $0x4e26d442 // fadd v2.4s, v2.4s, v6.4s
	WORD   $0x4e27d463 // fadd v3.4s, v3.4s, v7.4s
	SUBS   $1, R2
	BNE    sumSqLoop

sumSqDone:
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)
	RET

// func dot3Vec(p *[sumLanes]float32, a, b, c *float32, n int)
// p[l] += (a[j]·b[j])·c[j].
TEXT ·dot3Vec(SB), NOSPLIT, $0-40
	MOVD p+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD c+24(FP), R3
	MOVD n+32(FP), R4
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	LSR  $4, R4
	CBZ  R4, dot3Done

dot3Loop:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R2), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1.P 64(R3), [V12.S4, V13.S4, V14.S4, V15.S4]
	WORD   $0x6e28dc84 // fmul v4.4s, v4.4s, v8.4s
	WORD   $0x6e29dca5 // fmul v5.4s, v5.4s, v9.4s
	WORD   $0x6e2adcc6 // fmul v6.4s, v6.4s, v10.4s
	WORD   $0x6e2bdce7 // fmul v7.4s, v7.4s, v11.4s
	WORD   $0x6e2cdc84 // fmul v4.4s, v4.4s, v12.4s
	WORD   $0x6e2ddca5 // fmul v5.4s, v5.4s, v13.4s
	WORD   $0x6e2edcc6 // fmul v6.4s, v6.4s, v14.4s
	WORD   $0x6e2fdce7 // fmul v7.4s, v7.4s, v15.4s
	WORD   $0x4e24d400 // fadd v0.4s, v0.4s, v4.4s
	WORD   $0x4e25d421 // fadd v1.4s, v1.4s, v5.4s
	WORD   $0x4e26d442 // fadd v2.4s, v2.4s, v6.4s
	WORD   $0x4e27d463 // fadd v3.4s, v3.4s, v7.4s
	SUBS   $1, R4
	BNE    dot3Loop

dot3Done:
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)
	RET

// func sumVec(p *[sumLanes]float32, x *float32, n int)
// p[l] += x[j].
TEXT ·sumVec(SB), NOSPLIT, $0-24
	MOVD p+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R2
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	LSR  $4, R2
	CBZ  R2, sumDone

sumLoop:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD   $0x4e24d400 // fadd v0.4s, v0.4s, v4.4s
	WORD   $0x4e25d421 // fadd v1.4s, v1.4s, v5.4s
	WORD   $0x4e26d442 // fadd v2.4s, v2.4s, v6.4s
	WORD   $0x4e27d463 // fadd v3.4s, v3.4s, v7.4s
	SUBS   $1, R2
	BNE    sumLoop

sumDone:
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)
	RET

// func dot2Vec(p *[sumLanes]float32, a, b *float32, n int)
// p[l] += a[j]·b[j].
TEXT ·dot2Vec(SB), NOSPLIT, $0-32
	MOVD p+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD n+24(FP), R3
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	LSR  $4, R3
	CBZ  R3, dot2Done

dot2Loop:
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R2), [V8.S4, V9.S4, V10.S4, V11.S4]
	WORD   $0x6e28dc84 // fmul v4.4s, v4.4s, v8.4s
	WORD   $0x6e29dca5 // fmul v5.4s, v5.4s, v9.4s
	WORD   $0x6e2adcc6 // fmul v6.4s, v6.4s, v10.4s
	WORD   $0x6e2bdce7 // fmul v7.4s, v7.4s, v11.4s
	WORD   $0x4e24d400 // fadd v0.4s, v0.4s, v4.4s
	WORD   $0x4e25d421 // fadd v1.4s, v1.4s, v5.4s
	WORD   $0x4e26d442 // fadd v2.4s, v2.4s, v6.4s
	WORD   $0x4e27d463 // fadd v3.4s, v3.4s, v7.4s
	SUBS   $1, R3
	BNE    dot2Loop

dot2Done:
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R0)
	RET

// RMSNorm's sweeps (norm.go) and the softmax's (elem.go), n a multiple of 4.

// func rmsScaleVec(out, x, w *float32, n int, r float32)
// out[j] = (x[j]·r)·w[j]
TEXT ·rmsScaleVec(SB), NOSPLIT, $0-36
	MOVD  out+0(FP), R0
	MOVD  x+8(FP), R1
	MOVD  w+16(FP), R2
	MOVD  n+24(FP), R3
	FMOVS r+32(FP), F7
	VDUP  V7.S[0], V7.S4
	LSR   $2, R3
	CBZ   R3, rmsScaleDone

rmsScaleLoop:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V1.S4]
	WORD   $0x6e27dc00 // fmul v0.4s, v0.4s, v7.4s
	WORD   $0x6e21dc00 // fmul v0.4s, v0.4s, v1.4s
	VST1.P [V0.S4], 16(R0)
	SUBS   $1, R3
	BNE    rmsScaleLoop

rmsScaleDone:
	RET

// func rmsBwdRowVec(dx, dr, w, x *float32, n int, r, k float32)
// dx[j] += ((r·dr[j])·w[j]) − k·x[j]
TEXT ·rmsBwdRowVec(SB), NOSPLIT, $0-48
	MOVD  dx+0(FP), R0
	MOVD  dr+8(FP), R1
	MOVD  w+16(FP), R2
	MOVD  x+24(FP), R3
	MOVD  n+32(FP), R4
	FMOVS r+40(FP), F7
	VDUP  V7.S[0], V7.S4
	FMOVS k+44(FP), F6
	VDUP  V6.S[0], V6.S4
	LSR   $2, R4
	CBZ   R4, rmsBwdRowDone

rmsBwdRowLoop:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V1.S4]
	VLD1.P 16(R3), [V2.S4]
	VLD1   (R0), [V3.S4]
	WORD   $0x6e20dce0 // fmul v0.4s, v7.4s, v0.4s
	WORD   $0x6e21dc00 // fmul v0.4s, v0.4s, v1.4s
	WORD   $0x6e22dcc2 // fmul v2.4s, v6.4s, v2.4s
	WORD   $0x4ea2d400 // fsub v0.4s, v0.4s, v2.4s
	WORD   $0x4e20d460 // fadd v0.4s, v3.4s, v0.4s
	VST1.P [V0.S4], 16(R0)
	SUBS   $1, R4
	BNE    rmsBwdRowLoop

rmsBwdRowDone:
	RET

// func rmsBwdColVec(dw, dr, x *float32, n int, r float32)
// dw[j] += (dr[j]·x[j])·r
TEXT ·rmsBwdColVec(SB), NOSPLIT, $0-36
	MOVD  dw+0(FP), R0
	MOVD  dr+8(FP), R1
	MOVD  x+16(FP), R2
	MOVD  n+24(FP), R3
	FMOVS r+32(FP), F7
	VDUP  V7.S[0], V7.S4
	LSR   $2, R3
	CBZ   R3, rmsBwdColDone

rmsBwdColLoop:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V1.S4]
	VLD1   (R0), [V2.S4]
	WORD   $0x6e21dc00 // fmul v0.4s, v0.4s, v1.4s
	WORD   $0x6e27dc00 // fmul v0.4s, v0.4s, v7.4s
	WORD   $0x4e20d440 // fadd v0.4s, v2.4s, v0.4s
	VST1.P [V0.S4], 16(R0)
	SUBS   $1, R3
	BNE    rmsBwdColLoop

rmsBwdColDone:
	RET

// func scaleRowVec(x *float32, n int, s float32)
// x[j] = x[j]·s
TEXT ·scaleRowVec(SB), NOSPLIT, $0-20
	MOVD  x+0(FP), R0
	MOVD  n+8(FP), R1
	FMOVS s+16(FP), F7
	VDUP  V7.S[0], V7.S4
	LSR   $2, R1
	CBZ   R1, scaleRowDone

scaleRowLoop:
	VLD1   (R0), [V0.S4]
	WORD   $0x6e27dc00 // fmul v0.4s, v0.4s, v7.4s
	VST1.P [V0.S4], 16(R0)
	SUBS   $1, R1
	BNE    scaleRowLoop

scaleRowDone:
	RET

// func softmaxBwdVec(dr, p *float32, n int, dot, scale float32)
// dr[j] = (p[j]·(dr[j] − dot))·scale
TEXT ·softmaxBwdVec(SB), NOSPLIT, $0-32
	MOVD  dr+0(FP), R0
	MOVD  p+8(FP), R1
	MOVD  n+16(FP), R2
	FMOVS dot+24(FP), F6
	VDUP  V6.S[0], V6.S4
	FMOVS scale+28(FP), F7
	VDUP  V7.S[0], V7.S4
	LSR   $2, R2
	CBZ   R2, softmaxBwdDone

softmaxBwdLoop:
	VLD1   (R0), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	WORD   $0x4ea6d400 // fsub v0.4s, v0.4s, v6.4s
	WORD   $0x6e20dc20 // fmul v0.4s, v1.4s, v0.4s
	WORD   $0x6e27dc00 // fmul v0.4s, v0.4s, v7.4s
	VST1.P [V0.S4], 16(R0)
	SUBS   $1, R2
	BNE    softmaxBwdLoop

softmaxBwdDone:
	RET
