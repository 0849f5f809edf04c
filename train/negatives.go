package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// Negatives is where the negative samples x⁻ of maximum-likelihood training
// come from. Draw returns negatives for the data batch on energy e (a matrix
// that stays valid until the next Draw and must not be changed) and figures
// to log (for example the sampler's mean acceptance probability "accept").
type Negatives interface {
	Draw(e energy.GradEnergy, data *tensor.Dense[float64], rng *rand.Rand) (*tensor.Dense[float64], map[string]float64, error)
}

// KernelFactory builds a sampler kernel on an energy (called at every Draw,
// since the energy's parameters change between draws).
type KernelFactory func(e energy.GradEnergy) (sample.Kernel, error)

// NegSampler configures the MCMC that moves negatives: Steps transitions of a
// kernel per draw, every chain with its own generator seeded from the draw's
// random source.
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
	// Kernel, if not nil, builds the kernel instead of Kind, Step, Noise and
	// Clip (any sample.Kernel: HMC, a custom sampler, …).
	Kernel KernelFactory
}

// IsZero reports whether every field is zero (an unset sampler, which the
// CD, PCD and Replay presets replace by their defaults).
func (ns *NegSampler) IsZero() bool {
	return ns.Kind == "" && ns.Step == 0 && ns.Noise == 0 && ns.Steps == 0 && ns.Clip == 0 && ns.Clamp == nil && ns.Kernel == nil
}

// Validate checks the settings.
func (ns *NegSampler) Validate() error {
	if ns.Steps < 1 {
		return fmt.Errorf("sampler steps must be ≥ 1, got %d", ns.Steps)
	}
	if ns.Kernel != nil {
		return nil
	}
	switch ns.Kind {
	case "", "ula", "sgld", "mala":
	default:
		return fmt.Errorf("sampler %q unknown (valid: ula, sgld, mala)", ns.Kind)
	}
	if !(ns.Step > 0) || math.IsInf(ns.Step, 0) {
		return fmt.Errorf("sampler step must be > 0, got %v", ns.Step)
	}
	if ns.Kind == "sgld" && (!(ns.Noise >= 0) || math.IsInf(ns.Noise, 0)) {
		return fmt.Errorf("sgld noise must be ≥ 0, got %v", ns.Noise)
	}
	if !(ns.Clip >= 0) {
		return fmt.Errorf("sampler clip must be ≥ 0, got %v", ns.Clip)
	}
	return nil
}

func (ns *NegSampler) kernel(e energy.GradEnergy) (sample.Kernel, error) {
	if ns.Kernel != nil {
		return ns.Kernel(e)
	}
	switch ns.Kind {
	case "sgld":
		return sample.NewSGLDStyle(e, sample.SGLDStyleOptions{Step: ns.Step, Noise: ns.Noise, Clip: ns.Clip})
	case "mala":
		return sample.NewMALA(e, sample.MALAOptions{Step: ns.Step})
	default:
		return sample.NewULA(e, sample.ULAOptions{Step: ns.Step})
	}
}

// box returns the half-width of a scalar clamp box centred at 0, or def.
func (ns *NegSampler) box(def float64) float64 {
	if ns.Clamp != nil && len(ns.Clamp.Hi) == 1 && ns.Clamp.Hi[0] > 0 && !math.IsInf(ns.Clamp.Hi[0], 0) {
		return ns.Clamp.Hi[0]
	}
	return def
}

// chainRNGs holds one generator per chain, reseeded for every batch so that a
// run's randomness depends only on its seed and the iteration, and the
// sampler state of the last draw, whose storage the next draw reuses.
type chainRNGs struct {
	pcg  []*rand.PCG
	rngs []*rand.Rand
	info []sample.Info
	st   *sample.State
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
// positions and the mean acceptance probability. The positions are the
// sampler state's (cr.st.X for a kernel that implements sample.Reiniter):
// valid until the next run with cr.
func (ns *NegSampler) run(e energy.GradEnergy, x *tensor.Dense[float64], cr *chainRNGs, rng *rand.Rand) (*tensor.Dense[float64], float64, error) {
	if ns.Steps < 1 {
		return nil, 0, fmt.Errorf("sampler steps must be ≥ 1, got %d", ns.Steps)
	}
	k, err := ns.kernel(e)
	if err != nil {
		return nil, 0, err
	}
	if f, ok := e.(energy.Freezer); ok { // the model does not change while sampling
		defer f.Freeze()()
	}
	var s *sample.State
	if r, ok := k.(sample.Reiniter); ok {
		s, err = r.Reinit(cr.st, x, ns.Clamp)
		cr.st = s
	} else {
		s, err = k.Init(x, ns.Clamp)
	}
	if err != nil {
		return nil, 0, err
	}
	rngs := cr.reseed(rng.Uint64(), x.Rows)
	info := cr.info[:x.Rows]
	acc := 0.0
	mover, _ := k.(sample.Mover)
	for i := 0; i < ns.Steps; i++ {
		if i == ns.Steps-1 && mover != nil {
			// The loss evaluates the negatives itself: no evaluation at
			// the final positions (the same positions as Step's).
			err = mover.Move(s, rngs, info)
		} else {
			err = k.Step(s, rngs, info)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("negative sampling step %d: %w", i, err)
		}
		for _, in := range info {
			acc += in.AcceptProb
		}
	}
	return s.X, acc / float64(ns.Steps*x.Rows), nil
}

// Init says how chains and buffer entries are (re)initialized.
type Init struct {
	// Kind is "uniform" (uniform on the box [Lo, Hi]^d, the default) or
	// "gaussian" (a Gaussian with the data's per-coordinate mean and standard
	// deviation, fitted on the first batch, then clipped into the sampler's
	// clamp box if it has one).
	Kind   string
	Lo, Hi float64
	mu, sd []float64
}

// DefaultBox is the half-width of the box [−4, 4]^d in which the PCD and
// Replay presets start and keep their chains by default.
const DefaultBox = 4.0

// resolved returns in with an unset uniform box (Lo = Hi) replaced by
// [−box, box].
func (in Init) resolved(box float64) Init {
	if in.Lo == in.Hi && in.Kind != "gaussian" {
		in.Lo, in.Hi = -box, box
	}
	return in
}

func (in *Init) validate() error {
	switch in.Kind {
	case "", "uniform", "gaussian":
	default:
		return fmt.Errorf("init %q unknown (valid: uniform, gaussian)", in.Kind)
	}
	if math.IsNaN(in.Lo) || math.IsNaN(in.Hi) || math.IsInf(in.Lo, 0) || math.IsInf(in.Hi, 0) || in.Lo > in.Hi {
		return fmt.Errorf("init box [%v, %v] is not a finite interval", in.Lo, in.Hi)
	}
	return nil
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

// draw writes a fresh start into row; with a clamp box, Gaussian draws are
// clipped into it (uniform ones are drawn in [Lo, Hi]).
func (in *Init) draw(row []float64, rng *rand.Rand, clamp *sample.Box) {
	if in.Kind == "gaussian" && in.mu != nil {
		for j := range row {
			row[j] = in.mu[j] + in.sd[j]*rng.NormFloat64()
		}
		if clamp != nil {
			for j := range row {
				lo, hi := clamp.Lo[0], clamp.Hi[0]
				if len(clamp.Lo) == len(row) {
					lo = clamp.Lo[j]
				}
				if len(clamp.Hi) == len(row) {
					hi = clamp.Hi[j]
				}
				row[j] = math.Min(math.Max(row[j], lo), hi)
			}
		}
		return
	}
	for j := range row {
		row[j] = in.Lo + (in.Hi-in.Lo)*rng.Float64()
	}
}

// state adds the fitted Gaussian (if any) to m under prefix.
func (in *Init) state(prefix string, m map[string]*tensor.Dense[float64]) {
	if in.mu != nil {
		m[prefix+"init_mu"] = tensor.FromSlice(1, len(in.mu), append([]float64(nil), in.mu...))
		m[prefix+"init_sd"] = tensor.FromSlice(1, len(in.sd), append([]float64(nil), in.sd...))
	}
}

func (in *Init) load(prefix string, m map[string]*tensor.Dense[float64]) error {
	mu, ok1 := m[prefix+"init_mu"]
	sd, ok2 := m[prefix+"init_sd"]
	if !ok1 && !ok2 {
		return nil
	}
	if !ok1 || !ok2 || mu.Len() != sd.Len() {
		return errors.New("train: incomplete initial Gaussian in the state")
	}
	in.mu = append([]float64(nil), mu.Data...)
	in.sd = append([]float64(nil), sd.Data...)
	return nil
}

// FromData starts fresh chains at the data batch and runs the sampler:
// contrastive divergence (CD-k, Hinton 2002) with k = Sampler.Steps.
type FromData struct {
	Sampler NegSampler
	cr      chainRNGs
}

// Draw runs the sampler from the data batch.
func (f *FromData) Draw(e energy.GradEnergy, data *tensor.Dense[float64], rng *rand.Rand) (*tensor.Dense[float64], map[string]float64, error) {
	neg, acc, err := f.Sampler.run(e, data, &f.cr, rng)
	if err != nil {
		return nil, nil, err
	}
	return neg, map[string]float64{"accept": acc}, nil
}

// FromNoise starts Chains fresh chains (0: the batch size) from Init at every
// draw and runs the sampler (short-run MCMC from noise, Nijkamp et al. 2019).
// A Gaussian Init is fitted to the first batch and kept in the state.
type FromNoise struct {
	Sampler NegSampler
	Init    Init
	Chains  int
	x0      *tensor.Dense[float64]
	cr      chainRNGs
}

// Draw runs the sampler from fresh starts.
func (f *FromNoise) Draw(e energy.GradEnergy, data *tensor.Dense[float64], rng *rand.Rand) (*tensor.Dense[float64], map[string]float64, error) {
	f.Init.fit(data)
	n := f.Chains
	if n <= 0 {
		n = data.Rows
	}
	if f.x0 == nil || f.x0.Rows != n || f.x0.Cols != data.Cols {
		f.x0 = tensor.New[float64](n, data.Cols)
	}
	for i := 0; i < n; i++ {
		f.Init.draw(f.x0.Row(i), rng, f.Sampler.Clamp)
	}
	neg, acc, err := f.Sampler.run(e, f.x0, &f.cr, rng)
	if err != nil {
		return nil, nil, err
	}
	return neg, map[string]float64{"accept": acc}, nil
}

// StateTensors returns the fitted Gaussian of Init, if any.
func (f *FromNoise) StateTensors() map[string]*tensor.Dense[float64] {
	m := map[string]*tensor.Dense[float64]{}
	f.Init.state("noise.", m)
	if len(m) == 0 {
		return nil
	}
	return m
}

// LoadStateTensors restores what StateTensors returned.
func (f *FromNoise) LoadStateTensors(m map[string]*tensor.Dense[float64]) error {
	return f.Init.load("noise.", m)
}

// Reseed does nothing: every draw starts afresh.
func (f *FromNoise) Reseed(*rand.Rand) {}

// Persistent keeps Chains chains (0: the batch size) across parameter
// updates (persistent contrastive divergence, Tieleman 2008): initialized by
// Init on the first draw and advanced by the sampler at every draw. Before
// each draw every chain is re-drawn from Init with probability Reinit (0:
// never, classic PCD; Reseed also re-draws them all after a divergence).
//
// Re-drawn chains are what the replay recipe of Du & Mordatch (2019) adds to
// persistent chains: settled chains leave low-energy regions between modes
// (ridges the model has not pushed up yet) unvisited for many updates, while
// fresh starts land there at once, so their energy is raised where the
// persistent negatives alone would raise it too slowly. Each chain then lives
// for 1/Reinit updates on average.
type Persistent struct {
	Sampler NegSampler
	Init    Init
	Chains  int
	Reinit  float64
	x       *tensor.Dense[float64]
	cr      chainRNGs
}

// Draw advances the chains and returns them.
func (p *Persistent) Draw(e energy.GradEnergy, data *tensor.Dense[float64], rng *rand.Rand) (*tensor.Dense[float64], map[string]float64, error) {
	if p.x == nil {
		p.Init.fit(data)
		n := p.Chains
		if n <= 0 {
			n = data.Rows
		}
		p.x = tensor.New[float64](n, data.Cols)
		for i := 0; i < n; i++ {
			p.Init.draw(p.x.Row(i), rng, p.Sampler.Clamp)
		}
	}
	if p.x.Cols != data.Cols {
		return nil, nil, fmt.Errorf("persistent chains have dimension %d, the data %d", p.x.Cols, data.Cols)
	}
	if !(p.Reinit >= 0 && p.Reinit <= 1) {
		return nil, nil, fmt.Errorf("persistent chains: reinit must be in [0, 1], got %v", p.Reinit)
	}
	if p.Reinit > 0 {
		for i := 0; i < p.x.Rows; i++ {
			if rng.Float64() < p.Reinit {
				p.Init.draw(p.x.Row(i), rng, p.Sampler.Clamp)
			}
		}
	}
	neg, acc, err := p.Sampler.run(e, p.x, &p.cr, rng)
	if err != nil {
		return nil, nil, err
	}
	p.x = neg
	return neg, map[string]float64{"accept": acc}, nil
}

// Chain returns the chains' positions (nil before the first draw).
func (p *Persistent) Chain() *tensor.Dense[float64] { return p.x }

// StateTensors returns the chains (and Init's fitted Gaussian).
func (p *Persistent) StateTensors() map[string]*tensor.Dense[float64] {
	if p.x == nil {
		return nil
	}
	m := map[string]*tensor.Dense[float64]{}
	p.writeState(m)
	return m
}

// writeState puts the chains into m, reusing m's tensor (see stateWriter).
func (p *Persistent) writeState(m map[string]*tensor.Dense[float64]) {
	writeChains(m, "pcd.", "chains", p.x, &p.Init)
}

// writeChains empties m and, when x is not nil, puts a copy of x under
// prefix+name (into the tensor m held there when it fits) and Init's fitted
// Gaussian under prefix.
func writeChains(m map[string]*tensor.Dense[float64], prefix, name string, x *tensor.Dense[float64], in *Init) {
	prev := m[prefix+name]
	clear(m)
	if x == nil {
		return
	}
	m[prefix+name] = copyInto(prev, x)
	in.state(prefix, m)
}

// LoadStateTensors restores the chains.
func (p *Persistent) LoadStateTensors(s map[string]*tensor.Dense[float64]) error {
	if c, ok := s["pcd.chains"]; ok {
		p.x = c.Clone()
	}
	return p.Init.load("pcd.", s)
}

// Reseed draws the chains afresh from Init.
func (p *Persistent) Reseed(rng *rand.Rand) {
	if p.x != nil {
		for i := 0; i < p.x.Rows; i++ {
			p.Init.draw(p.x.Row(i), rng, p.Sampler.Clamp)
		}
	}
}

// ReplayBuffer keeps Size past negatives (0: 10000), the IGEBM recipe (Du &
// Mordatch 2019): initialized by Init on the first draw; each draw takes a
// batch of entries uniformly with replacement, re-initializes each from Init
// with probability Reinit, runs the sampler and writes the results back.
type ReplayBuffer struct {
	Sampler NegSampler
	Init    Init
	Size    int
	Reinit  float64
	buf     *tensor.Dense[float64]
	idx     []int
	x0      *tensor.Dense[float64]
	cr      chainRNGs
}

// Draw takes negatives through the buffer.
func (r *ReplayBuffer) Draw(e energy.GradEnergy, data *tensor.Dense[float64], rng *rand.Rand) (*tensor.Dense[float64], map[string]float64, error) {
	n, d := data.Rows, data.Cols
	if r.buf == nil {
		r.Init.fit(data)
		size := r.Size
		if size <= 0 {
			size = 10000
		}
		r.buf = tensor.New[float64](size, d)
		for i := 0; i < size; i++ {
			r.Init.draw(r.buf.Row(i), rng, r.Sampler.Clamp)
		}
	}
	if r.buf.Cols != d {
		return nil, nil, fmt.Errorf("replay buffer has dimension %d, the data %d", r.buf.Cols, d)
	}
	if cap(r.idx) < n {
		r.idx = make([]int, n)
	}
	idx := r.idx[:n]
	if r.x0 == nil || r.x0.Rows != n || r.x0.Cols != d {
		r.x0 = tensor.New[float64](n, d)
	}
	x0 := r.x0
	for i := range idx {
		idx[i] = rng.IntN(r.buf.Rows)
		copy(x0.Row(i), r.buf.Row(idx[i]))
	}
	for i := range idx {
		if rng.Float64() < r.Reinit {
			r.Init.draw(x0.Row(i), rng, r.Sampler.Clamp)
		}
	}
	neg, acc, err := r.Sampler.run(e, x0, &r.cr, rng)
	if err != nil {
		return nil, nil, err
	}
	for i, j := range idx {
		copy(r.buf.Row(j), neg.Row(i))
	}
	return neg, map[string]float64{"accept": acc}, nil
}

// Buffer returns the buffer (nil before the first draw).
func (r *ReplayBuffer) Buffer() *tensor.Dense[float64] { return r.buf }

// StateTensors returns the buffer (and Init's fitted Gaussian).
func (r *ReplayBuffer) StateTensors() map[string]*tensor.Dense[float64] {
	if r.buf == nil {
		return nil
	}
	m := map[string]*tensor.Dense[float64]{}
	r.writeState(m)
	return m
}

// writeState puts the buffer into m, reusing m's tensor (see stateWriter).
func (r *ReplayBuffer) writeState(m map[string]*tensor.Dense[float64]) {
	writeChains(m, "replay.", "buffer", r.buf, &r.Init)
}

// LoadStateTensors restores the buffer.
func (r *ReplayBuffer) LoadStateTensors(s map[string]*tensor.Dense[float64]) error {
	if b, ok := s["replay.buffer"]; ok {
		r.buf = copyInto(r.buf, b)
	}
	return r.Init.load("replay.", s)
}

// Reseed re-initializes the whole buffer from Init.
func (r *ReplayBuffer) Reseed(rng *rand.Rand) {
	if r.buf != nil {
		for i := 0; i < r.buf.Rows; i++ {
			r.Init.draw(r.buf.Row(i), rng, r.Sampler.Clamp)
		}
	}
}
