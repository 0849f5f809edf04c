package fit

import (
	"context"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/train"
)

// BenchmarkRealNVPStep measures one training iteration of the 8gaussians
// benchmark's RealNVP (8 couplings, 64×64, batch 256, float32).
func BenchmarkRealNVPStep(b *testing.B) {
	f, err := flow.Parse[float32]("realnvp:layers=8,hidden=64", 2, 0)
	if err != nil {
		b.Fatal(err)
	}
	src := &train.Generator{D: 2, Gen: data.EightGaussians, Seed: 1}
	l, err := DataLoop(f, src, Options{Iters: b.N, Batch: 256, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := l.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
}
