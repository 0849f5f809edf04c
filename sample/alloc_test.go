package sample

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

func newRngs(n int, seed uint64) []*rand.Rand {
	r := make([]*rand.Rand, n)
	for c := range r {
		r[c] = rand.New(rand.NewPCG(seed, uint64(c)))
	}
	return r
}

func allKernels(t testing.TB) []Kernel {
	e := newIndepGauss(nil, illcondVars(10))
	rw, err1 := NewRWMH(e, DefaultRWMHOptions())
	ma, err2 := NewMALA(e, DefaultMALAOptions())
	hm, err3 := NewHMC(e, DefaultHMCOptions())
	ul, err4 := NewULA(e, DefaultULAOptions())
	sg, err5 := NewSGLDStyle(e, SGLDStyleOptions{Step: 1e-3, Noise: 0.05})
	an, err6 := NewAnnealedLangevin(newMixture2(0.5, make([]float64, 10), make([]float64, 10)), AnnealedLangevinOptions{SigmaMax: 5, SigmaMin: 0.1, Levels: 4, StepsPerLevel: 3, Eps: 1e-3})
	at, err7 := NewAnnealedLangevin(e, AnnealedLangevinOptions{SigmaMax: 5, SigmaMin: 0.1, Levels: 4, StepsPerLevel: 3, Eps: 1e-3})
	for _, err := range []error{err1, err2, err3, err4, err5, err6, err7} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return []Kernel{rw, ma, hm, ul, sg, an, at}
}

// TestStepDoesNotAllocate: Step (and Probe) of every kernel allocate nothing
// when the energy does not.
func TestStepDoesNotAllocate(t *testing.T) {
	for i, k := range allKernels(t) {
		s, err := k.Init(normalStarts(16, 10, 0.1, 1), ScalarBox(-50, 50))
		if err != nil {
			t.Fatal(err)
		}
		rngs := newRngs(16, 1)
		info := make([]Info, 16)
		if a := testing.AllocsPerRun(50, func() {
			if err := k.Step(s, rngs, info); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("kernel %d (%T): Step allocates %.1f times", i, k, a)
		}
		if tk, ok := k.(Tunable); ok {
			if a := testing.AllocsPerRun(50, func() {
				if err := tk.Probe(s, rngs, info); err != nil {
					t.Fatal(err)
				}
			}); a != 0 {
				t.Errorf("%T: Probe allocates %.1f times", k, a)
			}
		}
	}
}

// TestRunAllocationsDoNotGrow: Run's allocations are set-up only: their
// number is the same for 200 and 2000 steps (adaptation included).
func TestRunAllocationsDoNotGrow(t *testing.T) {
	for _, k := range allKernels(t) {
		x0 := normalStarts(4, 10, 0.1, 2)
		count := func(warm, steps int) float64 {
			return testing.AllocsPerRun(3, func() {
				if _, err := Run(context.Background(), k, x0, Config{Warmup: warm, Steps: steps, Seed: 1}); err != nil {
					t.Fatal(err)
				}
			})
		}
		a, b := count(200, 200), count(2000, 2000)
		if a != b {
			t.Errorf("%T: %.0f allocations for 200+200 steps, %.0f for 2000+2000", k, a, b)
		}
	}
}

// Benchmarks: one Step of a batch on the ill-conditioned 50-D Gaussian
// (variances 10^(−2+4i/49)) after adaptation. steps/s counts batch steps.
func benchStep(b *testing.B, mk func(e gradEnergy) Kernel) {
	e := newIndepGauss(nil, illcondVars(50))
	for _, n := range []int{8, 256} {
		b.Run(fmt.Sprintf("chains=%d", n), func(b *testing.B) {
			k := mk(e)
			x0 := normalStarts(n, 50, 0.1, 1)
			r, err := Run(context.Background(), k, x0, Config{Warmup: 300, Steps: 1, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			s, err := k.Init(r.Last, nil)
			if err != nil {
				b.Fatal(err)
			}
			copy(s.Step, r.StepSize)
			for c := range r.InvMetric {
				copy(s.InvMetric.Row(c), r.InvMetric[c])
			}
			rngs := newRngs(n, 2)
			info := make([]Info, n)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := k.Step(s, rngs, info); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "chain-steps/s")
		})
	}
}

func BenchmarkMALAStepIllcond50(b *testing.B) {
	benchStep(b, func(e gradEnergy) Kernel { k, _ := NewMALA(e, DefaultMALAOptions()); return k })
}

func BenchmarkHMCStepIllcond50(b *testing.B) {
	benchStep(b, func(e gradEnergy) Kernel { k, _ := NewHMC(e, DefaultHMCOptions()); return k })
}

// TestSplitStepDoesNotAllocate: the Langevin kernels' steps on a batch large
// enough to be split across cores allocate nothing either, apart from the Go
// runtime's own now and then (a blocking channel receive may allocate its
// wait record, a worker's first nap its timer): fewer than one allocation in
// four steps on average, where a closure handed to the split would cost one
// per step. (testing.AllocsPerRun would set GOMAXPROCS to 1: no split.)
func TestSplitStepDoesNotAllocate(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(2)
	const n, d = 256, 100
	if n*d < langevinParMin {
		t.Fatal("batch too small to be split")
	}
	e := newIndepGauss(nil, illcondVars(d))
	ul, err1 := NewULA(e, DefaultULAOptions())
	sg, err2 := NewSGLDStyle(e, SGLDStyleOptions{Step: 1e-3, Noise: 0.05})
	at, err3 := NewAnnealedLangevin(e, AnnealedLangevinOptions{SigmaMax: 5, SigmaMin: 0.1, Levels: 4, StepsPerLevel: 3, Eps: 1e-3})
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []Kernel{ul, sg, at} {
		s, err := k.Init(normalStarts(n, d, 0.1, 1), ScalarBox(-50, 50))
		if err != nil {
			t.Fatal(err)
		}
		rngs := newRngs(n, 1)
		info := make([]Info, n)
		step := func() {
			if err := k.Step(s, rngs, info); err != nil {
				t.Fatal(err)
			}
		}
		for range 10 { // warm up (workers started, tasks in circulation)
			step()
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		const steps = 50
		for range steps {
			step()
		}
		runtime.ReadMemStats(&m1)
		if a := float64(m1.Mallocs-m0.Mallocs) / steps; a >= 0.25 {
			t.Errorf("%T: Step of %d chains allocates %.1f times", k, n, a)
		}
	}
}
