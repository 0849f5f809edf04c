package jem

import (
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// mnistSized returns a 784-256-256-10 SiLU classifier and a batch of 64
// points in [0, 1].
func mnistSized(b *testing.B) (*Classifier[float32], *tensor.Dense[float64]) {
	rng := rand.New(rand.NewPCG(1, 1))
	net, err := nn.NewMLP[float32]([]int{784, 256, 256, 10}, nn.SiLU, nn.MLPOptions{}, rng)
	if err != nil {
		b.Fatal(err)
	}
	c, _ := New(net, nil, nil)
	x := tensor.New[float64](64, 784)
	for i := range x.Data {
		x.Data[i] = rng.Float64()
	}
	return c, x
}

// BenchmarkSamplingStep is the hot path of JEM training: one SGLD-style step
// of 64 chains on E(x) of an MNIST-sized classifier (the fused forward and
// input-gradient pass plus the update). 20 of them run per training batch.
func BenchmarkSamplingStep(b *testing.B) {
	c, x := mnistSized(b)
	k, _ := DefaultSampler().Kernel(c)
	st, err := k.Init(x, sample.ScalarBox(0, 1))
	if err != nil {
		b.Fatal(err)
	}
	rngs := make([]*rand.Rand, x.Rows)
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(2, uint64(i)))
	}
	info := make([]sample.Info, x.Rows)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := k.Step(st, rngs, info); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnergyGrad is the fused pass alone (64 points).
func BenchmarkEnergyGrad(b *testing.B) {
	c, x := mnistSized(b)
	e := make([]float64, x.Rows)
	g := tensor.New[float64](x.Rows, x.Cols)
	c.EnergyGrad(x, e, g) // warm the buffer pools
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c.EnergyGrad(x, e, g)
	}
}

// BenchmarkDiscriminativeLoss is one baseline update's loss and backward
// pass on the tape (batch 64), for comparison with the sampling step.
func BenchmarkDiscriminativeLoss(b *testing.B) {
	c, x := mnistSized(b)
	y := make([]int, x.Rows)
	for i := range y {
		y[i] = i % 10
	}
	h := &Hybrid[float32]{Model: c}
	tp := autodiff.NewTape[float32]()
	rng := rand.New(rand.NewPCG(1, 1))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tp.Reset()
		loss, _, err := h.Loss(tp, train.Labelled{X: x, Y: y}, rng)
		if err != nil {
			b.Fatal(err)
		}
		autodiff.Backward(loss, c.Params())
	}
}
