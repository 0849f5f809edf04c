package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// benchItersMNIST runs b.N training iterations of the image-scale workload of
// scripts/bench-mnist.sh: MLP 784-512-512-1 (SiLU), float32, batch 128, Adam
// 1e-4, on a data set of 1,000 784-pixel points drawn uniformly in [0,1] (the
// cost of an iteration does not depend on the pixel values, so the benchmark
// needs no MNIST file).
func benchItersMNIST(b *testing.B, est Estimator[float32]) {
	act, _ := nn.ActivationByName("silu")
	net, _ := nn.NewMLP[float32]([]int{784, 512, 512, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(0, 0)))
	m, _ := energy.NewMLPEnergy(net)
	x := tensor.New[float64](1000, 784)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range x.Data {
		x.Data[i] = rng.Float64()
	}
	tr := &Trainer{Model: m, Estimator: est, Data: &Dataset{X: x, Seed: 1},
		Config: Config{Iters: 2, Batch: 128, LR: 1e-4, Seed: 1}}
	if _, err := tr.Run(context.Background()); err != nil { // warm up buffers
		b.Fatal(err)
	}
	tr.Config.Iters = 2 + b.N
	b.ReportAllocs()
	c0 := cpuTime()
	b.ResetTimer()
	if _, err := tr.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	reportCPU(b, c0)
}

// BenchmarkIterMNISTDSM is one DSM (σ = 0.3) update at MNIST scale.
func BenchmarkIterMNISTDSM(b *testing.B) { benchItersMNIST(b, &DenoisingSM[float32]{Sigma: 0.3}) }

// BenchmarkIterMNISTReplay is one replay-buffer ML update (20 ULA steps of
// 128 chains, then the loss) at MNIST scale.
func BenchmarkIterMNISTReplay(b *testing.B) {
	benchItersMNIST(b, &Replay[float32]{Sampler: NegSampler{Kind: "ula", Step: 0.001, Steps: 20,
		Clamp: sample.ScalarBox(-1, 1)}, Alpha: 0.1, Init: Init{Lo: -1, Hi: 1}, BufferSize: 10000, Reinit: 0.05})
}
