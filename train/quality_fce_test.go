package train_test

import (
	"context"
	"math"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/gen"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/train"
)

// samplers is the sampler factory of ebm train: gen's generators by name,
// flows otherwise.
func samplers(s string, d int, seed uint64) (any, error) {
	if gen.IsKind(s) {
		return gen.Parse(s, d, seed)
	}
	return flow.Parse[float32](s, d, seed)
}

// trainQuality trains the estimator spec with its defaults on the README's
// workload at seed 1 and returns it with the grid NLL and grid log Z.
func trainQuality(t *testing.T, spec string) (train.Estimator[float32], float64, float64) {
	t.Helper()
	const seed = 1
	src, test, all := qualityData(seed)
	est, _, err := train.ParseEstimator[float32](spec, train.EstimatorContext{Batch: qualityBatch, Data: all,
		Sampler: samplers, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	m := qualityModel(t, seed)
	tr := &train.Trainer{Model: m, Estimator: est, Data: src,
		Config: train.Config{Iters: qualityIters, Batch: qualityBatch, LR: 1e-3, EMA: 0.99, Seed: seed}}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	nll, logz, err := metric.GridNLL(m, test, metric.GridLo, metric.GridHi, metric.GridN)
	if err != nil {
		t.Fatal(err)
	}
	return est, nll, logz
}

// TestFCEQuality trains flow-contrastive estimation with the defaults of
// ParseEstimator (a RealNVP flow, 8 couplings of 64×64) on the README's
// workload at seed 1 and asserts the targets: grid NLL ≤ 2.88 and the
// learned log Z within 0.05 of the grid log Z. About a minute of CPU; skipped
// with -short.
func TestFCEQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("full-length training run (about a minute of CPU)")
	}
	est, nll, logz := trainQuality(t, "fce")
	lz, _ := train.LearnedLogZ(est)
	t.Logf("fce: grid NLL %.4f (target 2.88, floor %.3f), learned log Z %.4f, grid log Z %.4f", nll, data.EightGaussiansEntropy, lz, logz)
	if nll > 2.88 {
		t.Errorf("grid NLL %.4f above 2.88", nll)
	}
	if math.Abs(lz-logz) > 0.05 {
		t.Errorf("learned log Z %.4f more than 0.05 from the grid's %.4f", lz, logz)
	}
}

// TestAdversarialQuality trains adversarial training with the defaults of
// ParseEstimator (a RealNVP sampler, importance-weighted negatives, α = 0.01,
// the energy at twice the rate) on the README's workload at seed 1 and
// asserts the target, grid NLL ≤ 2.95. About a minute of CPU;
// skipped with -short.
func TestAdversarialQuality(t *testing.T) {
	if testing.Short() {
		t.Skip("full-length training run (about a minute of CPU)")
	}
	_, nll, _ := trainQuality(t, "adv")
	t.Logf("adv: grid NLL %.4f (target 2.95, floor %.3f)", nll, data.EightGaussiansEntropy)
	if nll > 2.95 {
		t.Errorf("grid NLL %.4f above 2.95", nll)
	}
}
