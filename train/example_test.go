package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/train"
)

// Train an MLP energy on 8gaussians by sliced score matching and measure the
// grid NLL of held-out points (the best possible is about 2.83 nats).
func ExampleTrainer() {
	act, _ := nn.ActivationByName("silu")
	net, _ := nn.NewMLP[float32]([]int{2, 64, 64, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 2)))
	model, _ := energy.NewMLPEnergy(net)
	tr := &train.Trainer{
		Model:     model,
		Estimator: &train.SlicedSM[float32]{Projections: 1},
		Data:      &train.Generator{D: 2, Gen: data.EightGaussians, Seed: 1},
		Config:    train.Config{Iters: 300, Batch: 256, LR: 3e-3, EMA: 0.95, Seed: 1},
	}
	if _, err := tr.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	test := data.EightGaussians(5000, rand.New(rand.NewPCG(123, 0)))
	nll, _, _ := metric.GridNLL(model, test, -4, 4, 300)
	fmt.Println(nll < 3.3)
	// Output: true
}
