//go:build amd64 && !purego

#include "textflag.h"

// d = a op b elementwise, sixteen then eight float32 lanes at a time (AVX), for
// the first n&^7 elements, in one pass; d may be a or b. The Go caller handles
// the remaining n&7 elements.

// func addAVX(n int, d, a, b *float32)
TEXT ·addAVX(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ d+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX
	MOVQ CX, BX
	SHRQ $4, BX
	JZ   tail

loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VADDPS  (DX), Y0, Y0
	VADDPS  32(DX), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	DECQ    BX
	JNZ     loop

tail:
	ANDQ $8, CX
	JZ   done
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)

done:
	VZEROUPPER
	RET

// func subAVX(n int, d, a, b *float32)
TEXT ·subAVX(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ d+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX
	MOVQ CX, BX
	SHRQ $4, BX
	JZ   tail

loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSUBPS  (DX), Y0, Y0
	VSUBPS  32(DX), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	DECQ    BX
	JNZ     loop

tail:
	ANDQ $8, CX
	JZ   done
	VMOVUPS (SI), Y0
	VSUBPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)

done:
	VZEROUPPER
	RET

// func mulAVX(n int, d, a, b *float32)
TEXT ·mulAVX(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ d+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX
	MOVQ CX, BX
	SHRQ $4, BX
	JZ   tail

loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMULPS  (DX), Y0, Y0
	VMULPS  32(DX), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	DECQ    BX
	JNZ     loop

tail:
	ANDQ $8, CX
	JZ   done
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)

done:
	VZEROUPPER
	RET

// func divAVX(n int, d, a, b *float32)
TEXT ·divAVX(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	MOVQ d+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX
	MOVQ CX, BX
	SHRQ $4, BX
	JZ   tail

loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VDIVPS  (DX), Y0, Y0
	VDIVPS  32(DX), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	DECQ    BX
	JNZ     loop

tail:
	ANDQ $8, CX
	JZ   done
	VMOVUPS (SI), Y0
	VDIVPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)

done:
	VZEROUPPER
	RET
