package rbm

import (
	"fmt"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/optim"
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
// optim.Schedule over updates (update 0 is the first). It is
// optim.ParseScheduleEpochs: the settings every= and warmup= count epochs, so
//
//	constant                       LR = lr
//	step[:every=E,factor=0.5]      LR = lr·factor^⌊epoch/E⌋ (E: a quarter of the run)
//	linear[:final=0]               linearly from lr at the first update to
//	                               final·lr at the last
//	cosine[:final=0.01]            a half cosine from lr to final·lr
//
// Errors are *spec.Error values.
func ParseSchedule(s string, lr float64, perEpoch, epochs int) (optim.Schedule, error) {
	return optim.ParseScheduleEpochs(s, lr, perEpoch, epochs)
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

// vecParam returns a parameter whose value is the 1×len(v) row over v itself
// (no copy), with a zero gradient.
func vecParam[T tensor.Float](name string, v []T) *autodiff.Param[T] {
	return autodiff.NewParam(name, &tensor.Dense[T]{Rows: 1, Cols: len(v), Data: v})
}
