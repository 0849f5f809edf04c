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

// Settings are checked before any work; errors name the setting.
func ExampleCheckSettings() {
	cfg := jem.DefaultConfig()
	fmt.Println(jem.CheckSettings(cfg, 10, 0, 0))
	cfg.Reinit = 2
	fmt.Println(jem.CheckSettings(cfg, 10, 0, 0))
	// Output:
	// <nil>
	// reinit 2: want a probability in [0, 1]
}

// Evaluate a classifier: accuracy, NLL, calibration, and the AUROC of telling
// uniform noise from the data.
func ExampleEvalJob() {
	net, _ := nn.NewMLP[float32]([]int{2, 8, 2}, nn.SiLU, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 1)))
	m, _ := jem.New(net, nil, nil)
	x := tensor.FromSlice(4, 2, []float64{0, 0, 0, 1, 1, 0, 1, 1})
	job := &jem.EvalJob{Model: m, ModelName: "m", Data: &jem.Labelled{Name: "four", X: x, Y: []int{0, 1, 1, 0}}, Uniform: 100, Seed: 1}
	r, err := job.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Data, r.Eval.N, len(r.OOD), r.OOD[0].Name, r.OOD[0].N)
	// Output:
	// four 4 1 uniform 100
}
