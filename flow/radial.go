package flow

import (
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// Radial is the radial flow f(z) = z + β·h(r)·(z − z₀), h(r) = 1/(α + r),
// r = ‖z − z₀‖ (Rezende & Mohamed 2015), with
//
//	log|det ∂f/∂z| = (d − 1)·log(1 + β·h) + log(1 + αβ·h²).
//
// α = softplus(α̂) > 0 and β = −α + softplus(β̂) > −α, which makes f
// invertible for every value of the raw parameters. The inverse is closed
// form: with R = ‖x − z₀‖, r solves r·(1 + β/(α + r)) = R, the positive root
// of r² + (α + β − R)·r − αR = 0 (computed without cancellation), and
// z − z₀ = (x − z₀)/(1 + β·h(r)). (f is not differentiable at z = z₀ itself.)
type Radial[T tensor.Float] struct {
	D          int
	Z0         *autodiff.Param[T] // 1×d
	AHat, BHat *autodiff.Param[T] // 1×1 each
}

// NewRadial returns a radial layer with a random centre and small β.
func NewRadial[T tensor.Float](name string, d int, rng *rand.Rand) *Radial[T] {
	r := &Radial[T]{D: d,
		Z0:   autodiff.NewParam(name+".z0", tensor.New[T](1, d)),
		AHat: autodiff.NewParam(name+".alpha", tensor.New[T](1, 1)),
		BHat: autodiff.NewParam(name+".beta", tensor.New[T](1, 1))}
	for i := 0; i < d; i++ {
		r.Z0.Value.Data[i] = T(rng.NormFloat64())
	}
	r.AHat.Value.Data[0] = 0.5
	r.BHat.Value.Data[0] = T(softplusInv(softplus64(0.5) + 0.1*rng.NormFloat64()))
	return r
}

// softplusInv is the inverse of softplus (y > 0).
func softplusInv(y float64) float64 {
	if y > 30 {
		return y
	}
	return math.Log(math.Expm1(y))
}

// Kind returns "radial".
func (r *Radial[T]) Kind() string { return "radial" }

// Dim returns d.
func (r *Radial[T]) Dim() int { return r.D }

// Params returns z₀, α̂ and β̂.
func (r *Radial[T]) Params() []*autodiff.Param[T] { return []*autodiff.Param[T]{r.Z0, r.AHat, r.BHat} }

func (r *Radial[T]) ab(t *autodiff.Tape[T]) (a, b *autodiff.Var[T]) {
	a = autodiff.Softplus(t.Param(r.AHat))
	b = autodiff.Sub(autodiff.Softplus(t.Param(r.BHat)), a)
	return a, b
}

// logdet records (d − 1)·log(1 + βh) + log(1 + αβh²) for h = 1/(α + r).
func (r *Radial[T]) logdet(a, b, h *autodiff.Var[T]) *autodiff.Var[T] {
	bh := autodiff.Mul(b, h)
	l := autodiff.Log(autodiff.AddScalar(autodiff.Mul(autodiff.Mul(a, bh), h), 1))
	if r.D > 1 {
		l = autodiff.Add(l, autodiff.Scale(autodiff.Log(autodiff.AddScalar(bh, 1)), float64(r.D-1)))
	}
	return l
}

func norm[T tensor.Float](v *autodiff.Var[T]) *autodiff.Var[T] {
	return autodiff.Sqrt(autodiff.SumCols(autodiff.Square(v)))
}

// Forward records x = z + βh(r)(z − z₀) and its log-determinant.
func (r *Radial[T]) Forward(t *autodiff.Tape[T], z *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	a, b := r.ab(t)
	diff := autodiff.Sub(z, t.Param(r.Z0))
	h := autodiff.Div(t.Scalar(1), autodiff.Add(a, norm(diff)))
	x := autodiff.Add(z, autodiff.Mul(autodiff.Mul(b, h), diff))
	return x, r.logdet(a, b, h)
}

// Inverse records z = f⁻¹(x) in closed form and log|det ∂f⁻¹/∂x|.
func (r *Radial[T]) Inverse(t *autodiff.Tape[T], x *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	a, b := r.ab(t)
	diff := autodiff.Sub(x, t.Param(r.Z0))
	R := norm(diff)
	B := autodiff.Sub(autodiff.Add(a, b), R)      // α + β − R
	four := autodiff.Scale(autodiff.Mul(a, R), 4) // 4αR
	sq := autodiff.Sqrt(autodiff.Add(autodiff.Square(B), four))
	r1 := autodiff.Div(autodiff.Scale(four, 0.5), autodiff.Add(B, sq)) // 2αR/(B + √·), for B > 0
	r2 := autodiff.Scale(autodiff.Sub(sq, B), 0.5)                     // (√· − B)/2, for B ≤ 0
	mask := tensor.New[T](B.Rows(), 1)
	for i, v := range B.Value.Data {
		if v > 0 {
			mask.Data[i] = 1
		}
	}
	rr := autodiff.Where(mask, r1, r2)
	h := autodiff.Div(t.Scalar(1), autodiff.Add(a, rr))
	z := autodiff.Add(t.Param(r.Z0), autodiff.Div(diff, autodiff.AddScalar(autodiff.Mul(b, h), 1)))
	return z, autodiff.Neg(r.logdet(a, b, h))
}

// Validate checks that the parameters are finite (every finite value is
// invertible).
func (r *Radial[T]) Validate() error {
	if n := finiteParams(r.Params()); n != "" {
		return errNonFinite("radial", n)
	}
	return nil
}
