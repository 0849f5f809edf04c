package train_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/train"
)

// Train an energy by the learned Stein discrepancy: the critic is a second
// parameter group on the same loop, and the metrics report both players.
func ExampleLSD() {
	net, _ := nn.NewMLP[float32]([]int{2, 32, 1}, nn.SiLU, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 2)))
	model, _ := energy.NewMLPEnergy(net)
	est, _, _ := train.ParseEstimator[float32]("lsd:hidden=32,critic_steps=2", train.EstimatorContext{})
	var groups []string
	tr := &train.Trainer{
		Model: model, Estimator: est,
		Data: &train.Generator{D: 2, Gen: data.EightGaussians, Seed: 1},
		Config: train.Config{Iters: 20, Batch: 64, LR: 1e-3, Seed: 1, LogEvery: 20, Metrics: func(m train.Metrics) {
			for _, g := range m.Groups {
				groups = append(groups, g.Name)
			}
		}},
	}
	if _, err := tr.Run(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(groups, len(est.(*train.LSD[float32]).Critic().Params()))
	// Output: [energy critic] 4
}
