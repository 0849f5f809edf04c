package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// Source yields training batches. Batch(iter, dst) fills dst (n×d) with the
// batch of iteration iter; it must depend only on iter (and the source's own
// seed), so that a resumed run sees the same batches.
type Source interface {
	Dim() int
	Batch(iter int, dst *tensor.Dense[float64])
}

// Generator is a Source that draws fresh points every iteration from Gen with
// a generator seeded by (Seed, iter): infinite data.
type Generator struct {
	D    int
	Gen  func(n int, rng *rand.Rand) *tensor.Dense[float64]
	Seed uint64
}

// Dim returns the dimension of the points.
func (g *Generator) Dim() int { return g.D }

// Batch draws dst.Rows fresh points.
func (g *Generator) Batch(iter int, dst *tensor.Dense[float64]) {
	rng := rand.New(rand.NewPCG(g.Seed, uint64(iter)))
	dst.CopyFrom(g.Gen(dst.Rows, rng))
}

// Dataset is a Source over a finite data set: shuffled epochs, the permutation
// of epoch k drawn from (Seed, k). A batch that would cross the end of an
// epoch takes the first rows of the next epoch's permutation instead (every
// batch is full; every point is seen once per epoch up to that remainder).
type Dataset struct {
	X    *tensor.Dense[float64]
	Seed uint64

	epoch int
	perm  []int
}

// Dim returns the number of columns.
func (d *Dataset) Dim() int { return d.X.Cols }

// Batch fills dst with the rows of iteration iter.
func (d *Dataset) Batch(iter int, dst *tensor.Dense[float64]) {
	n := d.X.Rows
	b := dst.Rows
	per := max(n/b, 1) // batches per epoch
	epoch, k := iter/per, iter%per
	if d.perm == nil || d.epoch != epoch {
		rng := rand.New(rand.NewPCG(d.Seed, uint64(epoch)))
		d.perm = rng.Perm(n)
		d.epoch = epoch
	}
	for i := 0; i < b; i++ {
		src := d.perm[(k*b+i)%n]
		copy(dst.Row(i), d.X.Row(src))
	}
}

// Config configures a Trainer.
type Config struct {
	Iters int     // parameter updates
	Batch int     // data points per update
	LR    float64 // base learning rate (Adam by default)
	// Schedule, if not nil, sets the learning rate at every iteration (times
	// the divergence back-off factor).
	Schedule optim.Schedule
	// Optimizer, if not nil, replaces the default Adam(LR).
	Optimizer optim.Optimizer[float32]
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
	// Metrics, if not nil, receives a Metrics record every LogEvery iterations
	// and at the end.
	Metrics func(Metrics)
	// Checkpoint, if not nil, is called with a good snapshot every
	// SnapshotEvery iterations and when the context is cancelled.
	Checkpoint func(*Snapshot) error
	// Progress, if not nil, is called after every iteration.
	Progress func(iter int)
}

// Metrics is one line of training metrics.
type Metrics struct {
	Iter      int                `json:"iter"`
	Loss      float64            `json:"loss"`
	EPos      float64            `json:"e_data"`
	ENeg      float64            `json:"e_neg,omitempty"`
	GradNorm  float64            `json:"grad_norm"`
	LR        float64            `json:"lr"`
	ItersPerS float64            `json:"iters_per_sec"`
	Extra     map[string]float64 `json:"extra,omitempty"`
	Event     string             `json:"event,omitempty"`
}

// Snapshot is a complete training state: enough to resume exactly.
type Snapshot struct {
	Iter      int
	Params    map[string]*tensor.Dense[float32]
	Optimizer *optim.State
	EMA       *optim.State
	Estimator map[string]*tensor.Dense[float64]
	LRScale   float64
	Retries   int
}

// Result summarizes a finished run.
type Result struct {
	Iters       int
	Seconds     float64 // training iterations only
	ItersPerSec float64
	FinalLoss   float64
	Retries     int
	Interrupted bool
}

// DivergenceError reports a run that kept diverging after MaxRetries rollbacks.
type DivergenceError struct {
	Iter    int
	Retries int
	Reason  string
}

func (e *DivergenceError) Error() string {
	return fmt.Sprintf("training diverged at iteration %d (%s) and did not recover after %d rollbacks with the learning rate halved each time; lower --lr, add regularization or clip gradients", e.Iter, e.Reason, e.Retries)
}

// Trainer fits a float32 model with an estimator.
type Trainer struct {
	Model     energy.Model[float32]
	Estimator Estimator[float32]
	Data      Source
	Config    Config

	params []*autodiff.Param[float32]
	opt    optim.Optimizer[float32]
	ema    *optim.EMA[float32]
	tape   *autodiff.Tape[float32]
	start  int
	scale  float64 // learning-rate back-off after divergences
	tries  int
}

func (tr *Trainer) setup() error {
	c := &tr.Config
	if tr.Model == nil || tr.Estimator == nil || tr.Data == nil {
		return errors.New("train: Model, Estimator and Data are required")
	}
	if tr.Data.Dim() != tr.Model.Dim() {
		return fmt.Errorf("train: data has dimension %d, the model %d", tr.Data.Dim(), tr.Model.Dim())
	}
	if c.Iters < 1 {
		return fmt.Errorf("train: iterations must be ≥ 1, got %d", c.Iters)
	}
	if c.Batch < 1 {
		return fmt.Errorf("train: batch must be ≥ 1, got %d", c.Batch)
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		return fmt.Errorf("train: learning rate must be > 0, got %v", c.LR)
	}
	if c.LogEvery <= 0 {
		c.LogEvery = 100
	}
	if c.SnapshotEvery <= 0 {
		c.SnapshotEvery = 100
	}
	if c.EnergyBound <= 0 {
		c.EnergyBound = 1e6
	}
	if c.MaxRetries <= 0 {
		c.MaxRetries = 5
	}
	if c.SpecNormIters <= 0 {
		c.SpecNormIters = 1
	}
	if tr.params == nil {
		tr.params = append([]*autodiff.Param[float32](nil), tr.Model.Params()...)
		if ep, ok := tr.Estimator.(ExtraParams[float32]); ok {
			tr.params = append(tr.params, ep.ExtraParams()...)
		}
	}
	if tr.opt == nil {
		if c.Optimizer != nil {
			tr.opt = c.Optimizer
		} else {
			a, err := optim.NewAdam[float32](optim.DefaultAdam(c.LR))
			if err != nil {
				return err
			}
			tr.opt = a
		}
	}
	if tr.ema == nil && c.EMA > 0 && c.EMA < 1 {
		e, err := optim.NewEMA(tr.Model.Params(), c.EMA)
		if err != nil {
			return err
		}
		tr.ema = e
	}
	if tr.tape == nil {
		tr.tape = autodiff.NewTape[float32]()
	}
	if tr.scale == 0 {
		tr.scale = 1
	}
	return nil
}

// Resume restores a snapshot; the next Run continues from its iteration.
func (tr *Trainer) Resume(s *Snapshot) error {
	if err := tr.setup(); err != nil {
		return err
	}
	if err := tr.restore(s); err != nil {
		return err
	}
	tr.tries = s.Retries
	return nil
}

func (tr *Trainer) snapshot(iter int) *Snapshot {
	s := &Snapshot{Iter: iter, Params: map[string]*tensor.Dense[float32]{}, LRScale: tr.scale, Retries: tr.tries}
	for _, p := range tr.params {
		s.Params[p.Name] = p.Value.Clone()
	}
	s.Optimizer = tr.opt.State()
	if tr.ema != nil {
		s.EMA = tr.ema.State()
	}
	if st, ok := tr.Estimator.(Stateful); ok {
		s.Estimator = st.StateTensors()
	}
	return s
}

func (tr *Trainer) restore(s *Snapshot) error {
	for _, p := range tr.params {
		v, ok := s.Params[p.Name]
		if !ok {
			return fmt.Errorf("train: snapshot has no parameter %q", p.Name)
		}
		if !v.SameShape(p.Value) {
			return fmt.Errorf("train: snapshot parameter %q is %s, the model's %s", p.Name, v.Shape(), p.Value.Shape())
		}
		p.Value.CopyFrom(v)
	}
	if s.Optimizer != nil {
		if err := tr.opt.LoadState(tr.params, s.Optimizer); err != nil {
			return err
		}
	}
	if tr.ema != nil && s.EMA != nil {
		if err := tr.ema.LoadState(tr.Model.Params(), s.EMA); err != nil {
			return err
		}
	}
	if st, ok := tr.Estimator.(Stateful); ok && s.Estimator != nil {
		if err := st.LoadStateTensors(s.Estimator); err != nil {
			return err
		}
	}
	tr.start = s.Iter
	if s.LRScale > 0 {
		tr.scale = s.LRScale
	}
	return nil
}

// Run trains until Config.Iters iterations are done or ctx is cancelled (then
// it checkpoints, if a Checkpoint callback is set, and returns with
// Result.Interrupted). Divergence (a non-finite loss, gradient or parameter,
// or a mean energy beyond EnergyBound) rolls back to the last good snapshot,
// halves the learning rate, reseeds the estimator's chains and goes on; after
// MaxRetries rollbacks Run returns a *DivergenceError and the parameters of
// the last good snapshot.
func (tr *Trainer) Run(ctx context.Context) (*Result, error) {
	if err := tr.setup(); err != nil {
		return nil, err
	}
	c := tr.Config
	batch := tensor.New[float64](c.Batch, tr.Data.Dim())
	good := tr.snapshot(tr.start)
	pcg := rand.NewPCG(0, 0)
	rng := rand.New(pcg)
	res := &Result{}
	var trainDur time.Duration
	lastLog, lastT := tr.start, time.Now()
	var lastLoss float64
	reached := tr.start // highest iteration reported to Progress (rollbacks repeat some)
	for it := tr.start; it < c.Iters; it++ {
		if err := ctx.Err(); err != nil {
			res.Interrupted = true
			if c.Checkpoint != nil {
				if err := c.Checkpoint(tr.snapshot(it)); err != nil {
					return nil, err
				}
			}
			res.Iters = it
			break
		}
		t0 := time.Now()
		lr := c.LR
		if c.Schedule != nil {
			lr = c.Schedule.LR(it)
		}
		tr.opt.SetLR(lr * tr.scale)
		pcg.Seed(c.Seed, uint64(it)+1<<32)
		tr.Data.Batch(it, batch)
		tr.tape.Reset()
		loss, st, err := tr.Estimator.Loss(tr.tape, tr.Model, batch, rng)
		reason := ""
		var gnorm float64
		switch {
		case err != nil:
			var nf *sample.NonFiniteError
			if !errors.As(err, &nf) {
				return nil, fmt.Errorf("train: iteration %d: %w", it, err)
			}
			reason = err.Error()
		case math.IsNaN(loss.Item()) || math.IsInf(loss.Item(), 0):
			reason = fmt.Sprintf("loss is %v", loss.Item())
		case math.Abs(st.EPos) > c.EnergyBound || math.Abs(st.ENeg) > c.EnergyBound:
			reason = fmt.Sprintf("mean energy %.3g beyond the bound %.3g", math.Max(math.Abs(st.EPos), math.Abs(st.ENeg)), c.EnergyBound)
		default:
			tr.opt.ZeroGrad(tr.params)
			autodiff.Backward(loss, tr.params)
			if c.ClipNorm > 0 {
				gnorm = optim.ClipGradNorm(tr.params, c.ClipNorm)
			} else {
				gnorm = optim.GradNorm(tr.params)
			}
			if math.IsNaN(gnorm) || math.IsInf(gnorm, 0) {
				reason = fmt.Sprintf("gradient norm is %v", gnorm)
				break
			}
			tr.opt.Step(tr.params)
			if bad := firstNonFinite(tr.params); bad != "" {
				reason = "parameter " + bad + " is not finite"
				break
			}
			if sn, ok := tr.Model.(interface{ UpdateSpectral(int) }); ok {
				sn.UpdateSpectral(c.SpecNormIters)
			}
			if tr.ema != nil {
				tr.ema.Update(tr.Model.Params())
			}
			lastLoss = loss.Item()
		}
		trainDur += time.Since(t0)
		if reason != "" {
			tr.tries++
			if tr.tries > c.MaxRetries {
				_ = tr.restore(good)
				return nil, &DivergenceError{Iter: it, Retries: c.MaxRetries, Reason: reason}
			}
			prev := tr.scale
			if err := tr.restore(good); err != nil {
				return nil, err
			}
			tr.scale = prev / 2
			if s, ok := tr.Estimator.(Stateful); ok {
				s.Reseed(rand.New(rand.NewPCG(c.Seed^0x9e3779b97f4a7c15, uint64(it)+uint64(tr.tries)<<40)))
			}
			if c.Metrics != nil {
				c.Metrics(Metrics{Iter: it, LR: c.LR * tr.scale, Event: fmt.Sprintf("diverged (%s): rolled back to iteration %d, learning rate halved", reason, good.Iter)})
			}
			it = good.Iter - 1
			lastLog, lastT = good.Iter, time.Now()
			continue
		}
		done := it + 1
		if c.Progress != nil && done > reached {
			c.Progress(done)
		}
		reached = max(reached, done)
		if c.Metrics != nil && (done%c.LogEvery == 0 || done == c.Iters) {
			now := time.Now()
			rate := float64(done-lastLog) / now.Sub(lastT).Seconds()
			lastLog, lastT = done, now
			c.Metrics(Metrics{Iter: done, Loss: lastLoss, EPos: st.EPos, ENeg: nanToZero(st.ENeg),
				GradNorm: gnorm, LR: tr.opt.LR(), ItersPerS: rate, Extra: st.Extra})
		}
		if done%c.SnapshotEvery == 0 || done == c.Iters {
			good = tr.snapshot(done)
			if c.Checkpoint != nil {
				if err := c.Checkpoint(good); err != nil {
					return nil, err
				}
			}
		}
		res.Iters = done
	}
	if tr.ema != nil {
		tr.ema.CopyTo(tr.Model.Params())
	}
	res.Seconds = trainDur.Seconds()
	if res.Seconds > 0 {
		res.ItersPerSec = float64(res.Iters-tr.start) / res.Seconds
	}
	res.FinalLoss = lastLoss
	res.Retries = tr.tries
	return res, nil
}

func firstNonFinite(ps []*autodiff.Param[float32]) string {
	for _, p := range ps {
		if p.Value.HasNaNInf() >= 0 {
			return p.Name
		}
	}
	return ""
}

func nanToZero(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}
