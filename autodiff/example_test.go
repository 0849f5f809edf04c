package autodiff_test

import (
	"fmt"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// The gradient of f(x) = Σ x³ is 3x², and differentiating that gradient again
// (double backprop) gives 6x.
func ExampleGrad() {
	t := autodiff.NewTape[float64]()
	x := t.Leaf(tensor.FromSlice(1, 3, []float64{1, 2, 3}))
	f := autodiff.Sum(autodiff.Pow(x, 3))
	g := autodiff.Grad(f, []*autodiff.Var[float64]{x}, true)[0] // recorded: differentiable
	h := autodiff.Grad(autodiff.Sum(g), []*autodiff.Var[float64]{x}, false)[0]
	fmt.Println(g.Value.Data, h.Value.Data)
	// Output: [3 12 27] [6 12 18]
}

// CheckGrad and CheckGrad2 compare a function's gradient and Hessian-vector
// products with finite differences.
func ExampleCheckGrad() {
	f := func(t *autodiff.Tape[float64], xs []*autodiff.Var[float64]) *autodiff.Var[float64] {
		return autodiff.Sum(autodiff.SiLU(autodiff.MatMul(xs[0], false, xs[1], false)))
	}
	x := tensor.FromSlice(2, 2, []float64{0.5, -1, 2, 0.3})
	w := tensor.FromSlice(2, 1, []float64{0.7, -0.2})
	e1, _ := autodiff.CheckGrad(f, []*tensor.Dense[float64]{x, w}, 1e-5)
	e2, _ := autodiff.CheckGrad2(f, []*tensor.Dense[float64]{x, w}, 1e-5, 1)
	fmt.Println(e1 < 1e-8, e2 < 1e-6)
	// Output: true true
}
