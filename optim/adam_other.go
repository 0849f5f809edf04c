//go:build !amd64 || purego

package optim

// adamConsts are the per-step constants of the common Adam update.
type adamConsts struct{ w1, b2, omb2, bc2s, eps, nstep float32 }

// adam32 has no SIMD kernel here: it does nothing and the caller's loop
// updates every element.
func adam32(w, g, m, v []float32, c *adamConsts) int { return 0 }
