package flow

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// IMHKernel is independence Metropolis-Hastings with a flow proposal as a
// sample.Kernel, so sample.Run drives it like the other kernels (warm-up,
// thinning, diagnostics): every step proposes x'_c ~ q for each chain c,
// independently of the state, and accepts with probability
// min(1, w(x')/w(x)), w = exp(−E − log q). The proposal may be defensive
// (NewDefensive). Chain c's randomness comes from rngs[c] only.
//
// Unlike the gradient kernels, Step allocates (a tape per call), and it
// evaluates log q at the current states again each step (one more density
// pass), because sample.State has no room for it. The kernel has no step
// size (State.Step is 0) and takes no clamp box.
type IMHKernel[T tensor.Float] struct {
	P *Proposal[T]
	E energy.Energy
}

// NewIMHKernel returns the kernel for p ∝ exp(−E) with proposal p.
func NewIMHKernel[T tensor.Float](p *Proposal[T], e energy.Energy) (*IMHKernel[T], error) {
	if p == nil || p.Flow == nil {
		return nil, errors.New("flow: IMH kernel without a proposal")
	}
	if err := checkEnergyDim(p.Flow.D, e); err != nil {
		return nil, err
	}
	return &IMHKernel[T]{P: p, E: e}, nil
}

// Dim returns d.
func (k *IMHKernel[T]) Dim() int { return k.P.Flow.D }

// Init copies x and evaluates the energies of its rows.
func (k *IMHKernel[T]) Init(x *tensor.Dense[float64], clamp *sample.Box) (*sample.State, error) {
	if clamp != nil {
		return nil, errors.New("flow: the IMH kernel takes no clamp box")
	}
	if x == nil || x.Cols != k.Dim() || x.Rows < 1 {
		return nil, fmt.Errorf("flow: IMH kernel: initial points must be n×%d with n ≥ 1", k.Dim())
	}
	s := &sample.State{X: x.Clone(), E: make([]float64, x.Rows), Step: make([]float64, x.Rows)}
	k.E.Energy(s.X, s.E)
	return s, nil
}

// logQ returns log q_mix of the rows of x.
func (k *IMHKernel[T]) logQ(x *tensor.Dense[float64]) []float64 {
	lq := make([]float64, x.Rows)
	k.P.Flow.Energy(x, lq)
	for i := range lq {
		lq[i] = -lq[i]
	}
	if k.P.Eps > 0 {
		k.P.mix(x, lq)
	}
	return lq
}

// Step moves every chain by one independence-MH transition.
func (k *IMHKernel[T]) Step(s *sample.State, rngs []*rand.Rand, info []sample.Info) error {
	n, d := s.X.Rows, k.Dim()
	if len(rngs) != n || len(info) != n {
		return fmt.Errorf("flow: IMH step: %d chains, %d generators, %d info slots", n, len(rngs), len(info))
	}
	// Proposals: z_c from rngs[c]; a defensive draw replaces the row.
	f := k.P.Flow
	z := tensor.New[T](n, d)
	for c := 0; c < n; c++ {
		for j := 0; j < d; j++ {
			z.Data[c*d+j] = T(rngs[c].NormFloat64())
		}
	}
	t := f.tape()
	xv, _ := f.Forward(t, t.Const(z))
	xp := tensor.New[float64](n, d)
	tensor.Convert(xp, xv.Value)
	f.putTape(t)
	if k.P.Eps > 0 {
		for c := 0; c < n; c++ {
			if rngs[c].Float64() < k.P.Eps {
				row := xp.Row(c)
				for j := range row {
					row[j] = k.P.mean[j] + k.P.sd[j]*rngs[c].NormFloat64()
				}
			}
		}
	}
	lqp := k.logQ(xp)
	lqx := k.logQ(s.X)
	ep := make([]float64, n)
	k.E.Energy(xp, ep)
	for c := 0; c < n; c++ {
		la := (-ep[c] - lqp[c]) - (-s.E[c] - lqx[c])
		if math.IsNaN(la) {
			la = math.Inf(-1)
		}
		info[c] = sample.Info{AcceptProb: math.Exp(math.Min(0, la))}
		if la >= 0 || math.Log(rngs[c].Float64()) < la {
			copy(s.X.Row(c), xp.Row(c))
			s.E[c] = ep[c]
			info[c].Accepted = true
		}
	}
	s.Iter++
	return nil
}

var _ sample.Kernel = (*IMHKernel[float64])(nil)
