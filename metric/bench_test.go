package metric

import (
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

// TestNoAllocPerPair: the pair loops allocate nothing; allocations are a small
// constant (block partials, goroutines) whatever the sample size.
func TestNoAllocPerPair(t *testing.T) {
	rng := newRNG(40)
	for _, n := range []int{100, 800} {
		x := gaussSample(rng, n, []float64{0, 0}, 1)
		y := gaussSample(rng, n, []float64{0, 0}, 1)
		mmd := testing.AllocsPerRun(3, func() { _, _ = MMD2(x, y, 1) })
		ksd := testing.AllocsPerRun(3, func() { _, _ = KSDIMQ(x, y) })
		if mmd > 40 || ksd > 20 {
			t.Errorf("n=%d: %v allocations per MMD2, %v per KSD", n, mmd, ksd)
		}
	}
}

func benchSamples(n int) (x, y *tensor.Dense[float64]) {
	rng := newRNG(41)
	return gaussSample(rng, n, []float64{0, 0}, 1), gaussSample(rng, n, []float64{0.5, 0}, 1)
}

func BenchmarkMMD2_2000(b *testing.B) {
	x, y := benchSamples(2000)
	for b.Loop() {
		_, _ = MMD2(x, y, 0.5)
	}
}

func BenchmarkKSDIMQ_2000(b *testing.B) {
	x, s := benchSamples(2000)
	for b.Loop() {
		_, _ = KSDIMQ(x, s)
	}
}

func BenchmarkGridLogZ(b *testing.B) {
	e := &gaussEnergy{mu: []float64{0, 0}, sigma: 0.5}
	for b.Loop() {
		_, _ = GridLogZ(e, GridLo, GridHi, GridN)
	}
}
