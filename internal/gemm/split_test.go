package gemm

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// countBody counts the visits of each index.
type countBody struct{ hits []atomic.Int32 }

func (b *countBody) Run(lo, hi int) {
	for i := lo; i < hi; i++ {
		b.hits[i].Add(1)
	}
}

func checkOnce(t *testing.T, hits []atomic.Int32, what string) {
	t.Helper()
	for i := range hits {
		if h := hits[i].Load(); h != 1 {
			t.Fatalf("%s: index %d visited %d times", what, i, h)
		}
	}
}

// TestSplitCoversRange: every index is visited exactly once, for sizes and
// part counts around the chunk boundaries, with 1, 2 and 4 procs.
func TestSplitCoversRange(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 2, 3, 7, 64, 65, 1000} {
			for _, parts := range []int{0, 1, 2, 3, 4, 7, 100} {
				b := &countBody{hits: make([]atomic.Int32, n)}
				Split(b, n, parts)
				checkOnce(t, b.hits, "split")
			}
		}
	}
}

// TestSplitChunks: the chunks are the contiguous ranges of ⌈n/parts⌉
// indices whatever goroutine runs them.
func TestSplitChunks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(4)
	var mu sync.Mutex
	got := map[[2]int]bool{}
	Split(Func(func(lo, hi int) {
		mu.Lock()
		got[[2]int{lo, hi}] = true
		mu.Unlock()
	}), 10, 3)
	want := map[[2]int]bool{{0, 4}: true, {4, 8}: true, {8, 10}: true}
	if len(got) != len(want) {
		t.Fatalf("chunks %v, want %v", got, want)
	}
	for c := range want {
		if !got[c] {
			t.Fatalf("chunks %v, want %v", got, want)
		}
	}
}

// TestSplitNestedAndConcurrent: bodies that call Split and matrix products
// themselves, from several goroutines at once, finish and visit every index
// once (run with -race).
func TestSplitNestedAndConcurrent(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(4)
	const n, inner = 16, 50
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			a := make([]float32, 64*64)
			for i := range a {
				a[i] = float32(rng.NormFloat64())
			}
			for rep := 0; rep < 5; rep++ {
				outer := &countBody{hits: make([]atomic.Int32, n)}
				innerHits := make([]countBody, n)
				Split(Func(func(lo, hi int) {
					for i := lo; i < hi; i++ {
						innerHits[i].hits = make([]atomic.Int32, inner)
						Split(&innerHits[i], inner, 4)
						c := make([]float32, 64*64)
						Gemm32(false, false, 64, 64, 64, 1, a, 64, a, 64, 0, c, 64)
					}
					outer.Run(lo, hi)
				}), n, 4)
				checkOnce(t, outer.hits, "outer")
				for i := range innerHits {
					checkOnce(t, innerHits[i].hits, "inner")
				}
			}
		}(g)
	}
	wg.Wait()
}

// TestSplitNoAlloc: with a pointer body Split does not allocate, also when
// it finds no idle worker (back-to-back calls often do: the worker has not
// yet gone back to idle) and runs every chunk itself. Measured by hand:
// testing.AllocsPerRun sets GOMAXPROCS to 1, where Split does not split.
func TestSplitNoAlloc(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(2)
	b := &countBody{hits: make([]atomic.Int32, 1000)}
	for range 100 { // start the workers
		Split(b, 1000, 2)
	}
	const calls = 5000
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for range calls {
		Split(b, 1000, 2)
	}
	runtime.ReadMemStats(&m1)
	// The runtime may allocate now and then (a blocking receive's wait
	// record); a per-call allocation would show as thousands.
	if a := m1.Mallocs - m0.Mallocs; a > calls/100 {
		t.Fatalf("%d allocations in %d calls", a, calls)
	}
}
