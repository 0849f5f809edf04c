package rbm

import (
	"context"
	"math"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

// setCoupling sets θₖₗ = Wₖₗ = Wₗₖ.
func setCoupling(m *FVBM, k, l int, v float64) {
	m.W.Set(k, l, v)
	m.W.Set(l, k, v)
}

// fdCheck compares the gradient (gB, gW) of f at m with central differences
// of step h, to the tolerance tol (absolute plus relative).
func fdCheck(t *testing.T, what string, m *FVBM, f func(*FVBM) float64, gB []float64, gW *tensor.Dense[float64], h, tol float64) {
	t.Helper()
	d := m.Dim()
	check := func(name string, got float64, set func(float64), at float64) {
		set(at + h)
		fp := f(m)
		set(at - h)
		fm := f(m)
		set(at)
		fd := (fp - fm) / (2 * h)
		if math.Abs(fd-got) > tol*(1+math.Abs(fd)) {
			t.Errorf("%s: %s = %.10g, finite difference %.10g", what, name, got, fd)
		}
	}
	for j := 0; j < d; j++ {
		check("∂/∂b", gB[j], func(v float64) { m.B[j] = v }, m.B[j])
		for l := j + 1; l < d; l++ {
			k, ll := j, l
			check("∂/∂θ", gW.At(k, ll), func(v float64) { setCoupling(m, k, ll, v) }, m.W.At(k, ll))
			if gW.At(k, ll) != gW.At(ll, k) {
				t.Errorf("%s: gW not symmetric at (%d,%d)", what, k, ll)
			}
		}
	}
}

// bruteKLC is D(p‖q) − D(Φp‖Φq) from the definitions: q by normalizing
// exp(−E), Φ as the 2^d×2^d matrix of flip probabilities.
func bruteKLC(m *FVBM, p []float64, eps float64) float64 {
	d := m.Dim()
	negE := bruteFVBM(m)
	n := len(negE)
	z := 0.0
	for _, v := range negE {
		z += math.Exp(v)
	}
	q := make([]float64, n)
	for s, v := range negE {
		q[s] = math.Exp(v) / z
	}
	kl := func(a, b []float64) float64 {
		s := 0.0
		for i := range a {
			if a[i] > 0 {
				s += a[i] * math.Log(a[i]/b[i])
			}
		}
		return s
	}
	phi := func(a []float64) []float64 {
		out := make([]float64, n)
		for y := range out {
			for x := range a {
				t := 1.0
				for j := 0; j < d; j++ {
					if (x>>j)&1 != (y>>j)&1 {
						t *= eps
					} else {
						t *= 1 - eps
					}
				}
				out[y] += t * a[x]
			}
		}
		return out
	}
	return kl(p, q) - kl(phi(p), phi(q))
}

// TestKLCObjectiveExact (a): the exact objective equals the brute-force
// D(p‖q) − D(Φp‖Φq) and its exact gradient (posterior by enumeration) equals
// central finite differences, for empirical data (with zeros) and for a
// positive p; the objective is ≥ 0 and 0 at q = p.
func TestKLCObjectiveExact(t *testing.T) {
	const d = 5
	m := randomFVBM(t, d, 0.7, 3)
	emp, err := StateDistribution(randomBinary(40, d, 4))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := randomFVBM(t, d, 0.7, 5).StateProbs()
	for _, eps := range []float64{0.05, 0.2, 0.45} {
		for name, p := range map[string][]float64{"empirical": emp, "model": other} {
			v, gB, gW, err := m.KLCObjective(p, eps)
			if err != nil {
				t.Fatal(err)
			}
			if b := bruteKLC(m, p, eps); math.Abs(v-b) > 1e-10 || v < 0 {
				t.Errorf("eps %g %s: KLC %.12g, brute force %.12g", eps, name, v, b)
			}
			f := func(mm *FVBM) float64 { v, _, _, _ := mm.KLCObjective(p, eps); return v }
			fdCheck(t, name, m, f, gB, gW, 1e-5, 1e-7)
		}
	}
	own, _ := m.StateProbs()
	v, _, _, _ := m.KLCObjective(own, 0.1)
	if math.Abs(v) > 1e-12 {
		t.Errorf("KLC(q‖q) = %g", v)
	}
	if _, _, _, err := m.KLCObjective(own, 0.5); err == nil {
		t.Error("eps = 0.5 accepted")
	}
	if _, _, _, err := m.KLCObjective(own[:4], 0.1); err == nil {
		t.Error("a distribution of the wrong length accepted")
	}
}

// chainGradient is the exact mean of KLCGradient with k sweeps: the data
// moments minus the moments of the k-sweep posterior Gibbs chain started at y,
// (or at the clean x when clean is set), averaged over x ∼ p, y ∼ T(·|x), with
// the chain's law propagated exactly over the 2^d states (one site update at a
// time; the update is linear, so the unnormalized start law is propagated).
func chainGradient(m *FVBM, p []float64, eps float64, k int, clean bool) ([]float64, *tensor.Dense[float64]) {
	d := m.Dim()
	n := 1 << d
	l := math.Log((1 - eps) / eps)
	mB, mW := make([]float64, d), tensor.New[float64](d, d)
	add := func(s int, w float64) {
		for i := 0; i < d; i++ {
			if s>>i&1 == 0 {
				continue
			}
			mB[i] += w
			for j := 0; j < d; j++ {
				if s>>j&1 == 1 {
					mW.Set(i, j, mW.At(i, j)+w)
				}
			}
		}
	}
	for x, px := range p {
		add(x, px)
	}
	for y := 0; y < n; y++ {
		law := make([]float64, n)
		for x, px := range p {
			t := 1.0
			for j := 0; j < d; j++ {
				if (x^y)>>j&1 == 1 {
					t *= eps
				} else {
					t *= 1 - eps
				}
			}
			if clean {
				law[x] += t * px
			} else {
				law[y] += t * px
			}
		}
		for s := 0; s < k; s++ {
			for i := 0; i < d; i++ {
				next := make([]float64, n)
				for x, w := range law {
					if w == 0 {
						continue
					}
					a := m.B[i] + l*float64(2*(y>>i&1)-1)
					for j := 0; j < d; j++ {
						a += 2 * m.W.At(i, j) * float64(x>>j&1)
					}
					p1 := 1 / (1 + math.Exp(-a))
					next[x|1<<i] += w * p1
					next[x&^(1<<i)] += w * (1 - p1)
				}
				law = next
			}
		}
		for x, w := range law {
			add(x, -w)
		}
	}
	gB, gW := make([]float64, d), tensor.New[float64](d, d)
	for i := 0; i < d; i++ {
		gB[i] = -mB[i]
		for j := 0; j < d; j++ {
			if i != j {
				gW.Set(i, j, -2*mW.At(i, j))
			}
		}
	}
	return gB, gW
}

// TestKLCGradientEstimator (b): the mean of the stochastic estimator over R
// independent draws on fixed data equals the exact mean of its k-sweep chain
// within 4 standard errors per coordinate, and that k-sweep mean converges to
// the exact gradient of KLCObjective as k grows (at k = 40 the bias is below
// 1e−8, far below the standard errors). From a clean start the k-sweep mean
// is exactly zero at q = p for every k.
func TestKLCGradientEstimator(t *testing.T) {
	const d, eps = 4, 0.15
	m := randomFVBM(t, d, 0.6, 31)
	x := randomBinary(25, d, 32)
	p, _ := StateDistribution(x)
	_, eB, eW, err := m.KLCObjective(p, eps)
	if err != nil {
		t.Fatal(err)
	}
	own, _ := m.StateProbs()
	for _, k := range []int{1, 3} {
		cB, cW := chainGradient(m, own, eps, k, true)
		for _, g := range append(cB, cW.Data...) {
			if math.Abs(g) > 1e-12 {
				t.Errorf("clean start, k = %d: population mean %g at q = p", k, g)
			}
		}
		if nB, _ := chainGradient(m, own, eps, k, false); math.Abs(nB[0]) < 1e-6 && math.Abs(nB[1]) < 1e-6 {
			t.Errorf("noisy start, k = %d: no bias at q = p (the check cannot tell the starts apart)", k)
		}
	}
	prevBias := math.Inf(1)
	for _, k := range []int{1, 5, 40} {
		cB, cW := chainGradient(m, p, eps, k, false)
		bias := 0.0
		for i := range cB {
			bias = math.Max(bias, math.Abs(cB[i]-eB[i]))
		}
		for i := range cW.Data {
			bias = math.Max(bias, math.Abs(cW.Data[i]-eW.Data[i]))
		}
		t.Logf("k = %d: largest |E[estimator] − ∇KLC| = %.3g", k, bias)
		if bias > prevBias {
			t.Errorf("k = %d: bias %.3g grew from %.3g", k, bias, prevBias)
		}
		prevBias = bias
		if k == 40 && bias > 1e-8 {
			t.Errorf("k = 40: bias %.3g", bias)
		}
	}
	for _, tc := range []struct {
		k     int
		clean bool
	}{{1, false}, {40, false}, {1, true}} {
		const reps = 3000
		k := tc.k
		cB, cW := chainGradient(m, p, eps, k, tc.clean)
		rng := newRand(uint64(33 + k))
		nc := d + d*d
		sum, sum2 := make([]float64, nc), make([]float64, nc)
		for r := 0; r < reps; r++ {
			gB, gW, err := m.KLCGradient(x, eps, k, tc.clean, rng)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range append(gB, gW.Data...) {
				sum[i] += v
				sum2[i] += v * v
			}
		}
		want := append(append([]float64(nil), cB...), cW.Data...)
		worst := 0.0
		for i := range sum {
			mean := sum[i] / reps
			se := math.Sqrt((sum2[i]/reps - mean*mean) / (reps - 1))
			if se == 0 { // the diagonal of gW
				if mean != 0 || want[i] != 0 {
					t.Errorf("k = %d coordinate %d: mean %g, want %g, no variance", k, i, mean, want[i])
				}
				continue
			}
			z := math.Abs(mean-want[i]) / se
			worst = math.Max(worst, z)
		}
		t.Logf("k = %d, clean start %v: largest deviation of the estimator's mean %.2f SE", k, tc.clean, worst)
		if worst > 4 {
			t.Errorf("k = %d: the estimator's mean is %.2f SE from its exact expectation", k, worst)
		}
	}
}

// TestKLCConsistent (c): with the data the model's own distribution the
// population KLC gradient is zero (and the objective 0) at the truth, not
// elsewhere; training by FVBMKLC on exact samples approaches the truth: the
// coupling error at n = 32000 is at most half that at n = 2000 (the
// n^(−1/2) rate predicts a quarter) and below 0.05.
func TestKLCConsistent(t *testing.T) {
	const d = 6
	truth := randomFVBM(t, d, 0.6, 21)
	p, _ := truth.StateProbs()
	for _, eps := range []float64{0.02, 0.1, 0.3} {
		v, gB, gW, err := truth.KLCObjective(p, eps)
		if err != nil {
			t.Fatal(err)
		}
		worst := math.Abs(v)
		for _, g := range append(gB, gW.Data...) {
			worst = math.Max(worst, math.Abs(g))
		}
		if worst > 1e-12 {
			t.Errorf("eps %g: population KLC or gradient %g at the truth", eps, worst)
		}
	}
	pert := &FVBM{W: truth.W.Clone(), B: append([]float64(nil), truth.B...)}
	setCoupling(pert, 0, 1, truth.W.At(0, 1)+0.3)
	if _, _, gW, _ := pert.KLCObjective(p, 0.1); math.Abs(gW.At(0, 1)) < 1e-3 {
		t.Errorf("perturbed coupling: population gradient %g", gW.At(0, 1))
	}
	if testing.Short() {
		t.Skip("training run skipped in -short")
	}
	big, err := truth.ExactSample(32000, 5)
	if err != nil {
		t.Fatal(err)
	}
	small := &tensor.Dense[float64]{Rows: 2000, Cols: d, Data: big.Data[:2000*d]}
	for _, clean := range []bool{false, true} {
		var errs []float64
		for _, x := range []*tensor.Dense[float64]{small, big} {
			m, _ := NewFVBM(d)
			cfg := FVBMConfig{Method: FVBMKLC, Eps: 0.2, K: 2, StartClean: clean, Epochs: 40, BatchSize: x.Rows / 20, LR: 0.5, Momentum: 0.5, Seed: 1}
			if err := m.Fit(context.Background(), x, cfg, nil); err != nil {
				t.Fatal(err)
			}
			e, err := CouplingRMSE(m, truth)
			if err != nil {
				t.Fatal(err)
			}
			errs = append(errs, e)
		}
		t.Logf("klc (clean start %v): coupling RMSE %.4f at n = 2000, %.4f at n = 32000", clean, errs[0], errs[1])
		if !(errs[1] < errs[0]/2) || errs[1] > 0.05 {
			t.Errorf("klc (clean start %v): coupling RMSE %.4f at n = 2000, %.4f at n = 32000", clean, errs[0], errs[1])
		}
	}
}

// TestKLCSmallEpsLimit (d): KLC_ε/ε → E_p Σⱼ [e^{δⱼ} − 1 + δⱼ − δⱼ*] with an
// O(ε) error (halving ε about halves the error of the value and of the
// gradient); the limit's gradient equals finite differences and, on data rows,
// the gradient of KLCLimitObjective; at the truth the population gradients of
// the limit, MPF and PL all vanish, and all three are convex in θ, so their
// minimizers coincide.
func TestKLCSmallEpsLimit(t *testing.T) {
	const d = 5
	m := randomFVBM(t, d, 0.6, 41)
	p, _ := randomFVBM(t, d, 0.6, 42).StateProbs()
	lim, lB, lW, err := m.KLCSmallEpsLimit(p)
	if err != nil {
		t.Fatal(err)
	}
	f := func(mm *FVBM) float64 { v, _, _, _ := mm.KLCSmallEpsLimit(p); return v }
	fdCheck(t, "limit", m, f, lB, lW, 1e-5, 1e-7)
	var prevV, prevG float64
	for i, eps := range []float64{0.004, 0.002, 0.001, 0.0005} {
		v, gB, gW, err := m.KLCObjective(p, eps)
		if err != nil {
			t.Fatal(err)
		}
		ev := math.Abs(v/eps - lim)
		eg := 0.0
		for j := range gB {
			eg = math.Max(eg, math.Abs(gB[j]/eps-lB[j]))
		}
		for j := range gW.Data {
			eg = math.Max(eg, math.Abs(gW.Data[j]/eps-lW.Data[j]))
		}
		t.Logf("eps %g: |KLC/ε − limit| = %.3g (limit %.5g), gradient error %.3g", eps, ev, lim, eg)
		if i > 0 {
			// O(ε): the ratio of successive errors tends to 2.
			if r := prevV / ev; r < 1.8 || r > 2.2 {
				t.Errorf("eps %g: value error ratio %.3f, want ≈ 2", eps, r)
			}
			if r := prevG / eg; r < 1.8 || r > 2.2 {
				t.Errorf("eps %g: gradient error ratio %.3f, want ≈ 2", eps, r)
			}
		}
		prevV, prevG = ev, eg
	}
	// On data rows, KLCLimitObjective is the θ part of the limit.
	x := randomBinary(30, d, 43)
	emp, _ := StateDistribution(x)
	_, rB, rW, err := m.KLCLimitObjective(x)
	if err != nil {
		t.Fatal(err)
	}
	_, pB, pW, _ := m.flipPopulation(emp, klcLimitLoss)
	for j := range rB {
		if math.Abs(rB[j]-pB[j]) > 1e-12 {
			t.Errorf("∂/∂b[%d]: rows %g, population %g", j, rB[j], pB[j])
		}
	}
	for j := range rW.Data {
		if math.Abs(rW.Data[j]-pW.Data[j]) > 1e-12 {
			t.Errorf("∂/∂θ[%d]: rows %g, population %g", j, rW.Data[j], pW.Data[j])
		}
	}
	// Consistency: at the truth all three single-flip objectives are stationary.
	own, _ := m.StateProbs()
	for name, phi := range map[string]flipLoss{"klc limit": klcLimitLoss, "mpf": mpfLoss, "pl": plLoss} {
		_, gB, gW, err := m.flipPopulation(own, phi)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range append(gB, gW.Data...) {
			if math.Abs(g) > 1e-12 {
				t.Errorf("%s: population gradient %g at the truth", name, g)
			}
		}
	}
	if v, _, _, _ := m.KLCSmallEpsLimit(own); math.Abs(v) > 1e-12 {
		t.Errorf("limit at q = p: %g", v)
	}
}
