package rbm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// flip adds to gW (nv×nh), gB and gC, scaled by c, the gradient of the mean
// over the rows v of x of Σᵢ φ(δᵢ(v)), δᵢ = F(v) − F(flipᵢ(v)) with F the free
// energy of a Bernoulli RBM, and returns that mean. With pre = c + vW,
// sᵢ = 1 − 2vᵢ, preⁱ = pre + sᵢWᵢ,
//
//	δᵢ = sᵢbᵢ + Σⱼ softplus(preⁱⱼ) − softplus(preⱼ),
//
// and with wᵢ = φ′(δᵢ), σ = σ(pre), σⁱ = σ(preⁱ), S = Σᵢwᵢ, the derivatives of
// F (∂F/∂b = −v, ∂F/∂c = −σ, ∂F/∂W = −vσᵀ) give
//
//	∂/∂bₖ = wₖsₖ,  ∂/∂cⱼ = gⱼ = Σᵢwᵢσⁱⱼ − Sσⱼ,  ∂/∂Wₖⱼ = vₖgⱼ + wₖsₖσᵏⱼ,
//
// O(nv·nh) per row.
func (p *params64) flip(x *tensor.Dense[float32], phi flipLoss, c float64, gW *tensor.Dense[float64], gB, gC []float64) float64 {
	nv, nh := p.nv, p.nh
	pre := p.hiddenInput64(x)
	sig := make([]float64, nh)
	sigI := tensor.New[float64](nv, nh) // σⁱ for every flip i
	g := make([]float64, nh)
	wts := make([]float64, nv)
	total := 0.0
	sc := c / float64(x.Rows)
	for n := 0; n < x.Rows; n++ {
		v, pr := x.Row(n), pre.Row(n)
		for j, a := range pr {
			sig[j] = 1 / (1 + math.Exp(-a))
		}
		S := 0.0
		for i := 0; i < nv; i++ {
			s := 1 - 2*float64(v[i])
			wr, si := p.w.Row(i), sigI.Row(i)
			delta := s * p.b[i]
			for j, a := range pr {
				ai := a + s*wr[j]
				delta += softplus(ai) - softplus(a)
				si[j] = 1 / (1 + math.Exp(-ai))
			}
			val, d := phi(delta)
			total += val
			wts[i] = d
			S += d
			gB[i] += sc * d * s
		}
		for j := range g {
			g[j] = -S * sig[j]
		}
		for i := 0; i < nv; i++ {
			axpy64(g, wts[i], sigI.Row(i))
		}
		for j, gj := range g {
			gC[j] += sc * gj
		}
		for k := 0; k < nv; k++ {
			gr := gW.Row(k)
			if v[k] != 0 {
				axpy64(gr, sc*float64(v[k]), g)
			}
			axpy64(gr, sc*wts[k]*(1-2*float64(v[k])), sigI.Row(k))
		}
	}
	return total / float64(x.Rows)
}

// axpy64 sets y += a·x.
func axpy64(y []float64, a float64, x []float64) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += a * v
	}
}

// FlipObjective returns the mean over the binary rows of x of the
// minimum-probability-flow objective (mpf true) or of the negative
// pseudo-log-likelihood (mpf false) of a Bernoulli RBM under single-bit-flip
// connectivity, with F the free energy:
//
//	MPF: (1/n) Σₙ Σᵢ exp(½(F(vₙ) − F(flipᵢ vₙ))),  PL: −(1/n) Σₙ Σᵢ log σ(F(flipᵢ vₙ) − F(vₙ)),
//
// and its exact gradient with respect to W, b and c (float64).
func (r *RBM) FlipObjective(x *tensor.Dense[float32], mpf bool) (val float64, gW *tensor.Dense[float64], gB, gC []float64, err error) {
	if err := r.Validate(); err != nil {
		return 0, nil, nil, nil, err
	}
	if r.Visible != Bernoulli {
		return 0, nil, nil, nil, errFlipGaussian
	}
	if err := checkData(x, r.NumVisible(), true, false, "data"); err != nil {
		return 0, nil, nil, nil, err
	}
	if x.Rows == 0 {
		return 0, nil, nil, nil, errors.New("rbm: no data")
	}
	phi := plLoss
	if mpf {
		phi = mpfLoss
	}
	gW = tensor.New[float64](r.NumVisible(), r.NumHidden())
	gB, gC = make([]float64, r.NumVisible()), make([]float64, r.NumHidden())
	val = r.params64().flip(x, phi, 1, gW, gB, gC)
	return val, gW, gB, gC, nil
}

var errFlipGaussian = errors.New("rbm: minimum probability flow and pseudo-likelihood training need Bernoulli visible units")

// flipTrainer is the train.GradObjective of RBM.Fit for MPF and PL: the exact
// gradient of the batch's objective, computed in float64.
type flipTrainer struct {
	r      *RBM
	x      *tensor.Dense[float32]
	phi    flipLoss
	params []*autodiff.Param[float32]
	names  []string
	batch  *tensor.Dense[float32]
	gW     *tensor.Dense[float64]
	gB, gC []float64
}

// Groups returns "weights" and "biases".
func (t *flipTrainer) Groups() []string { return t.names }

// Grads fills the gradients of the batch mean objective for the examples idx;
// Stats.Loss is that mean.
func (t *flipTrainer) Grads(idx []int, _ *rand.Rand) (train.Stats, error) {
	nv := t.r.NumVisible()
	t.batch = tensor.Reuse(t.batch, len(idx), nv)
	for k, i := range idx {
		copy(t.batch.Row(k), t.x.Row(i))
	}
	t.gW.Zero()
	clear(t.gB)
	clear(t.gC)
	loss := t.r.params64().flip(t.batch, t.phi, 1, t.gW, t.gB, t.gC)
	tensor.Convert(t.params[0].Grad, t.gW)
	for i, v := range t.gB {
		t.params[1].Grad.Data[i] = float32(v)
	}
	for j, v := range t.gC {
		t.params[2].Grad.Data[j] = float32(v)
	}
	return train.Stats{Loss: loss}, nil
}

// fitFlip is Fit for MPF and PL: binary data, Bernoulli units, the exact
// gradient of the batch objective on the same train.Loop, groups and batches
// as CD and PCD.
func (r *RBM) fitFlip(ctx context.Context, x *tensor.Dense[float32], cfg Config, onEpoch func(EpochStats) error) (FitResult, error) {
	if r.Visible != Bernoulli {
		return FitResult{}, errFlipGaussian
	}
	if cfg.Fractional {
		return FitResult{}, fmt.Errorf("rbm: %s training needs binary data (not fractional values)", cfg.Method)
	}
	if err := checkData(x, r.NumVisible(), true, false, "training data"); err != nil {
		return FitResult{}, err
	}
	phi := plLoss
	if cfg.Method == MPF {
		phi = mpfLoss
	}
	nv, nh := r.NumVisible(), r.NumHidden()
	t := &flipTrainer{r: r, x: x, phi: phi, params: r.Params(), gW: tensor.New[float64](nv, nh),
		gB: make([]float64, nv), gC: make([]float64, nh)}
	groups, err := sgdGroups(t.params[:1], t.params[1:3], cfg.LR, cfg.Schedule, cfg.Momentum, cfg.WeightDecay)
	if err != nil {
		return FitResult{}, err
	}
	t.names = groupNames(groups)
	run := &fitRun[float32]{groups: groups, obj: t, epochs: cfg.Epochs, seed: cfg.Seed, onBatch: cfg.OnBatch,
		src:      &evenSlices{N: x.Rows, Size: cfg.BatchSize, Shuffle: cfg.Shuffle, Seed: cfg.Seed ^ 0x5a0ff1e},
		endEpoch: onEpoch}
	return run.run(ctx)
}
