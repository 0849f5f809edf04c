package restore

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// Fidelity is the Gaussian data term of observations y = x + σξ:
//
//	F(x_c) = ‖x_c − y_{c mod m}‖² / (2σ²),   ∇F(x_c) = (x_c − y_{c mod m}) / σ²,
//
// for the rows y_0…y_{m−1} of Y. It is an energy.GradEnergy whose batches must
// have a multiple of m rows (a programming error panics, as energy does). It is
// immutable and safe for concurrent use.
type Fidelity struct {
	Y     *tensor.Dense[float64]
	Sigma float64
	inv   float64 // 1/σ²
}

// NewFidelity returns the fidelity term of the observations y (m×d, copied)
// at noise level sigma. It returns an error for σ ≤ 0 or not finite, an empty
// y or a non-finite observation.
func NewFidelity(y *tensor.Dense[float64], sigma float64) (*Fidelity, error) {
	if err := checkSigma(sigma); err != nil {
		return nil, err
	}
	if err := checkObs(y); err != nil {
		return nil, err
	}
	return &Fidelity{Y: y.Clone(), Sigma: sigma, inv: 1 / (sigma * sigma)}, nil
}

func checkSigma(sigma float64) error {
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return fmt.Errorf("restore: noise level sigma = %v, want finite and > 0", sigma)
	}
	return nil
}

func checkObs(y *tensor.Dense[float64]) error {
	if y == nil || y.Rows == 0 || y.Cols == 0 {
		return errors.New("restore: no observations")
	}
	for i, v := range y.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("restore: observation %d, coordinate %d is %v", i/y.Cols, i%y.Cols, v)
		}
	}
	return nil
}

// Dim returns d.
func (f *Fidelity) Dim() int { return f.Y.Cols }

func (f *Fidelity) check(x *tensor.Dense[float64], e []float64) {
	if x.Cols != f.Y.Cols || len(e) != x.Rows || x.Rows%f.Y.Rows != 0 {
		panic(fmt.Sprintf("restore: Fidelity of %d observations evaluated on a %d×%d batch with %d energies", f.Y.Rows, x.Rows, x.Cols, len(e)))
	}
}

// Energy writes F(x_c) into e[c].
func (f *Fidelity) Energy(x *tensor.Dense[float64], e []float64) {
	f.check(x, e)
	m := f.Y.Rows
	for c := range e {
		y, r := f.Y.Row(c%m), x.Row(c)
		s := 0.0
		for j, v := range r {
			t := v - y[j]
			s += t * t
		}
		e[c] = 0.5 * s * f.inv
	}
}

// EnergyGrad writes F(x_c) into e[c] and ∇F(x_c) into row c of g.
func (f *Fidelity) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	f.check(x, e)
	m := f.Y.Rows
	for c := range e {
		y, r, gr := f.Y.Row(c%m), x.Row(c), g.Row(c)
		s := 0.0
		for j, v := range r {
			t := v - y[j]
			s += t * t
			gr[j] = t * f.inv
		}
		e[c] = 0.5 * s * f.inv
	}
}

// Posterior returns the posterior energy of clean points given the Gaussian
// observations y (m×d) at noise level sigma under the prior energy:
//
//	E(x_c | y) = E(x_c) + ‖x_c − y_{c mod m}‖² / (2σ²),
//
// the product of experts energy.Sum(prior, Fidelity). When the prior is an
// energy.Smoother the result is one too: Smoothed(s) is
// E_s(x) + ‖x − y‖²/(2(σ² + s²)), the smoothed prior with the fidelity
// widened by the same noise (the annealing of Jalal et al. 2021), so annealed
// Langevin follows it down to the posterior at s → 0.
func Posterior(prior energy.GradEnergy, y *tensor.Dense[float64], sigma float64) (energy.GradEnergy, error) {
	if prior == nil {
		return nil, errors.New("restore: nil prior energy")
	}
	f, err := NewFidelity(y, sigma)
	if err != nil {
		return nil, err
	}
	if prior.Dim() != f.Dim() {
		return nil, fmt.Errorf("restore: the prior has dimension %d, the observations %d", prior.Dim(), f.Dim())
	}
	s, err := energy.Sum(prior, f)
	if err != nil {
		return nil, err
	}
	if sm, ok := prior.(energy.Smoother); ok {
		return &smoothPosterior{GradEnergy: s, sm: sm, f: f}, nil
	}
	return s, nil
}

type smoothPosterior struct {
	energy.GradEnergy
	sm energy.Smoother
	f  *Fidelity
}

func (p *smoothPosterior) Smoothed(s float64) energy.GradEnergy {
	if s == 0 {
		return p.GradEnergy
	}
	w := math.Sqrt(p.f.Sigma*p.f.Sigma + s*s)
	f := &Fidelity{Y: p.f.Y, Sigma: w, inv: 1 / (w * w)}
	out, err := energy.Sum(p.sm.Smoothed(s), f)
	if err != nil {
		panic(err) // unreachable: dimensions were checked
	}
	return out
}
