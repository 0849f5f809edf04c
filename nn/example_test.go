package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// An MLP 2-16-1 with SiLU, evaluated with its fused value-and-input-gradient pass.
func ExampleMLP_ValueGradX() {
	act, _ := nn.ActivationByName("silu")
	m, _ := nn.NewMLP[float64]([]int{2, 16, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 1)))
	x := tensor.FromSlice(3, 2, []float64{0, 0, 1, -1, 2, 0.5})
	f := make([]float64, 3)
	g := tensor.New[float64](3, 2)
	m.ValueGradX(x, f, g)
	fmt.Println(len(f), g.Rows, g.Cols)
	// Output: 3 3 2
}
