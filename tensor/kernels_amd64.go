//go:build amd64 && !purego

package tensor

// The Go side of the float32 assembly kernels (silu_amd64.s, sigmoid_amd64.s,
// binary_amd64.s): each wrapper runs its kernel over the leading multiple of 8
// elements when the CPU has the instructions and returns how many it wrote; the
// callers finish the rest with the portable loops.

import "golang.org/x/sys/cpu"

//go:noescape
func siluD1AVX2(n int, d, a, u, gp *float32, gstep int)

//go:noescape
func siluD2AVX2(n int, d, a, u, gp *float32, gstep int)

//go:noescape
func siluD3AVX2(n int, d, a, u, gp *float32, gstep int)

var hasAVX2 = cpu.X86.HasAVX2

// siluDeriv32 writes d = g ⊙ SiLU⁽ⁿ⁾(a) (g = 1 when nil) for orders 1–3 from
// u = σ(a) with the AVX2 kernels of silu_amd64.s, over the leading multiple of
// 8 elements, and returns how many it wrote (0 without AVX2 or for another
// order). d may be u.
func siluDeriv32(n int, d, a, u, g []float32) int {
	m := len(d) &^ 7
	if !hasAVX2 || m == 0 || n < 1 || n > 3 {
		return 0
	}
	a, u = a[:m], u[:m]
	one := float32(1)
	gp, step := &one, 0
	if g != nil {
		gp, step = &g[:m][0], 32
	}
	switch n {
	case 1:
		siluD1AVX2(m, &d[0], &a[0], &u[0], gp, step)
	case 2:
		siluD2AVX2(m, &d[0], &a[0], &u[0], gp, step)
	default:
		siluD3AVX2(m, &d[0], &a[0], &u[0], gp, step)
	}
	return m
}

//go:noescape
func sigmoidAVX2(n int, d, a *float32)

//go:noescape
func siluFwdAVX2(n int, h, s, z *float32)

var hasFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// sigmoid32 writes d = σ(a) over the leading multiple of 8 elements with the
// kernel of sigmoid_amd64.s and returns how many it wrote (0 without AVX2 and
// FMA). d may be a.
func sigmoid32(d, a []float32) int {
	m := len(d) &^ 7
	if !hasFMA || m == 0 {
		return 0
	}
	sigmoidAVX2(m, &d[0], &a[:m][0])
	return m
}

// siluForward32 writes s = σ(z) and h = z·σ(z) over the leading multiple of 8
// elements and returns how many it wrote (0 without AVX2 and FMA).
func siluForward32(h, s, z []float32) int {
	m := len(h) &^ 7
	if !hasFMA || m == 0 {
		return 0
	}
	siluFwdAVX2(m, &h[0], &s[:m][0], &z[:m][0])
	return m
}

//go:noescape
func addAVX(n int, d, a, b *float32)

//go:noescape
func subAVX(n int, d, a, b *float32)

//go:noescape
func mulAVX(n int, d, a, b *float32)

//go:noescape
func divAVX(n int, d, a, b *float32)

var hasAVX = cpu.X86.HasAVX

// binary32 writes d = a op b over the leading multiple of 8 elements in one
// pass (d may be a or b) and returns how many it wrote (0 without AVX).
func binary32(op BinOp, d, a, b []float32) int {
	m := len(d) &^ 7
	if !hasAVX || m == 0 {
		return 0
	}
	pd, pa, pb := &d[0], &a[:m][0], &b[:m][0]
	switch op {
	case OpAdd:
		addAVX(m, pd, pa, pb)
	case OpSub:
		subAVX(m, pd, pa, pb)
	case OpMul:
		mulAVX(m, pd, pa, pb)
	case OpDiv:
		divAVX(m, pd, pa, pb)
	default:
		return 0
	}
	return m
}
