package energy_test

import (
	"fmt"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// An energy written one point at a time, value and gradient in one call (as
// gonum's LogProber or nuts-rs's logp), used as a batch GradEnergy.
func ExampleFromFunc() {
	// Rosenbrock: E(x) = 100(x₁ − x₀²)² + (1 − x₀)².
	e, err := energy.FromFunc(2, func(x, grad []float64) float64 {
		a, b := x[1]-x[0]*x[0], 1-x[0]
		grad[0] = -400*a*x[0] - 2*b
		grad[1] = 200 * a
		return 100*a*a + b*b
	})
	if err != nil {
		panic(err)
	}
	x := tensor.FromSlice(2, 2, []float64{1, 1, 0, 0})
	en, g := make([]float64, 2), tensor.New[float64](2, 2)
	e.EnergyGrad(x, en, g)
	fmt.Println(en, g.Row(1))
	// Output:
	// [0 1] [-2 0]
}

// quadratic is E(x) = ½ a·‖x‖², a trainable, defined only by its tape
// recording: FromModel supplies Energy and EnergyGrad.
type quadratic struct{ a *autodiff.Param[float64] }

func (q quadratic) Dim() int                           { return 2 }
func (q quadratic) Params() []*autodiff.Param[float64] { return []*autodiff.Param[float64]{q.a} }
func (q quadratic) Build(t *autodiff.Tape[float64], x *autodiff.Var[float64]) *autodiff.Var[float64] {
	sq := autodiff.SumCols(autodiff.Square(x)) // n×1
	return autodiff.Scale(autodiff.Mul(sq, t.Param(q.a)), 0.5)
}

// A custom neural energy needs no hand-written gradient.
func ExampleFromModel() {
	m := energy.FromModel[float64](quadratic{autodiff.NewParam("a", tensor.Scalar(3.0))})
	x := tensor.FromSlice(1, 2, []float64{1, 2})
	en, g := make([]float64, 1), tensor.New[float64](1, 2)
	m.EnergyGrad(x, en, g)
	fmt.Println(en[0], g.Row(0)) // ½·3·5 and 3x
	// Output:
	// 7.5 [3 6]
}

// Build the neural energy a training run starts from, from a spec.
func ExampleParseModelSpec() {
	ms, err := energy.ParseModelSpec("mlp:hidden=32x32,act=softplus")
	if err != nil {
		panic(err)
	}
	m, err := ms.Build(2, 1, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Dim(), len(m.Params()))
	_, err = energy.ParseModelSpec("mlp:hidden=32x,act=softplus")
	fmt.Println(err)
	// Output:
	// 2 6
	// model mlp: hidden="32x": want positive widths like 128x128
}
