package optim

import (
	"math"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// quad is f(w) = ½ wᵀAw − bᵀw for a symmetric positive definite A; its
// minimiser solves (A + λI) w = b when an L2 term ½λ‖w‖² is added.
type quad struct {
	a [][]float64
	b []float64
}

var testQuad = quad{
	a: [][]float64{{3, 1, 0}, {1, 2, 0.5}, {0, 0.5, 1}},
	b: []float64{1, -2, 0.5},
}

// grad writes Aw − b into p.Grad.
func setQuadGrad[T tensor.Float](q quad, p *autodiff.Param[T]) {
	w := p.Value.Data
	for i := range q.b {
		s := -q.b[i]
		for j := range w {
			s += q.a[i][j] * float64(w[j])
		}
		p.Grad.Data[i] = T(s)
	}
}

// solve returns the solution of (A + λI) w = b by Gaussian elimination.
func (q quad) solve(lambda float64) []float64 {
	n := len(q.b)
	m := make([][]float64, n)
	for i := range m {
		m[i] = append(append([]float64(nil), q.a[i]...), q.b[i])
		m[i][i] += lambda
	}
	for k := 0; k < n; k++ {
		for i := k + 1; i < n; i++ {
			f := m[i][k] / m[k][k]
			for j := k; j <= n; j++ {
				m[i][j] -= f * m[k][j]
			}
		}
	}
	w := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := m[i][n]
		for j := i + 1; j < n; j++ {
			s -= m[i][j] * w[j]
		}
		w[i] = s / m[i][i]
	}
	return w
}

func maxDiff[T tensor.Float](a []T, b []float64) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-b[i]))
	}
	return d
}

func newParam[T tensor.Float](name string, vals ...T) *autodiff.Param[T] {
	return autodiff.NewParam(name, tensor.FromSlice(1, len(vals), vals))
}
