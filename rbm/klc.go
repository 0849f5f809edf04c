package rbm

import (
	"errors"
	"fmt"
	"math"
	mbits "math/bits"
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
)

// Minimum KL contraction (Lyu 2011) with the bit-flip channel. The channel Φ_ε
// flips each bit of x ∈ {0,1}^d independently with probability ε:
//
//	T(y | x) = ε^{h(x,y)} (1−ε)^{d−h(x,y)},  h = Hamming distance,
//
// and the objective is the contraction of the KL divergence under it,
//
//	KLC_ε(θ) = D(p‖q_θ) − D(Φp‖Φq_θ) ≥ 0,
//
// zero when q_θ = p (and, for 0 < ε < ½, only then). Written out,
//
//	KLC_ε(θ) = [H(Φp) − H(p)] + E_p[E(x)] + E_{y∼Φp}[log Σₓ exp(−E(x)) T(y|x)],
//
// where log Z cancels between the two divergences. Its gradient needs no log Z:
//
//	∇θ KLC_ε = E_{x∼p}[∇θE(x)] − E_{y∼Φp} E_{x′∼q_θ(·|y)}[∇θE(x′)],
//
// with the posterior q_θ(x′ | y) ∝ exp(−E(x′)) T(y | x′). For an FVBM the
// posterior is again an FVBM, with the biases bⱼ ± L, L = log((1−ε)/ε), (+ when
// yⱼ = 1), so the estimator (FVBMKLC) draws y by flipping the batch and samples
// x′ by k sweeps of single-site Gibbs sampling of the posterior started at y.
//
// Small ε. With Φ_ε = I + εA + O(ε²), A the generator of single flips
// (Ap(y) = Σⱼ p(flipⱼ y) − d·p(y)), differentiating at ε = 0 gives
//
//	lim_{ε→0} KLC_ε/ε = E_{x∼p} Σⱼ [e^{δⱼ(x)} − 1 + δⱼ(x) − δⱼ*(x)],
//
// with δⱼ = E(x) − E(flipⱼ x) = log q(flipⱼ x)/q(x) and δⱼ* the same ratio
// under p (the last term does not depend on θ). In θ this is the single-flip
// objective E_p Σⱼ φ(δⱼ) with φ(δ) = e^δ + δ, of the family of MPF
// (φ = e^{δ/2}) and pseudo-likelihood (φ = softplus(δ)): each φ satisfies
// φ′(δ) = e^δ φ′(−δ), which makes the population gradient vanish at q = p.

// MaxKLCEnumerate is the largest FVBM whose exact KL-contraction objective
// KLCObjective computes (it sums over 4^d pairs of states).
const MaxKLCEnumerate = 10

// klcLimitLoss is φ(δ) = e^δ + δ − 1, φ′(δ) = e^δ + 1: the small-ε limit of
// KLC_ε/ε up to a term free of θ.
func klcLimitLoss(delta float64) (float64, float64) {
	e := math.Exp(delta)
	return e + delta - 1, e + 1
}

// KLCLimitObjective returns the θ-dependent part of lim_{ε→0} KLC_ε/ε on the
// binary rows of x,
//
//	L(θ) = (1/n) Σₙ Σⱼ [exp(δⱼ(xₙ)) + δⱼ(xₙ) − 1],  δⱼ(x) = E(x) − E(flipⱼ(x)),
//
// and its gradient in the units of MPFObjective.
func (m *FVBM) KLCLimitObjective(x *tensor.Dense[float64]) (float64, []float64, *tensor.Dense[float64], error) {
	return m.flipObjective(x, klcLimitLoss)
}

// checkEps checks a flip probability 0 < ε < ½.
func checkEps(eps float64) error {
	if !(eps > 0 && eps < 0.5) {
		return fmt.Errorf("rbm: flip probability eps = %g; need 0 < eps < 0.5", eps)
	}
	return nil
}

// flipRows sets y to x with each entry flipped with probability eps.
func flipRows(y, x *tensor.Dense[float64], eps float64, rng *rand.Rand) {
	for i, v := range x.Data {
		if rng.Float64() < eps {
			v = 1 - v
		}
		y.Data[i] = v
	}
}

// posteriorGibbs runs sweeps of single-site Gibbs sampling of the bit-flip
// posterior q(x | y) ∝ exp(−E(x)) T(y | x) on every row of x in place, row n
// conditioned on row n of y: xᵢ ~ Bernoulli(σ(bᵢ + 2Σⱼ Wᵢⱼxⱼ ± L)), L =
// log((1−ε)/ε), + when yᵢ = 1.
func (m *FVBM) posteriorGibbs(x, y *tensor.Dense[float64], eps float64, sweeps int, rng *rand.Rand) {
	d := m.Dim()
	l := math.Log((1 - eps) / eps)
	for s := 0; s < sweeps; s++ {
		for n := 0; n < x.Rows; n++ {
			xr, yr := x.Row(n), y.Row(n)
			for i := 0; i < d; i++ {
				a := m.B[i] + l*(2*yr[i]-1)
				for j, w := range m.W.Row(i) {
					a += 2 * w * xr[j]
				}
				if rng.Float64() < 1/(1+math.Exp(-a)) {
					xr[i] = 1
				} else {
					xr[i] = 0
				}
			}
		}
	}
}

// KLCGradient returns a stochastic estimate of ∇θ KLC_ε on the binary rows of
// x, in the units of MPFObjective (gB[j] = ∂/∂bⱼ, gW[k][l] = gW[l][k] =
// ∂/∂θₖₗ): each row is flipped by the channel into y, and x′ is drawn by sweeps
// sweeps of posterior Gibbs sampling started at y (at the row itself when
// clean is set; see FVBMConfig.StartClean), so that
//
//	gB = mean(x′) − mean(x),  gW[k][l] = 2(mean(x′ₖx′ₗ) − mean(xₖxₗ))  (k ≠ l).
//
// The estimate is unbiased for the gradient with the posterior replaced by the
// law of the k-sweep chain; that bias vanishes as k grows, and from a clean
// start it is zero at q = p for every k.
func (m *FVBM) KLCGradient(x *tensor.Dense[float64], eps float64, sweeps int, clean bool, rng *rand.Rand) ([]float64, *tensor.Dense[float64], error) {
	if err := m.Validate(); err != nil {
		return nil, nil, err
	}
	if err := checkEps(eps); err != nil {
		return nil, nil, err
	}
	if sweeps < 1 {
		return nil, nil, fmt.Errorf("rbm: KLC needs at least one Gibbs sweep, got %d", sweeps)
	}
	if err := checkData(tensor.Convert[float32](nil, x), m.Dim(), true, false, "data"); err != nil {
		return nil, nil, err
	}
	if x.Rows == 0 {
		return nil, nil, errors.New("rbm: no data")
	}
	d := m.Dim()
	t := &fvbmTrainer{m: m, gW: tensor.New[float64](d, d), gB: make([]float64, d), rng: rng}
	t.klcStats(x, eps, sweeps, clean)
	for i := range t.gB {
		t.gB[i] = -t.gB[i]
	}
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			if i == j {
				t.gW.Set(i, j, 0)
			} else {
				t.gW.Set(i, j, -2*t.gW.At(i, j))
			}
		}
	}
	return t.gB, t.gW, nil
}

// klcStats adds the KLC ascent statistics of the batch b into (gB, gW): the
// data moments minus the moments of posterior samples started at flipped
// copies of the batch.
//
// With clean set the chains start at the batch instead of at y.
func (t *fvbmTrainer) klcStats(b *tensor.Dense[float64], eps float64, sweeps int, clean bool) {
	d := t.m.Dim()
	t.addMoments(b, 1/float64(b.Rows))
	t.noisy = tensor.Reuse(t.noisy, b.Rows, d)
	t.neg = tensor.Reuse(t.neg, b.Rows, d)
	flipRows(t.noisy, b, eps, t.rng)
	if clean {
		t.neg.CopyFrom(b)
	} else {
		t.neg.CopyFrom(t.noisy)
	}
	t.m.posteriorGibbs(t.neg, t.noisy, eps, sweeps, t.rng)
	t.addMoments(t.neg, -1/float64(b.Rows))
}

// stateEnergies returns E(x) for every state s of {0,1}^d, xⱼ = bit j of s.
func (m *FVBM) stateEnergies() []float64 {
	d := m.Dim()
	e := make([]float64, 1<<d)
	x := make([]float64, d)
	for s := range e {
		for j := range x {
			x[j] = float64(s >> j & 1)
		}
		v := 0.0
		for i := 0; i < d; i++ {
			if x[i] == 0 {
				continue
			}
			v += m.B[i]
			for j, w := range m.W.Row(i) {
				v += w * x[j]
			}
		}
		e[s] = -v
	}
	return e
}

// StateProbs returns q(x) for every state s of {0,1}^d (xⱼ = bit j of s), by
// enumeration (d ≤ MaxFVBMEnumerate).
func (m *FVBM) StateProbs() ([]float64, error) {
	if err := m.checkEnum("FVBM state probabilities"); err != nil {
		return nil, err
	}
	e := m.stateEnergies()
	lz := logSumExpNeg(e)
	for i, v := range e {
		e[i] = math.Exp(-v - lz)
	}
	return e, nil
}

// StateDistribution returns the empirical distribution of the binary rows of
// x over the states of {0,1}^d (xⱼ = bit j of s), d ≤ MaxFVBMEnumerate.
func StateDistribution(x *tensor.Dense[float64]) ([]float64, error) {
	if x == nil || x.Rows == 0 {
		return nil, errors.New("rbm: no data")
	}
	if x.Cols > MaxFVBMEnumerate {
		return nil, &LimitError{What: "state distribution", Units: x.Cols, Limit: MaxFVBMEnumerate}
	}
	if err := checkData(tensor.Convert[float32](nil, x), x.Cols, true, false, "data"); err != nil {
		return nil, err
	}
	p := make([]float64, 1<<x.Cols)
	for n := 0; n < x.Rows; n++ {
		s := 0
		for j, v := range x.Row(n) {
			if v == 1 {
				s |= 1 << j
			}
		}
		p[s] += 1 / float64(x.Rows)
	}
	return p, nil
}

// logSumExpNeg returns log Σ exp(−e).
func logSumExpNeg(e []float64) float64 {
	mx := math.Inf(-1)
	for _, v := range e {
		mx = max(mx, -v)
	}
	s := 0.0
	for _, v := range e {
		s += math.Exp(-v - mx)
	}
	return mx + math.Log(s)
}

// checkStateDist checks that p is a distribution over the 2^d states.
func (m *FVBM) checkStateDist(p []float64, limit int) error {
	if err := m.Validate(); err != nil {
		return err
	}
	d := m.Dim()
	if d > limit {
		return &LimitError{What: "exact KL contraction", Units: d, Limit: limit}
	}
	if len(p) != 1<<d {
		return fmt.Errorf("rbm: a distribution of %d values for %d states", len(p), 1<<d)
	}
	s := 0.0
	for i, v := range p {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("rbm: probability p[%d] = %g", i, v)
		}
		s += v
	}
	if math.Abs(s-1) > 1e-9 {
		return fmt.Errorf("rbm: probabilities sum to %g, not 1", s)
	}
	return nil
}

// KLCObjective returns the exact KL contraction KLC_ε = D(p‖q) − D(Φp‖Φq) of
// the FVBM q under the bit-flip channel, for the distribution p over the
// states of {0,1}^d (xⱼ = bit j of s; StateDistribution of data, or
// StateProbs of a model), and its exact gradient in the units of MPFObjective,
//
//	∇θ KLC_ε = E_p[∇θE(x)] − Σ_y Φp(y) Σₓ q(x|y) ∇θE(x),
//
// with the posterior computed exactly. It sums over all 4^d pairs (x, y), so
// d ≤ MaxKLCEnumerate. Terms with p = 0 contribute 0 (0 log 0 = 0).
func (m *FVBM) KLCObjective(p []float64, eps float64) (float64, []float64, *tensor.Dense[float64], error) {
	if err := m.checkStateDist(p, MaxKLCEnumerate); err != nil {
		return 0, nil, nil, err
	}
	if err := checkEps(eps); err != nil {
		return 0, nil, nil, err
	}
	d := m.Dim()
	ns := 1 << d
	e := m.stateEnergies()
	logZ := logSumExpNeg(e)
	le, l1e := math.Log(eps), math.Log1p(-eps)
	logT := make([]float64, d+1) // log T for Hamming distance h
	for h := range logT {
		logT[h] = float64(h)*le + float64(d-h)*l1e
	}
	// D(p‖q) and the data term of the gradient.
	val := 0.0
	mB := make([]float64, d)        // E_p[x] − E_post[x]
	mW := tensor.New[float64](d, d) // E_p[xxᵀ] − E_post[xxᵀ]
	addState := func(s int, w float64) {
		for i := 0; i < d; i++ {
			if s>>i&1 == 0 {
				continue
			}
			mB[i] += w
			row := mW.Row(i)
			for j := 0; j < d; j++ {
				if s>>j&1 == 1 {
					row[j] += w
				}
			}
		}
	}
	for s, ps := range p {
		if ps == 0 {
			continue
		}
		val += ps * (math.Log(ps) + e[s] + logZ)
		addState(s, ps)
	}
	// −D(Φp‖Φq) and the posterior term.
	lw := make([]float64, ns)
	for y := 0; y < ns; y++ {
		py := 0.0
		for x, px := range p {
			if px != 0 {
				py += px * math.Exp(logT[mbits.OnesCount(uint(x^y))])
			}
		}
		if py == 0 {
			continue
		}
		mx := math.Inf(-1)
		for x := range lw {
			lw[x] = -e[x] + logT[mbits.OnesCount(uint(x^y))]
			mx = max(mx, lw[x])
		}
		sum := 0.0
		for x := range lw {
			lw[x] = math.Exp(lw[x] - mx)
			sum += lw[x]
		}
		logPhiQ := mx + math.Log(sum) - logZ
		val -= py * (math.Log(py) - logPhiQ)
		for x, w := range lw {
			addState(x, -py*w/sum)
		}
	}
	gB := make([]float64, d)
	gW := tensor.New[float64](d, d)
	for i := 0; i < d; i++ {
		gB[i] = -mB[i]
		for j := 0; j < d; j++ {
			if i != j {
				gW.Set(i, j, -2*mW.At(i, j))
			}
		}
	}
	return val, gB, gW, nil
}

// flipPopulation returns E_p Σⱼ φ(δⱼ(x)) for the distribution p over the
// states and its gradient in the units of MPFObjective (the population form of
// flipObjective).
func (m *FVBM) flipPopulation(p []float64, phi flipLoss) (float64, []float64, *tensor.Dense[float64], error) {
	if err := m.checkStateDist(p, MaxFVBMEnumerate); err != nil {
		return 0, nil, nil, err
	}
	d := m.Dim()
	gB, gW := make([]float64, d), tensor.New[float64](d, d)
	x := &tensor.Dense[float64]{Rows: 1, Cols: d, Data: make([]float64, d)}
	val := 0.0
	for s, ps := range p {
		if ps == 0 {
			continue
		}
		for j := range x.Data {
			x.Data[j] = float64(s >> j & 1)
		}
		val += ps * m.fvbmFlip(x, phi, ps, gB, gW)
	}
	for i := range gW.Data {
		gW.Data[i] *= 2
	}
	return val, gB, gW, nil
}

// KLCSmallEpsLimit returns lim_{ε→0} KLC_ε/ε for the distribution p over the
// states (which must be positive everywhere: the limit of the θ-free part is
// finite only then),
//
//	E_p Σⱼ [e^{δⱼ} − 1 + δⱼ − δⱼ*],  δⱼ* = log p(flipⱼ x) − log p(x),
//
// and its gradient (that of KLCLimitObjective's population form), by
// enumeration.
func (m *FVBM) KLCSmallEpsLimit(p []float64) (float64, []float64, *tensor.Dense[float64], error) {
	val, gB, gW, err := m.flipPopulation(p, klcLimitLoss)
	if err != nil {
		return 0, nil, nil, err
	}
	for s, ps := range p {
		if !(ps > 0) {
			return 0, nil, nil, fmt.Errorf("rbm: the small-ε limit needs p > 0 everywhere; p[%d] = %g", s, ps)
		}
		for j := 0; j < m.Dim(); j++ {
			val -= ps * (math.Log(p[s^1<<j]) - math.Log(ps))
		}
	}
	return val, gB, gW, nil
}
