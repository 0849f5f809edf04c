package gen

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// TestAffineDensity checks Draw's log q against LogProb and against the
// closed-form Gaussian density N(x; μ, Σ), to 1e-10.
func TestAffineDensity(t *testing.T) {
	a, err := NewAffine[float64](3)
	if err != nil {
		t.Fatal(err)
	}
	mu := []float64{0.5, -1, 2}
	cov := []float64{2, 0.6, -0.3, 0.6, 1, 0.2, -0.3, 0.2, 0.5}
	if err := a.SetMeanCov(mu, cov); err != nil {
		t.Fatal(err)
	}
	tp := autodiff.NewTape[float64]()
	x, lq, err := a.Draw(tp, 50, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	lp, err := a.LogProb(tp, x)
	if err != nil {
		t.Fatal(err)
	}
	// Closed form: Σ⁻¹ and log det Σ by cofactors.
	c := func(i, j int) float64 { return cov[i*3+j] }
	det := c(0, 0)*(c(1, 1)*c(2, 2)-c(1, 2)*c(2, 1)) - c(0, 1)*(c(1, 0)*c(2, 2)-c(1, 2)*c(2, 0)) + c(0, 2)*(c(1, 0)*c(2, 1)-c(1, 1)*c(2, 0))
	inv := make([]float64, 9)
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			i1, i2 := (j+1)%3, (j+2)%3
			j1, j2 := (i+1)%3, (i+2)%3
			inv[i*3+j] = (c(i1, j1)*c(i2, j2) - c(i1, j2)*c(i2, j1)) / det
		}
	}
	for i := 0; i < 50; i++ {
		r := x.Value.Row(i)
		q := 0.0
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				q += (r[j] - mu[j]) * inv[j*3+k] * (r[k] - mu[k])
			}
		}
		want := -0.5*q - 1.5*math.Log(2*math.Pi) - 0.5*math.Log(det)
		if d := math.Abs(lq.Value.Data[i] - want); d > 1e-10 {
			t.Fatalf("row %d: Draw log q %.12f, closed form %.12f", i, lq.Value.Data[i], want)
		}
		if d := math.Abs(lp.Value.Data[i] - want); d > 1e-10 {
			t.Fatalf("row %d: LogProb %.12f, closed form %.12f", i, lp.Value.Data[i], want)
		}
	}
}

// TestAffineGradients checks the first and second derivatives of LogProb
// with respect to the points by finite differences.
func TestAffineGradients(t *testing.T) {
	a, _ := NewAffine[float64](2)
	if err := a.SetMeanCov([]float64{0.3, -0.2}, []float64{1.5, 0.4, 0.4, 0.8}); err != nil {
		t.Fatal(err)
	}
	x := tensor.FromSlice(4, 2, []float64{0.1, 0.2, -1, 0.5, 2, -0.3, 0.7, 0.7})
	f := func(tp *autodiff.Tape[float64], in []*autodiff.Var[float64]) *autodiff.Var[float64] {
		lp, err := a.LogProb(tp, in[0])
		if err != nil {
			t.Fatal(err)
		}
		return autodiff.Sum(autodiff.Mul(lp, lp))
	}
	if e, err := autodiff.CheckGrad(f, []*tensor.Dense[float64]{x}, 1e-5); err != nil || e > 1e-6 {
		t.Fatalf("first order: relative error %v, %v", e, err)
	}
	if e, err := autodiff.CheckGrad2(f, []*tensor.Dense[float64]{x}, 1e-4, 1); err != nil || e > 1e-5 {
		t.Fatalf("second order: relative error %v, %v", e, err)
	}
}
