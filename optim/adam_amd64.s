//go:build !purego

#include "textflag.h"

// func adamAVX(n int, wp, gp, mp, vp *float32, c *adamConsts)
//
// The common Adam update (no weight decay, β₁ > 0.5) on n floats, n a
// multiple of 8, with the same operations in the same order as the Go loop
// of Adam.Step (no fused multiply-add), so the same rounding:
//
//	m ← m + w1·(g − m)
//	v ← b2·v + (omb2·g)·g
//	w ← w + (nstep·m) / (√v / bc2s + eps)
//
// c holds w1, b2, omb2, bc2s, eps, nstep.
TEXT ·adamAVX(SB), NOSPLIT, $0-48
	MOVQ n+0(FP), CX
	MOVQ wp+8(FP), DI
	MOVQ gp+16(FP), SI
	MOVQ mp+24(FP), R8
	MOVQ vp+32(FP), R9
	MOVQ c+40(FP), AX
	VBROADCASTSS 0(AX), Y10  // w1
	VBROADCASTSS 4(AX), Y11  // b2
	VBROADCASTSS 8(AX), Y12  // omb2
	VBROADCASTSS 12(AX), Y13 // bc2s
	VBROADCASTSS 16(AX), Y14 // eps
	VBROADCASTSS 20(AX), Y15 // nstep
	SHRQ $3, CX
	JZ done

loop:
	VMOVUPS (SI), Y0     // g
	VMOVUPS (R8), Y1     // m
	VSUBPS  Y1, Y0, Y2   // g − m
	VMULPS  Y2, Y10, Y2  // w1·(g − m)
	VADDPS  Y2, Y1, Y1   // m + w1·(g − m)
	VMOVUPS Y1, (R8)
	VMOVUPS (R9), Y3     // v
	VMULPS  Y3, Y11, Y3  // b2·v
	VMULPS  Y0, Y12, Y4  // omb2·g
	VMULPS  Y0, Y4, Y4   // (omb2·g)·g
	VADDPS  Y4, Y3, Y3   // v
	VMOVUPS Y3, (R9)
	VSQRTPS Y3, Y5       // √v
	VDIVPS  Y13, Y5, Y5  // √v / bc2s
	VADDPS  Y14, Y5, Y5  // + eps
	VMULPS  Y1, Y15, Y6  // nstep·m
	VDIVPS  Y5, Y6, Y6   // (nstep·m) / den
	VMOVUPS (DI), Y7
	VADDPS  Y6, Y7, Y7
	VMOVUPS Y7, (DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET
