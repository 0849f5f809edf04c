package hopfield

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
)

// CurveConfig configures RetrievalCurve; zero values mean the defaults given.
type CurveConfig struct {
	// N is the number of units (default 100).
	N int
	// Loads are the loads α = P/N to measure (default 0.02, 0.04, …, 0.3).
	Loads []float64
	// Rules are the storage rules (default all three).
	Rules []Rule
	// Corrupt is the fraction of bits flipped in every cue (default 0.1).
	Corrupt float64
	// Trials is the number of independent pattern sets per point (default 5).
	Trials int
	// MaxSweeps bounds each recall (default 100).
	MaxSweeps int
	// Seed seeds the patterns, the corruption and the update orders.
	Seed uint64
}

// CurvePoint is the retrieval quality of one rule at one load.
type CurvePoint struct {
	Rule string  `json:"rule"`
	Load float64 `json:"load"`
	P    int     `json:"p"`
	// BitAccuracy is the mean fraction of bits of the recalled state equal to
	// the stored pattern, over all patterns of all trials.
	BitAccuracy float64 `json:"bit_accuracy"`
	// StdErr is the standard error of BitAccuracy across the trials (0 for
	// one trial).
	StdErr float64 `json:"stderr"`
	// Perfect is the fraction of patterns recalled without error.
	Perfect float64 `json:"perfect"`
}

// RetrievalCurve measures recall from corrupted cues against the load: for
// every rule and load α it stores P = round(αN) random ±1 patterns, flips
// Corrupt·N bits of each, runs asynchronous recall (random order) and
// compares the fixed point with the pattern. The pseudo-inverse rule is
// skipped at loads with P ≥ N. The points are independent (each has its own
// random stream), so the result does not depend on the number of cores.
func RetrievalCurve(ctx context.Context, cfg CurveConfig) ([]CurvePoint, error) {
	if cfg.N == 0 {
		cfg.N = 100
	}
	if cfg.Loads == nil {
		for a := 0.02; a < 0.3001; a += 0.02 {
			cfg.Loads = append(cfg.Loads, math.Round(a*100)/100)
		}
	}
	if cfg.Rules == nil {
		cfg.Rules = Rules
	}
	if cfg.Corrupt == 0 {
		cfg.Corrupt = 0.1
	}
	if cfg.Trials == 0 {
		cfg.Trials = 5
	}
	if cfg.MaxSweeps == 0 {
		cfg.MaxSweeps = 100
	}
	if cfg.N < 2 || cfg.N > 1<<12 || cfg.Trials < 1 || cfg.MaxSweeps < 1 || !(cfg.Corrupt >= 0 && cfg.Corrupt <= 1) {
		return nil, fmt.Errorf("hopfield: invalid curve configuration (N %d, trials %d, sweeps %d, corrupt %g)", cfg.N, cfg.Trials, cfg.MaxSweeps, cfg.Corrupt)
	}
	type job struct {
		rule Rule
		li   int
	}
	var jobs []job
	for _, r := range cfg.Rules {
		if r < Hebbian || r > Storkey {
			return nil, fmt.Errorf("hopfield: unknown storage rule %d", int(r))
		}
		for li, a := range cfg.Loads {
			p := int(math.Round(a * float64(cfg.N)))
			if !(a > 0) || p < 1 {
				return nil, fmt.Errorf("hopfield: load %g stores no pattern with N = %d", a, cfg.N)
			}
			if r == PseudoInverse && p >= cfg.N {
				continue
			}
			jobs = append(jobs, job{r, li})
		}
	}
	out := make([]CurvePoint, len(jobs))
	errs := make([]error, len(jobs))
	tensor.ParallelFor(len(jobs), 1, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			if ctx.Err() != nil {
				errs[k] = ctx.Err()
				return
			}
			j := jobs[k]
			out[k], errs[k] = curvePoint(cfg, j.rule, j.li)
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func curvePoint(cfg CurveConfig, rule Rule, li int) (CurvePoint, error) {
	a := cfg.Loads[li]
	p := int(math.Round(a * float64(cfg.N)))
	pt := CurvePoint{Rule: rule.String(), Load: a, P: p}
	var accs []float64
	perfect := 0
	for t := 0; t < cfg.Trials; t++ {
		// The patterns depend on (seed, load, trial) only, so every rule sees
		// the same patterns and cues.
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(li)<<32|uint64(t)))
		x := RandomPatterns(p, cfg.N, rng)
		cue, err := Corrupt(x, cfg.Corrupt, rng)
		if err != nil {
			return pt, err
		}
		h, err := Store(rule, x)
		if err != nil {
			return pt, err
		}
		order := rand.New(rand.NewPCG(cfg.Seed^0x0bde, uint64(li)<<32|uint64(t)))
		for mu := 0; mu < p; mu++ {
			if _, err := h.Recall(cue.Row(mu), cfg.MaxSweeps, order, nil); err != nil {
				return pt, err
			}
		}
		acc := BitAccuracy(cue, x)
		accs = append(accs, acc)
		for mu := 0; mu < p; mu++ {
			ok := true
			for i, v := range cue.Row(mu) {
				if v != x.At(mu, i) {
					ok = false
					break
				}
			}
			if ok {
				perfect++
			}
		}
	}
	m := 0.0
	for _, v := range accs {
		m += v
	}
	m /= float64(len(accs))
	pt.BitAccuracy = m
	if len(accs) > 1 {
		s := 0.0
		for _, v := range accs {
			s += (v - m) * (v - m)
		}
		pt.StdErr = math.Sqrt(s/float64(len(accs)-1)) / math.Sqrt(float64(len(accs)))
	}
	pt.Perfect = float64(perfect) / float64(p*cfg.Trials)
	return pt, nil
}
