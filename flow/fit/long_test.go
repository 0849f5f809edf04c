package fit

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/train"
)

// TestEightGaussiansRealNVP is the benchmark of the issue (EBM_LONG=1): RealNVP
// with 8 couplings and 64×64 conditioners, batch 256, 2,000 iterations of Adam
// on fresh 8gaussians batches, grid NLL on 10,000 held-out points (seed 123)
// ≤ 2.95. The rate decays from 2e-3 by a cosine schedule (with the peer's
// constant 1e-3 the same run reaches 3.002, the peer 2.993).
// EBM_FLOW_SPEC, EBM_FLOW_LR and EBM_FLOW_SCHEDULE override the settings.
func TestEightGaussiansRealNVP(t *testing.T) {
	if !long() {
		t.Skip("EBM_LONG=1 runs the 8gaussians benchmark")
	}
	var err error
	spec, lr, schedule := "realnvp:layers=8,hidden=64", 2e-3, "cosine"
	if v := os.Getenv("EBM_FLOW_SPEC"); v != "" {
		spec = v
	}
	if v := os.Getenv("EBM_FLOW_LR"); v != "" {
		lr, _ = strconv.ParseFloat(v, 64)
	}
	var sched optim.Schedule
	if v := os.Getenv("EBM_FLOW_SCHEDULE"); v != "" {
		schedule = v
	}
	if sched, err = optim.ParseSchedule(schedule, lr, 2000); err != nil {
		t.Fatal(err)
	}
	f, err := flow.Parse[float32](spec, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	src := &train.Generator{D: 2, Gen: data.EightGaussians, Seed: 1}
	res, err := FitData(context.Background(), f, src, Options{Iters: 2000, Batch: 256, LR: lr, Schedule: sched, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	test := data.EightGaussians(10000, rand.New(rand.NewPCG(123, 0)))
	nll, logZ, err := metric.GridNLL(f, test, metric.GridLo, metric.GridHi, metric.GridN)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s lr %g: grid NLL %.4f (grid log Z %.4f), %.1f it/s, %.1f s", spec, lr, nll, logZ, res.ItersPerSec, res.Seconds)
	if nll > 2.95 {
		t.Errorf("grid NLL %.4f > 2.95", nll)
	}
}
