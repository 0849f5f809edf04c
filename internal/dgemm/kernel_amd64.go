//go:build amd64 && !purego

package dgemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_micro.go

// The microkernels are in micro_amd64.s (generated); packing and the
// matrix–vector paths use the portable Go helpers.

var (
	// kernelAVX2 is the 6×8 AVX2/FMA kernel: 12 YMM accumulators; per
	// k-step two 4-double loads of B, six broadcasts of A, twelve FMAs.
	kernelAVX2 = &kernel{
		name: "avx2-6x8", mr: 6, nr: 8,
		mc: 144, kc: 128, nc: 4080,
		micro: kernAVX2x6,
		edges: []edge{{2, kernAVX2x2}, {4, kernAVX2x4}},
		dot:   dotGo, axpy: axpyGo,
	}
	// kernelAVX512 is the 12×16 AVX-512 kernel: 24 ZMM accumulators; per
	// k-step two 8-double loads of B, twelve broadcasts of A, 24 FMAs.
	kernelAVX512 = &kernel{
		name: "avx512-12x16", mr: 12, nr: 16,
		mc: 144, kc: 128, nc: 4096,
		micro: kernAVX512x12,
		edges: []edge{{4, kernAVX512x4}, {8, kernAVX512x8}},
		dot:   dotGo, axpy: axpyGo,
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
