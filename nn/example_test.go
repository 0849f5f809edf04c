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

// Freeze around many evaluations with the same weights (a sampler's steps):
// the weights are packed once, and the results are the same as without.
func ExampleMLP_Freeze() {
	act, _ := nn.ActivationByName("silu")
	m, _ := nn.NewMLP[float32]([]int{64, 32, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 1)))
	x := tensor.New[float32](16, 64)
	for i := range x.Data {
		x.Data[i] = float32(i%7) / 7
	}
	f0, g := make([]float32, 16), tensor.New[float32](16, 64)
	m.ValueGradX(x, f0, g)

	thaw := m.Freeze() // the weights must not change until thaw()
	f := make([]float32, 16)
	for step := 0; step < 3; step++ {
		m.ValueGradX(x, f, g)
	}
	thaw()
	fmt.Println(f[0] == f0[0] && f[15] == f0[15])
	// Output: true
}
