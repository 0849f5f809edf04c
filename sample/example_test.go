package sample_test

import (
	"context"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// gaussian is E(x) = Σ_j (x_j − μ_j)²/(2σ_j²), a Gaussian with mean μ and
// standard deviations σ.
type gaussian struct{ mu, sd []float64 }

func (g gaussian) Dim() int { return len(g.mu) }

func (g gaussian) Energy(x *tensor.Dense[float64], e []float64) {
	for i := range e {
		e[i] = 0
		for j, v := range x.Row(i) {
			z := (v - g.mu[j]) / g.sd[j]
			e[i] += z * z / 2
		}
	}
}

func (g gaussian) EnergyGrad(x *tensor.Dense[float64], e []float64, gr *tensor.Dense[float64]) {
	g.Energy(x, e)
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			gr.Set(i, j, (v-g.mu[j])/(g.sd[j]*g.sd[j]))
		}
	}
}

func ExampleMALA() {
	target := gaussian{mu: []float64{1, -2}, sd: []float64{0.5, 3}}
	k, err := sample.NewMALA(target, sample.DefaultMALAOptions())
	if err != nil {
		panic(err)
	}
	x0 := tensor.New[float64](4, 2) // 4 chains started at the origin
	res, err := sample.Run(context.Background(), k, x0, sample.Config{Warmup: 1000, Steps: 4000, Seed: 1})
	if err != nil {
		panic(err)
	}
	m, c := res.Mean(), res.Cov()
	fmt.Printf("mean ≈ (%.1f, %.1f)\n", m[0], m[1])
	fmt.Printf("sd ≈ (%.1f, %.0f)\n", math.Sqrt(c[0][0]), math.Sqrt(c[1][1]))
	fmt.Printf("max R̂ < 1.01: %v\n", res.Diagnostics().MaxRhat < 1.01)
	// Output:
	// mean ≈ (1.0, -2.0)
	// sd ≈ (0.5, 3)
	// max R̂ < 1.01: true
}

func ExampleHMC() {
	target := gaussian{mu: []float64{0, 0, 0}, sd: []float64{0.1, 1, 10}}
	opts := sample.DefaultHMCOptions()
	opts.L = 15
	k, err := sample.NewHMC(target, opts)
	if err != nil {
		panic(err)
	}
	x0 := tensor.New[float64](4, 3)
	res, err := sample.Run(context.Background(), k, x0, sample.Config{Warmup: 1000, Steps: 2000, Seed: 7})
	if err != nil {
		panic(err)
	}
	// The adapted inverse metric approximates the variances 0.01, 1, 100.
	m := res.InvMetric[0]
	fmt.Printf("inverse metric / variance ≈ (%.0f, %.0f, %.0f)\n", m[0]/0.01, m[1], m[2]/100)
	fmt.Printf("divergences: %d\n", res.Divergences[0])
	d := res.Diagnostics()
	fmt.Printf("min bulk ESS > 1000: %v\n", d.MinESSBulk > 1000)
	// Output:
	// inverse metric / variance ≈ (1, 1, 1)
	// divergences: 0
	// min bulk ESS > 1000: true
}
