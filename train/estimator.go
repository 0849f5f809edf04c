// Package train fits energy-based models. Each way of avoiding the partition
// function is an Estimator: a loss recorded on an autodiff tape for a data batch
// and a model, plus whatever state the estimator keeps between batches
// (persistent chains, a replay buffer, a learned log Z). The Trainer runs any
// estimator with the same loop: mini-batches, an optimizer and schedule,
// metrics, checkpoints, divergence recovery.
//
// The estimators:
//
//   - CD-k (contrastive divergence): negatives from k sampler steps started at
//     the data batch.
//   - PCD: the chains persist across parameter updates.
//   - Replay: the IGEBM recipe: a replay buffer of past negatives, a fraction
//     re-initialized from noise, K sampler steps, an E² penalty.
//   - ExactSM: Hyvärinen score matching, E[½‖∇ₓE‖² − tr ∇²ₓE].
//   - SlicedSM: sliced score matching with random projections.
//   - DenoisingSM: denoising score matching at one σ, or at several σ with a
//     noise-conditional energy.
//   - KDESM: regression on the score of a Gaussian kernel density estimate.
//   - NCE: noise-contrastive estimation with a learned log Z.
//
// The maximum-likelihood estimators (CD, PCD, Replay) all minimize
// mean E(x⁺) − mean E(x⁻) (+ α·mean(E(x⁺)² + E(x⁻)²)), whose parameter gradient
// is the usual stochastic likelihood gradient.
package train

import (
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// Stats are what an estimator reports about one batch.
type Stats struct {
	// EPos and ENeg are the mean energies of the data batch and of the
	// negatives (NaN where an estimator has no negatives).
	EPos, ENeg float64
	// Extra holds estimator-specific figures (for example NCE's log Z).
	Extra map[string]float64
}

// Estimator is a training objective.
type Estimator[T tensor.Float] interface {
	// Name identifies the estimator (cd, pcd, replay, sm, ssm, dsm, kde, nce).
	Name() string
	// Loss records the loss for the data batch x (n×d) on t and returns it as a
	// 1×1 node. It may run samplers on m and update the estimator's state.
	Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error)
}

// ExtraParams is implemented by estimators that train parameters of their own
// (NCE's log Z) beside the model's.
type ExtraParams[T tensor.Float] interface {
	ExtraParams() []*autodiff.Param[T]
}

// Stateful is implemented by estimators with state that a checkpoint must keep
// (persistent chains, replay buffers) so that a resumed run continues exactly.
type Stateful interface {
	// StateTensors returns the state as named float64 matrices.
	StateTensors() map[string]*tensor.Dense[float64]
	// LoadStateTensors restores what StateTensors returned.
	LoadStateTensors(map[string]*tensor.Dense[float64]) error
	// Reseed re-initializes the chains (after a divergence rollback).
	Reseed(rng *rand.Rand)
}

// meanOf returns the mean of an n×1 node's values in float64.
func meanOf[T tensor.Float](v *autodiff.Var[T]) float64 {
	return tensor.SumAll(v.Value) / float64(v.Value.Len())
}
