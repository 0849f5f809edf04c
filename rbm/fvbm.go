package rbm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// MaxFVBMEnumerate is the largest fully visible Boltzmann machine that exact
// computations enumerate (2²⁰ states).
const MaxFVBMEnumerate = 20

// FVBM is a fully visible Boltzmann machine on x ∈ {0,1}^d:
//
//	E(x) = −xᵀWx − bᵀx = −2Σ_{i<j} Wᵢⱼxᵢxⱼ − Σᵢ bᵢxᵢ,  p(x) ∝ exp(−E(x)),
//
// with W symmetric and zero on the diagonal (the convention: the quadratic form
// counts each pair twice, so the coupling of units i and j is 2Wᵢⱼ and
// p(xᵢ = 1 | x₋ᵢ) = σ(bᵢ + 2Σⱼ Wᵢⱼxⱼ)). Everything is float64: these models are
// small. FVBM implements energy.Energy.
type FVBM struct {
	W *tensor.Dense[float64] // d×d, symmetric, zero diagonal
	B []float64
}

// NewFVBM returns the d-unit FVBM with W = 0 and b = 0 (the uniform
// distribution).
func NewFVBM(d int) (*FVBM, error) {
	if d < 1 {
		return nil, fmt.Errorf("rbm: an FVBM needs at least one unit, got %d", d)
	}
	if err := checkSize("FVBM", d, d); err != nil {
		return nil, err
	}
	return &FVBM{W: tensor.New[float64](d, d), B: make([]float64, d)}, nil
}

// Dim returns d.
func (m *FVBM) Dim() int { return len(m.B) }

// Validate checks the shapes, symmetry, zero diagonal and finiteness of W and b.
func (m *FVBM) Validate() error {
	if m == nil {
		return errors.New("rbm: FVBM has no weights")
	}
	if err := tensor.CheckCouplings(m.W, m.B); err != nil {
		return fmt.Errorf("rbm: FVBM %w", err)
	}
	return nil
}

// Energy writes E(xₙ) into e[n] for every row of x (energy.Energy). It panics on
// a batch of the wrong shape.
func (m *FVBM) Energy(x *tensor.Dense[float64], e []float64) {
	d := len(m.B)
	if x.Cols != d || len(e) != x.Rows {
		panic(fmt.Sprintf("rbm: FVBM.Energy of %s into %d values for d = %d", x.Shape(), len(e), d))
	}
	for n := range e {
		xr := x.Row(n)
		s := 0.0
		for i, xi := range xr {
			if xi == 0 {
				continue
			}
			s += m.B[i] * xi
			wr := m.W.Row(i)
			for j, xj := range xr {
				s += xi * wr[j] * xj
			}
		}
		e[n] = -s
	}
}

func (m *FVBM) checkEnum(what string) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if d := m.Dim(); d > MaxFVBMEnumerate {
		return &LimitError{What: what, Units: d, Limit: MaxFVBMEnumerate}
	}
	return nil
}

// enumerate calls fn(x, −E(x)) for every state in Gray-code order (one unit
// changes between calls, so −E is updated in O(d)); x is reused.
func (m *FVBM) enumerate(fn func(x []float64, negE float64)) {
	d := m.Dim()
	x := make([]float64, d)
	field := make([]float64, d) // Σⱼ Wᵢⱼxⱼ
	negE := 0.0
	fn(x, negE)
	for g := 1; g < 1<<d; g++ {
		i := trailingZeros(g) // Gray code: flip the lowest set bit of g
		if x[i] == 0 {
			negE += m.B[i] + 2*field[i]
			x[i] = 1
			for j, w := range m.W.Row(i) {
				field[j] += w
			}
		} else {
			x[i] = 0
			for j, w := range m.W.Row(i) {
				field[j] -= w
			}
			negE -= m.B[i] + 2*field[i]
		}
		fn(x, negE)
	}
}

// ExactLogZ returns log Σₓ exp(−E(x)) by enumeration (d ≤ MaxFVBMEnumerate).
func (m *FVBM) ExactLogZ() (float64, error) {
	if err := m.checkEnum("FVBM exact log Z"); err != nil {
		return 0, err
	}
	mx := math.Inf(-1)
	s := 0.0
	m.enumerate(func(_ []float64, negE float64) {
		if negE > mx {
			s = s*math.Exp(mx-negE) + 1
			mx = negE
		} else {
			s += math.Exp(negE - mx)
		}
	})
	return mx + math.Log(s), nil
}

// ExactMoments returns E[x] and E[xxᵀ] under the model, by enumeration.
func (m *FVBM) ExactMoments() (mean []float64, second *tensor.Dense[float64], err error) {
	logZ, err := m.ExactLogZ()
	if err != nil {
		return nil, nil, err
	}
	d := m.Dim()
	mean = make([]float64, d)
	second = tensor.New[float64](d, d)
	m.enumerate(func(x []float64, negE float64) {
		p := math.Exp(negE - logZ)
		for i, xi := range x {
			if xi == 0 {
				continue
			}
			mean[i] += p
			row := second.Row(i)
			for j, xj := range x {
				if xj != 0 {
					row[j] += p
				}
			}
		}
	})
	return mean, second, nil
}

// LogProb returns log p(x) = −E(x) − logZ for every row of x (binary).
func (m *FVBM) LogProb(x *tensor.Dense[float64], logZ float64) ([]float64, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := checkData(tensor.Convert[float32](nil, x), m.Dim(), true, false, "data"); err != nil {
		return nil, err
	}
	e := make([]float64, x.Rows)
	m.Energy(x, e)
	for i := range e {
		e[i] = -e[i] - logZ
	}
	return e, nil
}

// ExactLogLik returns the mean exact log-likelihood of the rows of x and log Z.
func (m *FVBM) ExactLogLik(x *tensor.Dense[float64]) (mean, logZ float64, err error) {
	if logZ, err = m.ExactLogZ(); err != nil {
		return 0, 0, err
	}
	lp, err := m.LogProb(x, logZ)
	if err != nil {
		return 0, 0, err
	}
	return meanOf(lp), logZ, nil
}

// ExactSample draws n independent exact samples by enumeration.
func (m *FVBM) ExactSample(n int, seed uint64) (*tensor.Dense[float64], error) {
	logZ, err := m.ExactLogZ()
	if err != nil {
		return nil, err
	}
	d := m.Dim()
	rng := rand.New(rand.NewPCG(seed, 0xf7b))
	us := make([]float64, n)
	for i := range us {
		us[i] = rng.Float64()
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sortByKey(order, us)
	out := tensor.New[float64](n, d)
	c, k := 0.0, 0
	var last []float64
	m.enumerate(func(x []float64, negE float64) {
		c += math.Exp(negE - logZ)
		for k < n && us[order[k]] < c {
			copy(out.Row(order[k]), x)
			k++
		}
		last = x
	})
	for ; k < n; k++ { // rounding at the top end
		copy(out.Row(order[k]), last)
	}
	return out, nil
}

// sortByKey sorts idx by key[idx].
func sortByKey(idx []int, key []float64) {
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(key[a], key[b]) })
}

// Gibbs runs sweeps of single-site Gibbs sampling (units in order 0…d−1) on every
// row of x in place: xᵢ ~ Bernoulli(σ(bᵢ + 2Σⱼ Wᵢⱼxⱼ)).
func (m *FVBM) Gibbs(x *tensor.Dense[float64], sweeps int, rng *rand.Rand) error {
	if err := m.Validate(); err != nil {
		return err
	}
	d := m.Dim()
	if x.Cols != d {
		return fmt.Errorf("rbm: FVBM Gibbs on %d columns for %d units", x.Cols, d)
	}
	for s := 0; s < sweeps; s++ {
		for n := 0; n < x.Rows; n++ {
			xr := x.Row(n)
			for i := 0; i < d; i++ {
				a := m.B[i]
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
	return nil
}

// PseudoLogLik returns Σᵢ log p(xᵢ | x₋ᵢ) for every row of x (binary).
func (m *FVBM) PseudoLogLik(x *tensor.Dense[float64]) ([]float64, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := checkData(tensor.Convert[float32](nil, x), m.Dim(), true, false, "data"); err != nil {
		return nil, err
	}
	out := make([]float64, x.Rows)
	for n := range out {
		xr := x.Row(n)
		s := 0.0
		for i, xi := range xr {
			a := m.B[i]
			for j, w := range m.W.Row(i) {
				a += 2 * w * xr[j]
			}
			// log p(xᵢ | x₋ᵢ) = xᵢa − softplus(a)
			s += xi*a - softplus(a)
		}
		out[n] = s
	}
	return out, nil
}

// FVBMMethod selects how an FVBM is trained.
type FVBMMethod int

const (
	// FVBMExact ascends the exact log-likelihood gradient (full batch, model
	// moments by enumeration; d ≤ MaxFVBMEnumerate). The log-likelihood is concave
	// in (W, b), so a small enough learning rate increases it at every step.
	FVBMExact FVBMMethod = iota
	// FVBMPseudo ascends the pseudo-log-likelihood (mini-batches); consistent, no
	// sampling, any d.
	FVBMPseudo
	// FVBMPCD uses persistent chains of single-site Gibbs sampling for the model
	// term (mini-batches).
	FVBMPCD
	// FVBMMPF minimizes the minimum-probability-flow objective with
	// single-bit-flip connectivity (see MPFObjective; mini-batches);
	// consistent, no sampling, any d.
	FVBMMPF
	// FVBMCD is contrastive divergence CD-k: the model term from K sweeps of
	// single-site Gibbs sampling started at the batch itself (mini-batches).
	FVBMCD
	// FVBMKLC minimizes the KL contraction under the bit-flip channel
	// (flip probability Eps; see KLCObjective): the model term from K sweeps of
	// Gibbs sampling of the posterior q(x | y) started at the flipped batch y
	// (mini-batches); consistent, no log Z.
	FVBMKLC
)

// String returns "exact", "pl", "pcd", "mpf", "cd" or "klc".
func (m FVBMMethod) String() string {
	switch m {
	case FVBMMPF:
		return "mpf"
	case FVBMCD:
		return "cd"
	case FVBMKLC:
		return "klc"
	case FVBMExact:
		return "exact"
	case FVBMPseudo:
		return "pl"
	case FVBMPCD:
		return "pcd"
	}
	return fmt.Sprintf("FVBMMethod(%d)", int(m))
}

// FVBMConfig configures FVBM training; zero values mean the defaults given.
type FVBMConfig struct {
	Method FVBMMethod
	// Epochs is the number of passes over the data (each is one full-batch step
	// for FVBMExact; default 100).
	Epochs int
	// BatchSize is the mini-batch size of every method but FVBMExact (default
	// 100).
	BatchSize int
	// LR is the learning rate (default 0.1).
	LR float64
	// WeightDecay is an L2 penalty on W.
	WeightDecay float64
	// Momentum is the momentum of optim.SGD (0: none).
	Momentum float64
	// Chains is the number of persistent chains for FVBMPCD (default 100).
	Chains int
	// K is the number of Gibbs sweeps per update for FVBMPCD, FVBMCD and
	// FVBMKLC (default 1).
	K int
	// Eps is the flip probability of the bit-flip channel for FVBMKLC,
	// 0 < Eps < 0.5 (default 0.1).
	Eps float64
	// StartClean starts FVBMKLC's posterior chains at the clean batch x
	// instead of at the flipped y: x is an exact posterior draw given y when
	// the model equals the data's distribution, so the estimator's fixed point
	// is exact for every K (as for CD); from y it is exact only as K → ∞.
	StartClean bool
	// Seed seeds the chains.
	Seed uint64
}

// FVBMEpoch are the statistics of one FVBM training epoch.
type FVBMEpoch struct {
	Epoch   int     `json:"epoch"`
	Seconds float64 `json:"seconds"`
	// LogLik is the exact mean log-likelihood of the training data after the
	// epoch (FVBMExact only; 0 otherwise).
	LogLik float64 `json:"loglik,omitempty"`
}

// Fit trains m on the binary rows of x by cfg.Method, ascending the mean
// log-likelihood (or pseudo-log-likelihood) with the gradients
//
//	∂/∂bᵢ = E_data[xᵢ] − E_model[xᵢ],  ∂/∂Wᵢⱼ = 2(E_data[xᵢxⱼ] − E_model[xᵢxⱼ])  (i ≠ j),
//
// applied to Wᵢⱼ and Wⱼᵢ alike (W stays symmetric with a zero diagonal).
// onEpoch, when not nil, is called after every epoch. The run is a train.Loop
// with one iteration per batch (per epoch for FVBMExact) and the groups
// "weights" (W, with weight decay) and "biases"; a divergence rolls the model
// back to the start of its epoch with the learning rate halved, as for
// RBM.Fit.
func (m *FVBM) Fit(ctx context.Context, x *tensor.Dense[float64], cfg FVBMConfig, onEpoch func(FVBMEpoch) error) error {
	if err := m.Validate(); err != nil {
		return err
	}
	d := m.Dim()
	if err := checkData(tensor.Convert[float32](nil, x), d, true, false, "training data"); err != nil {
		return err
	}
	if cfg.Epochs == 0 {
		cfg.Epochs = 100
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 100
	}
	if cfg.LR == 0 {
		cfg.LR = 0.1
	}
	if cfg.Chains == 0 {
		cfg.Chains = 100
	}
	if cfg.K == 0 {
		cfg.K = 1
	}
	if cfg.Eps == 0 {
		cfg.Eps = 0.1
	}
	if cfg.Method == FVBMKLC {
		if err := checkEps(cfg.Eps); err != nil {
			return err
		}
	}
	if !(cfg.LR >= 0) || math.IsInf(cfg.LR, 0) || cfg.Epochs < 0 || cfg.BatchSize < 0 || cfg.Chains < 0 || cfg.K < 0 ||
		!(cfg.WeightDecay >= 0) || math.IsInf(cfg.WeightDecay, 0) || !(cfg.Momentum >= 0 && cfg.Momentum < 1) {
		return fmt.Errorf("rbm: invalid FVBM configuration %+v", cfg)
	}
	if cfg.Method < FVBMExact || cfg.Method > FVBMKLC {
		return fmt.Errorf("rbm: unknown FVBM method %d", int(cfg.Method))
	}
	if cfg.Method == FVBMExact {
		if err := m.checkEnum("FVBM exact-gradient training"); err != nil {
			return err
		}
	}
	t := &fvbmTrainer{m: m, cfg: cfg, x: x, params: m.Params(), gW: tensor.New[float64](d, d), gB: make([]float64, d),
		rng: rand.New(rand.NewPCG(cfg.Seed, 0xf7c))}
	if cfg.Method == FVBMPCD {
		t.chains = tensor.New[float64](cfg.Chains, d)
		t.Reseed(t.rng)
	}
	groups, err := sgdGroups(t.params[:1], t.params[1:], cfg.LR, nil, cfg.Momentum, cfg.WeightDecay)
	if err != nil {
		return err
	}
	t.names = groupNames(groups)
	batch := cfg.BatchSize
	if cfg.Method == FVBMExact {
		batch = x.Rows
	}
	run := &fitRun[float64]{what: "FVBM ", groups: groups, obj: t, epochs: cfg.Epochs, seed: cfg.Seed,
		src: &evenSlices{N: x.Rows, Size: batch},
		endEpoch: func(s EpochStats) error {
			st := FVBMEpoch{Epoch: s.Epoch, Seconds: s.Seconds}
			if cfg.Method == FVBMExact {
				ll, _, err := m.ExactLogLik(x)
				if err != nil {
					return err
				}
				st.LogLik = ll
			}
			if onEpoch != nil {
				return onEpoch(st)
			}
			return nil
		}}
	_, err = run.run(ctx)
	return err
}

// fvbmTrainer is the train.GradObjective of FVBM.Fit.
type fvbmTrainer struct {
	m      *FVBM
	cfg    FVBMConfig
	x      *tensor.Dense[float64]
	params []*autodiff.Param[float64]
	names  []string
	chains *tensor.Dense[float64] // FVBMPCD
	neg    *tensor.Dense[float64] // FVBMCD's and FVBMKLC's negative samples
	noisy  *tensor.Dense[float64] // FVBMKLC's flipped batch
	rng    *rand.Rand
	// gW, gB accumulate the ascent statistics; the parameters' gradients are
	// their negatives, in the parametrization of Params.
	gW *tensor.Dense[float64]
	gB []float64
}

// Groups returns "weights" (W) and "biases" (b).
func (t *fvbmTrainer) Groups() []string { return t.names }

// addMoments adds s·Σ_rows (x, xxᵀ) into (gB, gW).
func (t *fvbmTrainer) addMoments(rows *tensor.Dense[float64], s float64) {
	for n := 0; n < rows.Rows; n++ {
		xr := rows.Row(n)
		for i, xi := range xr {
			if xi == 0 {
				continue
			}
			t.gB[i] += s
			g := t.gW.Row(i)
			for j, xj := range xr {
				if xj != 0 {
					g[j] += s
				}
			}
		}
	}
}

// Grads fills the gradients of the negative objective for the examples idx
// (all of them for FVBMExact): data moments minus model moments (exact, or
// from the persistent chains), or the pseudo-log-likelihood gradient. The
// symmetric pair shares one parameter θ = Wᵢⱼ = Wⱼᵢ with ∂(−E)/∂θ = 2xᵢxⱼ, and
// the diagonal's gradient is 0, so W stays a valid coupling matrix.
func (t *fvbmTrainer) Grads(idx []int, _ *rand.Rand) (train.Stats, error) {
	m, x, cfg := t.m, t.x, t.cfg
	d := m.Dim()
	t.gW.Zero()
	clear(t.gB)
	switch cfg.Method {
	case FVBMExact:
		t.addMoments(x, 1/float64(x.Rows))
		mean, second, err := m.ExactMoments()
		if err != nil {
			return train.Stats{}, err
		}
		for i := range t.gB {
			t.gB[i] -= mean[i]
		}
		for i := range t.gW.Data {
			t.gW.Data[i] -= second.Data[i]
		}
	default:
		// The examples are in file order (no shuffling), so idx is a run.
		lo, hi := idx[0], idx[0]+len(idx)
		b := &tensor.Dense[float64]{Rows: hi - lo, Cols: d, Data: x.Data[lo*d : hi*d]}
		switch cfg.Method {
		case FVBMPCD:
			t.addMoments(b, 1/float64(b.Rows))
			if err := m.Gibbs(t.chains, cfg.K, t.rng); err != nil {
				return train.Stats{}, err
			}
			t.addMoments(t.chains, -1/float64(t.chains.Rows))
		case FVBMCD:
			t.addMoments(b, 1/float64(b.Rows))
			t.neg = tensor.Reuse(t.neg, b.Rows, d)
			t.neg.CopyFrom(b)
			if err := m.Gibbs(t.neg, cfg.K, t.rng); err != nil {
				return train.Stats{}, err
			}
			t.addMoments(t.neg, -1/float64(b.Rows))
		case FVBMKLC:
			t.klcStats(b, cfg.Eps, cfg.K, cfg.StartClean)
		case FVBMMPF:
			m.fvbmFlip(b, mpfLoss, -1, t.gB, t.gW)
		default:
			m.plGrad(b, t.gB, t.gW)
		}
	}
	gw, gb := t.params[0].Grad, t.params[1].Grad.Data
	for i := 0; i < d; i++ {
		gb[i] = -t.gB[i]
		gw.Set(i, i, 0)
		for j := i + 1; j < d; j++ {
			g := -2 * t.gW.At(i, j)
			gw.Set(i, j, g)
			gw.Set(j, i, g)
		}
	}
	return train.Stats{}, nil
}

// StateTensors returns the persistent chains, "chains" (train.Stateful; none
// unless FVBMPCD).
func (t *fvbmTrainer) StateTensors() map[string]*tensor.Dense[float64] {
	if t.chains == nil {
		return nil
	}
	return map[string]*tensor.Dense[float64]{"chains": t.chains.Clone()}
}

// LoadStateTensors restores the chains StateTensors returned.
func (t *fvbmTrainer) LoadStateTensors(st map[string]*tensor.Dense[float64]) error {
	c, ok := st["chains"]
	if t.chains == nil || !ok {
		return nil
	}
	if !c.SameShape(t.chains) {
		return fmt.Errorf("rbm: FVBM chains of shape %s for %s", c.Shape(), t.chains.Shape())
	}
	t.chains.CopyFrom(c)
	return nil
}

// Reseed restarts the chains at uniform random states.
func (t *fvbmTrainer) Reseed(rng *rand.Rand) {
	if t.chains == nil {
		return
	}
	for i := range t.chains.Data {
		t.chains.Data[i] = float64(rng.IntN(2))
	}
}

// Params returns the parameters of m as autodiff parameters over m's own
// values (no copy): W (d×d) and b (1×d), with zero gradients. The training
// code fills them with the gradients of the negative objective, keeping the
// gradient of W symmetric with a zero diagonal, so that optimizer steps keep W
// a valid coupling matrix.
func (m *FVBM) Params() []*autodiff.Param[float64] {
	return []*autodiff.Param[float64]{autodiff.NewParam("W", m.W), vecParam("b", m.B)}
}

// plGrad adds the gradient of the batch's mean pseudo-log-likelihood to gB, gW,
// in the units Fit's apply expects (it doubles gW): with aᵢ = bᵢ + 2Σⱼ Wᵢⱼxⱼ and
// rᵢ = xᵢ − σ(aᵢ), ∂PL/∂bᵢ = rᵢ and ∂PL/∂θᵢⱼ = 2(rᵢxⱼ + rⱼxᵢ), so
// gWᵢⱼ = mean of rᵢxⱼ + rⱼxᵢ.
func (m *FVBM) plGrad(batch *tensor.Dense[float64], gB []float64, gW *tensor.Dense[float64]) {
	d := m.Dim()
	r := make([]float64, d)
	s := 1 / float64(batch.Rows)
	for n := 0; n < batch.Rows; n++ {
		xr := batch.Row(n)
		for i := 0; i < d; i++ {
			a := m.B[i]
			for j, w := range m.W.Row(i) {
				a += 2 * w * xr[j]
			}
			r[i] = xr[i] - 1/(1+math.Exp(-a))
			gB[i] += s * r[i]
		}
		for i := 0; i < d; i++ {
			g := gW.Row(i)
			for j := 0; j < d; j++ {
				g[j] += s * (r[i]*xr[j] + r[j]*xr[i])
			}
		}
	}
}
