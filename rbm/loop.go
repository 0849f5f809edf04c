package rbm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// evenSlices is the batch source of every trainer of the package, a
// train.BatchSource of example indices: epochs of scikit-learn's even slices
// (gen_even_slices) of N examples in Per = ⌈N/Size⌉ batches. Batch i is slot
// s = i mod Per of epoch e = ⌊i/Per⌋ and holds positions
//
//	[s·⌊N/Per⌋ + min(s, N mod Per), … + ⌊N/Per⌋ + [s < N mod Per])
//
// of the epoch's order: 0…N−1, or with Shuffle a permutation drawn from a PCG
// generator seeded by (Seed, e). Batch sizes differ by at most one, every
// example is seen once per epoch, and a batch depends only on its iteration.
type evenSlices struct {
	N, Size int
	Shuffle bool
	Seed    uint64

	epoch int
	order []int
}

// PerEpoch returns the batches per epoch, Batches(N, Size).
func (s *evenSlices) PerEpoch() int { return Batches(s.N, s.Size) }

// Batch returns the indices of iteration iter (a buffer the next call may
// reuse). The size n asked for by the loop is ignored: the even slices fix
// the sizes.
func (s *evenSlices) Batch(iter, _ int) ([]int, error) {
	per := s.PerEpoch()
	if per == 0 || iter < 0 {
		return nil, fmt.Errorf("rbm: batch %d of %d examples in batches of %d", iter, s.N, s.Size)
	}
	ep, b := iter/per, iter%per
	if len(s.order) != s.N {
		s.order = make([]int, s.N)
		s.epoch = -1
	}
	if s.epoch != ep && (s.Shuffle || s.epoch < 0) {
		for i := range s.order {
			s.order[i] = i
		}
		if s.Shuffle {
			r := rand.New(rand.NewPCG(s.Seed, uint64(ep)))
			r.Shuffle(len(s.order), func(i, j int) { s.order[i], s.order[j] = s.order[j], s.order[i] })
		}
	}
	s.epoch = ep
	q, rem := s.N/per, s.N%per
	lo := b*q + min(b, rem)
	hi := lo + q
	if b < rem {
		hi++
	}
	return s.order[lo:hi], nil
}

// scaledSchedule is a schedule times a constant factor: LR(t) = f·s.LR(t).
type scaledSchedule struct {
	s optim.Schedule
	f float64
}

func (s scaledSchedule) LR(t int) float64 { return s.f * s.s.LR(t) }

// sgdGroups returns the two parameter groups of a Boltzmann machine, both
// updated by optim.SGD with the same momentum and learning rate (sched, or lr
// when nil): "weights" with L2 weight decay and "biases" without (decaying
// biases would pull the model towards the uniform distribution for no
// reason). The gradients are those of the negative log-likelihood (the
// trainers fill them), so SGD's descent is the ascent of the likelihood.
func sgdGroups[T tensor.Float](weights, biases []*autodiff.Param[T], lr float64, sched optim.Schedule, momentum, decay float64) ([]train.Group[T], error) {
	w, err := optim.NewSGD[T](optim.SGDConfig{LR: lr, Momentum: momentum, WeightDecay: decay})
	if err != nil {
		return nil, err
	}
	b, err := optim.NewSGD[T](optim.SGDConfig{LR: lr, Momentum: momentum})
	if err != nil {
		return nil, err
	}
	return []train.Group[T]{
		{Name: "weights", Params: weights, Optimizer: w, LR: lr, Schedule: sched},
		{Name: "biases", Params: biases, Optimizer: b, LR: lr, Schedule: sched},
	}, nil
}

// groupNames returns the names of gs.
func groupNames[T tensor.Float](gs []train.Group[T]) []string {
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.Name
	}
	return names
}

// fitRun is one training run of a Boltzmann machine on train.Loop: Epochs
// epochs of the even slices of N examples (Src), one iteration per batch, the
// objective filling the gradients of the groups, and the per-epoch statistics
// built from the loop's metrics (LogEvery = updates per epoch). The loop keeps
// a snapshot at the end of every epoch, so a divergence (a non-finite
// parameter, gradient or figure) rolls the run back to the start of the epoch
// with the learning rate halved.
type fitRun[T tensor.Float] struct {
	what   string // names the model in errors: "", "DBM ", "FVBM "
	groups []train.Group[T]
	obj    train.Grouped
	src    *evenSlices
	epochs int
	seed   uint64
	// onBatch, when not nil, receives the updates done and the total.
	onBatch func(done, total int)
	// fill, when not nil, adds the trainer's own figures to an epoch's
	// statistics; reset, when not nil, starts an epoch's accumulators.
	fill  func(*EpochStats)
	reset func()
	// endEpoch, when not nil, receives each epoch's statistics; ErrStop ends
	// training early without an error.
	endEpoch func(EpochStats) error
}

// run trains and returns what Fit returns.
func (f *fitRun[T]) run(ctx context.Context) (FitResult, error) {
	var res FitResult
	per := f.src.PerEpoch()
	if per == 0 {
		return res, errors.New("rbm: no training examples")
	}
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	var stop error
	reset := func() {
		if f.reset != nil {
			f.reset()
		}
	}
	start := time.Now()
	loop := &train.Loop[T, []int]{Groups: f.groups, Objectives: []train.Grouped{f.obj}, Data: f.src,
		Batch: f.src.Size, Iters: per * f.epochs, Seed: f.seed, LogEvery: per, SnapshotEvery: per,
		Progress: f.onBatch}
	loop.Metrics = func(m train.Metrics) {
		if m.Event != "" {
			// A rollback to the start of the epoch of iteration m.Iter.
			res.History = res.History[:min(len(res.History), m.Iter/per)]
			reset()
			start = time.Now()
			return
		}
		st := EpochStats{Epoch: m.Iter / per, LR: m.LR, Seconds: time.Since(start).Seconds()}
		if f.fill != nil {
			f.fill(&st)
		}
		res.History = append(res.History, st)
		if f.endEpoch != nil && stop == nil {
			if err := f.endEpoch(st); err != nil {
				stop = err
				cancel()
			}
		}
		reset()
		start = time.Now()
	}
	reset()
	out, err := loop.Run(inner)
	res.Epochs = len(res.History)
	for _, st := range res.History {
		res.Seconds += st.Seconds
	}
	if res.Epochs > 0 {
		res.SecPerEpoch = res.Seconds / float64(res.Epochs)
	}
	if out != nil {
		res.Retries = out.Retries
	}
	var div *train.DivergenceError
	switch {
	case errors.As(err, &div):
		return res, fmt.Errorf("rbm: %s%w", f.what, err)
	case err != nil:
		return res, err
	case stop != nil && !errors.Is(stop, ErrStop):
		return res, stop
	case stop == nil && out != nil && out.Interrupted:
		return res, ctx.Err()
	}
	return res, nil
}
