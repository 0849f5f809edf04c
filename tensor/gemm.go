package tensor

import (
	"fmt"
	"sync"

	"github.com/ebm-go/ebm/internal/gemm"
	"github.com/viterin/vek/vek32"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// Float32Backend selects the float32 GEMM kernel.
type Float32Backend int

const (
	// Float32SIMD is ebm's own packed, cache-blocked GEMM (internal/gemm):
	// AVX2/FMA Go-assembly microkernels (AVX-512 where available) with a
	// pure-Go fallback on other CPUs and architectures; large products run on
	// up to GOMAXPROCS goroutines. This is the default.
	Float32SIMD Float32Backend = iota
	// Float32Gonum uses gonum's pure-Go Sgemm.
	Float32Gonum
	// Float32Vek uses vek's MatMul (an i-k-j loop over AVX2 row updates, after
	// copying transposed operands), ebm's float32 kernel before Float32SIMD.
	Float32Vek
)

var f32Backend = Float32SIMD

// SetFloat32Backend chooses the float32 GEMM kernel (for benchmarks and for
// comparing results); it is not safe to call while other goroutines compute.
func SetFloat32Backend(b Float32Backend) { f32Backend = b }

// Float64Backend selects the float64 GEMM kernel.
type Float64Backend int

const (
	// Float64SIMD is ebm's own packed, cache-blocked GEMM (internal/gemm):
	// AVX-512 or AVX2/FMA Go-assembly microkernels with a pure-Go fallback;
	// large products run on up to GOMAXPROCS goroutines. This is the default,
	// except with the openblas build tag.
	Float64SIMD Float64Backend = iota
	// Float64Gonum uses gonum's blas64 Dgemm: gonum's pure-Go implementation,
	// or OpenBLAS with the openblas build tag (where it is the default).
	Float64Gonum
)

var f64Backend = defaultFloat64Backend

// SetFloat64Backend chooses the float64 GEMM kernel (for benchmarks and for
// comparing results); it is not safe to call while other goroutines compute.
func SetFloat64Backend(b Float64Backend) { f64Backend = b }

// scratch pools of float32 buffers used for transposed GEMM operands.
var f32Pool = sync.Pool{New: func() any { s := make([]float32, 0, 1<<14); return &s }}

func getF32(n int) *[]float32 {
	p := f32Pool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// Gemm computes c = alpha·op(a)·op(b) + beta·c where op(m) is m or its transpose
// (transA, transB). c must already have the result's shape. When beta is 0, c's
// previous contents are ignored (NaNs in c do not propagate).
//
// float64 and float32 go to ebm's packed SIMD kernels (see SetFloat64Backend
// and SetFloat32Backend); with the openblas build tag float64 goes to OpenBLAS.
func Gemm[T Float](transA, transB bool, alpha T, a, b *Dense[T], beta T, c *Dense[T]) {
	m, n, k, done := gemmShapes("Gemm", transA, transB, a, b, beta, c)
	if done {
		return
	}
	switch cc := any(c).(type) {
	case *Dense[float64]:
		aa, bb := any(a).(*Dense[float64]), any(b).(*Dense[float64])
		if f64Backend == Float64Gonum {
			blas64.Implementation().Dgemm(tr(transA), tr(transB), m, n, k, float64(alpha),
				aa.Data, aa.Cols, bb.Data, bb.Cols, float64(beta), cc.Data, cc.Cols)
		} else {
			gemm.Gemm64(transA, transB, m, n, k, float64(alpha),
				aa.Data, aa.Cols, bb.Data, bb.Cols, float64(beta), cc.Data, cc.Cols)
		}
	case *Dense[float32]:
		aa, bb := any(a).(*Dense[float32]), any(b).(*Dense[float32])
		gemm32(transA, transB, m, n, k, float32(alpha), aa, bb, float32(beta), cc)
	default:
		gemmGeneric(transA, transB, m, n, k, alpha, a, b, beta, c)
	}
}

// gemmShapes checks the shapes of c = alpha·op(a)·op(b) + beta·c (panicking
// with fn's name on a mismatch) and returns m, n, k; done reports a product
// already finished because it is empty (k == 0 leaves beta·c).
func gemmShapes[T Float](fn string, transA, transB bool, a, b *Dense[T], beta T, c *Dense[T]) (m, n, k int, done bool) {
	m, k = a.Rows, a.Cols
	if transA {
		m, k = k, m
	}
	kb, n := b.Rows, b.Cols
	if transB {
		kb, n = n, kb
	}
	if k != kb || c.Rows != m || c.Cols != n {
		panic(fmt.Sprintf("tensor: %s shapes %s%s · %s%s → %s", fn, a.Shape(), tmark(transA), b.Shape(), tmark(transB), c.Shape()))
	}
	if m == 0 || n == 0 {
		return m, n, k, true
	}
	if k == 0 {
		scaleInPlace(c.Data, beta)
		return m, n, k, true
	}
	return m, n, k, false
}

func tmark(t bool) string {
	if t {
		return "ᵀ"
	}
	return ""
}

func tr(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func scaleInPlace[T Float](x []T, s T) {
	if s == 0 {
		clear(x)
		return
	}
	if s == 1 {
		return
	}
	for i := range x {
		x[i] *= s
	}
}

func gemm32(transA, transB bool, m, n, k int, alpha float32, a, b *Dense[float32], beta float32, c *Dense[float32]) {
	switch f32Backend {
	case Float32Vek:
		gemm32Vek(transA, transB, m, n, k, alpha, a, b, beta, c)
	case Float32Gonum:
		blas32.Implementation().Sgemm(tr(transA), tr(transB), m, n, k, alpha,
			a.Data, a.Cols, b.Data, b.Cols, beta, c.Data, c.Cols)
	default:
		gemm.Gemm32(transA, transB, m, n, k, alpha, a.Data, a.Cols, b.Data, b.Cols, beta, c.Data, c.Cols)
	}
}

// gemm32Vek is the Float32Vek back end: vek's MatMul on (copied) untransposed
// operands, gonum's Sgemm for small products.
func gemm32Vek(transA, transB bool, m, n, k int, alpha float32, a, b *Dense[float32], beta float32, c *Dense[float32]) {
	if m*n*k < 4096 {
		// Small products: gonum's kernel has less overhead than transposing.
		blas32.Implementation().Sgemm(tr(transA), tr(transB), m, n, k, alpha,
			a.Data, a.Cols, b.Data, b.Cols, beta, c.Data, c.Cols)
		return
	}
	ad, bd := a.Data, b.Data
	var pa, pb *[]float32
	if transA {
		pa = getF32(m * k)
		ad = *pa
		Transpose(&Dense[float32]{Rows: m, Cols: k, Data: ad}, a)
	}
	if transB {
		pb = getF32(k * n)
		bd = *pb
		Transpose(&Dense[float32]{Rows: k, Cols: n, Data: bd}, b)
	}
	if beta == 0 {
		vek32.MatMul_Into(c.Data, ad, bd, k)
		if alpha != 1 {
			vek32.MulNumber_Inplace(c.Data, alpha)
		}
	} else {
		pt := getF32(m * n)
		t := *pt
		vek32.MatMul_Into(t, ad, bd, k)
		if beta != 1 {
			vek32.MulNumber_Inplace(c.Data, beta)
		}
		if alpha != 1 {
			vek32.MulNumber_Inplace(t, alpha)
		}
		vek32.Add_Inplace(c.Data, t)
		f32Pool.Put(pt)
	}
	if pa != nil {
		f32Pool.Put(pa)
	}
	if pb != nil {
		f32Pool.Put(pb)
	}
}

// gemmGeneric is the reference loop for element types other than float32/float64
// (named types with those underlying types).
func gemmGeneric[T Float](transA, transB bool, m, n, k int, alpha T, a, b *Dense[T], beta T, c *Dense[T]) {
	at := func(i, p int) T {
		if transA {
			return a.Data[p*a.Cols+i]
		}
		return a.Data[i*a.Cols+p]
	}
	bt := func(p, j int) T {
		if transB {
			return b.Data[j*b.Cols+p]
		}
		return b.Data[p*b.Cols+j]
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s T
			for p := 0; p < k; p++ {
				s += at(i, p) * bt(p, j)
			}
			if beta == 0 {
				c.Data[i*n+j] = alpha * s
			} else {
				c.Data[i*n+j] = alpha*s + beta*c.Data[i*n+j]
			}
		}
	}
}

// MatMul returns op(a)·op(b) in dst (reused if it has capacity; may be nil).
func MatMul[T Float](dst *Dense[T], a *Dense[T], transA bool, b *Dense[T], transB bool) *Dense[T] {
	m := a.Rows
	if transA {
		m = a.Cols
	}
	n := b.Cols
	if transB {
		n = b.Rows
	}
	dst = Reuse(dst, m, n)
	Gemm(transA, transB, 1, a, b, 0, dst)
	return dst
}
