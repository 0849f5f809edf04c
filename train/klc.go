package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// Contraction is a noisy channel Φ with density φ(y | x): applied to two
// distributions it can only shrink their KL divergence, D(Φp‖Φq) ≤ D(p‖q).
// Minimum KL contraction needs two things of it: draws y ~ φ(·|x), and the
// energy of the posterior q(x | y) ∝ exp(−E(x)) φ(y | x) to sample from.
type Contraction interface {
	// Corrupt writes a draw y_i ~ φ(·|x_i) into row i of y for every row of x.
	Corrupt(x, y *tensor.Dense[float64], rng *rand.Rand)
	// Posterior returns the energy of q(x | y_i) on row i of a batch:
	// E(x) − log φ(y_i | x) (up to a constant), for a batch of y.Rows rows.
	Posterior(e energy.GradEnergy, y *tensor.Dense[float64]) energy.GradEnergy
}

// GaussianSmoothing is the contraction y = x + σξ, ξ ~ N(0, I), which maps a
// density p to its smoothed version p * N(0, σ²I).
type GaussianSmoothing struct{ Sigma float64 }

// Corrupt adds σξ to every coordinate.
func (g GaussianSmoothing) Corrupt(x, y *tensor.Dense[float64], rng *rand.Rand) {
	for i, v := range x.Data {
		y.Data[i] = v + g.Sigma*rng.NormFloat64()
	}
}

// Posterior returns E(x) + ‖x − y_i‖²/(2σ²) on row i.
func (g GaussianSmoothing) Posterior(e energy.GradEnergy, y *tensor.Dense[float64]) energy.GradEnergy {
	return &smoothPost{e: e, y: y, s2: g.Sigma * g.Sigma}
}

type smoothPost struct {
	e  energy.GradEnergy
	y  *tensor.Dense[float64]
	s2 float64
}

func (p *smoothPost) Dim() int { return p.e.Dim() }

func (p *smoothPost) Energy(x *tensor.Dense[float64], e []float64) {
	p.e.Energy(x, e)
	p.add(x, e, nil)
}

func (p *smoothPost) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	p.e.EnergyGrad(x, e, g)
	p.add(x, e, g)
}

func (p *smoothPost) add(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	if x.Rows != p.y.Rows {
		panic(fmt.Sprintf("train: posterior energy of %d rows evaluated on %d", p.y.Rows, x.Rows))
	}
	d := x.Cols
	for i := range e {
		s := 0.0
		for k := 0; k < d; k++ {
			r := x.Data[i*d+k] - p.y.Data[i*d+k]
			s += r * r
			if g != nil {
				g.Data[i*d+k] += r / p.s2
			}
		}
		e[i] += s / (2 * p.s2)
	}
}

// KLC is minimum KL contraction (Lyu 2011): minimize
//
//	D(p‖q_θ) − D(Φp‖Φq_θ) ≥ 0
//
// for a contraction Φ (equality iff q_θ = p for the channels here). Its
// gradient needs no partition function, since log Z cancels between the two
// divergences:
//
//	∇_θ = E_{x∼p}[∇_θE(x)] − E_{x∼p, y∼φ(·|x), x′∼q_θ(·|y)}[∇_θE(x′)],
//
// with q_θ(x′ | y) ∝ exp(−E(x′)) φ(y | x′) the model's posterior given the
// corrupted point. The loss recorded is the surrogate mean E(x) − mean E(x′)
// with x′ held fixed (as for maximum likelihood); x′ comes from Sampler.Steps
// steps of the sampler on the posterior, started at the clean data point x
// (Start "data", the default: x is an exact posterior draw when q_θ = p, so
// the fixed point is right for any number of steps) or at y (Start "noisy").
//
// With Gaussian smoothing of width σ, de Bruijn's identity gives
// D(p‖q) − D(Φp‖Φq) = ½σ² J(p‖q) + O(σ⁴), J the Fisher divergence
// E_p‖∇log p − ∇log q‖² = 2·L_SM + const: for small σ, KLC/σ² is score
// matching (docs/estimators-stein.md).
type KLC[T tensor.Float] struct {
	Channel Contraction
	Sampler NegSampler
	Start   string // "data" (default) or "noisy"
	cr      chainRNGs
}

// Name returns "klc".
func (k *KLC[T]) Name() string { return "klc" }

// Loss records the surrogate mean E(x) − mean E(x′) of the batch.
func (k *KLC[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	if k.Channel == nil {
		return nil, Stats{}, fmt.Errorf("klc: no contraction")
	}
	if g, ok := k.Channel.(GaussianSmoothing); ok && (!(g.Sigma > 0) || math.IsInf(g.Sigma, 0)) {
		return nil, Stats{}, fmt.Errorf("klc: sigma must be > 0, got %v", g.Sigma)
	}
	if err := k.Sampler.Validate(); err != nil {
		return nil, Stats{}, fmt.Errorf("klc: %w", err)
	}
	y := tensor.New[float64](x.Rows, x.Cols)
	k.Channel.Corrupt(x, y, rng)
	start := x
	switch k.Start {
	case "", "data":
	case "noisy":
		start = y
	default:
		return nil, Stats{}, fmt.Errorf("klc: start %q unknown (valid: data, noisy)", k.Start)
	}
	xp, acc, err := k.Sampler.run(k.Channel.Posterior(m, y), start, &k.cr, rng)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("klc: %w", err)
	}
	ep := m.Build(t, t.Input(x, false))
	en := m.Build(t, t.Input(xp, false))
	loss := autodiff.Sub(autodiff.Mean(ep), autodiff.Mean(en))
	return loss, Stats{EPos: meanOf(ep), ENeg: meanOf(en), Extra: map[string]float64{"accept": acc}}, nil
}
