package rbm

import (
	"errors"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
)

// errPLGaussian is returned by the pseudo-likelihoods of Gaussian RBMs.
var errPLGaussian = errors.New("rbm: the pseudo-likelihood here is defined for Bernoulli visible units only (use ExactLogLik for Gaussian ones)")

// PseudoLogLik returns the exact pseudo-log-likelihood of every row v of x (binary
// data, Bernoulli units):
//
//	PL(v) = Σᵢ log p(vᵢ | v₋ᵢ) = Σᵢ log σ(F(ṽ⁽ⁱ⁾) − F(v)),
//
// where ṽ⁽ⁱ⁾ is v with unit i flipped: all NumVisible flips, summed (divide by
// NumVisible for the per-dimension figure). It is deterministic, unlike
// PseudoLogLikOneFlip. Computed in float64, split over the cores.
func (r *RBM) PseudoLogLik(x *tensor.Dense[float32]) ([]float64, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Visible != Bernoulli {
		return nil, errPLGaussian
	}
	if err := r.CheckData(x, false); err != nil {
		return nil, err
	}
	p := r.params64()
	nv, nh := p.nv, p.nh
	pre := p.hiddenInput64(x) // c + vW
	// e^{±W}: the factor by which e^{xⱼ} changes when unit i turns on (+) or off (−).
	ePlus, eMinus := make([]float64, nv*nh), make([]float64, nv*nh)
	big := false
	for i, w := range p.w.Data {
		ePlus[i], eMinus[i] = math.Exp(w), math.Exp(-w)
		big = big || math.Abs(w) > 300
	}
	out := make([]float64, x.Rows)
	tensor.ParallelFor(x.Rows, max(1, 2048/(nv*nh/64+1)), func(lo, hi int) {
		a, b, ic := make([]float64, nh), make([]float64, nh), make([]float64, nh)
		for n := lo; n < hi; n++ {
			xs := pre.Row(n)
			v := x.Row(n)
			// softplus(xⱼ + δ) − softplus(xⱼ) = log((Aⱼ + Bⱼe^δ)/Cⱼ) with A, B ≤ 1.
			for j, xj := range xs {
				if xj >= 0 {
					a[j], b[j] = math.Exp(-xj), 1
				} else {
					a[j], b[j] = 1, math.Exp(xj)
				}
				ic[j] = 1 / (a[j] + b[j])
			}
			total := 0.0
			for i := 0; i < nv; i++ {
				s, e := 1.0, ePlus[i*nh:(i+1)*nh]
				if v[i] != 0 {
					s, e = -1, eMinus[i*nh:(i+1)*nh]
				}
				var delta float64 // Σⱼ softplus(xⱼ + sWᵢⱼ) − softplus(xⱼ)
				if big {
					for j, xj := range xs {
						delta += softplus(xj+s*p.w.Data[i*nh+j]) - softplus(xj)
					}
				} else {
					prod := 1.0
					for j := range xs {
						prod *= (a[j] + b[j]*e[j]) * ic[j]
						if prod > 1e250 || prod < 1e-250 {
							delta += math.Log(prod)
							prod = 1
						}
					}
					delta += math.Log(prod)
				}
				dF := -s*p.b[i] - delta // F(ṽ) − F(v)
				total += logSigmoid(dF)
			}
			out[n] = total
		}
	})
	return out, nil
}

// PseudoLogLikOneFlip returns scikit-learn's stochastic pseudo-likelihood
// estimate (BernoulliRBM.score_samples) for every row v of x:
//
//	NumVisible · log σ(F(ṽ) − F(v)),
//
// with ṽ equal to v with ONE unit, chosen uniformly with the given seed, flipped.
// Its mean over examples is an unbiased but noisy estimate of the mean
// PseudoLogLik; prefer the exact one.
func (r *RBM) PseudoLogLikOneFlip(x *tensor.Dense[float32], seed uint64) ([]float64, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Visible != Bernoulli {
		return nil, errPLGaussian
	}
	if err := r.CheckData(x, false); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0xf11b))
	flipped := x.Clone()
	for n := 0; n < x.Rows; n++ {
		i := rng.IntN(x.Cols)
		flipped.Data[n*x.Cols+i] = 1 - flipped.Data[n*x.Cols+i]
	}
	p := r.params64()
	f := p.freeEnergy64(x, nil)
	ff := p.freeEnergy64(flipped, nil)
	nv := float64(x.Cols)
	for n := range f {
		f[n] = nv * logSigmoid(ff[n]-f[n])
	}
	return f, nil
}
