package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// NoiseDist is a noise distribution for NCE: an energy whose normalizing
// constant is known and that can be sampled exactly.
type NoiseDist interface {
	energy.Energy
	energy.Normalized
	Sample(n int, rng *rand.Rand) *tensor.Dense[float64]
}

// NCE is noise-contrastive estimation (Gutmann & Hyvärinen 2010). The model's
// log density is log p(x) = −E(x) − c with c a learned estimate of log Z; with
// ν noise points y ~ q per data point and G(u) = log p(u) − log ν q(u), it
// minimizes −[Σ log σ(G(x)) + Σ log σ(−G(y))]/n. At the optimum p is the data
// density and c the true log Z of exp(−E).
//
// Noise defaults to a Gaussian with the mean and covariance of the first data
// batch it sees (call FitNoise to fit it to a whole data set instead).
type NCE[T tensor.Float] struct {
	Noise NoiseDist
	Ratio float64 // ν > 0 (default 1)
	LogZ  *autodiff.Param[T]
	eq    []float64
}

// NewNCE returns an NCE estimator with noise ratio nu (≤ 0 means 1) and noise q
// (nil: fit a Gaussian on the first batch).
func NewNCE[T tensor.Float](q NoiseDist, nu float64) *NCE[T] {
	if nu <= 0 {
		nu = 1
	}
	return &NCE[T]{Noise: q, Ratio: nu, LogZ: autodiff.NewParam("nce.logz", tensor.New[T](1, 1))}
}

// Name returns "nce".
func (e *NCE[T]) Name() string { return "nce" }

// ExtraParams returns the learned log Z.
func (e *NCE[T]) ExtraParams() []*autodiff.Param[T] { return []*autodiff.Param[T]{e.LogZ} }

// FitNoise sets the noise to a Gaussian with x's mean and covariance (plus a
// small ridge so it is positive definite).
func (e *NCE[T]) FitNoise(x *tensor.Dense[float64]) error {
	g, err := FitGaussian(x)
	if err != nil {
		return err
	}
	e.Noise = g
	return nil
}

// FitGaussian returns the Gaussian with the sample mean and covariance of x
// (with 1e-6 added to the diagonal).
func FitGaussian(x *tensor.Dense[float64]) (*energy.Gaussian, error) {
	n, d := x.Rows, x.Cols
	if n < 2 {
		return nil, fmt.Errorf("fitting a Gaussian needs at least 2 points, got %d", n)
	}
	mu := make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range x.Row(i) {
			mu[j] += v / float64(n)
		}
	}
	cov := mat.NewSymDense(d, nil)
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			s := 0.0
			for i := 0; i < n; i++ {
				r := x.Row(i)
				s += (r[a] - mu[a]) * (r[b] - mu[b])
			}
			v := s / float64(n-1)
			if a == b {
				v += 1e-6
			}
			cov.SetSym(a, b, v)
		}
	}
	return energy.NewGaussian(mu, cov)
}

// LogZValue returns the current estimate c of log Z.
func (e *NCE[T]) LogZValue() float64 { return float64(e.LogZ.Value.Data[0]) }

// Loss records the NCE loss of the batch.
func (e *NCE[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	if e.Noise == nil {
		if err := e.FitNoise(x); err != nil {
			return nil, Stats{}, fmt.Errorf("nce: %w", err)
		}
	}
	if e.Noise.Dim() != x.Cols {
		return nil, Stats{}, fmt.Errorf("nce: noise has dimension %d, data %d", e.Noise.Dim(), x.Cols)
	}
	n := x.Rows
	nn := int(math.Round(e.Ratio * float64(n)))
	if nn < 1 {
		nn = 1
	}
	y := e.Noise.Sample(nn, rng)
	logNu := math.Log(float64(nn) / float64(n))
	// log ν q(u) for data and noise points, as constants.
	lqx := e.logNuQ(x, logNu)
	lqy := e.logNuQ(y, logNu)
	c := t.Param(e.LogZ)
	ex := m.Build(t, t.Input(x, false))
	ey := m.Build(t, t.Input(y, false))
	// G = −E − c − log νq
	gx := autodiff.Sub(autodiff.Neg(autodiff.Add(ex, c)), t.Const(lqx))
	gy := autodiff.Sub(autodiff.Neg(autodiff.Add(ey, c)), t.Const(lqy))
	// −log σ(G) = softplus(−G); −log σ(−G) = softplus(G)
	loss := autodiff.Add(autodiff.Sum(autodiff.Softplus(autodiff.Neg(gx))), autodiff.Sum(autodiff.Softplus(gy)))
	loss = autodiff.Scale(loss, 1/float64(n))
	return loss, Stats{EPos: meanOf(ex), ENeg: meanOf(ey), Extra: map[string]float64{"logz": e.LogZValue()}}, nil
}

// logNuQ returns log ν + log q(u) for each row u as an n×1 matrix.
func (e *NCE[T]) logNuQ(u *tensor.Dense[float64], logNu float64) *tensor.Dense[T] {
	if cap(e.eq) < u.Rows {
		e.eq = make([]float64, u.Rows)
	}
	eq := e.eq[:u.Rows]
	e.Noise.Energy(u, eq)
	out := tensor.New[T](u.Rows, 1)
	lz := e.Noise.LogZ()
	for i, v := range eq {
		out.Data[i] = T(logNu - v - lz)
	}
	return out
}
