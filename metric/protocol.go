package metric

import (
	"context"
	"strings"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// NewCompareRow returns the comparison-table row of one training run: the
// method spec and seed, the grid NLL (0 when ev has none, as for data that is
// not 2-D) and MMD² of its evaluation ev, and the speed, time and divergence
// rollbacks of its training report tr.
func NewCompareRow(method string, seed uint64, tr *TrainReport, ev *EvalReport) CompareRow {
	row := CompareRow{Method: method, Seed: seed, MMD2: ev.MMD2, ItersPerSec: tr.ItersPerSec,
		Seconds: tr.Seconds, Rollbacks: tr.Retries}
	if ev.NLLGrid != nil {
		row.NLLGrid = *ev.NLLGrid
	}
	return row
}

// EvaluateSampler is Evaluate with cfg's Kernel and Adapt built from a
// sampler spec ("ula:step=0.005") by sample.Parse; a bad spec is sample.Parse's
// *spec.Error.
func EvaluateSampler(ctx context.Context, e energy.GradEnergy, test, ref *tensor.Dense[float64], sampler string, cfg EvalConfig) (*EvalResult, error) {
	ss, err := sample.Parse(sampler, e)
	if err != nil {
		return nil, err
	}
	cfg.Kernel, cfg.Adapt = ss.Kernel, ss.Adapt
	return Evaluate(ctx, e, test, ref, cfg)
}

// DensitySamples draws the 2000 model samples shown over a learned 2-D
// density: MALA (initial step 0.01, step size adapted during 500 warm-up
// steps) from uniform starts on the grid box [GridLo, GridHi]², keeping the
// last state of each chain (ModelSamples with 501 steps). The same seed gives
// the same points.
func DensitySamples(ctx context.Context, e energy.GradEnergy, seed uint64) (*tensor.Dense[float64], error) {
	k, err := sample.NewMALA(e, sample.MALAOptions{Step: 0.01})
	if err != nil {
		return nil, err
	}
	return ModelSamples(ctx, k, sample.AdaptStepSize, 2000, 501, GridLo, GridHi, seed, nil)
}

// CompareMethods is the comparison's default list of method specs: every
// estimator, some with a second setting, as the README's table reports them.
var CompareMethods = []string{
	"ssm", "sm", "dsm", "dsm:sigma=0.1", "kde", "kde:bandwidth=0.1", "nce",
	"replay", "replay:sampler=mala,step=0.01", "pcd", "replay:sampler=sgld,step=0.01,noise=0.005",
	"fce", "adv", "adv:sampler=noisy",
	"ksd", "lsd", "klc",
}

// ParseCompareMethods splits a list of method specs separated by ";" (the
// specs themselves use "," and ":"); "" is CompareMethods.
func ParseCompareMethods(s string) []string {
	if s == "" {
		return CompareMethods
	}
	return strings.Split(s, ";")
}
