package sample

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// HMC is Hamiltonian Monte Carlo with a fixed number L of leapfrog steps and a
// diagonal mass matrix M = diag(1/m) (m is the inverse metric). For each chain,
// with step size ε:
//
//	p ~ N(0, M),  H(x, p) = E(x) + ½ Σ_j m_j p_j²,
//	L times:  p ← p − (ε/2)∇E(x);  x ← x + ε m ⊙ p;  p ← p − (ε/2)∇E(x),
//	accept the end point with probability min(1, exp(H(x₀, p₀) − H(x_L, p_L))).
//
// By default each transition's ε is jittered (see HMCOptions.Jitter).
//
// A trajectory is divergent when its energy error H − H₀ exceeds
// MaxEnergyError (Stan's threshold, 1000) at any leapfrog step, or when it
// leaves the support (energy +Inf, or outside the clamp box); it is stopped
// there and rejected, and Info.Divergent is set. Each step takes L gradient
// evaluations (fewer when every chain diverged early). Run adapts ε towards a
// mean acceptance of 0.8 by default (Stan's adapt_delta; 0.65 is the optimum
// for Gaussian targets in high dimension, Beskos et al. 2013, and anything in
// 0.65–0.8 is reasonable) and m towards the chain's variance.
type HMC struct {
	e    energy.GradEnergy
	opts HMCOptions
}

// HMCOptions configures an HMC kernel. Start from DefaultHMCOptions.
type HMCOptions struct {
	// Step is the initial leapfrog step size ε > 0 (the one used throughout
	// when adaptation is off).
	Step float64
	// L is the number of leapfrog steps per transition, at least 1.
	L int
	// MaxEnergyError is the divergence threshold on H − H₀, positive.
	MaxEnergyError float64
	// Jitter, in [0, 1), draws each transition's step size uniformly from
	// ε·(1 ± Jitter) (Stan's stepsize_jitter), independently per chain. A
	// fixed integration time εL resonates with the target's periods (for a
	// Gaussian, a coordinate with εL ≈ 2π·σ/√m barely moves), and jitter
	// breaks that; 0 disables it.
	Jitter float64
	// InvMetric is the initial diagonal inverse metric m (length d, positive);
	// nil means all ones.
	InvMetric []float64
}

// DefaultHMCOptions returns Step 0.1, L = 10 leapfrog steps, MaxEnergyError
// 1000 and Jitter 0.5. Once ε has adapted (to roughly 0.2–0.6 standard
// deviations for d in the tens), εL covers a few standard deviations, and the
// jitter spreads it over a range wide enough that no coordinate stays
// resonant.
func DefaultHMCOptions() HMCOptions {
	return HMCOptions{Step: 0.1, L: 10, MaxEnergyError: 1000, Jitter: 0.5}
}

// NewHMC returns an HMC kernel for e.
func NewHMC(e energy.GradEnergy, opts HMCOptions) (*HMC, error) {
	if err := checkTunable("HMC", e, opts.Step, opts.InvMetric); err != nil {
		return nil, err
	}
	if opts.L < 1 {
		return nil, fmt.Errorf("sample: HMC: L = %d leapfrog steps, need at least 1", opts.L)
	}
	if !(opts.MaxEnergyError > 0) {
		return nil, fmt.Errorf("sample: HMC: divergence threshold %g must be positive", opts.MaxEnergyError)
	}
	if !(opts.Jitter >= 0 && opts.Jitter < 1) {
		return nil, fmt.Errorf("sample: HMC: jitter %g must lie in [0, 1)", opts.Jitter)
	}
	return &HMC{e: e, opts: opts}, nil
}

// Dim returns the dimension of the energy.
func (k *HMC) Dim() int { return k.e.Dim() }

// DefaultTarget returns 0.8.
func (k *HMC) DefaultTarget() float64 { return 0.8 }

// Init returns the state of chains started at the rows of x.
func (k *HMC) Init(x *tensor.Dense[float64], clamp *Box) (*State, error) {
	return k.Reinit(nil, x, clamp)
}

// Reinit is Init in prev's storage when it fits (see Reiniter).
func (k *HMC) Reinit(prev *State, x *tensor.Dense[float64], clamp *Box) (*State, error) {
	s, err := newState(prev, x, k.Dim(), clamp, true, true, k.opts.Step)
	if err != nil {
		return nil, err
	}
	if s.p == nil {
		s.p = tensor.New[float64](x.Rows, x.Cols)
	}
	s.setMetric(k.opts.InvMetric)
	if err := initEval(s, nil, k.e); err != nil {
		return nil, err
	}
	return s, nil
}

// Step moves every chain by one HMC transition of L leapfrog steps.
func (k *HMC) Step(s *State, rngs []*rand.Rand, info []Info) error {
	return k.move(s, rngs, info, k.opts.L, true)
}

// Probe reports the acceptance probability of a single leapfrog step per
// chain from a fresh momentum, without moving the chains (the trial of Stan's
// step-size heuristic); chains with a nil generator are skipped.
func (k *HMC) Probe(s *State, rngs []*rand.Rand, info []Info) error {
	return k.move(s, rngs, info, 1, false)
}

// kinetic returns ½ Σ m_j p_j².
func kinetic(p, m []float64) float64 {
	m = m[:len(p)]
	var k float64
	for j, v := range p {
		k += m[j] * v * v
	}
	return k / 2
}

func (k *HMC) move(s *State, rngs []*rand.Rand, info []Info, L int, commit bool) error {
	if err := checkStep(s, k.Dim(), rngs, info); err != nil {
		return err
	}
	n := s.X.Rows
	maxErr := k.opts.MaxEnergyError
	alive := 0
	for c := 0; c < n; c++ {
		x, q, gq, p := s.X.Row(c), s.xp.Row(c), s.gp.Row(c), s.p.Row(c)
		copy(q, x)
		copy(gq, s.G.Row(c))
		r := rngs[c]
		if r == nil {
			s.dead[c] = true
			continue
		}
		s.eps[c] = s.Step[c]
		if commit && k.opts.Jitter > 0 {
			s.eps[c] *= 1 + k.opts.Jitter*(2*r.Float64()-1)
		}
		m := s.InvMetric.Row(c)
		m, p = m[:len(x)], p[:len(x)]
		for j := range p {
			p[j] = r.NormFloat64() / math.Sqrt(m[j])
		}
		s.h0[c] = s.E[c] + kinetic(p, m)
		s.ep[c] = s.E[c]
		s.dead[c] = false
		alive++
	}
	ngrad := 0
	for l := 0; l < L && alive > 0; l++ {
		for c := 0; c < n; c++ {
			if s.dead[c] {
				continue
			}
			q, gq, p, m := s.xp.Row(c), s.gp.Row(c), s.p.Row(c), s.InvMetric.Row(c)
			lo, hi := s.lo[:len(q)], s.hi[:len(q)]
			gq, p, m = gq[:len(q)], p[:len(q)], m[:len(q)]
			eps := s.eps[c]
			h := eps / 2
			out := false
			for j := range q {
				pj := p[j] - h*gq[j]
				p[j] = pj
				v := q[j] + eps*m[j]*pj
				q[j] = v
				if !(v >= lo[j] && v <= hi[j]) {
					out = true
				}
			}
			if out {
				k.kill(s, c)
				alive--
			}
		}
		k.e.EnergyGrad(s.xp, s.ep, s.gp)
		ngrad++
		for c := 0; c < n; c++ {
			if s.dead[c] {
				continue
			}
			ep := s.ep[c]
			if err := checkEnergy(c, ep, true); err != nil {
				return err
			}
			if math.IsInf(ep, 1) {
				k.kill(s, c)
				alive--
				continue
			}
			gq, p, m := s.gp.Row(c), s.p.Row(c), s.InvMetric.Row(c)
			p, m = p[:len(gq)], m[:len(gq)]
			h := s.eps[c] / 2
			var gsum, kin float64
			for j, g := range gq {
				gsum += g
				pj := p[j] - h*g
				p[j] = pj
				kin += m[j] * pj * pj
			}
			if !finite(gsum) {
				if err := checkGrad(c, gq); err != nil {
					return err
				}
			}
			s.h1[c] = ep + kin/2
			if !(s.h1[c]-s.h0[c] <= maxErr) {
				k.kill(s, c)
				alive--
			}
		}
	}
	for c := 0; c < n; c++ {
		r := rngs[c]
		if r == nil {
			continue
		}
		prob := 0.0
		div := s.dead[c]
		if !div {
			prob = acceptProb(s.h0[c] - s.h1[c])
		}
		if !commit {
			info[c] = Info{AcceptProb: prob, Divergent: div, NGrad: ngrad}
			continue
		}
		acc := r.Float64() < prob
		if acc {
			copy(s.X.Row(c), s.xp.Row(c))
			copy(s.G.Row(c), s.gp.Row(c))
			s.E[c] = s.ep[c]
		}
		info[c] = Info{AcceptProb: prob, Accepted: acc, Divergent: div, NGrad: ngrad}
	}
	if commit {
		s.Iter++
	}
	return nil
}

// kill marks chain c's trajectory divergent and parks its proposal at the
// current point, so that the remaining batched evaluations stay in the support.
func (k *HMC) kill(s *State, c int) {
	s.dead[c] = true
	copy(s.xp.Row(c), s.X.Row(c))
	copy(s.gp.Row(c), s.G.Row(c))
}
