package flow

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// ISResult is an importance-sampling estimate of log Z of an energy with a
// flow proposal q.
type ISResult struct {
	// LogZ = log((1/n) Σ wᵢ), wᵢ = exp(−E(xᵢ) − log q(xᵢ)), xᵢ ~ q.
	LogZ float64 `json:"log_z"`
	// SE is the delta-method standard error of LogZ: sd(w)/(√n·mean(w)).
	SE float64 `json:"log_z_se"`
	// ESS is Kish's effective sample size (Σw)²/Σw², and ESSFrac = ESS/n.
	ESS     float64 `json:"ess"`
	ESSFrac float64 `json:"ess_frac"`
	N       int     `json:"n"`
}

// ImportanceLogZ returns the estimate of log Z from log-weights
// log wᵢ = −E(xᵢ) − log q(xᵢ) (computed with the largest weight factored out,
// so no weight overflows).
func ImportanceLogZ(logw []float64) (ISResult, error) {
	n := len(logw)
	if n < 2 {
		return ISResult{}, errors.New("flow: importance sampling needs at least 2 weights")
	}
	m := math.Inf(-1)
	for i, v := range logw {
		if math.IsNaN(v) || math.IsInf(v, 1) {
			return ISResult{}, fmt.Errorf("flow: log-weight %d is %v", i, v)
		}
		m = math.Max(m, v)
	}
	if math.IsInf(m, -1) {
		return ISResult{}, errors.New("flow: every importance weight is zero")
	}
	var s, s2 float64
	for _, v := range logw {
		w := math.Exp(v - m)
		s += w
		s2 += w * w
	}
	mean := s / float64(n)
	vr := (s2 - s*mean) / float64(n-1)
	r := ISResult{N: n, LogZ: m + math.Log(mean), ESS: s * s / s2}
	r.SE = math.Sqrt(math.Max(vr, 0)/float64(n)) / mean
	r.ESSFrac = r.ESS / float64(n)
	return r, nil
}

func checkEnergyDim(d int, e energy.Energy) error {
	if e == nil {
		return errors.New("flow: no energy")
	}
	if e.Dim() != d {
		return fmt.Errorf("flow: the energy has dimension %d, the flow %d", e.Dim(), d)
	}
	return nil
}

// logWeights draws n points from p and returns them with log-weights
// −E(x) − log q(x).
func logWeights[T tensor.Float](p *Proposal[T], e energy.Energy, n int, rng *rand.Rand) (*tensor.Dense[float64], []float64) {
	x, lq := p.Draw(n, rng)
	en := make([]float64, n)
	e.Energy(x, en)
	for i := range lq {
		lq[i] = -en[i] - lq[i]
		if math.IsNaN(lq[i]) {
			lq[i] = math.Inf(-1)
		}
	}
	return x, lq
}

// EstimateLogZ estimates log Z of e (p ∝ exp(−E)) by importance sampling
// with n draws from the flow f, seeded by seed.
func EstimateLogZ[T tensor.Float](f *Flow[T], e energy.Energy, n int, seed uint64) (ISResult, error) {
	if err := checkEnergyDim(f.D, e); err != nil {
		return ISResult{}, err
	}
	return EstimateLogZWith(&Proposal[T]{Flow: f}, e, n, seed)
}

// EstimateLogZWith is EstimateLogZ with the proposal p (see NewDefensive).
func EstimateLogZWith[T tensor.Float](p *Proposal[T], e energy.Energy, n int, seed uint64) (ISResult, error) {
	if err := checkEnergyDim(p.Flow.D, e); err != nil {
		return ISResult{}, err
	}
	_, lw := logWeights(p, e, n, rand.New(rand.NewPCG(seed, 0x15)))
	return ImportanceLogZ(lw)
}

// Resample draws m points approximately from p ∝ exp(−E) by sampling
// importance resampling: n proposals from f, weighted by exp(−E − log q), then
// m draws with replacement (systematic resampling) in proportion to the
// weights. It also returns the proposals' importance-sampling summary (the
// ESS says how many distinct points the resample can hold). The draws are
// exact as n → ∞.
func Resample[T tensor.Float](f *Flow[T], e energy.Energy, n, m int, seed uint64) (*tensor.Dense[float64], ISResult, error) {
	return ResampleWith(&Proposal[T]{Flow: f}, e, n, m, seed)
}

// ResampleWith is Resample with the proposal p (see NewDefensive).
func ResampleWith[T tensor.Float](p *Proposal[T], e energy.Energy, n, m int, seed uint64) (*tensor.Dense[float64], ISResult, error) {
	f := p.Flow
	if err := checkEnergyDim(f.D, e); err != nil {
		return nil, ISResult{}, err
	}
	if n < 2 || m < 1 {
		return nil, ISResult{}, fmt.Errorf("flow: resampling needs n ≥ 2 proposals and m ≥ 1 draws, got %d and %d", n, m)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5e5))
	x, lw := logWeights(p, e, n, rng)
	is, err := ImportanceLogZ(lw)
	if err != nil {
		return nil, is, err
	}
	mx := math.Inf(-1)
	for _, v := range lw {
		mx = math.Max(mx, v)
	}
	cum := make([]float64, n)
	s := 0.0
	for i, v := range lw {
		s += math.Exp(v - mx)
		cum[i] = s
	}
	out := tensor.New[float64](m, f.D)
	u := rng.Float64()
	for k := 0; k < m; k++ {
		target := (float64(k) + u) / float64(m) * s
		i := sort.SearchFloat64s(cum, target)
		if i >= n {
			i = n - 1
		}
		copy(out.Row(k), x.Row(i))
	}
	return out, is, nil
}

// IMHResult holds the chains of an independence Metropolis-Hastings run.
type IMHResult struct {
	// Chains[c] holds chain c's states, one per step (steps×d).
	Chains []*tensor.Dense[float64]
	// AcceptRate is the fraction of accepted proposals over all chains.
	AcceptRate float64
}

// Coord returns coordinate j of every chain's states, chains × steps, the
// layout of package diag.
func (r *IMHResult) Coord(j int) [][]float64 {
	out := make([][]float64, len(r.Chains))
	for c, x := range r.Chains {
		out[c] = make([]float64, x.Rows)
		for i := range out[c] {
			out[c][i] = x.At(i, j)
		}
	}
	return out
}

// IndependenceMH runs chains of independence Metropolis-Hastings for
// p ∝ exp(−E) with the flow f as the proposal: every step proposes x' ~ q
// independently of the state x and accepts with probability
//
//	min(1, w(x')/w(x)),  w = exp(−E − log q),
//
// which leaves p invariant whatever q is (the closer q is to p, the higher
// the acceptance and the lower the autocorrelation). Chains start at a draw
// from q. Randomness comes from seed only.
func IndependenceMH[T tensor.Float](ctx context.Context, f *Flow[T], e energy.Energy, chains, steps int, seed uint64) (*IMHResult, error) {
	return IndependenceMHWith(ctx, &Proposal[T]{Flow: f}, e, chains, steps, seed)
}

// IndependenceMHWith is IndependenceMH with the proposal p (see
// NewDefensive): w = exp(−E − log q_mix).
func IndependenceMHWith[T tensor.Float](ctx context.Context, p *Proposal[T], e energy.Energy, chains, steps int, seed uint64) (*IMHResult, error) {
	f := p.Flow
	if err := checkEnergyDim(f.D, e); err != nil {
		return nil, err
	}
	if chains < 1 || steps < 1 {
		return nil, fmt.Errorf("flow: independence MH needs at least one chain and one step, got %d and %d", chains, steps)
	}
	if err := tensor.CheckAllocOf[float64]("flow: independence MH draws", chains, steps, f.D); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x1e4))
	res := &IMHResult{Chains: make([]*tensor.Dense[float64], chains)}
	for c := range res.Chains {
		res.Chains[c] = tensor.New[float64](steps, f.D)
	}
	cur, lw := logWeights(p, e, chains, rng)
	acc := 0
	for s := 0; s < steps; s++ {
		if s%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if s > 0 {
			xp, lwp := logWeights(p, e, chains, rng)
			for c := 0; c < chains; c++ {
				if la := lwp[c] - lw[c]; la >= 0 || math.Log(rng.Float64()) < la {
					copy(cur.Row(c), xp.Row(c))
					lw[c] = lwp[c]
					acc++
				}
			}
		}
		for c := 0; c < chains; c++ {
			copy(res.Chains[c].Row(s), cur.Row(c))
		}
	}
	if steps > 1 {
		res.AcceptRate = float64(acc) / float64(chains*(steps-1))
	}
	return res, nil
}
