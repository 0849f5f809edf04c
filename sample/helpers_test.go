package sample

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/diag"
	"github.com/ebm-go/ebm/tensor"
)

// uniformStarts returns n×d points uniform on [lo, hi]^d from a fixed seed.
func uniformStarts(n, d int, lo, hi float64, seed uint64) *tensor.Dense[float64] {
	r := rand.New(rand.NewPCG(seed, 0xfeed))
	x := tensor.New[float64](n, d)
	for i := range x.Data {
		x.Data[i] = lo + (hi-lo)*r.Float64()
	}
	return x
}

// estimate is a Monte Carlo mean of a function of the draws with its standard
// error from the effective sample size: MCSE = sd/√ESS, sd over all draws
// pooled (divisor N−1), ESS = diag.ESS of the function's values.
type estimate struct {
	mean, mcse, ess float64
}

func estimateOf(f [][]float64) estimate {
	var s, n float64
	for _, ch := range f {
		for _, v := range ch {
			s += v
			n++
		}
	}
	m := s / n
	var ss float64
	for _, ch := range f {
		for _, v := range ch {
			ss += (v - m) * (v - m)
		}
	}
	sd := math.Sqrt(ss / (n - 1))
	ess := diag.ESS(f)
	return estimate{mean: m, mcse: sd / math.Sqrt(ess), ess: ess}
}

// mapDraws applies f to every draw of every chain.
func mapDraws(r *Result, f func(x []float64) float64) [][]float64 {
	out := make([][]float64, r.Chains)
	for c := range out {
		out[c] = make([]float64, r.Kept)
		for t := range out[c] {
			out[c][t] = f(r.Draw(c, t))
		}
	}
	return out
}

// checkWithin reports whether |est − want| ≤ k·MCSE and logs the outcome.
func checkWithin(t *testing.T, what string, e estimate, want, k float64) {
	t.Helper()
	z := (e.mean - want) / e.mcse
	if !(math.Abs(z) <= k) {
		t.Errorf("%s = %.5g, want %.5g ± %g·MCSE (MCSE %.3g, ESS %.0f): z = %.2f", what, e.mean, want, k, e.mcse, e.ess, z)
	}
}

// gaussMoments checks, for every coordinate i, the mean against μ_i with
// MCSE from diag.ESS of x_i, and the variance through the mean of
// (x_i − μ_i)², whose expectation is σ_i², with MCSE from diag.ESS of
// (x_i − μ_i)²; with cov set, also the covariance of coordinates 0 and 1
// through the mean of (x₀−μ₀)(x₁−μ₁). It returns the smallest ESS seen and
// the largest |z|.
func gaussMoments(t *testing.T, r *Result, mu, vars []float64, cov01 float64, withCov bool) (minESS, maxZ float64) {
	t.Helper()
	minESS = math.Inf(1)
	track := func(e estimate, want float64) {
		minESS = math.Min(minESS, e.ess)
		maxZ = math.Max(maxZ, math.Abs(e.mean-want)/e.mcse)
	}
	for i := range mu {
		m := estimateOf(r.Draws(i))
		checkWithin(t, "mean["+itoa(i)+"]", m, mu[i], 4)
		track(m, mu[i])
		v := estimateOf(mapDraws(r, func(x []float64) float64 { d := x[i] - mu[i]; return d * d }))
		checkWithin(t, "var["+itoa(i)+"]", v, vars[i], 4)
		track(v, vars[i])
	}
	if withCov {
		c := estimateOf(mapDraws(r, func(x []float64) float64 { return (x[0] - mu[0]) * (x[1] - mu[1]) }))
		checkWithin(t, "cov[0,1]", c, cov01, 4)
		track(c, cov01)
	}
	return minESS, maxZ
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// runOK runs and fails the test on error.
func runOK(t *testing.T, k Kernel, x0 *tensor.Dense[float64], cfg Config) *Result {
	t.Helper()
	r, err := Run(context.Background(), k, x0, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
