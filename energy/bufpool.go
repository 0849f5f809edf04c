package energy

import (
	"sync"
	"sync/atomic"
)

// bufPool hands out work buffers to concurrent callers. One buffer is kept in
// an atomic slot, so a single caller gets the same buffer back every time (no
// allocation even when the goroutine moves between threads, which a bare
// sync.Pool does not guarantee); concurrent callers fall back to a sync.Pool.
type bufPool[B any] struct {
	slot atomic.Pointer[B]
	pool sync.Pool
}

// get returns a buffer, or nil when none is free.
func (p *bufPool[B]) get() *B {
	if b := p.slot.Swap(nil); b != nil {
		return b
	}
	b, _ := p.pool.Get().(*B)
	return b
}

// put returns b for reuse.
func (p *bufPool[B]) put(b *B) {
	if !p.slot.CompareAndSwap(nil, b) {
		p.pool.Put(b)
	}
}
