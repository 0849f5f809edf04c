package optim_test

import (
	"fmt"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/tensor"
)

// Minimise ‖w − target‖² with Adam, a warm-up and cosine decay, and gradient
// clipping, computing gradients with autodiff.
func ExampleAdam() {
	target := tensor.FromSlice(1, 3, []float64{1, -2, 0.5})
	w := autodiff.NewParam("w", tensor.New[float64](1, 3))
	params := []*autodiff.Param[float64]{w}

	opt, err := optim.NewAdam[float64](optim.DefaultAdam(0.1))
	if err != nil {
		panic(err)
	}
	sched := optim.Warmup{Inner: optim.Cosine{Base: 0.1, Total: 450}, Steps: 50}
	if err := sched.Validate(); err != nil {
		panic(err)
	}

	tape := autodiff.NewTape[float64]()
	for step := 0; step < 500; step++ {
		tape.Reset()
		d := autodiff.Sub(tape.Param(w), tape.Const(target))
		loss := autodiff.Sum(autodiff.Square(d))

		opt.ZeroGrad(params)
		autodiff.Backward(loss, params)
		optim.ClipGradNorm(params, 1.0)
		opt.SetLR(sched.LR(step))
		opt.Step(params)
	}
	fmt.Printf("w = %.4f after %d steps\n", w.Value.Data, opt.Steps())
	// Output:
	// w = [1.0000 -2.0000 0.5000] after 500 steps
}
