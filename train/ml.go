package train

import (
	"errors"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// ML is maximum-likelihood training with negatives from any source: it
// minimizes
//
//	mean E(x⁺) − mean E(x⁻) + α·mean(E(x⁺)² + E(x⁻)²)
//
// over the data batch x⁺ and negatives x⁻ drawn by Negatives, whose parameter
// gradient E[∇θE(x⁺)] − E[∇θE(x⁻)] is the stochastic likelihood gradient when
// x⁻ follows the model (the α term is the IGEBM energy regularizer). CD, PCD
// and Replay are presets of it. ML is Stateful when its Negatives are.
type ML[T tensor.Float] struct {
	Negatives Negatives
	Alpha     float64 // weight of the E² regularizer (0: none)
}

// Name returns "ml".
func (m *ML[T]) Name() string { return "ml" }

// Loss draws negatives and records the loss.
func (m *ML[T]) Loss(t *autodiff.Tape[T], model energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	return mlWith(m.Negatives, m.Alpha, t, model, x, rng)
}

// StateTensors returns the negatives' state (nil if they keep none).
func (m *ML[T]) StateTensors() map[string]*tensor.Dense[float64] {
	if s, ok := m.Negatives.(Stateful); ok {
		return s.StateTensors()
	}
	return nil
}

func (m *ML[T]) writeState(st map[string]*tensor.Dense[float64]) { writeStateOf(m.Negatives, st) }

// LoadStateTensors restores the negatives' state.
func (m *ML[T]) LoadStateTensors(st map[string]*tensor.Dense[float64]) error {
	if s, ok := m.Negatives.(Stateful); ok {
		return s.LoadStateTensors(st)
	}
	return nil
}

// Reseed re-initializes the negatives' chains, if they keep any.
func (m *ML[T]) Reseed(rng *rand.Rand) {
	if s, ok := m.Negatives.(Stateful); ok {
		s.Reseed(rng)
	}
}

func mlWith[T tensor.Float](neg Negatives, alpha float64, t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	if neg == nil {
		return nil, Stats{}, errors.New("ml: no source of negatives")
	}
	xn, extra, err := neg.Draw(m, x, rng)
	if err != nil {
		return nil, Stats{}, err
	}
	loss, st := mlLoss(t, m, x, xn, alpha)
	st.Extra = extra
	return loss, st, nil
}

// mlLoss records mean E(x⁺) − mean E(x⁻) + α·mean(E(x⁺)² + E(x⁻)²).
func mlLoss[T tensor.Float](t *autodiff.Tape[T], m energy.Model[T], pos, neg *tensor.Dense[float64], alpha float64) (*autodiff.Var[T], Stats) {
	ep := m.Build(t, t.Input(pos, false))
	en := m.Build(t, t.Input(neg, false))
	loss := autodiff.Sub(autodiff.Mean(ep), autodiff.Mean(en))
	if alpha > 0 {
		reg := autodiff.Add(autodiff.Mean(autodiff.Square(ep)), autodiff.Mean(autodiff.Square(en)))
		loss = autodiff.Add(loss, autodiff.Scale(reg, alpha))
	}
	return loss, Stats{EPos: meanOf(ep), ENeg: meanOf(en)}
}

// The presets' samplers when none is set (the defaults of ParseEstimator).
func defaultSampler(name string) NegSampler {
	d := estimatorDefs[name]
	ns := NegSampler{Kind: d.str("sampler"), Steps: d.int("k"), Step: d.float("step"), Noise: d.float("noise"), Clip: d.float("clip")}
	if box := d.float("box"); box > 0 {
		ns.Clamp = sample.ScalarBox(-box, box)
	}
	return ns
}

// CD is contrastive divergence (CD-k): ML with FromData negatives, k sampler
// steps started at the data batch. A zero Sampler means the defaults of
// ParseEstimator("cd"): unadjusted Langevin, k = 1, step 0.01, no clamp.
type CD[T tensor.Float] struct {
	Sampler NegSampler
	Alpha   float64 // weight of the E² regularizer (0: none)
	neg     FromData
}

// NewCD returns CD with the defaults of ParseEstimator("cd").
func NewCD[T tensor.Float]() *CD[T] {
	return &CD[T]{Sampler: defaultSampler("cd"), Alpha: estimatorDefs["cd"].float("alpha")}
}

// Name returns "cd".
func (c *CD[T]) Name() string { return "cd" }

// Negatives returns the preset's source of negatives.
func (c *CD[T]) Negatives() Negatives {
	c.neg.Sampler = c.Sampler
	if c.Sampler.IsZero() {
		c.neg.Sampler = defaultSampler("cd")
	}
	return &c.neg
}

// Loss records the contrastive divergence loss of the batch.
func (c *CD[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	return mlWith(c.Negatives(), c.Alpha, t, m, x, rng)
}

// PCD is persistent contrastive divergence: ML with Persistent negatives,
// Chains chains (0: PCDChainsPerBatch times the batch size) initialized by
// Init and advanced by the sampler at every update, each re-drawn from Init
// with probability Reinit before an update (0: never, classic PCD). A zero
// Sampler means the defaults of ParseEstimator("pcd") (unadjusted Langevin,
// k = 10, step 0.01, chains clamped to [−4, 4]^d); an Init without a box
// (Lo = Hi) starts the chains uniformly in the sampler's clamp box, or in
// [−4, 4]^d. Sampler, Init, Chains and Reinit are read at the first batch.
//
// The defaults (twice as many chains as data points, 10% re-drawn per
// update, ten Langevin steps of 0.01) come from measurement on 8gaussians:
// classic PCD leaves low-energy ridges between neighbouring modes, which
// settled chains reach too slowly to push up; re-drawn chains land on them,
// more chains lower the noise of the negative term, and fewer, larger steps
// pay for the extra chains.
type PCD[T tensor.Float] struct {
	Sampler NegSampler
	Alpha   float64
	Init    Init
	Chains  int
	Reinit  float64
	neg     *Persistent
}

// PCDChainsPerBatch is the default number of PCD chains per data point of a
// batch.
const PCDChainsPerBatch = 2

// NewPCD returns PCD with the defaults of ParseEstimator("pcd") (Chains 0:
// PCDChainsPerBatch times the batch size).
func NewPCD[T tensor.Float]() *PCD[T] {
	d := estimatorDefs["pcd"]
	return &PCD[T]{Sampler: defaultSampler("pcd"), Alpha: d.float("alpha"), Reinit: d.float("reinit")}
}

// Name returns "pcd".
func (p *PCD[T]) Name() string { return "pcd" }

// Negatives returns the preset's persistent chains.
func (p *PCD[T]) Negatives() *Persistent {
	if p.neg == nil {
		ns := p.Sampler
		if ns.IsZero() {
			ns = defaultSampler("pcd")
		}
		p.neg = &Persistent{Sampler: ns, Init: p.Init.resolved(ns.box(DefaultBox)), Chains: p.Chains, Reinit: p.Reinit}
	}
	return p.neg
}

// Loss advances the persistent chains and records the loss.
func (p *PCD[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	neg := p.Negatives()
	if neg.x == nil && p.Chains <= 0 {
		neg.Chains = PCDChainsPerBatch * x.Rows
	}
	return mlWith(neg, p.Alpha, t, m, x, rng)
}

// StateTensors returns the chains.
func (p *PCD[T]) StateTensors() map[string]*tensor.Dense[float64] {
	return p.Negatives().StateTensors()
}

func (p *PCD[T]) writeState(m map[string]*tensor.Dense[float64]) { p.Negatives().writeState(m) }

// LoadStateTensors restores the chains.
func (p *PCD[T]) LoadStateTensors(s map[string]*tensor.Dense[float64]) error {
	return p.Negatives().LoadStateTensors(s)
}

// Reseed draws the chains afresh from Init.
func (p *PCD[T]) Reseed(rng *rand.Rand) { p.Negatives().Reseed(rng) }

// Replay is replay-buffer maximum likelihood, the IGEBM recipe (Du & Mordatch
// 2019): ML with ReplayBuffer negatives, a buffer of BufferSize past
// negatives (0: 10000) of which each draw re-initializes a fraction Reinit
// from Init. A zero Sampler means the defaults of ParseEstimator("replay");
// an Init without a box starts in the sampler's clamp box or [−4, 4]^d.
// Sampler, Init, BufferSize and Reinit are read at the first batch.
type Replay[T tensor.Float] struct {
	Sampler    NegSampler
	Alpha      float64
	Init       Init
	BufferSize int
	Reinit     float64
	neg        *ReplayBuffer
}

// NewReplay returns Replay with the defaults of ParseEstimator("replay").
func NewReplay[T tensor.Float]() *Replay[T] {
	d := estimatorDefs["replay"]
	return &Replay[T]{Sampler: defaultSampler("replay"), Alpha: d.float("alpha"), BufferSize: d.int("buffer"), Reinit: d.float("reinit")}
}

// Name returns "replay".
func (r *Replay[T]) Name() string { return "replay" }

// Negatives returns the preset's replay buffer.
func (r *Replay[T]) Negatives() *ReplayBuffer {
	if r.neg == nil {
		ns := r.Sampler
		if ns.IsZero() {
			ns = defaultSampler("replay")
		}
		r.neg = &ReplayBuffer{Sampler: ns, Init: r.Init.resolved(ns.box(DefaultBox)), Size: r.BufferSize, Reinit: r.Reinit}
	}
	return r.neg
}

// Loss draws negatives through the buffer and records the loss.
func (r *Replay[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	return mlWith(r.Negatives(), r.Alpha, t, m, x, rng)
}

// Buffer returns the replay buffer (nil before the first batch).
func (r *Replay[T]) Buffer() *tensor.Dense[float64] { return r.Negatives().Buffer() }

// StateTensors returns the buffer.
func (r *Replay[T]) StateTensors() map[string]*tensor.Dense[float64] {
	return r.Negatives().StateTensors()
}

func (r *Replay[T]) writeState(m map[string]*tensor.Dense[float64]) { r.Negatives().writeState(m) }

// LoadStateTensors restores the buffer.
func (r *Replay[T]) LoadStateTensors(s map[string]*tensor.Dense[float64]) error {
	return r.Negatives().LoadStateTensors(s)
}

// Reseed re-initializes the whole buffer from Init.
func (r *Replay[T]) Reseed(rng *rand.Rand) { r.Negatives().Reseed(rng) }
