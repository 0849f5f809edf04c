package train

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// Group is a parameter group: parameters that share an optimizer, a learning
// rate schedule, gradient clipping and an average. Its Name namespaces its
// parameters in snapshots (key Name + "/" + parameter name), so two networks
// with the same parameter names can train side by side.
type Group[T tensor.Float] struct {
	Name   string
	Params []*autodiff.Param[T]
	// Optimizer updates the group; nil means Adam with the defaults of
	// optim.DefaultAdam(LR).
	Optimizer optim.Optimizer[T]
	// LR is the base learning rate (0 with an Optimizer: the optimizer's own).
	LR float64
	// Schedule, if not nil, gives the rate of every iteration instead of LR.
	// The rate used is the scheduled rate times the group's back-off factor,
	// which every divergence rollback halves.
	Schedule optim.Schedule
	// ClipNorm, if positive, rescales the group's gradients so that their
	// global norm ‖g‖ = √(Σ g²) is at most ClipNorm.
	ClipNorm float64
	// EMA, if in (0, 1), keeps an exponential moving average
	// s ← EMA·s + (1 − EMA)·p of the parameters after each of the group's
	// steps; Run copies the average into the parameters at the end.
	EMA float64
	// AfterStep, if not nil, runs after each optimizer step of the group (for
	// example the power iterations of spectrally normalized layers).
	AfterStep func()
}

// Grouped is what every objective of a Loop implements: the names of the
// parameter groups it updates. An objective is either an Objective (a loss on
// a tape) or a GradObjective (gradients by hand).
type Grouped interface {
	Groups() []string
}

// Objective is a loss on a tape. Per iteration the loop zeroes the gradients
// of the objective's groups, records Loss, back-propagates into the groups'
// parameters, clips each group's gradients and steps exactly those groups.
// A nil loss with a nil error skips the update for this iteration (the
// Stats, whose Loss the objective then fills itself, are still reported);
// players balanced by a rule (FCE) use it.
// Two objectives on two groups give alternating updates; two losses on one
// group belong in one objective (add them).
type Objective[T tensor.Float, B any] interface {
	Grouped
	// Loss records the loss of batch b on t and returns it as a 1×1 node.
	Loss(t *autodiff.Tape[T], b B, rng *rand.Rand) (*autodiff.Var[T], Stats, error)
}

// GradObjective computes its gradients without a tape (the Boltzmann
// machines' positive minus negative statistics): Grads fills p.Grad of every
// parameter of its groups (the loop has zeroed them) and reports Stats, whose
// Loss is the figure to log (for example a reconstruction error). The loop
// then clips and steps as for an Objective.
type GradObjective[B any] interface {
	Grouped
	Grads(b B, rng *rand.Rand) (Stats, error)
}

// Loop trains parameter groups with objectives, run in the order of
// Objectives every iteration on one batch from Data. It keeps an in-memory
// snapshot every SnapshotEvery iterations; a divergence (a non-finite loss,
// gradient norm or parameter, a sampler's *sample.NonFiniteError, or a mean
// energy beyond EnergyBound) restores the last snapshot of every group and of
// every objective's state, halves every group's learning-rate factor, reseeds
// stateful objectives and goes on, up to MaxRetries times.
//
// Randomness: objective k at iteration i draws from a PCG generator seeded by
// (Seed, i + 2³² + k·2⁴⁰), and the batch depends only on (data seed, i), so
// the same seed gives the same run and a resumed run continues exactly.
type Loop[T tensor.Float, B any] struct {
	Groups     []Group[T]
	Objectives []Grouped
	Data       BatchSource[B]
	Batch      int // examples per iteration
	Iters      int // iterations
	Seed       uint64
	// LogEvery emits Metrics every so many iterations (0: 100).
	LogEvery int
	// SnapshotEvery keeps a good state every so many iterations (0: 100) and
	// calls Checkpoint with it.
	SnapshotEvery int
	// EnergyBound flags divergence when a mean energy exceeds it in absolute
	// value (0: 1e6).
	EnergyBound float64
	// MaxRetries is how many divergences are recovered from (0: 5).
	MaxRetries int
	// Settings are copied into every snapshot, so that a resume can check
	// them (see CheckSettings).
	Settings map[string]string
	// Metrics, if not nil, receives a record every LogEvery iterations, at
	// the end and at every rollback (with Event set).
	Metrics func(Metrics)
	// Checkpoint, if not nil, receives every good snapshot and the state at a
	// cancellation. The run writes its next snapshot into the same storage
	// (a snapshot of a large replay buffer is not copied anew every time):
	// save the snapshot during the call, or keep a Clone.
	Checkpoint func(*SnapshotOf[T]) error
	// Progress, if not nil, is called after every iteration that was not done
	// before (iterations repeated after a rollback are not counted twice).
	Progress func(done, total int)

	groups []*groupRun[T]
	byName map[string]int
	objs   []*objRun[T, B]
	tape   *autodiff.Tape[T]
	start  int
	tries  int
}

type groupRun[T tensor.Float] struct {
	g     *Group[T]
	opt   optim.Optimizer[T]
	ema   *optim.EMA[T]
	scale float64 // learning-rate back-off factor
	base  float64 // the optimizer's own rate, for a group with LR 0
	gnorm float64
}

type objRun[T tensor.Float, B any] struct {
	loss   Objective[T, B]
	grad   GradObjective[B]
	state  Stateful
	groups []int
	params []*autodiff.Param[T]
	last   Stats
}

// Stats are what an objective (or an estimator) reports about one batch.
type Stats struct {
	// Loss is the objective's value; the loop fills it from the loss node of
	// an Objective, a GradObjective reports its own figure.
	Loss float64 `json:"loss"`
	// EPos and ENeg are the mean energies of the data batch and of the
	// negatives (NaN where there are no negatives).
	EPos float64 `json:"e_data"`
	ENeg float64 `json:"e_neg"`
	// Extra holds objective-specific figures (for example NCE's log Z).
	Extra map[string]float64 `json:"extra,omitempty"`
}

// Metrics is one record of training metrics. The top-level figures are those
// of the first objective and the first group; with several groups or
// objectives, Groups and Objectives hold each one's. A mean energy an
// objective does not have (NaN in its Stats) is recorded as 0, and omitted
// from the top-level JSON.
type Metrics struct {
	Iter       int                `json:"iter"`
	Loss       float64            `json:"loss"`
	EPos       float64            `json:"e_data,omitempty"`
	ENeg       float64            `json:"e_neg,omitempty"`
	GradNorm   float64            `json:"grad_norm"`
	LR         float64            `json:"lr"`
	ItersPerS  float64            `json:"iters_per_sec"`
	Extra      map[string]float64 `json:"extra,omitempty"`
	Groups     []GroupMetrics     `json:"groups,omitempty"`
	Objectives []Stats            `json:"objectives,omitempty"`
	Event      string             `json:"event,omitempty"`
}

// GroupMetrics are one group's learning rate and gradient norm (before
// clipping) at its last step.
type GroupMetrics struct {
	Name     string  `json:"name"`
	LR       float64 `json:"lr"`
	GradNorm float64 `json:"grad_norm"`
}

// SnapshotOf is a complete training state: enough to resume exactly.
type SnapshotOf[T tensor.Float] struct {
	Iter int
	// Params maps group + "/" + parameter name to a copy of its value.
	Params map[string]*tensor.Dense[T]
	// Groups holds each group's optimizer and average state and its
	// learning-rate back-off factor.
	Groups map[string]GroupState
	// Optimizer, EMA and LRScale repeat the first group's state. A snapshot
	// without Groups restores them into a loop's only group.
	Optimizer *optim.State
	EMA       *optim.State
	LRScale   float64
	// Estimator holds the objectives' state tensors (Stateful: persistent
	// chains, replay buffers), objective k's under "k/" + name.
	Estimator map[string]*tensor.Dense[float64]
	Retries   int
	// Settings are the run's settings as the caller recorded them (see
	// CheckSettings).
	Settings map[string]string
}

// Clone returns a deep copy of s, which stays as it is while a run goes on
// (a Checkpoint callback receives a snapshot whose storage the run reuses).
func (s *SnapshotOf[T]) Clone() *SnapshotOf[T] {
	if s == nil {
		return nil
	}
	c := *s
	c.Params = make(map[string]*tensor.Dense[T], len(s.Params))
	for k, v := range s.Params {
		c.Params[k] = v.Clone()
	}
	c.Groups = make(map[string]GroupState, len(s.Groups))
	for k, g := range s.Groups {
		c.Groups[k] = GroupState{Optimizer: g.Optimizer.Clone(), EMA: g.EMA.Clone(), LRScale: g.LRScale}
	}
	c.Optimizer, c.EMA = s.Optimizer.Clone(), s.EMA.Clone()
	if s.Estimator != nil {
		c.Estimator = make(map[string]*tensor.Dense[float64], len(s.Estimator))
		for k, v := range s.Estimator {
			c.Estimator[k] = v.Clone()
		}
	}
	c.Settings = maps.Clone(s.Settings)
	return &c
}

// Snapshot is the state of a float32 run.
type Snapshot = SnapshotOf[float32]

// GroupState is the state of one parameter group in a snapshot.
type GroupState struct {
	Optimizer *optim.State `json:"optimizer"`
	EMA       *optim.State `json:"ema,omitempty"`
	LRScale   float64      `json:"lr_scale"`
}

// Result summarizes a finished run.
type Result struct {
	Iters       int
	Seconds     float64 // training iterations only
	ItersPerSec float64
	// FinalLoss is the first objective's loss at the last iteration;
	// FinalLosses holds every objective's.
	FinalLoss   float64
	FinalLosses []float64
	Retries     int
	Interrupted bool
}

// DivergenceError reports a run that kept diverging after MaxRetries
// rollbacks (the parameters are those of the last good snapshot), or, with
// Final, a run whose end state is unusable: its final loss or parameters are
// not finite or its mean energies lie beyond the bound. The caller should not
// keep the model of such a run.
type DivergenceError struct {
	Iter    int
	Retries int
	Reason  string
	Final   bool
}

func (e *DivergenceError) Error() string {
	if e.Final {
		return fmt.Sprintf("training ended in an unusable state at iteration %d (%s) after %d rollbacks", e.Iter, e.Reason, e.Retries)
	}
	return fmt.Sprintf("training diverged at iteration %d (%s) and did not recover after %d rollbacks with the learning rate halved each time", e.Iter, e.Reason, e.Retries)
}

// setup validates the settings and, on the first call, builds the optimizers,
// averages and tape.
func (l *Loop[T, B]) setup() error {
	if l.Data == nil {
		return errors.New("train: the loop has no Data")
	}
	if l.Iters < 1 {
		return fmt.Errorf("train: iterations must be ≥ 1, got %d", l.Iters)
	}
	if l.Batch < 1 {
		return fmt.Errorf("train: batch must be ≥ 1, got %d", l.Batch)
	}
	if len(l.Groups) == 0 || len(l.Objectives) == 0 {
		return errors.New("train: the loop needs at least one group and one objective")
	}
	if l.LogEvery <= 0 {
		l.LogEvery = 100
	}
	if l.SnapshotEvery <= 0 {
		l.SnapshotEvery = 100
	}
	if !(l.EnergyBound > 0) {
		l.EnergyBound = 1e6
	}
	if l.MaxRetries <= 0 {
		l.MaxRetries = 5
	}
	fresh := l.groups == nil || len(l.groups) != len(l.Groups)
	if fresh {
		l.groups = make([]*groupRun[T], len(l.Groups))
		l.byName = map[string]int{}
	}
	for i := range l.Groups {
		g := &l.Groups[i]
		if g.Name == "" {
			return fmt.Errorf("train: group %d has no name", i)
		}
		if j, dup := l.byName[g.Name]; dup && j != i {
			return fmt.Errorf("train: two groups are named %q", g.Name)
		}
		l.byName[g.Name] = i
		if len(g.Params) == 0 {
			return fmt.Errorf("train: group %q has no parameters", g.Name)
		}
		seen := map[string]bool{}
		for _, p := range g.Params {
			if seen[p.Name] {
				return fmt.Errorf("train: group %q has two parameters named %q", g.Name, p.Name)
			}
			seen[p.Name] = true
		}
		if g.Optimizer == nil && (!(g.LR > 0) || math.IsInf(g.LR, 0)) {
			return fmt.Errorf("train: group %q: learning rate must be > 0, got %v", g.Name, g.LR)
		}
		if g.LR < 0 || math.IsNaN(g.LR) || math.IsInf(g.LR, 0) {
			return fmt.Errorf("train: group %q: learning rate must be ≥ 0, got %v", g.Name, g.LR)
		}
		if !(g.EMA >= 0 && g.EMA < 1) {
			return fmt.Errorf("train: group %q: EMA decay must be in [0, 1), got %v", g.Name, g.EMA)
		}
		if !(g.ClipNorm >= 0) {
			return fmt.Errorf("train: group %q: clip norm must be ≥ 0, got %v", g.Name, g.ClipNorm)
		}
		gr := l.groups[i]
		if gr == nil {
			gr = &groupRun[T]{scale: 1}
			l.groups[i] = gr
		}
		gr.g = g
		if gr.opt == nil {
			if g.Optimizer != nil {
				gr.opt = g.Optimizer
				gr.base = g.Optimizer.LR()
			} else {
				a, err := optim.NewAdam[T](optim.DefaultAdam(g.LR))
				if err != nil {
					return fmt.Errorf("train: group %q: %w", g.Name, err)
				}
				gr.opt = a
			}
		}
		if gr.ema == nil && g.EMA > 0 {
			e, err := optim.NewEMA(g.Params, g.EMA)
			if err != nil {
				return fmt.Errorf("train: group %q: %w", g.Name, err)
			}
			gr.ema = e
		}
	}
	if l.objs == nil || len(l.objs) != len(l.Objectives) {
		l.objs = make([]*objRun[T, B], len(l.Objectives))
	}
	for k, o := range l.Objectives {
		or := l.objs[k]
		if or == nil {
			or = &objRun[T, B]{}
			l.objs[k] = or
		}
		or.loss, or.grad, or.state = nil, nil, nil
		switch v := o.(type) {
		case Objective[T, B]:
			or.loss = v
		case GradObjective[B]:
			or.grad = v
		default:
			return fmt.Errorf("train: objective %d (%T) has neither Loss for this tape and batch type nor Grads", k, o)
		}
		if st, ok := o.(Stateful); ok {
			or.state = st
		}
		or.groups, or.params = or.groups[:0], or.params[:0]
		names := o.Groups()
		if len(names) == 0 {
			return fmt.Errorf("train: objective %d updates no group", k)
		}
		for _, n := range names {
			i, ok := l.byName[n]
			if !ok {
				return fmt.Errorf("train: objective %d names group %q, which the loop does not have", k, n)
			}
			or.groups = append(or.groups, i)
			or.params = append(or.params, l.Groups[i].Params...)
		}
	}
	if l.tape == nil {
		l.tape = autodiff.NewTape[T]()
	}
	return nil
}

// Resume restores a snapshot; the next Run continues from its iteration.
func (l *Loop[T, B]) Resume(s *SnapshotOf[T]) error {
	if err := l.setup(); err != nil {
		return err
	}
	if err := l.restore(s); err != nil {
		return err
	}
	l.tries = s.Retries
	return nil
}

func (l *Loop[T, B]) snapshot(iter int) *SnapshotOf[T] { return l.snapshotInto(nil, iter) }

// snapshotInto writes the state at iteration iter into s, reusing its
// tensors and optimizer slots where they fit, or into a new snapshot if s is
// nil, and returns it.
func (l *Loop[T, B]) snapshotInto(s *SnapshotOf[T], iter int) *SnapshotOf[T] {
	if s == nil {
		s = &SnapshotOf[T]{Params: map[string]*tensor.Dense[T]{}, Groups: map[string]GroupState{}}
	}
	s.Iter, s.Retries, s.Settings = iter, l.tries, l.Settings
	for _, gr := range l.groups {
		for _, p := range gr.g.Params {
			key := gr.g.Name + "/" + p.Name
			s.Params[key] = copyInto(s.Params[key], p.Value)
		}
		gs := s.Groups[gr.g.Name]
		gs.Optimizer, gs.LRScale = saveState(gr.opt, gs.Optimizer), gr.scale
		if gr.ema != nil {
			gs.EMA = saveState(gr.ema, gs.EMA)
		}
		s.Groups[gr.g.Name] = gs
	}
	g0 := s.Groups[l.groups[0].g.Name]
	s.Optimizer, s.EMA, s.LRScale = g0.Optimizer, g0.EMA, g0.LRScale
	for k, or := range l.objs {
		if or.state == nil {
			continue
		}
		prefix := fmt.Sprintf("%d/", k)
		st := map[string]*tensor.Dense[float64]{}
		for name, v := range s.Estimator {
			if rest, ok := strings.CutPrefix(name, prefix); ok {
				st[rest] = v
				delete(s.Estimator, name)
			}
		}
		writeStateOf(or.state, st)
		for name, v := range st {
			if s.Estimator == nil {
				s.Estimator = map[string]*tensor.Dense[float64]{}
			}
			s.Estimator[prefix+name] = v
		}
	}
	return s
}

// saveState returns o's state, written into prev when o can (see
// optim.StateSaver) and prev is not nil.
func saveState(o interface{ State() *optim.State }, prev *optim.State) *optim.State {
	if sv, ok := o.(optim.StateSaver); ok && prev != nil {
		sv.SaveState(prev)
		return prev
	}
	return o.State()
}

func (l *Loop[T, B]) restore(s *SnapshotOf[T]) error {
	// A snapshot of a single-group run written without group names: its
	// parameter names lack the group prefix and its state is top-level.
	single := len(l.groups) == 1
	param := func(g *Group[T], p *autodiff.Param[T]) (*tensor.Dense[T], string) {
		key := g.Name + "/" + p.Name
		if v, ok := s.Params[key]; ok {
			return v, key
		}
		if single {
			return s.Params[p.Name], key
		}
		return nil, key
	}
	group := func(g *Group[T]) (GroupState, bool) {
		if s.Groups != nil {
			gs, ok := s.Groups[g.Name]
			return gs, ok
		}
		return GroupState{Optimizer: s.Optimizer, EMA: s.EMA, LRScale: s.LRScale}, single
	}
	for _, gr := range l.groups {
		for _, p := range gr.g.Params {
			v, key := param(gr.g, p)
			if v == nil {
				return fmt.Errorf("train: snapshot has no parameter %q", key)
			}
			if !v.SameShape(p.Value) {
				return fmt.Errorf("train: snapshot parameter %q is %s, the model's %s", key, v.Shape(), p.Value.Shape())
			}
		}
		if _, ok := group(gr.g); !ok {
			return fmt.Errorf("train: snapshot has no group %q", gr.g.Name)
		}
	}
	for _, gr := range l.groups {
		for _, p := range gr.g.Params {
			v, _ := param(gr.g, p)
			p.Value.CopyFrom(v)
		}
		gs, _ := group(gr.g)
		if gs.Optimizer != nil {
			if err := gr.opt.LoadState(gr.g.Params, gs.Optimizer); err != nil {
				return fmt.Errorf("train: group %q: %w", gr.g.Name, err)
			}
		}
		if gr.ema != nil && gs.EMA != nil {
			if err := gr.ema.LoadState(gr.g.Params, gs.EMA); err != nil {
				return fmt.Errorf("train: group %q: %w", gr.g.Name, err)
			}
		}
		if gs.LRScale > 0 {
			gr.scale = gs.LRScale
		}
	}
	for k, or := range l.objs {
		if or.state == nil {
			continue
		}
		prefix := fmt.Sprintf("%d/", k)
		st := map[string]*tensor.Dense[float64]{}
		for name, v := range s.Estimator {
			if rest, ok := strings.CutPrefix(name, prefix); ok {
				st[rest] = v
			} else if len(l.objs) == 1 && !strings.Contains(name, "/") {
				st[name] = v
			}
		}
		if len(st) == 0 {
			continue
		}
		if err := or.state.LoadStateTensors(st); err != nil {
			return fmt.Errorf("train: objective %d: %w", k, err)
		}
	}
	l.start = s.Iter
	return nil
}

// step runs objective or on batch b: it returns the stats, or a divergence
// reason, or an error that ends the run.
func (l *Loop[T, B]) step(or *objRun[T, B], b B, rng *rand.Rand) (Stats, string, error) {
	var st Stats
	var err error
	var loss *autodiff.Var[T]
	if or.loss != nil {
		l.tape.Reset()
		loss, st, err = or.loss.Loss(l.tape, b, rng)
		if err == nil && loss != nil {
			st.Loss = loss.Item()
		}
	} else {
		for _, i := range or.groups {
			l.groups[i].opt.ZeroGrad(l.Groups[i].Params)
		}
		st, err = or.grad.Grads(b, rng)
	}
	if err != nil {
		var nf *sample.NonFiniteError
		if !errors.As(err, &nf) {
			return st, "", err
		}
		return st, err.Error(), nil
	}
	if reason := l.badStats(st); reason != "" {
		return st, reason, nil
	}
	if or.loss != nil && loss == nil {
		return st, "", nil // the objective skips this iteration
	}
	if or.loss != nil {
		// The optimizers' ZeroGrad, then Backward, in one pass.
		autodiff.BackwardSet(loss, or.params)
	}
	for _, i := range or.groups {
		gr := l.groups[i]
		if gr.g.ClipNorm > 0 {
			gr.gnorm = optim.ClipGradNorm(gr.g.Params, gr.g.ClipNorm)
		} else {
			gr.gnorm = optim.GradNorm(gr.g.Params)
		}
		if math.IsNaN(gr.gnorm) || math.IsInf(gr.gnorm, 0) {
			return st, fmt.Sprintf("gradient norm of group %q is %v", gr.g.Name, gr.gnorm), nil
		}
	}
	for _, i := range or.groups {
		gr := l.groups[i]
		gr.opt.Step(gr.g.Params)
		if bad := firstNonFinite(gr.g.Params); bad != "" {
			return st, "parameter " + gr.g.Name + "/" + bad + " is not finite", nil
		}
	}
	for _, i := range or.groups {
		gr := l.groups[i]
		if gr.g.AfterStep != nil {
			gr.g.AfterStep()
		}
		if gr.ema != nil {
			gr.ema.Update(gr.g.Params)
		}
	}
	return st, "", nil
}

func (l *Loop[T, B]) badStats(st Stats) string {
	switch {
	case math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0):
		return fmt.Sprintf("loss is %v", st.Loss)
	case math.Abs(st.EPos) > l.EnergyBound || math.Abs(st.ENeg) > l.EnergyBound:
		return fmt.Sprintf("mean energy %.3g beyond the bound %.3g", math.Max(math.Abs(st.EPos), math.Abs(st.ENeg)), l.EnergyBound)
	}
	return ""
}

func (l *Loop[T, B]) lr(gr *groupRun[T], it int) float64 {
	if gr.g.Schedule != nil {
		return gr.g.Schedule.LR(it)
	}
	if gr.g.LR > 0 {
		return gr.g.LR
	}
	return gr.base
}

// Run trains until Iters iterations are done or ctx is cancelled (then it
// checkpoints, if a Checkpoint callback is set, and returns with
// Result.Interrupted). A divergence rolls back as the Loop's doc says; after
// MaxRetries rollbacks Run returns a *DivergenceError and leaves the
// parameters of the last good snapshot. A run that completes but ends in an
// unusable state (a non-finite final loss or parameter, or a final mean
// energy beyond EnergyBound) also returns a *DivergenceError, with Final set.
// Averaged groups get their averages copied into their parameters at the end.
func (l *Loop[T, B]) Run(ctx context.Context) (*Result, error) {
	if err := l.setup(); err != nil {
		return nil, err
	}
	good := l.snapshot(l.start)
	pcg := rand.NewPCG(0, 0)
	rng := rand.New(pcg)
	res := &Result{FinalLosses: make([]float64, len(l.objs))}
	var trainDur time.Duration
	lastLog, lastT := l.start, time.Now()
	reached := l.start
	ran := false
	for it := l.start; it < l.Iters; it++ {
		if err := ctx.Err(); err != nil {
			res.Interrupted = true
			if l.Checkpoint != nil {
				if err := l.Checkpoint(l.snapshot(it)); err != nil {
					return nil, err
				}
			}
			res.Iters = it
			break
		}
		t0 := time.Now()
		for _, gr := range l.groups {
			gr.opt.SetLR(l.lr(gr, it) * gr.scale)
		}
		b, err := l.Data.Batch(it, l.Batch)
		if err != nil {
			return nil, fmt.Errorf("train: iteration %d: %w", it, err)
		}
		reason := ""
		for k, or := range l.objs {
			pcg.Seed(l.Seed, uint64(it)+1<<32+uint64(k)<<40)
			st, why, err := l.step(or, b, rng)
			if err != nil {
				return nil, fmt.Errorf("train: iteration %d: %w", it, err)
			}
			if why != "" {
				if len(l.objs) > 1 {
					why = fmt.Sprintf("objective %d: %s", k, why)
				}
				reason = why
				break
			}
			or.last = st
		}
		trainDur += time.Since(t0)
		if reason != "" {
			l.tries++
			if l.tries > l.MaxRetries {
				_ = l.restore(good)
				return nil, &DivergenceError{Iter: it, Retries: l.MaxRetries, Reason: reason}
			}
			prev := make([]float64, len(l.groups))
			for i, gr := range l.groups {
				prev[i] = gr.scale
			}
			if err := l.restore(good); err != nil {
				return nil, err
			}
			for i, gr := range l.groups {
				gr.scale = prev[i] / 2
			}
			rs := rand.New(rand.NewPCG(l.Seed^0x9e3779b97f4a7c15, uint64(it)+uint64(l.tries)<<40))
			for _, or := range l.objs {
				if or.state != nil {
					or.state.Reseed(rs)
				}
			}
			if l.Metrics != nil {
				g0 := l.groups[0]
				l.Metrics(Metrics{Iter: it, LR: l.lr(g0, it) * g0.scale, Event: fmt.Sprintf("diverged (%s): rolled back to iteration %d, learning rate halved", reason, good.Iter)})
			}
			it = good.Iter - 1
			lastLog, lastT = good.Iter, time.Now()
			continue
		}
		ran = true
		done := it + 1
		if l.Progress != nil && done > reached {
			l.Progress(done, l.Iters)
		}
		reached = max(reached, done)
		if l.Metrics != nil && (done%l.LogEvery == 0 || done == l.Iters) {
			now := time.Now()
			rate := float64(done-lastLog) / now.Sub(lastT).Seconds()
			lastLog, lastT = done, now
			l.Metrics(l.metrics(done, rate))
		}
		if done%l.SnapshotEvery == 0 || done == l.Iters {
			good = l.snapshotInto(good, done)
			if l.Checkpoint != nil {
				if err := l.Checkpoint(good); err != nil {
					return nil, err
				}
			}
		}
		res.Iters = done
	}
	for _, gr := range l.groups {
		if gr.ema != nil {
			gr.ema.CopyTo(gr.g.Params)
		}
	}
	res.Seconds = trainDur.Seconds()
	if res.Seconds > 0 {
		res.ItersPerSec = float64(res.Iters-l.start) / res.Seconds
	}
	for k, or := range l.objs {
		res.FinalLosses[k] = or.last.Loss
	}
	res.FinalLoss = res.FinalLosses[0]
	res.Retries = l.tries
	if ran && !res.Interrupted {
		if err := l.finalCheck(res.Iters); err != nil {
			return res, err
		}
	}
	return res, nil
}

// finalCheck refuses an end state that cannot be used: a non-finite
// parameter (after averaging), or a last loss or mean energy of some
// objective that is non-finite or beyond the bound.
func (l *Loop[T, B]) finalCheck(iter int) error {
	for _, gr := range l.groups {
		if bad := firstNonFinite(gr.g.Params); bad != "" {
			return &DivergenceError{Iter: iter, Retries: l.tries, Final: true, Reason: "parameter " + gr.g.Name + "/" + bad + " is not finite"}
		}
	}
	for k, or := range l.objs {
		if reason := l.badStats(or.last); reason != "" {
			return &DivergenceError{Iter: iter, Retries: l.tries, Final: true, Reason: fmt.Sprintf("objective %d: %s", k, reason)}
		}
	}
	return nil
}

func (l *Loop[T, B]) metrics(done int, rate float64) Metrics {
	st := l.objs[0].last
	g0 := l.groups[0]
	m := Metrics{Iter: done, Loss: st.Loss, EPos: nanToZero(st.EPos), ENeg: nanToZero(st.ENeg),
		GradNorm: g0.gnorm, LR: g0.opt.LR(), ItersPerS: rate, Extra: st.Extra}
	if len(l.groups) > 1 || len(l.objs) > 1 {
		for _, gr := range l.groups {
			m.Groups = append(m.Groups, GroupMetrics{Name: gr.g.Name, LR: gr.opt.LR(), GradNorm: gr.gnorm})
		}
		for _, or := range l.objs {
			s := or.last
			s.EPos, s.ENeg = nanToZero(s.EPos), nanToZero(s.ENeg)
			m.Objectives = append(m.Objectives, s)
		}
	}
	return m
}

func firstNonFinite[T tensor.Float](ps []*autodiff.Param[T]) string {
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
