package gen

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// linearNoisy returns the noisy sampler with g(z) = Az + b (no hidden layer),
// A = Wᵀ, and the exact covariance Σ = AAᵀ + σ²I of its Gaussian q.
func linearNoisy(t *testing.T, sigma float64, k int) (*Noisy[float64], *mat.Dense, []float64) {
	t.Helper()
	q, err := NewNoisy[float64](NoisyConfig{Dim: 2, Latent: 3, Sigma: sigma, LearnSigma: true, K: k}, 1)
	if err != nil {
		t.Fatal(err)
	}
	w := []float64{1.2, -0.4, 0.3, 0.8, -0.5, 0.6} // 3×2
	b := []float64{0.7, -1.1}
	copy(q.G.Layers[0].W.Value.Data, w)
	copy(q.G.Layers[0].B.Value.Data, b)
	a := mat.NewDense(2, 3, nil)
	for i := 0; i < 3; i++ {
		for j := 0; j < 2; j++ {
			a.Set(j, i, w[i*2+j])
		}
	}
	return q, a, b
}

// exactEntropyGrad returns ∂H/∂W (3×2, as W's layout), ∂H/∂b and ∂H/∂log σ
// of the Gaussian q = N(b, AAᵀ + σ²I): H = ½ log det(2πeΣ), so
// ∂H/∂A = Σ⁻¹A, ∂H/∂W = AᵀΣ⁻¹, ∂H/∂b = 0, ∂H/∂log σ = σ² tr Σ⁻¹.
func exactEntropyGrad(a *mat.Dense, sigma float64) []float64 {
	var cov mat.Dense
	cov.Mul(a, a.T())
	for j := 0; j < 2; j++ {
		cov.Set(j, j, cov.At(j, j)+sigma*sigma)
	}
	var inv mat.Dense
	if err := inv.Inverse(&cov); err != nil {
		panic(err)
	}
	var gw mat.Dense
	gw.Mul(a.T(), &inv) // 3×2
	out := append([]float64(nil), gw.RawMatrix().Data...)
	out = append(out, 0, 0)
	return append(out, sigma*sigma*(inv.At(0, 0)+inv.At(1, 1)))
}

func cosine(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	return ab / math.Sqrt(aa*bb)
}

// TestEntropyGradLinearGaussian is the acceptance test of the noisy sampler's
// entropy-gradient estimator: for g(z) = Az + b, q is N(b, AAᵀ + σ²I) and
// ∇H is exact. The estimate (minus the gradient of DrawNegEntropy's
// surrogate), averaged over 40 batches of 256 draws, must have cosine
// similarity ≥ 0.99 with the exact gradient over (W, b, log σ). Each
// coordinate must also lie within 4 standard errors (from the spread of the
// 40 batch estimates) of the exact value plus 2% of the gradient's norm (the
// allowance for the self-normalized estimator's O(1/K) bias).
func TestEntropyGradLinearGaussian(t *testing.T) {
	for _, sigma := range []float64{0.3, 1.0} {
		q, a, _ := linearNoisy(t, sigma, 20)
		exact := exactEntropyGrad(a, sigma)
		const batches, n = 40, 256
		rng := rand.New(rand.NewPCG(7, uint64(sigma*100)))
		ps := q.Params()
		sum := make([]float64, len(exact))
		sum2 := make([]float64, len(exact))
		for r := 0; r < batches; r++ {
			tp := autodiff.NewTape[float64]()
			for _, p := range ps {
				p.Grad.Zero()
			}
			_, negH, exact, err := q.DrawNegEntropy(tp, n, rng)
			if err != nil {
				t.Fatal(err)
			}
			if exact {
				t.Fatal("the noisy sampler claims an exact entropy")
			}
			autodiff.Backward(negH, ps)
			var g []float64
			for _, p := range ps {
				for _, v := range p.Grad.Data {
					g = append(g, -v)
				}
			}
			for i, v := range g {
				sum[i] += v
				sum2[i] += v * v
			}
		}
		est := make([]float64, len(sum))
		norm := 0.0
		for i := range sum {
			est[i] = sum[i] / batches
			norm += exact[i] * exact[i]
		}
		norm = math.Sqrt(norm)
		c := cosine(est, exact)
		t.Logf("sigma %.1f: cosine %.5f\n  estimate %.4f\n  exact    %.4f", sigma, c, est, exact)
		if c < 0.99 {
			t.Errorf("sigma %v: cosine similarity %.4f < 0.99", sigma, c)
		}
		for i := range est {
			sd := math.Sqrt((sum2[i]/batches - est[i]*est[i]) / (batches - 1))
			if math.Abs(est[i]-exact[i]) > 4*sd+0.02*norm {
				t.Errorf("sigma %v: coordinate %d: estimate %.4f, exact %.4f (4 SE = %.4f)", sigma, i, est[i], exact[i], 4*sd)
			}
		}
	}
}

// TestScoreConsistent checks the score estimate itself against the exact
// score −Σ⁻¹(x − b) of the linear-Gaussian q: the estimator is consistent, so
// its mean squared error, Monte Carlo variance of order 1/K, must fall as K
// grows: by at least 5× from K = 10 to K = 100 (the theory says 10×), and its
// mean error over 2,000 draws (the bias) must lie within 4 standard errors of
// zero at K = 100.
func TestScoreConsistent(t *testing.T) {
	mse := func(k int) (float64, [2]float64, [2]float64) {
		q, a, b := linearNoisy(t, 0.3, k)
		var cov mat.Dense
		cov.Mul(a, a.T())
		cov.Set(0, 0, cov.At(0, 0)+0.09)
		cov.Set(1, 1, cov.At(1, 1)+0.09)
		var inv mat.Dense
		if err := inv.Inverse(&cov); err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		tp := autodiff.NewTape[float64]()
		const n = 2000
		x, z, _ := q.draw(tp, n, rng)
		s, err := q.Score(x.Value, z, rng)
		if err != nil {
			t.Fatal(err)
		}
		var m float64
		var mean, sq [2]float64
		for i := 0; i < n; i++ {
			r0, r1 := x.Value.At(i, 0)-b[0], x.Value.At(i, 1)-b[1]
			e := [2]float64{-(inv.At(0, 0)*r0 + inv.At(0, 1)*r1), -(inv.At(1, 0)*r0 + inv.At(1, 1)*r1)}
			for j := 0; j < 2; j++ {
				d := s.At(i, j) - e[j]
				m += d * d / n
				mean[j] += d / n
				sq[j] += d * d / n
			}
		}
		var se [2]float64
		for j := range se {
			se[j] = math.Sqrt((sq[j] - mean[j]*mean[j]) / (n - 1))
		}
		return m, mean, se
	}
	m10, _, _ := mse(10)
	m100, bias, se := mse(100)
	t.Logf("score MSE: K=10 %.4f, K=100 %.4f; bias at K=100 %.4f ± %.4f", m10, m100, bias, se)
	if m100 > m10/5 {
		t.Errorf("MSE fell only from %.4f to %.4f from K=10 to K=100", m10, m100)
	}
	for j := range bias {
		if math.Abs(bias[j]) > 4*se[j] {
			t.Errorf("coordinate %d: mean error %.4f beyond 4 SE (%.4f)", j, bias[j], 4*se[j])
		}
	}
}

// TestLogDensityMatchesIntegral: LogDensity against q(x) = ∫ N(z; 0, I)
// N(x; g(z), σ²I) dz computed by a midpoint rule on a fine grid of the 2-D
// latent space, for a nonlinear g (one hidden SiLU layer) and for the linear
// g of linearNoisy, whose q is the exact Gaussian N(b, AAᵀ + σ²I). The
// density estimate is unbiased, so the mean of q̂/q over the points is 1
// within 4 standard errors; with K = 2,000 each log estimate lies within
// 0.05 of the truth.
func TestLogDensityMatchesIntegral(t *testing.T) {
	q, err := NewNoisy[float64](NoisyConfig{Dim: 2, Latent: 2, Hidden: []int{16}, Sigma: 0.3, K: 2000}, 7)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	tp := autodiff.NewTape[float64]()
	const n = 12
	x, z, _ := q.draw(tp, n, rng)
	xs := x.Value.Clone()
	got, err := q.LogDensity(xs, z, rng)
	if err != nil {
		t.Fatal(err)
	}
	// g on a grid over [−7, 7]².
	const m = 700
	h := 14.0 / m
	grid := tensor.New[float64](m*m, 2)
	for i := 0; i < m; i++ {
		for j := 0; j < m; j++ {
			grid.Set(i*m+j, 0, -7+(float64(i)+0.5)*h)
			grid.Set(i*m+j, 1, -7+(float64(j)+0.5)*h)
		}
	}
	tp.Reset()
	gz := q.G.Forward(tp, tp.Input(grid, false)).Value
	s2 := q.Sigma() * q.Sigma()
	var ratio, ratio2 float64
	for r := 0; r < n; r++ {
		sum := 0.0
		for k := 0; k < m*m; k++ {
			z0, z1 := grid.At(k, 0), grid.At(k, 1)
			e0, e1 := xs.At(r, 0)-gz.At(k, 0), xs.At(r, 1)-gz.At(k, 1)
			sum += math.Exp(-0.5*(z0*z0+z1*z1) - 0.5*(e0*e0+e1*e1)/s2)
		}
		want := math.Log(sum*h*h) - math.Log(2*math.Pi) - math.Log(2*math.Pi*s2)
		if math.Abs(got[r]-want) > 0.05 {
			t.Errorf("row %d: log q̂ %.4f, integral %.4f", r, got[r], want)
		}
		v := math.Exp(got[r] - want)
		ratio += v / n
		ratio2 += v * v / n
	}
	se := math.Sqrt((ratio2 - ratio*ratio) / (n - 1))
	t.Logf("mean q̂/q over %d points: %.4f ± %.4f", n, ratio, se)
	if math.Abs(ratio-1) > 4*se+1e-3 {
		t.Errorf("mean q̂/q = %.4f ± %.4f, want 1", ratio, se)
	}

	// Linear g: exact Gaussian.
	ql, a, b := linearNoisy(t, 0.3, 50)
	var cov mat.Dense
	cov.Mul(a, a.T())
	cov.Set(0, 0, cov.At(0, 0)+0.09)
	cov.Set(1, 1, cov.At(1, 1)+0.09)
	var ch mat.Cholesky
	if !ch.Factorize(mat.NewSymDense(2, []float64{cov.At(0, 0), cov.At(0, 1), cov.At(1, 0), cov.At(1, 1)})) {
		t.Fatal("covariance not positive definite")
	}
	xl, logq, err := ql.DrawPointsLogQ(500, rng)
	if err != nil {
		t.Fatal(err)
	}
	var inv mat.Dense
	if err := inv.Inverse(&cov); err != nil {
		t.Fatal(err)
	}
	var mr, mr2 float64
	nl := float64(xl.Rows)
	for i := 0; i < xl.Rows; i++ {
		r0, r1 := xl.At(i, 0)-b[0], xl.At(i, 1)-b[1]
		quad := r0*(inv.At(0, 0)*r0+inv.At(0, 1)*r1) + r1*(inv.At(1, 0)*r0+inv.At(1, 1)*r1)
		want := -0.5*quad - math.Log(2*math.Pi) - 0.5*ch.LogDet()
		v := math.Exp(logq[i] - want)
		mr += v / nl
		mr2 += v * v / nl
	}
	sel := math.Sqrt((mr2 - mr*mr) / (nl - 1))
	t.Logf("linear g, K = 50: mean q̂/q over %d draws %.4f ± %.4f", xl.Rows, mr, sel)
	if math.Abs(mr-1) > 4*sel || sel > 0.02 {
		t.Errorf("linear g: mean q̂/q = %.4f ± %.4f, want 1", mr, sel)
	}
}
