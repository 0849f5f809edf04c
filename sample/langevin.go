package sample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// ULA is the unadjusted Langevin algorithm: for each chain, with step size η,
//
//	x ← x − η∇E(x) + √(2η)·ξ,   ξ ~ N(0, I).
//
// There is no accept step, so ULA does not leave exp(−E) invariant: it samples
// exp(−E) only in the limit η → 0, and at a finite η its stationary law is
// biased (for N(0, σ²) its variance is σ²/(1 − η/(2σ²)), too wide). Use MALA
// for exact sampling. With a clamp box each coordinate is clamped after every
// step. Each step takes one gradient evaluation; Info always reports
// AcceptProb 1 and Accepted.
type ULA struct {
	e    energy.GradEnergy
	opts ULAOptions
}

// ULAOptions configures a ULA kernel. Start from DefaultULAOptions.
type ULAOptions struct {
	// Step is the step size η > 0.
	Step float64
}

// DefaultULAOptions returns Step 0.01.
func DefaultULAOptions() ULAOptions { return ULAOptions{Step: 0.01} }

// NewULA returns an unadjusted Langevin kernel for e.
func NewULA(e energy.GradEnergy, opts ULAOptions) (*ULA, error) {
	if e == nil {
		return nil, errors.New("sample: ULA: nil energy")
	}
	if !validStep(opts.Step) {
		return nil, fmt.Errorf("sample: ULA: step %g must be positive and finite", opts.Step)
	}
	return &ULA{e: e, opts: opts}, nil
}

// Dim returns the dimension of the energy.
func (k *ULA) Dim() int { return k.e.Dim() }

// Init returns the state of chains started at the rows of x.
func (k *ULA) Init(x *tensor.Dense[float64], clamp *Box) (*State, error) {
	return k.Reinit(nil, x, clamp)
}

// Reinit is Init in prev's storage when it fits (see Reiniter).
func (k *ULA) Reinit(prev *State, x *tensor.Dense[float64], clamp *Box) (*State, error) {
	s, err := newState(prev, x, k.Dim(), clamp, true, false, k.opts.Step)
	if err != nil {
		return nil, err
	}
	if err := initEval(s, nil, k.e); err != nil {
		return nil, err
	}
	return s, nil
}

// Step moves every chain by one Langevin step.
func (k *ULA) Step(s *State, rngs []*rand.Rand, info []Info) error {
	if err := checkStep(s, k.Dim(), rngs, info); err != nil {
		return err
	}
	if _, err := freshen(s, k.e); err != nil {
		return err
	}
	langevinRows(s, rngs, 1, -1, 0)
	return evalUnadjusted(s, k.e, 1, info)
}

// Move is Step without the evaluation at the new positions (see Mover).
func (k *ULA) Move(s *State, rngs []*rand.Rand, info []Info) error {
	return moveUnadjusted(s, k.e, k.Dim(), rngs, info, -1, 0)
}

// Mover is implemented by the unadjusted kernels, ULA and SGLDStyle, whose
// move needs the gradient at the current positions only: Move moves every
// chain exactly as Step does (same numbers, same generator draws) but does
// not evaluate the energy at the new positions, which Step does for the next
// step. For the last step of a run whose caller needs only the positions
// (negative samples that a loss evaluates again) it saves one evaluation.
// After Move the state's E and G are stale, and not checked for non-finite
// values; a later Step or Move evaluates them first.
type Mover interface {
	Move(s *State, rngs []*rand.Rand, info []Info) error
}

// freshen evaluates E and G at the current positions if a Move left them
// stale, and returns the number of evaluations (0 or 1).
func freshen(s *State, e energy.GradEnergy) (int, error) {
	if !s.stale {
		return 0, nil
	}
	s.stale = false
	return 1, initEval(s, nil, e)
}

// moveUnadjusted is the unadjusted kernels' Move: langevinRows' moves (noise
// and clip as there), then s is marked stale and info filled as
// evalUnadjusted fills it, with the evaluations freshen took.
func moveUnadjusted(s *State, e energy.GradEnergy, d int, rngs []*rand.Rand, info []Info, noise, clip float64) error {
	if err := checkStep(s, d, rngs, info); err != nil {
		return err
	}
	ng, err := freshen(s, e)
	if err != nil {
		return err
	}
	langevinRows(s, rngs, 1, noise, clip)
	s.stale = true
	for c := range info {
		info[c] = Info{AcceptProb: 1, Accepted: true, NGrad: ng}
	}
	s.Iter++
	return nil
}

// langevinParMin is the number of coordinates (chains × dimension) from which
// langevinRows splits the chains across cores: each chain has its own
// generator and touches only its own rows, so the split changes no number.
const langevinParMin = 1 << 14

// langevinRows applies x ← x − a·g + b·ξ to every chain c, with a =
// scale·s.Step[c] and b = noise, or b = √(2a) when noise < 0 (ULA), g clipped
// to [−clip, clip] when clip > 0, then clamps into the box. Large batches are
// split across cores by chains.
func langevinRows(s *State, rngs []*rand.Rand, scale, noise, clip float64) {
	n := s.X.Rows
	if n*s.X.Cols >= langevinParMin && runtime.GOMAXPROCS(0) > 1 {
		j := &s.lrows
		*j = langevinJob{s: s, rngs: rngs, scale: scale, noise: noise, clip: clip}
		tensor.ParallelRows(j, n, max(1, langevinParMin/(2*s.X.Cols)))
		*j = langevinJob{}
		return
	}
	langevinRange(s, rngs, 0, n, scale, noise, clip)
}

// langevinJob is langevinRows' parallel body (tensor.RowJob), kept in the
// State so that handing it out does not allocate.
type langevinJob struct {
	s                  *State
	rngs               []*rand.Rand
	scale, noise, clip float64
}

// Run moves chains lo ≤ c < hi.
func (j *langevinJob) Run(lo, hi int) {
	langevinRange(j.s, j.rngs, lo, hi, j.scale, j.noise, j.clip)
}

// langevinRange is langevinRows for chains lo ≤ c < hi.
func langevinRange(s *State, rngs []*rand.Rand, lo, hi int, scale, noise, clip float64) {
	for c := lo; c < hi; c++ {
		a, b := scale*s.Step[c], noise
		if b < 0 {
			b = math.Sqrt(2 * a)
		}
		langevinRow(s, c, rngs[c], a, b, clip)
	}
}

// langevinRow applies x ← x − a·g + b·ξ to chain c, with g clipped
// elementwise to [−clip, clip] when clip > 0, then clamps into the box.
func langevinRow(s *State, c int, r *rand.Rand, a, b, clip float64) {
	x, g := s.X.Row(c), s.G.Row(c)
	g = g[:len(x)]
	if clip > 0 {
		for j, v := range x {
			x[j] = v - a*max(-clip, min(clip, g[j])) + b*r.NormFloat64()
		}
	} else {
		for j, v := range x {
			x[j] = v - a*g[j] + b*r.NormFloat64()
		}
	}
	s.clampRow(x)
}

// evalUnadjusted evaluates e at the moved chains, scales energies and
// gradients by 1/temp, checks them (+Inf is an error for unadjusted kernels)
// and fills info.
func evalUnadjusted(s *State, e energy.GradEnergy, temp float64, info []Info) error {
	e.EnergyGrad(s.X, s.E, s.G)
	for c := range s.E {
		if err := checkEnergy(c, s.E[c], false); err != nil {
			return err
		}
		g := s.G.Row(c)
		if !finite(sum4(g)) {
			if err := checkGrad(c, g); err != nil {
				return err
			}
		}
		if temp != 1 {
			s.E[c] /= temp
			for j := range g {
				g[j] /= temp
			}
		}
		info[c] = Info{AcceptProb: 1, Accepted: true, NGrad: 1}
	}
	s.Iter++
	return nil
}

// SGLDStyle is the decoupled Langevin-like update used to sample energy-based
// models in IGEBM (Du & Mordatch 2019) and JEM (Grathwohl et al. 2020):
//
//	x ← x − a·∇E(x) + b·ξ,   ξ ~ N(0, I),
//
// with the step a and the noise scale b set separately (IGEBM's a = 10,
// b = 0.005 by default), optionally with the gradient clipped elementwise to
// [−Clip, Clip]. It is NOT Langevin dynamics for exp(−E) unless b² = 2a: it is
// ULA with step η = b²/2 on E/T, T = b²/(2a), and so samples (for small a) the colder
// distribution exp(−E/T) — with the defaults T = 1.25·10⁻⁶, essentially a
// noisy gradient descent. For N(0, σ²) its stationary variance is exactly
// T·σ²/(1 − a/(2σ²)) (an AR(1) chain with coefficient 1 − a/σ²). There is no
// accept step; with a clamp box each coordinate is clamped after every step.
// State.Step holds a.
type SGLDStyle struct {
	e    energy.GradEnergy
	opts SGLDStyleOptions
}

// SGLDStyleOptions configures an SGLDStyle kernel. Start from
// DefaultSGLDStyleOptions.
type SGLDStyleOptions struct {
	// Step is the gradient step a > 0 (the "a" of the update; in specs,
	// step=, with a= accepted as an alias).
	Step float64
	// Noise is the noise standard deviation b ≥ 0 (in specs, noise=, with b=
	// accepted as an alias).
	Noise float64
	// Clip, if positive, clips each gradient element to [−Clip, Clip] (IGEBM
	// clips at 0.01); 0 disables clipping.
	Clip float64
}

// DefaultSGLDStyleOptions returns IGEBM's a = 10, b = 0.005 and no clipping.
func DefaultSGLDStyleOptions() SGLDStyleOptions { return SGLDStyleOptions{Step: 10, Noise: 0.005} }

// Temperature returns T = b²/(2a), the temperature of the distribution
// exp(−E/T) that the update targets.
func (o SGLDStyleOptions) Temperature() float64 { return o.Noise * o.Noise / (2 * o.Step) }

// NewSGLDStyle returns an SGLD-style kernel for e.
func NewSGLDStyle(e energy.GradEnergy, opts SGLDStyleOptions) (*SGLDStyle, error) {
	if e == nil {
		return nil, errors.New("sample: SGLDStyle: nil energy")
	}
	if !validStep(opts.Step) {
		return nil, fmt.Errorf("sample: SGLDStyle: step a = %g must be positive and finite", opts.Step)
	}
	if !(opts.Noise >= 0) || math.IsInf(opts.Noise, 1) {
		return nil, fmt.Errorf("sample: SGLDStyle: noise b = %g must be non-negative and finite", opts.Noise)
	}
	if !(opts.Clip >= 0) {
		return nil, fmt.Errorf("sample: SGLDStyle: clip %g must be non-negative (0 disables it)", opts.Clip)
	}
	return &SGLDStyle{e: e, opts: opts}, nil
}

// Dim returns the dimension of the energy.
func (k *SGLDStyle) Dim() int { return k.e.Dim() }

// Init returns the state of chains started at the rows of x.
func (k *SGLDStyle) Init(x *tensor.Dense[float64], clamp *Box) (*State, error) {
	return k.Reinit(nil, x, clamp)
}

// Reinit is Init in prev's storage when it fits (see Reiniter).
func (k *SGLDStyle) Reinit(prev *State, x *tensor.Dense[float64], clamp *Box) (*State, error) {
	s, err := newState(prev, x, k.Dim(), clamp, true, false, k.opts.Step)
	if err != nil {
		return nil, err
	}
	if err := initEval(s, nil, k.e); err != nil {
		return nil, err
	}
	return s, nil
}

// Step moves every chain by one SGLD-style update.
func (k *SGLDStyle) Step(s *State, rngs []*rand.Rand, info []Info) error {
	if err := checkStep(s, k.Dim(), rngs, info); err != nil {
		return err
	}
	if _, err := freshen(s, k.e); err != nil {
		return err
	}
	langevinRows(s, rngs, 1, k.opts.Noise, k.opts.Clip)
	return evalUnadjusted(s, k.e, 1, info)
}

// Move is Step without the evaluation at the new positions (see Mover).
func (k *SGLDStyle) Move(s *State, rngs []*rand.Rand, info []Info) error {
	return moveUnadjusted(s, k.e, k.Dim(), rngs, info, k.opts.Noise, k.opts.Clip)
}

// AnnealedLangevin is annealed Langevin dynamics (Song & Ermon 2019, NCSN
// Algorithm 1). With noise levels σ₁ > … > σ_L on a geometric schedule, T steps
// per level and base step ε, level i runs T steps of
//
//	α_i = ε·σ_i²/σ_L²,   x ← x − (α_i/2)∇E_{σ_i}(x) + √α_i·ξ,
//
// where E_σ is the exact Gaussian-smoothed energy from energy.Smoother
// (the density of x + σξ, x ~ exp(−E)). Large σ merges the modes so chains move
// between them, and the smoothed energies keep the modes' weights right at
// every level, so chains settle into modes in the right proportions.
//
// If the energy is not a Smoother, the levels temper instead: level i runs
// ULA on E/T_i with T_i = (1+σ_i²)/(1+σ_L²) (the temperature at which a
// unit-variance mode is as wide as its σ_i-smoothed version, normalized to end
// at T_L = 1) and step α_i = ε·T_i. Tempering alone gets the mode weights
// wrong: the mass of a mode under exp(−E/T) grows like w^(1/T)·(width·√T)^d,
// so at high temperature the weights are flattened and wide modes are
// favoured, and chains that freeze into modes while T decreases keep those
// distorted proportions.
//
// Step counts its position in the schedule from State.Iter: step t uses
// level min(⌊t/T⌋, L−1), so after Len() = L·T steps the chains keep running at
// the last level. To get the NCSN output, run Len() steps and keep the last
// (Config{Steps: k.Len(), Thin: k.Len()}). State.E and State.G hold the
// energy and gradient of the current level's energy (E_σ or E/T). It is
// unadjusted: there is no accept step, +Inf energies stop the run, and with a
// clamp box each coordinate is clamped after every step.
type AnnealedLangevin struct {
	base    energy.GradEnergy
	levels  []energy.GradEnergy // per level: E_σ (smoothing) or base (tempering)
	sigmas  []float64
	temps   []float64 // 1 when smoothing
	mult    []float64 // α_i / ε
	opts    AnnealedLangevinOptions
	tempers bool
}

// AnnealedLangevinOptions configures an AnnealedLangevin kernel. Start from
// DefaultAnnealedLangevinOptions.
type AnnealedLangevinOptions struct {
	// SigmaMax and SigmaMin are σ₁ ≥ σ_L > 0; the levels are geometric
	// between them (σ_L alone when Levels is 1).
	SigmaMax, SigmaMin float64
	// Levels is L ≥ 1.
	Levels int
	// StepsPerLevel is T ≥ 1.
	StepsPerLevel int
	// Eps is the base step ε > 0, the step at the last level.
	Eps float64
}

// DefaultAnnealedLangevinOptions returns NCSN's settings for images scaled to
// [0, 1]: σ from 1 to 0.01 over L = 10 levels, T = 100, ε = 2·10⁻⁵. Other
// data need σ₁ about the largest distance between modes and σ_L well below
// the smallest feature scale.
func DefaultAnnealedLangevinOptions() AnnealedLangevinOptions {
	return AnnealedLangevinOptions{SigmaMax: 1, SigmaMin: 0.01, Levels: 10, StepsPerLevel: 100, Eps: 2e-5}
}

// NewAnnealedLangevin returns an annealed Langevin kernel for e, smoothing
// through e's Smoothed method when e is an energy.Smoother and tempering
// otherwise.
func NewAnnealedLangevin(e energy.GradEnergy, opts AnnealedLangevinOptions) (*AnnealedLangevin, error) {
	if e == nil {
		return nil, errors.New("sample: AnnealedLangevin: nil energy")
	}
	if !validStep(opts.SigmaMin) || !validStep(opts.SigmaMax) || opts.SigmaMax < opts.SigmaMin {
		return nil, fmt.Errorf("sample: AnnealedLangevin: need SigmaMax ≥ SigmaMin > 0, got %g and %g", opts.SigmaMax, opts.SigmaMin)
	}
	if opts.Levels < 1 {
		return nil, fmt.Errorf("sample: AnnealedLangevin: %d levels, need at least 1", opts.Levels)
	}
	if opts.StepsPerLevel < 1 {
		return nil, fmt.Errorf("sample: AnnealedLangevin: %d steps per level, need at least 1", opts.StepsPerLevel)
	}
	if !validStep(opts.Eps) {
		return nil, fmt.Errorf("sample: AnnealedLangevin: step ε = %g must be positive and finite", opts.Eps)
	}
	L := opts.Levels
	k := &AnnealedLangevin{
		base:   e,
		levels: make([]energy.GradEnergy, L),
		sigmas: make([]float64, L),
		temps:  make([]float64, L),
		mult:   make([]float64, L),
		opts:   opts,
	}
	sL := opts.SigmaMin
	for i := range L {
		sig := sL
		if L > 1 {
			sig = opts.SigmaMax * math.Pow(opts.SigmaMin/opts.SigmaMax, float64(i)/float64(L-1))
		}
		if i == L-1 {
			sig = sL
		}
		k.sigmas[i] = sig
	}
	sm, ok := e.(energy.Smoother)
	k.tempers = !ok
	for i, sig := range k.sigmas {
		if ok {
			es := sm.Smoothed(sig)
			if es == nil || es.Dim() != e.Dim() {
				return nil, fmt.Errorf("sample: AnnealedLangevin: Smoothed(%g) returned no energy of dimension %d", sig, e.Dim())
			}
			k.levels[i], k.temps[i] = es, 1
			k.mult[i] = sig * sig / (sL * sL)
		} else {
			t := (1 + sig*sig) / (1 + sL*sL)
			k.levels[i], k.temps[i], k.mult[i] = e, t, t
		}
	}
	return k, nil
}

// Dim returns the dimension of the energy.
func (k *AnnealedLangevin) Dim() int { return k.base.Dim() }

// Len returns L·T, the length of the annealing schedule.
func (k *AnnealedLangevin) Len() int { return k.opts.Levels * k.opts.StepsPerLevel }

// Sigmas returns the noise levels σ₁ > … > σ_L.
func (k *AnnealedLangevin) Sigmas() []float64 { return append([]float64(nil), k.sigmas...) }

// Temperatures returns the temperatures T_i of the tempering fallback, or nil
// when the energy is a Smoother.
func (k *AnnealedLangevin) Temperatures() []float64 {
	if !k.tempers {
		return nil
	}
	return append([]float64(nil), k.temps...)
}

// level returns the level index of step t.
func (k *AnnealedLangevin) level(t int) int {
	return min(t/k.opts.StepsPerLevel, k.opts.Levels-1)
}

// Init returns the state of chains started at the rows of x, with energies and
// gradients of the first level.
func (k *AnnealedLangevin) Init(x *tensor.Dense[float64], clamp *Box) (*State, error) {
	return k.Reinit(nil, x, clamp)
}

// Reinit is Init in prev's storage when it fits (see Reiniter).
func (k *AnnealedLangevin) Reinit(prev *State, x *tensor.Dense[float64], clamp *Box) (*State, error) {
	s, err := newState(prev, x, k.Dim(), clamp, true, false, k.opts.Eps)
	if err != nil {
		return nil, err
	}
	if err := initEval(s, nil, k.levels[0]); err != nil {
		return nil, err
	}
	if t := k.temps[0]; t != 1 {
		for c := range s.E {
			s.E[c] /= t
		}
		for j := range s.G.Data {
			s.G.Data[j] /= t
		}
	}
	return s, nil
}

// Step moves every chain by one step of the current level, then evaluates the
// next step's level energy at the new points.
func (k *AnnealedLangevin) Step(s *State, rngs []*rand.Rand, info []Info) error {
	if err := checkStep(s, k.Dim(), rngs, info); err != nil {
		return err
	}
	// Step a = s.Step[c]·mult: the move x − (a/2)·g + √a·ξ, ULA's with η = a/2
	// (halving is exact, so √(2η) is √a to the bit).
	langevinRows(s, rngs, k.mult[k.level(s.Iter)]/2, -1, 0)
	next := k.level(s.Iter + 1)
	return evalUnadjusted(s, k.levels[next], k.temps[next], info)
}
