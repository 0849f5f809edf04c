//go:build !purego

package optim

import "golang.org/x/sys/cpu"

// adamConsts are the per-step constants of the common Adam update, in the
// order adamAVX reads them.
type adamConsts struct{ w1, b2, omb2, bc2s, eps, nstep float32 }

//go:noescape
func adamAVX(n int, wp, gp, mp, vp *float32, c *adamConsts)

var hasAVX = cpu.X86.HasAVX

// adam32 applies the common Adam update (see adamAVX) to the longest prefix
// of w whose length is a multiple of 8 and returns that length; the caller's
// loop does the rest. It returns 0 without AVX.
func adam32(w, g, m, v []float32, c *adamConsts) int {
	n := len(w) &^ 7
	if !hasAVX || n == 0 {
		return 0
	}
	_, _, _ = g[n-1], m[n-1], v[n-1]
	adamAVX(n, &w[0], &g[0], &m[0], &v[0], c)
	return n
}
