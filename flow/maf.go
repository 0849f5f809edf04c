package flow

import (
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// MAF is a masked autoregressive layer (Papamakarios et al. 2017):
//
//	x_i = z_i·exp(α_i(x_<i)) + μ_i(x_<i),   α = c·tanh(α̂/c),
//
// with (μ, α̂) from a MADE network (Germain et al. 2015) whose weights are
// multiplied by fixed binary masks so that outputs i see only inputs < i
// (input degrees 1..d, hidden degrees cycling over 1..d−1, a hidden unit of
// degree k sees inputs of degree ≤ k and an output of degree i sees hidden
// units of degree < i). The density direction is one pass,
// z = (x − μ(x))⊙exp(−α(x)), log|det ∂z/∂x| = −Σ α. Sampling takes d
// passes: pass k recomputes x from the previous pass's x, and after pass k
// coordinates 1..k are exact, so after d passes x = f(z) identically (and
// so are all its derivatives). The bound c on α works as in Affine.
type MAF[T tensor.Float] struct {
	D      int
	Bound  float64
	Layers []*nn.Linear[T]
	Masks  []*tensor.Dense[T]
	Act    nn.Activation
}

// NewMAF returns a MAF layer whose MADE has the hidden widths of net and a
// zero output layer (the identity at the start).
func NewMAF[T tensor.Float](name string, d int, bound float64, net Net, rng *rand.Rand) (*MAF[T], error) {
	mlp, err := newConditioner[T](name+".made", d, 2*d, net, rng)
	if err != nil {
		return nil, err
	}
	m := &MAF[T]{D: d, Bound: bound, Layers: mlp.Layers, Act: net.Act}
	// Degrees.
	in := make([]int, d)
	for i := range in {
		in[i] = i + 1
	}
	prev := in
	span := max(1, d-1)
	for _, h := range net.Hidden {
		deg := make([]int, h)
		for k := range deg {
			deg[k] = k%span + 1
		}
		m.Masks = append(m.Masks, madeMask[T](prev, deg, false))
		prev = deg
	}
	out := make([]int, 2*d)
	for j := range out {
		out[j] = j%d + 1
	}
	m.Masks = append(m.Masks, madeMask[T](prev, out, true))
	return m, nil
}

// madeMask returns M[k, j] = 1 when output j may see input k: deg_out ≥ deg_in
// for hidden layers, deg_out > deg_in for the output layer.
func madeMask[T tensor.Float](in, out []int, strict bool) *tensor.Dense[T] {
	m := tensor.New[T](len(in), len(out))
	for k, a := range in {
		for j, b := range out {
			if b > a || (!strict && b == a) {
				m.Set(k, j, 1)
			}
		}
	}
	return m
}

// Kind returns "maf".
func (m *MAF[T]) Kind() string { return "maf" }

// Dim returns d.
func (m *MAF[T]) Dim() int { return m.D }

// Params returns the MADE weights and biases.
func (m *MAF[T]) Params() []*autodiff.Param[T] {
	var ps []*autodiff.Param[T]
	for _, l := range m.Layers {
		ps = append(ps, l.W, l.B)
	}
	return ps
}

// made records (μ, α) at x.
func (m *MAF[T]) made(t *autodiff.Tape[T], x *autodiff.Var[T]) (mu, alpha *autodiff.Var[T]) {
	h := x
	for i, l := range m.Layers {
		w := autodiff.Mul(t.Param(l.W), t.Const(m.Masks[i]))
		h = autodiff.Add(autodiff.MatMul(h, false, w, false), t.Param(l.B))
		if i+1 < len(m.Layers) {
			h = nn.Apply(m.Act, h)
		}
	}
	return autodiff.SliceCols(h, 0, m.D), bounded(autodiff.SliceCols(h, m.D, 2*m.D), m.Bound)
}

// Forward records x = f(z) by d passes and Σ α.
func (m *MAF[T]) Forward(t *autodiff.Tape[T], z *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	x := t.Const(tensor.New[T](z.Rows(), m.D))
	var alpha *autodiff.Var[T]
	for range m.D {
		var mu *autodiff.Var[T]
		mu, alpha = m.made(t, x)
		x = autodiff.Add(autodiff.Mul(z, autodiff.Exp(alpha)), mu)
	}
	return x, autodiff.SumCols(alpha)
}

// Inverse records z = (x − μ(x))⊙exp(−α(x)) and −Σ α in one pass.
func (m *MAF[T]) Inverse(t *autodiff.Tape[T], x *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	mu, alpha := m.made(t, x)
	z := autodiff.Mul(autodiff.Sub(x, mu), autodiff.Exp(autodiff.Neg(alpha)))
	return z, autodiff.Neg(autodiff.SumCols(alpha))
}

// Validate checks the weights are finite.
func (m *MAF[T]) Validate() error {
	if n := finiteParams(m.Params()); n != "" {
		return errNonFinite("maf", n)
	}
	return nil
}
