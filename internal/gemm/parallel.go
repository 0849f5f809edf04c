package gemm

import (
	"runtime"
	"sync/atomic"
	"time"
)

// A parallel product is cut into chunks of rows (or columns) of C, which the
// caller and long-lived worker goroutines take in turn. The operand that all
// chunks need in full, op(B) (or op(A)), is packed once, by the caller,
// before the chunks start, so chunks can be small: that balances the load,
// and the caller never waits for a worker that has not started — it takes
// the remaining chunks itself, and waits only for chunks in progress.
//
// Waking a parked goroutine can be slow: it is queued on the caller's P, and
// another P steals it only after its own M has been woken. On the 2-vCPU
// development VM the woken goroutine started after a median of 2.6 ms (at
// best 70 µs) while the caller kept computing — a 256×128×128 product takes
// 20-40 µs — and when it did run on the caller's P it took turns with the
// caller there. So an idle worker first spins for spinFor (the GEMMs of a
// training step come back to back, a few milliseconds apart at most: the
// steps of a Langevin chain on the MNIST MLP of BENCHMARKS.md run 20 % faster
// with 4 ms than with 0.1 ms, for 30 % more CPU time; OpenBLAS's threads spin
// far longer), yielding its P now and then, then naps with time.Sleep, from napMin
// doubling to napMax, checking for a job after each nap (the timer wakes it
// on an idle P), and parks only after napping for napTotal. A job given to a
// worker that is not spinning is picked up late, or by nobody: the caller
// takes the chunks left.

// Polling phases of an idle worker.
const (
	spinFor  = 4 * time.Millisecond // also how long a caller spins for chunks in progress
	napMin   = time.Millisecond
	napMax   = 16 * time.Millisecond
	napTotal = time.Second
)

// maxProcs caps the number of goroutines of one product.
const maxProcs = 32

// maxShared caps the size (elements) of the packed shared operand; beyond it,
// each chunk packs its own copy.
var maxShared = 1 << 23

const (
	wIdle  int32 = iota // spinning, polling for a job
	wNap                // napping, polling for a job now and then
	wSleep              // parked on wake
	wBusy               // claimed by a caller
)

type worker[T Float] struct {
	state atomic.Int32
	job   atomic.Pointer[job[T]] // set by the caller that claimed the worker
	task  atomic.Pointer[task]   // or this (Split)
	wake  chan struct{}
}

// job is one parallel product.
type job[T Float] struct {
	im      *impl[T]
	p       problem[T]
	kn      *kernel[T]
	byRows  bool // chunks are rows of C (else columns)
	shared  []T  // packed op(B) (byRows) or op(A), or nil (the job's own buffer)
	packedB []T  // all of op(B) packed by the caller (PackedB), or nil
	unit    int  // mr or nr
	tiles   int  // tiles of the split dimension
	nchunks int
	next    atomic.Int32  // next chunk to take
	left    atomic.Int32  // chunks not finished
	refs    atomic.Int32  // goroutines holding the job
	done    chan struct{} // receives one token when left drops to 0
}

func (im *impl[T]) allWorkers() []*worker[T] {
	if p := im.workers.Load(); p != nil {
		return *p
	}
	return nil
}

// claim returns an idle worker — spinning if possible, else napping, else
// parked (then woken) — or starts one if fewer than max exist. It returns nil
// if all are busy (with concurrent callers).
func (im *impl[T]) claim(max int) *worker[T] {
	for _, from := range [...]int32{wIdle, wNap, wSleep} {
		if w := im.claimFrom(from); w != nil {
			return w
		}
	}
	return im.spawn(max)
}

// claimFrom claims a worker in state from (waking it if parked), or returns
// nil.
func (im *impl[T]) claimFrom(from int32) *worker[T] {
	for _, w := range im.allWorkers() {
		if w.state.CompareAndSwap(from, wBusy) {
			if from == wSleep {
				w.wake <- struct{}{}
			}
			return w
		}
	}
	return nil
}

// spawn starts a (claimed) worker if fewer than max exist.
func (im *impl[T]) spawn(max int) *worker[T] {
	im.workersMu.Lock()
	defer im.workersMu.Unlock()
	old := im.allWorkers()
	if len(old) >= max {
		return nil // before ws, which escapes: this path must not allocate
	}
	w := &worker[T]{wake: make(chan struct{}, 1)}
	w.state.Store(wBusy)
	ws := append(old[:len(old):len(old)], w)
	im.workers.Store(&ws)
	go w.loop()
	return w
}

func (w *worker[T]) loop() {
	ws := new(workspace[T])
	for {
		j, t := w.poll()
		if t != nil {
			w.task.Store(nil)
			t.work()
			w.state.Store(wIdle)
			t.release()
			continue
		}
		w.job.Store(nil)
		j.work(ws)
		w.state.Store(wIdle)
		j.release()
	}
}

// poll waits for a job or a task: it spins, naps, and parks.
func (w *worker[T]) poll() (*job[T], *task) {
	start := time.Now()
	for i := 1; ; i++ {
		if j := w.job.Load(); j != nil {
			return j, nil
		}
		if t := w.task.Load(); t != nil {
			return nil, t
		}
		if i%128 == 0 {
			if time.Since(start) > spinFor && w.state.CompareAndSwap(wIdle, wNap) {
				break
			}
			// Let a goroutine readied on this P (such as a caller woken
			// from wait) run.
			runtime.Gosched()
		}
	}
	nap := napMin
	for start = time.Now(); ; nap = min(2*nap, napMax) {
		if time.Since(start) > napTotal && w.state.CompareAndSwap(wNap, wSleep) {
			<-w.wake
			nap = 0
		} else {
			time.Sleep(nap)
		}
		if j := w.job.Load(); j != nil {
			return j, nil
		}
		if t := w.task.Load(); t != nil {
			return nil, t
		}
	}
}

// work computes chunks until there are none left.
func (j *job[T]) work(ws *workspace[T]) {
	dim := j.p.n
	if j.byRows {
		dim = j.p.m
	}
	for {
		c := int(j.next.Add(1)) - 1
		if c >= j.nchunks {
			return
		}
		lo := min(c*j.tiles/j.nchunks*j.unit, dim)
		hi := min((c+1)*j.tiles/j.nchunks*j.unit, dim)
		switch {
		case j.byRows && j.packedB != nil:
			q := j.p.rows(lo, hi)
			q.run(j.kn, ws, nil, j.packedB)
		case j.byRows:
			q := j.p.rows(lo, hi)
			q.run(j.kn, ws, nil, j.shared)
		case j.packedB != nil:
			q := j.p.cols(lo, hi)
			q.run(j.kn, ws, j.shared, j.packedB[lo*j.p.k:])
		default:
			q := j.p.cols(lo, hi)
			q.run(j.kn, ws, j.shared, nil)
		}
		if j.left.Add(-1) == 0 {
			j.done <- struct{}{}
		}
	}
}

func (j *job[T]) release() {
	if j.refs.Add(-1) == 0 {
		j.p, j.packedB = problem[T]{}, nil
		j.im.jobPool.Put(j)
	}
}

// wait returns when all chunks are done.
func (j *job[T]) wait() { waitChunks(&j.left, j.done) }

// waitChunks returns when left is 0 and done has its token (sent by whoever
// finished the last chunk), spinning on left for up to spinFor first.
func waitChunks(left *atomic.Int32, done chan struct{}) {
	start := time.Now()
	for i := 1; left.Load() != 0; i++ {
		if i%64 == 0 && time.Since(start) > spinFor {
			break
		}
	}
	<-done
}

// parallel computes p with the caller and up to nw-1 workers. C is split
// along its longer side, so that the shared operand is the smaller one.
// packedB, if not nil, is all of op(B) already packed (PackedB): no chunk
// packs B.
func (im *impl[T]) parallel(kn *kernel[T], p *problem[T], nw int, packedB []T) {
	var claimed [maxProcs - 1]*worker[T]
	nc := 0
	for nc < nw-1 {
		w := im.claim(nw - 1)
		if w == nil {
			break
		}
		claimed[nc] = w
		nc++
	}
	if nc == 0 {
		ws := im.getWorkspace()
		p.run(kn, ws, nil, packedB)
		im.wsPool.Put(ws)
		return
	}
	j := im.jobPool.Get().(*job[T])
	j.p, j.kn, j.packedB = *p, kn, packedB
	j.byRows = p.m >= p.n
	if packedB != nil && p.m >= 4*kn.mr*(nc+1) {
		// op(B) is packed already: row chunks pack only their own rows of
		// A, in parallel, where column chunks would wait for the caller to
		// pack all of op(A).
		j.byRows = true
	}
	dim := p.n
	j.unit = kn.nr
	if j.byRows {
		dim, j.unit = p.m, kn.mr
	}
	j.tiles = (dim + j.unit - 1) / j.unit
	// The shared operand: op(B) for row chunks, op(A) for column chunks.
	size := (p.n + kn.nr) * p.k
	if !j.byRows {
		size = (p.m + kn.mr) * p.k
	}
	switch {
	case j.byRows && packedB != nil:
		// One chunk per goroutine: the larger a chunk, the more rows of A
		// share each panel of op(B) while it is in L1 (5 % faster than four
		// chunks per goroutine on the MNIST MLP's products); a late worker's
		// chunk is taken by the caller.
		j.nchunks = nc + 1
	case size <= maxShared:
		j.shared = p.packShared(kn, j.shared, !j.byRows)
		j.nchunks = 4 * (nc + 1)
	default:
		j.shared = nil
		j.nchunks = 2 * (nc + 1) // each chunk packs the operand again
	}
	j.nchunks = min(j.nchunks, j.tiles)
	j.next.Store(0)
	j.left.Store(int32(j.nchunks))
	j.refs.Store(int32(nc + 1))
	for _, w := range claimed[:nc] {
		w.job.Store(j)
	}
	ws := im.getWorkspace()
	j.work(ws)
	im.wsPool.Put(ws)
	j.wait()
	j.release()
}
