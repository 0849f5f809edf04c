package metric

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// blockRows is the number of rows summed per work item of pairSum.
const blockRows = 32

// parallelPairs is the number of kernel evaluations below which pairSum stays
// on the calling goroutine.
const parallelPairs = 1 << 16

// pairSum returns Σ_{i<rows} row(i), with rows grouped into fixed blocks of
// blockRows whose partial sums are added in block order. Blocks run on up to
// GOMAXPROCS goroutines when the work (about rows·cols kernel evaluations) is
// large; the grouping, hence the result, does not depend on the goroutine count.
// row must not allocate per pair and must be safe for concurrent calls.
func pairSum(rows, cols int, row func(i int) float64) float64 {
	nb := (rows + blockRows - 1) / blockRows
	partial := make([]float64, nb)
	block := func(b int) {
		s := 0.0
		for i := b * blockRows; i < min((b+1)*blockRows, rows); i++ {
			s += row(i)
		}
		partial[b] = s
	}
	workers := min(runtime.GOMAXPROCS(0), nb)
	if workers <= 1 || rows*cols < parallelPairs {
		for b := range nb {
			block(b)
		}
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					b := int(next.Add(1) - 1)
					if b >= nb {
						return
					}
					block(b)
				}
			})
		}
		wg.Wait()
	}
	s := 0.0
	for _, p := range partial {
		s += p
	}
	return s
}
