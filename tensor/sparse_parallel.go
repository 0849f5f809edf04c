package tensor

import (
	"runtime"
	"sync"
)

// RowJob is a unit of row-parallel work for ParallelRows: Run(lo, hi) handles
// rows [lo, hi) and must write only what belongs to those rows. Jobs are
// meant to be long-lived values (fields of a sampler or trainer), so handing
// one to ParallelRows does not allocate.
type RowJob interface{ Run(lo, hi int) }

// rowTask is one chunk of a RowJob sent to a worker.
type rowTask struct {
	j      RowJob
	lo, hi int
	wg     *sync.WaitGroup
}

var (
	rowWorkersOnce sync.Once
	rowTasks       chan rowTask
	rowWorkers     int
)

// startRowWorkers starts GOMAXPROCS−1 persistent worker goroutines (the
// caller of ParallelRows does one share of the work itself).
func startRowWorkers() {
	rowWorkers = max(runtime.GOMAXPROCS(0)-1, 0)
	rowTasks = make(chan rowTask, 4*(rowWorkers+1))
	for range rowWorkers {
		go func() {
			for t := range rowTasks {
				t.j.Run(t.lo, t.hi)
				t.wg.Done()
			}
		}()
	}
}

// ParallelRows runs j over [0, n) split into contiguous chunks of at least
// grain rows, one per core, on the caller's goroutine and on a set of
// persistent workers: unlike ParallelFor it does not allocate, so sampler and
// training steps can call it every iteration. wg must be owned by the caller
// (a field of a long-lived struct) and not used concurrently. Jobs must not
// call ParallelRows themselves (the workers would wait on each other). The
// split depends only on n, grain and GOMAXPROCS, and jobs write disjoint
// rows, so results do not depend on scheduling.
func ParallelRows(j RowJob, wg *sync.WaitGroup, n, grain int) {
	rowWorkersOnce.Do(startRowWorkers)
	grain = max(grain, 1)
	parts := min(rowWorkers+1, n/grain)
	if parts < 2 {
		j.Run(0, n)
		return
	}
	chunk := (n + parts - 1) / parts
	for lo := chunk; lo < n; lo += chunk {
		wg.Add(1)
		rowTasks <- rowTask{j: j, lo: lo, hi: min(lo+chunk, n), wg: wg}
	}
	j.Run(0, min(chunk, n))
	wg.Wait()
}

// GrainFor returns a chunk size in rows that gives each chunk of ParallelRows
// about 32k multiply-adds when a row costs workPerRow, so that small products
// are not split.
func GrainFor(workPerRow int) int {
	return max(1, (1<<15)/max(workPerRow, 1))
}
