package rbm

import (
	"context"
	"math"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

func randomDBM(t testing.TB, nv, nh1, nh2 int, scale float64, seed uint64) *DBM {
	t.Helper()
	m, err := NewDBM(nv, nh1, nh2, seed)
	if err != nil {
		t.Fatal(err)
	}
	rng := newRand(seed)
	for _, s := range [][]float32{m.W1.Data, m.W2.Data, m.B, m.C1, m.C2} {
		for i := range s {
			s[i] = float32(scale * rng.NormFloat64())
		}
	}
	return m
}

// dbmNegE is −E(v, h¹, h²) from the definition.
func dbmNegE(m *DBM, v, h1, h2 []float64) float64 {
	s := 0.0
	for i, vi := range v {
		s += float64(m.B[i]) * vi
		for j, hj := range h1 {
			s += vi * float64(m.W1.At(i, j)) * hj
		}
	}
	for j, hj := range h1 {
		s += float64(m.C1[j]) * hj
		for k, gk := range h2 {
			s += hj * float64(m.W2.At(j, k)) * gk
		}
	}
	for k, gk := range h2 {
		s += float64(m.C2[k]) * gk
	}
	return s
}

func TestDBMBruteForce(t *testing.T) {
	m := randomDBM(t, 4, 3, 2, 1, 1)
	var all []float64
	marg := make([][]float64, 16)
	for s := 0; s < 16; s++ {
		for u := 0; u < 8; u++ {
			for w := 0; w < 4; w++ {
				e := dbmNegE(m, bits(s, 4), bits(u, 3), bits(w, 2))
				all = append(all, e)
				marg[s] = append(marg[s], e)
			}
		}
	}
	logZ := tensor.LogSumExp(all)
	got, err := m.ExactLogZ()
	if err != nil {
		t.Fatal(err)
	}
	if !near(got, logZ, 1e-10) {
		t.Errorf("DBM ExactLogZ %.12f, brute force %.12f", got, logZ)
	}
	x := allStates(4)
	lp, err := m.LogProb(x, logZ)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := m.LowerBound(x, logZ)
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 16; s++ {
		want := tensor.LogSumExp(marg[s]) - logZ
		if !near(lp[s], want, 1e-9) {
			t.Errorf("log p(%04b) = %.10f, brute force %.10f", s, lp[s], want)
		}
		if lb[s] > want+1e-6 {
			t.Errorf("lower bound %.6f above log p %.6f for %04b", lb[s], want, s)
		}
	}
	// The mean-field result is a fixed point of its update equations.
	mu1, mu2, err := m.MeanField(x, 200, 1e-9)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 16; n++ {
		for j := 0; j < 3; j++ {
			a := float64(m.C1[j])
			for i := 0; i < 4; i++ {
				a += float64(x.At(n, i)) * float64(m.W1.At(i, j))
			}
			for k := 0; k < 2; k++ {
				a += float64(mu2.At(n, k)) * float64(m.W2.At(j, k))
			}
			if d := math.Abs(1/(1+math.Exp(-a)) - float64(mu1.At(n, j))); d > 1e-5 {
				t.Fatalf("mean field is not a fixed point: row %d unit %d off by %g", n, j, d)
			}
		}
	}
}

// TestDBMDigits trains a 64-16-8 DBM on the digits protocol data and checks
// that the exact test log-likelihood (by enumerating the 16 first-layer units)
// improves far beyond the initial model's (≈ −64·log 2 = −44.4) and that the
// mean-field lower bound stays below it.
func TestDBMDigits(t *testing.T) {
	tr, te := digits(t)
	m, _ := NewDBM(64, 16, 8, 1)
	cfg := DBMConfig{Epochs: 20, BatchSize: 10, LR: 0.05, Chains: 100, K: 1, Seed: 1, Schedule: LinearDecay(0.05, 0, 20*Batches(tr.Rows, 10))}
	if _, err := m.Fit(context.Background(), tr, cfg, nil); err != nil {
		t.Fatal(err)
	}
	logZ, err := m.ExactLogZ()
	if err != nil {
		t.Fatal(err)
	}
	lp, _ := m.LogProb(te, logZ)
	lb, _ := m.LowerBound(te, logZ)
	t.Logf("DBM 64-16-8: exact test LL %.3f, mean-field bound %.3f", meanOf(lp), meanOf(lb))
	if meanOf(lp) < -25 || meanOf(lb) > meanOf(lp) {
		t.Errorf("DBM test LL %.3f (want ≥ −25), bound %.3f", meanOf(lp), meanOf(lb))
	}
	s, err := m.Sample(10, 100, 2)
	if err != nil || s.Rows != 10 || s.Cols != 64 {
		t.Fatalf("Sample: %v", err)
	}
}
