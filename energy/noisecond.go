package energy

import (
	"fmt"
	"math"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/internal/pool"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// NoiseCondMLP is a noise-conditional energy E(x, σ) = f([x, log σ]) for an MLP
// f with d+1 inputs and one output: one network for the whole family of
// Gaussian-smoothed data densities, as in NCSN (Song & Ermon 2019). As an
// Energy it is E(·, Sigma) at its working noise level Sigma (the smallest
// training level by default); Smoothed(σ) gives the energy at level σ, so
// annealed Langevin follows the learned noise-conditional scores.
//
// Energy and EnergyGrad (and those of Smoothed levels) are safe for concurrent
// use as long as Sigma is not changed meanwhile: their work buffers come from
// a pool. A NoiseCondMLP must not be copied after first use.
type NoiseCondMLP[T tensor.Float] struct {
	Net    *nn.MLP[T]
	Sigmas []float64 // the training levels, largest first
	Sigma  float64   // the level used by Energy and EnergyGrad

	bufs pool.Pool[ncBufs] // the augmented batch and its gradient
	in   *MLPEnergy[T]
}

type ncBufs struct{ x, ga *tensor.Dense[float64] }

func (m *NoiseCondMLP[T]) getBufs() *ncBufs {
	if b := m.bufs.Get(); b != nil {
		return b
	}
	return &ncBufs{}
}

// NewNoiseCondMLP wraps net (d+1 inputs, one output) with the training levels
// sigmas (all > 0). The working level starts at the smallest.
func NewNoiseCondMLP[T tensor.Float](net *nn.MLP[T], sigmas []float64) (*NoiseCondMLP[T], error) {
	if net.Out() != 1 || net.In() < 2 {
		return nil, fmt.Errorf("energy: a noise-conditional MLP needs d+1 ≥ 2 inputs and one output, got %d and %d", net.In(), net.Out())
	}
	if len(sigmas) == 0 {
		return nil, fmt.Errorf("energy: a noise-conditional MLP needs at least one noise level")
	}
	lo := math.Inf(1)
	for _, s := range sigmas {
		if !(s > 0) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("energy: noise level %v must be positive and finite", s)
		}
		lo = math.Min(lo, s)
	}
	inner, _ := NewMLPEnergy(net)
	return &NoiseCondMLP[T]{Net: net, Sigmas: append([]float64(nil), sigmas...), Sigma: lo, in: inner}, nil
}

// Dim returns d (the network's inputs less the noise level).
func (m *NoiseCondMLP[T]) Dim() int { return m.Net.In() - 1 }

// Params returns the network's parameters.
func (m *NoiseCondMLP[T]) Params() []*autodiff.Param[T] { return m.Net.Params() }

// Build records E(x, Sigma) on t.
func (m *NoiseCondMLP[T]) Build(t *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	ls := tensor.Full[T](x.Rows(), 1, T(math.Log(m.Sigma)))
	return m.BuildSigma(t, x, t.Const(ls))
}

// BuildSigma records E(x_i, σ_i) on t, with logSigma the n×1 column of log σ_i.
func (m *NoiseCondMLP[T]) BuildSigma(t *autodiff.Tape[T], x, logSigma *autodiff.Var[T]) *autodiff.Var[T] {
	return m.Net.Forward(t, autodiff.ConcatCols(x, logSigma))
}

// Energy writes E(x_i, Sigma) into e[i].
func (m *NoiseCondMLP[T]) Energy(x *tensor.Dense[float64], e []float64) {
	m.energyAt(m.Sigma, x, e)
}

// EnergyGrad writes E(x_i, Sigma) and its gradient in x.
func (m *NoiseCondMLP[T]) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	m.energyGradAt(m.Sigma, x, e, g)
}

func (m *NoiseCondMLP[T]) energyAt(sigma float64, x *tensor.Dense[float64], e []float64) {
	b := m.getBufs()
	m.in.Energy(b.augment(x, sigma), e)
	m.bufs.Put(b)
}

func (m *NoiseCondMLP[T]) energyGradAt(sigma float64, x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	b := m.getBufs()
	xa := b.augment(x, sigma)
	b.ga = tensor.Reuse(b.ga, xa.Rows, xa.Cols)
	m.in.EnergyGrad(xa, e, b.ga)
	tensor.SliceCols(g, b.ga, 0, x.Cols)
	m.bufs.Put(b)
}

// augment writes [x, log σ] into b.x.
func (b *ncBufs) augment(x *tensor.Dense[float64], sigma float64) *tensor.Dense[float64] {
	d := x.Cols
	b.x = tensor.Reuse(b.x, x.Rows, d+1)
	ls := math.Log(sigma)
	for i := 0; i < x.Rows; i++ {
		copy(b.x.Data[i*(d+1):i*(d+1)+d], x.Row(i))
		b.x.Data[i*(d+1)+d] = ls
	}
	return b.x
}

// Smoothed returns the energy at noise level σ, E(·, σ).
func (m *NoiseCondMLP[T]) Smoothed(sigma float64) GradEnergy { return &ncLevel[T]{m: m, sigma: sigma} }

type ncLevel[T tensor.Float] struct {
	m     *NoiseCondMLP[T]
	sigma float64
}

func (l *ncLevel[T]) Dim() int { return l.m.Dim() }
func (l *ncLevel[T]) Energy(x *tensor.Dense[float64], e []float64) {
	l.m.energyAt(l.sigma, x, e)
}
func (l *ncLevel[T]) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	l.m.energyGradAt(l.sigma, x, e, g)
}
