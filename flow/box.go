package flow

import (
	"math"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// Box is the elementwise squashing layer x = c·tanh(z/c), which confines a
// flow to the open box (−c, c)^d (the last layer of a flow built with
// box=c). It has no parameters. With u = z/c,
//
//	log|det ∂x/∂z| = Σⱼ log sech²(uⱼ),
//
// and the inverse z = c·atanh(x/c) has log|det ∂z/∂x| = −Σⱼ log(1 − (xⱼ/c)²).
// Outside the box the inverse is undefined: for a point with any coordinate
// outside, Inverse returns z = 0 and a log-determinant of −∞, so that
// log p(x) = −∞ (E = +∞) and the value carries no gradient.
type Box[T tensor.Float] struct {
	D int
	C float64
}

// NewBox returns the box layer of half-width c > 0 over d dimensions.
func NewBox[T tensor.Float](d int, c float64) *Box[T] { return &Box[T]{D: d, C: c} }

// Kind returns "box".
func (b *Box[T]) Kind() string { return "box" }

// Dim returns d.
func (b *Box[T]) Dim() int { return b.D }

// Params returns nil: the layer has no parameters.
func (b *Box[T]) Params() []*autodiff.Param[T] { return nil }

// Forward records x = c·tanh(z/c) and Σⱼ log sech²(zⱼ/c) per row.
func (b *Box[T]) Forward(t *autodiff.Tape[T], z *autodiff.Var[T]) (x, logdet *autodiff.Var[T]) {
	u := autodiff.Scale(z, 1/b.C)
	return autodiff.Scale(autodiff.Tanh(u), b.C), autodiff.SumCols(LogSech2(u))
}

// Inverse records z = c·atanh(x/c) = (c/2)(log1p(v) − log1p(−v)), v = x/c,
// and −Σⱼ(log1p(vⱼ) + log1p(−vⱼ)) per row; rows with a coordinate outside
// the open box get z = 0 and a log-determinant of −∞.
func (b *Box[T]) Inverse(t *autodiff.Tape[T], x *autodiff.Var[T]) (z, logdet *autodiff.Var[T]) {
	n, d := x.Rows(), x.Cols()
	v := autodiff.Scale(x, 1/b.C)
	in := tensor.New[T](n, d)
	rowIn := tensor.New[T](n, 1)
	for i := 0; i < n; i++ {
		ok := T(1)
		for j := 0; j < d; j++ {
			if !(math.Abs(float64(v.Value.Data[i*d+j])) < 1) {
				ok = 0
			}
		}
		rowIn.Data[i] = ok
		for j := 0; j < d; j++ {
			in.Data[i*d+j] = ok
		}
	}
	// Rows inside keep v; rows with a coordinate outside are replaced by 0
	// before the logarithms, so that no infinity or NaN enters the graph's
	// derivatives and the row's value carries no gradient.
	vc := autodiff.Where(in, v, t.Const(tensor.New[T](n, d)))
	lp, lm := autodiff.Log1p(vc), autodiff.Log1p(autodiff.Neg(vc))
	z = autodiff.Scale(autodiff.Sub(lp, lm), b.C/2)
	ld := autodiff.Neg(autodiff.SumCols(autodiff.Add(lp, lm)))
	logdet = autodiff.Where(rowIn, ld, t.Const(tensor.Full[T](n, 1, T(math.Inf(-1)))))
	return z, logdet
}

// LogSech2 records log sech²(u) = log(1 − tanh²(u)) elementwise as
// 2 log 2 − 2|u| − 2 softplus(−2|u|), which stays finite where 1 − tanh²(u)
// rounds to 0.
func LogSech2[T tensor.Float](u *autodiff.Var[T]) *autodiff.Var[T] {
	au := autodiff.Abs(u)
	return autodiff.AddScalar(autodiff.Scale(autodiff.Add(au, autodiff.Softplus(autodiff.Scale(au, -2))), -2), 2*math.Ln2)
}

// LogSech2Float is LogSech2 for one float64.
func LogSech2Float(u float64) float64 {
	au := math.Abs(u)
	return 2*math.Ln2 - 2*au - 2*math.Log1p(math.Exp(-2*au))
}
