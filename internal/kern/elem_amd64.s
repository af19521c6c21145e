#include "textflag.h"

// SIMD versions of the elementwise loops in elem.go. Each lane computes exactly the operations of the
// scalar Go code, in the same order and with the same float32 roundings (no FMA), so the results are
// bitwise equal to Exp32, SiLU32 and Sigmoid32. Every function handles the first n&^(lanes-1)
// elements; the Go wrappers do the rest.

// Constants of Exp32, each repeated over 32 bytes (an AVX2 memory operand; AVX-512 broadcasts the
// first copy).

// HI: 88.72283: above, exp overflows to +Inf
DATA elemConst<>+0(SB)/4, $0x42b17217
DATA elemConst<>+4(SB)/4, $0x42b17217
DATA elemConst<>+8(SB)/4, $0x42b17217
DATA elemConst<>+12(SB)/4, $0x42b17217
DATA elemConst<>+16(SB)/4, $0x42b17217
DATA elemConst<>+20(SB)/4, $0x42b17217
DATA elemConst<>+24(SB)/4, $0x42b17217
DATA elemConst<>+28(SB)/4, $0x42b17217
// LO: -87.33654: below, exp flushes to 0
DATA elemConst<>+32(SB)/4, $0xc2aeac4f
DATA elemConst<>+36(SB)/4, $0xc2aeac4f
DATA elemConst<>+40(SB)/4, $0xc2aeac4f
DATA elemConst<>+44(SB)/4, $0xc2aeac4f
DATA elemConst<>+48(SB)/4, $0xc2aeac4f
DATA elemConst<>+52(SB)/4, $0xc2aeac4f
DATA elemConst<>+56(SB)/4, $0xc2aeac4f
DATA elemConst<>+60(SB)/4, $0xc2aeac4f
// LOG2E: float32(1.44269504088896341)
DATA elemConst<>+64(SB)/4, $0x3fb8aa3b
DATA elemConst<>+68(SB)/4, $0x3fb8aa3b
DATA elemConst<>+72(SB)/4, $0x3fb8aa3b
DATA elemConst<>+76(SB)/4, $0x3fb8aa3b
DATA elemConst<>+80(SB)/4, $0x3fb8aa3b
DATA elemConst<>+84(SB)/4, $0x3fb8aa3b
DATA elemConst<>+88(SB)/4, $0x3fb8aa3b
DATA elemConst<>+92(SB)/4, $0x3fb8aa3b
// HALF: 0.5
DATA elemConst<>+96(SB)/4, $0x3f000000
DATA elemConst<>+100(SB)/4, $0x3f000000
DATA elemConst<>+104(SB)/4, $0x3f000000
DATA elemConst<>+108(SB)/4, $0x3f000000
DATA elemConst<>+112(SB)/4, $0x3f000000
DATA elemConst<>+116(SB)/4, $0x3f000000
DATA elemConst<>+120(SB)/4, $0x3f000000
DATA elemConst<>+124(SB)/4, $0x3f000000
// ONE: 1
DATA elemConst<>+128(SB)/4, $0x3f800000
DATA elemConst<>+132(SB)/4, $0x3f800000
DATA elemConst<>+136(SB)/4, $0x3f800000
DATA elemConst<>+140(SB)/4, $0x3f800000
DATA elemConst<>+144(SB)/4, $0x3f800000
DATA elemConst<>+148(SB)/4, $0x3f800000
DATA elemConst<>+152(SB)/4, $0x3f800000
DATA elemConst<>+156(SB)/4, $0x3f800000
// LN2HI: 0.693359375
DATA elemConst<>+160(SB)/4, $0x3f318000
DATA elemConst<>+164(SB)/4, $0x3f318000
DATA elemConst<>+168(SB)/4, $0x3f318000
DATA elemConst<>+172(SB)/4, $0x3f318000
DATA elemConst<>+176(SB)/4, $0x3f318000
DATA elemConst<>+180(SB)/4, $0x3f318000
DATA elemConst<>+184(SB)/4, $0x3f318000
DATA elemConst<>+188(SB)/4, $0x3f318000
// LN2LO: -2.12194440e-4
DATA elemConst<>+192(SB)/4, $0xb95e8083
DATA elemConst<>+196(SB)/4, $0xb95e8083
DATA elemConst<>+200(SB)/4, $0xb95e8083
DATA elemConst<>+204(SB)/4, $0xb95e8083
DATA elemConst<>+208(SB)/4, $0xb95e8083
DATA elemConst<>+212(SB)/4, $0xb95e8083
DATA elemConst<>+216(SB)/4, $0xb95e8083
DATA elemConst<>+220(SB)/4, $0xb95e8083
// P0: 1.9875691500e-4
DATA elemConst<>+224(SB)/4, $0x39506967
DATA elemConst<>+228(SB)/4, $0x39506967
DATA elemConst<>+232(SB)/4, $0x39506967
DATA elemConst<>+236(SB)/4, $0x39506967
DATA elemConst<>+240(SB)/4, $0x39506967
DATA elemConst<>+244(SB)/4, $0x39506967
DATA elemConst<>+248(SB)/4, $0x39506967
DATA elemConst<>+252(SB)/4, $0x39506967
// P1: 1.3981999507e-3
DATA elemConst<>+256(SB)/4, $0x3ab743ce
DATA elemConst<>+260(SB)/4, $0x3ab743ce
DATA elemConst<>+264(SB)/4, $0x3ab743ce
DATA elemConst<>+268(SB)/4, $0x3ab743ce
DATA elemConst<>+272(SB)/4, $0x3ab743ce
DATA elemConst<>+276(SB)/4, $0x3ab743ce
DATA elemConst<>+280(SB)/4, $0x3ab743ce
DATA elemConst<>+284(SB)/4, $0x3ab743ce
// P2: 8.3334519073e-3
DATA elemConst<>+288(SB)/4, $0x3c088908
DATA elemConst<>+292(SB)/4, $0x3c088908
DATA elemConst<>+296(SB)/4, $0x3c088908
DATA elemConst<>+300(SB)/4, $0x3c088908
DATA elemConst<>+304(SB)/4, $0x3c088908
DATA elemConst<>+308(SB)/4, $0x3c088908
DATA elemConst<>+312(SB)/4, $0x3c088908
DATA elemConst<>+316(SB)/4, $0x3c088908
// P3: 4.1665795894e-2
DATA elemConst<>+320(SB)/4, $0x3d2aa9c1
DATA elemConst<>+324(SB)/4, $0x3d2aa9c1
DATA elemConst<>+328(SB)/4, $0x3d2aa9c1
DATA elemConst<>+332(SB)/4, $0x3d2aa9c1
DATA elemConst<>+336(SB)/4, $0x3d2aa9c1
DATA elemConst<>+340(SB)/4, $0x3d2aa9c1
DATA elemConst<>+344(SB)/4, $0x3d2aa9c1
DATA elemConst<>+348(SB)/4, $0x3d2aa9c1
// P4: 1.6666665459e-1
DATA elemConst<>+352(SB)/4, $0x3e2aaaaa
DATA elemConst<>+356(SB)/4, $0x3e2aaaaa
DATA elemConst<>+360(SB)/4, $0x3e2aaaaa
DATA elemConst<>+364(SB)/4, $0x3e2aaaaa
DATA elemConst<>+368(SB)/4, $0x3e2aaaaa
DATA elemConst<>+372(SB)/4, $0x3e2aaaaa
DATA elemConst<>+376(SB)/4, $0x3e2aaaaa
DATA elemConst<>+380(SB)/4, $0x3e2aaaaa
// P5: 5.0000001201e-1 (rounds to 0.5)
DATA elemConst<>+384(SB)/4, $0x3f000000
DATA elemConst<>+388(SB)/4, $0x3f000000
DATA elemConst<>+392(SB)/4, $0x3f000000
DATA elemConst<>+396(SB)/4, $0x3f000000
DATA elemConst<>+400(SB)/4, $0x3f000000
DATA elemConst<>+404(SB)/4, $0x3f000000
DATA elemConst<>+408(SB)/4, $0x3f000000
DATA elemConst<>+412(SB)/4, $0x3f000000
// INF: +Inf
DATA elemConst<>+416(SB)/4, $0x7f800000
DATA elemConst<>+420(SB)/4, $0x7f800000
DATA elemConst<>+424(SB)/4, $0x7f800000
DATA elemConst<>+428(SB)/4, $0x7f800000
DATA elemConst<>+432(SB)/4, $0x7f800000
DATA elemConst<>+436(SB)/4, $0x7f800000
DATA elemConst<>+440(SB)/4, $0x7f800000
DATA elemConst<>+444(SB)/4, $0x7f800000
// I127: int32 127: the exponent bias
DATA elemConst<>+448(SB)/4, $0x0000007f
DATA elemConst<>+452(SB)/4, $0x0000007f
DATA elemConst<>+456(SB)/4, $0x0000007f
DATA elemConst<>+460(SB)/4, $0x0000007f
DATA elemConst<>+464(SB)/4, $0x0000007f
DATA elemConst<>+468(SB)/4, $0x0000007f
DATA elemConst<>+472(SB)/4, $0x0000007f
DATA elemConst<>+476(SB)/4, $0x0000007f
// SIGN: the float32 sign bit
DATA elemConst<>+480(SB)/4, $0x80000000
DATA elemConst<>+484(SB)/4, $0x80000000
DATA elemConst<>+488(SB)/4, $0x80000000
DATA elemConst<>+492(SB)/4, $0x80000000
DATA elemConst<>+496(SB)/4, $0x80000000
DATA elemConst<>+500(SB)/4, $0x80000000
DATA elemConst<>+504(SB)/4, $0x80000000
DATA elemConst<>+508(SB)/4, $0x80000000
GLOBL elemConst<>(SB), RODATA|NOPTR, $512

#define HI elemConst<>+0(SB)
#define LO elemConst<>+32(SB)
#define LOG2E elemConst<>+64(SB)
#define HALF elemConst<>+96(SB)
#define ONE elemConst<>+128(SB)
#define LN2HI elemConst<>+160(SB)
#define LN2LO elemConst<>+192(SB)
#define P0 elemConst<>+224(SB)
#define P1 elemConst<>+256(SB)
#define P2 elemConst<>+288(SB)
#define P3 elemConst<>+320(SB)
#define P4 elemConst<>+352(SB)
#define P5 elemConst<>+384(SB)
#define INF elemConst<>+416(SB)
#define I127 elemConst<>+448(SB)
#define SIGN elemConst<>+480(SB)

// ---- AVX-512: 16 lanes. Z16-Z31 and Z15 hold constants, Z14 the softmax shift. ----

#define CONST512 \
	VBROADCASTSS HI, Z16; \
	VBROADCASTSS LO, Z17; \
	VBROADCASTSS LOG2E, Z18; \
	VBROADCASTSS HALF, Z19; \
	VBROADCASTSS ONE, Z20; \
	VBROADCASTSS LN2HI, Z21; \
	VBROADCASTSS LN2LO, Z22; \
	VBROADCASTSS P0, Z23; \
	VBROADCASTSS P1, Z24; \
	VBROADCASTSS P2, Z25; \
	VBROADCASTSS P3, Z26; \
	VBROADCASTSS P4, Z27; \
	VBROADCASTSS P5, Z28; \
	VBROADCASTSS INF, Z29; \
	VBROADCASTSS I127, Z30; \
	VBROADCASTSS SIGN, Z31; \
	VPXORD       Z15, Z15, Z15

// EXP512 sets y = Exp32(x) lane-wise, keeping x; t1-t3 and K1 are clobbered. The steps follow
// Exp32 line by line (Go's operand order: VSUBPS b, a, d is d = a - b).
#define EXP512(x, y, t1, t2, t3) \
	VMULPS     Z18, x, t1; \
	VADDPS     Z19, t1, t1; \
	VCMPPS     $1, Z15, t1, K1; \
	VSUBPS     Z20, t1, K1, t1; \
	VCVTTPS2DQ t1, t2; \
	VCVTDQ2PS  t2, t1; \
	VMULPS     Z21, t1, t3; \
	VSUBPS     t3, x, t3; \
	VMULPS     Z22, t1, t1; \
	VSUBPS     t1, t3, t3; \
	VMULPS     Z23, t3, y; \
	VADDPS     Z24, y, y; \
	VMULPS     t3, y, y; \
	VADDPS     Z25, y, y; \
	VMULPS     t3, y, y; \
	VADDPS     Z26, y, y; \
	VMULPS     t3, y, y; \
	VADDPS     Z27, y, y; \
	VMULPS     t3, y, y; \
	VADDPS     Z28, y, y; \
	VMULPS     t3, y, y; \
	VMULPS     t3, y, y; \
	VADDPS     t3, y, y; \
	VADDPS     Z20, y, y; \
	VPSRLD     $31, t2, t1; \
	VPADDD     t1, t2, t1; \
	VPSRAD     $1, t1, t1; \
	VPSUBD     t1, t2, t2; \
	VPADDD     Z30, t1, t1; \
	VPSLLD     $23, t1, t1; \
	VPADDD     Z30, t2, t2; \
	VPSLLD     $23, t2, t2; \
	VMULPS     t1, y, y; \
	VMULPS     t2, y, y; \
	VCMPPS     $14, Z16, x, K1; \
	VMOVAPS    Z29, K1, y; \
	VCMPPS     $1, Z17, x, K1; \
	VMOVAPS    Z15, K1, y; \
	VCMPPS     $3, x, x, K1; \
	VMOVAPS    x, K1, y

// func expSubAVX512(dst, src *float32, n int, m float32)
TEXT ·expSubAVX512(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Z14
	CONST512
	SHRQ         $4, CX
	JZ           expSub512Done

expSub512Loop:
	VMOVUPS (SI), Z0
	VSUBPS  Z14, Z0, Z0
	EXP512(Z0, Z1, Z2, Z3, Z4)
	VMOVUPS Z1, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JNZ     expSub512Loop

expSub512Done:
	VZEROUPPER
	RET

// func siluMulAVX512(o, gate, up *float32, n int)
TEXT ·siluMulAVX512(SB), NOSPLIT, $0-32
	MOVQ o+0(FP), DI
	MOVQ gate+8(FP), SI
	MOVQ up+16(FP), DX
	MOVQ n+24(FP), CX
	CONST512
	SHRQ $4, CX
	JZ   siluMul512Done

siluMul512Loop:
	VMOVUPS (SI), Z0
	VPXORD  Z31, Z0, Z5 // -g
	EXP512(Z5, Z1, Z2, Z3, Z4)
	VADDPS  Z20, Z1, Z1 // 1 + exp(-g)
	VDIVPS  Z1, Z0, Z1  // silu = g / (1 + exp(-g))
	VMULPS  (DX), Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	DECQ    CX
	JNZ     siluMul512Loop

siluMul512Done:
	VZEROUPPER
	RET

// func swigluGradAVX512(dgate, dup, dout, gate, up *float32, n int)
TEXT ·swigluGradAVX512(SB), NOSPLIT, $0-48
	MOVQ dgate+0(FP), DI
	MOVQ dup+8(FP), R8
	MOVQ dout+16(FP), R9
	MOVQ gate+24(FP), SI
	MOVQ up+32(FP), DX
	MOVQ n+40(FP), CX
	CONST512
	SHRQ $4, CX
	JZ   swigluGrad512Done

swigluGrad512Loop:
	VMOVUPS (SI), Z0
	VPXORD  Z31, Z0, Z5 // -g
	EXP512(Z5, Z1, Z2, Z3, Z4)
	VADDPS  Z20, Z1, Z1 // 1 + exp(-g)
	VDIVPS  Z1, Z20, Z1 // s = 1 / (1 + exp(-g))
	VMOVUPS (R9), Z6    // d
	VMULPS  Z0, Z6, Z8  // d·g
	VMULPS  Z1, Z8, Z8  // ·s
	VMOVUPS Z8, (R8)
	VSUBPS  Z1, Z20, Z9 // 1 - s
	VMULPS  Z9, Z0, Z9  // g·(1-s)
	VADDPS  Z20, Z9, Z9 // 1 + g·(1-s)
	VMULPS  (DX), Z6, Z10 // d·u
	VMULPS  Z1, Z10, Z10  // ·s
	VMULPS  Z9, Z10, Z10  // ·(1 + g·(1-s))
	VMOVUPS Z10, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, R9
	ADDQ    $64, R8
	ADDQ    $64, DI
	DECQ    CX
	JNZ     swigluGrad512Loop

swigluGrad512Done:
	VZEROUPPER
	RET

// ---- AVX2: 8 lanes. Constants are memory operands; Y15 holds zero, Y14 the softmax shift. ----

// EXP256 is EXP512 for 8 lanes: masks live in vector registers and blends replace masked moves.
#define EXP256(x, y, t1, t2, t3) \
	VMULPS     LOG2E, x, t1; \
	VADDPS     HALF, t1, t1; \
	VCMPPS     $1, Y15, t1, t2; \
	VANDPS     ONE, t2, t2; \
	VSUBPS     t2, t1, t1; \
	VCVTTPS2DQ t1, t2; \
	VCVTDQ2PS  t2, t1; \
	VMULPS     LN2HI, t1, t3; \
	VSUBPS     t3, x, t3; \
	VMULPS     LN2LO, t1, t1; \
	VSUBPS     t1, t3, t3; \
	VMULPS     P0, t3, y; \
	VADDPS     P1, y, y; \
	VMULPS     t3, y, y; \
	VADDPS     P2, y, y; \
	VMULPS     t3, y, y; \
	VADDPS     P3, y, y; \
	VMULPS     t3, y, y; \
	VADDPS     P4, y, y; \
	VMULPS     t3, y, y; \
	VADDPS     P5, y, y; \
	VMULPS     t3, y, y; \
	VMULPS     t3, y, y; \
	VADDPS     t3, y, y; \
	VADDPS     ONE, y, y; \
	VPSRLD     $31, t2, t1; \
	VPADDD     t1, t2, t1; \
	VPSRAD     $1, t1, t1; \
	VPSUBD     t1, t2, t2; \
	VPADDD     I127, t1, t1; \
	VPSLLD     $23, t1, t1; \
	VPADDD     I127, t2, t2; \
	VPSLLD     $23, t2, t2; \
	VMULPS     t1, y, y; \
	VMULPS     t2, y, y; \
	VCMPPS     $14, HI, x, t1; \
	VBLENDVPS  t1, INF, y, y; \
	VCMPPS     $1, LO, x, t1; \
	VANDNPS    y, t1, y; \
	VCMPPS     $3, x, x, t1; \
	VBLENDVPS  t1, x, y, y

// func expSubAVX2(dst, src *float32, n int, m float32)
TEXT ·expSubAVX2(SB), NOSPLIT, $0-28
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Y14
	VXORPS       Y15, Y15, Y15
	SHRQ         $3, CX
	JZ           expSub256Done

expSub256Loop:
	VMOVUPS (SI), Y0
	VSUBPS  Y14, Y0, Y0
	EXP256(Y0, Y1, Y2, Y3, Y4)
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     expSub256Loop

expSub256Done:
	VZEROUPPER
	RET

// func siluMulAVX2(o, gate, up *float32, n int)
TEXT ·siluMulAVX2(SB), NOSPLIT, $0-32
	MOVQ   o+0(FP), DI
	MOVQ   gate+8(FP), SI
	MOVQ   up+16(FP), DX
	MOVQ   n+24(FP), CX
	VXORPS Y15, Y15, Y15
	SHRQ   $3, CX
	JZ     siluMul256Done

siluMul256Loop:
	VMOVUPS (SI), Y0
	VXORPS  SIGN, Y0, Y5
	EXP256(Y5, Y1, Y2, Y3, Y4)
	VADDPS  ONE, Y1, Y1
	VDIVPS  Y1, Y0, Y1
	VMULPS  (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     siluMul256Loop

siluMul256Done:
	VZEROUPPER
	RET

// func swigluGradAVX2(dgate, dup, dout, gate, up *float32, n int)
TEXT ·swigluGradAVX2(SB), NOSPLIT, $0-48
	MOVQ    dgate+0(FP), DI
	MOVQ    dup+8(FP), R8
	MOVQ    dout+16(FP), R9
	MOVQ    gate+24(FP), SI
	MOVQ    up+32(FP), DX
	MOVQ    n+40(FP), CX
	VXORPS  Y15, Y15, Y15
	VMOVUPS ONE, Y13
	SHRQ    $3, CX
	JZ      swigluGrad256Done

swigluGrad256Loop:
	VMOVUPS (SI), Y0
	VXORPS  SIGN, Y0, Y5
	EXP256(Y5, Y1, Y2, Y3, Y4)
	VADDPS  Y13, Y1, Y1
	VDIVPS  Y1, Y13, Y1
	VMOVUPS (R9), Y6
	VMULPS  Y0, Y6, Y8
	VMULPS  Y1, Y8, Y8
	VMOVUPS Y8, (R8)
	VSUBPS  Y1, Y13, Y9
	VMULPS  Y9, Y0, Y9
	VADDPS  Y13, Y9, Y9
	VMULPS  (DX), Y6, Y10
	VMULPS  Y1, Y10, Y10
	VMULPS  Y9, Y10, Y10
	VMOVUPS Y10, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, R9
	ADDQ    $32, R8
	ADDQ    $32, DI
	DECQ    CX
	JNZ     swigluGrad256Loop

swigluGrad256Done:
	VZEROUPPER
	RET

// func ropeRotAVX512(x1, x2, cs, sn *float32, n int, sign float32)
//
// For j < n (a multiple of 16): with s = sign·sn[j], x1[j], x2[j] = x1·cs − x2·s, x2·cs + x1·s, each
// product rounded before the sum (no FMA), as ropeArgs.Run's scalar loop.
TEXT ·ropeRotAVX512(SB), NOSPLIT, $0-44
	MOVQ x1+0(FP), DI
	MOVQ x2+8(FP), SI
	MOVQ cs+16(FP), DX
	MOVQ sn+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSS sign+40(FP), Z7
	SHRQ $4, CX
	JZ   rope512Done

rope512Loop:
	VMOVUPS (DI), Z0      // a = x1
	VMOVUPS (SI), Z1      // c = x2
	VMOVUPS (DX), Z2      // cos
	VMULPS  (BX), Z7, Z3  // s = sign·sin
	VMULPS  Z2, Z0, Z4    // a·cos
	VMULPS  Z3, Z1, Z5    // c·s
	VSUBPS  Z5, Z4, Z4    // a·cos − c·s
	VMULPS  Z2, Z1, Z5    // c·cos
	VMULPS  Z3, Z0, Z6    // a·s
	VADDPS  Z6, Z5, Z5    // c·cos + a·s
	VMOVUPS Z4, (DI)
	VMOVUPS Z5, (SI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, BX
	DECQ    CX
	JNZ     rope512Loop

rope512Done:
	VZEROUPPER
	RET

// func ropeRotAVX2(x1, x2, cs, sn *float32, n int, sign float32)
//
// ropeRotAVX512 with 8 lanes (n a multiple of 8).
TEXT ·ropeRotAVX2(SB), NOSPLIT, $0-44
	MOVQ x1+0(FP), DI
	MOVQ x2+8(FP), SI
	MOVQ cs+16(FP), DX
	MOVQ sn+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSS sign+40(FP), Y7
	SHRQ $3, CX
	JZ   rope256Done

rope256Loop:
	VMOVUPS (DI), Y0
	VMOVUPS (SI), Y1
	VMOVUPS (DX), Y2
	VMULPS  (BX), Y7, Y3
	VMULPS  Y2, Y0, Y4
	VMULPS  Y3, Y1, Y5
	VSUBPS  Y5, Y4, Y4
	VMULPS  Y2, Y1, Y5
	VMULPS  Y3, Y0, Y6
	VADDPS  Y6, Y5, Y5
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, (SI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, BX
	DECQ    CX
	JNZ     rope256Loop

rope256Done:
	VZEROUPPER
	RET

// func sumSqAVX512(p *[16]float32, x *float32, n int)
//
// p[l] += x[j]·x[j] for j < n (a multiple of 16) with j%16 = l, in index order per lane: the lane
// order of sumSq (elem.go). The product is rounded before the sum (no FMA), as in sumSqGo.
TEXT ·sumSqAVX512(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPS (DI), Z0
	SHRQ $4, CX
	JZ   sumSq512Done

sumSq512Loop:
	VMOVUPS (SI), Z1
	VMULPS  Z1, Z1, Z1
	VADDPS  Z1, Z0, Z0
	ADDQ    $64, SI
	DECQ    CX
	JNZ     sumSq512Loop

sumSq512Done:
	VMOVUPS Z0, (DI)
	VZEROUPPER
	RET

// func dot3AVX512(p *[16]float32, a, b, c *float32, n int)
//
// p[l] += (a[j]·b[j])·c[j] for j < n (a multiple of 16) with j%16 = l, in index order per lane.
TEXT ·dot3AVX512(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ c+24(FP), BX
	MOVQ n+32(FP), CX
	VMOVUPS (DI), Z0
	SHRQ $4, CX
	JZ   dot3512Done

dot3512Loop:
	VMOVUPS (SI), Z1
	VMULPS  (DX), Z1, Z1
	VMULPS  (BX), Z1, Z1
	VADDPS  Z1, Z0, Z0
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, BX
	DECQ    CX
	JNZ     dot3512Loop

dot3512Done:
	VMOVUPS Z0, (DI)
	VZEROUPPER
	RET

// func sumSqAVX2(p *[16]float32, x *float32, n int)
//
// sumSqAVX512 with two 8-lane accumulators (lanes 0-7 and 8-15): the same 16 partial sums.
TEXT ·sumSqAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	SHRQ $4, CX
	JZ   sumSq256Done

sumSq256Loop:
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VMULPS  Y2, Y2, Y2
	VMULPS  Y3, Y3, Y3
	VADDPS  Y2, Y0, Y0
	VADDPS  Y3, Y1, Y1
	ADDQ    $64, SI
	DECQ    CX
	JNZ     sumSq256Loop

sumSq256Done:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VZEROUPPER
	RET

// func dot3AVX2(p *[16]float32, a, b, c *float32, n int)
//
// dot3AVX512 with two 8-lane accumulators.
TEXT ·dot3AVX2(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ c+24(FP), BX
	MOVQ n+32(FP), CX
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	SHRQ $4, CX
	JZ   dot3256Done

dot3256Loop:
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VMULPS  (DX), Y2, Y2
	VMULPS  32(DX), Y3, Y3
	VMULPS  (BX), Y2, Y2
	VMULPS  32(BX), Y3, Y3
	VADDPS  Y2, Y0, Y0
	VADDPS  Y3, Y1, Y1
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, BX
	DECQ    CX
	JNZ     dot3256Loop

dot3256Done:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VZEROUPPER
	RET

// RMSNorm's elementwise sweeps (norm.go). Each rounds every product before the next operation (no
// FMA), in the order of its Go twin, so the results are bitwise the same. n is a multiple of the lanes.

// func rmsScaleAVX512(out, x, w *float32, n int, r float32)
// out[j] = (x[j]·r)·w[j]
TEXT ·rmsScaleAVX512(SB), NOSPLIT, $0-36
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS r+32(FP), Z7
	SHRQ $4, CX
	JZ   rmsScale512Done
rmsScale512Loop:
	VMULPS  (SI), Z7, Z0
	VMULPS  (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	DECQ    CX
	JNZ     rmsScale512Loop
rmsScale512Done:
	VZEROUPPER
	RET

// func rmsBwdRowAVX512(dx, dr, w, x *float32, n int, r, k float32)
// dx[j] += ((r·dr[j])·w[j]) − k·x[j]
TEXT ·rmsBwdRowAVX512(SB), NOSPLIT, $0-48
	MOVQ dx+0(FP), DI
	MOVQ dr+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ x+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSS r+40(FP), Z7
	VBROADCASTSS k+44(FP), Z6
	SHRQ $4, CX
	JZ   rmsBwdRow512Done
rmsBwdRow512Loop:
	VMULPS  (SI), Z7, Z0
	VMULPS  (DX), Z0, Z0
	VMULPS  (BX), Z6, Z1
	VSUBPS  Z1, Z0, Z0
	VADDPS  (DI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, BX
	ADDQ    $64, DI
	DECQ    CX
	JNZ     rmsBwdRow512Loop
rmsBwdRow512Done:
	VZEROUPPER
	RET

// func rmsBwdColAVX512(dw, dr, x *float32, n int, r float32)
// dw[j] += (dr[j]·x[j])·r
TEXT ·rmsBwdColAVX512(SB), NOSPLIT, $0-36
	MOVQ dw+0(FP), DI
	MOVQ dr+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS r+32(FP), Z7
	SHRQ $4, CX
	JZ   rmsBwdCol512Done
rmsBwdCol512Loop:
	VMOVUPS (SI), Z0
	VMULPS  (DX), Z0, Z0
	VMULPS  Z7, Z0, Z0
	VADDPS  (DI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	DECQ    CX
	JNZ     rmsBwdCol512Loop
rmsBwdCol512Done:
	VZEROUPPER
	RET

// func rmsScaleAVX2(out, x, w *float32, n int, r float32)
TEXT ·rmsScaleAVX2(SB), NOSPLIT, $0-36
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS r+32(FP), Y7
	SHRQ $3, CX
	JZ   rmsScale256Done
rmsScale256Loop:
	VMULPS  (SI), Y7, Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rmsScale256Loop
rmsScale256Done:
	VZEROUPPER
	RET

// func rmsBwdRowAVX2(dx, dr, w, x *float32, n int, r, k float32)
TEXT ·rmsBwdRowAVX2(SB), NOSPLIT, $0-48
	MOVQ dx+0(FP), DI
	MOVQ dr+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ x+24(FP), BX
	MOVQ n+32(FP), CX
	VBROADCASTSS r+40(FP), Y7
	VBROADCASTSS k+44(FP), Y6
	SHRQ $3, CX
	JZ   rmsBwdRow256Done
rmsBwdRow256Loop:
	VMULPS  (SI), Y7, Y0
	VMULPS  (DX), Y0, Y0
	VMULPS  (BX), Y6, Y1
	VSUBPS  Y1, Y0, Y0
	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, BX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rmsBwdRow256Loop
rmsBwdRow256Done:
	VZEROUPPER
	RET

// func rmsBwdColAVX2(dw, dr, x *float32, n int, r float32)
TEXT ·rmsBwdColAVX2(SB), NOSPLIT, $0-36
	MOVQ dw+0(FP), DI
	MOVQ dr+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSS r+32(FP), Y7
	SHRQ $3, CX
	JZ   rmsBwdCol256Done
rmsBwdCol256Loop:
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VMULPS  Y7, Y0, Y0
	VADDPS  (DI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     rmsBwdCol256Loop
rmsBwdCol256Done:
	VZEROUPPER
	RET

// Softmax sweeps (attention.go): lane-ordered sums as sumSq's, and elementwise passes in the order of
// their Go twins (no FMA).

// func sumAVX512(p *[16]float32, x *float32, n int)
// p[l] += x[j] for j < n (a multiple of 16) with j%16 = l, in index order per lane.
TEXT ·sumAVX512(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPS (DI), Z0
	SHRQ $4, CX
	JZ   sum512Done
sum512Loop:
	VADDPS  (SI), Z0, Z0
	ADDQ    $64, SI
	DECQ    CX
	JNZ     sum512Loop
sum512Done:
	VMOVUPS Z0, (DI)
	VZEROUPPER
	RET

// func dot2AVX512(p *[16]float32, a, b *float32, n int)
// p[l] += a[j]·b[j] for j < n (a multiple of 16) with j%16 = l, in index order per lane.
TEXT ·dot2AVX512(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	VMOVUPS (DI), Z0
	SHRQ $4, CX
	JZ   dot2512Done
dot2512Loop:
	VMOVUPS (SI), Z1
	VMULPS  (DX), Z1, Z1
	VADDPS  Z1, Z0, Z0
	ADDQ    $64, SI
	ADDQ    $64, DX
	DECQ    CX
	JNZ     dot2512Loop
dot2512Done:
	VMOVUPS Z0, (DI)
	VZEROUPPER
	RET

// func scaleRowAVX512(x *float32, n int, s float32)
// x[j] = x[j]·s
TEXT ·scaleRowAVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS s+16(FP), Z7
	SHRQ $4, CX
	JZ   scale512Done
scale512Loop:
	VMULPS  (DI), Z7, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, DI
	DECQ    CX
	JNZ     scale512Loop
scale512Done:
	VZEROUPPER
	RET

// func softmaxBwdAVX512(dr, p *float32, n int, dot, scale float32)
// dr[j] = (p[j]·(dr[j] − dot))·scale
TEXT ·softmaxBwdAVX512(SB), NOSPLIT, $0-32
	MOVQ dr+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS dot+24(FP), Z6
	VBROADCASTSS scale+28(FP), Z7
	SHRQ $4, CX
	JZ   softmaxBwd512Done
softmaxBwd512Loop:
	VMOVUPS (DI), Z0
	VSUBPS  Z6, Z0, Z0
	VMULPS  (SI), Z0, Z0
	VMULPS  Z7, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	DECQ    CX
	JNZ     softmaxBwd512Loop
softmaxBwd512Done:
	VZEROUPPER
	RET

// func sumAVX2(p *[16]float32, x *float32, n int)
TEXT ·sumAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	SHRQ $4, CX
	JZ   sum256Done
sum256Loop:
	VADDPS  (SI), Y0, Y0
	VADDPS  32(SI), Y1, Y1
	ADDQ    $64, SI
	DECQ    CX
	JNZ     sum256Loop
sum256Done:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VZEROUPPER
	RET

// func dot2AVX2(p *[16]float32, a, b *float32, n int)
TEXT ·dot2AVX2(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	SHRQ $4, CX
	JZ   dot2256Done
dot2256Loop:
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VMULPS  (DX), Y2, Y2
	VMULPS  32(DX), Y3, Y3
	VADDPS  Y2, Y0, Y0
	VADDPS  Y3, Y1, Y1
	ADDQ    $64, SI
	ADDQ    $64, DX
	DECQ    CX
	JNZ     dot2256Loop
dot2256Done:
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VZEROUPPER
	RET

// func scaleRowAVX2(x *float32, n int, s float32)
TEXT ·scaleRowAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	VBROADCASTSS s+16(FP), Y7
	SHRQ $3, CX
	JZ   scale256Done
scale256Loop:
	VMULPS  (DI), Y7, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	DECQ    CX
	JNZ     scale256Loop
scale256Done:
	VZEROUPPER
	RET

// func softmaxBwdAVX2(dr, p *float32, n int, dot, scale float32)
TEXT ·softmaxBwdAVX2(SB), NOSPLIT, $0-32
	MOVQ dr+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS dot+24(FP), Y6
	VBROADCASTSS scale+28(FP), Y7
	SHRQ $3, CX
	JZ   softmaxBwd256Done
softmaxBwd256Loop:
	VMOVUPS (DI), Y0
	VSUBPS  Y6, Y0, Y0
	VMULPS  (SI), Y0, Y0
	VMULPS  Y7, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     softmaxBwd256Loop
softmaxBwd256Done:
	VZEROUPPER
	RET

// func maxAVX2(x *float32, n int) (m float32, nan bool)
// m = the largest of x[0:n] (n a multiple of 8, at least 8) that are numbers; nan reports whether
// any is a NaN. Four 8-lane maxima, 32 elements a step, then 8 at a time.
TEXT ·maxAVX2(SB), NOSPLIT, $0-21
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VMOVUPS (SI), Y0
	VMOVAPS Y0, Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y3
	VXORPS  Y4, Y4, Y4
	MOVQ CX, DX
	SHRQ $5, DX
	JZ   max8
max32:
	VMOVUPS (SI), Y5
	VMOVUPS 32(SI), Y6
	VMOVUPS 64(SI), Y7
	VMOVUPS 96(SI), Y8
	VCMPPS  $3, Y5, Y5, Y9
	VCMPPS  $3, Y6, Y6, Y10
	VCMPPS  $3, Y7, Y7, Y11
	VCMPPS  $3, Y8, Y8, Y12
	VORPS   Y9, Y4, Y4
	VORPS   Y10, Y4, Y4
	VORPS   Y11, Y4, Y4
	VORPS   Y12, Y4, Y4
	VMAXPS  Y5, Y0, Y0
	VMAXPS  Y6, Y1, Y1
	VMAXPS  Y7, Y2, Y2
	VMAXPS  Y8, Y3, Y3
	ADDQ    $128, SI
	DECQ    DX
	JNZ     max32
max8:
	ANDQ $31, CX
	SHRQ $3, CX
	JZ   maxReduce
max8Loop:
	VMOVUPS (SI), Y5
	VCMPPS  $3, Y5, Y5, Y9
	VORPS   Y9, Y4, Y4
	VMAXPS  Y5, Y0, Y0
	ADDQ    $32, SI
	DECQ    CX
	JNZ     max8Loop
maxReduce:
	VMAXPS       Y1, Y0, Y0
	VMAXPS       Y3, Y2, Y2
	VMAXPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0x4E, X0, X1
	VMAXPS       X1, X0, X0
	VPERMILPS    $0xB1, X0, X1
	VMAXPS       X1, X0, X0
	VMOVSS       X0, m+16(FP)
	VMOVMSKPS    Y4, AX
	TESTL        AX, AX
	SETNE        nan+20(FP)
	VZEROUPPER
	RET
