package restore

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// trainDSM trains a 2-64-64-1 SiLU MLP energy by denoising score matching at
// sigma on fresh draws of g (float64 for a precise score).
func trainDSM(t testing.TB, g *energy.GMM, sigma float64, iters int, seed uint64) *energy.MLPEnergy[float64] {
	t.Helper()
	act, _ := nn.ActivationByName("silu")
	net, err := nn.NewMLP[float64]([]int{2, 64, 64, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := energy.NewMLPEnergy(net)
	tr := &train.TrainerOf[float64]{
		Model:     m,
		Estimator: &train.DenoisingSM[float64]{Sigma: sigma},
		Data:      &train.Generator{D: 2, Gen: g.Sample, Seed: seed},
		Config:    train.ConfigOf[float64]{Iters: iters, Batch: 256, LR: 5e-3, EMA: 0.95, Seed: seed},
	}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

func mse(a, b *tensor.Dense[float64]) float64 {
	s := 0.0
	for i, v := range a.Data {
		d := v - b.Data[i]
		s += d * d
	}
	return s / float64(a.Rows)
}

// Tweedie with an energy trained by DSM at the noise level reaches a mean
// squared error within 1.1× of the Bayes-optimal one (the exact posterior
// mean) on held-out points.
func TestTweedieTrainedDSM(t *testing.T) {
	g := testGMM(t)
	const sigma = 0.5
	m := trainDSM(t, g, sigma, 400, 11)
	x, y := noisy(g, 20000, sigma, 99)
	bayes, err := Tweedie(g.Smoothed(sigma), y, sigma)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Tweedie(m, y, sigma)
	if err != nil {
		t.Fatal(err)
	}
	mb, mg, mn := mse(bayes, x), mse(got, x), mse(y, x)
	t.Logf("MSE per point: noisy %.4f, Bayes %.4f, Tweedie with the DSM energy %.4f (ratio %.3f)", mn, mb, mg, mg/mb)
	if !(mg <= 1.1*mb) {
		t.Errorf("Tweedie with the DSM energy: MSE %.4f > 1.1 × Bayes %.4f", mg, mb)
	}
}
