package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/tensor"
)

// Adversarial is adversarial training of an energy against a sampler network
// q (Kumar et al. 2019, Grathwohl et al. 2021): the minimax problem
//
//	max over E, min over q of  E_q[E(x)] − E_data[E(x)] − H(q)
//
// whose inner optimum for a fixed E is q ∝ exp(−E), so the energy's
// gradient E_data[∇θE] − E_q[∇θE] is the maximum-likelihood gradient with
// negatives from q instead of MCMC. Every iteration the energy takes one step
// on
//
//	mean E(x⁺) − mean E(x⁻) + α·mean(E(x⁺)² + E(x⁻)²)
//
// with x⁻ drawn from q (held fixed; optionally moved by Refine's short MCMC
// run, off by default; with Importance the mean over x⁻ becomes a weighted
// sum, see importanceLoss), then the sampler one step on
//
//	mean E(x) − H(q),  x ~ q reparameterized,
//
// with −H(q) from the sampler: mean log q(x) for a flow (FlowEntropy; exact
// and unbiased), or an estimated gradient for the noisy sampler of package
// gen (consistent, see gen.Noisy).
type Adversarial[T tensor.Float] struct {
	Sampler EntropySampler[T]
	// Alpha weighs the E² regularizer of the energy's loss (0: none).
	Alpha float64
	// Refine, if it has Steps > 0, moves the sampler's draws by that many
	// MCMC steps on the energy before the energy's step (the sampler's own
	// step uses its unrefined draws).
	Refine NegSampler
	// SamplerLR is the sampler's learning rate as a multiple of the energy's
	// (0: 1).
	SamplerLR float64
	// Box, if positive, confines the sampler to (−Box, Box)^d: its draws x
	// are mapped to y = Box·tanh(x/Box), and the entropy of y is that of x
	// plus E[Σⱼ log(1 − tanh²(xⱼ/Box))] (the change of variables, exact and
	// recorded on the tape). Without it an energy that is flat far from the
	// data (a SiLU network's often is) lets exp(−E) put unbounded mass far
	// away and the sampler's entropy term drives its draws there.
	Box float64
	// SamplerSteps is the number of sampler updates per energy update
	// (0: 1).
	SamplerSteps int
	// EnergyLR is the energy's learning rate as a multiple of the trainer's
	// (0: 1); SamplerLR stays relative to the energy's.
	EnergyLR float64
	// Importance, for a DensitySampler (a flow: exact log q; the noisy
	// sampler: an unbiased importance-sampling estimate of q), weighs the
	// negatives of the energy's step by self-normalized importance weights
	// wᵢ ∝ exp(−E(xᵢ) − log q(xᵢ)) (treated as constants), so that
	// Σᵢ wᵢ∇θE(xᵢ) is a consistent estimate of E_{p_θ}[∇θE] however far q
	// is from p_θ ∝ exp(−E): the bias of the plain game, whose negative
	// phase is E_q[∇θE], goes away as the batch grows. The weights'
	// effective sample size is reported as "ess".
	Importance bool
	refine     FromData
}

// NewAdversarial returns adversarial training against q with the defaults of
// ParseEstimator("adv"): importance weights for a sampler that gives the
// density of its draws (a DensitySampler: a flow, the noisy sampler), none
// for other samplers, and α and the energy's rate from advDefaults.
func NewAdversarial[T tensor.Float](q EntropySampler[T]) *Adversarial[T] {
	d := estimatorDefs["adv"]
	_, density := q.(DensitySampler)
	alpha, elr := advDefaults(density)
	return &Adversarial[T]{Sampler: q, Importance: density, Alpha: alpha, EnergyLR: elr, SamplerLR: d.float("sampler_lr"), Box: d.float("box")}
}

// advDefaults returns the default weight of the E² regularizer and the
// energy's learning-rate factor: α = 0.01 and 2 with importance weights,
// α = 0.1 and 1 without. Measured on 8gaussians over seeds 0–5
// (BENCHMARKS.md): with importance weights (the flow sampler; the noisy
// sampler with 200 latent draws per density estimate), α = 0.01 and twice
// the rate fit best (the weights remove the bias of a lagging sampler, so
// the energy can move faster); without them α = 0.01 lets the noisy
// sampler's game diverge (grid NLL 5–11) and twice the rate is worse.
func advDefaults(importance bool) (alpha, energyLR float64) {
	if importance {
		return 0.01, 2
	}
	return 0.1, 1
}

// Name returns "adv".
func (a *Adversarial[T]) Name() string { return "adv" }

// SamplerParams returns the sampler's parameters.
func (a *Adversarial[T]) SamplerParams() []*autodiff.Param[T] { return a.Sampler.Params() }

// SamplerLRFactor returns SamplerLR (0: 1).
func (a *Adversarial[T]) SamplerLRFactor() float64 { return a.SamplerLR }

// EnergyLRFactor returns EnergyLR (0: 1).
func (a *Adversarial[T]) EnergyLRFactor() float64 {
	if a.EnergyLR > 0 {
		return a.EnergyLR
	}
	return 1
}

// SamplerStepsPerIter returns SamplerSteps (at least 1).
func (a *Adversarial[T]) SamplerStepsPerIter() int { return max(a.SamplerSteps, 1) }

// Bind checks the sampler's dimension.
func (a *Adversarial[T]) Bind(d int) error {
	if a.Sampler == nil {
		return errors.New("no sampler")
	}
	if a.Sampler.Dim() != d {
		return fmt.Errorf("the sampler has dimension %d, the data %d", a.Sampler.Dim(), d)
	}
	return nil
}

func (a *Adversarial[T]) check(x *tensor.Dense[float64]) error {
	if a.Sampler == nil {
		return errors.New("adv: no sampler")
	}
	if a.Sampler.Dim() != x.Cols {
		return fmt.Errorf("adv: the sampler has dimension %d, the data %d", a.Sampler.Dim(), x.Cols)
	}
	return nil
}

// Loss draws negatives from the sampler (refined if Refine is set) and
// records the energy's loss.
func (a *Adversarial[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	if err := a.check(x); err != nil {
		return nil, Stats{}, err
	}
	if a.Importance {
		return a.importanceLoss(t, m, x, rng)
	}
	neg, err := a.Sampler.DrawPoints(x.Rows, rng)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("adv: %w", err)
	}
	if b := a.Box; b > 0 {
		for i, v := range neg.Data {
			neg.Data[i] = b * math.Tanh(v/b)
		}
	}
	var extra map[string]float64
	if a.Refine.Steps > 0 {
		a.refine.Sampler = a.Refine
		if neg, extra, err = a.refine.Draw(m, neg, rng); err != nil {
			return nil, Stats{}, err
		}
	}
	loss, st := mlLoss(t, m, x, neg, a.Alpha)
	st.Extra = extra
	return loss, st, nil
}

// DensitySampler is a sampler that gives the log density of its draws: exact
// for a flow (FlowEntropy), estimated for the noisy sampler of package gen.
type DensitySampler interface {
	// DrawPointsLogQ returns n draws as float64 rows and log q of each.
	DrawPointsLogQ(n int, rng *rand.Rand) (*tensor.Dense[float64], []float64, error)
}

// importanceLoss is the energy's loss with self-normalized importance
// weights on the negatives (see Importance):
//
//	mean E(x⁺) − Σᵢ wᵢE(xᵢ⁻) + α·(mean E(x⁺)² + Σᵢ wᵢE(xᵢ⁻)²),
//	wᵢ = softmax(−E(xᵢ⁻) − log q(xᵢ⁻)),
//
// with log q of the boxed draws y = b·tanh(x/b) given by the change of
// variables, log q(y) = log q(x) − Σⱼ log sech²(xⱼ/b).
func (a *Adversarial[T]) importanceLoss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	ds, ok := a.Sampler.(DensitySampler)
	if !ok {
		return nil, Stats{}, fmt.Errorf("adv: importance weights need a sampler that gives log q of its draws (%T does not)", a.Sampler)
	}
	if a.Refine.Steps > 0 {
		return nil, Stats{}, errors.New("adv: importance weights and MCMC refinement exclude each other (refined draws have no known density)")
	}
	n, d := x.Rows, x.Cols
	neg, logq, err := ds.DrawPointsLogQ(n, rng)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("adv: %w", err)
	}
	if b := a.Box; b > 0 {
		for i := 0; i < n; i++ {
			for j := 0; j < d; j++ {
				u := neg.Data[i*d+j] / b
				logq[i] -= flow.LogSech2Float(u)
				neg.Data[i*d+j] = b * math.Tanh(u)
			}
		}
	}
	ep := m.Build(t, t.Input(x, false))
	en := m.Build(t, t.Input(neg, false))
	lw := make([]float64, n)
	mx := math.Inf(-1)
	for i := range lw {
		lw[i] = -float64(en.Value.Data[i]) - logq[i]
		mx = max(mx, lw[i])
	}
	if math.IsNaN(mx) || math.IsInf(mx, 0) {
		// A diverged energy or sampler: a NaN loss, which the trainer
		// rolls back.
		return autodiff.Scale(autodiff.Mean(ep), math.NaN()), Stats{EPos: meanOf(ep), ENeg: math.NaN()}, nil
	}
	var sum, sum2 float64
	w := tensor.New[float64](n, 1)
	for i, v := range lw {
		w.Data[i] = math.Exp(v - mx)
		sum += w.Data[i]
	}
	for i := range w.Data {
		w.Data[i] /= sum
		sum2 += w.Data[i] * w.Data[i]
	}
	wv := t.Input(w, false)
	negMean := autodiff.Sum(autodiff.Mul(en, wv))
	loss := autodiff.Sub(autodiff.Mean(ep), negMean)
	if a.Alpha > 0 {
		reg := autodiff.Add(autodiff.Mean(autodiff.Square(ep)), autodiff.Sum(autodiff.Mul(autodiff.Square(en), wv)))
		loss = autodiff.Add(loss, autodiff.Scale(reg, a.Alpha))
	}
	return loss, Stats{EPos: meanOf(ep), ENeg: meanOf(en), Extra: map[string]float64{"ess": 1 / sum2}}, nil
}

// SamplerLoss records mean E(x) − H(q) over reparameterized draws x ~ q.
func (a *Adversarial[T]) SamplerLoss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	if err := a.check(x); err != nil {
		return nil, Stats{}, err
	}
	xq, negH, exact, err := a.Sampler.DrawNegEntropy(t, x.Rows, rng)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("adv: %w", err)
	}
	if b := a.Box; b > 0 {
		// y = b·tanh(u), u = x/b; log|dy/dx| = log sech²(u)
		// = 2 log 2 − 2|u| − 2 softplus(−2|u|), stable for any u.
		u := autodiff.Scale(xq, 1/b)
		negH = autodiff.Sub(negH, autodiff.Scale(autodiff.Sum(flow.LogSech2(u)), 1/float64(xq.Rows())))
		xq = autodiff.Scale(autodiff.Tanh(u), b)
	}
	e := m.Build(t, xq)
	// The sampler sees no data: both mean energies are those of its draws.
	st := Stats{EPos: meanOf(e), ENeg: meanOf(e)}
	if exact {
		st.Extra = map[string]float64{"entropy": -negH.Item()}
	}
	return autodiff.Add(autodiff.Mean(e), negH), st, nil
}
