package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/sample"
)

// benchIters runs b.N training iterations of the peers' workload: MLP
// 2-128-128-1 (SiLU), float32, batch 256, 8gaussians, Adam 1e-3.
func benchIters(b *testing.B, est Estimator[float32]) {
	act, _ := nn.ActivationByName("silu")
	net, _ := nn.NewMLP[float32]([]int{2, 128, 128, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(0, 0)))
	m, _ := energy.NewMLPEnergy(net)
	tr := &Trainer{Model: m, Estimator: est, Data: &Generator{D: 2, Gen: data.EightGaussians, Seed: 1},
		Config: Config{Iters: 10, Batch: 256, LR: 1e-3, Seed: 1}}
	if _, err := tr.Run(context.Background()); err != nil { // warm up buffers
		b.Fatal(err)
	}
	tr.Config.Iters = 10 + b.N
	b.ResetTimer()
	if _, err := tr.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkIterSSM(b *testing.B) { benchIters(b, &SlicedSM[float32]{Projections: 1}) }
func BenchmarkIterDSM(b *testing.B) { benchIters(b, &DenoisingSM[float32]{Sigma: 0.1}) }
func BenchmarkIterReplay(b *testing.B) {
	benchIters(b, &Replay[float32]{Sampler: NegSampler{Kind: "sgld", Step: 0.01, Noise: 0.005, Steps: 20,
		Clamp: sample.ScalarBox(-4, 4)}, Alpha: 0.1, Init: Init{Lo: -4, Hi: 4}, BufferSize: 10000, Reinit: 0.05})
}

// BenchmarkLangevinStep is one unadjusted Langevin step (energy and ∇ₓE of
// the MLP energy 2-128-128-1 with SiLU, then the update) for 256 chains, in
// float32 and float64 networks.
func BenchmarkLangevinStep(b *testing.B) {
	b.Run("float32", func(b *testing.B) { benchLangevin[float32](b) })
	b.Run("float64", func(b *testing.B) { benchLangevin[float64](b) })
}

func benchLangevin[T interface{ ~float32 | ~float64 }](b *testing.B) {
	act, _ := nn.ActivationByName("silu")
	net, _ := nn.NewMLP[T]([]int{2, 128, 128, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(0, 0)))
	m, _ := energy.NewMLPEnergy(net)
	k, _ := sample.NewULA(m, sample.ULAOptions{Step: 0.01})
	x0 := data.EightGaussians(256, rand.New(rand.NewPCG(1, 1)))
	s, err := k.Init(x0, sample.ScalarBox(-4, 4))
	if err != nil {
		b.Fatal(err)
	}
	rngs := make([]*rand.Rand, 256)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(1, uint64(i)))
	}
	info := make([]sample.Info, 256)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := k.Step(s, rngs, info); err != nil {
			b.Fatal(err)
		}
	}
}
