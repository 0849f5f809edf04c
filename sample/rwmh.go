package sample

import (
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// RWMH is random-walk Metropolis–Hastings with Gaussian proposals. For each
// chain, with step size ε and diagonal inverse metric m,
//
//	x' = x + ε·√m ⊙ ξ,   ξ ~ N(0, I),
//	accept with probability min(1, exp(E(x) − E(x'))).
//
// It needs only the energy, not its gradient. Run adapts ε towards a mean
// acceptance of 0.234 (the optimum for high-dimensional Gaussian targets,
// Roberts, Gelman & Gilks 1997) and m towards the chain's variance.
type RWMH struct {
	e    energy.Energy
	opts RWMHOptions
}

// RWMHOptions configures an RWMH kernel. Start from DefaultRWMHOptions.
type RWMHOptions struct {
	// Step is the initial proposal scale ε > 0 (the one used throughout when
	// adaptation is off).
	Step float64
	// InvMetric is the initial diagonal inverse metric m (length d, positive);
	// nil means all ones.
	InvMetric []float64
}

// DefaultRWMHOptions returns Step 1 and a unit inverse metric.
func DefaultRWMHOptions() RWMHOptions { return RWMHOptions{Step: 1} }

// NewRWMH returns a random-walk Metropolis–Hastings kernel for e.
func NewRWMH(e energy.Energy, opts RWMHOptions) (*RWMH, error) {
	if err := checkTunable("RWMH", e, opts.Step, opts.InvMetric); err != nil {
		return nil, err
	}
	return &RWMH{e: e, opts: opts}, nil
}

// Dim returns the dimension of the energy.
func (k *RWMH) Dim() int { return k.e.Dim() }

// DefaultTarget returns 0.234.
func (k *RWMH) DefaultTarget() float64 { return 0.234 }

// Init returns the state of chains started at the rows of x.
func (k *RWMH) Init(x *tensor.Dense[float64], clamp *Box) (*State, error) {
	return k.Reinit(nil, x, clamp)
}

// Reinit is Init in prev's storage when it fits (see Reiniter).
func (k *RWMH) Reinit(prev *State, x *tensor.Dense[float64], clamp *Box) (*State, error) {
	s, err := newState(prev, x, k.Dim(), clamp, false, true, k.opts.Step)
	if err != nil {
		return nil, err
	}
	s.setMetric(k.opts.InvMetric)
	if err := initEval(s, k.e, nil); err != nil {
		return nil, err
	}
	return s, nil
}

// Step moves every chain by one Metropolis–Hastings transition.
func (k *RWMH) Step(s *State, rngs []*rand.Rand, info []Info) error {
	return k.move(s, rngs, info, true)
}

// Probe reports the acceptance probability of one proposal per chain without
// moving the chains; chains with a nil generator are skipped.
func (k *RWMH) Probe(s *State, rngs []*rand.Rand, info []Info) error {
	return k.move(s, rngs, info, false)
}

func (k *RWMH) move(s *State, rngs []*rand.Rand, info []Info, commit bool) error {
	if err := checkStep(s, k.Dim(), rngs, info); err != nil {
		return err
	}
	n := s.X.Rows
	for c := 0; c < n; c++ {
		x, xp := s.X.Row(c), s.xp.Row(c)
		r := rngs[c]
		if r == nil {
			copy(xp, x)
			continue
		}
		m, eps := s.InvMetric.Row(c), s.Step[c]
		m, xp = m[:len(x)], xp[:len(x)]
		lo, hi := s.lo[:len(x)], s.hi[:len(x)]
		out := false
		for j, v := range x {
			y := v + eps*math.Sqrt(m[j])*r.NormFloat64()
			xp[j] = y
			if !(y >= lo[j] && y <= hi[j]) {
				out = true
			}
		}
		s.dead[c] = out
		if out {
			copy(xp, x) // never evaluate the energy outside the box
		}
	}
	k.e.Energy(s.xp, s.ep)
	for c := 0; c < n; c++ {
		r := rngs[c]
		if r == nil {
			continue
		}
		prob := 0.0
		if !s.dead[c] {
			ep := s.ep[c]
			if err := checkEnergy(c, ep, true); err != nil {
				return err
			}
			prob = acceptProb(s.E[c] - ep)
		}
		if !commit {
			info[c] = Info{AcceptProb: prob}
			continue
		}
		acc := r.Float64() < prob
		if acc {
			copy(s.X.Row(c), s.xp.Row(c))
			s.E[c] = s.ep[c]
		}
		info[c] = Info{AcceptProb: prob, Accepted: acc}
	}
	if commit {
		s.Iter++
	}
	return nil
}

// acceptProb returns min(1, exp(logRatio)), 0 for NaN or −Inf.
func acceptProb(logRatio float64) float64 {
	if logRatio >= 0 {
		return 1
	}
	if !(logRatio > math.Inf(-1)) {
		return 0
	}
	return math.Exp(logRatio)
}
