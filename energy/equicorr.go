package energy

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// EquiGaussian is the equicorrelated normal N(μ, Σ) with
//
//	Σ = s²·((1 − ρ)I + ρ11ᵀ),   −1/(d−1) < ρ < 1,
//
// every variance s² and every pairwise correlation ρ. Its inverse and log
// determinant have closed forms (Sherman–Morrison), so it costs O(d) memory
// and O(d) time per point, whatever d:
//
//	Σ⁻¹ = (I − c·11ᵀ) / (s²(1 − ρ)),   c = ρ / (1 + (d−1)ρ),
//	log det Σ = d·log s² + (d−1)·log(1 − ρ) + log(1 + (d−1)ρ),
//	E(x) = ½(‖u‖² − c·(1ᵀu)²) / (s²(1 − ρ)),   ∇E = (u − c·(1ᵀu)·1) / (s²(1 − ρ)),
//
// with u = x − μ and LogZ = ½ log det(2πΣ). Exact samples use the symmetric
// square root Σ^½ = s√(1−ρ)·(I + (γ/d)·11ᵀ), γ = √((1 + (d−1)ρ)/(1 − ρ)) − 1.
// Smoothed(σ) is again equicorrelated, N(μ, Σ + σ²I): variance s² + σ² and
// correlation ρs²/(s² + σ²). It is immutable and safe for concurrent use.
type EquiGaussian struct {
	d        int
	mean     []float64
	v, rho   float64 // s², ρ
	scale, c float64 // 1/(s²(1−ρ)), ρ/(1+(d−1)ρ)
	gamma    float64
	logZ     float64
}

// NewEquiGaussian returns N(mean, variance·((1 − rho)I + rho·11ᵀ)). It returns
// an error for an empty or non-finite mean, a variance that is not finite and
// positive, or a rho outside (−1/(d−1), 1) (for d = 1, rho is ignored).
func NewEquiGaussian(mean []float64, variance, rho float64) (*EquiGaussian, error) {
	d := len(mean)
	if d == 0 {
		return nil, fmt.Errorf("energy: EquiGaussian: empty mean")
	}
	for i, m := range mean {
		if !finite(m) {
			return nil, fmt.Errorf("energy: EquiGaussian: mean[%d] = %v", i, m)
		}
	}
	if !(variance > 0) || math.IsInf(variance, 0) {
		return nil, fmt.Errorf("energy: EquiGaussian: variance %v, want finite and > 0", variance)
	}
	if d == 1 {
		rho = 0
	}
	lo := -1 / float64(d-1)
	if !(rho < 1) || !(rho > lo) {
		return nil, fmt.Errorf("energy: EquiGaussian: correlation %v makes the covariance singular or indefinite (need %.6g < rho < 1)", rho, lo)
	}
	df := float64(d)
	big := 1 + (df-1)*rho // eigenvalue along 1 (over s²)
	logDet := df*math.Log(variance) + (df-1)*math.Log1p(-rho) + math.Log(big)
	cond := math.Max(big, 1-rho) / math.Min(big, 1-rho)
	if !(cond <= maxCond) || !finite(logDet) {
		return nil, fmt.Errorf("energy: EquiGaussian: covariance is numerically singular (condition number %.3g)", cond)
	}
	g := &EquiGaussian{
		d: d, mean: append([]float64(nil), mean...), v: variance, rho: rho,
		scale: 1 / (variance * (1 - rho)),
		c:     rho / big,
		gamma: math.Sqrt(big/(1-rho)) - 1,
		logZ:  0.5 * (df*log2Pi + logDet),
	}
	return g, nil
}

// Dim returns d.
func (g *EquiGaussian) Dim() int { return g.d }

// LogZ returns ½ log det(2πΣ).
func (g *EquiGaussian) LogZ() float64 { return g.logZ }

// Rho returns the correlation ρ.
func (g *EquiGaussian) Rho() float64 { return g.rho }

// Mean returns a copy of μ.
func (g *EquiGaussian) Mean() []float64 { return append([]float64(nil), g.mean...) }

// Var returns the variances (all s²).
func (g *EquiGaussian) Var() []float64 {
	v := make([]float64, g.d)
	for i := range v {
		v[i] = g.v
	}
	return v
}

// Cov returns Σ as a dense d×d matrix (d² memory: for moderate d only).
func (g *EquiGaussian) Cov() *mat.SymDense {
	c := mat.NewSymDense(g.d, nil)
	for i := 0; i < g.d; i++ {
		for j := i; j < g.d; j++ {
			if i == j {
				c.SetSym(i, j, g.v)
			} else {
				c.SetSym(i, j, g.v*g.rho)
			}
		}
	}
	return c
}

// quad returns (‖u‖², 1ᵀu) for u = x − μ.
func (g *EquiGaussian) quad(x []float64) (ss, sum float64) {
	mu := g.mean
	x = x[:len(mu)]
	for j, xj := range x {
		u := xj - mu[j]
		ss += u * u
		sum += u
	}
	return ss, sum
}

// Energy writes ½(‖u‖² − c(1ᵀu)²)/(s²(1−ρ)) into e[i], u = x_i − μ.
func (g *EquiGaussian) Energy(x *tensor.Dense[float64], e []float64) {
	mustBatch("EquiGaussian.Energy", g.d, x, e, nil, false)
	d := g.d
	for i := range e {
		ss, sum := g.quad(x.Data[i*d : (i+1)*d])
		e[i] = 0.5 * g.scale * (ss - g.c*sum*sum)
	}
}

// EnergyGrad writes the energies into e and (u − c(1ᵀu)1)/(s²(1−ρ)) into row i
// of gr. It gives bit-for-bit the energies of Energy.
func (g *EquiGaussian) EnergyGrad(x *tensor.Dense[float64], e []float64, gr *tensor.Dense[float64]) {
	mustBatch("EquiGaussian.EnergyGrad", g.d, x, e, gr, true)
	d := g.d
	mu := g.mean
	for i := range e {
		xi := x.Data[i*d : (i+1)*d]
		ss, sum := g.quad(xi)
		e[i] = 0.5 * g.scale * (ss - g.c*sum*sum)
		gi := gr.Data[i*d : (i+1)*d]
		cs := g.c * sum
		for j, xj := range xi {
			gi[j] = g.scale * (xj - mu[j] - cs)
		}
	}
}

// Sample returns n exact samples μ + Σ^½ξ, ξ ~ N(0, I), one per row.
func (g *EquiGaussian) Sample(n int, rng *rand.Rand) *tensor.Dense[float64] {
	out := tensor.New[float64](n, g.d)
	a := math.Sqrt(g.v * (1 - g.rho))
	for i := 0; i < n; i++ {
		row := out.Row(i)
		sum := 0.0
		for j := range row {
			row[j] = rng.NormFloat64()
			sum += row[j]
		}
		shift := g.gamma * sum / float64(g.d)
		for j := range row {
			row[j] = g.mean[j] + a*(row[j]+shift)
		}
	}
	return out
}

// Smoothed returns the exact smoothed energy N(μ, Σ + σ²I); σ = 0 returns g. It
// panics if σ is negative or not finite.
func (g *EquiGaussian) Smoothed(sigma float64) GradEnergy {
	checkSigma("EquiGaussian", sigma)
	if sigma == 0 {
		return g
	}
	v := g.v + sigma*sigma
	out, err := NewEquiGaussian(g.mean, v, g.rho*g.v/v)
	if err != nil { // only for absurd σ (overflow of σ²)
		panic(fmt.Sprintf("energy: EquiGaussian.Smoothed(%v): %v", sigma, err))
	}
	return out
}
