package sample

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

// normalStarts returns n×d points N(0, sd²) from a fixed seed.
func normalStarts(n, d int, sd float64, seed uint64) *tensor.Dense[float64] {
	r := rand.New(rand.NewPCG(seed, 0xbeef))
	x := tensor.New[float64](n, d)
	for i := range x.Data {
		x.Data[i] = sd * r.NormFloat64()
	}
	return x
}

// varianceAbout0 estimates E[x²] for a 1-D run (the target's mean is 0) with
// its MCSE from diag.ESS of x².
func varianceAbout0(r *Result) estimate {
	return estimateOf(mapDraws(r, func(x []float64) float64 { return x[0] * x[0] }))
}

// TestULABias: for E = x²/(2σ²) ULA is the AR(1) chain
//
//	x' = (1 − η/σ²)·x + √(2η)·ξ,
//
// whose stationary variance v solves v = (1 − η/σ²)²v + 2η:
//
//	v(η) = 2η / (1 − (1 − η/σ²)²) = σ² / (1 − η/(2σ²)).
//
// The measured variance must match v(η) within 4 MCSE at two step sizes, lie
// significantly above σ² (the bias), and the bias must shrink with η.
func TestULABias(t *testing.T) {
	const sigma2 = 1.0
	e := newIndepGauss(nil, []float64{sigma2})
	bias := map[float64]float64{}
	for _, eta := range []float64{0.1, 0.4} {
		k, err := NewULA(e, ULAOptions{Step: eta})
		if err != nil {
			t.Fatal(err)
		}
		// 0.9^300 and 0.6^300 are far below the MCSE: the warm-up forgets the start.
		r := runOK(t, k, normalStarts(256, 1, 1, 1), Config{Warmup: 300, Steps: 2000, Seed: 5})
		v := varianceAbout0(r)
		want := sigma2 / (1 - eta/(2*sigma2))
		checkWithin(t, "ULA variance", v, want, 4)
		if z := (v.mean - sigma2) / v.mcse; z < 4 {
			t.Errorf("η = %g: variance %.4f is not significantly above σ² = %g (z = %.1f)", eta, v.mean, sigma2, z)
		}
		bias[eta] = v.mean - sigma2
		t.Logf("η = %g: variance %.4f ± %.4f (ESS %.0f), theory %.4f, exact σ² = %g", eta, v.mean, v.mcse, v.ess, want, sigma2)
	}
	if !(bias[0.1] < bias[0.4]) {
		t.Errorf("bias %.4f at η = 0.1 is not below %.4f at η = 0.4", bias[0.1], bias[0.4])
	}
}

// TestSGLDStyleColder: for E = x²/(2σ²) the SGLD-style update is the AR(1)
// chain
//
//	x' = (1 − a/σ²)·x + b·ξ,
//
// with stationary variance v = b² / (1 − (1 − a/σ²)²) = T·σ²/(1 − a/(2σ²)),
// T = b²/(2a): the variance of the colder target exp(−E/T) (Tσ²) inflated by
// the same discretization factor as ULA's. With IGEBM's a = 10, b = 0.005 and
// σ² = 100 (so that |1 − a/σ²| < 1), v = 1.3158·10⁻⁴ against σ² = 100 for
// the true target. The measured variance must match v within 4 MCSE, and
// differ significantly from Tσ² (the discretization factor is visible).
func TestSGLDStyleColder(t *testing.T) {
	const sigma2 = 100.0
	opts := DefaultSGLDStyleOptions()
	a, b := opts.Step, opts.Noise
	k, err := NewSGLDStyle(newIndepGauss(nil, []float64{sigma2}), opts)
	if err != nil {
		t.Fatal(err)
	}
	r := runOK(t, k, normalStarts(256, 1, 0.01, 2), Config{Warmup: 300, Steps: 2000, Seed: 6})
	v := varianceAbout0(r)
	T := opts.Temperature()
	if math.Abs(T-b*b/(2*a)) > 1e-18 {
		t.Fatalf("Temperature() = %g, want %g", T, b*b/(2*a))
	}
	want := T * sigma2 / (1 - a/(2*sigma2))
	checkWithin(t, "SGLD-style variance", v, want, 4)
	if z := math.Abs(v.mean-T*sigma2) / v.mcse; z < 4 {
		t.Errorf("variance %.4g not distinguishable from Tσ² = %.4g (z = %.1f)", v.mean, T*sigma2, z)
	}
	t.Logf("variance %.5g ± %.2g (ESS %.0f), theory T·σ²/(1−a/(2σ²)) = %.5g, T·σ² = %.5g, true σ² = %g (T = %.3g)", v.mean, v.mcse, v.ess, want, T*sigma2, sigma2, T)
}

// TestSGLDStyleClip: with b = 0 and clipping at c every coordinate moves by at
// most a·c per step.
func TestSGLDStyleClip(t *testing.T) {
	k, err := NewSGLDStyle(newIndepGauss(nil, []float64{1, 1}), SGLDStyleOptions{Step: 10, Noise: 0, Clip: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	x0 := tensor.FromSlice(1, 2, []float64{5, -3})
	r := runOK(t, k, x0, Config{Steps: 3})
	want := []float64{5 - 0.1, 5 - 0.2, 5 - 0.3}
	for i, w := range want {
		if got := r.Draw(0, i); math.Abs(got[0]-w) > 1e-12 || math.Abs(got[1]-(-w+2)) > 1e-12 {
			t.Errorf("step %d: got %v, want [%g %g]", i, got, w, -w+2)
		}
	}
}

// TestLangevinSplitSameNumbers: a batch large enough to be split across cores
// (chains × dimension ≥ langevinParMin) moves to the same points, bit for bit,
// with one core and with several, for each unadjusted kernel (with a box and,
// for SGLD-style, a gradient clip).
func TestLangevinSplitSameNumbers(t *testing.T) {
	const n, d = 64, 300
	if n*d < langevinParMin {
		t.Fatal("batch too small to be split")
	}
	e := newIndepGauss(nil, illcondVars(d))
	ul, _ := NewULA(e, DefaultULAOptions())
	sg, _ := NewSGLDStyle(e, SGLDStyleOptions{Step: 1e-2, Noise: 0.05, Clip: 0.5})
	an, _ := NewAnnealedLangevin(e, AnnealedLangevinOptions{SigmaMax: 5, SigmaMin: 0.1, Levels: 4, StepsPerLevel: 3, Eps: 1e-3})
	for _, k := range []Kernel{ul, sg, an} {
		run := func(procs int) []float64 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			s, err := k.Init(normalStarts(n, d, 0.3, 7), ScalarBox(-2, 2))
			if err != nil {
				t.Fatal(err)
			}
			rngs, info := newRngs(n, 3), make([]Info, n)
			for i := 0; i < 6; i++ {
				if err := k.Step(s, rngs, info); err != nil {
					t.Fatal(err)
				}
			}
			return s.X.Data
		}
		one, four := run(1), run(4)
		for j := range one {
			if math.Float64bits(one[j]) != math.Float64bits(four[j]) {
				t.Fatalf("%T: coordinate %d: %v with one core, %v with four", k, j, one[j], four[j])
			}
		}
	}
}
