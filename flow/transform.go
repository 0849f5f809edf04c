package flow

import (
	"fmt"
	"math"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// Transform is one invertible layer of a flow, over d-dimensional points.
//
// Forward maps base-side points z (n×d) to x = f(z) and returns
// log|det ∂f/∂z| per row (n×1); Inverse maps x to z = f⁻¹(x) and returns
// log|det ∂f⁻¹/∂x| per row. Either log-determinant may be nil, meaning zero
// (volume-preserving layers). Both record on the tape of their argument.
type Transform[T tensor.Float] interface {
	// Kind names the layer type (planar, radial, additive, affine, scale,
	// maf, permute, actnorm, box).
	Kind() string
	// Dim returns d.
	Dim() int
	// Params returns the layer's trainable parameters (names are unique
	// within a flow).
	Params() []*autodiff.Param[T]
	Forward(t *autodiff.Tape[T], z *autodiff.Var[T]) (x, logdet *autodiff.Var[T])
	Inverse(t *autodiff.Tape[T], x *autodiff.Var[T]) (z, logdet *autodiff.Var[T])
}

// Validator is implemented by layers whose parameters can make them
// non-invertible when set by hand (unconstrained planar layers) or that must
// hold finite values.
type Validator interface {
	Validate() error
}

const log2Pi = 1.8378770664093453

// logNormal records log N(z; 0, I) per row (n×1).
func logNormal[T tensor.Float](z *autodiff.Var[T]) *autodiff.Var[T] {
	d := float64(z.Cols())
	return autodiff.AddScalar(autodiff.Scale(autodiff.SumCols(autodiff.Square(z)), -0.5), -0.5*d*log2Pi)
}

// addLD adds two log-determinants, either of which may be nil (zero).
func addLD[T tensor.Float](a, b *autodiff.Var[T]) *autodiff.Var[T] {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return autodiff.Add(a, b)
}

// bounded records c·tanh(s/c), or s itself when c ≤ 0.
func bounded[T tensor.Float](s *autodiff.Var[T], c float64) *autodiff.Var[T] {
	if c <= 0 {
		return s
	}
	return autodiff.Scale(autodiff.Tanh(autodiff.Scale(s, 1/c)), c)
}

// softplus64 is log(1 + eˣ), computed stably.
func softplus64(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

// constOf returns a constant of the given values on t.
func constOf[T tensor.Float](t *autodiff.Tape[T], rows, cols int, v []float64) *autodiff.Var[T] {
	d := tensor.New[T](rows, cols)
	for i, x := range v {
		d.Data[i] = T(x)
	}
	return t.Const(d)
}

// finiteParams returns the name of the first parameter holding NaN or Inf.
func finiteParams[T tensor.Float](ps []*autodiff.Param[T]) string {
	for _, p := range ps {
		if p.Value.HasNaNInf() >= 0 {
			return p.Name
		}
	}
	return ""
}

func errNonFinite(kind, name string) error {
	return fmt.Errorf("%s layer: parameter %s holds NaN or Inf", kind, name)
}
