package optim

import (
	"math"

	"github.com/ebm-go/ebm/spec"
)

// ScheduleNames lists the schedules ParseSchedule knows.
var ScheduleNames = []string{"constant", "cosine", "linear", "step"}

// ScheduleHelp is a one-line summary of the schedule specs, for help texts.
const ScheduleHelp = "constant | cosine[:final=0.01] | linear[:final=0] | step[:every=N,factor=0.5], each with an optional warmup=N"

// ParseSchedule builds the learning-rate schedule named by a spec for a run of
// iters updates at base rate lr; every count in the spec (every=, warmup=) is
// in updates. It is ParseScheduleUnits with unit 1.
func ParseSchedule(s string, lr float64, iters int) (Schedule, error) {
	return ParseScheduleUnits(s, lr, iters, 1)
}

// ParseScheduleEpochs builds the learning-rate schedule named by a spec for a
// run of epochs epochs of perEpoch updates each, counting every= and warmup=
// in epochs: ParseScheduleUnits(s, lr, perEpoch·epochs, perEpoch).
func ParseScheduleEpochs(s string, lr float64, perEpoch, epochs int) (Schedule, error) {
	if perEpoch < 1 || epochs < 1 {
		return nil, spec.Errorf("schedule", "%d epochs of %d updates: need at least 1 of each", epochs, perEpoch)
	}
	return ParseScheduleUnits(s, lr, perEpoch*epochs, perEpoch)
}

// ParseScheduleUnits builds the learning-rate schedule named by a spec
// "name[:k=v,...]" for a run of iters updates at base rate lr. The counts
// every= and warmup= are in units of unit updates (1: updates; the updates per
// epoch: epochs). With W = warmup·unit warm-up updates and R = iters − W:
//
//   - constant: LR(t) = lr;
//   - cosine[:final=0.01]: Cosine from lr down to final·lr over R updates;
//   - linear[:final=0]: Linear from lr at the first update after the warm-up
//     to final·lr at the last one (R − 1 updates later; constant when R = 1);
//   - step[:every=N,factor=0.5]: Step, LR(t) = lr·factor^⌊t/(N·unit)⌋; without
//     every, the rate drops every ⌊R/4⌋ updates (at least 1), three times in
//     the run;
//
// and, with warmup = N > 0, a linear Warmup over the first W updates from
// lr/100 (Warmup with From 0.01), after which the schedule starts its own
// count. An empty spec means constant. lr must be finite and > 0, iters ≥ 1,
// unit ≥ 1, 0 ≤ W < iters, every ≥ 1, 0 < factor ≤ 1 and 0 ≤ final ≤ 1;
// every error is a *spec.Error.
func ParseScheduleUnits(s string, lr float64, iters, unit int) (Schedule, error) {
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
	if unit < 1 {
		return nil, spec.Errorf(where, "unit of %d updates must be ≥ 1", unit)
	}
	here := where + " " + sp.Name
	warm, err := sp.Int("warmup", 0)
	if err != nil {
		return nil, err
	}
	if warm < 0 || warm*unit >= iters {
		return nil, spec.Errorf(here, "setting warmup=%d must be in [0, %d)", warm, (iters+unit-1)/unit)
	}
	warm *= unit
	rest := iters - warm
	final := func(def float64) (float64, error) {
		f, err := sp.Float("final", def)
		if err == nil && !(f >= 0 && f <= 1) {
			err = spec.Errorf(here, "setting final=%v must be in [0, 1] (a fraction of the learning rate)", f)
		}
		return f, err
	}
	var inner Schedule
	switch sp.Name {
	case "constant":
		inner = Constant{Base: lr}
	case "cosine":
		f, err := final(0.01)
		if err != nil {
			return nil, err
		}
		inner = Cosine{Base: lr, Min: f * lr, Total: rest}
	case "linear":
		f, err := final(0)
		if err != nil {
			return nil, err
		}
		inner = Constant{Base: lr}
		if rest > 1 {
			inner = Linear{Base: lr, End: f * lr, Total: rest - 1}
		}
	case "step":
		every, err := sp.Int("every", 0)
		if err != nil {
			return nil, err
		}
		f, err := sp.Float("factor", 0.5)
		if err != nil {
			return nil, err
		}
		if !(f > 0 && f <= 1) {
			return nil, spec.Errorf(here, "setting factor=%v must be in (0, 1]", f)
		}
		n := max(rest/4, 1)
		if sp.Has("every") {
			if every < 1 {
				return nil, spec.Errorf(here, "setting every=%d must be ≥ 1", every)
			}
			n = every * unit
		}
		inner = Step{Base: lr, Every: n, Gamma: f}
	default:
		return nil, spec.Errorf(where, "unknown schedule %q (valid: %s)", sp.Name, ScheduleHelp)
	}
	if err := sp.CheckUnused(); err != nil {
		return nil, err
	}
	if warm > 0 {
		return Warmup{Inner: inner, Steps: warm, From: 0.01}, nil
	}
	return inner, nil
}
