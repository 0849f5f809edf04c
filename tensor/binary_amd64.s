//go:build amd64 && !purego

#include "textflag.h"

// d = a op b elementwise, sixteen then eight float32 lanes at a time (AVX), for
// the first n&^7 elements, in one pass; d may be a or b. The Go caller handles
// the remaining n&7 elements.

// BINARY is the body of each function below, with OP the packed instruction.
#define BINARY(OP) \
	MOVQ n+0(FP), CX; \
	MOVQ d+8(FP), DI; \
	MOVQ a+16(FP), SI; \
	MOVQ b+24(FP), DX; \
	MOVQ CX, BX; \
	SHRQ $4, BX; \
	JZ   tail; \
loop: \
	VMOVUPS (SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	OP      (DX), Y0, Y0; \
	OP      32(DX), Y1, Y1; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	ADDQ    $64, SI; \
	ADDQ    $64, DX; \
	ADDQ    $64, DI; \
	DECQ    BX; \
	JNZ     loop; \
tail: \
	ANDQ $8, CX; \
	JZ   done; \
	VMOVUPS (SI), Y0; \
	OP      (DX), Y0, Y0; \
	VMOVUPS Y0, (DI); \
done: \
	VZEROUPPER; \
	RET

// func addAVX(n int, d, a, b *float32)
TEXT ·addAVX(SB), NOSPLIT, $0-32
	BINARY(VADDPS)

// func subAVX(n int, d, a, b *float32)
TEXT ·subAVX(SB), NOSPLIT, $0-32
	BINARY(VSUBPS)

// func mulAVX(n int, d, a, b *float32)
TEXT ·mulAVX(SB), NOSPLIT, $0-32
	BINARY(VMULPS)

// func divAVX(n int, d, a, b *float32)
TEXT ·divAVX(SB), NOSPLIT, $0-32
	BINARY(VDIVPS)
