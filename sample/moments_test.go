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
// the mean acceptance probability after warm-up, averaged over the chains,
// within ±0.05 of the adaptation target.
//
// Warm-up: 2500 steps with the default settings: Stan's windows (default
// sizes) over the first 2125 steps, calibration of the step size over the
// last 375 (see the package documentation). Without calibration the
// acceptance overshoots the target (see TestAdaptationOvershoot); with it
// the acceptances measured are within 0.02 of the target (logged). (MALA on
// the 50-D target needs the long warm-up: after 1000 steps its metric is
// too rough for R̂ < 1.01 over 4000 draws, with or without calibration.)
//
// On the 2-D target HMC reaches 0.8 only with part of its jittered step sizes
// beyond the leapfrog stability limit of the narrow direction, so a few
// percent of its transitions diverge (logged; see TestCalibrationSteepHMC).
var momentCfg = Config{Warmup: 2500, Steps: 4000}

const momentChains = 8

type gaussCase struct {
	name  string
	mu    []float64
	vars  []float64
	cov01 float64
	cov   bool
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
	if math.Abs(acc-r.Target) > 0.05 {
		t.Errorf("acceptance %.3f, want %.3f ± 0.05", acc, r.Target)
	}
	div := 0
	for _, d := range r.Divergences {
		div += d
	}
	t.Logf("%s: acceptance %.3f (chains %.3f–%.3f, target %.3f), step %.3g (calibration ×%.3f), min ESS %.0f of %d draws, max |z| %.2f, max R̂ %.4f, min ESS bulk %.0f, tail %.0f, divergences %d, %d grads/chain, %v",
		gc.name, acc, lo, hi, r.Target, r.StepSize[0], r.StepScale, minESS, r.Chains*r.Kept, maxZ, dg.MaxRhat, dg.MinESSBulk, dg.MinESSTail, div, r.NGrad[0], r.Elapsed)
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
	for _, gc := range []gaussCase{corr2Case(), illcond50Case()} {
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

// TestAdaptationOvershoot pins the behaviour documented on Windows for
// Stan's adaptation alone (CalibrateOff): with Stan's 50-step terminal buffer
// the acceptance after warm-up lands above the target, and a 500-step
// terminal buffer brings it closer. It asserts only the direction of the
// effect and logs its size, next to the acceptance the default calibration
// reaches from the same start.
func TestAdaptationOvershoot(t *testing.T) {
	gc := illcond50Case()
	for _, kind := range []string{"MALA", "HMC"} {
		acc := map[int]float64{}
		for _, tb := range []int{0, 500, -1} {
			var k Kernel
			if kind == "MALA" {
				k, _ = NewMALA(gaussFor(gc), DefaultMALAOptions())
			} else {
				k, _ = NewHMC(gaussFor(gc), DefaultHMCOptions())
			}
			cfg := Config{Warmup: 2500, Steps: 1000, Seed: 21, Calibrate: CalibrateOff, Windows: Windows{TermBuffer: max(tb, 0)}}
			if tb < 0 {
				cfg.Calibrate = CalibrateAuto
			}
			r := runOK(t, k, uniformStarts(momentChains, 50, -2, 2, 21), cfg)
			acc[tb] = mean(r.MeanAcceptProb)
			if tb < 0 {
				t.Logf("%s, calibrated: acceptance %.3f, target %.3f", kind, acc[tb], r.Target)
			} else {
				t.Logf("%s, Stan's adaptation, terminal buffer %d: acceptance %.3f, target %.3f", kind, max(tb, 50), acc[tb], r.Target)
			}
		}
		target := 0.574
		if kind == "HMC" {
			target = 0.8
		}
		if !(acc[0] > target) || !(acc[500] < acc[0]) {
			t.Errorf("%s: acceptance %.3f (buffer 50), %.3f (buffer 500): expected an overshoot that shrinks", kind, acc[0], acc[500])
		}
	}
}
