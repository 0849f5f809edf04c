package hopfield

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/tensor"
)

// Modern is the modern continuous Hopfield network (Ramsauer et al. 2020)
// with stored patterns X (P×N, one per row) and inverse temperature Beta:
//
//	E(ξ) = −β⁻¹ log Σᵢ exp(β xᵢᵀξ) + ½ξᵀξ + β⁻¹ log P + ½M²,  M = maxᵢ ‖xᵢ‖,
//
// with the update ξ_new = Xᵀ softmax(βXξ) = ξ − ∇E(ξ). The patterns may be any
// real vectors.
type Modern struct {
	X    *tensor.Dense[float64]
	Beta float64
}

// NewModern returns the network storing the rows of x (copied) at inverse
// temperature beta > 0.
func NewModern(x *tensor.Dense[float64], beta float64) (*Modern, error) {
	m := &Modern{X: x, Beta: beta}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	m.X = x.Clone()
	return m, nil
}

// Validate checks that there is at least one pattern, that every value is
// finite and that β is finite and positive.
func (m *Modern) Validate() error {
	if m == nil || m.X == nil || m.X.Rows < 1 || m.X.Cols < 1 || len(m.X.Data) != m.X.Rows*m.X.Cols {
		return errors.New("hopfield: modern network has no patterns")
	}
	if !(m.Beta > 0) || math.IsInf(m.Beta, 0) {
		return fmt.Errorf("hopfield: inverse temperature β = %g; need a finite β > 0", m.Beta)
	}
	for i, v := range m.X.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("hopfield: pattern %d, value %d is %v", i/m.X.Cols, i%m.X.Cols, v)
		}
	}
	return nil
}

// Dim returns N.
func (m *Modern) Dim() int { return m.X.Cols }

// constant returns β⁻¹ log P + ½M².
func (m *Modern) constant() float64 {
	mx := 0.0
	for i := 0; i < m.X.Rows; i++ {
		s := 0.0
		for _, v := range m.X.Row(i) {
			s += v * v
		}
		mx = max(mx, s)
	}
	return math.Log(float64(m.X.Rows))/m.Beta + 0.5*mx
}

// softmaxRows returns the n×P matrix of softmax(β X ξₙ) for the rows ξₙ of q,
// and the log-sum-exps lse(β X ξₙ) in lse.
func (m *Modern) softmaxRows(q *tensor.Dense[float64], lse []float64) *tensor.Dense[float64] {
	a := tensor.New[float64](q.Rows, m.X.Rows)
	tensor.Gemm(false, true, m.Beta, q, m.X, 0, a)
	for r := 0; r < a.Rows; r++ {
		row := a.Row(r)
		l := tensor.LogSumExp(row)
		if lse != nil {
			lse[r] = l
		}
		for i, v := range row {
			row[i] = math.Exp(v - l)
		}
	}
	return a
}

// Energy writes E(ξₙ) for every row ξₙ of x into e (energy.Energy).
func (m *Modern) Energy(x *tensor.Dense[float64], e []float64) { m.EnergyGrad(x, e, nil) }

// EnergyGrad writes E(ξₙ) into e[n] and, when g is not nil,
// ∇E(ξₙ) = ξₙ − Xᵀsoftmax(βXξₙ) into row n of g (energy.GradEnergy).
func (m *Modern) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	n := m.Dim()
	if x.Cols != n || len(e) != x.Rows || (g != nil && (g.Rows != x.Rows || g.Cols != n)) {
		panic(fmt.Sprintf("hopfield: modern energy of %s into %d values for N = %d", x.Shape(), len(e), n))
	}
	c := m.constant()
	p := m.softmaxRows(x, e)
	for r := range e {
		s := 0.0
		for _, v := range x.Row(r) {
			s += v * v
		}
		e[r] = -e[r]/m.Beta + 0.5*s + c
	}
	if g != nil {
		g.CopyFrom(x)
		tensor.Gemm(false, false, -1, p, m.X, 1, g)
	}
}

// Update returns the one-step retrieval ξ_new = Xᵀ softmax(βXξ) of every row ξ
// of q (n×N), one row per query.
func (m *Modern) Update(q *tensor.Dense[float64]) (*tensor.Dense[float64], error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if q == nil || q.Cols != m.Dim() {
		return nil, fmt.Errorf("hopfield: queries of %d values for patterns of %d", colsOf(q), m.Dim())
	}
	for i, v := range q.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("hopfield: query %d, value %d is %v", i/q.Cols, i%q.Cols, v)
		}
	}
	p := m.softmaxRows(q, nil)
	out := tensor.New[float64](q.Rows, m.Dim())
	tensor.Gemm(false, false, 1, p, m.X, 0, out)
	return out, nil
}

func colsOf(q *tensor.Dense[float64]) int {
	if q == nil {
		return 0
	}
	return q.Cols
}

// Sign returns sign(x) elementwise with sign(0) = +1, the binary read-out of a
// modern network's state.
func Sign(x *tensor.Dense[float64]) *tensor.Dense[float64] {
	out := tensor.New[float64](x.Rows, x.Cols)
	for i, v := range x.Data {
		if v < 0 {
			out.Data[i] = -1
		} else {
			out.Data[i] = 1
		}
	}
	return out
}
