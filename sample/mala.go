package sample

import (
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// MALA is the Metropolis-adjusted Langevin algorithm with a diagonal
// preconditioner. For each chain, with step size η and diagonal inverse metric
// m (M⁻¹ = diag(m)),
//
//	x' = x − η m ⊙ ∇E(x) + √(2η)·√m ⊙ ξ,   ξ ~ N(0, I),
//	log q(x'|x) = −Σ_j (x'_j − x_j + η m_j ∂_jE(x))² / (4η m_j),
//	accept with probability min(1, exp(E(x) − E(x') + log q(x|x') − log q(x'|x))).
//
// The correction makes exp(−E) exactly invariant for every η, unlike ULA.
// Each step takes one gradient evaluation. Run adapts η towards a mean
// acceptance of 0.574 (Roberts & Rosenthal 1998) and m towards the chain's
// variance.
type MALA struct {
	e    energy.GradEnergy
	opts MALAOptions
}

// MALAOptions configures a MALA kernel. Start from DefaultMALAOptions.
type MALAOptions struct {
	// Step is the initial step size η > 0 (the one used throughout when
	// adaptation is off).
	Step float64
	// InvMetric is the initial diagonal inverse metric m (length d, positive);
	// nil means all ones.
	InvMetric []float64
}

// DefaultMALAOptions returns Step 0.1 and a unit inverse metric.
func DefaultMALAOptions() MALAOptions { return MALAOptions{Step: 0.1} }

// NewMALA returns a MALA kernel for e.
func NewMALA(e energy.GradEnergy, opts MALAOptions) (*MALA, error) {
	if err := checkTunable("MALA", e, opts.Step, opts.InvMetric); err != nil {
		return nil, err
	}
	return &MALA{e: e, opts: opts}, nil
}

// Dim returns the dimension of the energy.
func (k *MALA) Dim() int { return k.e.Dim() }

// DefaultTarget returns 0.574.
func (k *MALA) DefaultTarget() float64 { return 0.574 }

// Init returns the state of chains started at the rows of x.
func (k *MALA) Init(x *tensor.Dense[float64], clamp *Box) (*State, error) {
	return k.Reinit(nil, x, clamp)
}

// Reinit is Init in prev's storage when it fits (see Reiniter).
func (k *MALA) Reinit(prev *State, x *tensor.Dense[float64], clamp *Box) (*State, error) {
	s, err := newState(prev, x, k.Dim(), clamp, true, true, k.opts.Step)
	if err != nil {
		return nil, err
	}
	s.setMetric(k.opts.InvMetric)
	if err := initEval(s, nil, k.e); err != nil {
		return nil, err
	}
	return s, nil
}

// Step moves every chain by one MALA transition.
func (k *MALA) Step(s *State, rngs []*rand.Rand, info []Info) error {
	return k.move(s, rngs, info, true)
}

// Probe reports the acceptance probability of one proposal per chain without
// moving the chains; chains with a nil generator are skipped.
func (k *MALA) Probe(s *State, rngs []*rand.Rand, info []Info) error {
	return k.move(s, rngs, info, false)
}

func (k *MALA) move(s *State, rngs []*rand.Rand, info []Info, commit bool) error {
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
		g, m, eta := s.G.Row(c), s.InvMetric.Row(c), s.Step[c]
		g, m, xp = g[:len(x)], m[:len(x)], xp[:len(x)]
		lo, hi := s.lo[:len(x)], s.hi[:len(x)]
		sd := math.Sqrt(2 * eta)
		out := false
		for j, v := range x {
			y := v - eta*m[j]*g[j] + sd*math.Sqrt(m[j])*r.NormFloat64()
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
	k.e.EnergyGrad(s.xp, s.ep, s.gp)
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
			if !math.IsInf(ep, 1) {
				lq, gsum := k.logqRatio(s, c)
				if !finite(gsum) {
					if err := checkGrad(c, s.gp.Row(c)); err != nil {
						return err
					}
				}
				prob = acceptProb(s.E[c] - ep + lq)
			}
		}
		if !commit {
			info[c] = Info{AcceptProb: prob, NGrad: 1}
			continue
		}
		acc := r.Float64() < prob
		if acc {
			copy(s.X.Row(c), s.xp.Row(c))
			copy(s.G.Row(c), s.gp.Row(c))
			s.E[c] = s.ep[c]
		}
		info[c] = Info{AcceptProb: prob, Accepted: acc, NGrad: 1}
	}
	if commit {
		s.Iter++
	}
	return nil
}

// logqRatio returns log q(x|x') − log q(x'|x) for chain c, and the sum of
// the proposal's gradient (non-finite if an element is). With d = x' − x,
// a = d + ηm⊙g and b = −d + ηm⊙g', the ratio is Σ_j (a_j² − b_j²)/(4ηm_j)
// = Σ_j (2d_j + ηm_j(g_j − g'_j))(g_j + g'_j)/4, which needs no division.
func (k *MALA) logqRatio(s *State, c int) (lq, gsum float64) {
	x, xp := s.X.Row(c), s.xp.Row(c)
	g, gp, m := s.G.Row(c), s.gp.Row(c), s.InvMetric.Row(c)
	eta := s.Step[c]
	xp, g, gp, m = xp[:len(x)], g[:len(x)], gp[:len(x)], m[:len(x)]
	for j, v := range x {
		gsum += gp[j]
		lq += (2*(xp[j]-v) + eta*m[j]*(g[j]-gp[j])) * (g[j] + gp[j])
	}
	return lq / 4, gsum
}
