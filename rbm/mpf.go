package rbm

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// Minimum probability flow (Sohl-Dickstein, Battaglino and DeWeese 2011) and
// pseudo-likelihood share one form for binary models with single-bit-flip
// connectivity. For a state x and its d neighbours flipⱼ(x), let
//
//	δⱼ(x) = E(x) − E(flipⱼ(x)).
//
// Both objectives are data means of Σⱼ φ(δⱼ(x)):
//
//	MPF:  K(θ) = (1/|D|) Σ_{x∈D} Σⱼ exp(½δⱼ(x)),       φ(δ) = e^{δ/2}
//	PL:   −PL(θ) = (1/|D|) Σ_{x∈D} Σⱼ softplus(δⱼ(x)), φ(δ) = log(1 + e^δ)
//
// (for PL, −log p(xⱼ | x₋ⱼ) = −log σ(−δⱼ) = softplus(δⱼ)). Both vanish in
// gradient, in expectation over the model's own distribution, at the true
// parameters: they are consistent estimators. MPF's flow rate ε is taken as 1
// (it scales K and not its minimizer). For an RBM the energy is the free energy
// F(v) of the visible units.

// flipLoss is φ and φ′ of one of the two objectives.
type flipLoss func(delta float64) (val, deriv float64)

// mpfLoss is φ(δ) = exp(δ/2), φ′(δ) = exp(δ/2)/2.
func mpfLoss(delta float64) (float64, float64) {
	e := math.Exp(0.5 * delta)
	return e, 0.5 * e
}

// plLoss is φ(δ) = softplus(δ), φ′(δ) = σ(δ).
func plLoss(delta float64) (float64, float64) {
	return softplus(delta), 1 / (1 + math.Exp(-delta))
}

// fvbmFlip adds to gB and gW, scaled by c, the gradient of the batch mean of
// Σⱼ φ(δⱼ) and returns that mean. For the FVBM with aⱼ = bⱼ + 2Σₖ Wⱼₖxₖ and
// sⱼ = 1 − 2xⱼ, δⱼ = sⱼaⱼ; with uⱼ = φ′(δⱼ)sⱼ,
//
//	∂/∂bⱼ = uⱼ,  ∂/∂θₖₗ = 2(uₖxₗ + uₗxₖ)   (θₖₗ = Wₖₗ = Wₗₖ, k ≠ l),
//
// and gW receives c·(uₖxₗ + uₗxₖ), half the pair's derivative, in the units of
// the trainer's ascent statistics (which double gW).
func (m *FVBM) fvbmFlip(batch *tensor.Dense[float64], phi flipLoss, c float64, gB []float64, gW *tensor.Dense[float64]) float64 {
	d := m.Dim()
	u := make([]float64, d)
	s := c / float64(batch.Rows)
	total := 0.0
	for n := 0; n < batch.Rows; n++ {
		xr := batch.Row(n)
		for j := 0; j < d; j++ {
			a := m.B[j]
			for k, w := range m.W.Row(j) {
				a += 2 * w * xr[k]
			}
			sj := 1 - 2*xr[j]
			v, dv := phi(sj * a)
			total += v
			u[j] = dv * sj
			gB[j] += s * u[j]
		}
		for k := 0; k < d; k++ {
			g := gW.Row(k)
			for l := 0; l < d; l++ {
				if k != l {
					g[l] += s * (u[k]*xr[l] + u[l]*xr[k])
				}
			}
		}
	}
	return total / float64(batch.Rows)
}

// flipObjective returns the batch mean of Σⱼ φ(δⱼ) and its gradient: gB[j] =
// ∂/∂bⱼ, gW[k][l] = gW[l][k] = ∂/∂θₖₗ for the shared coupling θₖₗ = Wₖₗ = Wₗₖ
// (zero diagonal).
func (m *FVBM) flipObjective(x *tensor.Dense[float64], phi flipLoss) (float64, []float64, *tensor.Dense[float64], error) {
	if err := m.Validate(); err != nil {
		return 0, nil, nil, err
	}
	if err := checkData(tensor.Convert[float32](nil, x), m.Dim(), true, false, "data"); err != nil {
		return 0, nil, nil, err
	}
	if x.Rows == 0 {
		return 0, nil, nil, errors.New("rbm: no data")
	}
	d := m.Dim()
	gB, gW := make([]float64, d), tensor.New[float64](d, d)
	v := m.fvbmFlip(x, phi, 1, gB, gW)
	for i := range gW.Data {
		gW.Data[i] *= 2
	}
	return v, gB, gW, nil
}

// MPFObjective returns the minimum-probability-flow objective of the binary
// rows of x under single-bit-flip connectivity,
//
//	K = (1/n) Σₙ Σⱼ exp(½(E(xₙ) − E(flipⱼ(xₙ)))),
//
// and its exact gradient: gB[j] = ∂K/∂bⱼ and gW[k][l] = gW[l][k] = ∂K/∂θₖₗ
// for the coupling θₖₗ = Wₖₗ = Wₗₖ (so a step θ −= η·gW[k][l] keeps W
// symmetric), with gW's diagonal 0.
func (m *FVBM) MPFObjective(x *tensor.Dense[float64]) (k float64, gB []float64, gW *tensor.Dense[float64], err error) {
	return m.flipObjective(x, mpfLoss)
}

// NegPLObjective returns the negative mean pseudo-log-likelihood
// −(1/n)Σₙ Σⱼ log p(xₙⱼ | xₙ,₋ⱼ) of the binary rows of x and its gradient, in
// the units of MPFObjective.
func (m *FVBM) NegPLObjective(x *tensor.Dense[float64]) (float64, []float64, *tensor.Dense[float64], error) {
	return m.flipObjective(x, plLoss)
}

// NaiveMeanField returns the naive mean-field estimate of an FVBM from binary
// data (Kappen and Rodríguez 1998; the inverse-Ising baseline): with C the
// empirical covariance of the units and mᵢ their means, the couplings are
// minus the off-diagonal of the inverse covariance and the biases solve the
// mean-field equations mᵢ = σ(bᵢ + Σⱼ Kᵢⱼmⱼ):
//
//	Kᵢⱼ = 2Wᵢⱼ = −(C⁻¹)ᵢⱼ (i ≠ j),  bᵢ = logit(mᵢ) − Σⱼ Kᵢⱼmⱼ.
//
// (For ±1 spins with p ∝ exp(Σ_{i<j} Jᵢⱼsᵢsⱼ + hᵀs) this is J = −C_s⁻¹, the
// same estimate.) A unit that is constant in the data, or a singular
// covariance, is an error.
func NaiveMeanField(x *tensor.Dense[float64]) (*FVBM, error) {
	if x == nil || x.Rows < 2 {
		return nil, errors.New("rbm: naive mean field needs at least two rows of data")
	}
	d := x.Cols
	if err := checkData(tensor.Convert[float32](nil, x), d, true, false, "data"); err != nil {
		return nil, err
	}
	n := float64(x.Rows)
	mean := make([]float64, d)
	for r := 0; r < x.Rows; r++ {
		for i, v := range x.Row(r) {
			mean[i] += v
		}
	}
	for i := range mean {
		mean[i] /= n
		if mean[i] == 0 || mean[i] == 1 {
			return nil, fmt.Errorf("rbm: naive mean field: unit %d is constant (%g) in the data", i, mean[i])
		}
	}
	cov := mat.NewSymDense(d, nil)
	for r := 0; r < x.Rows; r++ {
		xr := x.Row(r)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				cov.SetSym(i, j, cov.At(i, j)+(xr[i]-mean[i])*(xr[j]-mean[j]))
			}
		}
	}
	cov.ScaleSym(1/n, cov)
	return meanField(mean, cov)
}

// meanField is NaiveMeanField from the means and covariance of the units.
func meanField(mean []float64, cov *mat.SymDense) (*FVBM, error) {
	d := len(mean)
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		return nil, errors.New("rbm: naive mean field: the covariance of the data is singular (more rows, or fewer units, needed)")
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return nil, fmt.Errorf("rbm: naive mean field: %w", err)
	}
	m, err := NewFVBM(d)
	if err != nil {
		return nil, err
	}
	for i := 0; i < d; i++ {
		b := math.Log(mean[i] / (1 - mean[i]))
		for j := 0; j < d; j++ {
			if j == i {
				continue
			}
			k := -inv.At(i, j)
			m.W.Set(i, j, k/2)
			b -= k * mean[j]
		}
		m.B[i] = b
	}
	return m, m.Validate()
}

// CouplingRMSE returns the root mean square difference of the couplings
// (Wᵢⱼ, i < j) of two FVBMs of the same size.
func CouplingRMSE(a, b *FVBM) (float64, error) {
	if a.Dim() != b.Dim() {
		return 0, fmt.Errorf("rbm: coupling error of FVBMs with %d and %d units", a.Dim(), b.Dim())
	}
	d := a.Dim()
	if d < 2 {
		return 0, errors.New("rbm: coupling error needs at least two units")
	}
	s := 0.0
	for i := 0; i < d; i++ {
		for j := i + 1; j < d; j++ {
			e := a.W.At(i, j) - b.W.At(i, j)
			s += e * e
		}
	}
	return math.Sqrt(s / float64(d*(d-1)/2)), nil
}
