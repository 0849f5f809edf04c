package rbm

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

var _ energy.Energy = (*FVBM)(nil)

// randomFVBM returns a d-unit FVBM with N(0, scale²) couplings and biases.
func randomFVBM(t testing.TB, d int, scale float64, seed uint64) *FVBM {
	t.Helper()
	m, err := NewFVBM(d)
	if err != nil {
		t.Fatal(err)
	}
	rng := newRand(seed)
	for i := 0; i < d; i++ {
		m.B[i] = scale * rng.NormFloat64()
		for j := i + 1; j < d; j++ {
			w := scale * rng.NormFloat64()
			m.W.Set(i, j, w)
			m.W.Set(j, i, w)
		}
	}
	return m
}

// bruteFVBM returns −E(x) for every state from the definition −E = xᵀWx + bᵀx.
func bruteFVBM(m *FVBM) []float64 {
	d := m.Dim()
	out := make([]float64, 1<<d)
	for s := range out {
		x := bits(s, d)
		v := 0.0
		for i := 0; i < d; i++ {
			v += m.B[i] * x[i]
			for j := 0; j < d; j++ {
				v += x[i] * m.W.At(i, j) * x[j]
			}
		}
		out[s] = v
	}
	return out
}

func TestFVBMBruteForce(t *testing.T) {
	m := randomFVBM(t, 6, 0.8, 1)
	negE := bruteFVBM(m)
	want := tensor.LogSumExp(negE)
	got, err := m.ExactLogZ()
	if err != nil {
		t.Fatal(err)
	}
	if !near(got, want, 1e-10) {
		t.Errorf("ExactLogZ %.12f, brute force %.12f", got, want)
	}
	x := tensor.New[float64](64, 6)
	for s := 0; s < 64; s++ {
		copy(x.Row(s), bits(s, 6))
	}
	lp, _ := m.LogProb(x, got)
	pl, _ := m.PseudoLogLik(x)
	mean, second, _ := m.ExactMoments()
	wantMean := make([]float64, 6)
	wantSecond := make([]float64, 36)
	for s := 0; s < 64; s++ {
		if !near(lp[s], negE[s]-want, 1e-10) {
			t.Errorf("log p(%06b) = %.12f, brute force %.12f", s, lp[s], negE[s]-want)
		}
		p := math.Exp(negE[s] - want)
		xs := bits(s, 6)
		wpl := 0.0
		for i := 0; i < 6; i++ {
			wantMean[i] += p * xs[i]
			for j := 0; j < 6; j++ {
				wantSecond[i*6+j] += p * xs[i] * xs[j]
			}
			o := s ^ (1 << i)
			wpl += negE[s] - math.Log(math.Exp(negE[s])+math.Exp(negE[o]))
		}
		if !near(pl[s], wpl, 1e-10) {
			t.Errorf("PL(%06b) = %.12f, brute force %.12f", s, pl[s], wpl)
		}
	}
	for i := range mean {
		if !near(mean[i], wantMean[i], 1e-12) {
			t.Errorf("E[x%d] = %g, brute force %g", i, mean[i], wantMean[i])
		}
	}
	for i := range second.Data {
		if !near(second.Data[i], wantSecond[i], 1e-12) {
			t.Errorf("E[xxᵀ][%d] = %g, brute force %g", i, second.Data[i], wantSecond[i])
		}
	}
	if _, err := NewFVBM(21); err != nil {
		t.Fatal(err)
	}
	big, _ := NewFVBM(21)
	var le *LimitError
	if _, err := big.ExactLogZ(); !errors.As(err, &le) {
		t.Errorf("d = 21: err = %v, want a LimitError", err)
	}
	bad := randomFVBM(t, 3, 1, 2)
	bad.W.Set(0, 1, 5)
	if err := bad.Validate(); err == nil {
		t.Error("asymmetric W: no error")
	}
}

func TestFVBMGibbs(t *testing.T) {
	m := randomFVBM(t, 4, 0.7, 3)
	logZ, _ := m.ExactLogZ()
	negE := bruteFVBM(m)
	x := tensor.New[float64](5000, 4)
	rng := newRand(5)
	if err := m.Gibbs(x, 30, rng); err != nil {
		t.Fatal(err)
	}
	counts := make([]float64, 16)
	for n := 0; n < x.Rows; n++ {
		s := 0
		for k, v := range x.Row(n) {
			s |= int(v) << k
		}
		counts[s]++
	}
	chi2 := 0.0
	for s, c := range counts {
		e := float64(x.Rows) * math.Exp(negE[s]-logZ)
		chi2 += (c - e) * (c - e) / e
	}
	if chi2 > 44.3 { // χ²₁₅ at 0.9999
		t.Errorf("Gibbs: χ² = %.1f over 15 dof", chi2)
	}
}

// fisherSE returns the asymptotic standard errors of the maximum-likelihood
// estimates of (b, θ = upper triangle of W) from n samples: the square roots of
// the diagonal of I⁻¹/n, where the Fisher information I is the covariance of
// the sufficient statistics (x, 2xᵢxⱼ) under the model.
func fisherSE(m *FVBM, n int) (seB []float64, seW *tensor.Dense[float64]) {
	d := m.Dim()
	logZ, _ := m.ExactLogZ()
	type pair struct{ i, j int }
	var pairs []pair
	for i := 0; i < d; i++ {
		for j := i + 1; j < d; j++ {
			pairs = append(pairs, pair{i, j})
		}
	}
	k := d + len(pairs)
	stat := func(x []float64) []float64 {
		s := append([]float64(nil), x...)
		for _, p := range pairs {
			s = append(s, 2*x[p.i]*x[p.j])
		}
		return s
	}
	mean := make([]float64, k)
	cov := mat.NewSymDense(k, nil)
	m.enumerate(func(x []float64, negE float64) {
		p := math.Exp(negE - logZ)
		s := stat(x)
		for a := range s {
			mean[a] += p * s[a]
			for b := a; b < k; b++ {
				cov.SetSym(a, b, cov.At(a, b)+p*s[a]*s[b])
			}
		}
	})
	for a := 0; a < k; a++ {
		for b := a; b < k; b++ {
			cov.SetSym(a, b, cov.At(a, b)-mean[a]*mean[b])
		}
	}
	var inv mat.Dense
	if err := inv.Inverse(cov); err != nil {
		panic(err)
	}
	seB = make([]float64, d)
	for i := range seB {
		seB[i] = math.Sqrt(inv.At(i, i) / float64(n))
	}
	seW = tensor.New[float64](d, d)
	for q, p := range pairs {
		s := math.Sqrt(inv.At(d+q, d+q) / float64(n))
		seW.Set(p.i, p.j, s)
		seW.Set(p.j, p.i, s)
	}
	return seB, seW
}

// TestFVBMExactGradientRecovers samples 20000 points exactly from a known 6-unit
// FVBM and trains a fresh one by the exact gradient: the training
// log-likelihood must never decrease, and every recovered parameter must lie
// within 4.5 asymptotic standard errors (inverse Fisher information) of the
// truth. (With 21 parameters the chance that any one strays beyond 4.5 SE is
// about 1.4e−4.)
func TestFVBMExactGradientRecovers(t *testing.T) {
	truth := randomFVBM(t, 6, 0.5, 7)
	const n = 20000
	x, err := truth.ExactSample(n, 8)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := NewFVBM(6)
	prev := math.Inf(-1)
	err = m.Fit(context.Background(), x, FVBMConfig{Method: FVBMExact, Epochs: 600, LR: 0.5}, func(e FVBMEpoch) error {
		if e.LogLik < prev-1e-12 {
			t.Errorf("epoch %d: log-likelihood fell from %.10f to %.10f", e.Epoch, prev, e.LogLik)
		}
		prev = e.LogLik
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seB, seW := fisherSE(truth, n)
	worst := 0.0
	for i := 0; i < 6; i++ {
		worst = math.Max(worst, math.Abs(m.B[i]-truth.B[i])/seB[i])
		for j := i + 1; j < 6; j++ {
			worst = math.Max(worst, math.Abs(m.W.At(i, j)-truth.W.At(i, j))/seW.At(i, j))
		}
	}
	t.Logf("exact-gradient FVBM: final train LL %.5f; largest parameter error %.2f SE", prev, worst)
	if worst > 4.5 {
		t.Errorf("a recovered parameter is %.2f standard errors from the truth", worst)
	}
	// Pseudo-likelihood and PCD training on the same data reach a held-out
	// log-likelihood close to the exact fit's (both are consistent estimators).
	test, _ := truth.ExactSample(n, 9)
	llExact, _, _ := m.ExactLogLik(test)
	llTrue, _, _ := truth.ExactLogLik(test)
	for _, c := range []FVBMConfig{
		{Method: FVBMPseudo, Epochs: 30, BatchSize: 100, LR: 0.2},
		{Method: FVBMPCD, Epochs: 30, BatchSize: 100, LR: 0.05, Chains: 200, Seed: 1},
	} {
		mm, _ := NewFVBM(6)
		if err := mm.Fit(context.Background(), x, c, nil); err != nil {
			t.Fatal(err)
		}
		ll, _, _ := mm.ExactLogLik(test)
		t.Logf("%v: held-out LL %.4f (exact-gradient fit %.4f, true model %.4f)", c.Method, ll, llExact, llTrue)
		if ll < llTrue-0.02 {
			t.Errorf("%v: held-out LL %.4f more than 0.02 below the true model's %.4f", c.Method, ll, llTrue)
		}
	}
}
