package tensor

import (
	"fmt"
	"math"
	"runtime"

	"github.com/ebm-go/ebm/internal/gemm"
	"github.com/viterin/vek/vek32"
)

// parallelMin is the element count above which elementwise kernels are split
// across cores.
const parallelMin = 1 << 16

// ParallelFor runs fn over [0, n) split into contiguous chunks, one per core,
// when n is at least minChunk·2; otherwise it calls fn(0, n) directly. The
// chunks run on the caller and on the idle workers of the matrix products
// (internal/gemm.Split), which hold the cores between the products of a
// training step; fn must write only what belongs to its range.
func ParallelFor(n, minChunk int, fn func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	if w < 2 || n < 2*minChunk {
		fn(0, n)
		return
	}
	gemm.Split(gemm.Func(fn), n, min(w, n/max(minChunk, 1)))
}

// BinOp names an elementwise binary operation.
type BinOp int

// The binary operations.
const (
	OpAdd BinOp = iota
	OpSub
	OpMul
	OpDiv
)

// BroadcastShape returns the shape of a binary result of a and b: each dimension
// must be equal or 1 in one of the operands.
func BroadcastShape[T Float](a, b *Dense[T]) (r, c int, err error) {
	r, err = bdim(a.Rows, b.Rows)
	if err == nil {
		c, err = bdim(a.Cols, b.Cols)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("tensor: cannot broadcast %s with %s", a.Shape(), b.Shape())
	}
	return r, c, nil
}

func bdim(x, y int) (int, error) {
	switch {
	case x == y:
		return x, nil
	case x == 1:
		return y, nil
	case y == 1:
		return x, nil
	}
	return 0, fmt.Errorf("mismatch")
}

// Binary computes dst = a op b with row/column/scalar broadcasting and returns dst
// (allocated when nil). It panics on incompatible shapes.
func Binary[T Float](op BinOp, dst, a, b *Dense[T]) *Dense[T] {
	r, c, err := BroadcastShape(a, b)
	if err != nil {
		panic(err.Error())
	}
	dst = Reuse(dst, r, c)
	if a.Rows == r && a.Cols == c && b.Rows == r && b.Cols == c {
		binSame(op, dst.Data, a.Data, b.Data)
		return dst
	}
	for i := 0; i < r; i++ {
		ra := a.Data[(i%a.Rows)*a.Cols : (i%a.Rows+1)*a.Cols]
		rb := b.Data[(i%b.Rows)*b.Cols : (i%b.Rows+1)*b.Cols]
		binRow(op, dst.Data[i*c:(i+1)*c], ra, rb)
	}
	return dst
}

func binSame[T Float](op BinOp, d, a, b []T) {
	if dd, ok := any(d).([]float32); ok && len(d) >= 8 {
		aa, bb := any(a).([]float32), any(b).([]float32)
		if k := binary32(op, dd, aa, bb); k > 0 {
			binRow(op, d[k:], a[k:], b[k:])
			return
		}
	}
	if dd, ok := any(d).([]float32); ok && len(d) >= 64 {
		aa, bb := any(a).([]float32), any(b).([]float32)
		// vek's _Into kernels refuse a destination that is also an input.
		if same32(dd, aa) || same32(dd, bb) {
			if same32(dd, aa) && !same32(dd, bb) {
				switch op {
				case OpAdd:
					vek32.Add_Inplace(dd, bb)
				case OpSub:
					vek32.Sub_Inplace(dd, bb)
				case OpMul:
					vek32.Mul_Inplace(dd, bb)
				case OpDiv:
					vek32.Div_Inplace(dd, bb)
				}
				return
			}
			binRow(op, d, a, b)
			return
		}
		switch op {
		case OpAdd:
			vek32.Add_Into(dd, aa, bb)
		case OpSub:
			vek32.Sub_Into(dd, aa, bb)
		case OpMul:
			vek32.Mul_Into(dd, aa, bb)
		case OpDiv:
			vek32.Div_Into(dd, aa, bb)
		}
		return
	}
	binRow(op, d, a, b)
}

// binRow handles one row where a and b each have length len(d) or 1.
func binRow[T Float](op BinOp, d, a, b []T) {
	n := len(d)
	switch {
	case len(a) == n && len(b) == n:
		a, b = a[:n], b[:n]
		switch op {
		case OpAdd:
			for j := range d {
				d[j] = a[j] + b[j]
			}
		case OpSub:
			for j := range d {
				d[j] = a[j] - b[j]
			}
		case OpMul:
			for j := range d {
				d[j] = a[j] * b[j]
			}
		case OpDiv:
			for j := range d {
				d[j] = a[j] / b[j]
			}
		}
	case len(b) == 1:
		s := b[0]
		for j := range d {
			x := a[j%len(a)]
			switch op {
			case OpAdd:
				d[j] = x + s
			case OpSub:
				d[j] = x - s
			case OpMul:
				d[j] = x * s
			case OpDiv:
				d[j] = x / s
			}
		}
	default: // len(a) == 1
		s := a[0]
		for j := range d {
			y := b[j]
			switch op {
			case OpAdd:
				d[j] = s + y
			case OpSub:
				d[j] = s - y
			case OpMul:
				d[j] = s * y
			case OpDiv:
				d[j] = s / y
			}
		}
	}
}

// Scale returns dst = s·a.
func Scale[T Float](dst, a *Dense[T], s T) *Dense[T] {
	dst = Reuse(dst, a.Rows, a.Cols)
	if dd, ok := any(dst.Data).([]float32); ok {
		if aa := any(a.Data).([]float32); same32(dd, aa) {
			vek32.MulNumber_Inplace(dd, float32(s))
		} else {
			vek32.MulNumber_Into(dd, aa, float32(s))
		}
		return dst
	}
	for i, v := range a.Data {
		dst.Data[i] = s * v
	}
	return dst
}

// AddScalar returns dst = a + s.
func AddScalar[T Float](dst, a *Dense[T], s T) *Dense[T] {
	dst = Reuse(dst, a.Rows, a.Cols)
	for i, v := range a.Data {
		dst.Data[i] = v + s
	}
	return dst
}

// one32 is the 1×1 matrix [1] of Axpy's product (read only).
var one32 = []float32{1}

// Axpy computes y += alpha·x elementwise (same shapes). float32 goes to the
// GEMM layer's SIMD kernel (as the 1×1·1×n product alpha·[1]·x + y, which
// may fuse each multiply-add); other types use a plain loop.
func Axpy[T Float](alpha T, x, y *Dense[T]) {
	if !x.SameShape(y) {
		panic(fmt.Sprintf("tensor: Axpy %s into %s", x.Shape(), y.Shape()))
	}
	if xx, ok := any(x.Data).([]float32); ok && len(xx) >= 16 {
		gemm.Gemm32(false, false, 1, len(xx), 1, float32(alpha), one32, 1, xx, len(xx), 1, any(y.Data).([]float32), len(xx))
		return
	}
	yd := y.Data[:len(x.Data)]
	for i, v := range x.Data {
		yd[i] += alpha * v
	}
}

// Func names an elementwise unary function.
type Func int

// The unary functions. Param is the exponent for Pow, the slope for LeakyReLU and
// α for ELU; the others ignore it.
const (
	FnExp Func = iota
	FnLog
	FnLog1p
	FnSqrt
	FnSquare
	FnPow
	FnAbs
	FnSign
	FnNeg
	FnStep // 1 for x > 0, else 0
	FnTanh
	FnSigmoid
	FnSoftplus
	FnSiLU
	FnReLU
	FnLeakyReLU
	FnELU
)

// Map computes dst = f(a) elementwise (allocating dst when nil), splitting large
// inputs across cores.
func Map[T Float](f Func, param float64, dst, a *Dense[T]) *Dense[T] {
	dst = Reuse(dst, a.Rows, a.Cols)
	ParallelFor(len(a.Data), parallelMin/2, func(lo, hi int) {
		mapSlice(f, param, dst.Data[lo:hi], a.Data[lo:hi])
	})
	return dst
}

func mapSlice[T Float](f Func, p float64, d, a []T) {
	if dd, ok := any(d).([]float32); ok {
		if mapF32(f, dd, any(a).([]float32)) {
			return
		}
	}
	a = a[:len(d)]
	switch f {
	case FnExp:
		for i, v := range a {
			d[i] = T(math.Exp(float64(v)))
		}
	case FnLog:
		for i, v := range a {
			d[i] = T(math.Log(float64(v)))
		}
	case FnLog1p:
		for i, v := range a {
			d[i] = T(math.Log1p(float64(v)))
		}
	case FnSqrt:
		for i, v := range a {
			d[i] = T(math.Sqrt(float64(v)))
		}
	case FnSquare:
		for i, v := range a {
			d[i] = v * v
		}
	case FnPow:
		for i, v := range a {
			d[i] = T(math.Pow(float64(v), p))
		}
	case FnAbs:
		for i, v := range a {
			d[i] = T(math.Abs(float64(v)))
		}
	case FnSign:
		for i, v := range a {
			switch {
			case v > 0:
				d[i] = 1
			case v < 0:
				d[i] = -1
			default:
				d[i] = 0
			}
		}
	case FnNeg:
		for i, v := range a {
			d[i] = -v
		}
	case FnStep:
		for i, v := range a {
			if v > 0 {
				d[i] = 1
			} else {
				d[i] = 0
			}
		}
	case FnTanh:
		for i, v := range a {
			d[i] = T(math.Tanh(float64(v)))
		}
	case FnSigmoid:
		for i, v := range a {
			d[i] = T(sigmoid(float64(v)))
		}
	case FnSoftplus:
		for i, v := range a {
			d[i] = T(softplus(float64(v)))
		}
	case FnSiLU:
		for i, v := range a {
			d[i] = T(float64(v) * sigmoid(float64(v)))
		}
	case FnReLU:
		for i, v := range a {
			d[i] = max(v, 0)
		}
	case FnLeakyReLU:
		s := T(p)
		for i, v := range a {
			if v > 0 {
				d[i] = v
			} else {
				d[i] = s * v
			}
		}
	case FnELU:
		for i, v := range a {
			if v > 0 {
				d[i] = v
			} else {
				d[i] = T(p * math.Expm1(float64(v)))
			}
		}
	default:
		panic(fmt.Sprintf("tensor: unknown Func %d", f))
	}
}

// mapF32 runs the SIMD float32 versions of the common functions; it reports false
// when it has none for f.
func mapF32(f Func, d, a []float32) bool {
	if same32(d, a) {
		switch f {
		case FnExp:
			expInplace32(d)
		case FnSigmoid:
			sigmoidInto32(d, d)
		case FnNeg:
			vek32.Neg_Inplace(d)
		case FnSqrt:
			vek32.Sqrt_Inplace(d)
		default:
			return false // the scalar loop handles d == a
		}
		return true
	}
	switch f {
	case FnExp:
		copy(d, a)
		expInplace32(d)
	case FnSigmoid:
		sigmoidInto32(d, a)
	case FnSiLU:
		sigmoidInto32(d, a)
		vek32.Mul_Inplace(d, a)
	case FnSquare:
		vek32.Mul_Into(d, a, a)
	case FnNeg:
		vek32.Neg_Into(d, a)
	case FnSqrt:
		vek32.Sqrt_Into(d, a)
	default:
		return false
	}
	return true
}

// Float32 exp is exact to within rounding only on [expLo, expHi]: vek's SIMD
// exp returns garbage (negative numbers, NaN) below about −88, so inputs are
// clamped into this range first (its SIMD lanes give NaN from about 88.5 up). Results saturate at e^{expHi} ≈ 1.7e38 instead
// of +Inf and at e^{expLo} ≈ 1.2e−38 instead of 0.
const (
	expLo = -87.3
	expHi = 88.0
)

// expInplace32 computes d = e^d with the input clamped to [expLo, expHi].
func expInplace32(d []float32) {
	vek32.MaximumNumber_Inplace(d, expLo)
	vek32.MinimumNumber_Inplace(d, expHi)
	vek32.Exp_Inplace(d)
}

// same32 reports whether a and b are non-empty and start at the same element
// (an in-place operation).
func same32(a, b []float32) bool { return len(a) > 0 && len(b) > 0 && &a[0] == &b[0] }

// sigmoidInto32 computes d = σ(a) = 1/(1 + e^{−a}); d and a may be the same
// slice.
func sigmoidInto32(d, a []float32) {
	k := sigmoid32(d, a)
	d, a = d[k:], a[k:]
	if len(d) == 0 {
		return
	}
	if &d[0] == &a[0] {
		vek32.Neg_Inplace(d)
	} else {
		vek32.Neg_Into(d, a)
	}
	expInplace32(d)
	vek32.AddNumber_Inplace(d, 1)
	vek32.Inv_Inplace(d)
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	if x < -30 {
		return math.Exp(x)
	}
	return math.Log1p(math.Exp(x))
}
