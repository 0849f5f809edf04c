// Package train fits energy-based models.
//
// One Loop trains every model family: parameter groups (each with its
// optimizer, schedule, clipping and average, its parameters namespaced by the
// group's name) updated by objectives run in a stated order every iteration
// (one objective on one group for a plain energy; an energy and a sampler
// network, or an energy and a critic, as two objectives on two groups). Batches
// are points (PointSource: Generator, Dataset), labelled points
// (LabelledDataset) or anything else (Items). The loop owns snapshots,
// divergence rollback, checkpoints (SaveCheckpoint, LoadCheckpoint), exact
// resume, metrics and cancellation. Trainer is the simple case: one model, one
// Estimator, points.
//
// Each way of avoiding the partition function is an Estimator: a loss recorded
// on an autodiff tape for a data batch and a model, plus whatever state the
// estimator keeps between batches (persistent chains, a replay buffer, a
// learned log Z). ParseEstimator builds one from a spec string such as
// "replay:sampler=mala,step=0.01" with the defaults that EstimatorHelp lists.
//
// The estimators:
//
//   - ML: maximum likelihood with negatives from any Negatives source:
//     FromData (fresh chains at the data), FromNoise (fresh starts),
//     Persistent (persistent chains) or ReplayBuffer, each moved by a
//     NegSampler (a named Langevin-type kernel or any sample.Kernel).
//   - CD-k (contrastive divergence): ML with FromData negatives.
//   - PCD: ML with Persistent negatives.
//   - Replay: the IGEBM recipe, ML with ReplayBuffer negatives and an E²
//     penalty.
//   - ExactSM: Hyvärinen score matching, E[½‖∇ₓE‖² − tr ∇²ₓE].
//   - SlicedSM: sliced score matching with random projections.
//   - DenoisingSM: denoising score matching at one σ, or at several σ with a
//     noise-conditional energy.
//   - KDESM: regression on the score of a Gaussian kernel density estimate.
//   - NCE: noise-contrastive estimation with a learned log Z.
//   - FCE: flow-contrastive estimation, NCE whose noise is a flow trained
//     against the energy (a second parameter group, see TwoPlayer).
//   - Adversarial: max over the energy, min over a sampler network q of
//     E_q[E] − E_data[E] − H(q), with q a flow (LearnedSampler, exact
//     entropy) or a sampler with an estimated entropy gradient
//     (EntropySampler, such as gen.Noisy); no MCMC.
//   - KSD: the kernel Stein discrepancy (IMQ or RBF kernel, U- or
//     V-statistic) of the data under the model's score.
//   - LSD: the learned Stein discrepancy, a critic network trained against
//     the energy as a second parameter group (Players).
//   - KLC: minimum KL contraction over a Contraction (Gaussian smoothing),
//     score matching in the small-noise limit.
//
// The maximum-likelihood estimators all minimize
// mean E(x⁺) − mean E(x⁻) (+ α·mean(E(x⁺)² + E(x⁻)²)), whose parameter gradient
// is the usual stochastic likelihood gradient.
package train

import (
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// Estimator is a training objective.
type Estimator[T tensor.Float] interface {
	// Name identifies the estimator (cd, pcd, replay, sm, ssm, dsm, kde, nce,
	// fce, adv).
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

// stateWriter is a Stateful whose state can be written into an existing map:
// writeState(m) leaves in m what StateTensors returns, copied into the tensors
// m already holds under the same names where the shapes agree. A snapshot
// every so many iterations then reuses the copy of a replay buffer or of
// persistent chains instead of allocating a new one.
type stateWriter interface {
	writeState(m map[string]*tensor.Dense[float64])
}

// writeStateOf writes the state of v into m: through writeState where v has
// it, else by replacing m's contents with StateTensors, or by emptying m when v
// keeps no state.
func writeStateOf(v any, m map[string]*tensor.Dense[float64]) {
	switch s := v.(type) {
	case stateWriter:
		s.writeState(m)
	case Stateful:
		clear(m)
		for k, t := range s.StateTensors() {
			m[k] = t
		}
	default:
		clear(m)
	}
}

// copyInto returns dst with src's values when dst has src's shape, else a
// copy of src.
func copyInto[T tensor.Float](dst, src *tensor.Dense[T]) *tensor.Dense[T] {
	if dst == nil || dst.Rows != src.Rows || dst.Cols != src.Cols || len(dst.Data) != len(src.Data) {
		return src.Clone()
	}
	copy(dst.Data, src.Data)
	return dst
}

// meanOf returns the mean of an n×1 node's values in float64.
func meanOf[T tensor.Float](v *autodiff.Var[T]) float64 {
	return tensor.SumAll(v.Value) / float64(v.Value.Len())
}
