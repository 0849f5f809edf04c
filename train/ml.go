package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// NegSampler configures the MCMC that draws negatives for the
// maximum-likelihood estimators.
type NegSampler struct {
	// Kind is "ula" (unadjusted Langevin x ← x − η∇E + √(2η)ξ, the default),
	// "sgld" (the SGLD-style update x ← x − a∇E + bξ of IGEBM, which samples
	// the colder exp(−E/T), T = b²/2a) or "mala" (Langevin with a
	// Metropolis-Hastings correction, fixed step).
	Kind string
	// Step is η for ULA and MALA, a for SGLD-style.
	Step float64
	// Noise is b for SGLD-style (ignored otherwise).
	Noise float64
	// Steps is the number of sampler steps per parameter update (k or K).
	Steps int
	// Clip, if positive, clips ∇ₓE elementwise (SGLD-style only, as IGEBM).
	Clip float64
	// Clamp, if not nil, confines the chains to a box.
	Clamp *sample.Box
}

// Validate checks the settings.
func (ns *NegSampler) Validate() error {
	switch ns.Kind {
	case "", "ula", "sgld", "mala":
	default:
		return fmt.Errorf("sampler %q unknown (valid: ula, sgld, mala)", ns.Kind)
	}
	if !(ns.Step > 0) || math.IsInf(ns.Step, 0) {
		return fmt.Errorf("sampler step must be > 0, got %v", ns.Step)
	}
	if ns.Steps < 1 {
		return fmt.Errorf("sampler steps must be ≥ 1, got %d", ns.Steps)
	}
	if ns.Kind == "sgld" && !(ns.Noise >= 0) {
		return fmt.Errorf("sgld noise must be ≥ 0, got %v", ns.Noise)
	}
	return nil
}

func (ns *NegSampler) kernel(e energy.GradEnergy) (sample.Kernel, error) {
	switch ns.Kind {
	case "sgld":
		return sample.NewSGLDStyle(e, sample.SGLDStyleOptions{A: ns.Step, B: ns.Noise, Clip: ns.Clip})
	case "mala":
		return sample.NewMALA(e, sample.MALAOptions{Step: ns.Step})
	default:
		return sample.NewULA(e, sample.ULAOptions{Step: ns.Step})
	}
}

// chainRNGs holds one generator per chain, reseeded for every batch so that a
// run's randomness depends only on its seed and the iteration.
type chainRNGs struct {
	pcg  []*rand.PCG
	rngs []*rand.Rand
	info []sample.Info
}

func (c *chainRNGs) reseed(seed uint64, n int) []*rand.Rand {
	for len(c.pcg) < n {
		p := rand.NewPCG(0, 0)
		c.pcg = append(c.pcg, p)
		c.rngs = append(c.rngs, rand.New(p))
		c.info = append(c.info, sample.Info{})
	}
	for i := 0; i < n; i++ {
		c.pcg[i].Seed(seed, uint64(i))
	}
	return c.rngs[:n]
}

// run moves the rows of x by ns.Steps sampler steps on e and returns the new
// positions (a new matrix) and the mean acceptance probability.
func (ns *NegSampler) run(e energy.GradEnergy, x *tensor.Dense[float64], cr *chainRNGs, rng *rand.Rand) (*tensor.Dense[float64], float64, error) {
	k, err := ns.kernel(e)
	if err != nil {
		return nil, 0, err
	}
	s, err := k.Init(x, ns.Clamp)
	if err != nil {
		return nil, 0, err
	}
	rngs := cr.reseed(rng.Uint64(), x.Rows)
	info := cr.info[:x.Rows]
	acc := 0.0
	for i := 0; i < ns.Steps; i++ {
		if err := k.Step(s, rngs, info); err != nil {
			return nil, 0, fmt.Errorf("negative sampling step %d: %w", i, err)
		}
		for _, in := range info {
			acc += in.AcceptProb
		}
	}
	return s.X, acc / float64(ns.Steps*x.Rows), nil
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

// CD is contrastive divergence (CD-k): the negatives are k sampler steps
// started at the data batch.
type CD[T tensor.Float] struct {
	Sampler NegSampler
	Alpha   float64 // weight of the E² regularizer (0: none)
	cr      chainRNGs
}

// Name returns "cd".
func (c *CD[T]) Name() string { return "cd" }

// Loss records the contrastive divergence loss of the batch.
func (c *CD[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	neg, acc, err := c.Sampler.run(m, x, &c.cr, rng)
	if err != nil {
		return nil, Stats{}, err
	}
	loss, st := mlLoss(t, m, x, neg, c.Alpha)
	st.Extra = map[string]float64{"accept": acc}
	return loss, st, nil
}

// Init says how chains and buffer entries are (re)initialized.
type Init struct {
	// Kind is "uniform" (uniform on the box [Lo, Hi]^d, the default) or
	// "gaussian" (a Gaussian with the data's per-coordinate mean and standard
	// deviation, fitted on the first batch).
	Kind   string
	Lo, Hi float64
	mu, sd []float64
}

func (in *Init) fit(x *tensor.Dense[float64]) {
	if in.mu != nil || in.Kind != "gaussian" {
		return
	}
	d := x.Cols
	in.mu, in.sd = make([]float64, d), make([]float64, d)
	for j := 0; j < d; j++ {
		var s, ss float64
		for i := 0; i < x.Rows; i++ {
			v := x.Data[i*d+j]
			s += v
			ss += v * v
		}
		mu := s / float64(x.Rows)
		in.mu[j] = mu
		in.sd[j] = math.Sqrt(math.Max(ss/float64(x.Rows)-mu*mu, 1e-12))
	}
}

func (in *Init) draw(row []float64, rng *rand.Rand) {
	if in.Kind == "gaussian" && in.mu != nil {
		for j := range row {
			row[j] = in.mu[j] + in.sd[j]*rng.NormFloat64()
		}
		return
	}
	for j := range row {
		row[j] = in.Lo + (in.Hi-in.Lo)*rng.Float64()
	}
}

// PCD is persistent contrastive divergence: Chains persistent chains (default:
// the batch size), initialized by Init, advanced by the sampler at every
// parameter update and never reset.
type PCD[T tensor.Float] struct {
	Sampler NegSampler
	Alpha   float64
	Init    Init
	Chains  int
	x       *tensor.Dense[float64]
	cr      chainRNGs
}

// Name returns "pcd".
func (p *PCD[T]) Name() string { return "pcd" }

// Loss advances the persistent chains and records the loss.
func (p *PCD[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	if p.x == nil {
		p.Init.fit(x)
		n := p.Chains
		if n <= 0 {
			n = x.Rows
		}
		p.x = tensor.New[float64](n, x.Cols)
		for i := 0; i < n; i++ {
			p.Init.draw(p.x.Row(i), rng)
		}
	}
	neg, acc, err := p.Sampler.run(m, p.x, &p.cr, rng)
	if err != nil {
		return nil, Stats{}, err
	}
	p.x = neg
	loss, st := mlLoss(t, m, x, neg, p.Alpha)
	st.Extra = map[string]float64{"accept": acc}
	return loss, st, nil
}

// StateTensors returns the chains.
func (p *PCD[T]) StateTensors() map[string]*tensor.Dense[float64] {
	if p.x == nil {
		return nil
	}
	return map[string]*tensor.Dense[float64]{"pcd.chains": p.x.Clone()}
}

// LoadStateTensors restores the chains.
func (p *PCD[T]) LoadStateTensors(s map[string]*tensor.Dense[float64]) error {
	if c, ok := s["pcd.chains"]; ok {
		p.x = c.Clone()
	}
	return nil
}

// Reseed draws the chains afresh from Init.
func (p *PCD[T]) Reseed(rng *rand.Rand) {
	if p.x != nil {
		for i := 0; i < p.x.Rows; i++ {
			p.Init.draw(p.x.Row(i), rng)
		}
	}
}

// Replay is replay-buffer maximum likelihood, the IGEBM recipe (Du & Mordatch
// 2019): a buffer of BufferSize past negatives, initialized by Init; each
// update draws a batch of entries (uniformly, with replacement), re-initializes
// each with probability Reinit (default 0.05), runs the sampler, writes the
// results back, and minimizes mean E(x⁺) − mean E(x⁻) + α·mean(E(x⁺)² + E(x⁻)²).
type Replay[T tensor.Float] struct {
	Sampler    NegSampler
	Alpha      float64
	Init       Init
	BufferSize int
	Reinit     float64
	buf        *tensor.Dense[float64]
	idx        []int
	cr         chainRNGs
}

// Name returns "replay".
func (r *Replay[T]) Name() string { return "replay" }

// Loss draws negatives through the buffer and records the loss.
func (r *Replay[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	n, d := x.Rows, x.Cols
	if r.buf == nil {
		r.Init.fit(x)
		size := r.BufferSize
		if size <= 0 {
			size = 10000
		}
		r.buf = tensor.New[float64](size, d)
		for i := 0; i < size; i++ {
			r.Init.draw(r.buf.Row(i), rng)
		}
	}
	if cap(r.idx) < n {
		r.idx = make([]int, n)
	}
	idx := r.idx[:n]
	x0 := tensor.New[float64](n, d)
	for i := range idx {
		idx[i] = rng.IntN(r.buf.Rows)
		copy(x0.Row(i), r.buf.Row(idx[i]))
	}
	for i := range idx {
		if rng.Float64() < r.Reinit {
			r.Init.draw(x0.Row(i), rng)
		}
	}
	neg, acc, err := r.Sampler.run(m, x0, &r.cr, rng)
	if err != nil {
		return nil, Stats{}, err
	}
	for i, j := range idx {
		copy(r.buf.Row(j), neg.Row(i))
	}
	loss, st := mlLoss(t, m, x, neg, r.Alpha)
	st.Extra = map[string]float64{"accept": acc}
	return loss, st, nil
}

// Buffer returns the replay buffer (nil before the first batch).
func (r *Replay[T]) Buffer() *tensor.Dense[float64] { return r.buf }

// StateTensors returns the buffer.
func (r *Replay[T]) StateTensors() map[string]*tensor.Dense[float64] {
	if r.buf == nil {
		return nil
	}
	return map[string]*tensor.Dense[float64]{"replay.buffer": r.buf.Clone()}
}

// LoadStateTensors restores the buffer.
func (r *Replay[T]) LoadStateTensors(s map[string]*tensor.Dense[float64]) error {
	if b, ok := s["replay.buffer"]; ok {
		r.buf = b.Clone()
	}
	return nil
}

// Reseed re-initializes the whole buffer from Init.
func (r *Replay[T]) Reseed(rng *rand.Rand) {
	if r.buf != nil {
		for i := 0; i < r.buf.Rows; i++ {
			r.Init.draw(r.buf.Row(i), rng)
		}
	}
}
