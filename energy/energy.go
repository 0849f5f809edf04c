// Package energy defines ebm's energy interfaces and its built-in energies.
//
// Sign convention: p(x) ∝ exp(−E(x)); low energy is likely, and the score is
// s(x) = ∇ₓ log p(x) = −∇ₓE(x). Points come in batches, one point per row of an
// n×d matrix, so every energy evaluates many chains at once.
//
// # Built-in energies
//
// Every analytic built-in computes in float64, has a hand-written gradient,
// allocates nothing per call once warm, and is safe for concurrent use (scratch
// space comes from a sync.Pool, never from a buffer shared in the struct).
// Constructors validate their parameters and return errors; methods called with
// a batch of the wrong shape panic (a programming error), and [CheckBatch] lets
// a sampler check a batch once up front instead.
//
//   - [Gaussian]: E(x) = ½(x−μ)ᵀΣ⁻¹(x−μ), full or diagonal covariance;
//     LogZ = ½ log det(2πΣ); exact samples; exact Gaussian smoothing.
//     [EquiGaussian] is the equicorrelated Σ = s²((1−ρ)I + ρ11ᵀ) in O(d).
//   - [GMM]: E(x) = −log Σₖ wₖ N(x; μₖ, Σₖ) (normalized, LogZ = 0), evaluated
//     with a stable log-sum-exp; exact samples; exact smoothing.
//     [EightGaussians] (FFJORD's 8gaussians) and [NCSNGMM] are fixed instances.
//   - [DoubleWell]: E(x) = h(x₀² − 1)² + ½ Σ_{i≥1} xᵢ².
//   - [Banana]: Haario et al.'s twisted Gaussian,
//     E(x) = x₀²/200 + ½(x₁ + b x₀² − 100b)² + ½ Σ_{i≥2} xᵢ².
//   - [Rastrigin]: E(x) = (A·d + Σᵢ (xᵢ² − A cos 2πxᵢ)) / T.
//   - Composition: [Sum] (product of experts), [Temperature] (E/T), [Shift]
//     (E(x − δ)).
//
// Where the truth is known the built-ins say so through small interfaces:
// [Normalized] (log Z), [Moments] (mean and covariance), [ExactSampler]
// (independent exact samples) and [Smoother] (exact Gaussian smoothing). Tests of
// samplers and estimators compare against these.
//
// [FromSpec] builds the built-ins by name for the command line ([Names],
// [Describe]). [CheckGrad] is the finite-difference gradient checker to run on
// your own energies.
//
// # Your own energies
//
// [FromFunc] adapts a per-point function (value and gradient in one call, as
// gonum's LogProber or nuts-rs's logp) to a GradEnergy. [FromModel] turns a
// neural energy defined only by Params and Build (a tape recording) into a
// full [Model], its gradient by reverse mode. [ParseModelSpec] builds the MLP
// energies of the command line ("mlp:hidden=128x128,act=silu").
//
// # Saved models
//
// [SaveModel] writes MLP energies into a model folder (package model) and
// [LoadModel] reads them back, checking every size against the tensors before
// allocating; the package registers the kinds "mlp-energy" and
// "noise-conditional-mlp-energy" with model.Register, so model.Load reads
// them too.
//
// # Concurrency and randomness
//
// Every energy here, the neural ones included, is safe for concurrent calls of
// Energy and EnergyGrad (scratch space comes from sync.Pools). Randomness
// follows one convention (see package sample): constructors and runs that draw
// many numbers take a seed and derive PCG streams from it; single draws take an
// explicit *rand.Rand; the global math/rand source is never used.
package energy

import (
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

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

// Freezer is implemented by energies whose parameters can be declared
// constant for a while, so that they prepare for many evaluations (a neural
// energy packs its weights once for the products of all the steps of a
// sampler run instead of once per product). Freeze returns the function that
// ends the frozen period; the parameters must not change before it is called,
// and results are the same as without freezing. The trainer's negative
// sampling freezes the model around each sampler run.
type Freezer interface {
	Freeze() (thaw func())
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

// Moments is implemented by energies whose distribution p ∝ exp(−E) has a known
// mean and covariance. Both methods return fresh copies.
type Moments interface {
	Mean() []float64
	Cov() *mat.SymDense
}

// ExactSampler is implemented by energies that can draw independent exact
// samples from p ∝ exp(−E): Sample returns an n×d batch, one sample per row,
// using only rng for randomness.
type ExactSampler interface {
	Sample(n int, rng *rand.Rand) *tensor.Dense[float64]
}
