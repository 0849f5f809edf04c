package rbm

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkFitOnlyMNIST is BenchmarkEpochMNIST without the evaluation: one
// iteration is one PCD-1 epoch on MNIST (learning rate 0.05, batches of 20).
func BenchmarkFitOnlyMNIST(b *testing.B) {
	for _, h := range []int{64, 256} {
		b.Run(fmt.Sprintf("H=%d", h), func(b *testing.B) {
			train, _ := mnist(b)
			r, _ := New(Bernoulli, 784, h, 0)
			cfg := Config{Method: PCD, K: 1, Epochs: b.N, BatchSize: 20, LR: 0.05}
			b.ResetTimer()
			res, err := r.Fit(context.Background(), train, cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(res.SecPerEpoch, "s/epoch")
		})
	}
}
