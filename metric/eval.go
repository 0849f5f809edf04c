package metric

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// EvalConfig is the evaluation protocol of a trained continuous energy, shared
// with the peer scripts so that figures compare:
//
//   - for 2-D energies, the grid log Z and NLL of the held-out points over the
//     GridN×GridN cell midpoints of [GridLo, GridHi]²;
//   - the unbiased MMD² (RBF kernel, bandwidth MMDBandwidth) between Samples
//     model samples and as many reference data points; the model samples are
//     the last states of Samples chains run Steps steps from uniform starts
//     on [Lo, Hi]^d (the chains stay in that box);
//   - the kernel Stein discrepancy (IMQ kernel) of up to KSDPoints held-out
//     points under the model;
//   - the mean energy of the held-out points.
//
// Zero fields take the defaults given with each field.
type EvalConfig struct {
	// Kernel draws the model samples (required). Build it with
	// sample.Parse, e.g. the protocol's "ula:step=0.005".
	Kernel sample.Kernel
	// Adapt is the kernel's warm-up adaptation (the zero value adapts
	// nothing that a Tunable kernel would not).
	Adapt sample.Adapt
	// Samples is the number of model samples (0: 2000).
	Samples int
	// Steps is the number of sampler steps per chain (0: 1000).
	Steps int
	// Lo and Hi bound the box of the uniform starts (both 0: GridLo, GridHi).
	Lo, Hi float64
	// MMDBandwidth is the RBF bandwidth (0: 0.5).
	MMDBandwidth float64
	// KSDPoints caps the held-out points of the KSD (0: 2000).
	KSDPoints int
	// Seed seeds the starts and the chains.
	Seed uint64
	// Progress, if not nil, is called as the sampler advances.
	Progress func(done, total int)
}

// EvalResult holds the figures of Evaluate. Figures that cannot be computed
// are NaN (MMD2, KSD) or nil (the grid figures of energies that are not 2-D).
type EvalResult struct {
	NLLGrid   *float64
	LogZGrid  *float64
	MMD2      float64
	KSD       float64
	MeanEData float64
	// Samples are the model samples of the MMD.
	Samples *tensor.Dense[float64]
}

// UniformStarts returns n points drawn uniformly on [lo, hi]^d with the
// generator rand.New(rand.NewPCG(seed, 2)).
func UniformStarts(n, d int, lo, hi float64, seed uint64) *tensor.Dense[float64] {
	rng := rand.New(rand.NewPCG(seed, 2))
	x0 := tensor.New[float64](n, d)
	for i := range x0.Data {
		x0.Data[i] = lo + (hi-lo)*rng.Float64()
	}
	return x0
}

// Evaluate runs the protocol of EvalConfig for energy e on held-out points
// test and reference points ref (at least cfg.Samples rows are used when
// available).
func Evaluate(ctx context.Context, e energy.GradEnergy, test, ref *tensor.Dense[float64], cfg EvalConfig) (*EvalResult, error) {
	if cfg.Kernel == nil {
		return nil, errors.New("metric: Evaluate: no sampler kernel")
	}
	if test == nil || test.Rows < 1 || ref == nil || ref.Rows < 2 {
		return nil, errors.New("metric: Evaluate: need at least 1 held-out and 2 reference points")
	}
	if test.Cols != e.Dim() || ref.Cols != e.Dim() {
		return nil, fmt.Errorf("metric: Evaluate: data has dimension %d, the energy %d", test.Cols, e.Dim())
	}
	n, steps := orDefault(cfg.Samples, 2000), orDefault(cfg.Steps, 1000)
	if n < 2 || steps < 1 {
		return nil, fmt.Errorf("metric: Evaluate: need at least 2 samples and 1 step, got %d and %d", n, steps)
	}
	lo, hi := cfg.Lo, cfg.Hi
	if lo == 0 && hi == 0 {
		lo, hi = GridLo, GridHi
	}
	h := cfg.MMDBandwidth
	if h == 0 {
		h = 0.5
	}
	res := &EvalResult{MMD2: math.NaN(), KSD: math.NaN()}
	en := make([]float64, test.Rows)
	e.Energy(test, en)
	s := 0.0
	for _, v := range en {
		s += v
	}
	res.MeanEData = s / float64(len(en))
	if e.Dim() == 2 {
		nll, lz, err := GridNLL(e, test, GridLo, GridHi, GridN)
		if err != nil {
			return nil, err
		}
		res.NLLGrid, res.LogZGrid = &nll, &lz
	}
	xs, err := ModelSamples(ctx, cfg.Kernel, cfg.Adapt, n, steps, lo, hi, cfg.Seed, cfg.Progress)
	if err != nil {
		return nil, err
	}
	res.Samples = xs
	if v, err := MMD2(xs, firstRows(ref, n), h); err == nil {
		res.MMD2 = v
	}
	if v, err := KSDEnergy(e, firstRows(test, orDefault(cfg.KSDPoints, 2000))); err == nil {
		res.KSD = v
	}
	return res, nil
}

// ModelSamples returns n samples of the kernel's energy: the last states of n
// chains run steps steps (steps−1 of warm-up with adaptation adapt, then one
// kept) from UniformStarts(n, d, lo, hi, seed), confined to the box [lo, hi]^d.
func ModelSamples(ctx context.Context, k sample.Kernel, adapt sample.Adapt, n, steps int, lo, hi float64, seed uint64, progress func(done, total int)) (*tensor.Dense[float64], error) {
	if n < 1 || steps < 1 || !(hi > lo) {
		return nil, fmt.Errorf("metric: ModelSamples: need n ≥ 1, steps ≥ 1 and lo < hi, got %d, %d, [%v, %v]", n, steps, lo, hi)
	}
	x0 := UniformStarts(n, k.Dim(), lo, hi, seed)
	run, err := sample.Run(ctx, k, x0, sample.Config{Warmup: steps - 1, Steps: 1, Seed: seed,
		Clamp: sample.ScalarBox(lo, hi), Adapt: adapt, Progress: progress})
	if err != nil {
		return nil, err
	}
	return run.Last, nil
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// firstRows returns a view of the first n rows of x (all of x if it has fewer).
func firstRows(x *tensor.Dense[float64], n int) *tensor.Dense[float64] {
	if x.Rows <= n {
		return x
	}
	return tensor.FromSlice(n, x.Cols, x.Data[:n*x.Cols])
}
