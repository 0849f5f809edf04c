// Package energy defines ebm's energy interfaces and its built-in energies.
//
// Sign convention: p(x) ∝ exp(−E(x)); low energy is likely, and the score is
// s(x) = ∇ₓ log p(x) = −∇ₓE(x). Points come in batches, one point per row of an
// n×d matrix, so every energy evaluates many chains at once.
package energy

import "github.com/ebm-go/ebm/tensor"

// Energy is an unnormalized negative log density over R^d.
type Energy interface {
	// Dim returns d, the dimension of a point.
	Dim() int
	// Energy writes E(x_i) into e[i] for every row x_i of the n×d batch x;
	// len(e) must be n.
	Energy(x *tensor.Dense[float64], e []float64)
}

// GradEnergy is an Energy that also gives its gradient, what gradient-based
// samplers need.
type GradEnergy interface {
	Energy
	// EnergyGrad writes E(x_i) into e[i] and ∇ₓE(x_i) into row i of g (n×d).
	EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64])
}

// Smoother is implemented by energies that know their Gaussian-smoothed versions
// exactly: Smoothed(σ) is the energy of p * N(0, σ²I), the density of x + σξ for
// x ~ p. Annealed Langevin follows these noise-conditional energies.
type Smoother interface {
	Smoothed(sigma float64) GradEnergy
}

// Normalized is implemented by energies whose normalizing constant is known:
// p(x) = exp(−E(x) − LogZ()).
type Normalized interface {
	LogZ() float64
}
