package jem_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/jem"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// A classifier read as an energy: E(x) = −logsumexp f(x), E(x, y) = −f(x)[y].
func ExampleClassifier() {
	net, _ := nn.NewMLP[float64]([]int{2, 8, 3}, nn.SiLU, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 1)))
	c, _ := jem.New(net, nil, nil)
	x := tensor.FromSlice(1, 2, []float64{0.5, -1})
	logits := c.Logits64(x, nil)
	e, ey := make([]float64, 1), make([]float64, 1)
	c.Energy(x, e)
	c.CondEnergyGrad(x, []int{2}, ey, nil)
	fmt.Printf("E(x, 2) = −f(x)[2]: %v\n", ey[0] == -logits.Data[2])
	fmt.Printf("E(x) ≤ min_y E(x, y): %v\n", e[0] <= -max(logits.Data[0], logits.Data[1], logits.Data[2]))
	// Output:
	// E(x, 2) = −f(x)[2]: true
	// E(x) ≤ min_y E(x, y): true
}

// Train a JEM on two Gaussian blobs and classify.
func ExampleTrain() {
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.New[float64](400, 2)
	y := make([]int, 400)
	for i := range y {
		y[i] = i % 2
		x.Row(i)[0] = float64(2*y[i]-1) + 0.5*rng.NormFloat64()
		x.Row(i)[1] = 0.5 * rng.NormFloat64()
	}
	cfg := jem.DefaultConfig()
	cfg.Hidden, cfg.Iters, cfg.Seed = []int{16}, 300, 1
	cfg.Sampler = jem.Sampler{Kind: "ula", Step: 1e-2, Steps: 10}
	cfg.Box = sample.ScalarBox(-4, 4)
	res, err := jem.Train(context.Background(), x, y, 2, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := jem.Score(res.Model, tensor.FromSlice(2, 2, []float64{-1.5, 0, 1.5, 0}))
	fmt.Printf("p(y=1 | x=-1.5) < 0.5: %v\n", s.Probs[0][1] < 0.5)
	fmt.Printf("p(y=1 | x=+1.5) > 0.5: %v\n", s.Probs[1][1] > 0.5)
	// Output:
	// p(y=1 | x=-1.5) < 0.5: true
	// p(y=1 | x=+1.5) > 0.5: true
}
