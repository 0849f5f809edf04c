package anomaly

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// whitener maps standardized rows z to u = (z − Mean)·W, where W = L⁻ᵀ for
// the Cholesky factor L of the Ledoit–Wolf shrunk covariance Σ = LLᵀ, so that
// ½‖u‖² = ½(z − Mean)ᵀΣ⁻¹(z − Mean), the energy of the Gaussian N(Mean, Σ).
type whitener struct {
	Mean      []float64
	W         *mat.Dense // d×d
	Shrinkage float64    // the Ledoit–Wolf coefficient used
}

// minVar floors the shrunk covariance's diagonal (in standardized units), so
// that a column that is constant in the training data still has a finite
// precision: a new row that differs there scores high, not infinite.
const minVar = 1e-3

// fitWhitener fits the Gaussian of the n×d rows z (row-major). shrink < 0
// selects the Ledoit–Wolf coefficient (the formula of Ledoit & Wolf 2004, as
// scikit-learn's ledoit_wolf computes it), otherwise Σ = (1 − shrink)·S +
// shrink·(tr S/d)·I for the empirical covariance S.
func fitWhitener(z []float64, n, d int, shrink float64) (*whitener, error) {
	if n < 2 {
		return nil, errors.New("anomaly: need at least 2 rows to fit a covariance")
	}
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			mean[j] += z[i*d+j]
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	xc := mat.NewDense(n, d, nil)
	x2 := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			v := z[i*d+j] - mean[j]
			xc.Set(i, j, v)
			x2.Set(i, j, v*v)
		}
	}
	var S mat.Dense
	S.Mul(xc.T(), xc)
	S.Scale(1/float64(n), &S)
	tr := 0.0
	for j := 0; j < d; j++ {
		tr += S.At(j, j)
	}
	mu := tr / float64(d)
	if shrink < 0 {
		shrink = ledoitWolf(&S, x2, n, d, mu)
	}
	if shrink > 1 {
		shrink = 1
	}
	if !(mu > 0) {
		mu = 1
	}
	sym := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			v := (1 - shrink) * S.At(i, j)
			if i == j {
				v += shrink * mu
				if v < minVar {
					v = minVar
				}
			}
			sym.SetSym(i, j, v)
		}
	}
	var ch mat.Cholesky
	if ok := ch.Factorize(sym); !ok {
		// Add a ridge and retry: the floor above makes this rare.
		for i := 0; i < d; i++ {
			sym.SetSym(i, i, sym.At(i, i)+1e-6*mu+minVar)
		}
		if ok := ch.Factorize(sym); !ok {
			return nil, fmt.Errorf("anomaly: the %d×%d covariance is not positive definite", d, d)
		}
	}
	var L mat.TriDense
	ch.LTo(&L)
	var Linv mat.TriDense
	if err := Linv.InverseTri(&L); err != nil {
		return nil, fmt.Errorf("anomaly: inverting the covariance factor: %w", err)
	}
	W := mat.DenseCopyOf(Linv.T())
	return &whitener{Mean: mean, W: W, Shrinkage: shrink}, nil
}

// ledoitWolf returns the Ledoit–Wolf shrinkage coefficient of the centred rows
// (x2 holds their squares) with empirical covariance S and mean variance mu.
func ledoitWolf(S *mat.Dense, x2 *mat.Dense, n, d int, mu float64) float64 {
	var b mat.Dense
	b.Mul(x2.T(), x2)
	beta0 := mat.Sum(&b)
	delta0 := 0.0
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			v := S.At(i, j)
			delta0 += v * v
		}
	}
	nf, df := float64(n), float64(d)
	beta := (beta0/nf - delta0) / (df * nf)
	delta := (delta0 - 2*mu*mu*df + df*mu*mu) / df
	if beta > delta {
		beta = delta
	}
	if beta <= 0 || delta <= 0 {
		return 0
	}
	return beta / delta
}
