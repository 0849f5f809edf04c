package rbm

import (
	"context"
	"math"
	"testing"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// randomBinary returns n rows of d fair coin flips.
func randomBinary(n, d int, seed uint64) *tensor.Dense[float64] {
	rng := newRand(seed)
	x := tensor.New[float64](n, d)
	for i := range x.Data {
		x.Data[i] = float64(rng.IntN(2))
	}
	return x
}

// bruteFlip returns the mean over rows of Σⱼ φ(E(x) − E(flipⱼ x)) from
// FVBM.Energy on explicitly flipped copies.
func bruteFlip(m *FVBM, x *tensor.Dense[float64], mpf bool) float64 {
	d := m.Dim()
	e := make([]float64, 1)
	total := 0.0
	for n := 0; n < x.Rows; n++ {
		row := tensor.New[float64](1, d)
		copy(row.Data, x.Row(n))
		m.Energy(row, e)
		e0 := e[0]
		for j := 0; j < d; j++ {
			row.Data[j] = 1 - row.Data[j]
			m.Energy(row, e)
			row.Data[j] = 1 - row.Data[j]
			if mpf {
				total += math.Exp(0.5 * (e0 - e[0]))
			} else {
				total += math.Log1p(math.Exp(e0 - e[0]))
			}
		}
	}
	return total / float64(x.Rows)
}

func TestFVBMFlipObjectivesBruteForce(t *testing.T) {
	const d = 6
	m := randomFVBM(t, d, 0.7, 3)
	x := randomBinary(40, d, 4)
	for _, mpf := range []bool{true, false} {
		obj := m.NegPLObjective
		if mpf {
			obj = m.MPFObjective
		}
		v, gB, gW, err := obj(x)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteFlip(m, x, mpf); !near(v, want, 1e-12*math.Max(1, want)) {
			t.Errorf("mpf=%v: objective %.15g, brute force %.15g", mpf, v, want)
		}
		if !mpf {
			pl, err := m.PseudoLogLik(x)
			if err != nil {
				t.Fatal(err)
			}
			if want := -meanOf(pl); !near(v, want, 1e-12) {
				t.Errorf("−PL %.15g, from PseudoLogLik %.15g", v, want)
			}
		}
		// Central finite differences of the brute-force objective.
		const h = 1e-5
		for i := 0; i < d; i++ {
			old := m.B[i]
			m.B[i] = old + h
			up := bruteFlip(m, x, mpf)
			m.B[i] = old - h
			dn := bruteFlip(m, x, mpf)
			m.B[i] = old
			if fd := (up - dn) / (2 * h); !near(gB[i], fd, 1e-7*math.Max(1, math.Abs(fd))) {
				t.Errorf("mpf=%v: ∂/∂b[%d] = %.10g, finite difference %.10g", mpf, i, gB[i], fd)
			}
			for j := 0; j < d; j++ {
				if j == i {
					if gW.At(i, i) != 0 {
						t.Errorf("diagonal gradient %g", gW.At(i, i))
					}
					continue
				}
				old := m.W.At(i, j)
				set := func(w float64) { m.W.Set(i, j, w); m.W.Set(j, i, w) }
				set(old + h)
				up := bruteFlip(m, x, mpf)
				set(old - h)
				dn := bruteFlip(m, x, mpf)
				set(old)
				if fd := (up - dn) / (2 * h); !near(gW.At(i, j), fd, 1e-7*math.Max(1, math.Abs(fd))) {
					t.Errorf("mpf=%v: ∂/∂θ[%d,%d] = %.10g, finite difference %.10g", mpf, i, j, gW.At(i, j), fd)
				}
			}
		}
	}
}

// TestFVBMMPFConsistentExact: the population MPF gradient, Σₓ p(x)∇K_x, is zero
// at the parameters of the model p, exactly (the probability flowing out of
// every state balances the flow into it).
func TestFVBMMPFConsistentExact(t *testing.T) {
	const d = 7
	m := randomFVBM(t, d, 0.8, 11)
	logZ, err := m.ExactLogZ()
	if err != nil {
		t.Fatal(err)
	}
	for _, phi := range []flipLoss{mpfLoss, plLoss} {
		gB, gW := make([]float64, d), tensor.New[float64](d, d)
		row := tensor.New[float64](1, d)
		m.enumerate(func(x []float64, negE float64) {
			copy(row.Data, x)
			m.fvbmFlip(row, phi, math.Exp(negE-logZ), gB, gW)
		})
		for i, g := range gB {
			if math.Abs(g) > 1e-12 {
				t.Errorf("population gradient ∂/∂b[%d] = %g at the truth", i, g)
			}
		}
		for i, g := range gW.Data {
			if math.Abs(g) > 1e-12 {
				t.Errorf("population gradient ∂/∂θ[%d] = %g at the truth", i, g)
			}
		}
	}
	// A perturbed model has a nonzero population gradient under the data of
	// the true one (the test can fail).
	pert := &FVBM{W: m.W.Clone(), B: append([]float64(nil), m.B...)}
	pert.W.Set(0, 1, m.W.At(0, 1)+0.3)
	pert.W.Set(1, 0, pert.W.At(0, 1))
	gB, gW := make([]float64, d), tensor.New[float64](d, d)
	row := tensor.New[float64](1, d)
	m.enumerate(func(x []float64, negE float64) {
		copy(row.Data, x)
		pert.fvbmFlip(row, mpfLoss, math.Exp(negE-logZ), gB, gW)
	})
	if math.Abs(gW.At(0, 1)) < 1e-3 {
		t.Errorf("perturbed coupling: population gradient %g", gW.At(0, 1))
	}
}

// TestFVBMMPFConsistentSampled: on exact samples of a small FVBM, the MPF and
// PL estimates approach the truth: the coupling error shrinks like n^(−1/2),
// so 16× the data should at least halve it (the expected factor is 4).
func TestFVBMMPFConsistentSampled(t *testing.T) {
	const d = 6
	truth := randomFVBM(t, d, 0.6, 21)
	big, err := truth.ExactSample(32000, 5)
	if err != nil {
		t.Fatal(err)
	}
	small := &tensor.Dense[float64]{Rows: 2000, Cols: d, Data: big.Data[:2000*d]}
	for _, method := range []FVBMMethod{FVBMMPF, FVBMPseudo} {
		var errs []float64
		for _, x := range []*tensor.Dense[float64]{small, big} {
			m, _ := NewFVBM(d)
			cfg := FVBMConfig{Method: method, Epochs: 40, BatchSize: x.Rows / 20, LR: 0.5, Momentum: 0.5, Seed: 1}
			if err := m.Fit(context.Background(), x, cfg, nil); err != nil {
				t.Fatal(err)
			}
			e, err := CouplingRMSE(m, truth)
			if err != nil {
				t.Fatal(err)
			}
			errs = append(errs, e)
		}
		t.Logf("%v: coupling RMSE %.4f at n = 2000, %.4f at n = 32000", method, errs[0], errs[1])
		if !(errs[1] < errs[0]/2) || errs[1] > 0.05 {
			t.Errorf("%v: coupling RMSE %.4f at n = 2000, %.4f at n = 32000", method, errs[0], errs[1])
		}
	}
}

// TestNaiveMeanFieldOrder: from the exact moments, naive mean field is exact
// at zero coupling and its coupling error is of second order in the coupling
// strength in the weak-coupling regime (Kappen and Rodríguez 1998; the TAP
// correction is −2Jᵢⱼ²mᵢmⱼ), so doubling small couplings multiplies it by
// about 4.
func TestNaiveMeanFieldOrder(t *testing.T) {
	const d = 6
	var errs []float64
	for _, scale := range []float64{0, 0.01, 0.02} {
		truth := randomFVBM(t, d, 1, 8)
		for i := range truth.W.Data {
			truth.W.Data[i] *= scale
		}
		mean, second, err := truth.ExactMoments()
		if err != nil {
			t.Fatal(err)
		}
		cov := mat.NewSymDense(d, nil)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				cov.SetSym(i, j, second.At(i, j)-mean[i]*mean[j])
			}
		}
		m, err := meanField(mean, cov)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := CouplingRMSE(m, truth)
		errs = append(errs, e)
	}
	if errs[0] > 1e-12 || !(errs[2]/errs[1] > 3 && errs[2]/errs[1] < 5) {
		t.Errorf("mean-field coupling RMSE at scale 0, 0.1, 0.2: %.3g %.3g %.3g", errs[0], errs[1], errs[2])
	}
}

func TestNaiveMeanFieldErrors(t *testing.T) {
	x := randomBinary(50, 4, 1)
	for i := 0; i < x.Rows; i++ {
		x.Set(i, 2, 1)
	}
	if _, err := NaiveMeanField(x); err == nil {
		t.Error("constant unit accepted")
	}
	x.Set(0, 2, 0.5)
	if _, err := NaiveMeanField(x); err == nil {
		t.Error("non-binary data accepted")
	}
}

// params64Flip returns the RBM objective from free energies of explicitly
// flipped copies.
func bruteRBMFlip(p *params64, x *tensor.Dense[float32], mpf bool) float64 {
	f := p.freeEnergy64(x, nil)
	total := 0.0
	fl := x.Clone()
	for i := 0; i < x.Cols; i++ {
		for n := 0; n < x.Rows; n++ {
			fl.Set(n, i, 1-x.At(n, i))
		}
		ff := p.freeEnergy64(fl, nil)
		for n := range f {
			if mpf {
				total += math.Exp(0.5 * (f[n] - ff[n]))
			} else {
				total -= logSigmoid(ff[n] - f[n])
			}
		}
		for n := 0; n < x.Rows; n++ {
			fl.Set(n, i, x.At(n, i))
		}
	}
	return total / float64(x.Rows)
}

func TestRBMFlipObjectivesBruteForce(t *testing.T) {
	r := randomRBM(t, Bernoulli, 5, 4, 0.8, 2)
	x := allStates(5)
	for _, mpf := range []bool{true, false} {
		v, gW, gB, gC, err := r.FlipObjective(x, mpf)
		if err != nil {
			t.Fatal(err)
		}
		p := r.params64()
		if want := bruteRBMFlip(p, x, mpf); !near(v, want, 1e-12*math.Max(1, want)) {
			t.Errorf("mpf=%v: %.15g, brute force %.15g", mpf, v, want)
		}
		if !mpf {
			pl, _ := r.PseudoLogLik(x)
			if !near(v, -meanOf(pl), 1e-10) {
				t.Errorf("−PL %.15g, PseudoLogLik %.15g", v, -meanOf(pl))
			}
		}
		const h = 1e-5
		check := func(name string, ptr *float64, got float64) {
			old := *ptr
			*ptr = old + h
			up := bruteRBMFlip(p, x, mpf)
			*ptr = old - h
			dn := bruteRBMFlip(p, x, mpf)
			*ptr = old
			if fd := (up - dn) / (2 * h); !near(got, fd, 1e-7*math.Max(1, math.Abs(fd))) {
				t.Errorf("mpf=%v: %s: %.10g, finite difference %.10g", mpf, name, got, fd)
			}
		}
		for i := range p.b {
			check("b", &p.b[i], gB[i])
		}
		for j := range p.c {
			check("c", &p.c[j], gC[j])
		}
		for k := range p.w.Data {
			check("W", &p.w.Data[k], gW.Data[k])
		}
	}
}

// TestRBMFitMPFPL: MPF and PL training of a 6×4 RBM on exact samples of a
// known RBM raise the exact test log-likelihood from the initial model's
// towards the true model's.
func TestRBMFitMPFPL(t *testing.T) {
	truth := randomRBM(t, Bernoulli, 6, 4, 1.5, 9)
	xs, err := truth.ExactSample(4000, 1)
	if err != nil {
		t.Skip("no exact sampler:", err)
	}
	train := &tensor.Dense[float32]{Rows: 3000, Cols: 6, Data: xs.Data[:3000*6]}
	test := &tensor.Dense[float32]{Rows: 1000, Cols: 6, Data: xs.Data[3000*6:]}
	llTrue, _, _ := truth.ExactLogLik(test)
	for _, method := range []Method{MPF, PL} {
		r, _ := New(Bernoulli, 6, 4, 3)
		ll0, _, _ := r.ExactLogLik(test)
		res, err := r.Fit(context.Background(), train, Config{Method: method, Epochs: 30, BatchSize: 50, LR: 0.1, Momentum: 0.5, Seed: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ll, _, _ := r.ExactLogLik(test)
		t.Logf("%v: test LL %.4f → %.4f (truth %.4f) in %d epochs", method, ll0, ll, llTrue, res.Epochs)
		if !(ll > ll0+0.5*(llTrue-ll0)) {
			t.Errorf("%v: test LL %.4f → %.4f (truth %.4f)", method, ll0, ll, llTrue)
		}
	}
	g, _ := New(Gaussian, 6, 4, 1)
	if _, err := g.Fit(context.Background(), train, Config{Method: MPF}, nil); err == nil {
		t.Error("MPF on Gaussian units accepted")
	}
}
