package flow

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
)

// Proposal is a flow used as an importance-sampling or independence-MH
// proposal, optionally made defensive (Hesterberg 1995): with Eps > 0 it is
// the mixture
//
//	q_mix(x) = (1 − Eps)·q(x) + Eps·N(x; m, diag(s²)),
//
// whose Gaussian component (the flow's mean m and standard deviations
// s = Widen × the flow's, from 10,000 draws) puts mass in the tails a fitted
// flow may miss. Weights w = exp(−E − log q_mix) then stay bounded where the
// target has heavier tails than the flow, which is what independence MH and
// importance sampling need; the mixture density is exact, so both remain
// exact. Eps = 0 is the flow itself.
type Proposal[T tensor.Float] struct {
	Flow     *Flow[T]
	Eps      float64
	mean, sd []float64
}

// NewDefensive returns the defensive proposal of f with mixture weight eps in
// [0, 1) and a Gaussian widened by widen ≥ 1 (for example eps = 0.1, widen = 2),
// its moments estimated from 10,000 draws seeded by seed.
func NewDefensive[T tensor.Float](f *Flow[T], eps, widen float64, seed uint64) (*Proposal[T], error) {
	if !(eps >= 0 && eps < 1) || !(widen >= 1) || math.IsInf(widen, 0) {
		return nil, fmt.Errorf("flow: defensive proposal needs 0 ≤ eps < 1 and a finite widen ≥ 1, got %v and %v", eps, widen)
	}
	p := &Proposal[T]{Flow: f, Eps: eps, mean: make([]float64, f.D), sd: make([]float64, f.D)}
	if eps == 0 {
		return p, nil
	}
	const n = 10000
	x := f.Sample(n, rand.New(rand.NewPCG(seed, 0xdef)))
	for j := 0; j < f.D; j++ {
		var s, s2 float64
		for i := 0; i < n; i++ {
			v := x.At(i, j)
			s += v
			s2 += v * v
		}
		m := s / n
		sd := math.Sqrt(math.Max(s2/n-m*m, 0))
		if !(sd > 0) || math.IsNaN(m) || math.IsInf(sd, 0) {
			return nil, fmt.Errorf("flow: defensive proposal: the flow's coordinate %d has mean %v and sd %v", j, m, sd)
		}
		p.mean[j], p.sd[j] = m, widen*sd
	}
	return p, nil
}

// Dim returns d.
func (p *Proposal[T]) Dim() int { return p.Flow.D }

// Draw returns n draws (n×d) and their log densities under the proposal.
func (p *Proposal[T]) Draw(n int, rng *rand.Rand) (*tensor.Dense[float64], []float64) {
	lq := make([]float64, n)
	x := p.Flow.SampleLogProb(n, rng, lq)
	if p.Eps == 0 {
		return x, lq
	}
	for i := 0; i < n; i++ {
		if rng.Float64() < p.Eps {
			row := x.Row(i)
			for j := range row {
				row[j] = p.mean[j] + p.sd[j]*rng.NormFloat64()
			}
		}
	}
	p.Flow.Energy(x, lq) // −log q of every row, the replaced ones included
	for i := range lq {
		lq[i] = -lq[i]
	}
	p.mix(x, lq)
	return x, lq
}

// mix turns the flow's log q of the rows of x (in lq) into log q_mix.
func (p *Proposal[T]) mix(x *tensor.Dense[float64], lq []float64) {
	logNorm := 0.0
	for j := range p.sd {
		logNorm -= math.Log(p.sd[j]) + 0.5*log2Pi
	}
	a, b := math.Log1p(-p.Eps), math.Log(p.Eps)
	for i := range lq {
		g := logNorm
		for j, v := range x.Row(i) {
			u := (v - p.mean[j]) / p.sd[j]
			g -= 0.5 * u * u
		}
		lf := a + lq[i]
		lg := b + g
		m := math.Max(lf, lg)
		if math.IsInf(m, -1) || math.IsNaN(lf) {
			lq[i] = lg
			continue
		}
		lq[i] = m + math.Log(math.Exp(lf-m)+math.Exp(lg-m))
	}
}
