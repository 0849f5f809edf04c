package train

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// Closed forms for one coordinate: data N(μ, s²), model N(m, v), v = e^(−loga).
func klGauss(mu, s2, m, v float64) float64 {
	return 0.5 * (math.Log(v/s2) + (s2+(mu-m)*(mu-m))/v - 1)
}

// klcClosed is D(p‖q) − D(Φp‖Φq) for Gaussian smoothing of width sigma.
func klcClosed(mu, s2, m, loga, sigma float64) float64 {
	v := math.Exp(-loga)
	return klGauss(mu, s2, m, v) - klGauss(mu, s2+sigma*sigma, m, v+sigma*sigma)
}

// klcClosedGrad is the gradient of klcClosed in (m, loga) by central
// differences of the closed form.
func klcClosedGrad(mu, s2, m, loga, sigma float64) [2]float64 {
	const h = 1e-5
	return [2]float64{
		(klcClosed(mu, s2, m+h, loga, sigma) - klcClosed(mu, s2, m-h, loga, sigma)) / (2 * h),
		(klcClosed(mu, s2, m, loga+h, sigma) - klcClosed(mu, s2, m, loga-h, sigma)) / (2 * h)}
}

// smGrad is the gradient of the population score matching objective
// E[½a²(x−m)² − a] in (m, loga).
func smGrad(mu, s2, m, loga float64) [2]float64 {
	a := math.Exp(loga)
	return [2]float64{-a * a * (mu - m), a*a*(s2+(mu-m)*(mu-m)) - a}
}

// estGrad returns the parameter gradient of est's loss on x for the 1-D quad
// model at (m, loga).
func estGrad(t *testing.T, est Estimator[float64], m, loga float64, x *tensor.Dense[float64], seed uint64) [2]float64 {
	t.Helper()
	q := newQuadOf[float64](1)
	q.m.Value.Data[0], q.loga.Value.Data[0] = m, loga
	l, _, err := est.Loss(autodiff.NewTape[float64](), q, x, rand.New(rand.NewPCG(seed, 9)))
	if err != nil {
		t.Fatal(err)
	}
	autodiff.Backward(l, q.Params())
	return [2]float64{q.m.Grad.Data[0], q.loga.Grad.Data[0]}
}

// batchMeanSE returns the mean and standard error of per-batch values.
func batchMeanSE(v [][2]float64) (mean, se [2]float64) {
	n := float64(len(v))
	for k := 0; k < 2; k++ {
		var s, ss float64
		for _, x := range v {
			s += x[k]
		}
		mean[k] = s / n
		for _, x := range v {
			ss += (x[k] - mean[k]) * (x[k] - mean[k])
		}
		se[k] = math.Sqrt(ss / (n - 1) / n)
	}
	return
}

// The KLC gradient is the gradient of the closed-form KL contraction between
// two Gaussians (the posterior drawn by a well-mixed MALA chain), and at small
// σ it is σ² times the score matching gradient, up to the O(σ⁴) remainder
// that the closed form gives. Tolerance: 4 standard errors of the mean over
// independent batches.
func TestKLCGradientClosedFormAndSMLimit(t *testing.T) {
	const mu, s2, m, loga = 0.3, 1.44, -0.2, 0.5 // model N(−0.2, e^−0.5) vs data N(0.3, 1.2²)
	const batches, n = 20, 4000
	data := func(b int) *tensor.Dense[float64] {
		x := tensor.New[float64](n, 1)
		rng := rand.New(rand.NewPCG(uint64(b), 77))
		for i := range x.Data {
			x.Data[i] = mu + math.Sqrt(s2)*rng.NormFloat64()
		}
		return x
	}
	for _, sigma := range []float64{0.5, 0.2} {
		est := &KLC[float64]{Channel: GaussianSmoothing{sigma}, Sampler: NegSampler{Kind: "mala", Step: 0.3 * sigma * sigma, Steps: 60}}
		var kl, diff [][2]float64
		for b := 0; b < batches; b++ {
			x := data(b)
			g := estGrad(t, est, m, loga, x, uint64(b))
			kl = append(kl, g)
			sm := estGrad(t, &ExactSM[float64]{}, m, loga, x, 0)
			s2i := sigma * sigma
			diff = append(diff, [2]float64{g[0]/s2i - sm[0], g[1]/s2i - sm[1]})
		}
		got, se := batchMeanSE(kl)
		want := klcClosedGrad(mu, s2, m, loga, sigma)
		for k := 0; k < 2; k++ {
			if math.Abs(got[k]-want[k]) > 4*se[k] {
				t.Errorf("σ=%v parameter %d: KLC gradient %.5f, closed form %.5f (4 SE = %.5f)", sigma, k, got[k], want[k], 4*se[k])
			}
		}
		if sigma == 0.2 {
			dm, dse := batchMeanSE(diff)
			smp := smGrad(mu, s2, m, loga)
			for k := 0; k < 2; k++ {
				bias := want[k]/(sigma*sigma) - smp[k] // the O(σ²) remainder, exact
				t.Logf("σ=%v parameter %d: KLC/σ² − SM = %.4f ± %.4f, closed-form remainder %.4f, SM gradient %.4f", sigma, k, dm[k], dse[k], bias, smp[k])
				if math.Abs(dm[k]-bias) > 4*dse[k] {
					t.Errorf("σ=%v parameter %d: KLC/σ² − SM gradient %.4f, closed form %.4f (4 SE = %.4f)", sigma, k, dm[k], bias, 4*dse[k])
				}
				if math.Abs(bias) > 0.15*math.Abs(smp[k]) {
					t.Errorf("closed-form remainder %.4f not small against the SM gradient %.4f", bias, smp[k])
				}
			}
		}
	}
}

// The closed form itself: KLC(σ)/σ² → ½ Fisher divergence with an O(σ²)
// remainder (de Bruijn's identity).
func TestKLCClosedFormLimit(t *testing.T) {
	const mu, s2, m, loga = 0.3, 1.44, -0.2, 0.5
	a := math.Exp(loga)
	// J = E_p(s_p − s_q)², s_p = −(x−μ)/s², s_q = −a(x−m)
	// = E[((a − 1/s²)(x−μ) + a(μ−m))²] = (a − 1/s²)² s² + a²(μ−m)²
	j := (a-1/s2)*(a-1/s2)*s2 + a*a*(mu-m)*(mu-m)
	prev := math.Inf(1)
	for _, sigma := range []float64{0.2, 0.1, 0.05, 0.025} {
		r := math.Abs(klcClosed(mu, s2, m, loga, sigma)/(sigma*sigma) - j/2)
		if r > prev/3 { // O(σ²): halving σ should divide the remainder by about 4
			t.Errorf("σ=%v: remainder %.3g did not shrink as σ² (previous %.3g)", sigma, r, prev)
		}
		prev = r
	}
}

// KLC training recovers a Gaussian's mean and variance (the minimizer of a KL
// contraction is the data distribution); tolerances as in
// TestEstimatorsRecoverGaussian.
func TestKLCRecoversGaussian(t *testing.T) {
	mu := []float64{1, -0.5}
	sd := []float64{0.7, 1.5}
	q := newQuad(2)
	sig := 0.3
	est := &KLC[float32]{Channel: GaussianSmoothing{sig}, Sampler: NegSampler{Kind: "mala", Step: 0.3 * sig * sig, Steps: 10}}
	iters := 800
	tr := &Trainer{Model: q, Estimator: est, Data: &gaussData{mu, sd, 5},
		Config: Config{Iters: iters, Batch: 256, LR: 0.05, Seed: 3,
			Schedule: cosineSchedule{base: 0.05, min: 1e-4, total: iters}}}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	for j := range mu {
		m := float64(q.m.Value.Data[j])
		v := 1 / math.Exp(float64(q.loga.Value.Data[j]))
		t.Logf("coordinate %d: mean %.4f (want %.4f), variance %.4f (want %.4f)", j, m, mu[j], v, sd[j]*sd[j])
		if want := sd[j] * sd[j]; math.Abs(m-mu[j]) > 0.06 || math.Abs(v/want-1) > 0.06 {
			t.Errorf("coordinate %d: mean %.4f (want %.4f), variance %.4f (want %.4f)", j, m, mu[j], v, want)
		}
	}
}

func TestKLCErrors(t *testing.T) {
	q := newQuadOf[float64](1)
	x := tensor.New[float64](4, 1)
	for _, est := range []*KLC[float64]{
		{},
		{Channel: GaussianSmoothing{0}, Sampler: NegSampler{Kind: "mala", Step: 0.1, Steps: 1}},
		{Channel: GaussianSmoothing{0.1}, Sampler: NegSampler{Kind: "mala", Step: 0, Steps: 1}},
		{Channel: GaussianSmoothing{0.1}, Sampler: NegSampler{Kind: "mala", Step: 0.1, Steps: 1}, Start: "x"},
	} {
		if _, _, err := est.Loss(autodiff.NewTape[float64](), q, x, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("%+v: no error", est)
		}
	}
	var _ energy.GradEnergy = GaussianSmoothing{1}.Posterior(q, x)
}
