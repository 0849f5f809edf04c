package energy

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// Default parameters of the toy energies (also FromSpec's defaults).
const (
	DefaultDoubleWellHeight = 4.0  // h of DoubleWell
	DefaultBananaB          = 0.03 // b of Banana (Haario et al.)
	DefaultRastriginA       = 10.0 // A of Rastrigin
)

// DoubleWell is a d-dimensional double well: a quartic with two wells along x₀
// and a standard normal in the other coordinates,
//
//	E(x) = h (x₀² − 1)² + ½ Σ_{i≥1} xᵢ²,
//
// with minima at x₀ = ±1 (E = 0) and a barrier of height h at x₀ = 0 (default h
// = 4 nats, DefaultDoubleWellHeight). The wells have equal mass, so the mean is 0.
// LogZ and the variance of x₀ come from a one-dimensional quadrature done once
// in the constructor (accurate to about 1e-12); Sample draws x₀ exactly by
// rejection from a Gaussian envelope. Safe for concurrent use; no allocation.
type DoubleWell struct {
	d         int
	h         float64
	logZ1, m2 float64 // log ∫ exp(−h(t²−1)²) dt and E[x₀²]
}

// NewDoubleWell returns the double well in dim ≥ 1 dimensions with barrier
// height h > 0 (finite).
func NewDoubleWell(dim int, h float64) (*DoubleWell, error) {
	if dim < 1 {
		return nil, fmt.Errorf("energy: DoubleWell: dim = %d, want ≥ 1", dim)
	}
	if !(h > 0) || math.IsInf(h, 0) {
		return nil, fmt.Errorf("energy: DoubleWell: barrier height h = %v, want finite and > 0", h)
	}
	// The mass lies where h(t²−1)² < 60: |t² − 1| < √(60/h). Integrate the even
	// integrand over t ≥ 0 and double it.
	r := math.Sqrt(60 / h)
	lo, hi := math.Sqrt(math.Max(0, 1-r)), math.Sqrt(1+r)
	z, m2 := evenQuad(func(t float64) float64 { u := t*t - 1; return math.Exp(-h * u * u) }, lo, hi, 8000)
	return &DoubleWell{d: dim, h: h, logZ1: math.Log(z), m2: m2 / z}, nil
}

// Dim returns d.
func (w *DoubleWell) Dim() int { return w.d }

// Height returns the barrier height h.
func (w *DoubleWell) Height() float64 { return w.h }

// LogZ returns log ∫exp(−h(t²−1)²)dt + (d−1)/2·log 2π.
func (w *DoubleWell) LogZ() float64 { return w.logZ1 + 0.5*float64(w.d-1)*log2Pi }

// Mean returns 0.
func (w *DoubleWell) Mean() []float64 { return make([]float64, w.d) }

// Cov returns diag(E[x₀²], 1, …, 1).
func (w *DoubleWell) Cov() *mat.SymDense {
	c := mat.NewSymDense(w.d, nil)
	c.SetSym(0, 0, w.m2)
	for i := 1; i < w.d; i++ {
		c.SetSym(i, i, 1)
	}
	return c
}

// Energy writes E(x_i) into e[i].
func (w *DoubleWell) Energy(x *tensor.Dense[float64], e []float64) {
	mustBatch("DoubleWell.Energy", w.d, x, e, nil, false)
	d := w.d
	for i := range e {
		r := x.Data[i*d : (i+1)*d]
		u := r[0]*r[0] - 1
		s := 0.0
		for _, v := range r[1:] {
			s += v * v
		}
		e[i] = w.h*u*u + 0.5*s
	}
}

// EnergyGrad writes the energies and the gradients (4h x₀(x₀² − 1), x₁, …, x_{d−1}).
func (w *DoubleWell) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	mustBatch("DoubleWell.EnergyGrad", w.d, x, e, g, true)
	d := w.d
	for i := range e {
		r := x.Data[i*d : (i+1)*d]
		gr := g.Data[i*d : (i+1)*d]
		u := r[0]*r[0] - 1
		s := 0.0
		for j := 1; j < d; j++ {
			v := r[j]
			s += v * v
			gr[j] = v
		}
		gr[0] = 4 * w.h * r[0] * u
		e[i] = w.h*u*u + 0.5*s
	}
}

// Sample returns n exact samples. x₀ = ±y with a random sign, y > 0 drawn by
// rejection: on t > 0, exp(−h(t²−1)²) ≤ exp(−h(t−1)²), so y ~ N(1, 1/(2h)) is
// accepted with probability exp(−h(y−1)²·y(y+2)) (and rejected if y ≤ 0).
func (w *DoubleWell) Sample(n int, rng *rand.Rand) *tensor.Dense[float64] {
	out := tensor.New[float64](n, w.d)
	sd := math.Sqrt(0.5 / w.h)
	for i := 0; i < n; i++ {
		r := out.Row(i)
		var y float64
		for {
			y = 1 + sd*rng.NormFloat64()
			if y <= 0 {
				continue
			}
			if rng.Float64() < math.Exp(-w.h*(y-1)*(y-1)*y*(y+2)) {
				break
			}
		}
		if rng.IntN(2) == 0 {
			y = -y
		}
		r[0] = y
		for j := 1; j < w.d; j++ {
			r[j] = rng.NormFloat64()
		}
	}
	return out
}

// Banana is the twisted Gaussian of Haario, Saksman and Tamminen (1999): take
// z ~ N(0, diag(100, 1, …, 1)) in d ≥ 2 dimensions and bend the second
// coordinate, x₁ = z₁ − b(z₀² − 100), other coordinates unchanged. The map has
// Jacobian 1, so
//
//	E(x) = x₀²/200 + ½(x₁ + b x₀² − 100b)² + ½ Σ_{i≥2} xᵢ²,
//	LogZ = d/2·log 2π + log 10,
//
// with b = 0.03 by default (DefaultBananaB; Haario et al. also use 0.1). The
// mean is 0 and the covariance diag(100, 1 + 2·10⁴b², 1, …, 1) (19 for x₁ at
// b = 0.03). Sample is exact. Safe for concurrent use; no allocation.
type Banana struct {
	d int
	b float64
}

// NewBanana returns the banana in dim ≥ 2 dimensions with curvature b (finite;
// b = 0 gives a Gaussian, b < 0 bends the other way).
func NewBanana(dim int, b float64) (*Banana, error) {
	if dim < 2 {
		return nil, fmt.Errorf("energy: Banana: dim = %d, want ≥ 2", dim)
	}
	if !finite(b) {
		return nil, fmt.Errorf("energy: Banana: b = %v, want finite", b)
	}
	return &Banana{d: dim, b: b}, nil
}

// Dim returns d.
func (k *Banana) Dim() int { return k.d }

// B returns the curvature b.
func (k *Banana) B() float64 { return k.b }

// LogZ returns d/2·log 2π + log 10.
func (k *Banana) LogZ() float64 { return 0.5*float64(k.d)*log2Pi + math.Log(10) }

// Mean returns 0.
func (k *Banana) Mean() []float64 { return make([]float64, k.d) }

// Cov returns diag(100, 1 + 2·10⁴b², 1, …, 1).
func (k *Banana) Cov() *mat.SymDense {
	c := mat.NewSymDense(k.d, nil)
	c.SetSym(0, 0, 100)
	c.SetSym(1, 1, 1+2e4*k.b*k.b)
	for i := 2; i < k.d; i++ {
		c.SetSym(i, i, 1)
	}
	return c
}

// Energy writes E(x_i) into e[i].
func (k *Banana) Energy(x *tensor.Dense[float64], e []float64) {
	mustBatch("Banana.Energy", k.d, x, e, nil, false)
	d := k.d
	for i := range e {
		r := x.Data[i*d : (i+1)*d]
		u := r[1] + k.b*r[0]*r[0] - 100*k.b
		s := 0.0
		for _, v := range r[2:] {
			s += v * v
		}
		e[i] = r[0]*r[0]/200 + 0.5*u*u + 0.5*s
	}
}

// EnergyGrad writes the energies and the gradients
// (x₀/100 + 2b x₀ u, u, x₂, …) with u = x₁ + b x₀² − 100b.
func (k *Banana) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	mustBatch("Banana.EnergyGrad", k.d, x, e, g, true)
	d := k.d
	for i := range e {
		r := x.Data[i*d : (i+1)*d]
		gr := g.Data[i*d : (i+1)*d]
		u := r[1] + k.b*r[0]*r[0] - 100*k.b
		s := 0.0
		for j := 2; j < d; j++ {
			v := r[j]
			s += v * v
			gr[j] = v
		}
		gr[0] = r[0]/100 + 2*k.b*r[0]*u
		gr[1] = u
		e[i] = r[0]*r[0]/200 + 0.5*u*u + 0.5*s
	}
}

// Sample returns n exact samples (z drawn, then bent).
func (k *Banana) Sample(n int, rng *rand.Rand) *tensor.Dense[float64] {
	out := tensor.New[float64](n, k.d)
	for i := 0; i < n; i++ {
		r := out.Row(i)
		for j := range r {
			r[j] = rng.NormFloat64()
		}
		r[0] *= 10
		r[1] -= k.b * (r[0]*r[0] - 100)
	}
	return out
}

// Rastrigin is the Rastrigin function as an energy, at temperature T:
//
//	E(x) = (A·d + Σᵢ (xᵢ² − A cos 2πxᵢ)) / T,
//
// with A = 10 (DefaultRastriginA) and T = 1 by default: a grid of local minima
// near the integer points, the global one E(0) = 0. p ∝ exp(−E) is a product of
// identical one-dimensional densities, so LogZ and the per-coordinate variance
// come from a one-dimensional quadrature done once in the constructor (accurate
// to about 1e-12), and Sample is exact (rejection from N(0, T/2), accepting with
// probability exp(−A(1 − cos 2πt)/T) per coordinate; the acceptance rate falls
// like √(T/A) when A/T is large). Safe for concurrent use; no allocation.
type Rastrigin struct {
	d         int
	a, t      float64
	logZ1, m2 float64
}

// NewRastrigin returns the Rastrigin energy in dim ≥ 1 dimensions with amplitude
// A ≥ 0 and temperature T > 0 (both finite).
func NewRastrigin(dim int, A, T float64) (*Rastrigin, error) {
	if dim < 1 {
		return nil, fmt.Errorf("energy: Rastrigin: dim = %d, want ≥ 1", dim)
	}
	if !(A >= 0) || math.IsInf(A, 0) {
		return nil, fmt.Errorf("energy: Rastrigin: A = %v, want finite and ≥ 0", A)
	}
	if !(T > 0) || math.IsInf(T, 0) {
		return nil, fmt.Errorf("energy: Rastrigin: temperature T = %v, want finite and > 0", T)
	}
	// The integrand is ≤ exp(−t²/T): stop at t²/T = 60. Steps resolve the width
	// of the wells, √(T/(2(1 + 2π²A))), and the unit period.
	hi := math.Sqrt(60 * T)
	width := math.Sqrt(T / (2 * (1 + 2*math.Pi*math.Pi*A)))
	step := math.Min(0.02, width/8)
	n := int(math.Ceil(hi / step))
	if n > 20_000_000 {
		return nil, errors.New("energy: Rastrigin: A and T too extreme for the normalizing quadrature")
	}
	n = max(n, 2000)
	z, m2 := evenQuad(func(u float64) float64 {
		return math.Exp(-(u*u + A*(1-math.Cos(2*math.Pi*u))) / T)
	}, 0, hi, n)
	return &Rastrigin{d: dim, a: A, t: T, logZ1: math.Log(z), m2: m2 / z}, nil
}

// Dim returns d.
func (r *Rastrigin) Dim() int { return r.d }

// A returns the amplitude A.
func (r *Rastrigin) A() float64 { return r.a }

// T returns the temperature T.
func (r *Rastrigin) T() float64 { return r.t }

// LogZ returns d·log ∫exp(−(t² + A(1 − cos 2πt))/T)dt.
func (r *Rastrigin) LogZ() float64 { return float64(r.d) * r.logZ1 }

// Mean returns 0.
func (r *Rastrigin) Mean() []float64 { return make([]float64, r.d) }

// Cov returns v·I, v the per-coordinate variance.
func (r *Rastrigin) Cov() *mat.SymDense {
	c := mat.NewSymDense(r.d, nil)
	for i := 0; i < r.d; i++ {
		c.SetSym(i, i, r.m2)
	}
	return c
}

// Energy writes E(x_i) into e[i].
func (r *Rastrigin) Energy(x *tensor.Dense[float64], e []float64) {
	mustBatch("Rastrigin.Energy", r.d, x, e, nil, false)
	d := r.d
	inv := 1 / r.t
	for i := range e {
		s := r.a * float64(d)
		for _, v := range x.Data[i*d : (i+1)*d] {
			s += v*v - r.a*math.Cos(2*math.Pi*v)
		}
		e[i] = s * inv
	}
}

// EnergyGrad writes the energies and the gradients (2xᵢ + 2πA sin 2πxᵢ)/T.
func (r *Rastrigin) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	mustBatch("Rastrigin.EnergyGrad", r.d, x, e, g, true)
	d := r.d
	inv := 1 / r.t
	for i := range e {
		s := r.a * float64(d)
		gr := g.Data[i*d : (i+1)*d]
		for j, v := range x.Data[i*d : (i+1)*d] {
			sn, cs := math.Sincos(2 * math.Pi * v)
			s += v*v - r.a*cs
			gr[j] = (2*v + 2*math.Pi*r.a*sn) * inv
		}
		e[i] = s * inv
	}
}

// Sample returns n exact samples, each coordinate by rejection.
func (r *Rastrigin) Sample(n int, rng *rand.Rand) *tensor.Dense[float64] {
	out := tensor.New[float64](n, r.d)
	sd := math.Sqrt(r.t / 2)
	for i := range out.Data {
		for {
			u := sd * rng.NormFloat64()
			if rng.Float64() < math.Exp(-r.a*(1-math.Cos(2*math.Pi*u))/r.t) {
				out.Data[i] = u
				break
			}
		}
	}
	return out
}

// evenQuad integrates an even, smooth, rapidly decaying f over the real line
// from its values on [lo, hi] ⊂ [0, ∞), where f is negligible outside ±[lo, hi]
// (lo = 0 allowed): it returns ∫f and ∫t²f. It uses the trapezoid rule with n
// intervals, which converges geometrically for such integrands; with lo = 0 the
// weight at t = 0 is halved before doubling, which gives exactly the full-line
// trapezoid rule.
func evenQuad(f func(float64) float64, lo, hi float64, n int) (z, m2 float64) {
	h := (hi - lo) / float64(n)
	for i := 0; i <= n; i++ {
		t := lo + float64(i)*h
		if i == n {
			t = hi
		}
		v := f(t)
		if i == 0 || i == n {
			v *= 0.5
		}
		z += v
		m2 += t * t * v
	}
	return 2 * h * z, 2 * h * m2
}
