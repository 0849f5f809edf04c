package energy

import (
	"errors"
	"fmt"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/internal/pool"
	"github.com/ebm-go/ebm/tensor"
)

// PointFunc is an energy written one point at a time, value and gradient in
// one call, in the manner of gonum's LogProber or nuts-rs's logp: it returns
// E(x) and writes ∇ₓE(x) into grad (len(grad) = len(x)). It must not keep x
// or grad after it returns.
type PointFunc func(x, grad []float64) float64

// funcEnergy adapts a PointFunc to GradEnergy.
type funcEnergy struct {
	d int
	f PointFunc
}

// FromFunc returns the GradEnergy of dimension d whose energy and gradient at
// each row of a batch are f's. Energy calls f too (with a scratch gradient that
// it discards), so f always gets a gradient slice to write. The result is safe
// for concurrent use if f is. It returns an error for d < 1 or a nil f.
func FromFunc(d int, f PointFunc) (GradEnergy, error) {
	if d < 1 {
		return nil, fmt.Errorf("energy: FromFunc: dimension %d, want ≥ 1", d)
	}
	if f == nil {
		return nil, errors.New("energy: FromFunc: nil function")
	}
	return &funcEnergy{d: d, f: f}, nil
}

func (e *funcEnergy) Dim() int { return e.d }

// Energy writes f(x_i) into e[i].
func (e *funcEnergy) Energy(x *tensor.Dense[float64], en []float64) {
	mustBatch("FromFunc.Energy", e.d, x, en, nil, false)
	buf := getScratch(e.d)
	for i := range en {
		en[i] = e.f(x.Row(i), buf.buf)
	}
	putScratch(buf)
}

// EnergyGrad writes f(x_i) into e[i] and its gradient into row i of g.
func (e *funcEnergy) EnergyGrad(x *tensor.Dense[float64], en []float64, g *tensor.Dense[float64]) {
	mustBatch("FromFunc.EnergyGrad", e.d, x, en, g, true)
	for i := range en {
		en[i] = e.f(x.Row(i), g.Row(i))
	}
}

// Builder is a neural energy defined only by its tape recording: the energies
// of the rows of x as an n×1 node, from trainable parameters. Rows must not
// interact (no batch statistics), so that the gradient of the summed energies
// is each row's own gradient.
type Builder[T tensor.Float] interface {
	Dim() int
	Params() []*autodiff.Param[T]
	Build(t *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T]
}

// tapeModel is a Model whose Energy and EnergyGrad run the tape.
type tapeModel[T tensor.Float] struct {
	Builder[T]
	tapes pool.Pool[autodiff.Tape[T]]
}

// FromModel returns b as a full Model: Energy and EnergyGrad record b.Build on
// a tape and, for the gradient, run reverse mode on Σᵢ E(x_i) with respect to
// the input, ∇_{x_i} Σⱼ E(x_j) = ∇E(x_i) (rows do not interact). So a custom
// neural energy needs only Params and Build, no hand-written gradient. Tapes
// come from a pool (reused after Reset): the result is safe for
// concurrent use as long as b.Build only reads the parameters.
func FromModel[T tensor.Float](b Builder[T]) Model[T] {
	return &tapeModel[T]{Builder: b}
}

func (m *tapeModel[T]) tape() *autodiff.Tape[T] {
	if t := m.tapes.Get(); t != nil {
		t.Reset()
		return t
	}
	return autodiff.NewTape[T]()
}

func (m *tapeModel[T]) eval(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	t := m.tape()
	defer m.tapes.Put(t)
	xv := t.Input(x, g != nil)
	y := m.Build(t, xv)
	if y.Rows() != x.Rows || y.Cols() != 1 {
		panic(fmt.Sprintf("energy: FromModel: Build gave %d×%d for a batch of %d, want %d×1", y.Rows(), y.Cols(), x.Rows, x.Rows))
	}
	for i := range e {
		e[i] = float64(y.Value.Data[i])
	}
	if g == nil {
		return
	}
	gx := autodiff.Grad(autodiff.Sum(y), []*autodiff.Var[T]{xv}, false)[0]
	for i, v := range gx.Value.Data {
		g.Data[i] = float64(v)
	}
}

// Energy writes E(x_i) into e[i].
func (m *tapeModel[T]) Energy(x *tensor.Dense[float64], e []float64) {
	mustBatch("FromModel.Energy", m.Dim(), x, e, nil, false)
	m.eval(x, e, nil)
}

// EnergyGrad writes E(x_i) into e[i] and ∇ₓE(x_i) into row i of g.
func (m *tapeModel[T]) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	mustBatch("FromModel.EnergyGrad", m.Dim(), x, e, g, true)
	m.eval(x, e, g)
}
