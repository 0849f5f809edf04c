package flow

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// Flow is a normalizing flow x = f_K ∘ … ∘ f_1(z) over the base z ~ N(0, I_d):
//
//	log p(x) = log N(z; 0, I) + Σ_k log|det ∂f_k⁻¹/∂x_k|,  z = f⁻¹(x).
//
// Its tape methods (LogProb, Draw, Params) are what trainers use; its batch
// methods make it an energy.GradEnergy with E(x) = −log p(x), an
// energy.Normalized (LogZ = 0) and an energy.ExactSampler. The batch methods
// are safe for concurrent use (each call takes its own tape); training, which
// changes the parameters, is not.
type Flow[T tensor.Float] struct {
	D      int
	Layers []Transform[T] // f_1 first (next to the base)
	// Spec is the spec string the flow was built from (recorded when saved).
	Spec string

	tapes sync.Pool
}

// New returns the flow of the given layers over d dimensions.
func New[T tensor.Float](d int, layers ...Transform[T]) (*Flow[T], error) {
	if d < 1 {
		return nil, fmt.Errorf("flow: dimension %d < 1", d)
	}
	seen := map[string]bool{}
	for i, l := range layers {
		if l.Dim() != d {
			return nil, fmt.Errorf("flow: layer %d (%s) has dimension %d, want %d", i, l.Kind(), l.Dim(), d)
		}
		for _, p := range l.Params() {
			if seen[p.Name] {
				return nil, fmt.Errorf("flow: parameter name %q used twice", p.Name)
			}
			seen[p.Name] = true
		}
	}
	return &Flow[T]{D: d, Layers: layers}, nil
}

// Dim returns d.
func (f *Flow[T]) Dim() int { return f.D }

// Params returns every layer's parameters, f_1's first.
func (f *Flow[T]) Params() []*autodiff.Param[T] {
	var ps []*autodiff.Param[T]
	for _, l := range f.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// Validate checks every layer that can be invalid (non-finite weights, an
// unconstrained planar layer with wᵀu ≤ −1).
func (f *Flow[T]) Validate() error {
	for i, l := range f.Layers {
		if v, ok := l.(Validator); ok {
			if err := v.Validate(); err != nil {
				return fmt.Errorf("flow: layer %d: %w", i, err)
			}
		}
	}
	return nil
}

func (f *Flow[T]) checkCols(what string, cols int) error {
	if cols != f.D {
		return fmt.Errorf("flow: %s has %d columns, the flow has dimension %d", what, cols, f.D)
	}
	return nil
}

// Inverse records z = f⁻¹(x) and log|det ∂f⁻¹/∂x| per row (nil if zero).
func (f *Flow[T]) Inverse(t *autodiff.Tape[T], x *autodiff.Var[T]) (z, logdet *autodiff.Var[T]) {
	z = x
	for k := len(f.Layers) - 1; k >= 0; k-- {
		var l *autodiff.Var[T]
		z, l = f.Layers[k].Inverse(t, z)
		logdet = addLD(logdet, l)
	}
	return z, logdet
}

// Forward records x = f(z) and log|det ∂f/∂z| per row (nil if zero).
func (f *Flow[T]) Forward(t *autodiff.Tape[T], z *autodiff.Var[T]) (x, logdet *autodiff.Var[T]) {
	x = z
	for _, layer := range f.Layers {
		var l *autodiff.Var[T]
		x, l = layer.Forward(t, x)
		logdet = addLD(logdet, l)
	}
	return x, logdet
}

// LogProb records log p(x) (n×1) of the rows of x on t.
func (f *Flow[T]) LogProb(t *autodiff.Tape[T], x *autodiff.Var[T]) (*autodiff.Var[T], error) {
	if err := f.checkCols("the batch", x.Cols()); err != nil {
		return nil, err
	}
	z, ld := f.Inverse(t, x)
	return addLD(logNormal(z), ld), nil
}

// Draw records n reparameterized draws x = f(z), z ~ N(0, I) from rng, on t
// (n×d), and their log densities log q(x) = log N(z) − log|det ∂f/∂z| (n×1).
func (f *Flow[T]) Draw(t *autodiff.Tape[T], n int, rng *rand.Rand) (x, logq *autodiff.Var[T], err error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("flow: Draw of %d points", n)
	}
	z := tensor.New[T](n, f.D)
	for i := range z.Data {
		z.Data[i] = T(rng.NormFloat64())
	}
	zv := t.Const(z)
	x, ld := f.Forward(t, zv)
	logq = logNormal(zv)
	if ld != nil {
		logq = autodiff.Sub(logq, ld)
	}
	return x, logq, nil
}

func (f *Flow[T]) tape() *autodiff.Tape[T] {
	if t, ok := f.tapes.Get().(*autodiff.Tape[T]); ok {
		return t
	}
	return autodiff.NewTape[T]()
}

func (f *Flow[T]) putTape(t *autodiff.Tape[T]) {
	t.Reset()
	f.tapes.Put(t)
}

// chunk bounds the rows evaluated on one tape, so that a large batch (a
// 300×300 grid) does not hold every layer's activations at once.
const chunk = 4096

// Sample returns n exact independent samples (n×d) drawn with rng.
func (f *Flow[T]) Sample(n int, rng *rand.Rand) *tensor.Dense[float64] {
	out := tensor.New[float64](n, f.D)
	t := f.tape()
	defer f.putTape(t)
	for lo := 0; lo < n; lo += chunk {
		m := min(chunk, n-lo)
		x, _, _ := f.Draw(t, m, rng)
		for i, v := range x.Value.Data {
			out.Data[lo*f.D+i] = float64(v)
		}
		t.Reset()
	}
	return out
}

// SampleLogProb is Sample that also writes log q of each sample into logq
// (len n), from the same pass.
func (f *Flow[T]) SampleLogProb(n int, rng *rand.Rand, logq []float64) *tensor.Dense[float64] {
	out := tensor.New[float64](n, f.D)
	t := f.tape()
	defer f.putTape(t)
	for lo := 0; lo < n; lo += chunk {
		m := min(chunk, n-lo)
		x, lq, _ := f.Draw(t, m, rng)
		for i, v := range x.Value.Data {
			out.Data[lo*f.D+i] = float64(v)
		}
		for i, v := range lq.Value.Data {
			logq[lo+i] = float64(v)
		}
		t.Reset()
	}
	return out
}

// LogZ returns 0: a flow is normalized.
func (f *Flow[T]) LogZ() float64 { return 0 }

// Energy writes E(x_i) = −log p(x_i) into e[i].
func (f *Flow[T]) Energy(x *tensor.Dense[float64], e []float64) {
	f.EnergyGrad(x, e, nil)
}

// EnergyGrad writes E(x_i) = −log p(x_i) into e[i] and, when g is not nil,
// ∇ₓE(x_i) = −∇ₓ log p(x_i) into row i of g. It panics on a batch whose width
// is not the flow's dimension (a programming error, as for every energy).
func (f *Flow[T]) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	if err := f.checkCols("the batch", x.Cols); err != nil {
		panic(err)
	}
	t := f.tape()
	defer f.putTape(t)
	for lo := 0; lo < x.Rows; lo += chunk {
		m := min(chunk, x.Rows-lo)
		part := tensor.FromSlice(m, f.D, x.Data[lo*f.D:(lo+m)*f.D])
		xv := t.Input(part, g != nil)
		lp, _ := f.LogProb(t, xv)
		for i, v := range lp.Value.Data {
			e[lo+i] = -float64(v)
		}
		if g != nil {
			gs := autodiff.Grad(autodiff.Neg(autodiff.Sum(lp)), []*autodiff.Var[T]{xv}, false)
			for i, v := range gs[0].Value.Data {
				g.Data[lo*f.D+i] = float64(v)
			}
		}
		t.Reset()
	}
}

// InitFromData initializes every ActNorm layer from the data batch x (n×d,
// n ≥ 2): x is mapped down the flow (data side first) and each ActNorm is set
// from its own input, so that its output has zero mean and unit variance.
func (f *Flow[T]) InitFromData(x *tensor.Dense[float64]) error {
	if err := f.checkCols("the initialization batch", x.Cols); err != nil {
		return err
	}
	if x.Rows < 2 {
		return errors.New("flow: initialization needs at least 2 rows")
	}
	t := autodiff.NewTape[T]()
	v := t.Input(x, false)
	for k := len(f.Layers) - 1; k >= 0; k-- {
		if a, ok := f.Layers[k].(*ActNorm[T]); ok {
			if err := a.InitFrom(v.Value); err != nil {
				return err
			}
		}
		v, _ = f.Layers[k].Inverse(t, v)
	}
	return nil
}

// WithBox returns a flow with f's layers (shared, not copied) followed by a
// Box layer of half-width c > 0: the flow of c·tanh(x/c), x ~ f, as a
// sampler confined to a box draws it (train.Adversarial's Box). Its Spec is
// f's with box=c, so that Save and Load rebuild it.
func (f *Flow[T]) WithBox(c float64) (*Flow[T], error) {
	if !(c > 0) || math.IsInf(c, 0) {
		return nil, fmt.Errorf("flow: WithBox: half-width %v, want a finite c > 0", c)
	}
	s := f.Spec
	if s == "" {
		return nil, errors.New("flow: WithBox: the flow has no spec (build it with Parse or Build)")
	}
	cfg, err := ParseConfig(s)
	if err != nil {
		return nil, fmt.Errorf("flow: WithBox: %w", err)
	}
	if cfg.Box > 0 {
		return nil, fmt.Errorf("flow: WithBox: %q already ends in a box", s)
	}
	sep := ","
	if !strings.Contains(s, ":") {
		sep = ":"
	}
	if cfg, err = ParseConfig(s + sep + "box=" + strconv.FormatFloat(c, 'g', -1, 64)); err != nil {
		return nil, fmt.Errorf("flow: WithBox: %w", err)
	}
	g, err := New(f.D, append(append([]Transform[T](nil), f.Layers...), NewBox[T](f.D, c))...)
	if err != nil {
		return nil, err
	}
	g.Spec = cfg.Canonical
	return g, nil
}
