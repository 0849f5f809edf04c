// Package fit fits normalizing flows (package flow) with ebm's one trainer,
// train.Loop (one parameter group, "flow"), which brings rollback on NaN,
// checkpoints, metrics and progress:
//
//   - by maximum likelihood on data (forward KL): minimize −mean log q(x) over
//     data batches (DataLoop, FitData);
//   - to an energy E, with no data, by reverse KL: minimize
//     KL(q ‖ p) − log Z = E_q[E(x) + log q(x)] over reparameterized draws
//     x = f(z) (EnergyLoop, FitEnergy). The energy enters the tape through
//     its gradient: the surrogate Σᵢ ⟨∇E(xᵢ), xᵢ⟩ + (E(xᵢ) − ⟨∇E(xᵢ), xᵢ⟩)
//     has the value E(xᵢ) and, since ∇E(xᵢ) is held constant, the parameter
//     gradient ⟨∇E(xᵢ), ∂xᵢ/∂θ⟩ of E(xᵢ), so any energy.GradEnergy (analytic,
//     neural or a saved model) can be the target. After fitting, the
//     importance-sampling estimate of log Z (flow.EstimateLogZ) reports the
//     quality of the fit.
//
// The jobs TrainJob, FitJob and SampleJob (and Evaluate) run these end to
// end as ebm flow does: fit or sample, then write the model folder,
// report.json, samples.csv and the figures into a given folder.
//
// The package sits apart from package flow so that package train (below the
// model families) and its tests can use flows as learned samplers without an
// import cycle.
package fit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// Group is the name of the flow's parameter group.
const Group = "flow"

// Options configure a fitting run.
type Options struct {
	Iters    int     // iterations (default 2000)
	Batch    int     // points per iteration (default 256)
	LR       float64 // Adam learning rate (default 1e-3)
	ClipNorm float64 // gradient-norm clipping (0: none)
	// Schedule, if not nil, gives the learning rate of every iteration
	// instead of LR (see optim.ParseSchedule).
	Schedule optim.Schedule
	Seed     uint64 // seed of the loop's randomness (draws, data order)
}

func (o Options) withDefaults() Options {
	if o.Iters == 0 {
		o.Iters = 2000
	}
	if o.Batch == 0 {
		o.Batch = 256
	}
	if o.LR == 0 {
		o.LR = 1e-3
	}
	return o
}

// MLObjective is maximum likelihood on data: Loss = −mean log q(x) over the
// batch. Its Stats report the loss as the mean energy of the data.
type MLObjective[T tensor.Float] struct {
	Flow *flow.Flow[T]
}

// Groups returns the flow's group.
func (o *MLObjective[T]) Groups() []string { return []string{Group} }

// Loss records −mean log q(x) of the batch.
func (o *MLObjective[T]) Loss(t *autodiff.Tape[T], b *tensor.Dense[float64], _ *rand.Rand) (*autodiff.Var[T], train.Stats, error) {
	lp, err := o.Flow.LogProb(t, t.Input(b, false))
	if err != nil {
		return nil, train.Stats{}, err
	}
	loss := autodiff.Neg(autodiff.Mean(lp))
	return loss, train.Stats{EPos: loss.Item(), ENeg: math.NaN()}, nil
}

// DataLoop returns the loop that fits f to the points of src by maximum
// likelihood, with Adam at o.LR. ActNorm layers are initialized from the
// first batch. The caller may set the loop's Metrics, Progress and
// Checkpoint before running it.
func DataLoop[T tensor.Float](f *flow.Flow[T], src train.PointSource, o Options) (*train.Loop[T, *tensor.Dense[float64]], error) {
	if f == nil || src == nil {
		return nil, errors.New("fit: nil flow or data")
	}
	if src.Dim() != f.D {
		return nil, fmt.Errorf("fit: the data have dimension %d, the flow %d", src.Dim(), f.D)
	}
	o = o.withDefaults()
	if hasActNorm(f) {
		b, err := src.Batch(0, max(o.Batch, 2))
		if err != nil {
			return nil, err
		}
		if err := f.InitFromData(b); err != nil {
			return nil, err
		}
	}
	return &train.Loop[T, *tensor.Dense[float64]]{
		Groups:     []train.Group[T]{{Name: Group, Params: f.Params(), LR: o.LR, ClipNorm: o.ClipNorm, Schedule: o.Schedule}},
		Objectives: []train.Grouped{&MLObjective[T]{Flow: f}},
		Data:       src, Batch: o.Batch, Iters: o.Iters, Seed: o.Seed,
	}, nil
}

func hasActNorm[T tensor.Float](f *flow.Flow[T]) bool {
	for _, l := range f.Layers {
		if _, ok := l.(*flow.ActNorm[T]); ok {
			return true
		}
	}
	return false
}

// FitData fits f to src by maximum likelihood (see DataLoop).
func FitData[T tensor.Float](ctx context.Context, f *flow.Flow[T], src train.PointSource, o Options) (*train.Result, error) {
	l, err := DataLoop(f, src, o)
	if err != nil {
		return nil, err
	}
	return l.Run(ctx)
}

// Draws is the batch source of reverse-KL fitting: the batch of every
// iteration is just the number of draws n.
type Draws struct{}

// Batch returns n.
func (Draws) Batch(_, n int) (int, error) { return n, nil }

// ReverseKL is the reverse-KL objective: Loss = mean over n draws xᵢ = f(zᵢ)
// of E(xᵢ) + log q(xᵢ), an upper bound on −log Z whose gap is KL(q ‖ p). The
// energy is evaluated in float64 with its gradient (see the package comment).
// Stats: EPos is unused (NaN), ENeg is the draws' mean energy; Extra holds
// the batch's importance-sampling log Z and ESS fraction.
type ReverseKL[T tensor.Float] struct {
	Flow   *flow.Flow[T]
	Energy energy.GradEnergy

	xb, gb *tensor.Dense[float64]
	eb     []float64
}

// Groups returns the flow's group.
func (o *ReverseKL[T]) Groups() []string { return []string{Group} }

// Loss draws n points and records the reverse-KL loss.
func (o *ReverseKL[T]) Loss(t *autodiff.Tape[T], n int, rng *rand.Rand) (*autodiff.Var[T], train.Stats, error) {
	x, lq, err := o.Flow.Draw(t, n, rng)
	if err != nil {
		return nil, train.Stats{}, err
	}
	d := o.Flow.D
	if o.xb == nil || o.xb.Rows != n {
		o.xb, o.gb, o.eb = tensor.New[float64](n, d), tensor.New[float64](n, d), make([]float64, n)
	}
	tensor.Convert(o.xb, x.Value)
	o.Energy.EnergyGrad(o.xb, o.eb, o.gb)
	g := tensor.New[T](n, d)
	c := tensor.New[T](n, 1)
	lw := make([]float64, n)
	var me float64
	for i := 0; i < n; i++ {
		dot := 0.0
		for j := 0; j < d; j++ {
			v := o.gb.At(i, j)
			g.Set(i, j, T(v))
			dot += v * o.xb.At(i, j)
		}
		c.Data[i] = T(o.eb[i] - dot)
		me += o.eb[i]
		lw[i] = -o.eb[i] - float64(lq.Value.Data[i])
	}
	per := autodiff.Add(autodiff.Add(autodiff.SumCols(autodiff.Mul(x, t.Const(g))), t.Const(c)), lq)
	loss := autodiff.Mean(per)
	st := train.Stats{EPos: math.NaN(), ENeg: me / float64(n), Extra: map[string]float64{}}
	if is, err := flow.ImportanceLogZ(lw); err == nil {
		st.Extra["log_z_is"] = is.LogZ
		st.Extra["ess_frac"] = is.ESSFrac
	}
	return loss, st, nil
}

// EnergyLoop returns the loop that fits f to p ∝ exp(−E) by reverse KL, with
// Adam at o.LR and o.Batch draws per iteration.
func EnergyLoop[T tensor.Float](f *flow.Flow[T], e energy.GradEnergy, o Options) (*train.Loop[T, int], error) {
	if f == nil || e == nil {
		return nil, errors.New("fit: nil flow or energy")
	}
	if e.Dim() != f.D {
		return nil, fmt.Errorf("fit: the energy has dimension %d, the flow %d", e.Dim(), f.D)
	}
	o = o.withDefaults()
	return &train.Loop[T, int]{
		Groups:     []train.Group[T]{{Name: Group, Params: f.Params(), LR: o.LR, ClipNorm: o.ClipNorm, Schedule: o.Schedule}},
		Objectives: []train.Grouped{&ReverseKL[T]{Flow: f, Energy: e}},
		Data:       Draws{}, Batch: o.Batch, Iters: o.Iters, Seed: o.Seed,
	}, nil
}

// EnergyResult is the outcome of FitEnergy: the training result and the
// importance-sampling estimate of log Z with the fitted flow.
type EnergyResult struct {
	Train *train.Result
	IS    flow.ISResult
}

// FitEnergy fits f to e by reverse KL (see EnergyLoop), then estimates log Z
// of e by importance sampling with isDraws draws from the fitted flow.
func FitEnergy[T tensor.Float](ctx context.Context, f *flow.Flow[T], e energy.GradEnergy, o Options, isDraws int) (*EnergyResult, error) {
	l, err := EnergyLoop(f, e, o)
	if err != nil {
		return nil, err
	}
	res, err := l.Run(ctx)
	if err != nil {
		return nil, err
	}
	is, err := flow.EstimateLogZ(f, e, isDraws, o.Seed^0x15)
	if err != nil {
		return nil, err
	}
	return &EnergyResult{Train: res, IS: is}, nil
}
