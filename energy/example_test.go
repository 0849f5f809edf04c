package energy_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// Build built-in energies by name, as the command line does.
func ExampleFromSpec() {
	e, err := energy.FromSpec("gauss", map[string]string{"dim": "3", "rho": "0.5"})
	if err != nil {
		panic(err)
	}
	x := tensor.FromSlice(2, 3, []float64{
		0, 0, 0,
		1, 1, 1,
	})
	en := make([]float64, 2)
	g := tensor.New[float64](2, 3)
	e.EnergyGrad(x, en, g)
	fmt.Printf("dim %d, E = %.4f %.4f, ∇E(1,1,1) = %.4f\n", e.Dim(), en[0], en[1], g.Row(1))
	fmt.Printf("log Z = %.4f\n", e.(energy.Normalized).LogZ())

	_, err = energy.FromSpec("gauss", map[string]string{"rho": "1"})
	fmt.Println(err)
	_, err = energy.FromSpec("gaus", nil)
	fmt.Println(err)
	_, err = energy.FromSpec("banana", map[string]string{"c": "1"})
	fmt.Println(err)
	// Output:
	// dim 3, E = 0.0000 0.7500, ∇E(1,1,1) = [0.5000 0.5000 0.5000]
	// log Z = 2.4102
	// energy: gauss: setting rho=1: covariance not positive definite (need −1/(dim−1) < rho < 1)
	// energy: unknown energy "gaus" (valid: gauss, illcond, ncsn-gmm, 8gaussians, doublewell, banana, rastrigin)
	// energy: banana: unknown setting "c" (valid: dim, b)
}

// Print the command-line help for every built-in.
func ExampleDescribe() {
	for _, name := range energy.Names() {
		fmt.Printf("%-10s %s\n", name, energy.Describe(name))
	}
	// Output:
	// gauss      Gaussian, mean 0, unit variances, every pairwise correlation rho (settings: dim=2: dimension; rho=0: pairwise correlation, −1/(dim−1) < rho < 1)
	// illcond    ill-conditioned Gaussian, independent, variance of coordinate i = 10^(−2 + 4i/(dim−1)) (settings: dim=50: dimension, ≥ 2)
	// ncsn-gmm   2-D mixture 0.8·N((5,5), I) + 0.2·N((−5,−5), I) (NCSN toy) (no settings)
	// 8gaussians FFJORD's 8gaussians density: 8 equal Gaussians on a circle of radius 4/1.414, std 0.5/1.414 (entropy 2.832 nats) (no settings)
	// doublewell double well h(x₀² − 1)² + ½Σ_{i≥1} xᵢ², barrier height h (settings: dim=2: dimension; h=4: barrier height in nats, > 0)
	// banana     Haario's twisted Gaussian x₀²/200 + ½(x₁ + b x₀² − 100b)² + ½Σ_{i≥2} xᵢ² (settings: dim=2: dimension, ≥ 2; b=0.03: curvature)
	// rastrigin  Rastrigin (A·d + Σ(xᵢ² − A cos 2πxᵢ))/T: a grid of local minima (settings: dim=2: dimension; A=10: amplitude, ≥ 0; T=1: temperature, > 0)
}

// quartic is a user-defined energy, E(x) = Σ xᵢ⁴/4 − Σ xᵢ, with its gradient
// written by hand; slip = true plants a typical bug (a wrong factor).
type quartic struct {
	d    int
	slip bool
}

func (q quartic) Dim() int { return q.d }

func (q quartic) Energy(x *tensor.Dense[float64], e []float64) {
	for i := range e {
		e[i] = 0
		for _, v := range x.Row(i) {
			e[i] += v*v*v*v/4 - v
		}
	}
}

func (q quartic) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	q.Energy(x, e)
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			if q.slip {
				g.Set(i, j, v*v*v/4-1) // bug: forgot the 4 from the power rule
			} else {
				g.Set(i, j, v*v*v-1)
			}
		}
	}
}

// Check a hand-written gradient against finite differences before sampling
// with it.
func ExampleCheckGrad() {
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.New[float64](16, 3)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	for _, e := range []quartic{{d: 3}, {d: 3, slip: true}} {
		r, err := energy.CheckGrad(e, x, 0) // 0: the default step
		if err != nil {
			panic(err)
		}
		fmt.Printf("slip=%v: gradient ok (max rel err < 1e-6): %v\n", e.slip, r < 1e-6)
	}
	// Output:
	// slip=false: gradient ok (max rel err < 1e-6): true
	// slip=true: gradient ok (max rel err < 1e-6): false
}

// Compare a sampler's output with the truth: built-ins with known moments
// implement Moments, and many draw exact samples.
func ExampleExactSampler() {
	e, _ := energy.FromSpec("banana", nil)
	s := e.(energy.ExactSampler).Sample(100_000, rand.New(rand.NewPCG(3, 4)))
	var m float64
	for i := 0; i < s.Rows; i++ {
		m += s.At(i, 1) * s.At(i, 1)
	}
	truth := e.(energy.Moments).Cov().At(1, 1)
	fmt.Printf("Var x₁: true %.0f, within 5%% of the sample's: %v\n", truth, math.Abs(m/float64(s.Rows)-truth) < 0.05*truth)
	// Output:
	// Var x₁: true 19, within 5% of the sample's: true
}
