package metric

import (
	"math"
	"os"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

func corrGaussian(t *testing.T) *energy.Gaussian {
	t.Helper()
	cov := mat.NewSymDense(3, []float64{1, 0.5, 0.2, 0.5, 2, -0.3, 0.2, -0.3, 0.5})
	g, err := energy.NewGaussian([]float64{0.5, -1, 0}, cov)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Under the null (exact samples of the model) the test rejects at level α
// with probability α. The rate over R replications has binomial standard
// deviation √(α(1−α)/R): 0.0069 for R = 1000 (EBM_LONG=1: R = 4000, 0.0034);
// the acceptance band α ± 0.02 is 2.9 (5.8) of them. EBM_LONG=1 also runs
// the RBF kernel.
func TestKSDTestNullLevel(t *testing.T) {
	const alpha, n = 0.05, 100
	R, B := 1000, 200
	kernels := []string{"imq"}
	if os.Getenv("EBM_LONG") != "" {
		R, B = 4000, 500
		kernels = append(kernels, "rbf")
	}
	g := corrGaussian(t)
	rng := newRNG(21)
	for _, kern := range kernels {
		rej := 0
		for r := 0; r < R; r++ {
			x := g.Sample(n, rng)
			res, err := KSDTestEnergy(g, x, KSDTestOptions{Kernel: kern, Bootstrap: B, Seed: uint64(r)})
			if err != nil {
				t.Fatal(err)
			}
			if res.PValue <= alpha {
				rej++
			}
		}
		rate := float64(rej) / float64(R)
		sd := math.Sqrt(alpha * (1 - alpha) / float64(R))
		t.Logf("%s: rejection rate %.4f over %d replications (binomial sd %.4f)", kern, rate, R, sd)
		if math.Abs(rate-alpha) > 0.02 {
			t.Errorf("%s: rejection rate %.4f under the null, want %.2f ± 0.02", kern, rate, alpha)
		}
	}
}

// The statistic is metric.KSD's U-statistic; a wrong model is rejected.
func TestKSDTestStatisticAndPower(t *testing.T) {
	g := corrGaussian(t)
	rng := newRNG(5)
	x := g.Sample(200, rng)
	res, err := KSDTestEnergy(g, x, KSDTestOptions{Bootstrap: 100})
	if err != nil {
		t.Fatal(err)
	}
	want, err := KSDEnergy(g, x)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res.KSD2-want) > 1e-12*math.Max(1, math.Abs(want)) {
		t.Errorf("KSD² %.15g, KSDEnergy %.15g", res.KSD2, want)
	}
	// A sample shifted by 0.5 in every coordinate (0.7 standard deviations of
	// the narrowest direction) is rejected every time at n = 200.
	for r := 0; r < 10; r++ {
		y := g.Sample(200, rng)
		for i := range y.Data {
			y.Data[i] += 0.5
		}
		res, err := KSDTestEnergy(g, y, KSDTestOptions{Bootstrap: 200, Seed: uint64(r)})
		if err != nil {
			t.Fatal(err)
		}
		if res.PValue > 0.01 {
			t.Errorf("shifted sample %d: p = %.3f, want ≤ 0.01", r, res.PValue)
		}
	}
}

// Same seed, same p-value; the RBF bandwidth defaults to the median distance.
func TestKSDTestDeterministic(t *testing.T) {
	g := corrGaussian(t)
	x := g.Sample(50, newRNG(9))
	a, err := KSDTestEnergy(g, x, KSDTestOptions{Kernel: "rbf", Bootstrap: 300, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := KSDTestEnergy(g, x, KSDTestOptions{Kernel: "rbf", Bootstrap: 300, Seed: 4})
	if *a != *b {
		t.Errorf("same seed, different results: %+v vs %+v", a, b)
	}
	if !(a.Bandwidth > 0) || a.Kernel != "rbf" {
		t.Errorf("bandwidth %v kernel %q", a.Bandwidth, a.Kernel)
	}
}

func TestKSDTestErrors(t *testing.T) {
	g := corrGaussian(t)
	x := g.Sample(10, newRNG(1))
	s := tensor.New[float64](10, 3)
	bad := []struct {
		name string
		x, s *tensor.Dense[float64]
		o    KSDTestOptions
	}{
		{"nil", nil, s, KSDTestOptions{}},
		{"shape", x, tensor.New[float64](10, 2), KSDTestOptions{}},
		{"one row", tensor.New[float64](1, 3), tensor.New[float64](1, 3), KSDTestOptions{}},
		{"kernel", x, s, KSDTestOptions{Kernel: "poly"}},
		{"beta", x, s, KSDTestOptions{Beta: 0.5}},
		{"bandwidth", x, s, KSDTestOptions{Kernel: "rbf", Bandwidth: -1}},
		{"bootstrap", x, s, KSDTestOptions{Bootstrap: -3}},
		{"correlation", x, s, KSDTestOptions{Correlation: math.NaN()}},
	}
	for _, b := range bad {
		if _, err := KSDTest(b.x, b.s, b.o); err == nil {
			t.Errorf("%s: no error", b.name)
		}
	}
	nan := x.Clone()
	nan.Data[4] = math.NaN()
	if _, err := KSDTest(nan, s, KSDTestOptions{}); err == nil {
		t.Error("NaN sample accepted")
	}
	if _, err := KSDTestEnergy(g, tensor.New[float64](10, 2), KSDTestOptions{}); err == nil {
		t.Error("dimension mismatch accepted")
	}
}
