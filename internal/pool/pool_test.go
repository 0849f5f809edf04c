package pool

import (
	"sync"
	"testing"
)

func TestPool(t *testing.T) {
	var p Pool[[]float64]
	if p.Get() != nil {
		t.Fatal("empty pool returned a buffer")
	}
	b := &[]float64{1}
	p.Put(b)
	if p.Get() != b {
		t.Fatal("single caller did not get its buffer back")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				x := p.Get()
				if x == nil {
					x = &[]float64{0}
				}
				(*x)[0]++
				p.Put(x)
			}
		}()
	}
	wg.Wait()
}
