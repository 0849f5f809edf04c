// Package gen holds sampler networks without an MCMC chain, for training
// energies against (package train's Adversarial and FCE):
//
//   - Noisy: the noisy generator x = g(z) + σε, z ~ N(0, I_l), ε ~ N(0, I_d),
//     with g an MLP and σ learned or fixed (Kumar et al. 2019; Grathwohl et al.
//     2021, "VERA"). Its density q(x) = ∫ N(x; g(z), σ²I) N(z; 0, I) dz has no
//     closed form; its entropy gradient is estimated (see Noisy).
//   - Affine: the Gaussian x = μ + Lz with L lower triangular and a positive
//     diagonal, an exactly normalized sampler (a one-layer flow) for tests and
//     as a baseline noise distribution for FCE.
//
// Both draw reparameterized samples on an autodiff tape, so a loss on the
// draws trains their parameters.
package gen

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// Affine is the Gaussian sampler x = μ + Lz, z ~ N(0, I_d), with L lower
// triangular, L_jj = exp(s_j) > 0 and strictly lower entries free; its
// density is exact:
//
//	log q(x) = −½‖L⁻¹(x − μ)‖² − (d/2)·log 2π − Σ_j s_j.
//
// It implements train.LearnedSampler.
type Affine[T tensor.Float] struct {
	Mu, LogDiag, Lower *autodiff.Param[T] // 1×d, 1×d, d×d (only j > k is used)
	d                  int
	strict, eye        *tensor.Dense[T]
}

// NewAffine returns the standard Gaussian N(0, I_d) as an Affine sampler.
func NewAffine[T tensor.Float](d int) (*Affine[T], error) {
	if d < 1 {
		return nil, fmt.Errorf("gen: affine sampler dimension must be ≥ 1, got %d", d)
	}
	a := &Affine[T]{Mu: autodiff.NewParam("affine.mu", tensor.New[T](1, d)),
		LogDiag: autodiff.NewParam("affine.logdiag", tensor.New[T](1, d)),
		Lower:   autodiff.NewParam("affine.lower", tensor.New[T](d, d)), d: d,
		strict: tensor.New[T](d, d), eye: tensor.New[T](d, d)}
	for j := 0; j < d; j++ {
		a.eye.Set(j, j, 1)
		for k := 0; k < j; k++ {
			a.strict.Set(j, k, 1)
		}
	}
	return a, nil
}

// Dim returns d.
func (a *Affine[T]) Dim() int { return a.d }

// Params returns μ, s and the lower triangle.
func (a *Affine[T]) Params() []*autodiff.Param[T] {
	return []*autodiff.Param[T]{a.Mu, a.LogDiag, a.Lower}
}

// SetMeanCov sets μ and L to the mean and the Cholesky factor of cov
// (row-major d×d, symmetric positive definite).
func (a *Affine[T]) SetMeanCov(mu, cov []float64) error {
	d := a.d
	if len(mu) != d || len(cov) != d*d {
		return fmt.Errorf("gen: SetMeanCov needs %d means and %d covariances, got %d and %d", d, d*d, len(mu), len(cov))
	}
	l := make([]float64, d*d)
	for j := 0; j < d; j++ {
		for k := 0; k <= j; k++ {
			s := cov[j*d+k]
			for m := 0; m < k; m++ {
				s -= l[j*d+m] * l[k*d+m]
			}
			if j == k {
				if !(s > 0) {
					return errors.New("gen: the covariance is not positive definite")
				}
				l[j*d+j] = math.Sqrt(s)
			} else {
				l[j*d+k] = s / l[k*d+k]
			}
		}
	}
	for j := 0; j < d; j++ {
		a.Mu.Value.Data[j] = T(mu[j])
		a.LogDiag.Value.Data[j] = T(math.Log(l[j*d+j]))
		for k := 0; k < d; k++ {
			a.Lower.Value.Data[j*d+k] = 0
			if k < j {
				a.Lower.Value.Data[j*d+k] = T(l[j*d+k])
			}
		}
	}
	return nil
}

// factor records L on t.
func (a *Affine[T]) factor(t *autodiff.Tape[T]) (l, sdiag *autodiff.Var[T]) {
	sdiag = t.Param(a.LogDiag)
	diag := autodiff.Mul(t.Const(a.eye), autodiff.Exp(sdiag)) // row-broadcast: column j times exp(s_j)
	l = autodiff.Add(autodiff.Mul(t.Param(a.Lower), t.Const(a.strict)), diag)
	return l, sdiag
}

// Draw records n draws x = μ + Lz and log q(x).
func (a *Affine[T]) Draw(t *autodiff.Tape[T], n int, rng *rand.Rand) (x, logq *autodiff.Var[T], err error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("gen: cannot draw %d points", n)
	}
	d := a.d
	z := tensor.New[T](n, d)
	base := tensor.New[T](n, 1)
	c := -0.5 * float64(d) * math.Log(2*math.Pi)
	for i := 0; i < n; i++ {
		ss := 0.0
		for j := 0; j < d; j++ {
			v := rng.NormFloat64()
			z.Data[i*d+j] = T(v)
			ss += v * v
		}
		base.Data[i] = T(c - 0.5*ss)
	}
	l, s := a.factor(t)
	x = autodiff.Add(t.Param(a.Mu), autodiff.MatMul(t.Const(z), false, l, true))
	logq = autodiff.Sub(t.Const(base), autodiff.Sum(s))
	return x, logq, nil
}

// LogProb records log q of the rows of x, solving Lz = x − μ by forward
// substitution on the tape.
func (a *Affine[T]) LogProb(t *autodiff.Tape[T], x *autodiff.Var[T]) (*autodiff.Var[T], error) {
	d := a.d
	if x.Cols() != d {
		return nil, fmt.Errorf("gen: affine sampler has dimension %d, the points %d", d, x.Cols())
	}
	n := x.Rows()
	l, s := a.factor(t)
	lt := autodiff.Transpose(l)
	r := autodiff.Sub(x, t.Param(a.Mu))
	zs := make([]*autodiff.Var[T], 0, d)
	for j := 0; j < d; j++ {
		rj := autodiff.SliceCols(r, j, j+1)
		if j > 0 {
			// Σ_{k<j} z_k L_jk: the first j columns of z times L[j, :j]ᵀ.
			prev := autodiff.ConcatCols(append(append([]*autodiff.Var[T](nil), zs...), t.Const(tensor.New[T](n, d-j)))...)
			rj = autodiff.Sub(rj, autodiff.MatMul(prev, false, autodiff.SliceCols(lt, j, j+1), false))
		}
		ljj := autodiff.Exp(autodiff.SliceCols(s, j, j+1))
		zs = append(zs, autodiff.Div(rj, ljj))
	}
	z := zs[0]
	if d > 1 {
		z = autodiff.ConcatCols(zs...)
	}
	c := -0.5 * float64(d) * math.Log(2*math.Pi)
	lq := autodiff.Sub(autodiff.AddScalar(autodiff.Scale(autodiff.SumCols(autodiff.Square(z)), -0.5), c), autodiff.Sum(s))
	return lq, nil
}
