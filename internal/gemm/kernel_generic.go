package gemm

import "unsafe"

// kernelGo32 and kernelGo64 are the portable 4×4 kernels, used on other
// architectures, on x86 CPUs without AVX2/FMA, and with the purego build tag.
// kc is halved for float64, so that the packed blocks take the same bytes.
var (
	kernelGo32 = &kernel[float32]{
		name: "go-4x4", mr: 4, nr: 4,
		mc: 128, kc: 256, nc: 2048,
		micro: kernGo[float32], dot: dotGo[float32], axpy: axpyGo[float32],
	}
	kernelGo64 = &kernel[float64]{
		name: "go-4x4", mr: 4, nr: 4,
		mc: 128, kc: 128, nc: 2048,
		micro: kernGo[float64], dot: dotGo[float64], axpy: axpyGo[float64],
	}
)

// kernGo computes the 4×4 tile C = alpha·Σ_p a[p]ᵀb[p] + beta·C with sixteen
// scalar accumulators.
func kernGo[T Float](k int, a, b, c *T, ldc int, alpha, beta T) {
	as := unsafe.Slice(a, 4*k)
	bs := unsafe.Slice(b, 4*k)
	var c00, c01, c02, c03 T
	var c10, c11, c12, c13 T
	var c20, c21, c22, c23 T
	var c30, c31, c32, c33 T
	for len(as) >= 4 && len(bs) >= 4 {
		a0, a1, a2, a3 := as[0], as[1], as[2], as[3]
		b0, b1, b2, b3 := bs[0], bs[1], bs[2], bs[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
		as, bs = as[4:], bs[4:]
	}
	cs := unsafe.Slice(c, 3*ldc+4)
	store4(cs[0:4:4], c00, c01, c02, c03, alpha, beta)
	store4(cs[ldc:ldc+4:ldc+4], c10, c11, c12, c13, alpha, beta)
	store4(cs[2*ldc:2*ldc+4:2*ldc+4], c20, c21, c22, c23, alpha, beta)
	store4(cs[3*ldc:3*ldc+4:3*ldc+4], c30, c31, c32, c33, alpha, beta)
}

func store4[T Float](c []T, v0, v1, v2, v3, alpha, beta T) {
	c = c[:4]
	if beta == 0 {
		c[0], c[1], c[2], c[3] = alpha*v0, alpha*v1, alpha*v2, alpha*v3
		return
	}
	c[0] = alpha*v0 + beta*c[0]
	c[1] = alpha*v1 + beta*c[1]
	c[2] = alpha*v2 + beta*c[2]
	c[3] = alpha*v3 + beta*c[3]
}

func dotGo[T Float](x, y []T) T {
	y = y[:len(x)]
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyGo[T Float](alpha T, x, y []T) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += alpha * x[i]
		y[i+1] += alpha * x[i+1]
		y[i+2] += alpha * x[i+2]
		y[i+3] += alpha * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += alpha * x[i]
	}
}
