package autodiff

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
)

// ScalarFunc is a scalar function of several matrix inputs, built on a tape. It
// must return a 1×1 node.
type ScalarFunc func(t *Tape[float64], xs []*Var[float64]) *Var[float64]

// CheckGrad compares the gradient of f at inputs, computed by Grad, with central
// finite differences of step h (1e-5 is a good default in float64). It returns
// the relative error ‖g − g_fd‖ / max(‖g‖, ‖g_fd‖) over all inputs together, or
// the absolute error ‖g − g_fd‖ when both norms are below 1e-7. The inputs are not modified on return.
func CheckGrad(f ScalarFunc, inputs []*tensor.Dense[float64], h float64) (float64, error) {
	ana, err := gradOf(f, inputs)
	if err != nil {
		return 0, err
	}
	num := make([][]float64, len(inputs))
	for k, x := range inputs {
		num[k] = make([]float64, len(x.Data))
		for i := range x.Data {
			v := x.Data[i]
			x.Data[i] = v + h
			fp, err := value(f, inputs)
			if err != nil {
				x.Data[i] = v
				return 0, err
			}
			x.Data[i] = v - h
			fm, err := value(f, inputs)
			x.Data[i] = v
			if err != nil {
				return 0, err
			}
			num[k][i] = (fp - fm) / (2 * h)
		}
	}
	return relErr(ana, num), nil
}

// CheckGrad2 checks second derivatives: for random directions rₖ (one per input,
// from seed) it forms φ(x) = Σₖ ⟨rₖ, ∇ₖf(x)⟩, differentiates φ by double
// backprop (Grad with createGraph, then Grad again) and compares with central
// differences of φ. This checks Hessian-vector products, and so every backward
// rule's own backward rule.
func CheckGrad2(f ScalarFunc, inputs []*tensor.Dense[float64], h float64, seed uint64) (float64, error) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	dirs := make([]*tensor.Dense[float64], len(inputs))
	for k, x := range inputs {
		dirs[k] = tensor.New[float64](x.Rows, x.Cols)
		for i := range dirs[k].Data {
			dirs[k].Data[i] = rng.NormFloat64()
		}
	}
	phi := func(t *Tape[float64], xs []*Var[float64]) *Var[float64] {
		y := f(t, xs)
		gs := Grad(y, xs, true)
		var s *Var[float64]
		for k, g := range gs {
			term := Sum(Mul(g, t.Const(dirs[k])))
			if s == nil {
				s = term
			} else {
				s = Add(s, term)
			}
		}
		return s
	}
	return CheckGrad(phi, inputs, h)
}

func run(f ScalarFunc, inputs []*tensor.Dense[float64], grad bool) (y float64, gs [][]float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("autodiff: function panicked: %v", r)
		}
	}()
	t := NewTape[float64]()
	xs := make([]*Var[float64], len(inputs))
	for k, x := range inputs {
		xs[k] = t.Leaf(x)
	}
	out := f(t, xs)
	if out == nil || out.Value.Len() != 1 {
		return 0, nil, fmt.Errorf("autodiff: function must return a 1×1 node")
	}
	y = out.Item()
	if grad {
		g := Grad(out, xs, false)
		gs = make([][]float64, len(g))
		for k := range g {
			gs[k] = append([]float64(nil), g[k].Value.Data...)
		}
	}
	return y, gs, nil
}

func value(f ScalarFunc, inputs []*tensor.Dense[float64]) (float64, error) {
	y, _, err := run(f, inputs, false)
	return y, err
}

func gradOf(f ScalarFunc, inputs []*tensor.Dense[float64]) ([][]float64, error) {
	_, g, err := run(f, inputs, true)
	return g, err
}

// absFloor is the gradient norm below which relErr reports the absolute error:
// a gradient that is zero in truth shows as finite-difference noise of about
// 1e-11, and a ratio of two such numbers means nothing.
const absFloor = 1e-7

func relErr(a, b [][]float64) float64 {
	var d, na, nb float64
	for k := range a {
		for i := range a[k] {
			d += (a[k][i] - b[k][i]) * (a[k][i] - b[k][i])
			na += a[k][i] * a[k][i]
			nb += b[k][i] * b[k][i]
		}
	}
	den := math.Sqrt(max(na, nb))
	if den < absFloor {
		return math.Sqrt(d)
	}
	return math.Sqrt(d) / den
}
