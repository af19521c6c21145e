#include "textflag.h"

// GEMM micro-kernels and packing routines for amd64. See gemm_generic.go for the packed layouts and
// gemmKernFunc for the micro-kernel contract. Every kernel accumulates k strictly in order, one
// register lane per C element (no split accumulators), so results do not depend on how C is tiled.

// ---------------------------------------------------------------------------------------------
// AVX-512: 12×32 tile. Z0..Z23 accumulate C (row i in Z(2i), Z(2i+1)); Z24, Z25 hold one k step of
// the B panel (32 floats); Z26..Z31 take turns holding the broadcast A element. Per k step: 2 vector
// loads, 12 broadcasts, 24 FMAs (12 cycles at 2 FMA/cycle). Measured on Sapphire Rapids it runs at
// the FMA peak when its panels are in L1; 12×32, 14×32, 8×48 and 6×64 tiles, and embedded-broadcast
// FMAs, all measured the same, and 12×32 wastes the least on the model's shapes.

// K512ROW does row i of one k step: broadcast A[i] (at byte offset off of AX) into bc, then
// acc0 += B[0:16]·A[i], acc1 += B[16:32]·A[i].
#define K512ROW(off, bc, acc0, acc1) \
	VBROADCASTSS off(AX), bc; \
	VFMADD231PS Z24, bc, acc0; \
	VFMADD231PS Z25, bc, acc1

// K512STEP does k step number u (0-based within the unrolled loop body).
#define K512STEP(u) \
	VMOVUPS ((u)*128)(BX), Z24; \
	VMOVUPS ((u)*128+64)(BX), Z25; \
	K512ROW(((u)*48), Z26, Z0, Z1); \
	K512ROW(((u)*48+4), Z27, Z2, Z3); \
	K512ROW(((u)*48+8), Z28, Z4, Z5); \
	K512ROW(((u)*48+12), Z29, Z6, Z7); \
	K512ROW(((u)*48+16), Z30, Z8, Z9); \
	K512ROW(((u)*48+20), Z31, Z10, Z11); \
	K512ROW(((u)*48+24), Z26, Z12, Z13); \
	K512ROW(((u)*48+28), Z27, Z14, Z15); \
	K512ROW(((u)*48+32), Z28, Z16, Z17); \
	K512ROW(((u)*48+36), Z29, Z18, Z19); \
	K512ROW(((u)*48+40), Z30, Z20, Z21); \
	K512ROW(((u)*48+44), Z31, Z22, Z23)

// K512STORE writes one C row (at DI) = alpha·acc + beta·C (alpha in Z24, beta in Z25), then
// advances DI by ldc.
#define K512STORE(acc0, acc1) \
	VMULPS Z24, acc0, acc0; \
	VMULPS Z24, acc1, acc1; \
	VFMADD231PS (DI), Z25, acc0; \
	VFMADD231PS 64(DI), Z25, acc1; \
	VMOVUPS acc0, (DI); \
	VMOVUPS acc1, 64(DI); \
	ADDQ DX, DI

// K512STORE0 writes one C row = alpha·acc without reading C (beta == 0).
#define K512STORE0(acc0, acc1) \
	VMULPS Z24, acc0, acc0; \
	VMULPS Z24, acc1, acc1; \
	VMOVUPS acc0, (DI); \
	VMOVUPS acc1, 64(DI); \
	ADDQ DX, DI

// PF2 prefetches the two cache lines of a 32-float C row at SI and advances SI by ldc.
#define PF2 PREFETCHT0 (SI); PREFETCHT0 64(SI); ADDQ DX, SI

// func gemmKernAVX512x12x32(kc int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·gemmKernAVX512x12x32(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX // ldc in bytes

	// The C rows are far apart and only touched at the end: start fetching them now.
	MOVQ DI, SI
	PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2

	VXORPS Z0, Z0, Z0; VXORPS Z1, Z1, Z1; VXORPS Z2, Z2, Z2; VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4; VXORPS Z5, Z5, Z5; VXORPS Z6, Z6, Z6; VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8; VXORPS Z9, Z9, Z9; VXORPS Z10, Z10, Z10; VXORPS Z11, Z11, Z11
	VXORPS Z12, Z12, Z12; VXORPS Z13, Z13, Z13; VXORPS Z14, Z14, Z14; VXORPS Z15, Z15, Z15
	VXORPS Z16, Z16, Z16; VXORPS Z17, Z17, Z17; VXORPS Z18, Z18, Z18; VXORPS Z19, Z19, Z19
	VXORPS Z20, Z20, Z20; VXORPS Z21, Z21, Z21; VXORPS Z22, Z22, Z22; VXORPS Z23, Z23, Z23

	CMPQ CX, $4
	JL k512_tail

k512_loop: // 4 k steps: 192 bytes of A, 512 bytes of B
	// The A panel streams from L2; fetch it ~5 k steps ahead (one line per 64 bytes consumed).
	PREFETCHT0 256(AX)
	K512STEP(0)
	PREFETCHT0 320(AX)
	K512STEP(1)
	PREFETCHT0 384(AX)
	K512STEP(2)
	K512STEP(3)
	ADDQ $192, AX
	ADDQ $512, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE k512_loop

k512_tail:
	TESTQ CX, CX
	JZ k512_store

k512_tail1:
	K512STEP(0)
	ADDQ $48, AX
	ADDQ $128, BX
	DECQ CX
	JNZ k512_tail1

k512_store:
	VBROADCASTSS alpha+40(FP), Z24
	VBROADCASTSS beta+44(FP), Z25
	MOVL beta+44(FP), R8
	ANDL $0x7fffffff, R8 // beta == ±0: do not read C
	JZ k512_beta0
	K512STORE(Z0, Z1); K512STORE(Z2, Z3); K512STORE(Z4, Z5); K512STORE(Z6, Z7)
	K512STORE(Z8, Z9); K512STORE(Z10, Z11); K512STORE(Z12, Z13); K512STORE(Z14, Z15)
	K512STORE(Z16, Z17); K512STORE(Z18, Z19); K512STORE(Z20, Z21); K512STORE(Z22, Z23)
	VZEROUPPER
	RET

k512_beta0:
	K512STORE0(Z0, Z1); K512STORE0(Z2, Z3); K512STORE0(Z4, Z5); K512STORE0(Z6, Z7)
	K512STORE0(Z8, Z9); K512STORE0(Z10, Z11); K512STORE0(Z12, Z13); K512STORE0(Z14, Z15)
	K512STORE0(Z16, Z17); K512STORE0(Z18, Z19); K512STORE0(Z20, Z21); K512STORE0(Z22, Z23)
	VZEROUPPER
	RET

// gemmKernAVX512x12x32D is gemmKernAVX512x12x32 reading A in place instead of from a packed panel:
// row i of the tile is a[i·lda + p], p < kc, a row-major matrix. Packing a non-transposed A costs
// about as much as the FMAs when N is small (attention's P·V has N = 64), so it is skipped.
// Rows 0-3 are addressed from AX, 4-7 from R10, 8-11 from R11, each as base + {0,1,2,3}·lda.

#define K512ROWD(addr, bc, acc0, acc1) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS Z24, bc, acc0; \
	VFMADD231PS Z25, bc, acc1

#define K512STEPD(u) \
	VMOVUPS ((u)*128)(BX), Z24; \
	VMOVUPS ((u)*128+64)(BX), Z25; \
	K512ROWD(((u)*4)(AX), Z26, Z0, Z1); \
	K512ROWD(((u)*4)(AX)(R8*1), Z27, Z2, Z3); \
	K512ROWD(((u)*4)(AX)(R8*2), Z28, Z4, Z5); \
	K512ROWD(((u)*4)(AX)(R9*1), Z29, Z6, Z7); \
	K512ROWD(((u)*4)(R10), Z30, Z8, Z9); \
	K512ROWD(((u)*4)(R10)(R8*1), Z31, Z10, Z11); \
	K512ROWD(((u)*4)(R10)(R8*2), Z26, Z12, Z13); \
	K512ROWD(((u)*4)(R10)(R9*1), Z27, Z14, Z15); \
	K512ROWD(((u)*4)(R11), Z28, Z16, Z17); \
	K512ROWD(((u)*4)(R11)(R8*1), Z29, Z18, Z19); \
	K512ROWD(((u)*4)(R11)(R8*2), Z30, Z20, Z21); \
	K512ROWD(((u)*4)(R11)(R9*1), Z31, Z22, Z23)

// func gemmKernAVX512x12x32D(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)
TEXT ·gemmKernAVX512x12x32D(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ lda+16(FP), R8
	SHLQ $2, R8              // lda in bytes
	LEAQ (R8)(R8*2), R9      // 3·lda
	LEAQ (AX)(R8*4), R10     // row 4
	LEAQ (R10)(R8*4), R11    // row 8
	MOVQ b+24(FP), BX
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), DX
	SHLQ $2, DX

	MOVQ DI, SI
	PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2

	VXORPS Z0, Z0, Z0; VXORPS Z1, Z1, Z1; VXORPS Z2, Z2, Z2; VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4; VXORPS Z5, Z5, Z5; VXORPS Z6, Z6, Z6; VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8; VXORPS Z9, Z9, Z9; VXORPS Z10, Z10, Z10; VXORPS Z11, Z11, Z11
	VXORPS Z12, Z12, Z12; VXORPS Z13, Z13, Z13; VXORPS Z14, Z14, Z14; VXORPS Z15, Z15, Z15
	VXORPS Z16, Z16, Z16; VXORPS Z17, Z17, Z17; VXORPS Z18, Z18, Z18; VXORPS Z19, Z19, Z19
	VXORPS Z20, Z20, Z20; VXORPS Z21, Z21, Z21; VXORPS Z22, Z22, Z22; VXORPS Z23, Z23, Z23

	CMPQ CX, $4
	JL k512d_tail

k512d_loop: // 4 k steps: 16 bytes of each A row, 512 bytes of B
	K512STEPD(0)
	K512STEPD(1)
	K512STEPD(2)
	K512STEPD(3)
	ADDQ $16, AX
	ADDQ $16, R10
	ADDQ $16, R11
	ADDQ $512, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE k512d_loop

k512d_tail:
	TESTQ CX, CX
	JZ k512d_store

k512d_tail1:
	K512STEPD(0)
	ADDQ $4, AX
	ADDQ $4, R10
	ADDQ $4, R11
	ADDQ $128, BX
	DECQ CX
	JNZ k512d_tail1

k512d_store:
	VBROADCASTSS alpha+48(FP), Z24
	VBROADCASTSS beta+52(FP), Z25
	MOVL beta+52(FP), R8
	ANDL $0x7fffffff, R8
	JZ k512d_beta0
	K512STORE(Z0, Z1); K512STORE(Z2, Z3); K512STORE(Z4, Z5); K512STORE(Z6, Z7)
	K512STORE(Z8, Z9); K512STORE(Z10, Z11); K512STORE(Z12, Z13); K512STORE(Z14, Z15)
	K512STORE(Z16, Z17); K512STORE(Z18, Z19); K512STORE(Z20, Z21); K512STORE(Z22, Z23)
	VZEROUPPER
	RET

k512d_beta0:
	K512STORE0(Z0, Z1); K512STORE0(Z2, Z3); K512STORE0(Z4, Z5); K512STORE0(Z6, Z7)
	K512STORE0(Z8, Z9); K512STORE0(Z10, Z11); K512STORE0(Z12, Z13); K512STORE0(Z14, Z15)
	K512STORE0(Z16, Z17); K512STORE0(Z18, Z19); K512STORE0(Z20, Z21); K512STORE0(Z22, Z23)
	VZEROUPPER
	RET

// gemmKernAVX512x12x32T is gemmKernAVX512x12x32 reading a transposed A in place: k step p of the
// tile's A panel is the 12 consecutive floats at a + p·lda (A stored k×m, the dW = dYᵀ·X case).

// K512STEPT does k step u of 4 within the unrolled body: its A row is AX + u·lda, with
// u·lda ∈ {0, R8, 2·R8, R9 = 3·R8}, given as the addressing suffix rowaddr.
#define K512STEPT(u, rowaddr) \
	VMOVUPS ((u)*128)(BX), Z24; \
	VMOVUPS ((u)*128+64)(BX), Z25; \
	K512ROWD(0 rowaddr, Z26, Z0, Z1); \
	K512ROWD(4 rowaddr, Z27, Z2, Z3); \
	K512ROWD(8 rowaddr, Z28, Z4, Z5); \
	K512ROWD(12 rowaddr, Z29, Z6, Z7); \
	K512ROWD(16 rowaddr, Z30, Z8, Z9); \
	K512ROWD(20 rowaddr, Z31, Z10, Z11); \
	K512ROWD(24 rowaddr, Z26, Z12, Z13); \
	K512ROWD(28 rowaddr, Z27, Z14, Z15); \
	K512ROWD(32 rowaddr, Z28, Z16, Z17); \
	K512ROWD(36 rowaddr, Z29, Z18, Z19); \
	K512ROWD(40 rowaddr, Z30, Z20, Z21); \
	K512ROWD(44 rowaddr, Z31, Z22, Z23)

// func gemmKernAVX512x12x32T(kc int, a *float32, lda int, b, c *float32, ldc int, alpha, beta float32)
TEXT ·gemmKernAVX512x12x32T(SB), NOSPLIT, $0-56
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ lda+16(FP), R8
	SHLQ $2, R8              // lda in bytes
	LEAQ (R8)(R8*2), R9      // 3·lda
	MOVQ b+24(FP), BX
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), DX
	SHLQ $2, DX

	MOVQ DI, SI
	PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2; PF2

	VXORPS Z0, Z0, Z0; VXORPS Z1, Z1, Z1; VXORPS Z2, Z2, Z2; VXORPS Z3, Z3, Z3
	VXORPS Z4, Z4, Z4; VXORPS Z5, Z5, Z5; VXORPS Z6, Z6, Z6; VXORPS Z7, Z7, Z7
	VXORPS Z8, Z8, Z8; VXORPS Z9, Z9, Z9; VXORPS Z10, Z10, Z10; VXORPS Z11, Z11, Z11
	VXORPS Z12, Z12, Z12; VXORPS Z13, Z13, Z13; VXORPS Z14, Z14, Z14; VXORPS Z15, Z15, Z15
	VXORPS Z16, Z16, Z16; VXORPS Z17, Z17, Z17; VXORPS Z18, Z18, Z18; VXORPS Z19, Z19, Z19
	VXORPS Z20, Z20, Z20; VXORPS Z21, Z21, Z21; VXORPS Z22, Z22, Z22; VXORPS Z23, Z23, Z23

	CMPQ CX, $4
	JL k512t_tail

k512t_loop: // 4 k steps: 4 rows of A, 512 bytes of B
	K512STEPT(0, (AX))
	K512STEPT(1, (AX)(R8*1))
	K512STEPT(2, (AX)(R8*2))
	K512STEPT(3, (AX)(R9*1))
	LEAQ (AX)(R8*4), AX
	ADDQ $512, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE k512t_loop

k512t_tail:
	TESTQ CX, CX
	JZ k512t_store

k512t_tail1:
	K512STEPT(0, (AX))
	ADDQ R8, AX
	ADDQ $128, BX
	DECQ CX
	JNZ k512t_tail1

k512t_store:
	VBROADCASTSS alpha+48(FP), Z24
	VBROADCASTSS beta+52(FP), Z25
	MOVL beta+52(FP), R8
	ANDL $0x7fffffff, R8
	JZ k512t_beta0
	K512STORE(Z0, Z1); K512STORE(Z2, Z3); K512STORE(Z4, Z5); K512STORE(Z6, Z7)
	K512STORE(Z8, Z9); K512STORE(Z10, Z11); K512STORE(Z12, Z13); K512STORE(Z14, Z15)
	K512STORE(Z16, Z17); K512STORE(Z18, Z19); K512STORE(Z20, Z21); K512STORE(Z22, Z23)
	VZEROUPPER
	RET

k512t_beta0:
	K512STORE0(Z0, Z1); K512STORE0(Z2, Z3); K512STORE0(Z4, Z5); K512STORE0(Z6, Z7)
	K512STORE0(Z8, Z9); K512STORE0(Z10, Z11); K512STORE0(Z12, Z13); K512STORE0(Z14, Z15)
	K512STORE0(Z16, Z17); K512STORE0(Z18, Z19); K512STORE0(Z20, Z21); K512STORE0(Z22, Z23)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------------------------
// AVX2+FMA: 6×16 tile. Y0..Y11 accumulate C (row i in Y(2i), Y(2i+1)); Y12, Y13 hold one k step of
// the B panel; Y14, Y15 take turns holding the broadcast A element. Per k step: 2 loads,
// 6 broadcasts, 12 FMAs.

#define K256ROW(off, bc, acc0, acc1) \
	VBROADCASTSS off(AX), bc; \
	VFMADD231PS Y12, bc, acc0; \
	VFMADD231PS Y13, bc, acc1

#define K256STEP(u) \
	VMOVUPS ((u)*64)(BX), Y12; \
	VMOVUPS ((u)*64+32)(BX), Y13; \
	K256ROW(((u)*24), Y14, Y0, Y1); \
	K256ROW(((u)*24+4), Y15, Y2, Y3); \
	K256ROW(((u)*24+8), Y14, Y4, Y5); \
	K256ROW(((u)*24+12), Y15, Y6, Y7); \
	K256ROW(((u)*24+16), Y14, Y8, Y9); \
	K256ROW(((u)*24+20), Y15, Y10, Y11)

// alpha in Y12, beta in Y13
#define K256STORE(acc0, acc1) \
	VMULPS Y12, acc0, acc0; \
	VMULPS Y12, acc1, acc1; \
	VFMADD231PS (DI), Y13, acc0; \
	VFMADD231PS 32(DI), Y13, acc1; \
	VMOVUPS acc0, (DI); \
	VMOVUPS acc1, 32(DI); \
	ADDQ DX, DI

#define K256STORE0(acc0, acc1) \
	VMULPS Y12, acc0, acc0; \
	VMULPS Y12, acc1, acc1; \
	VMOVUPS acc0, (DI); \
	VMOVUPS acc1, 32(DI); \
	ADDQ DX, DI

// PF1 prefetches the cache line(s) of a 16-float C row at SI and advances SI by ldc.
#define PF1 PREFETCHT0 (SI); PREFETCHT0 63(SI); ADDQ DX, SI

// func gemmKernAVX2x6x16(kc int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·gemmKernAVX2x6x16(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX

	MOVQ DI, SI
	PF1; PF1; PF1; PF1; PF1; PF1

	VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4; VXORPS Y5, Y5, Y5; VXORPS Y6, Y6, Y6; VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8; VXORPS Y9, Y9, Y9; VXORPS Y10, Y10, Y10; VXORPS Y11, Y11, Y11

	CMPQ CX, $4
	JL k256_tail

k256_loop: // 4 k steps: 96 bytes of A, 256 bytes of B
	PREFETCHT0 256(AX)
	K256STEP(0)
	K256STEP(1)
	PREFETCHT0 320(AX)
	K256STEP(2)
	K256STEP(3)
	ADDQ $96, AX
	ADDQ $256, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE k256_loop

k256_tail:
	TESTQ CX, CX
	JZ k256_store

k256_tail1:
	K256STEP(0)
	ADDQ $24, AX
	ADDQ $64, BX
	DECQ CX
	JNZ k256_tail1

k256_store:
	VBROADCASTSS alpha+40(FP), Y12
	VBROADCASTSS beta+44(FP), Y13
	MOVL beta+44(FP), R8
	ANDL $0x7fffffff, R8
	JZ k256_beta0
	K256STORE(Y0, Y1); K256STORE(Y2, Y3); K256STORE(Y4, Y5)
	K256STORE(Y6, Y7); K256STORE(Y8, Y9); K256STORE(Y10, Y11)
	VZEROUPPER
	RET

k256_beta0:
	K256STORE0(Y0, Y1); K256STORE0(Y2, Y3); K256STORE0(Y4, Y5)
	K256STORE0(Y6, Y7); K256STORE0(Y8, Y9); K256STORE0(Y10, Y11)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------------------------
// Packing (AVX2; also used by the AVX-512 backend).

// func gemmPackT4AVX2(dst, src *float32, ld, groups, kc8, stride int)
//
// Transposing pack for groups of 4 rows: for g < groups, r < 4, p < kc8 (a multiple of 8),
// dst[p·stride + 4g + r] = src[(4g+r)·ld + p]. Each 4-row × 8-column block is transposed with an
// in-lane 4×4 transpose (UNPCKL/HPS then UNPCKL/HPD) and written as eight 4-float stores.
TEXT ·gemmPackT4AVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), DX
	SHLQ $2, DX          // src row stride in bytes
	MOVQ groups+24(FP), CX
	MOVQ stride+40(FP), R9
	SHLQ $2, R9          // S: dst row stride in bytes
	LEAQ (R9)(R9*2), R10 // 3S
	LEAQ (DX)(DX*2), R8  // 3 src rows
	MOVQ kc8+32(FP), BX
	SHRQ $3, BX          // number of 8-column blocks
	TESTQ BX, BX
	JZ packt4_done
	TESTQ CX, CX
	JZ packt4_done

packt4_group:
	MOVQ SI, R12 // src block
	MOVQ DI, R13 // dst block
	MOVQ BX, AX

packt4_block:
	VMOVUPS (R12), Y0
	VMOVUPS (R12)(DX*1), Y1
	VMOVUPS (R12)(DX*2), Y2
	VMOVUPS (R12)(R8*1), Y3
	VUNPCKLPS Y1, Y0, Y4  // r0k0 r1k0 r0k1 r1k1 | r0k4 r1k4 r0k5 r1k5
	VUNPCKHPS Y1, Y0, Y5  // k2 k3 | k6 k7 of rows 0, 1
	VUNPCKLPS Y3, Y2, Y6  // k0 k1 | k4 k5 of rows 2, 3
	VUNPCKHPS Y3, Y2, Y7  // k2 k3 | k6 k7 of rows 2, 3
	VUNPCKLPD Y6, Y4, Y8  // rows 0-3 of k0 | k4
	VUNPCKHPD Y6, Y4, Y9  // k1 | k5
	VUNPCKLPD Y7, Y5, Y10 // k2 | k6
	VUNPCKHPD Y7, Y5, Y11 // k3 | k7
	LEAQ (R13)(R9*4), R11 // dst row k4
	VMOVUPS X8, (R13)
	VMOVUPS X9, (R13)(R9*1)
	VMOVUPS X10, (R13)(R9*2)
	VMOVUPS X11, (R13)(R10*1)
	VEXTRACTF128 $1, Y8, (R11)
	VEXTRACTF128 $1, Y9, (R11)(R9*1)
	VEXTRACTF128 $1, Y10, (R11)(R9*2)
	VEXTRACTF128 $1, Y11, (R11)(R10*1)
	ADDQ $32, R12
	LEAQ (R11)(R9*4), R13 // dst row k8
	DECQ AX
	JNZ packt4_block

	LEAQ (SI)(DX*4), SI // next 4 source rows
	ADDQ $16, DI        // next 4 destination columns
	DECQ CX
	JNZ packt4_group

packt4_done:
	VZEROUPPER
	RET

// func gemmPackNAVX2(dst, src *float32, ld, kc, w, panels int)
//
// Non-transposing pack: for p < kc, q < panels, c < w (w even),
// dst[q·w·kc + p·w + c] = src[p·ld + q·w + c]. Walks src row by row (contiguous reads).
TEXT ·gemmPackNAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), DX
	SHLQ $2, DX  // src row stride in bytes
	MOVQ kc+24(FP), CX
	MOVQ w+32(FP), R9
	SHLQ $2, R9  // w in bytes: dst row stride inside a panel
	MOVQ R9, R10
	IMULQ CX, R10 // w·kc·4: dst panel stride in bytes
	MOVQ panels+40(FP), BX
	TESTQ CX, CX
	JZ packn_done
	TESTQ BX, BX
	JZ packn_done

	MOVQ R9, R15
	IMULQ BX, R15 // bytes per source row span (panels·w·4)

packn_row:
	// Fetch the source row 4 rows ahead: the rows are short runs far apart (A of dW = dYᵀ·X is
	// packed 96 floats of each 1366-float row), which the hardware prefetcher does not follow.
	// Prefetches past the matrix are harmless (they never fault).
	LEAQ (SI)(DX*4), R14
	XORQ R8, R8
packn_pf:
	PREFETCHT0 (R14)(R8*1)
	ADDQ $64, R8
	CMPQ R8, R15
	JL packn_pf
	MOVQ SI, R11 // src cursor in row p
	MOVQ DI, R12 // dst cursor: row p of panel q
	MOVQ BX, R13

packn_panel:
	MOVQ R9, AX
	SHRQ $2, AX  // floats left in this panel row
	XORQ R8, R8  // byte offset

packn_8:
	CMPQ AX, $8
	JL packn_4
	VMOVUPS (R11)(R8*1), Y0
	VMOVUPS Y0, (R12)(R8*1)
	ADDQ $32, R8
	SUBQ $8, AX
	JMP packn_8

packn_4:
	CMPQ AX, $4
	JL packn_2
	VMOVUPS (R11)(R8*1), X0
	VMOVUPS X0, (R12)(R8*1)
	ADDQ $16, R8
	SUBQ $4, AX

packn_2:
	TESTQ AX, AX
	JZ packn_next
	MOVQ (R11)(R8*1), X0
	MOVQ X0, (R12)(R8*1)

packn_next:
	ADDQ R9, R11
	ADDQ R10, R12
	DECQ R13
	JNZ packn_panel
	ADDQ DX, SI
	ADDQ R9, DI
	DECQ CX
	JNZ packn_row

packn_done:
	VZEROUPPER
	RET

// rowmask<>+32−4e is the VMASKMOVPS mask of the first e of 8 lanes.
DATA rowmask<>+0(SB)/4, $0xffffffff
DATA rowmask<>+4(SB)/4, $0xffffffff
DATA rowmask<>+8(SB)/4, $0xffffffff
DATA rowmask<>+12(SB)/4, $0xffffffff
DATA rowmask<>+16(SB)/4, $0xffffffff
DATA rowmask<>+20(SB)/4, $0xffffffff
DATA rowmask<>+24(SB)/4, $0xffffffff
DATA rowmask<>+28(SB)/4, $0xffffffff
DATA rowmask<>+32(SB)/4, $0
DATA rowmask<>+36(SB)/4, $0
DATA rowmask<>+40(SB)/4, $0
DATA rowmask<>+44(SB)/4, $0
DATA rowmask<>+48(SB)/4, $0
DATA rowmask<>+52(SB)/4, $0
DATA rowmask<>+56(SB)/4, $0
DATA rowmask<>+60(SB)/4, $0
GLOBL rowmask<>(SB), RODATA|NOPTR, $64

// func gemmRowFMA(kc int, a, b *float32, ldb int, c *float32, n int, alpha, beta float32, acc bool)
// c[j] = alpha·Σ_{p<kc} a[p]·b[p·ldb+j] + beta·c[j] for j < n (kc, n ≥ 1): 64 columns at a time
// (eight FMA chains), then one group of 32 if left, then 8 at a time, then the last 1–7 with masked
// loads and stores. Each element is what the AVX micro-kernels compute: a fused multiply-add chain
// in k order from zero, times alpha, plus one fused beta·C when beta ≠ ±0. With acc the chains start
// from C (the caller passes alpha 1, beta 0).
TEXT ·gemmRowFMA(SB), NOSPLIT, $0-57
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ ldb+24(FP), DX
	SHLQ $2, DX // ldb in bytes
	MOVQ c+32(FP), DI
	MOVQ n+40(FP), SI
	VBROADCASTSS alpha+48(FP), Y14
	VBROADCASTSS beta+52(FP), Y15
	MOVL beta+52(FP), R11
	ANDL $0x7fffffff, R11 // 0: beta == ±0, do not read C
	MOVBLZX acc+56(FP), R13

row64:
	CMPQ SI, $64
	JL row32
	TESTL R13, R13
	JNZ row64acc
	VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4; VXORPS Y5, Y5, Y5; VXORPS Y6, Y6, Y6; VXORPS Y7, Y7, Y7
	JMP row64go
row64acc:
	VMOVUPS (DI), Y0; VMOVUPS 32(DI), Y1; VMOVUPS 64(DI), Y2; VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4; VMOVUPS 160(DI), Y5; VMOVUPS 192(DI), Y6; VMOVUPS 224(DI), Y7
row64go:
	MOVQ AX, R8
	MOVQ BX, R9
	MOVQ CX, R10
row64k:
	VBROADCASTSS (R8), Y8
	VFMADD231PS (R9), Y8, Y0
	VFMADD231PS 32(R9), Y8, Y1
	VFMADD231PS 64(R9), Y8, Y2
	VFMADD231PS 96(R9), Y8, Y3
	VFMADD231PS 128(R9), Y8, Y4
	VFMADD231PS 160(R9), Y8, Y5
	VFMADD231PS 192(R9), Y8, Y6
	VFMADD231PS 224(R9), Y8, Y7
	ADDQ $4, R8
	ADDQ DX, R9
	DECQ R10
	JNZ row64k
	VMULPS Y14, Y0, Y0; VMULPS Y14, Y1, Y1; VMULPS Y14, Y2, Y2; VMULPS Y14, Y3, Y3
	VMULPS Y14, Y4, Y4; VMULPS Y14, Y5, Y5; VMULPS Y14, Y6, Y6; VMULPS Y14, Y7, Y7
	TESTL R11, R11
	JZ row64st
	VFMADD231PS (DI), Y15, Y0
	VFMADD231PS 32(DI), Y15, Y1
	VFMADD231PS 64(DI), Y15, Y2
	VFMADD231PS 96(DI), Y15, Y3
	VFMADD231PS 128(DI), Y15, Y4
	VFMADD231PS 160(DI), Y15, Y5
	VFMADD231PS 192(DI), Y15, Y6
	VFMADD231PS 224(DI), Y15, Y7
row64st:
	VMOVUPS Y0, (DI); VMOVUPS Y1, 32(DI); VMOVUPS Y2, 64(DI); VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI); VMOVUPS Y5, 160(DI); VMOVUPS Y6, 192(DI); VMOVUPS Y7, 224(DI)
	ADDQ $256, DI
	ADDQ $256, BX
	SUBQ $64, SI
	JMP row64

row32:
	CMPQ SI, $32
	JL row8
	TESTL R13, R13
	JNZ row32acc
	VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3
	JMP row32go
row32acc:
	VMOVUPS (DI), Y0; VMOVUPS 32(DI), Y1; VMOVUPS 64(DI), Y2; VMOVUPS 96(DI), Y3
row32go:
	MOVQ AX, R8
	MOVQ BX, R9
	MOVQ CX, R10
row32k:
	VBROADCASTSS (R8), Y8
	VFMADD231PS (R9), Y8, Y0
	VFMADD231PS 32(R9), Y8, Y1
	VFMADD231PS 64(R9), Y8, Y2
	VFMADD231PS 96(R9), Y8, Y3
	ADDQ $4, R8
	ADDQ DX, R9
	DECQ R10
	JNZ row32k
	VMULPS Y14, Y0, Y0; VMULPS Y14, Y1, Y1; VMULPS Y14, Y2, Y2; VMULPS Y14, Y3, Y3
	TESTL R11, R11
	JZ row32st
	VFMADD231PS (DI), Y15, Y0
	VFMADD231PS 32(DI), Y15, Y1
	VFMADD231PS 64(DI), Y15, Y2
	VFMADD231PS 96(DI), Y15, Y3
row32st:
	VMOVUPS Y0, (DI); VMOVUPS Y1, 32(DI); VMOVUPS Y2, 64(DI); VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, BX
	SUBQ $32, SI

row8:
	CMPQ SI, $8
	JL rowtail
	VXORPS Y0, Y0, Y0
	TESTL R13, R13
	JZ row8go
	VMOVUPS (DI), Y0
row8go:
	MOVQ AX, R8
	MOVQ BX, R9
	MOVQ CX, R10
row8k:
	VBROADCASTSS (R8), Y8
	VFMADD231PS (R9), Y8, Y0
	ADDQ $4, R8
	ADDQ DX, R9
	DECQ R10
	JNZ row8k
	VMULPS Y14, Y0, Y0
	TESTL R11, R11
	JZ row8st
	VFMADD231PS (DI), Y15, Y0
row8st:
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, BX
	SUBQ $8, SI
	JMP row8

rowtail:
	TESTQ SI, SI
	JZ rowdone
	SHLQ $2, SI
	LEAQ rowmask<>+32(SB), R12
	SUBQ SI, R12
	VMOVDQU (R12), Y13 // the first n lanes
	VXORPS Y0, Y0, Y0
	TESTL R13, R13
	JZ rowtgo
	VMASKMOVPS (DI), Y13, Y0
rowtgo:
	MOVQ AX, R8
	MOVQ BX, R9
	MOVQ CX, R10
rowtk:
	VBROADCASTSS (R8), Y8
	VMASKMOVPS (R9), Y13, Y9
	VFMADD231PS Y9, Y8, Y0
	ADDQ $4, R8
	ADDQ DX, R9
	DECQ R10
	JNZ rowtk
	VMULPS Y14, Y0, Y0
	TESTL R11, R11
	JZ rowtst
	VMASKMOVPS (DI), Y13, Y9
	VFMADD231PS Y9, Y15, Y0
rowtst:
	VMASKMOVPS Y0, Y13, (DI)

rowdone:
	VZEROUPPER
	RET
