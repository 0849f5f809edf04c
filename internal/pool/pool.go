// Package pool hands out reusable work buffers to concurrent callers.
package pool

import (
	"sync"
	"sync/atomic"
)

// Pool keeps buffers of type B for reuse. One buffer is kept in an atomic
// slot, so a single caller gets the same buffer back every time (no
// allocation even when the goroutine moves between threads, which a bare
// sync.Pool does not guarantee); concurrent callers fall back to a sync.Pool.
// The zero value is ready to use.
type Pool[B any] struct {
	slot atomic.Pointer[B]
	pool sync.Pool
}

// Get returns a buffer, or nil when none is free (the caller makes one).
func (p *Pool[B]) Get() *B {
	if b := p.slot.Swap(nil); b != nil {
		return b
	}
	b, _ := p.pool.Get().(*B)
	return b
}

// Put returns b for reuse.
func (p *Pool[B]) Put(b *B) {
	if !p.slot.CompareAndSwap(nil, b) {
		p.pool.Put(b)
	}
}
