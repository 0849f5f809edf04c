//go:build amd64 && !purego

package sgemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_micro.go

// Assembly helpers (level1_amd64.s); the microkernels are in micro_amd64.s.

//go:noescape
func transpose8(np int, src *float32, ld int, dst *float32, w int)

//go:noescape
func transpose4(np int, src *float32, ld int, dst *float32, w int)

//go:noescape
func copyPanel(np int, src *float32, ld int, dst *float32, w int)

//go:noescape
func dotAVX2(n int, x, y *float32) float32

//go:noescape
func axpyAVX2(n int, alpha float32, x, y *float32)

//go:noescape
func dot4AVX2(k int, a *float32, lda int, x *float32, y *float32)

//go:noescape
func gemvTAVX2(k, m int, x, a *float32, lda int, y *float32)

func dotAsm(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	_ = y[len(x)-1]
	return dotAVX2(len(x), &x[0], &y[0])
}

func axpyAsm(alpha float32, x, y []float32) {
	if len(x) == 0 {
		return
	}
	_ = y[len(x)-1]
	axpyAVX2(len(x), alpha, &x[0], &y[0])
}

var (
	// kernelAVX2 is the 6×16 AVX2/FMA kernel: 12 YMM accumulators; per
	// k-step two 8-float loads of B, six broadcasts of A, twelve FMAs.
	kernelAVX2 = &kernel{
		name: "avx2-6x16", mr: 6, nr: 16,
		mc: 144, kc: 256, nc: 4080,
		micro: kernAVX2x6,
		edges: []edge{{2, kernAVX2x2}, {4, kernAVX2x4}},
		dot:   dotAsm, dot4: dot4AVX2, axpy: axpyAsm, gemvT: gemvTAVX2,
		tr8: transpose8, tr4: transpose4, copy: copyPanel,
	}
	// kernelAVX512 is the 12×32 AVX-512 kernel: 24 ZMM accumulators; per
	// k-step two 16-float loads of B, twelve broadcasts of A, 24 FMAs.
	kernelAVX512 = &kernel{
		name: "avx512-12x32", mr: 12, nr: 32,
		mc: 144, kc: 256, nc: 4096,
		micro: kernAVX512x12,
		edges: []edge{{4, kernAVX512x4}, {8, kernAVX512x8}},
		dot:   dotAsm, dot4: dot4AVX2, axpy: axpyAsm, gemvT: gemvTAVX2,
		tr8: transpose8, tr4: transpose4, copy: copyPanel,
	}
)

func init() {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return // kernelGo
	}
	kernels = append(kernels, kernelAVX2)
	active = kernelAVX2
	if cpu.X86.HasAVX512F {
		kernels = append(kernels, kernelAVX512)
		active = kernelAVX512
	}
}
