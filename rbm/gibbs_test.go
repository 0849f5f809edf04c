package rbm

import (
	"math"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

// allStates returns the 2^n binary vectors as rows.
func allStates(n int) *tensor.Dense[float32] {
	x := tensor.New[float32](1<<n, n)
	for s := 0; s < 1<<n; s++ {
		for k := 0; k < n; k++ {
			x.Set(s, k, float32(s>>k&1))
		}
	}
	return x
}

func TestGibbsStationary(t *testing.T) {
	// 2000 chains, 50 burn-in sweeps, then 20 sweeps kept: the visible-state
	// frequencies match p(v) by a χ² test. Chains are independent; the kept
	// sweeps of one chain are correlated, so the test uses only the last sweep of
	// each of 10 independent runs of 2000 chains (20000 independent draws).
	r := randomRBM(t, Bernoulli, 4, 6, 0.8, 21)
	logZ, err := r.ExactLogZ()
	if err != nil {
		t.Fatal(err)
	}
	lp, _ := r.LogProb(allStates(4), logZ)
	counts := make([]float64, 16)
	n := 0
	for run := uint64(0); run < 10; run++ {
		g, err := r.NewGibbsRandom(2000, run)
		if err != nil {
			t.Fatal(err)
		}
		g.Step(50)
		for i := 0; i < g.Chains(); i++ {
			st := 0
			for k := 0; k < 4; k++ {
				st |= int(g.V.At(i, k)) << k
			}
			counts[st]++
			n++
		}
	}
	chi2 := 0.0
	for st := range counts {
		e := float64(n) * math.Exp(lp[st])
		chi2 += (counts[st] - e) * (counts[st] - e) / e
	}
	if chi2 > 44.3 { // χ²₁₅ 0.9999 quantile
		t.Errorf("χ² = %.1f over 15 dof (p < 1e-4)", chi2)
	}
}

func TestGibbsNoAllocation(t *testing.T) {
	for _, kind := range []Visible{Bernoulli, Gaussian} {
		r := randomRBM(t, kind, 784, 64, 0.05, 1)
		g, err := r.NewGibbsRandom(100, 1)
		if err != nil {
			t.Fatal(err)
		}
		g.Step(2) // warm-up
		if a := testing.AllocsPerRun(20, func() { g.Step(1) }); a != 0 {
			t.Errorf("%v: %.1f allocations per Gibbs step after warm-up", kind, a)
		}
	}
}

func TestGibbsDeterministic(t *testing.T) {
	r := randomRBM(t, Bernoulli, 30, 10, 0.5, 2)
	run := func() []float32 {
		g, _ := r.NewGibbsRandom(50, 9)
		g.Step(10)
		return g.V.Data
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed gave different chains")
		}
	}
}

func TestTrainStepNoAllocation(t *testing.T) {
	tr, _ := digits(t)
	for _, c := range []Config{{Method: PCD, K: 1}, {Method: CD, K: 3, Momentum: 0.5, WeightDecay: 1e-4}} {
		r, _ := New(Bernoulli, 64, 16, 1)
		tt, err := newTrainer(r, tr, c.withDefaults())
		if err != nil {
			t.Fatal(err)
		}
		idx := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		tt.update(idx, 0.05)
		if a := testing.AllocsPerRun(20, func() { tt.update(idx, 0.05) }); a != 0 {
			t.Errorf("%v: %.1f allocations per training step after warm-up", c.Method, a)
		}
	}
}
