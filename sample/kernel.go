package sample

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// Kernel is a Markov chain transition run on a batch of chains.
//
// Init evaluates the energy (and gradient) at the rows of x, which it copies,
// and returns the State; the optional clamp box confines the chains (see Box).
// Step moves every chain by one transition, writes chain c's Info into info[c]
// and uses only rngs[c] for chain c's randomness. Step does not allocate; a
// kernel holds no mutable state, so one kernel may drive several States, but a
// State must not be stepped concurrently.
type Kernel interface {
	// Dim returns d, the dimension of a point.
	Dim() int
	// Init returns the state of x.Rows chains started at the rows of x.
	Init(x *tensor.Dense[float64], clamp *Box) (*State, error)
	// Step advances every chain by one transition. len(rngs) and len(info)
	// must be the number of chains.
	Step(s *State, rngs []*rand.Rand, info []Info) error
}

// Reiniter is a Kernel that can restart chains in an existing State's
// storage: Reinit(prev, x, clamp) returns what Init(x, clamp) returns, built
// in prev's buffers when prev holds as many chains of the same dimension
// (prev is then returned; prev may be nil, and must not be used on error).
// Every kernel of this package implements it; a caller drawing a batch of
// the same size again and again (a trainer's negative sampling) allocates
// nothing per draw.
type Reiniter interface {
	Kernel
	Reinit(prev *State, x *tensor.Dense[float64], clamp *Box) (*State, error)
}

// Tunable is a Metropolis-adjusted kernel whose step size and diagonal inverse
// metric Run adapts during warm-up (RWMH, MALA, HMC).
type Tunable interface {
	Kernel
	// DefaultTarget returns the mean acceptance probability that step-size
	// adaptation aims at unless Config.TargetAccept says otherwise.
	DefaultTarget() float64
	// Probe draws one trial proposal per chain at the chain's current step size
	// and writes its acceptance probability into info[c].AcceptProb without
	// moving the chain (HMC's trial is a single leapfrog step, as in Stan's
	// step-size heuristic). A chain whose rngs[c] is nil is skipped: it draws
	// nothing and its info is left alone.
	Probe(s *State, rngs []*rand.Rand, info []Info) error
}

// Info reports one chain's transition, in the manner of BlackJAX's info records.
type Info struct {
	// AcceptProb is the Metropolis–Hastings acceptance probability min(1, r)
	// of the proposal; 1 for unadjusted kernels.
	AcceptProb float64
	// Accepted reports whether the chain moved to the proposal.
	Accepted bool
	// Divergent reports an HMC trajectory whose energy error H − H₀ exceeded
	// the divergence threshold (or that left the support) before its end.
	Divergent bool
	// NGrad is the number of gradient evaluations the transition took.
	NGrad int
}

// State is the state of a batch of chains: positions, their energies and
// gradients, the per-chain tuning parameters and the work buffers of a step.
type State struct {
	// X holds the positions, one chain per row (n×d).
	X *tensor.Dense[float64]
	// E holds the energies E(x_c), for the current annealing level in
	// AnnealedLangevin.
	E []float64
	// G holds the gradients ∇E(x_c) (n×d); nil for kernels that use none.
	G *tensor.Dense[float64]
	// Step holds each chain's step size: ε for RWMH and HMC, η for MALA and
	// ULA, a for SGLDStyle, the base step ε for AnnealedLangevin.
	Step []float64
	// InvMetric holds each chain's diagonal inverse metric m (n×d) for RWMH,
	// MALA and HMC; nil for the others.
	InvMetric *tensor.Dense[float64]
	// Iter counts the transitions taken since Init.
	Iter int

	clamp  *Box
	lo, hi []float64 // box bounds per coordinate (±Inf without a box)

	// work buffers
	xp, gp, p *tensor.Dense[float64]
	ep        []float64
	h0, h1    []float64
	eps       []float64
	dead      []bool
	lrows     langevinJob // the parallel body of langevinRows
	stale     bool        // E and G belong to the positions before a Move
}

// Chains returns the number of chains n.
func (s *State) Chains() int { return s.X.Rows }

// Clamp returns the box the state was initialised with, or nil.
func (s *State) Clamp() *Box { return s.clamp }

// newState returns a state for x (copied), with gradient and inverse-metric
// storage when asked for, after validating x against clamp. It reuses prev's
// storage when prev has the same shape and storage (the state is then the one
// a fresh call would return: every field reset); prev may be nil.
func newState(prev *State, x *tensor.Dense[float64], d int, clamp *Box, grad, metric bool, step float64) (*State, error) {
	if x == nil {
		return nil, errors.New("sample: nil initial points")
	}
	if x.Cols != d {
		return nil, fmt.Errorf("sample: energy dimension %d ≠ %d columns of the initial points", d, x.Cols)
	}
	if x.Rows < 1 {
		return nil, fmt.Errorf("sample: need at least one chain, got %d rows", x.Rows)
	}
	if len(x.Data) != x.Rows*x.Cols {
		return nil, fmt.Errorf("sample: initial points have %d elements for shape %s", len(x.Data), x.Shape())
	}
	n := x.Rows
	reuse := prev.fits(n, d, grad, metric)
	var lo, hi []float64
	if reuse {
		lo, hi = prev.lo, prev.hi
	} else {
		lo, hi = make([]float64, d), make([]float64, d)
	}
	if err := clamp.expand(d, lo, hi); err != nil {
		return nil, err
	}
	for c := 0; c < n; c++ {
		for j, v := range x.Row(c) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("sample: chain %d, initial point: coordinate %d is %v", c, j, v)
			}
			if v < lo[j] || v > hi[j] {
				return nil, fmt.Errorf("sample: chain %d, initial point: coordinate %d = %g is outside the box [%g, %g]", c, j, v, clamp.lo(j), clamp.hi(j))
			}
		}
	}
	if reuse {
		s := prev
		copy(s.X.Data, x.Data)
		clear(s.E)
		clear(s.ep)
		clear(s.h0)
		clear(s.h1)
		clear(s.eps)
		clear(s.dead)
		s.xp.Zero()
		for _, t := range []*tensor.Dense[float64]{s.G, s.gp, s.p} {
			if t != nil {
				t.Zero()
			}
		}
		if metric {
			s.InvMetric.Fill(1)
		}
		for c := range s.Step {
			s.Step[c] = step
		}
		s.Iter, s.clamp, s.stale, s.lrows = 0, clamp, false, langevinJob{}
		return s, nil
	}
	s := &State{
		X:     x.Clone(),
		E:     make([]float64, n),
		Step:  make([]float64, n),
		clamp: clamp,
		lo:    lo,
		hi:    hi,
		xp:    tensor.New[float64](n, d),
		ep:    make([]float64, n),
		h0:    make([]float64, n),
		h1:    make([]float64, n),
		eps:   make([]float64, n),
		dead:  make([]bool, n),
	}
	for c := range s.Step {
		s.Step[c] = step
	}
	if grad {
		s.G = tensor.New[float64](n, d)
		s.gp = tensor.New[float64](n, d)
	}
	if metric {
		s.InvMetric = tensor.Full[float64](n, d, 1)
	}
	return s, nil
}

// fits reports whether s (possibly nil) has the storage of n chains of
// dimension d with and without gradients and an inverse metric as asked.
func (s *State) fits(n, d int, grad, metric bool) bool {
	return s != nil && s.X.Rows == n && s.X.Cols == d && len(s.lo) == d &&
		(s.G != nil) == grad && (s.InvMetric != nil) == metric
}

// setMetric copies a user's initial diagonal inverse metric into every chain.
func (s *State) setMetric(m []float64) {
	if m == nil {
		return
	}
	for c := 0; c < s.X.Rows; c++ {
		copy(s.InvMetric.Row(c), m)
	}
}

// inside reports whether row x lies in the box and is finite (the bounds are
// finite: ±Inf sides are stored as ±MaxFloat64, so a single pair of
// comparisons also rejects ±Inf and NaN).
func (s *State) inside(x []float64) bool {
	lo, hi := s.lo[:len(x)], s.hi[:len(x)]
	for j, v := range x {
		if !(v >= lo[j] && v <= hi[j]) {
			return false
		}
	}
	return true
}

// clampRow clamps row x into the box.
func (s *State) clampRow(x []float64) {
	if s.clamp == nil {
		return
	}
	lo, hi := s.lo[:len(x)], s.hi[:len(x)]
	for j, v := range x {
		if v < lo[j] {
			x[j] = lo[j]
		} else if v > hi[j] {
			x[j] = hi[j]
		}
	}
}

// Box confines the chains to lo ≤ x_j ≤ hi coordinatewise. Lo and Hi have
// either one element, applied to every coordinate, or d; ±Inf leaves a side
// open. Unadjusted kernels clamp into the box after each step; the
// Metropolis-adjusted kernels treat points outside it as energy +Inf, which
// rejects them and samples the target truncated to the box (clamping proposals
// would break detailed balance).
type Box struct {
	Lo, Hi []float64
}

func (b *Box) lo(j int) float64 {
	if len(b.Lo) == 1 {
		return b.Lo[0]
	}
	return b.Lo[j]
}

func (b *Box) hi(j int) float64 {
	if len(b.Hi) == 1 {
		return b.Hi[0]
	}
	return b.Hi[j]
}

// ScalarBox returns the box [lo, hi]^d.
func ScalarBox(lo, hi float64) *Box { return &Box{Lo: []float64{lo}, Hi: []float64{hi}} }

// expand validates b for dimension d and writes per-coordinate bounds into lo
// and hi, with infinite sides (and a nil box) as ±MaxFloat64.
func (b *Box) expand(d int, lo, hi []float64) error {
	if b == nil {
		for j := range lo {
			lo[j], hi[j] = -math.MaxFloat64, math.MaxFloat64
		}
		return nil
	}
	if (len(b.Lo) != 1 && len(b.Lo) != d) || (len(b.Hi) != 1 && len(b.Hi) != d) {
		return fmt.Errorf("sample: box bounds have %d and %d elements; want 1 or %d", len(b.Lo), len(b.Hi), d)
	}
	for j := 0; j < d; j++ {
		l, h := b.Lo[0], b.Hi[0]
		if len(b.Lo) == d {
			l = b.Lo[j]
		}
		if len(b.Hi) == d {
			h = b.Hi[j]
		}
		if math.IsNaN(l) || math.IsNaN(h) || !(l < h) {
			return fmt.Errorf("sample: box coordinate %d: need lo < hi, got [%g, %g]", j, l, h)
		}
		lo[j], hi[j] = max(l, -math.MaxFloat64), min(h, math.MaxFloat64)
	}
	return nil
}

// Phases named in a NonFiniteError.
const (
	PhaseInit     = "initial point"
	PhaseWarmup   = "warm-up"
	PhaseSampling = "sampling"
)

// NonFiniteError reports a NaN or infinite energy, or a non-finite gradient,
// that stops a run. Step returns it with Phase empty; Run fills in the phase
// and the step index (counted from 0 within the phase).
type NonFiniteError struct {
	Chain    int
	Phase    string // PhaseInit, PhaseWarmup, PhaseSampling or ""
	Step     int    // index of the step within its phase
	Quantity string // "energy" or "gradient[j]"
	Value    float64
}

func (e *NonFiniteError) Error() string {
	switch e.Phase {
	case "":
		return fmt.Sprintf("sample: chain %d: %s is %v", e.Chain, e.Quantity, e.Value)
	case PhaseInit:
		return fmt.Sprintf("sample: chain %d, %s: %s is %v", e.Chain, e.Phase, e.Quantity, e.Value)
	}
	return fmt.Sprintf("sample: chain %d, %s step %d: %s is %v", e.Chain, e.Phase, e.Step, e.Quantity, e.Value)
}

// checkEnergy returns an error for a NaN or −Inf energy, and for +Inf when
// infOK is false.
func checkEnergy(c int, v float64, infOK bool) error {
	if math.IsNaN(v) || math.IsInf(v, -1) || (!infOK && math.IsInf(v, 1)) {
		return &NonFiniteError{Chain: c, Quantity: "energy", Value: v}
	}
	return nil
}

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float64) bool { return v-v == 0 }

// sum4 returns the sum of v in four interleaved partial sums (four times
// faster than one running sum, whose additions wait for each other). It only
// screens a gradient for NaN or ±Inf: a non-finite element makes any order's
// sum non-finite, and a finite sum that overflows sends the caller to the
// per-element check.
func sum4(v []float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		w := v[i : i+4 : i+4]
		s0 += w[0]
		s1 += w[1]
		s2 += w[2]
		s3 += w[3]
	}
	for ; i < len(v); i++ {
		s0 += v[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// checkGrad returns an error for the first non-finite element of g.
func checkGrad(c int, g []float64) error {
	for j, v := range g {
		if v-v != 0 { // NaN or ±Inf
			return &NonFiniteError{Chain: c, Quantity: fmt.Sprintf("gradient[%d]", j), Value: v}
		}
	}
	return nil
}

// initEval evaluates the energy (and gradient when s.G is set) at s.X and
// checks it: initial points must have finite energies and gradients.
func initEval(s *State, e energy.Energy, ge energy.GradEnergy) error {
	if ge != nil {
		ge.EnergyGrad(s.X, s.E, s.G)
	} else {
		e.Energy(s.X, s.E)
	}
	for c, v := range s.E {
		if err := checkEnergy(c, v, false); err != nil {
			err.(*NonFiniteError).Phase = PhaseInit
			return err
		}
		if s.G != nil {
			if err := checkGrad(c, s.G.Row(c)); err != nil {
				err.(*NonFiniteError).Phase = PhaseInit
				return err
			}
		}
	}
	return nil
}

// checkStep validates a step call's slices.
func checkStep(s *State, d int, rngs []*rand.Rand, info []Info) error {
	if s == nil || s.X == nil {
		return errors.New("sample: nil state")
	}
	if s.X.Cols != d {
		return fmt.Errorf("sample: state dimension %d ≠ kernel dimension %d", s.X.Cols, d)
	}
	n := s.X.Rows
	if len(rngs) != n || len(info) != n {
		return fmt.Errorf("sample: %d chains but %d generators and %d info records", n, len(rngs), len(info))
	}
	return nil
}

// validStep reports whether v is a usable positive finite step size.
// checkTunable validates what RWMH, MALA and HMC share: an energy, an initial
// step size and an optional initial inverse metric.
func checkTunable(name string, e energy.Energy, step float64, invMetric []float64) error {
	if e == nil {
		return fmt.Errorf("sample: %s: nil energy", name)
	}
	if !validStep(step) {
		return fmt.Errorf("sample: %s: step %g must be positive and finite", name, step)
	}
	if err := validMetric(invMetric, e.Dim()); err != nil {
		return fmt.Errorf("sample: %s: %w", name, err)
	}
	return nil
}

func validStep(v float64) bool { return v > 0 && !math.IsInf(v, 1) }

// validMetric checks a user-supplied initial inverse metric.
func validMetric(m []float64, d int) error {
	if m == nil {
		return nil
	}
	if len(m) != d {
		return fmt.Errorf("inverse metric has %d elements, want %d", len(m), d)
	}
	for j, v := range m {
		if !validStep(v) {
			return fmt.Errorf("inverse metric element %d is %g, must be positive and finite", j, v)
		}
	}
	return nil
}
