package restore

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// SampleConfig configures posterior sampling. Zero fields take the defaults
// given.
type SampleConfig struct {
	// Sampler is a sampler spec for sample.Parse (default "mala"); "annealed"
	// runs its own schedule and keeps one draw per chain.
	Sampler string
	// Chains is the number of chains per observation (default 4).
	Chains int
	// Warmup, Steps and Thin are those of sample.Config (defaults 500, 500, 1).
	Warmup, Steps, Thin int
	// Seed seeds the chains (sample.Config.Seed).
	Seed uint64
	// Clamp, if not nil, confines the chains to a box (sample.Box).
	Clamp *sample.Box
	// Progress, if not nil, is called after every step.
	Progress func(done, total int)
}

// Estimate is a posterior summary of m observations: per observation and
// coordinate, the mean and standard deviation of the kept draws of all its
// chains.
type Estimate struct {
	Mean, SD *tensor.Dense[float64] // m×d
	// Result holds the run (chains c = k·m + i belong to observation i).
	Result *sample.Result
}

// SamplePosterior draws from the posterior of the Gaussian observations y
// (m×d) at noise level sigma under prior (see Posterior) with cfg.Chains
// chains per observation started at the observation, and returns the
// posterior means and standard deviations.
func SamplePosterior(ctx context.Context, prior energy.GradEnergy, y *tensor.Dense[float64], sigma float64, cfg SampleConfig) (*Estimate, error) {
	post, err := Posterior(prior, y, sigma)
	if err != nil {
		return nil, err
	}
	return SampleBatch(ctx, post, y, cfg)
}

// SampleBatch samples a batch energy whose chain c belongs to observation
// c mod m (Posterior, Conditional) with cfg.Chains chains per row of start
// (m×d), each chain started at its row, and summarizes the draws per
// observation.
func SampleBatch(ctx context.Context, e energy.GradEnergy, start *tensor.Dense[float64], cfg SampleConfig) (*Estimate, error) {
	if e == nil {
		return nil, errors.New("restore: nil energy")
	}
	if start == nil || start.Rows == 0 || start.Cols != e.Dim() {
		return nil, fmt.Errorf("restore: starting points must be m×%d", e.Dim())
	}
	if cfg.Sampler == "" {
		cfg.Sampler = "mala"
	}
	if cfg.Chains == 0 {
		cfg.Chains = 4
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = 500
	}
	if cfg.Steps == 0 {
		cfg.Steps = 500
	}
	if cfg.Chains < 1 || cfg.Warmup < 0 || cfg.Steps < 1 || cfg.Thin < 0 {
		return nil, fmt.Errorf("restore: chains %d, warmup %d, steps %d, thin %d: want chains, steps ≥ 1 and warmup, thin ≥ 0", cfg.Chains, cfg.Warmup, cfg.Steps, cfg.Thin)
	}
	m, d := start.Rows, start.Cols
	if err := tensor.CheckAlloc("chains", cfg.Chains*m, d); err != nil {
		return nil, err
	}
	ss, err := sample.Parse(cfg.Sampler, e)
	if err != nil {
		return nil, err
	}
	x0 := tensor.New[float64](cfg.Chains*m, d)
	for k := 0; k < cfg.Chains; k++ {
		copy(x0.Data[k*m*d:(k+1)*m*d], start.Data)
	}
	if b := cfg.Clamp; b != nil {
		// Chains start inside the box (a noisy observation may lie outside).
		for i, v := range x0.Data {
			j := i % d
			lo, hi := boxBound(b.Lo, j, math.Inf(-1)), boxBound(b.Hi, j, math.Inf(1))
			x0.Data[i] = math.Max(lo, math.Min(hi, v))
		}
	}
	sc := sample.Config{Warmup: cfg.Warmup, Steps: cfg.Steps, Thin: cfg.Thin, Seed: cfg.Seed, Clamp: cfg.Clamp, Progress: cfg.Progress}
	ss.Configure(&sc)
	res, err := sample.Run(ctx, ss.Kernel, x0, sc)
	if err != nil {
		return nil, err
	}
	return summarize(res, m), nil
}

// boxBound returns bound j of a box side given as one value for every
// coordinate or one per coordinate (def when absent).
func boxBound(side []float64, j int, def float64) float64 {
	switch {
	case len(side) == 1:
		return side[0]
	case j < len(side):
		return side[j]
	}
	return def
}

// summarize returns the per-observation mean and sd of the draws of res,
// whose chain c belongs to observation c mod m.
func summarize(res *sample.Result, m int) *Estimate {
	d := res.Dim
	mean := tensor.New[float64](m, d)
	sq := tensor.New[float64](m, d)
	cnt := make([]float64, m)
	for c := 0; c < res.Chains; c++ {
		i := c % m
		mr, sr := mean.Row(i), sq.Row(i)
		for t := 0; t < res.Kept; t++ {
			x := res.Draw(c, t)
			cnt[i]++
			// Welford over the draws of observation i.
			for j, v := range x {
				delta := v - mr[j]
				mr[j] += delta / cnt[i]
				sr[j] += delta * (v - mr[j])
			}
		}
	}
	sd := tensor.New[float64](m, d)
	for i := 0; i < m; i++ {
		if cnt[i] < 2 {
			continue
		}
		for j, v := range sq.Row(i) {
			sd.Row(i)[j] = math.Sqrt(v / (cnt[i] - 1))
		}
	}
	return &Estimate{Mean: mean, SD: sd, Result: res}
}
