package sample

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ebm-go/ebm/tensor"
)

func gauss2() *indepGauss { return newIndepGauss(nil, []float64{1, 1}) }

// TestNonFiniteErrors injects a bad value for chain 3 from a given energy
// call on. Calls are counted from 0: call 0 is Init's; with adaptation off,
// MALA, ULA and RWMH make one call per step (step i of a phase is call
// 1 + (steps before the phase) + i) and HMC makes L calls per step.
func TestNonFiniteErrors(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	mala := func(f *faulty) Kernel { k, _ := NewMALA(f, DefaultMALAOptions()); return k }
	ula := func(f *faulty) Kernel { k, _ := NewULA(f, DefaultULAOptions()); return k }
	rwmh := func(f *faulty) Kernel { k, _ := NewRWMH(f, DefaultRWMHOptions()); return k }
	hmc := func(f *faulty) Kernel { k, _ := NewHMC(f, DefaultHMCOptions()); return k }
	cases := []struct {
		name    string
		kernel  func(*faulty) Kernel
		f       faulty
		warmup  int
		want    string
		phase   string
		step    int
		quality string
	}{
		{"MALA NaN energy while sampling", mala, faulty{from: 121, chain: 3, val: nan}, 0,
			"sample: chain 3, sampling step 120: energy is NaN", PhaseSampling, 120, "energy"},
		{"RWMH NaN energy in warm-up", rwmh, faulty{from: 11, chain: 3, val: nan}, 50,
			"sample: chain 3, warm-up step 10: energy is NaN", PhaseWarmup, 10, "energy"},
		{"MALA -Inf energy", mala, faulty{from: 1 + 20 + 5, chain: 3, val: math.Inf(-1)}, 20,
			"sample: chain 3, sampling step 5: energy is -Inf", PhaseSampling, 5, "energy"},
		{"ULA +Inf energy", ula, faulty{from: 8, chain: 3, val: inf}, 0,
			"sample: chain 3, sampling step 7: energy is +Inf", PhaseSampling, 7, "energy"},
		{"HMC NaN gradient", hmc, faulty{from: 1 + 10*7 + 3, chain: 3, coord: 1, val: nan, grad: true}, 0,
			"sample: chain 3, sampling step 7: gradient[1] is NaN", PhaseSampling, 7, "gradient[1]"},
		{"ULA Inf gradient", ula, faulty{from: 1 + 4, chain: 3, coord: 0, val: inf, grad: true}, 2,
			"sample: chain 3, sampling step 2: gradient[0] is +Inf", PhaseSampling, 2, "gradient[0]"},
		{"initial NaN", mala, faulty{from: 0, chain: 3, val: nan}, 0,
			"sample: chain 3, initial point: energy is NaN", PhaseInit, 0, "energy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			f.GradEnergy = gauss2()
			k := tc.kernel(&f)
			_, err := Run(context.Background(), k, normalStarts(5, 2, 1, 3), Config{Warmup: tc.warmup, Steps: 200, Seed: 1, Adapt: AdaptOff})
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tc.want {
				t.Errorf("error %q, want %q", err, tc.want)
			}
			var nf *NonFiniteError
			if !errors.As(err, &nf) {
				t.Fatalf("error %T is not a *NonFiniteError", err)
			}
			if nf.Chain != 3 || nf.Phase != tc.phase || nf.Step != tc.step || nf.Quantity != tc.quality {
				t.Errorf("got %+v", *nf)
			}
		})
	}
}

// TestInfIsOutsideSupport: an energy of +Inf outside the unit disk is no
// error for the Metropolis-adjusted kernels; they reject such proposals and
// sample N(0, I) truncated to the disk, where r² is Exp(mean 2) truncated to
// [0, 1]: E[r²] = 2 − e^(−1/2)/(1 − e^(−1/2)) = 0.45850.
func TestInfIsOutsideSupport(t *testing.T) {
	e := &ballEnergy{d: 2, r: 1}
	want := 2 - math.Exp(-0.5)/(1-math.Exp(-0.5))
	rw, _ := NewRWMH(e, DefaultRWMHOptions())
	ma, _ := NewMALA(e, DefaultMALAOptions())
	hm, _ := NewHMC(e, DefaultHMCOptions())
	for _, k := range []Kernel{rw, ma, hm} {
		r := runOK(t, k, uniformStarts(8, 2, -0.5, 0.5, 7), Config{Warmup: 1000, Steps: 3000, Seed: 8})
		for i := 0; i < r.Chains*r.Kept; i++ {
			x := r.Data[2*i : 2*i+2]
			if x[0]*x[0]+x[1]*x[1] > 1 {
				t.Fatalf("%T: draw %v outside the support", k, x)
			}
		}
		est := estimateOf(mapDraws(r, func(x []float64) float64 { return x[0]*x[0] + x[1]*x[1] }))
		checkWithin(t, "E[r²]", est, want, 4)
		div := 0
		for _, d := range r.Divergences {
			div += d
		}
		t.Logf("%T: E[r²] = %.4f ± %.4f (want %.4f), acceptance %.3f, divergences %d", k, est.mean, est.mcse, want, mean(r.MeanAcceptProb), div)
	}
}

func TestOptionErrors(t *testing.T) {
	g := gauss2()
	bad := []struct {
		name string
		err  error
	}{
		{"RWMH step 0", second(NewRWMH(g, RWMHOptions{Step: 0}))},
		{"RWMH nil energy", second(NewRWMH(nil, DefaultRWMHOptions()))},
		{"RWMH metric length", second(NewRWMH(g, RWMHOptions{Step: 1, InvMetric: []float64{1}}))},
		{"MALA step −1", second(NewMALA(g, MALAOptions{Step: -1}))},
		{"MALA step NaN", second(NewMALA(g, MALAOptions{Step: math.NaN()}))},
		{"MALA metric 0", second(NewMALA(g, MALAOptions{Step: 1, InvMetric: []float64{1, 0}}))},
		{"HMC step 0", second(NewHMC(g, HMCOptions{Step: 0, L: 10, MaxEnergyError: 1000}))},
		{"HMC L 0", second(NewHMC(g, HMCOptions{Step: 0.1, L: 0, MaxEnergyError: 1000}))},
		{"HMC threshold 0", second(NewHMC(g, HMCOptions{Step: 0.1, L: 10}))},
		{"HMC jitter 1", second(NewHMC(g, HMCOptions{Step: 0.1, L: 10, MaxEnergyError: 1000, Jitter: 1}))},
		{"ULA step +Inf", second(NewULA(g, ULAOptions{Step: math.Inf(1)}))},
		{"SGLD a 0", second(NewSGLDStyle(g, SGLDStyleOptions{Step: 0, Noise: 0.005}))},
		{"SGLD b −1", second(NewSGLDStyle(g, SGLDStyleOptions{Step: 10, Noise: -1}))},
		{"SGLD clip −1", second(NewSGLDStyle(g, SGLDStyleOptions{Step: 10, Noise: 0.005, Clip: -1}))},
		{"annealed σ order", second(NewAnnealedLangevin(g, AnnealedLangevinOptions{SigmaMax: 0.1, SigmaMin: 1, Levels: 10, StepsPerLevel: 10, Eps: 1e-3}))},
		{"annealed levels 0", second(NewAnnealedLangevin(g, AnnealedLangevinOptions{SigmaMax: 1, SigmaMin: 0.1, Levels: 0, StepsPerLevel: 10, Eps: 1e-3}))},
		{"annealed T 0", second(NewAnnealedLangevin(g, AnnealedLangevinOptions{SigmaMax: 1, SigmaMin: 0.1, Levels: 3, StepsPerLevel: 0, Eps: 1e-3}))},
		{"annealed ε 0", second(NewAnnealedLangevin(g, AnnealedLangevinOptions{SigmaMax: 1, SigmaMin: 0.1, Levels: 3, StepsPerLevel: 3}))},
	}
	for _, b := range bad {
		if b.err == nil {
			t.Errorf("%s: no error", b.name)
		} else if !strings.HasPrefix(b.err.Error(), "sample: ") {
			t.Errorf("%s: error %q lacks the package prefix", b.name, b.err)
		} else {
			t.Logf("%s: %v", b.name, b.err)
		}
	}
	for _, o := range []any{DefaultRWMHOptions(), DefaultMALAOptions(), DefaultHMCOptions(), DefaultULAOptions(), DefaultSGLDStyleOptions(), DefaultAnnealedLangevinOptions()} {
		var err error
		switch o := o.(type) {
		case RWMHOptions:
			_, err = NewRWMH(g, o)
		case MALAOptions:
			_, err = NewMALA(g, o)
		case HMCOptions:
			_, err = NewHMC(g, o)
		case ULAOptions:
			_, err = NewULA(g, o)
		case SGLDStyleOptions:
			_, err = NewSGLDStyle(g, o)
		case AnnealedLangevinOptions:
			_, err = NewAnnealedLangevin(g, o)
		}
		if err != nil {
			t.Errorf("defaults %T rejected: %v", o, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestRunErrors(t *testing.T) {
	k, _ := NewMALA(gauss2(), DefaultMALAOptions())
	ok := normalStarts(4, 2, 1, 1)
	bg := context.Background()
	cases := []struct {
		name string
		k    Kernel
		x0   *tensor.Dense[float64]
		cfg  Config
	}{
		{"dim mismatch", k, normalStarts(4, 3, 1, 1), Config{Steps: 10}},
		{"no chains", k, tensor.New[float64](0, 2), Config{Steps: 10}},
		{"steps 0", k, ok, Config{Steps: 0}},
		{"warm-up −1", k, ok, Config{Steps: 10, Warmup: -1}},
		{"thin −1", k, ok, Config{Steps: 10, Thin: -1}},
		{"thin > steps", k, ok, Config{Steps: 10, Thin: 11}},
		{"target 1", k, ok, Config{Steps: 10, TargetAccept: 1}},
		{"target NaN", k, ok, Config{Steps: 10, TargetAccept: math.NaN()}},
		{"adapt mode", k, ok, Config{Steps: 10, Adapt: 7}},
		{"window −1", k, ok, Config{Steps: 10, Windows: Windows{TermBuffer: -1}}},
		{"calibration −1", k, ok, Config{Steps: 10, Windows: Windows{Calibration: -1}}},
		{"calibration mode", k, ok, Config{Steps: 10, Calibrate: 2}},
		{"box length", k, ok, Config{Steps: 10, Clamp: &Box{Lo: []float64{0, 0, 0}, Hi: []float64{1}}}},
		{"box lo ≥ hi", k, ok, Config{Steps: 10, Clamp: ScalarBox(1, 1)}},
		{"start outside box", k, ok, Config{Steps: 10, Clamp: ScalarBox(10, 20)}},
		{"nil kernel", nil, ok, Config{Steps: 10}},
		{"nil x0", k, nil, Config{Steps: 10}},
		{"NaN start", k, tensor.FromSlice(1, 2, []float64{0, math.NaN()}), Config{Steps: 10}},
	}
	for _, tc := range cases {
		r, err := Run(bg, tc.k, tc.x0, tc.cfg)
		if err == nil || r != nil {
			t.Errorf("%s: got %v, %v; want an error", tc.name, r, err)
			continue
		}
		t.Logf("%s: %v", tc.name, err)
	}
}

func TestContextCancel(t *testing.T) {
	k, _ := NewHMC(newIndepGauss(nil, illcondVars(50)), DefaultHMCOptions())
	x0 := normalStarts(8, 50, 1, 1)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, k, x0, Config{Steps: 10}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before the run: got %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var after int
	cancelAt := 30
	cfg := Config{Warmup: 1000, Steps: 100_000_000, Thin: 1_000_000, Seed: 1, Progress: func(done, total int) {
		if done == cancelAt {
			cancel()
		}
		if done > cancelAt {
			after++
		}
	}}
	start := time.Now()
	_, err := Run(ctx, k, x0, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if after != 0 {
		t.Errorf("%d steps ran after cancellation", after)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("cancellation took %v", el)
	}
}

// TestClamp: unadjusted kernels clamp after each step; MALA and HMC treat the
// outside as +Inf and sample the truncated target: N(0, 1) on [0, ∞) is the
// half-normal, with mean √(2/π) and E[x²] = 1.
func TestClamp(t *testing.T) {
	e1 := newIndepGauss(nil, []float64{1})
	u, _ := NewULA(e1, ULAOptions{Step: 0.1})
	r := runOK(t, u, normalStarts(16, 1, 0.1, 1), Config{Steps: 2000, Seed: 3, Clamp: ScalarBox(-1, 0.5)})
	var atHi, atLo int
	for _, v := range r.Data {
		if v < -1 || v > 0.5 {
			t.Fatalf("ULA draw %g outside [−1, 0.5]", v)
		}
		if v == 0.5 {
			atHi++
		}
		if v == -1 {
			atLo++
		}
	}
	if atHi == 0 || atLo == 0 {
		t.Errorf("no ULA draw clamped to a bound (%d at 0.5, %d at −1)", atHi, atLo)
	}
	sg, _ := NewSGLDStyle(e1, SGLDStyleOptions{Step: 0.1, Noise: 1})
	r = runOK(t, sg, normalStarts(16, 1, 0.01, 1), Config{Steps: 500, Seed: 3, Clamp: &Box{Lo: []float64{-0.2}, Hi: []float64{0.3}}})
	for _, v := range r.Data {
		if v < -0.2 || v > 0.3 {
			t.Fatalf("SGLD-style draw %g outside [−0.2, 0.3]", v)
		}
	}
	half := &Box{Lo: []float64{0}, Hi: []float64{math.Inf(1)}}
	ma, _ := NewMALA(e1, DefaultMALAOptions())
	hm, _ := NewHMC(e1, DefaultHMCOptions())
	for _, k := range []Kernel{ma, hm} {
		r := runOK(t, k, uniformStarts(8, 1, 0.1, 2, 4), Config{Warmup: 1000, Steps: 4000, Seed: 5, Clamp: half})
		for _, v := range r.Data {
			if v < 0 {
				t.Fatalf("%T: draw %g below 0", k, v)
			}
		}
		m := estimateOf(r.Draws(0))
		checkWithin(t, "half-normal mean", m, math.Sqrt(2/math.Pi), 4)
		v := estimateOf(mapDraws(r, func(x []float64) float64 { return x[0] * x[0] }))
		checkWithin(t, "half-normal E[x²]", v, 1, 4)
		t.Logf("%T on [0, ∞): mean %.4f ± %.4f (want %.4f), E[x²] %.4f ± %.4f", k, m.mean, m.mcse, math.Sqrt(2/math.Pi), v.mean, v.mcse)
	}
}

// TestDeterminism: the same seed gives identical draws; a different seed
// different ones. With calibration off (Stan's adaptation), a chain's draws do
// not depend on the other chains of the batch: changing chain 3's start
// leaves chains 0–2 untouched, adaptation included. With calibration on (the
// default) that holds only up to the calibration phase, whose common step
// factor pools the acceptance of all chains: chains 0–2 keep their
// dual-averaging step sizes (StepSize/StepScale), but their draws change.
func TestDeterminism(t *testing.T) {
	e := newIndepGauss(nil, illcondVars(5))
	ma, _ := NewMALA(e, DefaultMALAOptions())
	hm, _ := NewHMC(e, DefaultHMCOptions())
	rw, _ := NewRWMH(e, DefaultRWMHOptions())
	ul, _ := NewULA(e, DefaultULAOptions())
	for _, k := range []Kernel{ma, hm, rw, ul} {
		_, tunable := k.(Tunable)
		cfg := Config{Warmup: 300, Steps: 200, Seed: 99}
		x0 := uniformStarts(4, 5, -1, 1, 9)
		a := runOK(t, k, x0, cfg)
		b := runOK(t, k, x0, cfg)
		if !equal(a.Data, b.Data) || !equal(a.StepSize, b.StepSize) || a.StepScale != b.StepScale {
			t.Errorf("%T: same seed, different draws", k)
		}
		cfg.Seed = 100
		c := runOK(t, k, x0, cfg)
		if equal(a.Data, c.Data) {
			t.Errorf("%T: different seeds, same draws", k)
		}
		cfg.Seed = 99
		x1 := x0.Clone()
		x1.Set(3, 4, 0.77)
		n := 3 * a.Kept * a.Dim

		// Calibration on: the dual-averaging step sizes of chains 0–2 do not
		// change, the common factor (and so the draws) may.
		d := runOK(t, k, x1, cfg)
		for ch := 0; ch < 3; ch++ {
			if u, v := a.StepSize[ch]/a.StepScale, d.StepSize[ch]/d.StepScale; math.Abs(u-v) > 1e-12*u {
				t.Errorf("%T: chain %d's dual-averaging step size changed with chain 3's start: %g, %g", k, ch, u, v)
			}
		}
		if tunable && a.StepScale == d.StepScale {
			t.Errorf("%T: the calibrated step factor %g ignores chain 3", k, a.StepScale)
		}

		// Calibration off: chains 0–2 are untouched.
		cfg.Calibrate = CalibrateOff
		a = runOK(t, k, x0, cfg)
		d = runOK(t, k, x1, cfg)
		if !equal(a.Data[:n], d.Data[:n]) || !equal(a.StepSize[:3], d.StepSize[:3]) {
			t.Errorf("%T: chains 0–2 changed with chain 3's start (calibration off)", k)
		}
		if equal(a.Data[n:], d.Data[n:]) {
			t.Errorf("%T: chain 3 did not change", k)
		}
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
