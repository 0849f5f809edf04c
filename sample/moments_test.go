package sample

import (
	"math"
	"testing"
)

// The moment tests check each kernel against a Gaussian whose moments are
// known. For a coordinate x_i with mean μ_i and variance σ_i² (known):
//
//	mean:      x̄_i = mean of x_i,                  MCSE = sd(x_i)/√ESS(x_i)
//	variance:  v̂_i = mean of (x_i − μ_i)²,         MCSE = sd((x_i−μ_i)²)/√ESS((x_i−μ_i)²)
//	covariance ĉ = mean of (x₀−μ₀)(x₁−μ₁),         MCSE likewise,
//
// with sd over all draws pooled and ESS = diag.ESS over the chains of the same
// quantity; v̂_i and ĉ are unbiased because μ is known. Each estimate must lie
// within 4 MCSE of the truth (a two-sided normal tail of 6·10⁻⁵ per check).
// R̂ (rank-normalized split-R̂) must be below 1.01 for every coordinate, and
// the acceptance after warm-up, averaged over the chains, within ±0.05 of the
// adaptation target (except for HMC in 2-D, below).
//
// Warm-up: 2500 steps with Stan's windows except a terminal buffer of 500
// steps. The step size kept after warm-up is Stan's dual-averaging average
// exp(x̄). Dual averaging balances the mean acceptance of its iterates x_t
// against the target, and the iterates fluctuate (their spread shrinks only
// like t^(−1/4)); the acceptance being concave in log ε near the target,
// a(x̄) exceeds the mean of a(x_t), so the acceptance after warm-up
// overshoots the target (Jensen's inequality). The noisier the per-step
// acceptance statistic, the larger the overshoot. Measured (see
// TestAdaptationOvershoot): with Stan's 50-step terminal buffer, HMC on the
// 50-D target reaches ≈ 0.89 for a target of 0.8 and MALA ≈ 0.61–0.65 for
// 0.574; with 500 steps they come within 0.03. HMC on the 2-D target,
// where the end-point statistic min(1, exp(−ΔH)) is nearly 0 or 1 (ε sits
// near the leapfrog stability limit of the narrow direction), stays at
// ≈ 0.89 even with 500 steps: that acceptance is logged, not asserted.
var momentCfg = Config{Warmup: 2500, Steps: 4000, Windows: Windows{TermBuffer: 500}}

const momentChains = 8

type gaussCase struct {
	name  string
	mu    []float64
	vars  []float64
	cov01 float64
	cov   bool
	// noAccept skips the acceptance assertion (see the comment above).
	noAccept bool
}

func corr2Case() gaussCase {
	return gaussCase{name: "corr2", mu: []float64{0, 0}, vars: []float64{1, 1}, cov01: 0.8, cov: true}
}

func illcond50Case() gaussCase {
	return gaussCase{name: "illcond50", mu: make([]float64, 50), vars: illcondVars(50)}
}

// checkRun runs k from uniform(−2, 2) starts and applies every check.
func checkRun(t *testing.T, k Kernel, gc gaussCase, seed uint64) *Result {
	return checkRunCfg(t, k, gc, seed, momentCfg)
}

func checkRunCfg(t *testing.T, k Kernel, gc gaussCase, seed uint64, cfg Config) *Result {
	t.Helper()
	cfg.Seed = seed
	x0 := uniformStarts(momentChains, len(gc.mu), -2, 2, seed)
	r := runOK(t, k, x0, cfg)
	minESS, maxZ := gaussMoments(t, r, gc.mu, gc.vars, gc.cov01, gc.cov)
	dg := r.Diagnostics()
	for j, rh := range dg.Rhat {
		if !(rh < 1.01) {
			t.Errorf("R̂[%d] = %.4f, want < 1.01", j, rh)
		}
	}
	acc := mean(r.MeanAcceptProb)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, a := range r.MeanAcceptProb {
		lo, hi = math.Min(lo, a), math.Max(hi, a)
	}
	if !gc.noAccept && math.Abs(acc-r.Target) > 0.05 {
		t.Errorf("acceptance %.3f, want %.3f ± 0.05", acc, r.Target)
	}
	div := 0
	for _, d := range r.Divergences {
		div += d
	}
	t.Logf("%s: acceptance %.3f (chains %.3f–%.3f, target %.3f), step %.3g, min ESS %.0f of %d draws, max |z| %.2f, max R̂ %.4f, min ESS bulk %.0f, tail %.0f, divergences %d, %d grads/chain, %v",
		gc.name, acc, lo, hi, r.Target, r.StepSize[0], minESS, r.Chains*r.Kept, maxZ, dg.MaxRhat, dg.MinESSBulk, dg.MinESSTail, div, r.NGrad[0], r.Elapsed)
	return r
}

func TestMALAGaussian(t *testing.T) {
	for _, gc := range []gaussCase{corr2Case(), illcond50Case()} {
		t.Run(gc.name, func(t *testing.T) {
			k, err := NewMALA(gaussFor(gc), DefaultMALAOptions())
			if err != nil {
				t.Fatal(err)
			}
			checkRun(t, k, gc, 11)
		})
	}
}

func TestHMCGaussian(t *testing.T) {
	c2 := corr2Case()
	c2.noAccept = true
	for _, gc := range []gaussCase{c2, illcond50Case()} {
		t.Run(gc.name, func(t *testing.T) {
			k, err := NewHMC(gaussFor(gc), DefaultHMCOptions())
			if err != nil {
				t.Fatal(err)
			}
			checkRun(t, k, gc, 12)
		})
	}
}

func TestRWMHGaussian(t *testing.T) {
	gc := corr2Case()
	k, err := NewRWMH(gaussFor(gc), DefaultRWMHOptions())
	if err != nil {
		t.Fatal(err)
	}
	checkRun(t, k, gc, 13)
}

func gaussFor(gc gaussCase) gradEnergy {
	if gc.cov {
		return corrGauss2(gc.cov01)
	}
	return newIndepGauss(gc.mu, gc.vars)
}

// TestAdaptationOvershoot pins the behaviour documented on Windows: with
// Stan's 50-step terminal buffer the acceptance after warm-up lands above the
// target, and a 500-step terminal buffer brings it closer. It asserts only
// the direction of the effect and logs its size.
func TestAdaptationOvershoot(t *testing.T) {
	gc := illcond50Case()
	for _, kind := range []string{"MALA", "HMC"} {
		acc := map[int]float64{}
		for _, tb := range []int{0, 500} {
			var k Kernel
			if kind == "MALA" {
				k, _ = NewMALA(gaussFor(gc), DefaultMALAOptions())
			} else {
				k, _ = NewHMC(gaussFor(gc), DefaultHMCOptions())
			}
			r := runOK(t, k, uniformStarts(momentChains, 50, -2, 2, 21), Config{Warmup: 2500, Steps: 1000, Seed: 21, Windows: Windows{TermBuffer: tb}})
			acc[tb] = mean(r.MeanAcceptProb)
			if tb == 0 {
				acc[50] = acc[0]
			}
			t.Logf("%s, terminal buffer %d: acceptance %.3f, target %.3f", kind, max(tb, 50), acc[tb], r.Target)
		}
		target := 0.574
		if kind == "HMC" {
			target = 0.8
		}
		if !(acc[50] > target) || !(acc[500] < acc[50]) {
			t.Errorf("%s: acceptance %.3f (buffer 50), %.3f (buffer 500): expected an overshoot that shrinks", kind, acc[50], acc[500])
		}
	}
}
