package restore

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/diag"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// testGMM is a 2-D mixture with full covariances, overlapping enough that
// its posteriors at σ = 0.5 are easy to sample.
func testGMM(t testing.TB) *energy.GMM {
	t.Helper()
	g, err := energy.NewGMM([]float64{0.5, 0.3, 0.2},
		[][]float64{{-1, 0}, {1, 0.5}, {0, 1.5}},
		[]*mat.SymDense{
			mat.NewSymDense(2, []float64{0.5, 0.2, 0.2, 0.4}),
			mat.NewSymDense(2, []float64{0.3, -0.1, -0.1, 0.6}),
			mat.NewSymDense(2, []float64{0.4, 0, 0, 0.2}),
		})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// gmmPosterior returns the exact posterior of x given y = x + σξ under the
// mixture g: a mixture with weights ∝ wₖN(y; μₖ, Σₖ + σ²I), means
// μₖ + Σₖ(Σₖ + σ²I)⁻¹(y − μₖ) and covariances Σₖ − Σₖ(Σₖ + σ²I)⁻¹Σₖ. It
// returns the posterior mean and covariance.
func gmmPosterior(g *energy.GMM, y []float64, sigma float64) ([]float64, *mat.SymDense) {
	d := g.Dim()
	K := g.NumComponents()
	w := g.Weights()
	logw := make([]float64, K)
	means := make([]*mat.VecDense, K)
	covs := make([]*mat.Dense, K)
	yv := mat.NewVecDense(d, append([]float64(nil), y...))
	for k := 0; k < K; k++ {
		c := g.Component(k)
		S := c.Cov()
		A := mat.NewSymDense(d, nil)
		A.CopySym(S)
		for i := 0; i < d; i++ {
			A.SetSym(i, i, A.At(i, i)+sigma*sigma)
		}
		var ch mat.Cholesky
		ch.Factorize(A)
		r := mat.NewVecDense(d, nil)
		r.SubVec(yv, mat.NewVecDense(d, c.Mean()))
		var sol mat.VecDense
		_ = ch.SolveVecTo(&sol, r)
		logw[k] = math.Log(w[k]) - 0.5*mat.Dot(r, &sol) - 0.5*ch.LogDet()
		m := mat.NewVecDense(d, nil)
		m.MulVec(S, &sol)
		m.AddVec(m, mat.NewVecDense(d, c.Mean()))
		means[k] = m
		var X mat.Dense
		_ = ch.SolveTo(&X, S) // (Σ+σ²I)⁻¹Σ
		var SX mat.Dense
		SX.Mul(S, &X)
		cv := mat.DenseCopyOf(S)
		cv.Sub(cv, &SX)
		covs[k] = cv
	}
	mx := logw[0]
	for _, v := range logw {
		mx = math.Max(mx, v)
	}
	tot := 0.0
	for k := range logw {
		logw[k] = math.Exp(logw[k] - mx)
		tot += logw[k]
	}
	mean := make([]float64, d)
	for k := range logw {
		logw[k] /= tot
		for j := range mean {
			mean[j] += logw[k] * means[k].AtVec(j)
		}
	}
	cov := mat.NewSymDense(d, nil)
	for k := range logw {
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				v := covs[k].At(i, j) + (means[k].AtVec(i)-mean[i])*(means[k].AtVec(j)-mean[j])
				cov.SetSym(i, j, cov.At(i, j)+logw[k]*v)
			}
		}
	}
	return mean, cov
}

// noisy draws n clean points of g and their observations at noise σ.
func noisy(g *energy.GMM, n int, sigma float64, seed uint64) (x, y *tensor.Dense[float64]) {
	rng := rand.New(rand.NewPCG(seed, 7))
	x = g.Sample(n, rng)
	y = x.Clone()
	for i := range y.Data {
		y.Data[i] += sigma * rng.NormFloat64()
	}
	return x, y
}

// Tweedie's formula with the exact smoothed mixture is the exact posterior
// mean, to rounding.
func TestTweedieExactPosteriorMean(t *testing.T) {
	g := testGMM(t)
	for _, sigma := range []float64{0.1, 0.5, 2} {
		_, y := noisy(g, 200, sigma, 1)
		got, err := Tweedie(g.Smoothed(sigma), y, sigma)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i := 0; i < y.Rows; i++ {
			want, _ := gmmPosterior(g, y.Row(i), sigma)
			for j := range want {
				worst = math.Max(worst, math.Abs(got.Row(i)[j]-want[j]))
			}
		}
		if worst > 1e-9 {
			t.Errorf("σ=%g: Tweedie differs from the exact posterior mean by up to %.3g", sigma, worst)
		}
	}
}

// drawsOf returns, for observation i of m, coordinate j's draws per chain,
// and f applied to them.
func drawsOf(res *sample.Result, m, i int, f func(x []float64) float64) [][]float64 {
	var out [][]float64
	for c := i; c < res.Chains; c += m {
		ch := make([]float64, res.Kept)
		for t := range ch {
			ch[t] = f(res.Draw(c, t))
		}
		out = append(out, ch)
	}
	return out
}

// checkMoments checks the mean and variance of every coordinate of the draws
// of observation i against exact values, each within 4 Monte Carlo standard
// errors (from the split-chain ESS of the draws and of their squared
// deviations).
func checkMoments(t *testing.T, what string, res *sample.Result, m, i int, mean []float64, variance []float64) {
	t.Helper()
	for j := range mean {
		xs := drawsOf(res, m, i, func(x []float64) float64 { return x[j] })
		got, mc := meanOf(xs), diag.MCSEMean(xs)
		if !(math.Abs(got-mean[j]) <= 4*mc) {
			t.Errorf("%s: mean[%d] = %.4f, exact %.4f, 4 MCSE = %.4f", what, j, got, mean[j], 4*mc)
		}
		sq := drawsOf(res, m, i, func(x []float64) float64 { d := x[j] - mean[j]; return d * d })
		gv, mv := meanOf(sq), diag.MCSEMean(sq)
		if !(math.Abs(gv-variance[j]) <= 4*mv) {
			t.Errorf("%s: var[%d] = %.4f, exact %.4f, 4 MCSE = %.4f", what, j, gv, variance[j], 4*mv)
		}
	}
}

func meanOf(xs [][]float64) float64 {
	s, n := 0.0, 0
	for _, c := range xs {
		for _, v := range c {
			s += v
			n++
		}
	}
	return s / float64(n)
}

// MALA on the posterior energy (prior + fidelity) recovers the exact
// posterior mean and variances of a Gaussian-mixture prior.
func TestPosteriorSamplingMoments(t *testing.T) {
	g := testGMM(t)
	const sigma = 0.5
	y := tensor.FromSlice(3, 2, []float64{0.2, 0.4, -1.3, 0.1, 0.6, 1.2})
	est, err := SamplePosterior(context.Background(), g, y, sigma, SampleConfig{Chains: 8, Warmup: 1000, Steps: 4000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < y.Rows; i++ {
		mean, cov := gmmPosterior(g, y.Row(i), sigma)
		checkMoments(t, "posterior", est.Result, y.Rows, i, mean, []float64{cov.At(0, 0), cov.At(1, 1)})
		for j := range mean {
			if sd := math.Sqrt(cov.At(j, j)); math.Abs(est.SD.Row(i)[j]-sd) > 0.1*sd {
				t.Errorf("observation %d: sd[%d] = %.4f, exact %.4f", i, j, est.SD.Row(i)[j], sd)
			}
		}
	}
}

// gaussPosterior returns the posterior N(m, S) of x ~ N(μ, Σ) given y = x + σξ:
// S = (Σ⁻¹ + I/σ²)⁻¹, m = S(Σ⁻¹μ + y/σ²).
func gaussPosterior(g *energy.Gaussian, y []float64, sigma float64) ([]float64, *mat.SymDense) {
	d := g.Dim()
	var P mat.SymDense
	var ch mat.Cholesky
	ch.Factorize(g.Cov())
	_ = ch.InverseTo(&P)
	b := mat.NewVecDense(d, nil)
	b.MulVec(&P, mat.NewVecDense(d, g.Mean()))
	for i := 0; i < d; i++ {
		P.SetSym(i, i, P.At(i, i)+1/(sigma*sigma))
		b.SetVec(i, b.AtVec(i)+y[i]/(sigma*sigma))
	}
	var c2 mat.Cholesky
	c2.Factorize(&P)
	var S mat.SymDense
	_ = c2.InverseTo(&S)
	m := mat.NewVecDense(d, nil)
	m.MulVec(&S, b)
	return m.RawVector().Data, &S
}

// MAP under a Gaussian prior is the posterior mean (the posterior is
// Gaussian).
func TestMAPGaussian(t *testing.T) {
	g, err := energy.NewGaussian([]float64{1, -1, 0.5}, mat.NewSymDense(3, []float64{1, 0.5, 0.2, 0.5, 2, -0.3, 0.2, -0.3, 0.7}))
	if err != nil {
		t.Fatal(err)
	}
	const sigma = 0.4
	rng := rand.New(rand.NewPCG(5, 0))
	y := g.Sample(20, rng)
	for i := range y.Data {
		y.Data[i] += sigma * rng.NormFloat64()
	}
	x, info, err := MAP(context.Background(), g, y, sigma, MinimizeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Converged != y.Rows {
		t.Errorf("%d of %d rows converged in %d iterations", info.Converged, y.Rows, info.Iterations)
	}
	for i := 0; i < y.Rows; i++ {
		want, _ := gaussPosterior(g, y.Row(i), sigma)
		for j := range want {
			if d := math.Abs(x.Row(i)[j] - want[j]); d > 1e-5 {
				t.Errorf("row %d coordinate %d: MAP %.8f, exact %.8f", i, j, x.Row(i)[j], want[j])
			}
		}
	}
}

// Inpainting a correlated Gaussian: MALA on the conditional energy matches
// the exact conditional N(μ_F + Σ_FC Σ_CC⁻¹(x_C − μ_C), Σ_FF − Σ_FC Σ_CC⁻¹ Σ_CF).
func TestInpaintGaussian(t *testing.T) {
	cov := mat.NewSymDense(3, []float64{1, 0.6, 0.3, 0.6, 1.5, -0.4, 0.3, -0.4, 0.8})
	g, err := energy.NewGaussian([]float64{0, 1, -1}, cov)
	if err != nil {
		t.Fatal(err)
	}
	obs := tensor.FromSlice(2, 3, []float64{0, 0, 0.5, 0, 0, -2})
	free := []bool{true, true, false}
	est, err := InpaintSample(context.Background(), g, obs, free, SampleConfig{Chains: 8, Warmup: 1000, Steps: 3000, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < obs.Rows; i++ {
		xc := obs.Row(i)[2]
		// Σ_FC Σ_CC⁻¹ with C = {2}.
		m0 := 0 + cov.At(0, 2)/cov.At(2, 2)*(xc+1)
		m1 := 1 + cov.At(1, 2)/cov.At(2, 2)*(xc+1)
		v0 := cov.At(0, 0) - cov.At(0, 2)*cov.At(0, 2)/cov.At(2, 2)
		v1 := cov.At(1, 1) - cov.At(1, 2)*cov.At(1, 2)/cov.At(2, 2)
		checkMoments(t, "inpaint Gaussian", est.Result, obs.Rows, i, []float64{m0, m1}, []float64{v0, v1})
		if est.Mean.Row(i)[2] != xc || est.SD.Row(i)[2] != 0 {
			t.Errorf("clamped coordinate changed: mean %v sd %v", est.Mean.Row(i)[2], est.SD.Row(i)[2])
		}
	}
	// The conditional mode of a Gaussian is the conditional mean.
	x, _, err := InpaintMAP(context.Background(), g, obs, free, MinimizeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	xc := obs.Row(1)[2]
	if m0 := cov.At(0, 2) / cov.At(2, 2) * (xc + 1); math.Abs(x.Row(1)[0]-m0) > 1e-5 {
		t.Errorf("InpaintMAP: %.6f, conditional mean %.6f", x.Row(1)[0], m0)
	}
}

// Inpainting an isotropic Gaussian mixture in 3-D with the last coordinate
// clamped: the conditional is the mixture of N(μₖ_F, sₖ²I) with weights
// ∝ wₖ N(x_C; μₖ_C, sₖ²).
func TestInpaintGMM(t *testing.T) {
	w := []float64{0.6, 0.4}
	mus := [][]float64{{-0.5, 0, 0.5}, {0.8, 0.6, -0.3}}
	sds := []float64{0.6, 0.8}
	g, err := energy.NewIsoGMM(w, mus, sds)
	if err != nil {
		t.Fatal(err)
	}
	obs := tensor.FromSlice(1, 3, []float64{0, 0, 0.1})
	est, err := InpaintSample(context.Background(), g, obs, []bool{true, true, false}, SampleConfig{Chains: 8, Warmup: 1000, Steps: 4000, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	xc := obs.Data[2]
	r := make([]float64, 2)
	tot := 0.0
	for k := range w {
		z := (xc - mus[k][2]) / sds[k]
		r[k] = w[k] * math.Exp(-0.5*z*z) / sds[k]
		tot += r[k]
	}
	mean := make([]float64, 2)
	for k := range r {
		r[k] /= tot
		for j := range mean {
			mean[j] += r[k] * mus[k][j]
		}
	}
	v := make([]float64, 2)
	for k := range r {
		for j := range v {
			dm := mus[k][j] - mean[j]
			v[j] += r[k] * (sds[k]*sds[k] + dm*dm)
		}
	}
	checkMoments(t, "inpaint GMM", est.Result, 1, 0, mean, v)
}

// The product of two Gaussian energies is the product Gaussian: precisions
// add and the mean is precision-weighted. Energies match up to a constant,
// gradients exactly, and MALA draws of the sum have its moments.
func TestProductOfGaussians(t *testing.T) {
	c1 := mat.NewSymDense(2, []float64{1, 0.5, 0.5, 1})
	c2 := mat.NewSymDense(2, []float64{2, -0.3, -0.3, 0.5})
	g1, _ := energy.NewGaussian([]float64{1, 0}, c1)
	g2, _ := energy.NewGaussian([]float64{-1, 1}, c2)
	sum, err := energy.Sum(g1, g2)
	if err != nil {
		t.Fatal(err)
	}
	var p1, p2, P mat.SymDense
	var ch mat.Cholesky
	ch.Factorize(c1)
	_ = ch.InverseTo(&p1)
	ch.Factorize(c2)
	_ = ch.InverseTo(&p2)
	P.AddSym(&p1, &p2)
	ch.Factorize(&P)
	var S mat.SymDense
	_ = ch.InverseTo(&S)
	b := mat.NewVecDense(2, nil)
	var t1, t2 mat.VecDense
	t1.MulVec(&p1, mat.NewVecDense(2, []float64{1, 0}))
	t2.MulVec(&p2, mat.NewVecDense(2, []float64{-1, 1}))
	b.AddVec(&t1, &t2)
	mu := mat.NewVecDense(2, nil)
	mu.MulVec(&S, b)
	prod, err := energy.NewGaussian(mu.RawVector().Data, &S)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.FromSlice(4, 2, []float64{0, 0, 1, -2, 3, 0.5, -1.5, 2})
	es, ep := make([]float64, 4), make([]float64, 4)
	gs, gp := tensor.New[float64](4, 2), tensor.New[float64](4, 2)
	sum.EnergyGrad(x, es, gs)
	prod.EnergyGrad(x, ep, gp)
	for i := 1; i < 4; i++ {
		if d := (es[i] - es[0]) - (ep[i] - ep[0]); math.Abs(d) > 1e-10 {
			t.Errorf("energy differences differ by %.3g", d)
		}
	}
	for i := range gs.Data {
		if math.Abs(gs.Data[i]-gp.Data[i]) > 1e-10 {
			t.Errorf("gradient %d: %.10f vs %.10f", i, gs.Data[i], gp.Data[i])
		}
	}
	est, err := SampleBatch(context.Background(), sum, tensor.New[float64](1, 2), SampleConfig{Chains: 8, Warmup: 1000, Steps: 3000, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	checkMoments(t, "product", est.Result, 1, 0, mu.RawVector().Data, []float64{S.At(0, 0), S.At(1, 1)})
}
