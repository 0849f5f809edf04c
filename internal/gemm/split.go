package gemm

import (
	"runtime"
	"sync/atomic"
)

// Body is a loop body that Split runs over chunks of [0, n): Run(lo, hi)
// handles indices lo ≤ i < hi and must write only what belongs to them.
type Body interface{ Run(lo, hi int) }

// Func adapts a function to Body.
type Func func(lo, hi int)

// Run calls f(lo, hi).
func (f Func) Run(lo, hi int) { f(lo, hi) }

// task is one Split call: chunks of a Body taken in turn by the caller and by
// the workers it claimed.
type task struct {
	body    Body
	n       int
	chunk   int
	nchunks int
	next    atomic.Int32
	left    atomic.Int32
	refs    atomic.Int32
	done    chan struct{}
}

// freeTasks holds finished tasks for reuse. (A sync.Pool would allocate: the
// last holder of a task is often a worker, whose P-private slot the caller's
// next Get does not see.)
var freeTasks = make(chan *task, 2*maxProcs)

func getTask() *task {
	select {
	case t := <-freeTasks:
		return t
	default:
		return &task{done: make(chan struct{}, 1)}
	}
}

// Split runs body over [0, n) cut into parts contiguous chunks of
// ⌈n/parts⌉ indices (the last one shorter), on the caller's goroutine and on
// the idle workers of the matrix products (see parallel.go). Those workers
// spin between the products of a training step and hold the other cores
// while they do; a goroutine started with go would wait for a core until
// they stop, so elementwise work between products would not run in
// parallel. The chunks do not depend on which goroutine runs them, so
// neither do the results. The caller takes every chunk no worker has
// started, and waits only for chunks in progress, so Split is safe to call
// from a body (nested calls run on whatever worker is idle, or on the
// caller). With a Body that is a pointer to a long-lived value Split does not
// allocate.
func Split(body Body, n, parts int) {
	parts = min(parts, n, maxProcs)
	if parts < 2 {
		body.Run(0, n)
		return
	}
	chunk := (n + parts - 1) / parts
	nchunks := (n + chunk - 1) / chunk
	var claimed [maxProcs - 1]taskWorker
	nc := 0
	for nc < nchunks-1 {
		w := claimTaskWorker(runtime.GOMAXPROCS(0) - 1)
		if w == nil {
			break
		}
		claimed[nc] = w
		nc++
	}
	if nc == 0 {
		for lo := 0; lo < n; lo += chunk {
			body.Run(lo, min(lo+chunk, n))
		}
		return
	}
	t := getTask()
	t.body, t.n, t.chunk, t.nchunks = body, n, chunk, nchunks
	t.next.Store(0)
	t.left.Store(int32(nchunks))
	t.refs.Store(int32(nc + 1))
	for _, w := range claimed[:nc] {
		w.give(t)
	}
	t.work()
	t.wait()
	t.release()
}

// taskWorker is a worker of either element type.
type taskWorker interface{ give(*task) }

func (w *worker[T]) give(t *task) { w.task.Store(t) }

// claimTaskWorker claims an idle worker of either pool — spinning first,
// then napping, then parked — or starts a float32 worker if that pool has
// fewer than max.
func claimTaskWorker(max int) taskWorker {
	for _, from := range [...]int32{wIdle, wNap, wSleep} {
		if w := f32.claimFrom(from); w != nil {
			return w
		}
		if w := f64.claimFrom(from); w != nil {
			return w
		}
	}
	if w := f32.spawn(max); w != nil {
		return w
	}
	return nil
}

// work runs chunks until none is left.
func (t *task) work() {
	for {
		c := int(t.next.Add(1)) - 1
		if c >= t.nchunks {
			return
		}
		lo := c * t.chunk
		t.body.Run(lo, min(lo+t.chunk, t.n))
		if t.left.Add(-1) == 0 {
			t.done <- struct{}{}
		}
	}
}

// wait returns when all chunks are done.
func (t *task) wait() { waitChunks(&t.left, t.done) }

func (t *task) release() {
	if t.refs.Add(-1) == 0 {
		t.body = nil
		select {
		case freeTasks <- t:
		default:
		}
	}
}
