package jem

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/internal/pool"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// Classifier is a K-class classifier read as an energy-based model: with
// logits f(x) ∈ R^K of a network,
//
//	E(x, y) = −f(x)[y],   E(x) = −logsumexp_y f(x)[y],   p(y | x) = softmax(f(x))[y],
//
// so p(x, y) ∝ exp(−E(x, y)) and p(x) ∝ exp(−E(x)). The network sees the
// standardized input (x − Shift)/Scale (nil Shift and Scale: x itself), so
// energies and gradients are in the units of the raw data.
//
// Energy and EnergyGrad (energy.GradEnergy, float64 batches) use the MLP's
// fused tape-free pass; Logits and Build record the same network on a tape.
// Conditional returns the energy E(x, y) for given labels, what
// class-conditional sampling needs. Energy and EnergyGrad are safe for
// concurrent use; a Classifier must not be copied after first use.
type Classifier[T tensor.Float] struct {
	Net *nn.MLP[T]
	// Shift and Scale standardize inputs (both nil, or both of length
	// Dim()); set by New, read-only afterwards.
	Shift, Scale []float64
	// ClassNames, if not nil, names the K classes.
	ClassNames []string
	// Image, if not zero, is the (height, width) of an input read as an image.
	Image [2]int

	shiftT, invScaleT *tensor.Dense[T] // Shift and 1/Scale as T rows for the tape
	bufs              pool.Pool[clsBufs[T]]
}

type clsBufs[T tensor.Float] struct {
	x, out, d, gx *tensor.Dense[T]
	y             []int
	fill          func(out, d *tensor.Dense[T])
}

// New wraps net, which must have at least two outputs (the classes), with
// optional input standardization (shift and scale nil, or of the input
// width with positive finite scales).
func New[T tensor.Float](net *nn.MLP[T], shift, scale []float64) (*Classifier[T], error) {
	if net == nil {
		return nil, errors.New("jem: nil network")
	}
	if net.Out() < 2 {
		return nil, fmt.Errorf("jem: a classifier needs at least 2 outputs, the network has %d", net.Out())
	}
	if (shift == nil) != (scale == nil) {
		return nil, errors.New("jem: give both the input shift and scale, or neither")
	}
	if shift != nil {
		if len(shift) != net.In() || len(scale) != net.In() {
			return nil, fmt.Errorf("jem: input shift and scale have %d and %d entries for %d inputs", len(shift), len(scale), net.In())
		}
		for j := range shift {
			if !(scale[j] > 0) || math.IsInf(scale[j], 0) || math.IsNaN(shift[j]) || math.IsInf(shift[j], 0) {
				return nil, fmt.Errorf("jem: input %d: shift %v and scale %v must be finite, the scale positive", j, shift[j], scale[j])
			}
		}
	}
	c := &Classifier[T]{Net: net, Shift: shift, Scale: scale}
	if shift != nil {
		d := net.In()
		c.shiftT, c.invScaleT = tensor.New[T](1, d), tensor.New[T](1, d)
		for j := range d {
			c.shiftT.Data[j], c.invScaleT.Data[j] = T(shift[j]), T(1/scale[j])
		}
	}
	return c, nil
}

// Dim returns the input width d.
func (c *Classifier[T]) Dim() int { return c.Net.In() }

// Classes returns K.
func (c *Classifier[T]) Classes() int { return c.Net.Out() }

// Params returns the network's parameters.
func (c *Classifier[T]) Params() []*autodiff.Param[T] { return c.Net.Params() }

// standardize writes (x − Shift)/Scale into dst (row-major, Dim columns).
func (c *Classifier[T]) standardize(dst []T, x []float64) {
	d := c.Dim()
	for i, v := range x {
		j := i % d
		dst[i] = T((v - c.Shift[j]) / c.Scale[j])
	}
}

// Logits records the logits f(x) (n×K) of the raw input node x (n×d) on its
// tape, standardizing it first.
func (c *Classifier[T]) Logits(t *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	if c.shiftT != nil {
		x = autodiff.Mul(autodiff.Sub(x, t.Const(c.shiftT)), t.Const(c.invScaleT))
	}
	return c.Net.Forward(t, x)
}

// Build records E(x) = −logsumexp f(x) (n×1) of the raw input node x, so
// that a Classifier is an energy.Model for the estimators of package train.
func (c *Classifier[T]) Build(t *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	return autodiff.Neg(autodiff.RowLogSumExp(c.Logits(t, x)))
}

// Energy writes E(x_i) into e[i].
func (c *Classifier[T]) Energy(x *tensor.Dense[float64], e []float64) { c.eval(x, nil, e, nil) }

// EnergyGrad writes E(x_i) into e[i] and ∇ₓE(x_i) = −Σ_y p(y | x_i) ∇ₓf_y(x_i)
// into row i of g.
func (c *Classifier[T]) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	c.eval(x, nil, e, g)
}

// CondEnergyGrad writes E(x_i, y_i) = −f(x_i)[y_i] into e[i] and, when g is
// not nil, its gradient −∇ₓf_{y_i}(x_i) into row i of g.
func (c *Classifier[T]) CondEnergyGrad(x *tensor.Dense[float64], y []int, e []float64, g *tensor.Dense[float64]) {
	if len(y) != x.Rows {
		panic(fmt.Sprintf("jem: %d labels for a batch of %d", len(y), x.Rows))
	}
	c.eval(x, y, e, g)
}

// Logits64 writes the logits f(x) (n×K) of the raw batch x into dst, which it
// returns (allocated when nil or of the wrong shape).
func (c *Classifier[T]) Logits64(x *tensor.Dense[float64], dst *tensor.Dense[float64]) *tensor.Dense[float64] {
	dst = tensor.Reuse(dst, x.Rows, c.Classes())
	b := c.run(x, nil, false)
	for i, v := range b.out.Data {
		dst.Data[i] = float64(v)
	}
	c.bufs.Put(b)
	return dst
}

// eval runs the network on x and, for g ≠ nil, pulls back δ = −softmax
// (y nil) or δ = −onehot(y).
func (c *Classifier[T]) eval(x *tensor.Dense[float64], y []int, e []float64, g *tensor.Dense[float64]) {
	n := x.Rows
	if len(e) != n {
		panic(fmt.Sprintf("jem: %d energies for a batch of %d", len(e), n))
	}
	if x.Cols != c.Dim() {
		panic(fmt.Sprintf("jem: batch %s, want %d columns", x.Shape(), c.Dim()))
	}
	b := c.run(x, y, g != nil)
	defer c.bufs.Put(b)
	k := c.Classes()
	for i := range n {
		row := b.out.Data[i*k : (i+1)*k]
		if y != nil {
			e[i] = -float64(row[y[i]])
		} else {
			e[i] = -logSumExp(row)
		}
	}
	if g == nil {
		return
	}
	d := c.Dim()
	for i, v := range b.gx.Data {
		gv := float64(v)
		if c.Scale != nil {
			gv /= c.Scale[i%d]
		}
		g.Data[i] = gv
	}
}

// run converts and standardizes x into T, runs the fused pass (with the
// pull-back when grad is set) and returns the buffers, which the caller puts
// back.
func (c *Classifier[T]) run(x *tensor.Dense[float64], y []int, grad bool) *clsBufs[T] {
	n, k := x.Rows, c.Classes()
	b := c.bufs.Get()
	if b == nil {
		b = &clsBufs[T]{}
		b.fill = func(out, d *tensor.Dense[T]) { fillDelta(out, d, b.y) }
	}
	b.x = tensor.Reuse(b.x, n, x.Cols)
	if c.Shift != nil {
		c.standardize(b.x.Data, x.Data)
	} else {
		for i, v := range x.Data {
			b.x.Data[i] = T(v)
		}
	}
	b.out = tensor.Reuse(b.out, n, k)
	var gx *tensor.Dense[T]
	if grad {
		b.d = tensor.Reuse(b.d, n, k)
		b.gx = tensor.Reuse(b.gx, n, x.Cols)
		gx = b.gx
	}
	b.y = y
	c.Net.ForwardVJPX(b.x, b.out, b.d, b.fill, gx)
	b.y = nil
	return b
}

// fillDelta writes −softmax(out) (y nil) or −onehot(y) into d, row by row.
func fillDelta[T tensor.Float](out, d *tensor.Dense[T], y []int) {
	k := out.Cols
	for i := 0; i < out.Rows; i++ {
		o, dr := out.Data[i*k:(i+1)*k], d.Data[i*k:(i+1)*k]
		if y != nil {
			for j := range dr {
				dr[j] = 0
			}
			dr[y[i]] = -1
			continue
		}
		m := math.Inf(-1)
		for _, v := range o {
			m = math.Max(m, float64(v))
		}
		s := 0.0
		for j, v := range o {
			p := math.Exp(float64(v) - m)
			dr[j] = T(p)
			s += p
		}
		for j := range dr {
			dr[j] = T(-float64(dr[j]) / s)
		}
	}
}

// logSumExp returns log Σ exp(v_j) in float64.
func logSumExp[T tensor.Float](v []T) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, float64(x))
	}
	if math.IsInf(m, 0) || math.IsNaN(m) {
		return m
	}
	s := 0.0
	for _, x := range v {
		s += math.Exp(float64(x) - m)
	}
	return m + math.Log(s)
}

// Conditional returns the energy x ↦ E(x, y_i) for a batch whose row i has
// label y[i]: a GradEnergy for class-conditional sampling. Its batches must
// have len(y) rows.
func (c *Classifier[T]) Conditional(y []int) energy.GradEnergy {
	return &condEnergy[T]{c: c, y: y}
}

type condEnergy[T tensor.Float] struct {
	c *Classifier[T]
	y []int
}

func (ce *condEnergy[T]) Dim() int { return ce.c.Dim() }
func (ce *condEnergy[T]) Energy(x *tensor.Dense[float64], e []float64) {
	ce.c.CondEnergyGrad(x, ce.y, e, nil)
}
func (ce *condEnergy[T]) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	ce.c.CondEnergyGrad(x, ce.y, e, g)
}

// NumClasses returns K (energy.ClassConditional).
func (c *Classifier[T]) NumClasses() int { return c.Classes() }

// ClassEnergy returns x ↦ E(x, k) = −f(x)[k] for batches of any size: the
// energy of p(x | y = k) (energy.ClassConditional), so that a sum such as
// "model:DIR,class=3 + quad:..." conditions on a label. The energy keeps a
// label buffer: use one per goroutine.
func (c *Classifier[T]) ClassEnergy(k int) (energy.GradEnergy, error) {
	if k < 0 || k >= c.Classes() {
		return nil, fmt.Errorf("jem: class %d out of range: the model has classes 0 to %d", k, c.Classes()-1)
	}
	return &classEnergy[T]{c: c, k: k}, nil
}

type classEnergy[T tensor.Float] struct {
	c *Classifier[T]
	k int
	y []int
}

func (ce *classEnergy[T]) labels(n int) []int {
	if cap(ce.y) < n {
		ce.y = make([]int, n)
	}
	y := ce.y[:n]
	for i := range y {
		y[i] = ce.k
	}
	return y
}

func (ce *classEnergy[T]) Dim() int { return ce.c.Dim() }
func (ce *classEnergy[T]) Energy(x *tensor.Dense[float64], e []float64) {
	ce.c.CondEnergyGrad(x, ce.labels(x.Rows), e, nil)
}
func (ce *classEnergy[T]) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	ce.c.CondEnergyGrad(x, ce.labels(x.Rows), e, g)
}

// Compile-time checks: a Classifier is an energy.Model and a class-conditional
// family.
var (
	_ energy.ClassConditional = (*Classifier[float32])(nil)
	_ energy.Model[float32]   = (*Classifier[float32])(nil)
	_ energy.Model[float64]   = (*Classifier[float64])(nil)
)

func nan() float64 { return math.NaN() }
