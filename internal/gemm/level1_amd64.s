//go:build amd64 && !purego

#include "textflag.h"

// AVX2/FMA helpers of the assembly kernels: dot and axpy for the
// matrix–vector cases, and the transposes and copies that pack panels.

// func dotAVX2(n int, x, y *float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ   n+0(FP), CX
	MOVQ   x+8(FP), SI
	MOVQ   y+16(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   CX, BX
	SHRQ   $5, BX
	JZ     dot8

dot32loop:
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	DECQ        BX
	JNZ         dot32loop

dot8:
	MOVQ CX, BX
	ANDQ $31, BX
	SHRQ $3, BX
	JZ   dot1

dot8loop:
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        BX
	JNZ         dot8loop

dot1:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	ANDQ         $7, CX
	JZ           dotdone

dot1loop:
	VMOVSS      (SI), X4
	VFMADD231SS (DI), X4, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JNZ         dot1loop

dotdone:
	VMOVSS     X0, ret+24(FP)
	VZEROUPPER
	RET

// func axpyAVX2(n int, alpha float32, x, y *float32)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	VBROADCASTSS alpha+8(FP), Y0
	MOVQ         x+16(FP), SI
	MOVQ         y+24(FP), DI
	MOVQ         CX, BX
	SHRQ         $5, BX
	JZ           axpy8

axpy32loop:
	VMOVUPS     (DI), Y4
	VMOVUPS     32(DI), Y5
	VMOVUPS     64(DI), Y6
	VMOVUPS     96(DI), Y7
	VFMADD231PS (SI), Y0, Y4
	VFMADD231PS 32(SI), Y0, Y5
	VFMADD231PS 64(SI), Y0, Y6
	VFMADD231PS 96(SI), Y0, Y7
	VMOVUPS     Y4, (DI)
	VMOVUPS     Y5, 32(DI)
	VMOVUPS     Y6, 64(DI)
	VMOVUPS     Y7, 96(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	DECQ        BX
	JNZ         axpy32loop

axpy8:
	MOVQ CX, BX
	ANDQ $31, BX
	SHRQ $3, BX
	JZ   axpy1

axpy8loop:
	VMOVUPS     (DI), Y4
	VFMADD231PS (SI), Y0, Y4
	VMOVUPS     Y4, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        BX
	JNZ         axpy8loop

axpy1:
	ANDQ $7, CX
	JZ   axpydone

axpy1loop:
	VMOVSS      (DI), X4
	VFMADD231SS (SI), X0, X4
	VMOVSS      X4, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JNZ         axpy1loop

axpydone:
	VZEROUPPER
	RET


// func transpose8(np int, src *float32, ld int, dst *float32, w int)
//
// For p in [0, np) (np a multiple of 8) and r in [0, 8):
// dst[p*w+r] = src[r*ld+p]: eight rows of a matrix are transposed into eight
// consecutive lanes of a w-wide packed panel, 8×8 blocks at a time.
TEXT ·transpose8(SB), NOSPLIT, $0-40
	MOVQ np+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ dst+24(FP), DI
	MOVQ w+32(FP), R10
	SHLQ $2, R8            // row stride in bytes
	SHLQ $2, R10           // panel stride in bytes
	LEAQ (R8)(R8*2), R9    // 3 rows
	LEAQ (SI)(R8*4), R11   // rows 4..7
	LEAQ (R10)(R10*2), R12 // 3 panel rows
	SHRQ $3, CX
	JZ   tr8done

tr8loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (R11), Y4
	VMOVUPS (R11)(R8*1), Y5
	VMOVUPS (R11)(R8*2), Y6
	VMOVUPS (R11)(R9*1), Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R10*1)
	VMOVUPS Y10, (DI)(R10*2)
	VMOVUPS Y11, (DI)(R12*1)
	LEAQ    (DI)(R10*4), DI
	VMOVUPS Y12, (DI)
	VMOVUPS Y13, (DI)(R10*1)
	VMOVUPS Y14, (DI)(R10*2)
	VMOVUPS Y15, (DI)(R12*1)
	LEAQ    (DI)(R10*4), DI

	ADDQ $32, SI
	ADDQ $32, R11
	DECQ CX
	JNZ  tr8loop

tr8done:
	VZEROUPPER
	RET

// func transpose4(np int, src *float32, ld int, dst *float32, w int)
//
// Like transpose8 for four rows: dst[p*w+r] = src[r*ld+p], r in [0, 4),
// p in [0, np), np a multiple of 8.
TEXT ·transpose4(SB), NOSPLIT, $0-40
	MOVQ np+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	MOVQ dst+24(FP), DI
	MOVQ w+32(FP), R10
	SHLQ $2, R8
	SHLQ $2, R10
	LEAQ (R8)(R8*2), R9
	LEAQ (R10)(R10*2), R12
	SHRQ $3, CX
	JZ   tr4done

tr4loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11

	VSHUFPS $0x44, Y10, Y8, Y0 // columns 0 | 4
	VSHUFPS $0xEE, Y10, Y8, Y1 // columns 1 | 5
	VSHUFPS $0x44, Y11, Y9, Y2 // columns 2 | 6
	VSHUFPS $0xEE, Y11, Y9, Y3 // columns 3 | 7

	VMOVUPS      X0, (DI)
	VMOVUPS      X1, (DI)(R10*1)
	VMOVUPS      X2, (DI)(R10*2)
	VMOVUPS      X3, (DI)(R12*1)
	LEAQ         (DI)(R10*4), DI
	VEXTRACTF128 $1, Y0, (DI)
	VEXTRACTF128 $1, Y1, (DI)(R10*1)
	VEXTRACTF128 $1, Y2, (DI)(R10*2)
	VEXTRACTF128 $1, Y3, (DI)(R12*1)
	LEAQ         (DI)(R10*4), DI

	ADDQ $32, SI
	DECQ CX
	JNZ  tr4loop

tr4done:
	VZEROUPPER
	RET

// func copyPanel(np int, src *float32, ld int, dst *float32, w int)
//
// For p in [0, np): dst[p*w : p*w+w] = src[p*ld : p*ld+w].
TEXT ·copyPanel(SB), NOSPLIT, $0-40
	MOVQ  np+0(FP), CX
	MOVQ  src+8(FP), SI
	MOVQ  ld+16(FP), R8
	MOVQ  dst+24(FP), DI
	MOVQ  w+32(FP), R10
	SHLQ  $2, R8
	TESTQ CX, CX
	JZ    cpdone

cprow:
	MOVQ R10, BX
	MOVQ SI, AX
	CMPQ BX, $8
	JB   cp4

cp8:
	VMOVUPS (AX), Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, AX
	ADDQ    $32, DI
	SUBQ    $8, BX
	CMPQ    BX, $8
	JAE     cp8

cp4:
	CMPQ    BX, $4
	JB      cp1
	VMOVUPS (AX), X0
	VMOVUPS X0, (DI)
	ADDQ    $16, AX
	ADDQ    $16, DI
	SUBQ    $4, BX

cp1:
	TESTQ BX, BX
	JZ    cpnext

cp1loop:
	MOVL (AX), DX
	MOVL DX, (DI)
	ADDQ $4, AX
	ADDQ $4, DI
	DECQ BX
	JNZ  cp1loop

cpnext:
	ADDQ R8, SI
	DECQ CX
	JNZ  cprow

cpdone:
	VZEROUPPER
	RET

// func dot4AVX2(k int, a *float32, lda int, x *float32, y *float32)
//
// y[r] = Σ_{p<k} a[r*lda+p]·x[p] for r < 4; k is a multiple of 8. Four rows
// share the loads of x; two accumulators per row.
TEXT ·dot4AVX2(SB), NOSPLIT, $0-40
	MOVQ   k+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   lda+16(FP), R8
	MOVQ   x+24(FP), DI
	MOVQ   y+32(FP), DX
	SHLQ   $2, R8
	LEAQ   (R8)(R8*2), R9
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ   CX, BX
	SHRQ   $4, BX
	JZ     d4tail

d4loop:
	VMOVUPS     (DI), Y8
	VMOVUPS     32(DI), Y9
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS 32(SI), Y9, Y4
	VFMADD231PS (SI)(R8*1), Y8, Y1
	VFMADD231PS 32(SI)(R8*1), Y9, Y5
	VFMADD231PS (SI)(R8*2), Y8, Y2
	VFMADD231PS 32(SI)(R8*2), Y9, Y6
	VFMADD231PS (SI)(R9*1), Y8, Y3
	VFMADD231PS 32(SI)(R9*1), Y9, Y7
	ADDQ        $64, SI
	ADDQ        $64, DI
	DECQ        BX
	JNZ         d4loop

d4tail:
	TESTQ       $8, CX
	JZ          d4reduce
	VMOVUPS     (DI), Y8
	VFMADD231PS (SI), Y8, Y0
	VFMADD231PS (SI)(R8*1), Y8, Y1
	VFMADD231PS (SI)(R8*2), Y8, Y2
	VFMADD231PS (SI)(R9*1), Y8, Y3

d4reduce:
	VADDPS       Y4, Y0, Y0
	VADDPS       Y5, Y1, Y1
	VADDPS       Y6, Y2, Y2
	VADDPS       Y7, Y3, Y3
	VHADDPS      Y1, Y0, Y0
	VHADDPS      Y3, Y2, Y2
	VHADDPS      Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVUPS      X0, (DX)
	VZEROUPPER
	RET

// func gemvTAVX2(k, m int, x, a *float32, lda int, y *float32)
//
// y[j] += Σ_{p<k} x[p]·a[p*lda+j] for j < m: a sum of k axpys, m a multiple
// of 8 and k ≥ 1. y is kept in registers 64 (then 8) columns at a time.
TEXT ·gemvTAVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ m+8(FP), BX
	MOVQ x+16(FP), SI
	MOVQ a+24(FP), DI
	MOVQ lda+32(FP), R8
	MOVQ y+40(FP), DX
	SHLQ $2, R8

gtchunk64:
	CMPQ    BX, $64
	JB      gtchunk8
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	VMOVUPS 64(DX), Y2
	VMOVUPS 96(DX), Y3
	VMOVUPS 128(DX), Y4
	VMOVUPS 160(DX), Y5
	VMOVUPS 192(DX), Y6
	VMOVUPS 224(DX), Y7
	MOVQ    SI, R10
	MOVQ    DI, R11
	MOVQ    CX, R12

gtp64:
	VBROADCASTSS (R10), Y8
	VFMADD231PS  (R11), Y8, Y0
	VFMADD231PS  32(R11), Y8, Y1
	VFMADD231PS  64(R11), Y8, Y2
	VFMADD231PS  96(R11), Y8, Y3
	VFMADD231PS  128(R11), Y8, Y4
	VFMADD231PS  160(R11), Y8, Y5
	VFMADD231PS  192(R11), Y8, Y6
	VFMADD231PS  224(R11), Y8, Y7
	ADDQ         $4, R10
	ADDQ         R8, R11
	DECQ         R12
	JNZ          gtp64
	VMOVUPS      Y0, (DX)
	VMOVUPS      Y1, 32(DX)
	VMOVUPS      Y2, 64(DX)
	VMOVUPS      Y3, 96(DX)
	VMOVUPS      Y4, 128(DX)
	VMOVUPS      Y5, 160(DX)
	VMOVUPS      Y6, 192(DX)
	VMOVUPS      Y7, 224(DX)
	ADDQ         $256, DX
	ADDQ         $256, DI
	SUBQ         $64, BX
	JMP          gtchunk64

gtchunk8:
	CMPQ    BX, $8
	JB      gtdone
	VMOVUPS (DX), Y0
	VXORPS  Y1, Y1, Y1
	MOVQ    SI, R10
	MOVQ    DI, R11
	MOVQ    CX, R12

gtp8:
	VBROADCASTSS (R10), Y8
	VFMADD231PS  (R11), Y8, Y0
	ADDQ         $4, R10
	ADDQ         R8, R11
	DECQ         R12
	JZ           gtp8done
	VBROADCASTSS (R10), Y8
	VFMADD231PS  (R11), Y8, Y1
	ADDQ         $4, R10
	ADDQ         R8, R11
	DECQ         R12
	JNZ          gtp8

gtp8done:
	VADDPS  Y1, Y0, Y0
	VMOVUPS Y0, (DX)
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, BX
	JMP     gtchunk8

gtdone:
	VZEROUPPER
	RET

// func dot4F64AVX2(k int, a *float64, lda int, x *float64, y *float64)
//
// y[r] = Σ_{p<k} a[r*lda+p]·x[p] for r < 4; k is a multiple of 8. Four rows
// share the loads of x; two accumulators per row.
TEXT ·dot4F64AVX2(SB), NOSPLIT, $0-40
	MOVQ   k+0(FP), CX
	MOVQ   a+8(FP), SI
	MOVQ   lda+16(FP), R8
	MOVQ   x+24(FP), DI
	MOVQ   y+32(FP), DX
	SHLQ   $3, R8
	LEAQ   (R8)(R8*2), R9
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	MOVQ   CX, BX
	SHRQ   $3, BX
	JZ     e4reduce

e4loop:
	VMOVUPD     (DI), Y8
	VMOVUPD     32(DI), Y9
	VFMADD231PD (SI), Y8, Y0
	VFMADD231PD 32(SI), Y9, Y4
	VFMADD231PD (SI)(R8*1), Y8, Y1
	VFMADD231PD 32(SI)(R8*1), Y9, Y5
	VFMADD231PD (SI)(R8*2), Y8, Y2
	VFMADD231PD 32(SI)(R8*2), Y9, Y6
	VFMADD231PD (SI)(R9*1), Y8, Y3
	VFMADD231PD 32(SI)(R9*1), Y9, Y7
	ADDQ        $64, SI
	ADDQ        $64, DI
	DECQ        BX
	JNZ         e4loop

e4reduce:
	VADDPD     Y4, Y0, Y0
	VADDPD     Y5, Y1, Y1
	VADDPD     Y6, Y2, Y2
	VADDPD     Y7, Y3, Y3
	VHADDPD    Y1, Y0, Y0          // [r0 01, r1 01, r0 23, r1 23]
	VHADDPD    Y3, Y2, Y2          // [r2 01, r3 01, r2 23, r3 23]
	VPERM2F128 $0x20, Y2, Y0, Y4   // low halves: [r0 01, r1 01, r2 01, r3 01]
	VPERM2F128 $0x31, Y2, Y0, Y5   // high halves
	VADDPD     Y5, Y4, Y4
	VMOVUPD    Y4, (DX)
	VZEROUPPER
	RET

// func gemvTF64AVX2(k, m int, x, a *float64, lda int, y *float64)
//
// y[j] += Σ_{p<k} x[p]·a[p*lda+j] for j < m: a sum of k axpys, m a multiple
// of 8 and k ≥ 1. y is kept in registers 32 (then 8) columns at a time.
TEXT ·gemvTF64AVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ m+8(FP), BX
	MOVQ x+16(FP), SI
	MOVQ a+24(FP), DI
	MOVQ lda+32(FP), R8
	MOVQ y+40(FP), DX
	SHLQ $3, R8

ftchunk32:
	CMPQ    BX, $32
	JB      ftchunk8
	VMOVUPD (DX), Y0
	VMOVUPD 32(DX), Y1
	VMOVUPD 64(DX), Y2
	VMOVUPD 96(DX), Y3
	VMOVUPD 128(DX), Y4
	VMOVUPD 160(DX), Y5
	VMOVUPD 192(DX), Y6
	VMOVUPD 224(DX), Y7
	MOVQ    SI, R10
	MOVQ    DI, R11
	MOVQ    CX, R12

ftp32:
	VBROADCASTSD (R10), Y8
	VFMADD231PD  (R11), Y8, Y0
	VFMADD231PD  32(R11), Y8, Y1
	VFMADD231PD  64(R11), Y8, Y2
	VFMADD231PD  96(R11), Y8, Y3
	VFMADD231PD  128(R11), Y8, Y4
	VFMADD231PD  160(R11), Y8, Y5
	VFMADD231PD  192(R11), Y8, Y6
	VFMADD231PD  224(R11), Y8, Y7
	ADDQ         $8, R10
	ADDQ         R8, R11
	DECQ         R12
	JNZ          ftp32
	VMOVUPD      Y0, (DX)
	VMOVUPD      Y1, 32(DX)
	VMOVUPD      Y2, 64(DX)
	VMOVUPD      Y3, 96(DX)
	VMOVUPD      Y4, 128(DX)
	VMOVUPD      Y5, 160(DX)
	VMOVUPD      Y6, 192(DX)
	VMOVUPD      Y7, 224(DX)
	ADDQ         $256, DX
	ADDQ         $256, DI
	SUBQ         $32, BX
	JMP          ftchunk32

ftchunk8:
	CMPQ    BX, $8
	JB      ftdone
	VMOVUPD (DX), Y0
	VMOVUPD 32(DX), Y1
	MOVQ    SI, R10
	MOVQ    DI, R11
	MOVQ    CX, R12

ftp8:
	VBROADCASTSD (R10), Y8
	VFMADD231PD  (R11), Y8, Y0
	VFMADD231PD  32(R11), Y8, Y1
	ADDQ         $8, R10
	ADDQ         R8, R11
	DECQ         R12
	JNZ          ftp8
	VMOVUPD      Y0, (DX)
	VMOVUPD      Y1, 32(DX)
	ADDQ         $64, DX
	ADDQ         $64, DI
	SUBQ         $8, BX
	JMP          ftchunk8

ftdone:
	VZEROUPPER
	RET
