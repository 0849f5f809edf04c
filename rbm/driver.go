package rbm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// Batches returns the number of updates per epoch for n examples in batches
// of size: ⌈n/size⌉ (scikit-learn's even slices, whose sizes differ by at most
// one). It is what a learning-rate schedule over updates needs to know.
func Batches(n, size int) int {
	if n < 1 || size < 1 {
		return 0
	}
	size = min(size, n)
	return (n + size - 1) / size
}

// ParseSchedule returns the learning-rate schedule named s for a run of
// epochs epochs of perEpoch updates each, with base rate lr, as an
// optim.Schedule over updates (update 0 is the first):
//
//	constant                       LR = lr (optim.Constant)
//	step[:every=10,factor=0.5]     LR = lr·factor^⌊epoch/every⌋ (optim.Step with
//	                               Every = every·perEpoch updates)
//	linear[:final=0]               linearly from lr at the first update to
//	                               final·lr at the last (optim.Linear)
//
// Errors are *spec.Error values.
func ParseSchedule(s string, lr float64, perEpoch, epochs int) (optim.Schedule, error) {
	sp, err := spec.Parse("schedule", s)
	if err != nil {
		return nil, err
	}
	if !(lr > 0) || math.IsInf(lr, 0) {
		return nil, spec.Errorf("schedule", "base learning rate %v must be finite and > 0", lr)
	}
	var sc optim.Schedule
	switch sp.Name {
	case "constant":
		sc = optim.Constant{Base: lr}
	case "step":
		every, err := sp.Int("every", 10)
		if err != nil {
			return nil, err
		}
		f, err := sp.Float("factor", 0.5)
		if err != nil {
			return nil, err
		}
		if every < 1 || !(f > 0 && f <= 1) {
			return nil, spec.Errorf("schedule", "%s: need every ≥ 1 and 0 < factor ≤ 1", s)
		}
		sc = optim.Step{Base: lr, Every: every * max(perEpoch, 1), Gamma: f}
	case "linear":
		final, err := sp.Float("final", 0)
		if err != nil {
			return nil, err
		}
		if !(final >= 0 && final <= 1) {
			return nil, spec.Errorf("schedule", "%s: need 0 ≤ final ≤ 1", s)
		}
		sc = LinearDecay(lr, final, perEpoch*epochs)
	default:
		return nil, spec.Errorf("schedule", "%q: unknown schedule (valid: constant, step[:every=10,factor=0.5], linear[:final=0])", s)
	}
	return sc, sp.CheckUnused()
}

// LinearDecay returns the schedule that lowers the rate linearly from base at
// the first of total updates to final·base at the last one (update total−1):
// optim.Linear{Base: base, End: final·base, Total: total−1}, or
// optim.Constant{Base: base} when total ≤ 1.
func LinearDecay(base, final float64, total int) optim.Schedule {
	if total <= 1 {
		return optim.Constant{Base: base}
	}
	return optim.Linear{Base: base, End: final * base, Total: total - 1}
}

// checkSchedule validates s when it can validate itself.
func checkSchedule(s optim.Schedule) error {
	if v, ok := s.(optim.Validator); ok && s != nil {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("rbm: learning-rate schedule: %w", err)
		}
	}
	return nil
}

// rate returns the learning rate of update t: s.LR(t), or base when s is nil.
func rate(s optim.Schedule, base float64, t int) float64 {
	if s == nil {
		return base
	}
	return s.LR(t)
}

// vecParam returns a parameter whose value is the 1×len(v) row over v itself
// (no copy), with a zero gradient.
func vecParam[T tensor.Float](name string, v []T) *autodiff.Param[T] {
	return autodiff.NewParam(name, &tensor.Dense[T]{Rows: 1, Cols: len(v), Data: v})
}

// sgdPair updates a model's parameters with optim.SGD: the weights with L2
// weight decay and the biases without (decaying biases would pull the model
// towards the uniform distribution for no reason), both with the same
// momentum and learning rate. The gradients are those of the negative
// log-likelihood (the trainers fill them), so SGD's descent is the ascent of
// the likelihood.
type sgdPair[T tensor.Float] struct {
	weights, biases []*autodiff.Param[T]
	wOpt, bOpt      *optim.SGD[T]
}

func newSGDPair[T tensor.Float](weights, biases []*autodiff.Param[T], lr, momentum, decay float64) (*sgdPair[T], error) {
	if lr == 0 {
		lr = 1 // set before every step; a constructor refuses 0
	}
	w, err := optim.NewSGD[T](optim.SGDConfig{LR: lr, Momentum: momentum, WeightDecay: decay})
	if err != nil {
		return nil, err
	}
	b, err := optim.NewSGD[T](optim.SGDConfig{LR: lr, Momentum: momentum})
	if err != nil {
		return nil, err
	}
	return &sgdPair[T]{weights: weights, biases: biases, wOpt: w, bOpt: b}, nil
}

// step applies one update with learning rate lr.
func (p *sgdPair[T]) step(lr float64) {
	p.wOpt.SetLR(lr)
	p.wOpt.Step(p.weights)
	p.bOpt.SetLR(lr)
	p.bOpt.Step(p.biases)
}

// epochLoop is the epoch and batch driver that every trainer of the package
// shares: epochs of scikit-learn's even slices of n examples (reordered every
// epoch by a permutation from shuffle, when not nil), one call of step per
// batch with the batch's example indices and the learning rate of its update,
// progress reports, a divergence check and the per-epoch callback with
// ErrStop.
type epochLoop struct {
	n, batch, epochs int
	shuffle          *rand.Rand
	schedule         optim.Schedule
	lr               float64
	onBatch          func(done, total int)
	// step performs one update.
	step func(idx []int, lr float64) error
	// check, when not nil, is called after every epoch: an error there means
	// training diverged.
	check func() error
	// what names the model in the divergence error ("", "DBM ", "FVBM ").
	what string
	// fill, when not nil, adds the trainer's own figures to an epoch's
	// statistics; resetEpoch, when not nil, is called before every epoch.
	fill       func(*EpochStats)
	resetEpoch func()
	// endEpoch, when not nil, receives each epoch's statistics; ErrStop ends
	// training early without an error.
	endEpoch func(EpochStats) error
}

// run runs the loop and returns what Fit returns.
func (l *epochLoop) run(ctx context.Context) (FitResult, error) {
	var res FitResult
	nb := Batches(l.n, l.batch)
	total := nb * l.epochs
	order := make([]int, l.n)
	for i := range order {
		order[i] = i
	}
	update := 0
	for ep := 0; ep < l.epochs; ep++ {
		if l.shuffle != nil {
			l.shuffle.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		if l.resetEpoch != nil {
			l.resetEpoch()
		}
		start := time.Now()
		lr := l.lr
		for b := 0; b < nb; b++ {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			// scikit-learn's gen_even_slices.
			lo := b*(l.n/nb) + min(b, l.n%nb)
			hi := lo + l.n/nb
			if b < l.n%nb {
				hi++
			}
			lr = rate(l.schedule, l.lr, update)
			if err := l.step(order[lo:hi], lr); err != nil {
				return res, err
			}
			update++
			if l.onBatch != nil {
				l.onBatch(update, total)
			}
		}
		sec := time.Since(start).Seconds()
		if l.check != nil {
			if err := l.check(); err != nil {
				return res, fmt.Errorf("rbm: %straining diverged in epoch %d (%v); lower the learning rate", l.what, ep+1, err)
			}
		}
		st := EpochStats{Epoch: ep + 1, LR: lr, Seconds: sec}
		if l.fill != nil {
			l.fill(&st)
		}
		res.Epochs = ep + 1
		res.Seconds += sec
		res.History = append(res.History, st)
		if l.endEpoch != nil {
			if err := l.endEpoch(st); err != nil {
				if errors.Is(err, ErrStop) {
					break
				}
				return res, err
			}
		}
	}
	if res.Epochs > 0 {
		res.SecPerEpoch = res.Seconds / float64(res.Epochs)
	}
	return res, nil
}
