// Package stein holds the radial kernels of kernel Stein discrepancies and the
// Langevin–Stein kernel built from them, shared by the KSD training objective
// (package train) and the KSD goodness-of-fit test (package metric).
//
// For a radial kernel k(a, b) = φ(q), q = ‖a − b‖², r = a − b, and scores
// s(a) = ∇ log p(a), the Stein kernel is (Liu, Lee & Jordan 2016;
// Chwialkowski, Strathmann & Gretton 2016)
//
//	u(a, b) = s(a)·s(b) k + s(a)·∇_b k + s(b)·∇_a k + tr ∇_a∇_b k
//	        = φ s(a)·s(b) + 2φ′ (s(b) − s(a))·r − 2dφ′ − 4φ″ q,
//
// and KSD² = E_{a,b∼q} u(a, b), zero exactly when q = p (for the kernels here,
// under mild conditions). Two kernels: the inverse multiquadric
// φ(q) = (c² + q)^β, −1 < β < 0 (Gorham & Mackey 2017), and the Gaussian
// φ(q) = exp(−q/(2h²)).
package stein

import (
	"fmt"
	"math"
	"sort"

	"github.com/ebm-go/ebm/tensor"
)

// Kernel names.
const (
	IMQ = "imq"
	RBF = "rbf"
)

// Kernel is a radial kernel k(a, b) = φ(‖a − b‖²).
type Kernel struct {
	Kind string  // IMQ or RBF
	C    float64 // IMQ: c > 0
	Beta float64 // IMQ: β < 0 (usually in (−1, 0))
	H    float64 // RBF: bandwidth h > 0
}

// Validate checks the kernel's parameters.
func (k Kernel) Validate() error {
	switch k.Kind {
	case IMQ:
		if !(k.C > 0) || math.IsInf(k.C, 0) || !(k.Beta < 0) || math.IsInf(k.Beta, 0) {
			return fmt.Errorf("imq kernel needs c > 0 and beta < 0, got c=%v beta=%v", k.C, k.Beta)
		}
	case RBF:
		if !(k.H > 0) || math.IsInf(k.H, 0) {
			return fmt.Errorf("rbf kernel needs a bandwidth > 0, got %v", k.H)
		}
	default:
		return fmt.Errorf("kernel %q unknown (valid: imq, rbf)", k.Kind)
	}
	return nil
}

// Phi returns φ(q), φ′(q) and φ″(q).
func (k Kernel) Phi(q float64) (phi, d1, d2 float64) {
	if k.Kind == RBF {
		a := 1 / (2 * k.H * k.H)
		phi = math.Exp(-a * q)
		return phi, -a * phi, a * a * phi
	}
	z := k.C*k.C + q
	if k.Beta == -0.5 {
		phi = 1 / math.Sqrt(z)
	} else {
		phi = math.Pow(z, k.Beta)
	}
	d1 = k.Beta * phi / z
	d2 = (k.Beta - 1) * d1 / z
	return phi, d1, d2
}

// MedianBandwidth returns the median heuristic h = median ‖xᵢ − xⱼ‖ over the
// pairs i < j of (at most the first 1000) rows of x, or 1 if that median is 0.
func MedianBandwidth(x *tensor.Dense[float64]) float64 {
	n, d := min(x.Rows, 1000), x.Cols
	q := make([]float64, 0, n*(n-1)/2)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			s := 0.0
			for k := 0; k < d; k++ {
				r := x.Data[i*d+k] - x.Data[j*d+k]
				s += r * r
			}
			q = append(q, s)
		}
	}
	if len(q) == 0 {
		return 1
	}
	sort.Float64s(q)
	m := q[len(q)/2]
	if len(q)%2 == 0 {
		m = (m + q[len(q)/2-1]) / 2
	}
	if !(m > 0) {
		return 1
	}
	return math.Sqrt(m)
}

// Parts holds the pieces of the KSD of a sample x whose scores S (n×d) are
// still unknown: KSD² = (Σᵢⱼ Kᵢⱼ sᵢ·sⱼ + Σⱼ sⱼ·Cⱼ + Trace) / Norm. K and C
// depend on x only, so a training objective records just the two products
// with S on its tape.
type Parts struct {
	K     *tensor.Dense[float64] // n×n, Kᵢⱼ = φ(qᵢⱼ) (diagonal 0 for the U-statistic)
	C     *tensor.Dense[float64] // n×d, Cⱼ = 4 Σᵢ φ′(qᵢⱼ)(xᵢ − xⱼ)
	Trace float64                // Σᵢⱼ (−2dφ′ − 4φ″q)
	Norm  float64                // n(n−1) for the U-statistic, n² for the V-statistic
}

// NewParts computes the parts for the rows of x: the U-statistic (pairs i ≠ j)
// if u, else the V-statistic (all pairs).
func NewParts(x *tensor.Dense[float64], k Kernel, u bool) *Parts {
	n, d := x.Rows, x.Cols
	p := &Parts{K: tensor.New[float64](n, n), C: tensor.New[float64](n, d)}
	df := float64(d)
	tr := make([]float64, n)
	tensor.ParallelFor(n, 16, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			xj := x.Data[j*d : (j+1)*d]
			cj := p.C.Data[j*d : (j+1)*d]
			t := 0.0
			for i := 0; i < n; i++ {
				if u && i == j {
					continue
				}
				xi := x.Data[i*d : (i+1)*d]
				q := 0.0
				for k := range xj {
					r := xi[k] - xj[k]
					q += r * r
				}
				phi, d1, d2 := k.Phi(q)
				p.K.Data[j*n+i] = phi
				for k := range xj {
					cj[k] += 4 * d1 * (xi[k] - xj[k])
				}
				t += -2*df*d1 - 4*d2*q
			}
			tr[j] = t
		}
	})
	for _, t := range tr {
		p.Trace += t
	}
	nf := float64(n)
	p.Norm = nf * nf
	if u {
		p.Norm = nf * (nf - 1)
	}
	return p
}

// Matrix writes the Stein kernel matrix Hᵢⱼ = u(xᵢ, xⱼ) of the rows of x with
// scores s (n×d) into h (n×n, allocated if nil) and returns it.
func Matrix(x, s *tensor.Dense[float64], k Kernel, h *tensor.Dense[float64]) *tensor.Dense[float64] {
	n, d := x.Rows, x.Cols
	if h == nil {
		h = tensor.New[float64](n, n)
	}
	df := float64(d)
	tensor.ParallelFor(n, 8, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xi := x.Data[i*d : (i+1)*d]
			si := s.Data[i*d : (i+1)*d]
			for j := 0; j < n; j++ {
				xj := x.Data[j*d : (j+1)*d]
				sj := s.Data[j*d : (j+1)*d]
				var q, ss, sr float64
				for k := range xi {
					r := xi[k] - xj[k]
					q += r * r
					ss += si[k] * sj[k]
					sr += (sj[k] - si[k]) * r
				}
				phi, d1, d2 := k.Phi(q)
				h.Data[i*n+j] = phi*ss + 2*d1*sr - 2*df*d1 - 4*d2*q
			}
		}
	})
	return h
}
