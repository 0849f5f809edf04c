package energy

import (
	"math"
	"testing"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// equiCov is s²((1−ρ)I + ρ11ᵀ) as a dense matrix, for the full-Gaussian oracle.
func equiCov(d int, v, rho float64) *mat.SymDense {
	c := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			if i == j {
				c.SetSym(i, j, v)
			} else {
				c.SetSym(i, j, v*rho)
			}
		}
	}
	return c
}

// The closed forms agree with the Cholesky-based full Gaussian.
func TestEquiGaussianMatchesFull(t *testing.T) {
	rng := newRNG(11)
	for _, c := range []struct {
		d      int
		v, rho float64
	}{{2, 1, 0.8}, {5, 2.5, -0.2}, {7, 0.3, 0.95}, {10, 1, -0.1}, {3, 4, 0}} {
		mu := randVec(rng, c.d, 1)
		eq := must(NewEquiGaussian(mu, c.v, c.rho))
		full := must(NewGaussian(mu, equiCov(c.d, c.v, c.rho)))
		if !near(eq.LogZ(), full.LogZ(), 1e-12) {
			t.Errorf("%+v: LogZ %v, full %v", c, eq.LogZ(), full.LogZ())
		}
		x := randBatch(rng, 6, c.d, 2)
		e1, g1 := energyGrad(eq, x)
		e2, g2 := energyGrad(full, x)
		e0 := energies(eq, x)
		for i := range e1 {
			if e0[i] != e1[i] {
				t.Errorf("%+v: Energy %v, EnergyGrad %v", c, e0[i], e1[i])
			}
			if math.Abs(e1[i]-e2[i]) > 1e-10*(1+math.Abs(e2[i])) {
				t.Errorf("%+v: E = %v, full %v", c, e1[i], e2[i])
			}
		}
		for k := range g1.Data {
			if math.Abs(g1.Data[k]-g2.Data[k]) > 1e-10*(1+math.Abs(g2.Data[k])) {
				t.Errorf("%+v: grad[%d] = %v, full %v", c, k, g1.Data[k], g2.Data[k])
			}
		}
		sm := eq.Smoothed(0.7).(*EquiGaussian)
		fs := full.Smoothed(0.7).(*Gaussian)
		if !near(sm.LogZ(), fs.LogZ(), 1e-12) {
			t.Errorf("%+v: smoothed LogZ %v, full %v", c, sm.LogZ(), fs.LogZ())
		}
		if err := must(CheckGrad(eq, x, 0)); err > 1e-6 {
			t.Errorf("%+v: gradient check %.2e", c, err)
		}
	}
}

func TestEquiGaussianSample(t *testing.T) {
	rng := newRNG(12)
	checkSampleMoments(t, "equi+", must(NewEquiGaussian([]float64{1, -1, 0.5}, 2, 0.6)), 100_000, rng)
	checkSampleMoments(t, "equi-", must(NewEquiGaussian([]float64{0, 0, 0, 0}, 0.5, -0.3)), 100_000, rng)
}

func TestEquiGaussianErrors(t *testing.T) {
	for _, c := range []struct {
		mu     []float64
		v, rho float64
	}{
		{nil, 1, 0}, {[]float64{math.NaN()}, 1, 0}, {[]float64{0, 0}, 0, 0}, {[]float64{0, 0}, math.Inf(1), 0},
		{[]float64{0, 0}, 1, 1}, {[]float64{0, 0}, 1, -1}, {[]float64{0, 0, 0}, 1, -0.5}, {[]float64{0, 0}, 1, math.NaN()},
	} {
		if _, err := NewEquiGaussian(c.mu, c.v, c.rho); err == nil {
			t.Errorf("NewEquiGaussian(%v, %v, %v): no error", c.mu, c.v, c.rho)
		}
	}
}

// The spec energies take O(dim) memory: a million dimensions, including the
// correlated gauss and illcond, build and evaluate at once.
func TestSpecMillionDims(t *testing.T) {
	const d = 1_000_000
	for _, s := range []map[string]string{
		{"name": "gauss", "dim": "1000000", "rho": "0.5"},
		{"name": "gauss", "dim": "1000000"},
		{"name": "illcond", "dim": "1000000"},
		{"name": "doublewell", "dim": "1000000"},
		{"name": "banana", "dim": "1000000"},
		{"name": "rastrigin", "dim": "1000000"},
	} {
		name := s["name"]
		delete(s, "name")
		e, err := FromSpec(name, s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		x := tensor.New[float64](1, d)
		g := tensor.New[float64](1, d)
		en := make([]float64, 1)
		e.EnergyGrad(x, en, g)
		if !finite(en[0]) {
			t.Errorf("%s: E(0) = %v", name, en[0])
		}
	}
	// E at the all-ones point of the equicorrelated gauss: ½d/(1 + (d−1)ρ).
	e := must(FromSpec("gauss", map[string]string{"dim": "1000000", "rho": "0.5"}))
	x := tensor.Full[float64](1, d, 1)
	if got, want := energies(e, x)[0], 0.5*d/(1+(d-1)*0.5); !near(got, want, 1e-9) {
		t.Errorf("E(1) = %v, want %v", got, want)
	}
}
