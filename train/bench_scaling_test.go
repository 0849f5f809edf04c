package train

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/sample"
)

// BenchmarkDSMBatch is one DSM (σ = 0.1) update of the 2-D workload (MLP
// 2-128-128-1 SiLU, float32, 8gaussians) at batch sizes 64 … 4,096: the cost
// per point shows where the per-iteration overhead stops mattering and (with
// -cpu 1,2) where the second core pays off. scripts/bench-scaling.sh tabulates it.
func BenchmarkDSMBatch(b *testing.B) {
	for _, n := range []int{64, 256, 1024, 4096} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			act, _ := nn.ActivationByName("silu")
			net, _ := nn.NewMLP[float32]([]int{2, 128, 128, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(0, 0)))
			m, _ := energy.NewMLPEnergy(net)
			tr := &Trainer{Model: m, Estimator: &DenoisingSM[float32]{Sigma: 0.1},
				Data:   &Generator{D: 2, Gen: data.EightGaussians, Seed: 1},
				Config: Config{Iters: 3, Batch: n, LR: 1e-3, Seed: 1}}
			if _, err := tr.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			tr.Config.Iters = 3 + b.N
			b.ReportAllocs()
			c0 := cpuTime()
			b.ResetTimer()
			if _, err := tr.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			reportCPU(b, c0)
		})
	}
}

// cpuTime is the CPU time (user + system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time per iteration since c0 as cpu-ns/op:
// on a shared, loaded machine it moves far less than the wall time ns/op
// (it counts every core's time, so it shows parallel overhead, not speed-up).
func reportCPU(b *testing.B, c0 time.Duration) {
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkULAChains is one unadjusted Langevin step of 8 … 4,096 chains on
// the MLP energy 2-128-128-1 (SiLU, float32).
func BenchmarkULAChains(b *testing.B) {
	for _, n := range []int{8, 64, 512, 4096} {
		b.Run(fmt.Sprintf("chains=%d", n), func(b *testing.B) {
			act, _ := nn.ActivationByName("silu")
			net, _ := nn.NewMLP[float32]([]int{2, 128, 128, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(0, 0)))
			m, _ := energy.NewMLPEnergy(net)
			k, _ := sample.NewULA(m, sample.ULAOptions{Step: 0.01})
			s, err := k.Init(data.EightGaussians(n, rand.New(rand.NewPCG(1, 1))), sample.ScalarBox(-6, 6))
			if err != nil {
				b.Fatal(err)
			}
			rngs := make([]*rand.Rand, n)
			for i := range rngs {
				rngs[i] = rand.New(rand.NewPCG(1, uint64(i)))
			}
			info := make([]sample.Info, n)
			b.ReportAllocs()
			c0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				if err := k.Step(s, rngs, info); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			reportCPU(b, c0)
		})
	}
}
