//go:build !amd64 || purego

package tensor

// The SIMD kernels (tensor/*_amd64.s) exist only on amd64 without the purego
// tag. Here each entry point reports that it wrote nothing, and the portable
// loops do all the work.

const hasAVX = false

func siluDeriv32(n int, d, a, u, g []float32) int { return 0 }

func sigmoid32(d, a []float32) int { return 0 }

func siluForward32(h, s, z []float32) int { return 0 }

func binary32(op BinOp, d, a, b []float32) int { return 0 }
