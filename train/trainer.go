package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/tensor"
)

// ConfigOf configures a TrainerOf.
type ConfigOf[T tensor.Float] struct {
	Iters int     // parameter updates
	Batch int     // data points per update
	LR    float64 // base learning rate (Adam by default)
	// Schedule, if not nil, sets the learning rate at every iteration (times
	// the divergence back-off factor).
	Schedule optim.Schedule
	// Optimizer, if not nil, replaces the default Adam(LR).
	Optimizer optim.Optimizer[T]
	// ClipNorm, if positive, clips the global gradient norm.
	ClipNorm float64
	// EMA, if in (0, 1), keeps an exponential moving average of the
	// parameters, which the final model uses.
	EMA float64
	// Seed makes the run reproducible: batches and every random draw of
	// iteration i derive from (Seed, i).
	Seed uint64
	// LogEvery emits metrics every so many iterations (0: 100).
	LogEvery int
	// SnapshotEvery keeps an in-memory good state every so many iterations for
	// divergence recovery (0: 100), and calls Checkpoint if set.
	SnapshotEvery int
	// EnergyBound flags divergence when a mean energy exceeds it in absolute
	// value (0: 1e6).
	EnergyBound float64
	// MaxRetries is how many divergences are recovered from before giving up
	// (0: 5).
	MaxRetries int
	// SpecNormIters is the number of power iterations per update for
	// spectrally normalized layers (0: 1).
	SpecNormIters int
	// Settings are recorded in every snapshot (see CheckSettings).
	Settings map[string]string
	// Metrics, if not nil, receives a Metrics record every LogEvery iterations
	// and at the end.
	Metrics func(Metrics)
	// Checkpoint, if not nil, is called with a good snapshot every
	// SnapshotEvery iterations and when the context is cancelled. The run
	// writes its next snapshot into the same storage: save the snapshot
	// during the call, or keep a Clone.
	Checkpoint func(*SnapshotOf[T]) error
	// Progress, if not nil, is called after every iteration.
	Progress func(iter int)
}

// Config configures a float32 Trainer.
type Config = ConfigOf[float32]

// EnergyGroup is the name of the Trainer's one parameter group.
const EnergyGroup = "energy"

// TrainerOf fits one model with one estimator on points: the simple case of a
// Loop, with one group named EnergyGroup (the model's parameters plus the
// estimator's ExtraParams) and one objective (the estimator's loss), plus
// the groups and objectives of an estimator that has Players (after them). A
// TwoPlayer estimator (FCE, Adversarial) adds a second group, SamplerGroup,
// and a second objective, its SamplerLoss, run after the energy's.
// Iteration i draws from a PCG generator seeded by (Seed, i + 2³²).
type TrainerOf[T tensor.Float] struct {
	Model     energy.Model[T]
	Estimator Estimator[T]
	Data      PointSource
	Config    ConfigOf[T]

	loop *Loop[T, *tensor.Dense[float64]]
}

// Trainer fits a float32 model.
type Trainer = TrainerOf[float32]

func (tr *TrainerOf[T]) setup() error {
	c := &tr.Config
	if tr.Model == nil || tr.Estimator == nil || tr.Data == nil {
		return errors.New("train: Model, Estimator and Data are required")
	}
	if tr.Data.Dim() != tr.Model.Dim() {
		return fmt.Errorf("train: data has dimension %d, the model %d", tr.Data.Dim(), tr.Model.Dim())
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		return fmt.Errorf("train: learning rate must be > 0, got %v", c.LR)
	}
	if c.SpecNormIters <= 0 {
		c.SpecNormIters = 1
	}
	if tr.loop == nil {
		params := append([]*autodiff.Param[T](nil), tr.Model.Params()...)
		if ep, ok := tr.Estimator.(ExtraParams[T]); ok {
			params = append(params, ep.ExtraParams()...)
		}
		g := Group[T]{Name: EnergyGroup, Params: params}
		if sn, ok := tr.Model.(interface{ UpdateSpectral(int) }); ok {
			g.AfterStep = func() { sn.UpdateSpectral(tr.Config.SpecNormIters) }
		}
		groups, objs := []Group[T]{g}, []Grouped{NewEstimatorObjective(EnergyGroup, tr.Model, tr.Estimator)}
		if pl, ok := tr.Estimator.(Players[T]); ok {
			gs, os, err := pl.Players(tr.Model, c.Seed)
			if err != nil {
				return fmt.Errorf("train: %s: %w", tr.Estimator.Name(), err)
			}
			groups, objs = append(groups, gs...), append(objs, os...)
		}
		tr.loop = &Loop[T, *tensor.Dense[float64]]{Groups: groups, Objectives: objs}
	}
	l := tr.loop
	g := &l.Groups[0]
	g.LR, g.Schedule, g.Optimizer, g.ClipNorm = c.LR, c.Schedule, c.Optimizer, c.ClipNorm
	g.EMA = 0
	if c.EMA > 0 && c.EMA < 1 {
		g.EMA = c.EMA
	}
	l.Data, l.Batch, l.Iters, l.Seed = tr.Data, c.Batch, c.Iters, c.Seed
	l.LogEvery, l.SnapshotEvery, l.EnergyBound, l.MaxRetries = c.LogEvery, c.SnapshotEvery, c.EnergyBound, c.MaxRetries
	l.Settings, l.Metrics, l.Checkpoint = c.Settings, c.Metrics, c.Checkpoint
	l.Progress = nil
	if p := c.Progress; p != nil {
		l.Progress = func(done, _ int) { p(done) }
	}
	return tr.twoPlayerSetup()
}

// Resume restores a snapshot; the next Run continues from its iteration.
func (tr *TrainerOf[T]) Resume(s *SnapshotOf[T]) error {
	if err := tr.setup(); err != nil {
		return err
	}
	return tr.loop.Resume(s)
}

// Run trains until Config.Iters iterations are done or ctx is cancelled (then
// it checkpoints, if a Checkpoint callback is set, and returns with
// Result.Interrupted). Divergence (a non-finite loss, gradient or parameter,
// or a mean energy beyond EnergyBound) rolls back to the last good snapshot,
// halves the learning rate, reseeds the estimator's chains and goes on; after
// MaxRetries rollbacks Run returns a *DivergenceError and the parameters of
// the last good snapshot. See Loop.Run.
func (tr *TrainerOf[T]) Run(ctx context.Context) (*Result, error) {
	if err := tr.setup(); err != nil {
		return nil, err
	}
	return tr.loop.Run(ctx)
}

// Loop returns the loop the trainer runs (nil before the first Run or Resume).
func (tr *TrainerOf[T]) Loop() *Loop[T, *tensor.Dense[float64]] { return tr.loop }

// EstimatorObjective is an estimator's loss on a model as an Objective on
// point batches that updates one group. It is Stateful when the estimator is.
type EstimatorObjective[T tensor.Float] struct {
	Group     string
	Model     energy.Model[T]
	Estimator Estimator[T]
}

// NewEstimatorObjective returns the objective of estimator e on model m,
// updating group.
func NewEstimatorObjective[T tensor.Float](group string, m energy.Model[T], e Estimator[T]) *EstimatorObjective[T] {
	return &EstimatorObjective[T]{Group: group, Model: m, Estimator: e}
}

// Groups returns the one group.
func (o *EstimatorObjective[T]) Groups() []string { return []string{o.Group} }

// Loss records the estimator's loss of batch x.
func (o *EstimatorObjective[T]) Loss(t *autodiff.Tape[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	if o.Model == nil || o.Estimator == nil {
		return nil, Stats{}, errors.New("train: EstimatorObjective needs a Model and an Estimator")
	}
	if x.Cols != o.Model.Dim() {
		return nil, Stats{}, fmt.Errorf("train: batch has dimension %d, the model %d", x.Cols, o.Model.Dim())
	}
	return o.Estimator.Loss(t, o.Model, x, rng)
}

// StateTensors returns the estimator's state (nil if it keeps none).
func (o *EstimatorObjective[T]) StateTensors() map[string]*tensor.Dense[float64] {
	if s, ok := o.Estimator.(Stateful); ok {
		return s.StateTensors()
	}
	return nil
}

func (o *EstimatorObjective[T]) writeState(m map[string]*tensor.Dense[float64]) {
	writeStateOf(o.Estimator, m)
}

// LoadStateTensors restores the estimator's state.
func (o *EstimatorObjective[T]) LoadStateTensors(m map[string]*tensor.Dense[float64]) error {
	if s, ok := o.Estimator.(Stateful); ok {
		return s.LoadStateTensors(m)
	}
	return nil
}

// Reseed re-initializes the estimator's chains, if it has any.
func (o *EstimatorObjective[T]) Reseed(rng *rand.Rand) {
	if s, ok := o.Estimator.(Stateful); ok {
		s.Reseed(rng)
	}
}
