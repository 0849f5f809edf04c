package energy

import (
	"fmt"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/internal/pool"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// Model is what estimators need: an energy with trainable parameters that can
// also be recorded on an autodiff tape (for parameter gradients and the
// higher-order derivatives of score matching). T is the precision of the
// parameters and of the tape: float32 (fast) or float64 (reference).
type Model[T tensor.Float] interface {
	GradEnergy
	// Params returns the trainable parameters.
	Params() []*autodiff.Param[T]
	// Build records the energies of the rows of x on t as an n×1 node.
	Build(t *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T]
}

// MLPEnergy is a neural energy E(x) = f(x) for an MLP f with one output.
// Energy and EnergyGrad use the MLP's fused tape-free pass (converting the
// float64 batch to T and back); Build records it on a tape. Energy and
// EnergyGrad are safe for concurrent use: their conversion buffers come from a
// pool (so, once warm, they allocate nothing). An MLPEnergy must not be
// copied after first use.
type MLPEnergy[T tensor.Float] struct {
	Net *nn.MLP[T]

	bufs pool.Pool[mlpBufs[T]]
}

// mlpBufs holds the conversion buffers of one Energy or EnergyGrad call.
type mlpBufs[T tensor.Float] struct {
	x    *tensor.Dense[T]
	e    []T
	gx   *tensor.Dense[T]
	conv convJob[T]
}

// convParMin is the number of elements from which a conversion between the
// float64 batch and the network's type is split across cores.
const convParMin = 1 << 15

// convJob converts between a float64 slice and a T slice, elementwise
// (tensor.RowJob): to T when toT, else back to float64.
type convJob[T tensor.Float] struct {
	toT bool
	f64 []float64
	t   []T
}

func (j *convJob[T]) Run(lo, hi int) {
	if j.toT {
		for i, v := range j.f64[lo:hi] {
			j.t[lo+i] = T(v)
		}
		return
	}
	for i, v := range j.t[lo:hi] {
		j.f64[lo+i] = float64(v)
	}
}

// run converts all of j's elements, split across cores when there are many.
func (j *convJob[T]) run() {
	if n := len(j.t); n >= convParMin {
		tensor.ParallelRows(j, n, convParMin/2)
	} else {
		j.Run(0, n)
	}
	*j = convJob[T]{}
}

// NewMLPEnergy wraps net, which must have a single output.
func NewMLPEnergy[T tensor.Float](net *nn.MLP[T]) (*MLPEnergy[T], error) {
	if net.Out() != 1 {
		return nil, fmt.Errorf("energy: an MLP energy needs one output, the network has %d", net.Out())
	}
	return &MLPEnergy[T]{Net: net}, nil
}

// Dim returns the input width of the network.
func (m *MLPEnergy[T]) Dim() int { return m.Net.In() }

// Params returns the network's parameters.
func (m *MLPEnergy[T]) Params() []*autodiff.Param[T] { return m.Net.Params() }

// Build records the network on t: an n×1 node of energies.
func (m *MLPEnergy[T]) Build(t *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	return m.Net.Forward(t, x)
}

// Freeze packs the network's weights for the evaluations that follow (see
// nn.MLP.Freeze and Freezer); the weights must not change until the returned
// function is called.
func (m *MLPEnergy[T]) Freeze() (thaw func()) { return m.Net.Freeze() }

// Energy writes E(x_i) into e[i].
func (m *MLPEnergy[T]) Energy(x *tensor.Dense[float64], e []float64) {
	m.eval(x, e, nil)
}

// EnergyGrad writes E(x_i) into e[i] and ∇ₓE(x_i) into row i of g.
func (m *MLPEnergy[T]) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	m.eval(x, e, g)
}

func (m *MLPEnergy[T]) eval(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	n := x.Rows
	if len(e) != n {
		panic(fmt.Sprintf("energy: %d energies for a batch of %d", len(e), n))
	}
	if xx, ok := any(x).(*tensor.Dense[T]); ok {
		// T is float64: no conversion.
		ee := any(e).([]T)
		if g == nil {
			m.Net.ValueGradX(xx, ee, nil)
		} else {
			m.Net.ValueGradX(xx, ee, any(g).(*tensor.Dense[T]))
		}
		return
	}
	b := m.bufs.Get()
	if b == nil {
		b = &mlpBufs[T]{}
	}
	defer m.bufs.Put(b)
	b.x = tensor.Reuse(b.x, x.Rows, x.Cols)
	b.conv = convJob[T]{toT: true, f64: x.Data[:len(b.x.Data)], t: b.x.Data}
	b.conv.run()
	if cap(b.e) < n {
		b.e = make([]T, n)
	}
	b.e = b.e[:n]
	var gx *tensor.Dense[T]
	if g != nil {
		b.gx = tensor.Reuse(b.gx, n, x.Cols)
		gx = b.gx
	}
	m.Net.ValueGradX(b.x, b.e, gx)
	for i, v := range b.e {
		e[i] = float64(v)
	}
	if g != nil {
		b.conv = convJob[T]{f64: g.Data[:len(gx.Data)], t: gx.Data}
		b.conv.run()
	}
}
