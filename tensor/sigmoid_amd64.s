//go:build amd64 && !purego

#include "textflag.h"

// The sigmoid, and SiLU with its sigmoid kept, eight float32 lanes at a time
// (AVX2 + FMA), in one pass, for the first n&^7 elements; the Go caller handles
// the rest.

DATA sigc<>+0(SB)/8, $0x3f8000003f800000
DATA sigc<>+8(SB)/8, $0x3f8000003f800000
DATA sigc<>+16(SB)/8, $0x3f8000003f800000
DATA sigc<>+24(SB)/8, $0x3f8000003f800000
DATA sigc<>+32(SB)/8, $0x42b0999a42b0999a
DATA sigc<>+40(SB)/8, $0x42b0999a42b0999a
DATA sigc<>+48(SB)/8, $0x42b0999a42b0999a
DATA sigc<>+56(SB)/8, $0x42b0999a42b0999a
DATA sigc<>+64(SB)/8, $0xc2ae999ac2ae999a
DATA sigc<>+72(SB)/8, $0xc2ae999ac2ae999a
DATA sigc<>+80(SB)/8, $0xc2ae999ac2ae999a
DATA sigc<>+88(SB)/8, $0xc2ae999ac2ae999a
DATA sigc<>+96(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA sigc<>+104(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA sigc<>+112(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA sigc<>+120(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA sigc<>+128(SB)/8, $0x3f3180003f318000
DATA sigc<>+136(SB)/8, $0x3f3180003f318000
DATA sigc<>+144(SB)/8, $0x3f3180003f318000
DATA sigc<>+152(SB)/8, $0x3f3180003f318000
DATA sigc<>+160(SB)/8, $0xb95e8083b95e8083
DATA sigc<>+168(SB)/8, $0xb95e8083b95e8083
DATA sigc<>+176(SB)/8, $0xb95e8083b95e8083
DATA sigc<>+184(SB)/8, $0xb95e8083b95e8083
DATA sigc<>+192(SB)/8, $0x3950696739506967
DATA sigc<>+200(SB)/8, $0x3950696739506967
DATA sigc<>+208(SB)/8, $0x3950696739506967
DATA sigc<>+216(SB)/8, $0x3950696739506967
DATA sigc<>+224(SB)/8, $0x3ab743ce3ab743ce
DATA sigc<>+232(SB)/8, $0x3ab743ce3ab743ce
DATA sigc<>+240(SB)/8, $0x3ab743ce3ab743ce
DATA sigc<>+248(SB)/8, $0x3ab743ce3ab743ce
DATA sigc<>+256(SB)/8, $0x3c0889083c088908
DATA sigc<>+264(SB)/8, $0x3c0889083c088908
DATA sigc<>+272(SB)/8, $0x3c0889083c088908
DATA sigc<>+280(SB)/8, $0x3c0889083c088908
DATA sigc<>+288(SB)/8, $0x3d2aa9c13d2aa9c1
DATA sigc<>+296(SB)/8, $0x3d2aa9c13d2aa9c1
DATA sigc<>+304(SB)/8, $0x3d2aa9c13d2aa9c1
DATA sigc<>+312(SB)/8, $0x3d2aa9c13d2aa9c1
DATA sigc<>+320(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA sigc<>+328(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA sigc<>+336(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA sigc<>+344(SB)/8, $0x3e2aaaaa3e2aaaaa
DATA sigc<>+352(SB)/8, $0x3f0000003f000000
DATA sigc<>+360(SB)/8, $0x3f0000003f000000
DATA sigc<>+368(SB)/8, $0x3f0000003f000000
DATA sigc<>+376(SB)/8, $0x3f0000003f000000
DATA sigc<>+384(SB)/8, $0x8000000080000000
DATA sigc<>+392(SB)/8, $0x8000000080000000
DATA sigc<>+400(SB)/8, $0x8000000080000000
DATA sigc<>+408(SB)/8, $0x8000000080000000
GLOBL sigc<>(SB), RODATA|NOPTR, $416

// EXP computes e^x of the eight lanes of Y0 into Y0 (Cephes' expf: x =
// n·ln 2 + r, |r| ≤ ½ln 2, e^r by a degree-7 polynomial, 2ⁿ added to the
// exponent bits), x clamped to [−87.3, 88.3]; it uses Y1–Y3.
#define EXP \
	VMINPS      sigc<>+32(SB), Y0, Y0; \
	VMAXPS      sigc<>+64(SB), Y0, Y0; \
	VMULPS      sigc<>+96(SB), Y0, Y1; \
	VROUNDPS    $0, Y1, Y1; \
	VFNMADD231PS sigc<>+128(SB), Y1, Y0; \
	VFNMADD231PS sigc<>+160(SB), Y1, Y0; \
	VMOVUPS     sigc<>+192(SB), Y3; \
	VFMADD213PS sigc<>+224(SB), Y0, Y3; \
	VFMADD213PS sigc<>+256(SB), Y0, Y3; \
	VFMADD213PS sigc<>+288(SB), Y0, Y3; \
	VFMADD213PS sigc<>+320(SB), Y0, Y3; \
	VFMADD213PS sigc<>+352(SB), Y0, Y3; \
	VMULPS      Y0, Y0, Y2; \
	VFMADD213PS Y0, Y2, Y3; \
	VADDPS      sigc<>+0(SB), Y3, Y3; \
	VCVTPS2DQ   Y1, Y1; \
	VPSLLD      $23, Y1, Y1; \
	VPADDD      Y1, Y3, Y0

// SIGMOID computes σ(a) = 1/(1 + e^(−a)) of the eight lanes of Y0 into Y0.
#define SIGMOID \
	VXORPS sigc<>+384(SB), Y0, Y0; \
	EXP; \
	VADDPS sigc<>+0(SB), Y0, Y0; \
	VMOVUPS sigc<>+0(SB), Y1; \
	VDIVPS Y0, Y1, Y0

// func sigmoidAVX2(n int, d, a *float32)
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	SHRQ $3, CX
	JZ   done
	MOVQ d+8(FP), DI
	MOVQ a+16(FP), SI

loop:
	VMOVUPS (SI), Y0
	SIGMOID
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET

// func siluFwdAVX2(n int, h, s, z *float32)
// s = σ(z), h = z·σ(z).
TEXT ·siluFwdAVX2(SB), NOSPLIT, $0-32
	MOVQ n+0(FP), CX
	SHRQ $3, CX
	JZ   done
	MOVQ h+8(FP), DI
	MOVQ s+16(FP), DX
	MOVQ z+24(FP), SI

loop:
	VMOVUPS (SI), Y0
	VMOVUPS Y0, Y4
	SIGMOID
	VMOVUPS Y0, (DX)
	VMULPS  Y4, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	DECQ    CX
	JNZ     loop

done:
	VZEROUPPER
	RET
