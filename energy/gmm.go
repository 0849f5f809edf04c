package energy

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// GMM is a Gaussian mixture as an energy, normalized:
//
//	E(x) = −log Σₖ wₖ N(x; μₖ, Σₖ),    LogZ = 0,
//
// evaluated with a stable log-sum-exp over lₖ = log wₖ − ½ log det(2πΣₖ) −
// ½(x − μₖ)ᵀΣₖ⁻¹(x − μₖ), so points far in the tails give finite energies and
// gradients. The gradient is
//
//	∇E(x) = Σₖ rₖ(x) Σₖ⁻¹(x − μₖ),    rₖ = exp(lₖ − logsumexp(l))
//
// (rₖ are the responsibilities). Smoothed(σ) is the exact mixture with
// covariances Σₖ + σ²I; Sample draws exact samples; Mean and Cov are those of the
// mixture. A GMM is immutable and safe for concurrent use; Energy and EnergyGrad
// allocate nothing once warm.
type GMM struct {
	d     int
	w     []float64 // normalized weights
	logc  []float64 // log wₖ − LogZₖ
	comps []*Gaussian
	cum   []float64 // cumulative weights, for sampling
}

// NewMixture returns the mixture Σₖ wₖ·comps[k]. The weights must be finite and
// positive; they are normalized to sum to 1. The components must share one
// dimension. It is the general constructor behind NewGMM and NewIsoGMM (use it
// for diagonal components, built with NewDiagGaussian).
func NewMixture(weights []float64, comps []*Gaussian) (*GMM, error) {
	k := len(weights)
	if k == 0 {
		return nil, errors.New("energy: GMM: no components")
	}
	if len(comps) != k {
		return nil, fmt.Errorf("energy: GMM: %d weights but %d components", k, len(comps))
	}
	sum := 0.0
	for i, w := range weights {
		if !(w > 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("energy: GMM: weight[%d] = %v, want finite and > 0", i, w)
		}
		sum += w
	}
	if math.IsInf(sum, 0) {
		return nil, errors.New("energy: GMM: weights overflow")
	}
	for i, c := range comps {
		if c == nil {
			return nil, fmt.Errorf("energy: GMM: component %d is nil", i)
		}
		if c.d != comps[0].d {
			return nil, fmt.Errorf("energy: GMM: component %d has dimension %d, component 0 has %d", i, c.d, comps[0].d)
		}
	}
	m := &GMM{
		d:     comps[0].d,
		w:     make([]float64, k),
		logc:  make([]float64, k),
		comps: append([]*Gaussian(nil), comps...),
		cum:   make([]float64, k),
	}
	acc := 0.0
	for i, w := range weights {
		m.w[i] = w / sum
		m.logc[i] = math.Log(m.w[i]) - comps[i].logZ
		acc += m.w[i]
		m.cum[i] = acc
	}
	m.cum[k-1] = 1
	return m, nil
}

// NewGMM returns the mixture of N(means[k], covs[k]) with the given weights
// (normalized to sum to 1). Errors: length mismatches, non-positive weights, and
// every error of NewGaussian (wrapped with the component's index).
func NewGMM(weights []float64, means [][]float64, covs []*mat.SymDense) (*GMM, error) {
	if len(means) != len(weights) || len(covs) != len(weights) {
		return nil, fmt.Errorf("energy: GMM: %d weights, %d means, %d covariances", len(weights), len(means), len(covs))
	}
	comps := make([]*Gaussian, len(means))
	for k := range means {
		c, err := NewGaussian(means[k], covs[k])
		if err != nil {
			return nil, fmt.Errorf("energy: GMM component %d: %w", k, err)
		}
		comps[k] = c
	}
	return NewMixture(weights, comps)
}

// NewIsoGMM returns the mixture of isotropic N(means[k], stds[k]²·I) with the
// given weights (normalized to sum to 1). Errors: length or dimension mismatches,
// non-positive weights, stds not finite and positive.
func NewIsoGMM(weights []float64, means [][]float64, stds []float64) (*GMM, error) {
	if len(means) != len(weights) || len(stds) != len(weights) {
		return nil, fmt.Errorf("energy: GMM: %d weights, %d means, %d stds", len(weights), len(means), len(stds))
	}
	comps := make([]*Gaussian, len(means))
	for k := range means {
		c, err := NewIsoGaussian(means[k], stds[k])
		if err != nil {
			return nil, fmt.Errorf("energy: GMM component %d: %w", k, err)
		}
		comps[k] = c
	}
	return NewMixture(weights, comps)
}

// EightGaussians returns the exact density of FFJORD's "8gaussians" toy data:
// eight equal-weight isotropic components with centres (4/1.414)·(cos, sin)(kπ/4),
// k = 0..7, and standard deviation 0.5/1.414 (FFJORD draws centre + 0.5·N(0, I)
// and divides by 1.414). Its entropy, the best achievable NLL, is 2.8319 nats
// (fine-grid quadrature; the design notes' "2.835" is that number rounded up).
func EightGaussians() *GMM {
	const scale = 1.414
	w := make([]float64, 8)
	means := make([][]float64, 8)
	stds := make([]float64, 8)
	for k := range means {
		a := float64(k) * math.Pi / 4
		means[k] = []float64{4 / scale * math.Cos(a), 4 / scale * math.Sin(a)}
		w[k] = 1
		stds[k] = 0.5 / scale
	}
	m, err := NewIsoGMM(w, means, stds)
	if err != nil {
		panic(err)
	}
	return m
}

// NCSNGMM returns the 2-D mixture of the NCSN paper's toy experiment:
// 0.8·N((5, 5), I) + 0.2·N((−5, −5), I).
func NCSNGMM() *GMM {
	m, err := NewIsoGMM([]float64{0.8, 0.2}, [][]float64{{5, 5}, {-5, -5}}, []float64{1, 1})
	if err != nil {
		panic(err)
	}
	return m
}

// Dim returns d.
func (m *GMM) Dim() int { return m.d }

// LogZ returns 0: the mixture is normalized.
func (m *GMM) LogZ() float64 { return 0 }

// NumComponents returns the number of components.
func (m *GMM) NumComponents() int { return len(m.comps) }

// Weights returns a copy of the normalized weights.
func (m *GMM) Weights() []float64 { return append([]float64(nil), m.w...) }

// Component returns component k (immutable; shared, not copied).
func (m *GMM) Component(k int) *Gaussian { return m.comps[k] }

// point returns E(x) and writes ∇E(x) into g; v and diff are scratch of length d.
func (m *GMM) point(x, g, v, diff []float64) float64 {
	g = g[:m.d]
	var mx, s float64
	for k, c := range m.comps {
		l := m.logc[k] - 0.5*c.quadGrad(x, v, diff)
		switch {
		case k == 0:
			copy(g, v)
			mx, s = l, 1
		case l > mx: // new maximum: rescale what has been accumulated
			r := math.Exp(mx - l)
			s = s*r + 1
			for j := range g {
				g[j] = g[j]*r + v[j]
			}
			mx = l
		default:
			r := math.Exp(l - mx)
			s += r
			for j := range g {
				g[j] += r * v[j]
			}
		}
	}
	inv := 1 / s
	for j := range g {
		g[j] *= inv
	}
	return -(mx + math.Log(s))
}

// Energy writes −log Σₖ wₖN(x_i; μₖ, Σₖ) into e[i]. It gives bit-for-bit the
// energies of EnergyGrad.
func (m *GMM) Energy(x *tensor.Dense[float64], e []float64) {
	mustBatch("GMM.Energy", m.d, x, e, nil, false)
	d := m.d
	buf := getScratch(3 * d)
	g, v, diff := buf.buf[:d], buf.buf[d:2*d], buf.buf[2*d:]
	for i := range e {
		e[i] = m.point(x.Data[i*d:(i+1)*d], g, v, diff)
	}
	putScratch(buf)
}

// EnergyGrad writes the energies into e and the gradients into g.
func (m *GMM) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	mustBatch("GMM.EnergyGrad", m.d, x, e, g, true)
	d := m.d
	buf := getScratch(2 * d)
	v, diff := buf.buf[:d], buf.buf[d:]
	for i := range e {
		e[i] = m.point(x.Data[i*d:(i+1)*d], g.Data[i*d:(i+1)*d], v, diff)
	}
	putScratch(buf)
}

// Mean returns Σₖ wₖμₖ.
func (m *GMM) Mean() []float64 {
	mu := make([]float64, m.d)
	for k, c := range m.comps {
		for j := range mu {
			mu[j] += m.w[k] * c.mean[j]
		}
	}
	return mu
}

// Cov returns the mixture covariance Σₖ wₖ(Σₖ + (μₖ − μ)(μₖ − μ)ᵀ).
func (m *GMM) Cov() *mat.SymDense {
	mu := m.Mean()
	out := mat.NewSymDense(m.d, nil)
	for k, c := range m.comps {
		for i := 0; i < m.d; i++ {
			for j := i; j < m.d; j++ {
				v := c.covAt(i, j) + (c.mean[i]-mu[i])*(c.mean[j]-mu[j])
				out.SetSym(i, j, out.At(i, j)+m.w[k]*v)
			}
		}
	}
	return out
}

// Sample returns n exact samples: a component drawn by weight, then a sample of
// that Gaussian.
func (m *GMM) Sample(n int, rng *rand.Rand) *tensor.Dense[float64] {
	out := tensor.New[float64](n, m.d)
	for i := 0; i < n; i++ {
		k := sort.SearchFloat64s(m.cum, rng.Float64())
		if k >= len(m.comps) {
			k = len(m.comps) - 1
		}
		m.comps[k].sampleInto(out.Row(i), rng)
	}
	return out
}

// Smoothed returns the exact smoothed mixture, components N(μₖ, Σₖ + σ²I) with the
// same weights; σ = 0 returns m. It panics if σ is negative or not finite.
func (m *GMM) Smoothed(sigma float64) GradEnergy {
	checkSigma("GMM", sigma)
	if sigma == 0 {
		return m
	}
	comps := make([]*Gaussian, len(m.comps))
	for k, c := range m.comps {
		comps[k] = c.smoothed(sigma)
	}
	out, err := NewMixture(m.w, comps)
	if err != nil {
		panic(err) // unreachable: m's weights and dimensions are valid
	}
	return out
}
