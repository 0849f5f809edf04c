package tensor

import (
	"fmt"
	"math"
	"sync"

	"github.com/viterin/vek/vek32"
)

// ActDeriv computes dst = f⁽ⁿ⁾(a), the order-th derivative (order ≥ 1) of the
// activation f ∈ {FnTanh, FnSigmoid, FnSoftplus, FnSiLU, FnReLU, FnLeakyReLU,
// FnELU} elementwise. Derivatives of every order are available: those of σ and
// tanh are polynomials in σ(x) and tanh(x) built by the recurrences
//
//	σ⁽ⁿ⁺¹⁾ = P′ₙ(σ)·σ(1−σ),   tanh⁽ⁿ⁺¹⁾ = Q′ₙ(t)·(1−t²),
//
// and softplus⁽ⁿ⁾ = σ⁽ⁿ⁻¹⁾, SiLU⁽ⁿ⁾(x) = x·σ⁽ⁿ⁾(x) + n·σ⁽ⁿ⁻¹⁾(x). ReLU-like
// functions are piecewise linear: their derivatives of order ≥ 2 are 0 (the kink
// is ignored, as in every autodiff system). dst may be a (in place).
func ActDeriv[T Float](f Func, order int, param float64, dst, a *Dense[T]) *Dense[T] {
	if order < 1 {
		panic(fmt.Sprintf("tensor: ActDeriv order %d", order))
	}
	dst = Reuse(dst, a.Rows, a.Cols)
	if len(a.Data) > 0 && &dst.Data[0] == &a.Data[0] {
		// In place: the kernels read a after writing dst, so work on a copy.
		a = a.Clone()
	}
	ParallelFor(len(a.Data), parallelMin/2, func(lo, hi int) {
		actDerivSlice(f, order, param, dst.Data[lo:hi], a.Data[lo:hi])
	})
	return dst
}

// ActDerivFrom is ActDeriv for the smooth activations (FnSigmoid, FnSoftplus,
// FnSiLU, FnTanh) given u = σ(a) (tanh a for FnTanh) already computed, as a
// network keeps it from its forward pass: no exponential is evaluated for the
// orders with a closed form (up to 4 or 5, see ActDeriv), the others fall back
// to ActDeriv. With mul non-nil it returns dst = mul ⊙ f⁽ⁿ⁾(a) (mul has a's
// shape), the backward step of the activation, in the same pass. dst must not
// be a, u or mul.
func ActDerivFrom[T Float](f Func, order int, dst, a, u, mul *Dense[T]) *Dense[T] {
	if order < 1 {
		panic(fmt.Sprintf("tensor: ActDerivFrom order %d", order))
	}
	if u.Rows != a.Rows || u.Cols != a.Cols || (mul != nil && (mul.Rows != a.Rows || mul.Cols != a.Cols)) {
		panic(fmt.Sprintf("tensor: ActDerivFrom shapes %s, %s", a.Shape(), u.Shape()))
	}
	dst = Reuse(dst, a.Rows, a.Cols)
	ParallelFor(len(a.Data), parallelMin/2, func(lo, hi int) {
		d, aa, uu := dst.Data[lo:hi], a.Data[lo:hi], u.Data[lo:hi]
		var g []T
		if mul != nil {
			g = mul.Data[lo:hi]
		}
		if f == FnSiLU {
			if d32, ok := any(d).([]float32); ok {
				var g32 []float32
				if g != nil {
					g32 = any(g).([]float32)
				}
				k := siluDeriv32(order, d32, any(aa).([]float32), any(uu).([]float32), g32)
				d, aa, uu = d[k:], aa[k:], uu[k:]
				if g != nil {
					g = g[k:]
				}
			}
		}
		if !actDerivClosed(f, order, d, aa, uu) {
			actDerivSlice(f, order, 0, d, aa)
		}
		if g != nil {
			binSame(OpMul, d, d, g)
		}
	})
	return dst
}

func actDerivSlice[T Float](f Func, n int, p float64, d, a []T) {
	a = a[:len(d)]
	switch f {
	case FnSigmoid, FnSoftplus, FnSiLU, FnTanh:
		// u = σ(x) (tanh(x) for FnTanh) first, into d: SIMD for float32.
		if dd, ok := any(d).([]float32); ok {
			aa := any(a).([]float32)
			if f == FnTanh {
				// tanh x = 2σ(2x) − 1
				vek32.MulNumber_Into(dd, aa, 2)
				sigmoidInto32(dd, dd)
				vek32.MulNumber_Inplace(dd, 2)
				vek32.AddNumber_Inplace(dd, -1)
			} else {
				sigmoidInto32(dd, aa)
			}
		} else {
			for i, v := range a {
				if f == FnTanh {
					d[i] = T(math.Tanh(float64(v)))
				} else {
					d[i] = T(sigmoid(float64(v)))
				}
			}
		}
		if f == FnSiLU {
			if d32, ok := any(d).([]float32); ok {
				k := siluDeriv32(n, d32, any(a).([]float32), d32, nil)
				d, a = d[k:], a[k:]
			}
		}
		if actDerivClosed(f, n, d, a, d) {
			return
		}
		var poly, poly1 []float64
		switch f {
		case FnTanh:
			poly = tanhPoly(n)
		case FnSoftplus:
			poly = sigmoidPoly(n - 1)
		default:
			poly = sigmoidPoly(n)
		}
		if f == FnSiLU {
			poly1 = sigmoidPoly(n - 1)
		}
		for i, v := range a {
			u := float64(d[i])
			r := horner(poly, u)
			if f == FnSiLU {
				r = float64(v)*r + float64(n)*horner(poly1, u)
			}
			d[i] = T(r)
		}
	case FnReLU, FnLeakyReLU:
		lo := T(0)
		if f == FnLeakyReLU {
			lo = T(p)
		}
		for i, v := range a {
			switch {
			case n > 1:
				d[i] = 0
			case v > 0:
				d[i] = 1
			default:
				d[i] = lo
			}
		}
	case FnELU:
		for i, v := range a {
			switch {
			case v > 0 && n == 1:
				d[i] = 1
			case v > 0:
				d[i] = 0
			default:
				d[i] = T(p * math.Exp(float64(v)))
			}
		}
	default:
		panic(fmt.Sprintf("tensor: ActDeriv of Func %d", f))
	}
}

// actDerivClosed writes f⁽ⁿ⁾(x) into d, given x in a and u = σ(x) (tanh x for
// FnTanh) in u (which may be d), from closed forms in w = σ(1−σ) and t = 1−2σ (v = 1−t²
// for tanh), for the orders the estimators use:
//
//	σ′ = w, σ″ = w·t, σ‴ = w·(1−6w), σ⁽⁴⁾ = w·t·(1−12w), σ⁽⁵⁾ = w·(1−30w+120w²),
//	tanh′ = v, tanh″ = −2t·v, tanh‴ = v·(6t²−2), tanh⁽⁴⁾ = 8t·v·(2−3t²),
//
// with softplus⁽ⁿ⁾ = σ⁽ⁿ⁻¹⁾ and SiLU⁽ⁿ⁾ = x·σ⁽ⁿ⁾ + n·σ⁽ⁿ⁻¹⁾. These are the
// polynomials of sigmoidPoly and tanhPoly, factored: a few operations per
// element and no cancellation between large coefficients. It reports false,
// leaving d alone, for higher orders.
func actDerivClosed[T Float](f Func, n int, d, a, u []T) bool {
	u = u[:len(d)]
	a = a[:len(d)]
	switch f {
	case FnTanh:
		switch n {
		case 1:
			for i, t := range u {
				d[i] = 1 - t*t
			}
		case 2:
			for i, t := range u {
				d[i] = -2 * t * (1 - t*t)
			}
		case 3:
			for i, t := range u {
				t2 := t * t
				d[i] = (1 - t2) * (6*t2 - 2)
			}
		case 4:
			for i, t := range u {
				t2 := t * t
				d[i] = 8 * t * (1 - t2) * (2 - 3*t2)
			}
		default:
			return false
		}
		return true
	case FnSigmoid, FnSoftplus:
		m := n
		if f == FnSoftplus {
			m--
		}
		switch m {
		case 0:
			copy(d, u)
		case 1:
			for i, s := range u {
				d[i] = s * (1 - s)
			}
		case 2:
			for i, s := range u {
				d[i] = s * (1 - s) * (1 - 2*s)
			}
		case 3:
			for i, s := range u {
				w := s * (1 - s)
				d[i] = w * (1 - 6*w)
			}
		case 4:
			for i, s := range u {
				w := s * (1 - s)
				d[i] = w * (1 - 2*s) * (1 - 12*w)
			}
		case 5:
			for i, s := range u {
				w := s * (1 - s)
				d[i] = w * (1 - 30*w + 120*w*w)
			}
		default:
			return false
		}
		return true
	case FnSiLU:
		switch n {
		case 1:
			for i, s := range u {
				d[i] = s + a[i]*s*(1-s)
			}
		case 2:
			for i, s := range u {
				w := s * (1 - s)
				d[i] = w * (2 + a[i]*(1-2*s))
			}
		case 3:
			for i, s := range u {
				w := s * (1 - s)
				d[i] = w * (3*(1-2*s) + a[i]*(1-6*w))
			}
		case 4:
			for i, s := range u {
				w := s * (1 - s)
				t := 1 - 2*s
				d[i] = w * (4*(1-6*w) + a[i]*t*(1-12*w))
			}
		case 5:
			for i, s := range u {
				w := s * (1 - s)
				t := 1 - 2*s
				d[i] = w * (5*t*(1-12*w) + a[i]*(1-30*w+120*w*w))
			}
		default:
			return false
		}
		return true
	}
	return false
}

func horner(c []float64, x float64) float64 {
	r := 0.0
	for i := len(c) - 1; i >= 0; i-- {
		r = r*x + c[i]
	}
	return r
}

var polyMu sync.Mutex
var sigPolys = [][]float64{{0, 1}}  // P₀(s) = s
var tanhPolys = [][]float64{{0, 1}} // Q₀(t) = t

// sigmoidPoly returns the coefficients (lowest degree first) of Pₙ with
// σ⁽ⁿ⁾ = Pₙ(σ).
func sigmoidPoly(n int) []float64 {
	polyMu.Lock()
	defer polyMu.Unlock()
	for len(sigPolys) <= n {
		sigPolys = append(sigPolys, nextPoly(sigPolys[len(sigPolys)-1], []float64{0, 1, -1}))
	}
	return sigPolys[n]
}

// tanhPoly returns Qₙ with tanh⁽ⁿ⁾ = Qₙ(tanh).
func tanhPoly(n int) []float64 {
	polyMu.Lock()
	defer polyMu.Unlock()
	for len(tanhPolys) <= n {
		tanhPolys = append(tanhPolys, nextPoly(tanhPolys[len(tanhPolys)-1], []float64{1, 0, -1}))
	}
	return tanhPolys[n]
}

// nextPoly returns P′·m for the polynomial P and multiplier m.
func nextPoly(p, m []float64) []float64 {
	dp := make([]float64, max(len(p)-1, 1))
	for i := 1; i < len(p); i++ {
		dp[i-1] = float64(i) * p[i]
	}
	out := make([]float64, len(dp)+len(m)-1)
	for i, a := range dp {
		for j, b := range m {
			out[i+j] += a * b
		}
	}
	return out
}
