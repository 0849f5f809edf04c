//go:build amd64 && !purego

#include "textflag.h"

// SiLU's derivatives of orders 1–3 from u = σ(a), times g, eight float32
// lanes at a time (AVX2), for the first n&^7 elements:
//
//	order 1: d = g·(u + a·w)
//	order 2: d = g·w·(2 + a·t)
//	order 3: d = g·w·(3t + a·(1 − 6w))
//
// with w = u − u² and t = 1 − 2u. gstep is 32 (g is an array) or 0 (g points
// at one 1.0). The Go caller handles the remaining n&7 elements.

#define SETUP \
	MOVQ n+0(FP), CX; \
	SHRQ $3, CX; \
	JZ   done; \
	MOVQ d+8(FP), DI; \
	MOVQ a+16(FP), SI; \
	MOVQ u+24(FP), DX; \
	MOVQ gp+32(FP), R8; \
	MOVQ gstep+40(FP), R9; \
	MOVL $0x3f800000, AX; \
	VMOVD AX, X15; \
	VBROADCASTSS X15, Y15

#define LOADW \
	VMOVUPS (DX), Y0; \
	VMOVUPS (SI), Y1; \
	VMULPS  Y0, Y0, Y2; \
	VSUBPS  Y2, Y0, Y3

#define STORE(reg) \
	VBROADCASTSS (R8), Y7; \
	CMPQ    R9, $0; \
	JEQ     2(PC); \
	VMOVUPS (R8), Y7; \
	VMULPS  Y7, reg, reg; \
	VMOVUPS reg, (DI); \
	ADDQ    $32, DI; \
	ADDQ    $32, SI; \
	ADDQ    $32, DX; \
	ADDQ    R9, R8; \
	DECQ    CX

// func siluD1AVX2(n int, d, a, u, gp *float32, gstep int)
TEXT ·siluD1AVX2(SB), NOSPLIT, $0-48
	SETUP

loop1:
	LOADW
	VMULPS Y1, Y3, Y4
	VADDPS Y0, Y4, Y4
	STORE(Y4)
	JNZ    loop1

done:
	VZEROUPPER
	RET

// func siluD2AVX2(n int, d, a, u, gp *float32, gstep int)
TEXT ·siluD2AVX2(SB), NOSPLIT, $0-48
	SETUP
	MOVL  $0x40000000, AX
	VMOVD AX, X14
	VBROADCASTSS X14, Y14

loop2:
	LOADW
	VADDPS Y0, Y0, Y4
	VSUBPS Y4, Y15, Y4
	VMULPS Y1, Y4, Y4
	VADDPS Y14, Y4, Y4
	VMULPS Y3, Y4, Y4
	STORE(Y4)
	JNZ    loop2

done:
	VZEROUPPER
	RET

// func siluD3AVX2(n int, d, a, u, gp *float32, gstep int)
TEXT ·siluD3AVX2(SB), NOSPLIT, $0-48
	SETUP
	MOVL  $0x40400000, AX
	VMOVD AX, X13
	VBROADCASTSS X13, Y13
	MOVL  $0x40c00000, AX
	VMOVD AX, X12
	VBROADCASTSS X12, Y12

loop3:
	LOADW
	VADDPS Y0, Y0, Y4
	VSUBPS Y4, Y15, Y4
	VMULPS Y13, Y4, Y4
	VMULPS Y12, Y3, Y5
	VSUBPS Y5, Y15, Y5
	VMULPS Y1, Y5, Y5
	VADDPS Y4, Y5, Y5
	VMULPS Y3, Y5, Y5
	STORE(Y5)
	JNZ    loop3

done:
	VZEROUPPER
	RET
