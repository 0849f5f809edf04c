package metric

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// Default IMQ kernel parameters of KSDIMQ (Gorham & Mackey 2017).
const (
	IMQC    = 1.0
	IMQBeta = -0.5
)

// KSD returns the U-statistic estimate of the squared kernel Stein discrepancy
// of the sample x (n×d) against a target whose score s(x) = ∇ₓ log p(x) = −∇ₓE(x)
// at each row of x is the same row of score (n×d) (Liu, Lee & Jordan 2016;
// Chwialkowski, Strathmann & Gretton 2016):
//
//	KSD² = 1/(n(n−1)) Σ_{i≠j} u(x_i, x_j),
//	u(a,b) = s(a)·s(b) k(a,b) + s(a)·∇_b k + s(b)·∇_a k + tr(∇_a∇_b k),
//
// with the inverse multiquadric kernel k(a,b) = (c² + |a−b|²)^β of Gorham &
// Mackey (2017), "Measuring sample quality with kernels". For r = a − b and
// q = c² + |r|² the Stein kernel is, in closed form,
//
//	u = q^β s(a)·s(b) + 2β q^(β−1) (s(b) − s(a))·r − 2βd q^(β−1) − 4β(β−1) q^(β−2) |r|².
//
// The population value is 0 exactly when the sample's law is p; the unbiased
// estimate then has mean 0 and may be slightly negative. With −1 < β < 0 the
// KSD detects non-convergence (Gorham & Mackey, Theorem 8); c = 1, β = −1/2 are
// the usual defaults (see KSDIMQ).
//
// Cost O(n²·d) without allocation per pair, split over up to GOMAXPROCS
// goroutines for large n (same result for any count). Errors: nil or
// mismatched shapes, n < 2, NaN or ±Inf in x or score, c ≤ 0, β ≥ 0 or
// non-finite parameters.
func KSD(x, score *tensor.Dense[float64], c, beta float64) (float64, error) {
	if x == nil || score == nil {
		return math.NaN(), errors.New("metric: KSD: nil input")
	}
	if err := checkMatrix("x", x, 2); err != nil {
		return math.NaN(), fmt.Errorf("metric: KSD: %w", err)
	}
	if err := checkMatrix("score", score, 2); err != nil {
		return math.NaN(), fmt.Errorf("metric: KSD: %w", err)
	}
	if !x.SameShape(score) {
		return math.NaN(), fmt.Errorf("metric: KSD: x is %s but score is %s", x.Shape(), score.Shape())
	}
	if !(c > 0) || math.IsInf(c, 0) || !(beta < 0) || math.IsInf(beta, 0) {
		return math.NaN(), fmt.Errorf("metric: KSD: need c > 0 and β < 0, got c=%v β=%v", c, beta)
	}
	n, d := x.Rows, x.Cols
	c2 := c * c
	df := float64(d)
	sqrtKernel := beta == -0.5
	b2 := 2 * beta
	b4 := 4 * beta * (beta - 1)
	sum := pairSum(n, n/2, func(i int) float64 {
		xi := x.Data[i*d : (i+1)*d]
		si := score.Data[i*d : (i+1)*d]
		s := 0.0
		for j := i + 1; j < n; j++ {
			xj := x.Data[j*d : (j+1)*d][:d]
			sj := score.Data[j*d : (j+1)*d][:d]
			var r2, ss, sr float64
			for k := range xi {
				r := xi[k] - xj[k]
				r2 += r * r
				ss += si[k] * sj[k]
				sr += (sj[k] - si[k]) * r
			}
			q := c2 + r2
			var kq float64 // q^β
			if sqrtKernel {
				kq = 1 / math.Sqrt(q)
			} else {
				kq = math.Pow(q, beta)
			}
			k1 := kq / q // q^(β−1)
			s += kq*ss + b2*k1*(sr-df) - b4*k1/q*r2
		}
		return s
	})
	nf := float64(n)
	return 2 * sum / (nf * (nf - 1)), nil
}

// KSDIMQ returns KSD(x, score, 1, −1/2): the squared kernel Stein discrepancy
// with the IMQ kernel k(a,b) = (1 + |a−b|²)^(−1/2), the defaults of Gorham &
// Mackey (2017). score holds s(x_i) = −∇E(x_i) row by row.
func KSDIMQ(x, score *tensor.Dense[float64]) (float64, error) {
	return KSD(x, score, IMQC, IMQBeta)
}

// KSDEnergy returns KSDIMQ(x, −∇E(x)): the squared IMQ kernel Stein
// discrepancy of the sample x (n×d, d = e.Dim()) against p ∝ exp(−E), the score
// computed by e.EnergyGrad. Errors: as for KSD, and a nil energy, x.Cols ≠
// e.Dim(), or a non-finite energy gradient at a sample point.
func KSDEnergy(e energy.GradEnergy, x *tensor.Dense[float64]) (float64, error) {
	if e == nil {
		return math.NaN(), errors.New("metric: KSDEnergy: nil energy")
	}
	if err := checkMatrix("x", x, 2); err != nil {
		return math.NaN(), fmt.Errorf("metric: KSDEnergy: %w", err)
	}
	if x.Cols != e.Dim() {
		return math.NaN(), fmt.Errorf("metric: KSDEnergy: x is %s but the energy has dimension %d", x.Shape(), e.Dim())
	}
	g := tensor.New[float64](x.Rows, x.Cols)
	en := make([]float64, x.Rows)
	e.EnergyGrad(x, en, g)
	for i, v := range g.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return math.NaN(), fmt.Errorf("metric: KSDEnergy: non-finite gradient %v at row %d", v, i/x.Cols)
		}
		g.Data[i] = -v
	}
	return KSDIMQ(x, g)
}
