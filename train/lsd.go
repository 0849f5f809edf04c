package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// CriticGroup is the name of the learned Stein discrepancy's critic group.
const CriticGroup = "critic"

// LSD is the learned Stein discrepancy (Grathwohl, Wang, Jacobsen, Duvenaud &
// Zemel 2020): a critic network f: R^d → R^d maximizes
//
//	L(θ, f) = E_data[s_θ(x)ᵀf(x) + tr ∇ₓf(x)] − λ E_data‖f(x)‖²,
//
// s_θ = −∇ₓE_θ, and the energy minimizes it. By Stein's identity
// E_p[s_pᵀf + tr ∇f] = 0, so L = E_p[(s_θ − s_p)ᵀf] − λE‖f‖², whose maximum
// over all f is at f* = (s_θ − s_p)/(2λ) and equals the Fisher divergence
// E_p‖s_θ − s_p‖²/(4λ): with a rich critic, LSD training is score matching
// without second derivatives of E (only of the critic).
//
// The two players are two parameter groups on one loop (see Players): every
// iteration the energy takes one step on E_data[s_θᵀf] (f held fixed; its
// gradient in θ is a double backprop through ∇ₓE) and then the critic takes
// CriticSteps steps on −L (s held fixed). The trace tr ∇ₓf is exact (d
// backward passes) for d ≤ ExactMax and otherwise Hutchinson's estimate
// mean_v vᵀ(∂f/∂x)v over Probes Rademacher vectors.
type LSD[T tensor.Float] struct {
	Hidden      []int         // critic hidden widths (default 64, 64)
	Act         nn.Activation // critic activation (default SiLU)
	Lambda      float64       // λ > 0 (default 0.5)
	CriticLR    float64       // the critic's Adam learning rate (default 3e-3)
	CriticSteps int           // critic updates per energy update (default 5)
	ExactMax    int           // exact trace up to this dimension (default 10; < 0: always Hutchinson)
	Probes      int           // Hutchinson probes (default 1)

	critic *nn.MLP[T]
}

// Name returns "lsd".
func (l *LSD[T]) Name() string { return "lsd" }

// Critic returns the critic network (nil before Players built it).
func (l *LSD[T]) Critic() *nn.MLP[T] { return l.critic }

func (l *LSD[T]) defaults() {
	if l.Hidden == nil {
		l.Hidden = []int{64, 64}
	}
	if l.Act.Name == "" {
		l.Act = nn.SiLU
	}
	if l.Lambda == 0 {
		l.Lambda = 0.5
	}
	if l.CriticLR == 0 {
		l.CriticLR = 3e-3
	}
	if l.CriticSteps == 0 {
		l.CriticSteps = 5
	}
	if l.ExactMax == 0 {
		l.ExactMax = 10
	}
	if l.Probes == 0 {
		l.Probes = 1
	}
}

func (l *LSD[T]) validate() error {
	switch {
	case !(l.Lambda > 0) || math.IsInf(l.Lambda, 0):
		return fmt.Errorf("lsd: lambda must be > 0, got %v", l.Lambda)
	case !(l.CriticLR > 0) || math.IsInf(l.CriticLR, 0):
		return fmt.Errorf("lsd: critic learning rate must be > 0, got %v", l.CriticLR)
	case l.CriticSteps < 1:
		return fmt.Errorf("lsd: critic steps must be ≥ 1, got %d", l.CriticSteps)
	case l.Probes < 1:
		return fmt.Errorf("lsd: probes must be ≥ 1, got %d", l.Probes)
	}
	return nil
}

// NewCritic builds the critic d → Hidden… → d with weights drawn from seed.
func (l *LSD[T]) NewCritic(d int, seed uint64) error {
	l.defaults()
	if err := l.validate(); err != nil {
		return err
	}
	sizes := append(append([]int{d}, l.Hidden...), d)
	net, err := nn.NewMLP[T](sizes, l.Act, nn.MLPOptions{Init: nn.InitTorch}, rand.New(rand.NewPCG(seed, 0x637269746963)))
	if err != nil {
		return fmt.Errorf("lsd: critic: %w", err)
	}
	l.critic = net
	return nil
}

// Players builds the critic (unless NewCritic already did) and returns its
// group and CriticSteps critic objectives.
func (l *LSD[T]) Players(m energy.Model[T], seed uint64) ([]Group[T], []Grouped, error) {
	l.defaults()
	if err := l.validate(); err != nil {
		return nil, nil, err
	}
	if l.critic == nil || l.critic.In() != m.Dim() {
		if err := l.NewCritic(m.Dim(), seed); err != nil {
			return nil, nil, err
		}
	}
	g := Group[T]{Name: CriticGroup, Params: l.critic.Params(), LR: l.CriticLR}
	objs := make([]Grouped, l.CriticSteps)
	for i := range objs {
		objs[i] = &lsdCritic[T]{l: l, m: m}
	}
	return []Group[T]{g}, objs, nil
}

// Loss records the energy's side, mean sᵀf with f fixed.
func (l *LSD[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	if l.critic == nil {
		return nil, Stats{}, errors.New("lsd: no critic (train through a Trainer, or call NewCritic)")
	}
	if l.critic.In() != x.Cols {
		return nil, Stats{}, fmt.Errorf("lsd: the critic has dimension %d, the batch %d", l.critic.In(), x.Cols)
	}
	xv := t.Input(x, true)
	e, g := gradX(t, m, xv)
	f := autodiff.Detach(l.critic.Forward(t, t.Input(x, false)))
	// sᵀf = −gᵀf
	loss := autodiff.Scale(autodiff.Sum(autodiff.Mul(g, f)), -1/float64(x.Rows))
	return loss, Stats{EPos: meanOf(e), ENeg: math.NaN()}, nil
}

// Trace records tr ∇ₓf(x) (n×1) of the critic's output f (n×d) recorded on
// x's tape from x: exact for d ≤ ExactMax, else Hutchinson with Rademacher
// probes.
func (l *LSD[T]) trace(xv, f *autodiff.Var[T], rng *rand.Rand) *autodiff.Var[T] {
	n, d := f.Rows(), f.Cols()
	var tr *autodiff.Var[T]
	if d <= l.ExactMax {
		for k := 0; k < d; k++ {
			gk := autodiff.Grad(autodiff.Sum(autodiff.SliceCols(f, k, k+1)), vars[T]{xv}, true)[0]
			tr = sumOrAdd(tr, autodiff.SliceCols(gk, k, k+1))
		}
		return tr
	}
	t := xv.Tape()
	for p := 0; p < l.Probes; p++ {
		v := t.Const(projections[T](n, d, ProjRademacher, rng))
		jv := autodiff.Grad(autodiff.Sum(autodiff.Mul(f, v)), vars[T]{xv}, true)[0]
		tr = sumOrAdd(tr, autodiff.SumCols(autodiff.Mul(jv, v)))
	}
	return autodiff.Scale(tr, 1/float64(l.Probes))
}

// lsdCritic is the critic's objective: minimize −L with the score fixed.
type lsdCritic[T tensor.Float] struct {
	l *LSD[T]
	m energy.Model[T]
}

func (c *lsdCritic[T]) Groups() []string { return []string{CriticGroup} }

func (c *lsdCritic[T]) Loss(t *autodiff.Tape[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	n, d := x.Rows, x.Cols
	if d != c.m.Dim() {
		return nil, Stats{}, fmt.Errorf("lsd: batch has dimension %d, the model %d", d, c.m.Dim())
	}
	e := make([]float64, n)
	g := tensor.New[float64](n, d)
	c.m.EnergyGrad(x, e, g)
	xv := t.Input(x, true)
	f := c.l.critic.Forward(t, xv)
	tr := c.l.trace(xv, f, rng)
	// s = −g
	stein := autodiff.Add(autodiff.SumCols(autodiff.Mul(f, t.Input(g, false))), autodiff.Neg(tr)) // gᵀf − tr = −(sᵀf + tr)
	pen := autodiff.Scale(autodiff.SumCols(autodiff.Square(f)), c.l.Lambda)
	loss := autodiff.Scale(autodiff.Sum(autodiff.Add(stein, pen)), 1/float64(n))
	me := 0.0
	for _, v := range e {
		me += v
	}
	lsd := -tensor.SumAll(stein.Value) / float64(n)
	return loss, Stats{EPos: me / float64(n), ENeg: math.NaN(), Extra: map[string]float64{"lsd": lsd}}, nil
}
