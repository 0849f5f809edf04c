package metric

import (
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0xda3e39cb94b95bdb)) }

// gaussSample returns n rows of N(mu, sigma² I).
func gaussSample(rng *rand.Rand, n int, mu []float64, sigma float64) *tensor.Dense[float64] {
	d := len(mu)
	x := tensor.New[float64](n, d)
	for i := 0; i < n; i++ {
		for k := 0; k < d; k++ {
			x.Data[i*d+k] = mu[k] + sigma*rng.NormFloat64()
		}
	}
	return x
}

// meanSD returns the mean and sample standard deviation of v.
func meanSD(v []float64) (float64, float64) {
	m := 0.0
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	s := 0.0
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, math.Sqrt(s / float64(len(v)-1))
}

// gaussEnergy is the isotropic Gaussian energy E(x) = |x−mu|²/(2σ²) (no
// normalizing constant, so Z = (2πσ²)^(d/2)). It records the largest batch it
// was given.
type gaussEnergy struct {
	mu       []float64
	sigma    float64
	maxBatch int
}

func (g *gaussEnergy) Dim() int { return len(g.mu) }

func (g *gaussEnergy) Energy(x *tensor.Dense[float64], e []float64) {
	g.maxBatch = max(g.maxBatch, x.Rows)
	d := len(g.mu)
	for i := 0; i < x.Rows; i++ {
		s := 0.0
		for k := 0; k < d; k++ {
			t := x.Data[i*d+k] - g.mu[k]
			s += t * t
		}
		e[i] = s / (2 * g.sigma * g.sigma)
	}
}

func (g *gaussEnergy) EnergyGrad(x *tensor.Dense[float64], e []float64, grad *tensor.Dense[float64]) {
	g.Energy(x, e)
	d := len(g.mu)
	for i := 0; i < x.Rows; i++ {
		for k := 0; k < d; k++ {
			grad.Data[i*d+k] = (x.Data[i*d+k] - g.mu[k]) / (g.sigma * g.sigma)
		}
	}
}

// funcEnergy is a 2-D energy given by a function, for error cases.
type funcEnergy struct {
	dim int
	f   func(a, b float64) float64
}

func (f funcEnergy) Dim() int { return f.dim }

func (f funcEnergy) Energy(x *tensor.Dense[float64], e []float64) {
	for i := 0; i < x.Rows; i++ {
		e[i] = f.f(x.Data[i*x.Cols], x.Data[i*x.Cols+1])
	}
}
