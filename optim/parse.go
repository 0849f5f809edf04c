package optim

import (
	"math"

	"github.com/ebm-go/ebm/spec"
)

// ScheduleNames lists the schedules ParseSchedule knows.
var ScheduleNames = []string{"constant", "cosine", "step"}

// ParseSchedule builds the learning-rate schedule named by a spec
// "name[:warmup=N]" for a run of iters steps at base rate lr:
//
//   - constant: LR(step) = lr;
//   - cosine: Cosine from lr down to lr/100 over the steps after the warm-up;
//   - step: Step halving the rate every ⌊(iters − warmup)/4⌋ steps (at least 1);
//
// and, with warmup = N > 0, a linear Warmup over the first N steps from
// lr/100 (Warmup with From 0.01). An empty spec means constant. lr must be
// finite and > 0, iters ≥ 1 and 0 ≤ N < iters; every error is a *spec.Error.
func ParseSchedule(s string, lr float64, iters int) (Schedule, error) {
	const where = "schedule"
	if s == "" {
		s = "constant"
	}
	sp, err := spec.Parse(where, s)
	if err != nil {
		return nil, err
	}
	if !(lr > 0) || math.IsInf(lr, 0) {
		return nil, spec.Errorf(where, "learning rate %v must be finite and > 0", lr)
	}
	if iters < 1 {
		return nil, spec.Errorf(where, "iterations %d must be ≥ 1", iters)
	}
	warm, err := sp.Int("warmup", 0)
	if err != nil {
		return nil, err
	}
	if warm < 0 || warm >= iters {
		return nil, spec.Errorf(where+" "+sp.Name, "setting warmup=%d must be in [0, %d) (the iterations)", warm, iters)
	}
	var inner Schedule
	switch sp.Name {
	case "constant":
		inner = Constant{Base: lr}
	case "cosine":
		inner = Cosine{Base: lr, Min: lr / 100, Total: iters - warm}
	case "step":
		inner = Step{Base: lr, Every: max((iters-warm)/4, 1), Gamma: 0.5}
	default:
		return nil, spec.Errorf(where, "unknown schedule %q (valid: constant, cosine, step)", sp.Name)
	}
	if err := sp.CheckUnused(); err != nil {
		return nil, err
	}
	if warm > 0 {
		return Warmup{Inner: inner, Steps: warm, From: 0.01}, nil
	}
	return inner, nil
}
