package rbm

import (
	"errors"
	"math"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

func TestExactLogZBruteForce(t *testing.T) {
	// 6×4 enumerates the hidden layer; 3×5 enumerates the visible one.
	for _, sh := range [][2]int{{6, 4}, {3, 5}, {4, 4}} {
		r := randomRBM(t, Bernoulli, sh[0], sh[1], 1.0, uint64(sh[0]*10+sh[1]))
		got, err := r.ExactLogZ()
		if err != nil {
			t.Fatal(err)
		}
		want := bruteLogZ(r)
		if !near(got, want, 1e-10*math.Abs(want)+1e-10) {
			t.Errorf("%dx%d: ExactLogZ = %.12f, brute force %.12f", sh[0], sh[1], got, want)
		}
	}
}

func TestExactLogZLargeBlocks(t *testing.T) {
	// 14 hidden units: several enumeration blocks and both cores; compare with a
	// direct sum over the visible layer (12 units) computed from free energies.
	r := randomRBM(t, Bernoulli, 12, 14, 0.3, 7)
	got, err := r.ExactLogZ()
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New[float32](1<<12, 12)
	for s := 0; s < 1<<12; s++ {
		for k := 0; k < 12; k++ {
			x.Set(s, k, float32(s>>k&1))
		}
	}
	f, err := r.FreeEnergy(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range f {
		f[i] = -f[i]
	}
	if want := tensor.LogSumExp(f); !near(got, want, 1e-9) {
		t.Errorf("ExactLogZ = %.12f, Σᵥ exp(−F(v)) gives %.12f", got, want)
	}
}

func TestFreeEnergyMarginalizes(t *testing.T) {
	r := randomRBM(t, Bernoulli, 5, 4, 1.5, 3)
	x := tensor.New[float32](1<<5, 5)
	for s := 0; s < 1<<5; s++ {
		for k := 0; k < 5; k++ {
			x.Set(s, k, float32(s>>k&1))
		}
	}
	f, err := r.FreeEnergy(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 1<<5; s++ {
		var terms []float64
		for u := 0; u < 1<<4; u++ {
			terms = append(terms, -bruteEnergy(r, bits(s, 5), bits(u, 4)))
		}
		if want := -tensor.LogSumExp(terms); !near(f[s], want, 1e-10) {
			t.Errorf("F(v=%05b) = %.12f, −log Σₕ exp(−E) = %.12f", s, f[s], want)
		}
	}
}

func TestEnumerationLimit(t *testing.T) {
	r, _ := New(Bernoulli, 30, 26, 1)
	_, err := r.ExactLogZ()
	var le *LimitError
	if !errors.As(err, &le) || le.Units != 26 || le.Limit != MaxEnumerate {
		t.Fatalf("ExactLogZ on 30×26: err = %v, want a LimitError for 26 units", err)
	}
	// The smaller layer counts: 100 visible, 20 hidden is fine.
	r, _ = New(Bernoulli, 100, 20, 1)
	if _, err := r.ExactLogZ(); err != nil {
		t.Fatalf("100×20: %v", err)
	}
	// Gaussian units can only enumerate the hidden layer.
	g, _ := New(Gaussian, 2, 26, 1)
	if _, err := g.ExactLogZ(); !errors.As(err, &le) {
		t.Fatalf("Gaussian 2×26: err = %v, want a LimitError", err)
	}
}

func TestExactSample(t *testing.T) {
	// Empirical frequencies of the 2^4 visible states against p(v).
	for _, sh := range [][2]int{{4, 3}, {4, 12}} {
		r := randomRBM(t, Bernoulli, sh[0], sh[1], 0.7, 11)
		const n = 40000
		s, err := r.ExactSample(n, 5)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]float64, 16)
		for i := 0; i < n; i++ {
			st := 0
			for k := 0; k < 4; k++ {
				st |= int(s.At(i, k)) << k
			}
			counts[st]++
		}
		x := tensor.New[float32](16, 4)
		for st := 0; st < 16; st++ {
			for k := 0; k < 4; k++ {
				x.Set(st, k, float32(st>>k&1))
			}
		}
		logZ, _ := r.ExactLogZ()
		lp, _ := r.LogProb(x, logZ)
		// χ² with 15 degrees of freedom: the 0.9999 quantile is 44.3.
		chi2 := 0.0
		for st := range counts {
			e := n * math.Exp(lp[st])
			chi2 += (counts[st] - e) * (counts[st] - e) / e
		}
		if chi2 > 44.3 {
			t.Errorf("%v: χ² = %.1f over 15 dof (p < 1e-4)", sh, chi2)
		}
	}
}

func TestFreeEnergyModelAndConditionals(t *testing.T) {
	r := randomRBM(t, Bernoulli, 5, 3, 1, 9)
	var em energy.Energy = FreeEnergyModel{r}
	x := allStates(5)
	e := make([]float64, x.Rows)
	em.Energy(tensor.Convert[float64](nil, x), e)
	f, _ := r.FreeEnergy(x, nil)
	for i := range e {
		if !near(e[i], f[i], 1e-12) {
			t.Fatalf("FreeEnergyModel %g, FreeEnergy %g", e[i], f[i])
		}
	}
	h := tensor.FromSlice(1, 3, []float32{1, 0, 1})
	mv, err := r.VisibleMeans(h)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		a := float64(r.B[i]) + float64(r.W.At(i, 0)) + float64(r.W.At(i, 2))
		if !near(float64(mv.At(0, i)), 1/(1+math.Exp(-a)), 1e-6) {
			t.Errorf("E[v%d | h] = %g, want σ(%g)", i, mv.At(0, i), a)
		}
	}
	ph, _ := r.Transform(x)
	for j := 0; j < 3; j++ {
		a := float64(r.C[j])
		for i := 0; i < 5; i++ {
			a += float64(x.At(31, i)) * float64(r.W.At(i, j))
		}
		if !near(float64(ph.At(31, j)), 1/(1+math.Exp(-a)), 1e-6) {
			t.Errorf("p(h%d | v) = %g, want σ(%g)", j, ph.At(31, j), a)
		}
	}
}
