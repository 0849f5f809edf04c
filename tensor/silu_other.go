//go:build !amd64 || purego

package tensor

// siluDeriv32 has no SIMD kernel on this platform: the portable loops do all.
func siluDeriv32(n int, d, a, u, g []float32) int { return 0 }

func sigmoid32(d, a []float32) int { return 0 }

func siluForward32(h, s, z []float32) int { return 0 }
