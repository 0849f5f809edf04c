package flow

import (
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// Net configures the conditioner networks of coupling and MAF layers.
type Net struct {
	Hidden []int         // hidden widths (default 64×64)
	Act    nn.Activation // activation (default ReLU, as the common RealNVP examples)
}

// newConditioner builds an MLP in → Hidden… → out whose last layer is zero,
// so the layer starts as the identity; parameter names get the prefix name.
func newConditioner[T tensor.Float](name string, in, out int, net Net, rng *rand.Rand) (*nn.MLP[T], error) {
	sizes := append(append([]int{in}, net.Hidden...), out)
	m, err := nn.NewMLP[T](sizes, net.Act, nn.MLPOptions{}, rng)
	if err != nil {
		return nil, err
	}
	last := m.Layers[len(m.Layers)-1]
	last.W.Value.Zero()
	last.B.Value.Zero()
	for _, p := range m.Params() {
		p.Name = name + "." + p.Name
	}
	return m, nil
}

// parityMask returns the 1×d mask that is 1 on the coordinates i with
// i%2 == parity (the conditioning set A) and 0 elsewhere (B). In one
// dimension the mask is 0, so the layer is an elementwise map with constant
// parameters.
func parityMask[T tensor.Float](d, parity int) *tensor.Dense[T] {
	m := tensor.New[T](1, d)
	if d == 1 {
		return m
	}
	for i := 0; i < d; i++ {
		if i%2 == parity {
			m.Data[i] = 1
		}
	}
	return m
}

func complement[T tensor.Float](m *tensor.Dense[T]) *tensor.Dense[T] {
	c := tensor.New[T](m.Rows, m.Cols)
	for i, v := range m.Data {
		c.Data[i] = 1 - v
	}
	return c
}

// Affine is RealNVP's affine coupling layer (Dinh et al. 2017): with the
// mask A (conditioning coordinates) and B = 1 − A,
//
//	x = A⊙z + B⊙(z⊙exp(s) + t),   (ŝ, t) = net(A⊙z),   s = c·tanh(ŝ/c)·B,
//
// and log|det ∂x/∂z| = Σ s. The log-scale is bounded to (−c, c) by the
// c·tanh(·/c) squashing (slope 1 at 0), with c = Bound; Bound ≤ 0 leaves it
// unbounded. The inverse is z = A⊙x + B⊙(x − t)⊙exp(−s), with the same net
// evaluated at A⊙x = A⊙z.
type Affine[T tensor.Float] struct {
	D     int
	Mask  *tensor.Dense[T] // 1×d, 1 on A
	Bound float64
	Net   *nn.MLP[T] // d → hidden → 2d (ŝ, t)
	inv   *tensor.Dense[T]
}

// NewAffine returns an affine coupling with mask parity (0 or 1).
func NewAffine[T tensor.Float](name string, d, parity int, bound float64, net Net, rng *rand.Rand) (*Affine[T], error) {
	m, err := newConditioner[T](name+".net", d, 2*d, net, rng)
	if err != nil {
		return nil, err
	}
	mask := parityMask[T](d, parity)
	return &Affine[T]{D: d, Mask: mask, Bound: bound, Net: m, inv: complement(mask)}, nil
}

// Kind returns "affine".
func (c *Affine[T]) Kind() string { return "affine" }

// Dim returns d.
func (c *Affine[T]) Dim() int { return c.D }

// Params returns the conditioner's parameters.
func (c *Affine[T]) Params() []*autodiff.Param[T] { return c.Net.Params() }

// st records the masked log-scale s and shift t from the conditioning part.
func (c *Affine[T]) st(t *autodiff.Tape[T], a *autodiff.Var[T]) (s, sh *autodiff.Var[T]) {
	h := c.Net.Forward(t, a)
	b := t.Const(c.inv)
	s = autodiff.Mul(bounded(autodiff.SliceCols(h, 0, c.D), c.Bound), b)
	sh = autodiff.Mul(autodiff.SliceCols(h, c.D, 2*c.D), b)
	return s, sh
}

// Forward records x = A⊙z + B⊙(z⊙exp(s) + t) and Σ s.
func (c *Affine[T]) Forward(t *autodiff.Tape[T], z *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	a := autodiff.Mul(z, t.Const(c.Mask))
	s, sh := c.st(t, a)
	// B⊙z⊙exp(s) = (z − A⊙z)⊙exp(s), since s = 0 on A.
	x := autodiff.Add(autodiff.Add(a, autodiff.Mul(autodiff.Sub(z, a), autodiff.Exp(s))), sh)
	return x, autodiff.SumCols(s)
}

// Inverse records z = A⊙x + B⊙(x − t)⊙exp(−s) and −Σ s.
func (c *Affine[T]) Inverse(t *autodiff.Tape[T], x *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	a := autodiff.Mul(x, t.Const(c.Mask))
	s, sh := c.st(t, a)
	z := autodiff.Add(a, autodiff.Mul(autodiff.Sub(autodiff.Sub(x, a), sh), autodiff.Exp(autodiff.Neg(s))))
	return z, autodiff.Neg(autodiff.SumCols(s))
}

// Validate checks the weights are finite.
func (c *Affine[T]) Validate() error {
	if n := finiteParams(c.Params()); n != "" {
		return errNonFinite("affine coupling", n)
	}
	return nil
}

// Additive is NICE's additive coupling (Dinh et al. 2014):
// x = z + B⊙m(A⊙z), log|det| = 0, inverse z = x − B⊙m(A⊙x).
type Additive[T tensor.Float] struct {
	D    int
	Mask *tensor.Dense[T]
	Net  *nn.MLP[T] // d → hidden → d
	inv  *tensor.Dense[T]
}

// NewAdditive returns an additive coupling with mask parity (0 or 1).
func NewAdditive[T tensor.Float](name string, d, parity int, net Net, rng *rand.Rand) (*Additive[T], error) {
	m, err := newConditioner[T](name+".net", d, d, net, rng)
	if err != nil {
		return nil, err
	}
	mask := parityMask[T](d, parity)
	return &Additive[T]{D: d, Mask: mask, Net: m, inv: complement(mask)}, nil
}

// Kind returns "additive".
func (c *Additive[T]) Kind() string { return "additive" }

// Dim returns d.
func (c *Additive[T]) Dim() int { return c.D }

// Params returns the conditioner's parameters.
func (c *Additive[T]) Params() []*autodiff.Param[T] { return c.Net.Params() }

func (c *Additive[T]) shift(t *autodiff.Tape[T], v *autodiff.Var[T]) *autodiff.Var[T] {
	return autodiff.Mul(c.Net.Forward(t, autodiff.Mul(v, t.Const(c.Mask))), t.Const(c.inv))
}

// Forward records x = z + B⊙m(A⊙z).
func (c *Additive[T]) Forward(t *autodiff.Tape[T], z *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	return autodiff.Add(z, c.shift(t, z)), nil
}

// Inverse records z = x − B⊙m(A⊙x).
func (c *Additive[T]) Inverse(t *autodiff.Tape[T], x *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	return autodiff.Sub(x, c.shift(t, x)), nil
}

// Validate checks the weights are finite.
func (c *Additive[T]) Validate() error {
	if n := finiteParams(c.Params()); n != "" {
		return errNonFinite("additive coupling", n)
	}
	return nil
}

// Scale is NICE's diagonal scaling x = z⊙exp(s), log|det| = Σ s.
type Scale[T tensor.Float] struct {
	D int
	S *autodiff.Param[T] // 1×d log-scales
}

// NewScale returns the identity scaling.
func NewScale[T tensor.Float](name string, d int) *Scale[T] {
	return &Scale[T]{D: d, S: autodiff.NewParam(name+".log_scale", tensor.New[T](1, d))}
}

// Kind returns "scale".
func (c *Scale[T]) Kind() string { return "scale" }

// Dim returns d.
func (c *Scale[T]) Dim() int { return c.D }

// Params returns the log-scales.
func (c *Scale[T]) Params() []*autodiff.Param[T] { return []*autodiff.Param[T]{c.S} }

// Forward records z⊙exp(s).
func (c *Scale[T]) Forward(t *autodiff.Tape[T], z *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	s := t.Param(c.S)
	return autodiff.Mul(z, autodiff.Exp(s)), autodiff.BroadcastTo(autodiff.Sum(s), z.Rows(), 1)
}

// Inverse records x⊙exp(−s).
func (c *Scale[T]) Inverse(t *autodiff.Tape[T], x *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	s := t.Param(c.S)
	return autodiff.Mul(x, autodiff.Exp(autodiff.Neg(s))), autodiff.BroadcastTo(autodiff.Neg(autodiff.Sum(s)), x.Rows(), 1)
}

// Validate checks the scales are finite.
func (c *Scale[T]) Validate() error {
	if n := finiteParams(c.Params()); n != "" {
		return errNonFinite("scale", n)
	}
	return nil
}

// ActNorm is activation normalization (Kingma & Dhariwal 2018):
// x = z⊙exp(s) + b, log|det| = Σ s. InitFrom sets b and s from a batch of its
// data-side inputs x so that z = (x − b)⊙exp(−s) has zero mean and unit
// variance per coordinate (Flow.InitFromData does it for every ActNorm).
type ActNorm[T tensor.Float] struct {
	D      int
	S, B   *autodiff.Param[T] // 1×d each
	Inited bool
}

// NewActNorm returns an uninitialized (identity) ActNorm.
func NewActNorm[T tensor.Float](name string, d int) *ActNorm[T] {
	return &ActNorm[T]{D: d, S: autodiff.NewParam(name+".log_scale", tensor.New[T](1, d)),
		B: autodiff.NewParam(name+".bias", tensor.New[T](1, d))}
}

// Kind returns "actnorm".
func (c *ActNorm[T]) Kind() string { return "actnorm" }

// Dim returns d.
func (c *ActNorm[T]) Dim() int { return c.D }

// Params returns the log-scales and biases.
func (c *ActNorm[T]) Params() []*autodiff.Param[T] { return []*autodiff.Param[T]{c.S, c.B} }

// Forward records z⊙exp(s) + b.
func (c *ActNorm[T]) Forward(t *autodiff.Tape[T], z *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	s := t.Param(c.S)
	x := autodiff.Add(autodiff.Mul(z, autodiff.Exp(s)), t.Param(c.B))
	return x, autodiff.BroadcastTo(autodiff.Sum(s), z.Rows(), 1)
}

// Inverse records (x − b)⊙exp(−s).
func (c *ActNorm[T]) Inverse(t *autodiff.Tape[T], x *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	s := t.Param(c.S)
	z := autodiff.Mul(autodiff.Sub(x, t.Param(c.B)), autodiff.Exp(autodiff.Neg(s)))
	return z, autodiff.BroadcastTo(autodiff.Neg(autodiff.Sum(s)), x.Rows(), 1)
}

// InitFrom sets b to the column means of x and s to the log of the column
// standard deviations (floored at 1e-6) and marks the layer initialized.
func (c *ActNorm[T]) InitFrom(x *tensor.Dense[T]) error {
	if x.Cols != c.D || x.Rows < 2 {
		return fmt.Errorf("actnorm: initialization needs at least 2 rows of %d columns, got %s", c.D, x.Shape())
	}
	for j := 0; j < c.D; j++ {
		var m, m2 float64
		for i := 0; i < x.Rows; i++ {
			v := float64(x.At(i, j))
			m += v
			m2 += v * v
		}
		m /= float64(x.Rows)
		v := m2/float64(x.Rows) - m*m
		sd := 1e-6
		if v > 1e-12 {
			sd = sqrt(v)
		}
		c.B.Value.Data[j] = T(m)
		c.S.Value.Data[j] = T(log(sd))
	}
	c.Inited = true
	return nil
}

// Validate checks the parameters are finite.
func (c *ActNorm[T]) Validate() error {
	if n := finiteParams(c.Params()); n != "" {
		return errNonFinite("actnorm", n)
	}
	return nil
}

// Permute reorders the coordinates: x_j = z_{Perm[j]}; log|det| = 0.
type Permute[T tensor.Float] struct {
	Perm []int
	p    *tensor.Dense[T] // P[Perm[j], j] = 1, so x = z·P
}

// NewPermute returns the permutation perm (checked to be one).
func NewPermute[T tensor.Float](perm []int) (*Permute[T], error) {
	d := len(perm)
	seen := make([]bool, d)
	for _, v := range perm {
		if v < 0 || v >= d || seen[v] {
			return nil, fmt.Errorf("permute: %v is not a permutation of 0..%d", perm, d-1)
		}
		seen[v] = true
	}
	p := tensor.New[T](d, d)
	for j, v := range perm {
		p.Set(v, j, 1)
	}
	return &Permute[T]{Perm: append([]int(nil), perm...), p: p}, nil
}

// NewReverse returns the reversal x_j = z_{d−1−j}.
func NewReverse[T tensor.Float](d int) *Permute[T] {
	perm := make([]int, d)
	for j := range perm {
		perm[j] = d - 1 - j
	}
	p, _ := NewPermute[T](perm)
	return p
}

// Kind returns "permute".
func (c *Permute[T]) Kind() string { return "permute" }

// Dim returns d.
func (c *Permute[T]) Dim() int { return len(c.Perm) }

// Params returns nothing: a permutation has no parameters.
func (c *Permute[T]) Params() []*autodiff.Param[T] { return nil }

// Forward records z·P.
func (c *Permute[T]) Forward(t *autodiff.Tape[T], z *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	return autodiff.MatMul(z, false, t.Const(c.p), false), nil
}

// Inverse records x·Pᵀ.
func (c *Permute[T]) Inverse(t *autodiff.Tape[T], x *autodiff.Var[T]) (*autodiff.Var[T], *autodiff.Var[T]) {
	return autodiff.MatMul(x, false, t.Const(c.p), true), nil
}
