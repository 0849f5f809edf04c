//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_micro.go

// Assembly helpers (level1_amd64.s): float32 dot, axpy, four-row dot,
// transposed matrix–vector product and packing; float64 four-row dot and
// transposed matrix–vector product. The microkernels are in micro32_amd64.s
// and micro64_amd64.s (generated). The other float64 helpers (packing, single
// dot and axpy) are the portable Go ones.

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

//go:noescape
func dot4F64AVX2(k int, a *float64, lda int, x *float64, y *float64)

//go:noescape
func gemvTF64AVX2(k, m int, x, a *float64, lda int, y *float64)

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
	// kernelAVX2x32 is the 6×16 AVX2/FMA kernel: 12 YMM accumulators; per
	// k-step two 8-float loads of B, six broadcasts of A, twelve FMAs.
	kernelAVX2x32 = &kernel[float32]{
		name: "avx2-6x16", mr: 6, nr: 16,
		mc: 144, kc: 256, nc: 4080,
		micro: kern32AVX2x6,
		edges: []edge[float32]{{2, kern32AVX2x2}, {4, kern32AVX2x4}},
		dot:   dotAsm, dot4: dot4AVX2, axpy: axpyAsm, gemvT: gemvTAVX2,
		tr8: transpose8, tr4: transpose4, copy: copyPanel,
	}
	// kernelAVX512x32 is the 12×32 AVX-512 kernel: 24 ZMM accumulators; per
	// k-step two 16-float loads of B, twelve broadcasts of A, 24 FMAs.
	kernelAVX512x32 = &kernel[float32]{
		name: "avx512-12x32", mr: 12, nr: 32,
		mc: 144, kc: 256, nc: 4096,
		micro: kern32AVX512x12,
		edges: []edge[float32]{{4, kern32AVX512x4}, {8, kern32AVX512x8}},
		dot:   dotAsm, dot4: dot4AVX2, axpy: axpyAsm, gemvT: gemvTAVX2,
		tr8: transpose8, tr4: transpose4, copy: copyPanel,
	}
	// kernelAVX2x64 is the 6×8 AVX2/FMA kernel: 12 YMM accumulators; per
	// k-step two 4-double loads of B, six broadcasts of A, twelve FMAs.
	kernelAVX2x64 = &kernel[float64]{
		name: "avx2-6x8", mr: 6, nr: 8,
		mc: 144, kc: 128, nc: 4080,
		micro: kern64AVX2x6,
		edges: []edge[float64]{{2, kern64AVX2x2}, {4, kern64AVX2x4}},
		dot:   dotGo[float64], axpy: axpyGo[float64],
		dot4: dot4F64AVX2, gemvT: gemvTF64AVX2,
	}
	// kernelAVX512x64 is the 12×16 AVX-512 kernel: 24 ZMM accumulators; per
	// k-step two 8-double loads of B, twelve broadcasts of A, 24 FMAs.
	kernelAVX512x64 = &kernel[float64]{
		name: "avx512-12x16", mr: 12, nr: 16,
		mc: 144, kc: 128, nc: 4096,
		micro: kern64AVX512x12,
		edges: []edge[float64]{{4, kern64AVX512x4}, {8, kern64AVX512x8}},
		dot:   dotGo[float64], axpy: axpyGo[float64],
		dot4: dot4F64AVX2, gemvT: gemvTF64AVX2,
	}
)

func init() {
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA {
		return // kernelGo32, kernelGo64
	}
	f32.add(kernelAVX2x32)
	f64.add(kernelAVX2x64)
	if cpu.X86.HasAVX512F {
		f32.add(kernelAVX512x32)
		f64.add(kernelAVX512x64)
	}
}
