package flow

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// Planar is the planar flow f(z) = z + û·tanh(wᵀz + b) (Rezende & Mohamed
// 2015), with log|det ∂f/∂z| = log(1 + (1 − tanh²(wᵀz + b))·wᵀû).
//
// It is invertible iff wᵀû > −1. With Constrain (the default from Parse) the
// raw parameter u is mapped to û = u + (m(wᵀu) − wᵀu)·w/‖w‖², m(a) =
// −1 + softplus(a), so wᵀû = m(wᵀu) > −1 for every u; without it û = u and
// Validate checks the condition (a flow built from hand-set weights).
//
// Inverse: with c = wᵀx + b and κ = wᵀû, a = wᵀz + b is the unique root of
// g(a) = a + κ·tanh(a) − c (g' = 1 + κ(1 − tanh²a) > 0), bracketed in
// [c − |κ|, c + |κ|]; it is found by Newton steps safeguarded by bisection
// until the bracket is at machine precision, then z = x − û·tanh(a). On the
// tape, two more Newton steps from that root (now as functions of x and the
// parameters) give derivatives that are exact to second order.
type Planar[T tensor.Float] struct {
	D         int
	U, W, B   *autodiff.Param[T]
	Constrain bool
}

// NewPlanar returns a planar layer with small random weights.
func NewPlanar[T tensor.Float](name string, d int, rng *rand.Rand) *Planar[T] {
	p := &Planar[T]{D: d, Constrain: true,
		U: autodiff.NewParam(name+".u", tensor.New[T](1, d)),
		W: autodiff.NewParam(name+".w", tensor.New[T](1, d)),
		B: autodiff.NewParam(name+".b", tensor.New[T](1, 1))}
	for i := 0; i < d; i++ {
		p.U.Value.Data[i] = T(0.1 * rng.NormFloat64())
		p.W.Value.Data[i] = T(0.1 * rng.NormFloat64())
	}
	return p
}

// Kind returns "planar".
func (p *Planar[T]) Kind() string { return "planar" }

// Dim returns d.
func (p *Planar[T]) Dim() int { return p.D }

// Params returns u, w and b.
func (p *Planar[T]) Params() []*autodiff.Param[T] { return []*autodiff.Param[T]{p.U, p.W, p.B} }

// uhat records û and κ = wᵀû (1×1).
func (p *Planar[T]) uhat(t *autodiff.Tape[T]) (uh, kappa *autodiff.Var[T]) {
	u, w := t.Param(p.U), t.Param(p.W)
	wu := autodiff.Sum(autodiff.Mul(w, u))
	if !p.Constrain {
		return u, wu
	}
	m := autodiff.AddScalar(autodiff.Softplus(wu), -1)
	ww := autodiff.AddScalar(autodiff.Sum(autodiff.Square(w)), 1e-30)
	uh = autodiff.Add(u, autodiff.Mul(autodiff.Div(autodiff.Sub(m, wu), ww), w))
	return uh, m
}

// Forward records x = z + û·tanh(wᵀz + b) and its log-determinant.
func (p *Planar[T]) Forward(t *autodiff.Tape[T], z *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	uh, kappa := p.uhat(t)
	a := autodiff.Add(autodiff.MatMul(z, false, t.Param(p.W), true), t.Param(p.B))
	h := autodiff.Tanh(a)
	x := autodiff.Add(z, autodiff.Mul(h, uh))
	return x, p.logdet(t, h, kappa)
}

// logdet records log(1 + κ(1 − h²)).
func (p *Planar[T]) logdet(t *autodiff.Tape[T], h, kappa *autodiff.Var[T]) *autodiff.Var[T] {
	d := autodiff.AddScalar(autodiff.Neg(autodiff.Square(h)), 1)
	return autodiff.Log(autodiff.AddScalar(autodiff.Mul(d, kappa), 1))
}

// Inverse records z = f⁻¹(x) (see the type's comment) and log|det ∂f⁻¹/∂x|.
func (p *Planar[T]) Inverse(t *autodiff.Tape[T], x *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	uh, kappa := p.uhat(t)
	c := autodiff.Add(autodiff.MatMul(x, false, t.Param(p.W), true), t.Param(p.B))
	k := kappa.Item()
	n := x.Rows()
	a0 := tensor.New[T](n, 1)
	for i := 0; i < n; i++ {
		a0.Data[i] = T(planarRoot(float64(c.Value.Data[i]), k))
	}
	a := t.Const(a0)
	for range 2 {
		h := autodiff.Tanh(a)
		g := autodiff.Sub(autodiff.Add(a, autodiff.Mul(kappa, h)), c)
		dg := autodiff.AddScalar(autodiff.Mul(kappa, autodiff.AddScalar(autodiff.Neg(autodiff.Square(h)), 1)), 1)
		a = autodiff.Sub(a, autodiff.Div(g, dg))
	}
	h := autodiff.Tanh(a)
	z := autodiff.Sub(x, autodiff.Mul(h, uh))
	return z, autodiff.Neg(p.logdet(t, h, kappa))
}

// planarRoot solves a + κ·tanh(a) = c for a (κ > −1) to machine precision.
func planarRoot(c, k float64) float64 {
	lo, hi := c-math.Abs(k), c+math.Abs(k)
	a := c - k*math.Tanh(c)
	if !(a >= lo && a <= hi) {
		a = 0.5 * (lo + hi)
	}
	for range 200 {
		th := math.Tanh(a)
		g := a + k*th - c
		if g == 0 {
			return a
		}
		if g > 0 {
			hi = a
		} else {
			lo = a
		}
		an := a - g/(1+k*(1-th*th))
		if !(an > lo && an < hi) {
			an = 0.5 * (lo + hi)
		}
		if an == a || hi-lo <= 4e-16*math.Max(1, math.Abs(a)) {
			return an
		}
		a = an
	}
	return a
}

// Validate checks that the parameters are finite and, for an unconstrained
// layer, that wᵀu > −1 (otherwise f is not invertible).
func (p *Planar[T]) Validate() error {
	if n := finiteParams(p.Params()); n != "" {
		return fmt.Errorf("planar layer: parameter %s holds NaN or Inf", n)
	}
	if p.Constrain {
		return nil
	}
	wu := 0.0
	for i := range p.U.Value.Data {
		wu += float64(p.U.Value.Data[i]) * float64(p.W.Value.Data[i])
	}
	if !(wu > -1) {
		return fmt.Errorf("planar layer %s: wᵀu = %.6g ≤ −1, so the map is not invertible (unconstrained layers need wᵀu > −1)", p.U.Name, wu)
	}
	return nil
}
