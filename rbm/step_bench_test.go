package rbm

import (
	"fmt"
	"testing"
)

func BenchmarkStepMNIST(b *testing.B) {
	for _, h := range []int{64, 256} {
		b.Run(fmt.Sprintf("H=%d", h), func(b *testing.B) {
			train, _ := mnist(b)
			r, _ := New(Bernoulli, 784, h, 0)
			cfg := Config{Method: PCD, K: 1, Epochs: 1, BatchSize: 20, LR: 0.05}.withDefaults()
			t, _ := newTrainer(r, train, cfg)
			idx := make([]int, 20)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k := range idx {
					idx[k] = (i*20 + k) % train.Rows
				}
				t.update(idx, 0.05)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "us/step")
		})
	}
}
