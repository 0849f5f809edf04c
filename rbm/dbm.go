package rbm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
	"github.com/viterin/vek/vek32"
)

// DBM is a two-layer deep Boltzmann machine with binary units (Salakhutdinov &
// Hinton 2009):
//
//	E(v, h¹, h²) = −vᵀW₁h¹ − h¹ᵀW₂h² − bᵀv − c₁ᵀh¹ − c₂ᵀh²,  p ∝ exp(−E).
//
// Given h¹, the layers v and h² are independent, so block Gibbs alternates
// h¹ ~ p(h¹ | v, h²) and (v, h²) ~ p(v | h¹)p(h² | h¹).
type DBM struct {
	W1 *tensor.Dense[float32] // V×H1
	W2 *tensor.Dense[float32] // H1×H2
	B  []float32              // visible biases
	C1 []float32              // first hidden layer biases
	C2 []float32              // second hidden layer biases
}

// NewDBM returns a DBM with nv visible, nh1 and nh2 hidden units, weights from
// N(0, InitStd²) and zero biases.
func NewDBM(nv, nh1, nh2 int, seed uint64) (*DBM, error) {
	if nv < 1 || nh1 < 1 || nh2 < 1 {
		return nil, fmt.Errorf("rbm: DBM layer sizes %d, %d, %d: each needs at least one unit", nv, nh1, nh2)
	}
	if err := checkSize("DBM", nv, nh1, nh2); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0xdb3))
	m := &DBM{W1: tensor.New[float32](nv, nh1), W2: tensor.New[float32](nh1, nh2),
		B: make([]float32, nv), C1: make([]float32, nh1), C2: make([]float32, nh2)}
	for _, w := range [][]float32{m.W1.Data, m.W2.Data} {
		for i := range w {
			w[i] = float32(InitStd * rng.NormFloat64())
		}
	}
	return m, nil
}

// Sizes returns (V, H1, H2).
func (m *DBM) Sizes() (nv, nh1, nh2 int) { return m.W1.Rows, m.W1.Cols, m.W2.Cols }

// Validate checks shapes and finiteness.
func (m *DBM) Validate() error {
	if m == nil || m.W1 == nil || m.W2 == nil {
		return errors.New("rbm: DBM has no weights")
	}
	nv, nh1, nh2 := m.Sizes()
	switch {
	case nv < 1 || nh1 < 1 || nh2 < 1 || len(m.W1.Data) != nv*nh1 || len(m.W2.Data) != nh1*nh2:
		return fmt.Errorf("rbm: DBM weights %s and %s", m.W1.Shape(), m.W2.Shape())
	case m.W2.Rows != nh1:
		return fmt.Errorf("rbm: DBM W2 has %d rows for %d first-layer hidden units", m.W2.Rows, nh1)
	case len(m.B) != nv || len(m.C1) != nh1 || len(m.C2) != nh2:
		return fmt.Errorf("rbm: DBM biases of lengths %d, %d, %d for layers %d, %d, %d", len(m.B), len(m.C1), len(m.C2), nv, nh1, nh2)
	}
	for _, s := range [][]float32{m.W1.Data, m.W2.Data, m.B, m.C1, m.C2} {
		for _, v := range s {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return errors.New("rbm: DBM has a non-finite parameter")
			}
		}
	}
	return nil
}

// dbmState holds block-Gibbs or mean-field buffers for n rows.
type dbmState struct {
	m          *DBM
	w1t, w2t   *tensor.Dense[float32]
	v, h1, h2  *tensor.Dense[float32]
	p1, p2, pv *tensor.Dense[float32]
	tmp        *tensor.Dense[float32]
	mul        mulJob
	sig        sigmoidJob
	bits       bitSource
}

func newDBMState(m *DBM, n int, seed uint64) *dbmState {
	nv, nh1, nh2 := m.Sizes()
	s := &dbmState{m: m, w1t: m.W1.T(), w2t: m.W2.T(),
		v: tensor.New[float32](n, nv), h1: tensor.New[float32](n, nh1), h2: tensor.New[float32](n, nh2),
		p1: tensor.New[float32](n, nh1), p2: tensor.New[float32](n, nh2), pv: tensor.New[float32](n, nv),
		tmp: tensor.New[float32](n, nh1)}
	s.bits.pcg = rand.NewPCG(seed, 0xdb4)
	return s
}

func (s *dbmState) sync() {
	tensor.Transpose(s.w1t, s.m.W1)
	tensor.Transpose(s.w2t, s.m.W2)
}

// h1Input sets dst = c₁ + vW₁ + h²W₂ᵀ.
func (s *dbmState) h1Input(dst, v, h2 *tensor.Dense[float32]) {
	s.mul.mul(dst, s.m.C1, v, nil, s.m.W1)
	s.mul.mul(s.tmp, nil, h2, nil, s.w2t)
	vek32.Add_Inplace(dst.Data, s.tmp.Data)
}

// sweep runs one block-Gibbs sweep: h¹ | v, h², then v | h¹ and h² | h¹.
func (s *dbmState) sweep() {
	s.h1Input(s.p1, s.v, s.h2)
	s.sig.apply(s.p1.Data)
	sampleBernoulli(&s.bits, s.h1.Data, s.p1.Data, s.h1.Cols, nil)
	s.mul.mul(s.pv, s.m.B, s.h1, nil, s.w1t)
	s.sig.apply(s.pv.Data)
	sampleBernoulli(&s.bits, s.v.Data, s.pv.Data, s.v.Cols, nil)
	s.mul.mul(s.p2, s.m.C2, s.h1, nil, s.m.W2)
	s.sig.apply(s.p2.Data)
	sampleBernoulli(&s.bits, s.h2.Data, s.p2.Data, s.h2.Cols, nil)
}

// meanField runs the mean-field fixed-point iteration for the rows of v (already
// in s.v): μ¹ = σ(c₁ + vW₁ + μ²W₂ᵀ), μ² = σ(c₂ + μ¹W₂), starting from μ² = 0 and
// stopping after iters updates or when no value moves by more than tol. The
// result is in s.p1, s.p2; it returns the number of iterations run.
func (s *dbmState) meanField(iters int, tol float32) int {
	// Start: μ¹ from a doubled bottom-up input (a stand-in for the missing
	// top-down signal, as in Salakhutdinov & Hinton's recognition pass).
	s.mul.mul(s.p1, s.m.C1, s.v, nil, s.m.W1)
	vek32.MulNumber_Inplace(s.p1.Data, 2)
	vek32.Sub_Inplace(s.p1.Data, repeatRow(s.tmp, s.m.C1).Data) // c₁ + 2vW₁
	s.sig.apply(s.p1.Data)
	s.mul.mul(s.p2, s.m.C2, s.p1, nil, s.m.W2)
	s.sig.apply(s.p2.Data)
	prev := s.h1 // scratch for the previous μ¹
	it := 0
	for it < iters {
		it++
		copy(prev.Data, s.p1.Data)
		s.h1Input(s.p1, s.v, s.p2)
		s.sig.apply(s.p1.Data)
		s.mul.mul(s.p2, s.m.C2, s.p1, nil, s.m.W2)
		s.sig.apply(s.p2.Data)
		worst := float32(0)
		for i, v := range s.p1.Data {
			worst = max(worst, abs32(v-prev.Data[i]))
		}
		if worst < tol {
			break
		}
	}
	return it
}

// repeatRow fills dst (shape kept) with copies of row.
func repeatRow(dst *tensor.Dense[float32], row []float32) *tensor.Dense[float32] {
	for i := 0; i < dst.Rows; i++ {
		copy(dst.Row(i), row)
	}
	return dst
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// MeanField returns the mean-field posterior q(h¹, h² | v) = Π μ for every row of
// x: μ¹ (n×H1) and μ² (n×H2), from at most iters fixed-point updates (default
// 30 when 0) stopped when no μ¹ moves by more than tol (default 1e-5).
func (m *DBM) MeanField(x *tensor.Dense[float32], iters int, tol float64) (mu1, mu2 *tensor.Dense[float32], err error) {
	if err := m.Validate(); err != nil {
		return nil, nil, err
	}
	nv, _, _ := m.Sizes()
	if err := checkData(x, nv, true, true, "data"); err != nil {
		return nil, nil, err
	}
	if iters <= 0 {
		iters = 30
	}
	if tol <= 0 {
		tol = 1e-5
	}
	s := newDBMState(m, x.Rows, 0)
	s.v.CopyFrom(x)
	s.meanField(iters, float32(tol))
	return s.p1, s.p2, nil
}

// DBMConfig configures DBM training. Zero values mean the defaults given.
type DBMConfig struct {
	Epochs    int     // passes over the data (default 10)
	BatchSize int     // examples per update (default 10)
	LR        float64 // learning rate (default 0.05)
	// Schedule, when not nil, gives the learning rate of every update (see
	// Config.Schedule); nil keeps LR.
	Schedule optim.Schedule
	Momentum float64 // momentum of optim.SGD
	// WeightDecay is the L2 coefficient on W₁ and W₂.
	WeightDecay float64
	// Chains is the number of persistent fantasy chains (default 100).
	Chains int
	// K is the number of Gibbs sweeps of the chains per update (default 5, as in
	// Salakhutdinov & Hinton 2009).
	K int
	// MeanFieldIters caps the mean-field updates per batch (default 10).
	MeanFieldIters int
	// Seed seeds the chains and shuffles.
	Seed uint64
	// Shuffle reorders the examples every epoch.
	Shuffle bool
}

func (c DBMConfig) withDefaults() DBMConfig {
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.BatchSize == 0 {
		c.BatchSize = 10
	}
	if c.LR == 0 {
		c.LR = 0.05
	}
	if c.Chains == 0 {
		c.Chains = 100
	}
	if c.K == 0 {
		c.K = 5
	}
	if c.MeanFieldIters == 0 {
		c.MeanFieldIters = 10
	}
	return c
}

// Fit trains the DBM by the stochastic approximation procedure of Salakhutdinov &
// Hinton (2009): the data term uses the mean-field posterior μ¹, μ² of each
// batch, the model term persistent chains (v, h¹, h²) advanced by K block-Gibbs
// sweeps per update:
//
//	ΔW₁ = lr·(vᵀμ¹/B − ṽᵀh̃¹/M),  ΔW₂ = lr·(μ¹ᵀμ²/B − h̃¹ᵀh̃²/M),
//
// and likewise for the biases, with momentum and weight decay as configured. The
// data must be binary. There is no greedy pretraining (small models train well
// from the random start; stack RBMs with a DBN for a pretrained start).
//
// The run is a train.Loop with one iteration per batch and the groups
// "weights" (W₁, W₂) and "biases"; a divergence rolls the model back to the
// start of its epoch with the learning rate halved, as for RBM.Fit.
func (m *DBM) Fit(ctx context.Context, x *tensor.Dense[float32], cfg DBMConfig, onEpoch func(EpochStats) error) (FitResult, error) {
	var res FitResult
	if err := m.Validate(); err != nil {
		return res, err
	}
	nv, _, _ := m.Sizes()
	if err := checkData(x, nv, true, false, "training data"); err != nil {
		return res, err
	}
	if !(cfg.LR >= 0) || math.IsInf(cfg.LR, 0) || !(cfg.Momentum >= 0 && cfg.Momentum < 1) || !(cfg.WeightDecay >= 0) ||
		math.IsInf(cfg.WeightDecay, 0) || cfg.Epochs < 0 || cfg.BatchSize < 0 || cfg.Chains < 0 || cfg.K < 0 || cfg.MeanFieldIters < 0 {
		return res, fmt.Errorf("rbm: invalid DBM configuration %+v", cfg)
	}
	if err := checkSchedule(cfg.Schedule); err != nil {
		return res, err
	}
	cfg = cfg.withDefaults()
	t := &dbmTrainer{m: m, cfg: cfg, x: x, pos: newDBMState(m, min(cfg.BatchSize, x.Rows), cfg.Seed),
		neg: newDBMState(m, cfg.Chains, cfg.Seed+1), params: m.Params()}
	t.initChains()
	var err error
	if t.groups, err = sgdGroups(t.params[:2], t.params[2:], cfg.LR, cfg.Schedule, cfg.Momentum, cfg.WeightDecay); err != nil {
		return res, err
	}
	t.names = groupNames(t.groups)
	run := &fitRun[float32]{what: "DBM ", groups: t.groups, obj: t, epochs: cfg.Epochs, seed: cfg.Seed,
		src:      &evenSlices{N: x.Rows, Size: cfg.BatchSize, Shuffle: cfg.Shuffle, Seed: cfg.Seed ^ 0x5a0ff1f},
		endEpoch: onEpoch}
	return run.run(ctx)
}

// dbmTrainer is the train.GradObjective of DBM.Fit: mean field on the batch,
// persistent block-Gibbs chains for the model term.
type dbmTrainer struct {
	m        *DBM
	cfg      DBMConfig
	x        *tensor.Dense[float32]
	pos, neg *dbmState
	params   []*autodiff.Param[float32]
	groups   []train.Group[float32]
	names    []string
	outer    outerJob
}

// initChains starts the chains at random visible states with empty hidden
// layers.
func (t *dbmTrainer) initChains() {
	for i := range t.neg.v.Data {
		t.neg.v.Data[i] = float32(t.neg.bits.next() >> 31)
	}
	t.neg.h1.Zero()
	t.neg.h2.Zero()
}

// Groups returns "weights" (W1, W2) and "biases" (b, c1, c2).
func (t *dbmTrainer) Groups() []string { return t.names }

// Grads fills the gradients of the negative log-likelihood for the examples
// idx: the model term (chains) minus the data term (mean field), as in Fit's
// doc. Stats.Loss is 0.
func (t *dbmTrainer) Grads(idx []int, _ *rand.Rand) (train.Stats, error) {
	pos, neg, cfg := t.pos, t.neg, t.cfg
	pos.sync() // the parameters changed since the last batch
	neg.sync()
	n := len(idx)
	// Positive phase: mean field on the batch.
	for _, buf := range []*tensor.Dense[float32]{pos.v, pos.p1, pos.p2, pos.h1, pos.tmp, pos.pv, pos.h2} {
		buf.Rows, buf.Data = n, buf.Data[:cap(buf.Data)][:n*buf.Cols]
	}
	for k, i := range idx {
		copy(pos.v.Row(k), t.x.Row(i))
	}
	pos.meanField(cfg.MeanFieldIters, 1e-5)
	// Negative phase.
	for s := 0; s < cfg.K; s++ {
		neg.sweep()
	}
	// Gradients of the negative log-likelihood: model term − data term.
	gW1, gW2 := t.params[0].Grad, t.params[1].Grad
	gB, gC1, gC2 := t.params[2].Grad.Data, t.params[3].Grad.Data, t.params[4].Grad.Data
	ip, in := 1/float32(n), 1/float32(cfg.Chains)
	gW1.Zero()
	gW2.Zero()
	t.outer.accumulate(gW1, neg.v, nil, neg.h1)
	vek32.MulNumber_Inplace(gW1.Data, in/ip)
	t.outer.accumulate(gW2, neg.h1, nil, neg.h2)
	vek32.MulNumber_Inplace(gW2.Data, in/ip)
	vek32.Neg_Inplace(pos.p1.Data)
	t.outer.accumulate(gW1, pos.v, nil, pos.p1)
	vek32.Neg_Inplace(pos.p1.Data)
	vek32.Neg_Inplace(pos.p2.Data)
	t.outer.accumulate(gW2, pos.p1, nil, pos.p2)
	vek32.Neg_Inplace(pos.p2.Data)
	vek32.MulNumber_Inplace(gW1.Data, ip)
	vek32.MulNumber_Inplace(gW2.Data, ip)
	colMeanDiff(gB, neg.v, pos.v, in, ip)
	colMeanDiff(gC1, neg.h1, pos.p1, in, ip)
	colMeanDiff(gC2, neg.h2, pos.p2, in, ip)
	return train.Stats{}, nil
}

// StateTensors returns the persistent chains' layers "v", "h1", "h2"
// (train.Stateful).
func (t *dbmTrainer) StateTensors() map[string]*tensor.Dense[float64] {
	return map[string]*tensor.Dense[float64]{"v": tensor.Convert[float64](nil, t.neg.v),
		"h1": tensor.Convert[float64](nil, t.neg.h1), "h2": tensor.Convert[float64](nil, t.neg.h2)}
}

// LoadStateTensors restores the chains StateTensors returned.
func (t *dbmTrainer) LoadStateTensors(st map[string]*tensor.Dense[float64]) error {
	dst := map[string]*tensor.Dense[float32]{"v": t.neg.v, "h1": t.neg.h1, "h2": t.neg.h2}
	for k, d := range dst {
		if v, ok := st[k]; ok && (v.Rows != d.Rows || v.Cols != d.Cols) {
			return fmt.Errorf("rbm: DBM chains %q of shape %s for %s", k, v.Shape(), d.Shape())
		}
	}
	for k, d := range dst {
		if v, ok := st[k]; ok {
			tensor.Convert(d, v)
		}
	}
	return nil
}

// Reseed restarts the chains as at the start of training (after a divergence
// rollback).
func (t *dbmTrainer) Reseed(*rand.Rand) { t.initChains() }

// Params returns the parameters of m as autodiff parameters over m's own
// matrices (no copy): W1 (V×H1), W2 (H1×H2), b (1×V), c1 (1×H1), c2 (1×H2),
// with zero gradients that the training code fills with the gradients of the
// negative log-likelihood.
func (m *DBM) Params() []*autodiff.Param[float32] {
	return []*autodiff.Param[float32]{autodiff.NewParam("W1", m.W1), autodiff.NewParam("W2", m.W2),
		vecParam("b", m.B), vecParam("c1", m.C1), vecParam("c2", m.C2)}
}

// Sample runs n chains of block Gibbs sampling from random visible states for
// steps sweeps and returns E[v | h¹] of the last sweep.
func (m *DBM) Sample(n, steps int, seed uint64) (*tensor.Dense[float32], error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("rbm: need at least one chain, got %d", n)
	}
	s := newDBMState(m, n, seed)
	for i := range s.v.Data {
		s.v.Data[i] = float32(s.bits.next() >> 31)
	}
	for k := 0; k < max(steps, 1); k++ {
		s.sweep()
	}
	return s.pv, nil
}

// h1Enumerator enumerates h¹ with a = c₁ + extra (per example), d = (b, c₂) or
// c₂ alone, and the couplings of each h¹ unit.
func (m *DBM) h1Enumerator(a []float64, withVisible bool) *enumerator {
	nv, nh1, nh2 := m.Sizes()
	w1 := tensor.Convert[float64](nil, m.W1)
	w2 := tensor.Convert[float64](nil, m.W2)
	rows := make([][]float64, nh1)
	var d []float64
	if withVisible {
		d = append(f64s(m.B), f64s(m.C2)...)
	} else {
		d = f64s(m.C2)
	}
	for j := 0; j < nh1; j++ {
		var r []float64
		if withVisible {
			r = make([]float64, 0, nv+nh2)
			for i := 0; i < nv; i++ {
				r = append(r, w1.At(i, j))
			}
		}
		r = append(r, w2.Row(j)...)
		rows[j] = r
	}
	return newEnumerator(a, d, rows, nil, 0)
}

// ExactLogZ returns log Z by enumerating the first hidden layer (v and h² are
// summed out in closed form given h¹): up to MaxEnumerate units.
func (m *DBM) ExactLogZ() (float64, error) {
	if err := m.Validate(); err != nil {
		return 0, err
	}
	if _, nh1, _ := m.Sizes(); nh1 > MaxEnumerate {
		return 0, &LimitError{What: "DBM exact log Z (first hidden layer)", Units: nh1, Limit: MaxEnumerate}
	}
	return m.h1Enumerator(f64s(m.C1), true).computeLogZ(), nil
}

// LogProb returns the exact log p(v) = log Σ_{h¹,h²} exp(−E) − logZ for every row
// of x (binary), by enumerating h¹ for each example (up to MaxEnumerate units;
// cost 2^H1·H2 per example).
func (m *DBM) LogProb(x *tensor.Dense[float32], logZ float64) ([]float64, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	nv, nh1, _ := m.Sizes()
	if nh1 > MaxEnumerate {
		return nil, &LimitError{What: "DBM exact log-likelihood (first hidden layer)", Units: nh1, Limit: MaxEnumerate}
	}
	if err := checkData(x, nv, true, false, "data"); err != nil {
		return nil, err
	}
	w1 := tensor.Convert[float64](nil, m.W1)
	out := make([]float64, x.Rows)
	tensor.ParallelFor(x.Rows, 1, func(lo, hi int) {
		for n := lo; n < hi; n++ {
			a := f64s(m.C1)
			bv := 0.0
			for i, vi := range x.Row(n) {
				if vi != 0 {
					bv += float64(m.B[i])
					for j := range a {
						a[j] += w1.At(i, j)
					}
				}
			}
			out[n] = bv + m.h1Enumerator(a, false).computeLogZOn(false) - logZ
		}
	})
	return out, nil
}

// LowerBound returns the variational lower bound on log p(v) of the mean-field
// posterior q for every row of x:
//
//	log p(v) ≥ E_q[−E(v, h¹, h²)] + H(q) − log Z,
//
// given log Z (exact or estimated).
func (m *DBM) LowerBound(x *tensor.Dense[float32], logZ float64) ([]float64, error) {
	mu1, mu2, err := m.MeanField(x, 50, 1e-6)
	if err != nil {
		return nil, err
	}
	nv, nh1, nh2 := m.Sizes()
	out := make([]float64, x.Rows)
	ent := func(p float64) float64 {
		if p <= 0 || p >= 1 {
			return 0
		}
		return -p*math.Log(p) - (1-p)*math.Log(1-p)
	}
	for n := range out {
		v, q1, q2 := x.Row(n), mu1.Row(n), mu2.Row(n)
		s := 0.0
		for i := 0; i < nv; i++ {
			s += float64(m.B[i]) * float64(v[i])
			if v[i] != 0 {
				for j := 0; j < nh1; j++ {
					s += float64(v[i]) * float64(m.W1.At(i, j)) * float64(q1[j])
				}
			}
		}
		for j := 0; j < nh1; j++ {
			s += float64(m.C1[j])*float64(q1[j]) + ent(float64(q1[j]))
			for k := 0; k < nh2; k++ {
				s += float64(q1[j]) * float64(m.W2.At(j, k)) * float64(q2[k])
			}
		}
		for k := 0; k < nh2; k++ {
			s += float64(m.C2[k])*float64(q2[k]) + ent(float64(q2[k]))
		}
		out[n] = s - logZ
	}
	return out, nil
}
