package sample

import (
	"math"
	"slices"
	"testing"
)

// windowEnds lists the warm-up steps that close a metric window.
func windowEnds(warmup int) []int {
	w := newWindows(warmup, Windows{})
	var ends []int
	for i := 0; i < warmup; i++ {
		if w.endOfWindow() {
			ends = append(ends, i)
		}
		w.advance()
	}
	return ends
}

// TestStanWindows checks the schedule against Stan's windowed_adaptation:
// for 1000 warm-up steps the slow windows are 75–99, 100–149, 150–249,
// 250–449 and 450–949 (the last stretched to the terminal buffer); below 150
// steps the buffers become 15%/75%/10%; below 20 there is no metric
// adaptation.
func TestStanWindows(t *testing.T) {
	for _, tc := range []struct {
		warmup int
		ends   []int
	}{
		{1000, []int{99, 149, 249, 449, 949}},
		{2000, []int{99, 149, 249, 449, 849, 1949}},
		{150, []int{99}},
		{100, []int{89}},
		{20, []int{17}},
		{19, nil},
	} {
		if got := windowEnds(tc.warmup); !slices.Equal(got, tc.ends) {
			t.Errorf("warm-up %d: windows end at %v, want %v", tc.warmup, got, tc.ends)
		}
	}
}

// TestDualAveraging: with an acceptance statistic that is a deterministic
// decreasing function of ε, the dual-averaging average converges to the ε
// whose acceptance is the target, and the first update follows Stan's
// formulas.
func TestDualAveraging(t *testing.T) {
	var a dualAvg
	a.restart(1)
	eps := a.learn(0.3, 0.8)
	// H̄₁ = (0.8−0.3)/11, x = log 10 − √1/0.05·H̄₁, x̄₁ = x.
	x := math.Log(10) - 0.5/11/0.05
	if math.Abs(eps-math.Exp(x)) > 1e-12 || math.Abs(a.final()-math.Exp(x)) > 1e-12 {
		t.Errorf("first update ε = %g, x̄ = %g; want %g", eps, a.final(), math.Exp(x))
	}
	acc := func(e float64) float64 { return 1 / (1 + e*e) } // 0.8 at ε = 0.5
	a.restart(1)
	eps = 1
	for range 20000 {
		eps = a.learn(acc(eps), 0.8)
	}
	if got := a.final(); math.Abs(got-0.5) > 0.01 {
		t.Errorf("dual averaging converged to %g, want 0.5", got)
	}
}

// TestRegularizedVariance checks Stan's (n/(n+5))·var + 10⁻³·5/(n+5).
func TestRegularizedVariance(t *testing.T) {
	w := welford{mean: make([]float64, 1), m: make([]float64, 1)}
	for _, v := range []float64{1, 2, 3, 4, 5} {
		w.add([]float64{v})
	}
	dst := make([]float64, 1)
	w.regularized(dst)
	want := 5.0/10*2.5 + 1e-3*5/10
	if math.Abs(dst[0]-want) > 1e-12 {
		t.Errorf("regularized variance %g, want %g", dst[0], want)
	}
}
