package rbm

import (
	"runtime"
	"sync"
)

// job is a unit of row-parallel work: run(lo, hi) handles rows [lo, hi). Jobs are
// long-lived structs owned by a sampler or trainer, so handing one to the worker
// pool does not allocate.
type job interface{ run(lo, hi int) }

// task is one chunk of a job sent to a worker.
type task struct {
	j      job
	lo, hi int
	wg     *sync.WaitGroup
}

var (
	workersOnce sync.Once
	workerTasks chan task
	numWorkers  int
)

// startWorkers starts GOMAXPROCS−1 persistent worker goroutines (the caller of
// parallel does one share of the work itself).
func startWorkers() {
	numWorkers = runtime.GOMAXPROCS(0) - 1
	if numWorkers < 0 {
		numWorkers = 0
	}
	workerTasks = make(chan task, 4*(numWorkers+1))
	for i := 0; i < numWorkers; i++ {
		go func() {
			for t := range workerTasks {
				t.j.run(t.lo, t.hi)
				t.wg.Done()
			}
		}()
	}
}

// parallel runs j over [0, n) split into contiguous chunks of at least grain rows,
// on the caller's goroutine and on the package's persistent workers. It does not
// allocate. wg must be owned by the caller (a field of a long-lived struct) and not
// used concurrently. Jobs must not call parallel themselves (the workers would wait
// on each other). The split never changes results: jobs write disjoint rows.
func parallel(j job, wg *sync.WaitGroup, n, grain int) {
	workersOnce.Do(startWorkers)
	if grain < 1 {
		grain = 1
	}
	parts := min(numWorkers+1, n/grain)
	if parts < 2 {
		j.run(0, n)
		return
	}
	chunk := (n + parts - 1) / parts
	for lo := chunk; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		workerTasks <- task{j: j, lo: lo, hi: hi, wg: wg}
	}
	j.run(0, min(chunk, n))
	wg.Wait()
}

// funcJob adapts a function to job for code paths that may allocate (evaluation,
// not the sampling or training inner loops).
type funcJob func(lo, hi int)

func (f funcJob) run(lo, hi int) { f(lo, hi) }

// parallelFunc runs fn over [0, n) like parallel; it allocates a little per call.
func parallelFunc(n, grain int, fn func(lo, hi int)) {
	var wg sync.WaitGroup
	parallel(funcJob(fn), &wg, n, grain)
}
