package metric

import (
	"math"
	"runtime"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

// mmd2Naive is the textbook definition with explicit i ≠ j loops, serial.
func mmd2Naive(x, y *tensor.Dense[float64], h float64) float64 {
	k := func(a, b []float64) float64 {
		s := 0.0
		for i := range a {
			s += (a[i] - b[i]) * (a[i] - b[i])
		}
		return math.Exp(-s / (2 * h * h))
	}
	m, n := float64(x.Rows), float64(y.Rows)
	var xx, yy, xy float64
	for i := 0; i < x.Rows; i++ {
		for j := 0; j < x.Rows; j++ {
			if i != j {
				xx += k(x.Row(i), x.Row(j))
			}
		}
	}
	for i := 0; i < y.Rows; i++ {
		for j := 0; j < y.Rows; j++ {
			if i != j {
				yy += k(y.Row(i), y.Row(j))
			}
		}
	}
	for i := 0; i < x.Rows; i++ {
		for j := 0; j < y.Rows; j++ {
			xy += k(x.Row(i), y.Row(j))
		}
	}
	return xx/(m*(m-1)) + yy/(n*(n-1)) - 2*xy/(m*n)
}

// populationMMD2 is MMD² between N(0, I_d) and N(δ, I_d) for the RBF kernel of
// bandwidth h: with A = (h²/(h²+2))^(d/2), E k(X,X') = A and
// E k(X,Y) = A·exp(−|δ|²/(2(h²+2))), so MMD² = 2A(1 − exp(−|δ|²/(2(h²+2)))).
func populationMMD2(d int, delta2, h float64) float64 {
	a := math.Pow(h*h/(h*h+2), float64(d)/2)
	return 2 * a * (1 - math.Exp(-delta2/(2*(h*h+2))))
}

func TestMMD2AgainstNaive(t *testing.T) {
	rng := newRNG(1)
	// Large enough that every pair sum takes the parallel path.
	x := gaussSample(rng, 500, []float64{0, 0, 0}, 1)
	y := gaussSample(rng, 420, []float64{0.3, 0, 0}, 1.2)
	for _, h := range []float64{0.5, 1, 3} {
		got, err := MMD2(x, y, h)
		if err != nil {
			t.Fatal(err)
		}
		want := mmd2Naive(x, y, h)
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("h=%v: MMD2 %.17g, naive %.17g", h, got, want)
		}
	}
	// Same bits on one core.
	a, _ := MMD2(x, y, 1)
	prev := runtime.GOMAXPROCS(1)
	b, _ := MMD2(x, y, 1)
	runtime.GOMAXPROCS(prev)
	if a != b {
		t.Errorf("GOMAXPROCS changes the result: %v vs %v", a, b)
	}
	// bandwidth ≤ 0 means the median heuristic.
	hm, err := MedianBandwidth(x, y)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := MMD2(x, y, 0)
	d, _ := MMD2(x, y, hm)
	if c != d {
		t.Errorf("MMD2(bandwidth=0) = %v, MMD2(median %v) = %v", c, hm, d)
	}
}

// TestMMD2NullAndShift: the noise level is measured, not assumed. R
// independent replicate pairs from one Gaussian give the null spread sd₀ (of
// order 1/n for the degenerate U-statistic; n·sd₀ ≈ 0.8 here). The unbiased
// estimator's replicate mean must be within 4 standard errors (4·sd₀/√R) of 0,
// and a fresh independent pair, not used for sd₀, within 5·sd₀ of 0. A shift
// δ = (1, 0) must exceed 10·sd₀, and its replicate mean must match the
// closed-form population MMD² within 4 of its own standard errors.
func TestMMD2NullAndShift(t *testing.T) {
	const n, R, h = 300, 16, 1.0
	rng := newRNG(2)
	zero := []float64{0, 0}
	null := make([]float64, R)
	alt := make([]float64, R)
	for r := range R {
		x := gaussSample(rng, n, zero, 1)
		y := gaussSample(rng, n, zero, 1)
		z := gaussSample(rng, n, []float64{1, 0}, 1)
		var err error
		if null[r], err = MMD2(x, y, h); err != nil {
			t.Fatal(err)
		}
		if alt[r], err = MMD2(x, z, h); err != nil {
			t.Fatal(err)
		}
	}
	m0, sd0 := meanSD(null)
	m1, sd1 := meanSD(alt)
	pop := populationMMD2(2, 1, h)
	t.Logf("null: mean %.2e sd %.2e (n·sd = %.2f); shift: mean %.4f sd %.4f, population %.4f", m0, sd0, n*sd0, m1, sd1, pop)
	if math.Abs(m0) > 4*sd0/math.Sqrt(R) {
		t.Errorf("null replicate mean %.3g not within 4 SE (%.3g) of 0", m0, 4*sd0/math.Sqrt(R))
	}
	probe, err := MMD2(gaussSample(rng, n, zero, 1), gaussSample(rng, n, zero, 1), h)
	if err != nil || math.Abs(probe) > 5*sd0 {
		t.Errorf("fresh null pair: MMD² %.3g (err %v), beyond 5·sd₀ = %.3g", probe, err, 5*sd0)
	}
	if alt[0] < 10*sd0 {
		t.Errorf("shifted MMD² %.4g not clearly above the null spread %.3g", alt[0], sd0)
	}
	if math.Abs(m1-pop) > 4*sd1/math.Sqrt(R) {
		t.Errorf("shifted replicate mean %.4f, population %.4f ± %.4f", m1, pop, 4*sd1/math.Sqrt(R))
	}
}

// TestMedianBandwidth: for two N(0, I₂) samples |X − X'| is √2 times a
// Rayleigh(1) variable, median 2√(ln 2) ≈ 1.665. The pooled 3000 points are
// thinned to 1000; over 100 simulated samples of 1000 points the sample median
// distance had sd 0.027, so the tolerance 0.11 is 4 sd.
func TestMedianBandwidth(t *testing.T) {
	rng := newRNG(3)
	x := gaussSample(rng, 1500, []float64{0, 0}, 1)
	y := gaussSample(rng, 1500, []float64{0, 0}, 1)
	h, err := MedianBandwidth(x, y)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * math.Sqrt(math.Ln2); math.Abs(h-want) > 0.11 {
		t.Errorf("median bandwidth %.4f, want %.4f ± 0.11", h, want)
	}
	// Hand case: points 0, 1, 3 on a line → distances 1, 2, 3 → median 2;
	// with a fourth point 6: 1,2,3,3,5,6 → (3+3)/2 = 3.
	a := tensor.FromSlice(2, 1, []float64{0, 1})
	if h, _ := MedianBandwidth(a, tensor.FromSlice(2, 1, []float64{3, 6})); h != 3 {
		t.Errorf("median of 1,2,3,3,5,6 = %v, want 3", h)
	}
}

func TestMMD2Errors(t *testing.T) {
	good := tensor.FromSlice(3, 2, []float64{0, 1, 2, 3, 4, 5})
	for name, c := range map[string]struct {
		x, y *tensor.Dense[float64]
		h    float64
	}{
		"nil":        {nil, good, 1},
		"dims":       {good, tensor.FromSlice(2, 3, []float64{0, 1, 2, 3, 4, 5}), 1},
		"one row":    {good, tensor.FromSlice(1, 2, []float64{0, 1}), 1},
		"NaN":        {good, tensor.FromSlice(2, 2, []float64{0, math.NaN(), 1, 2}), 1},
		"Inf":        {tensor.FromSlice(2, 2, []float64{0, math.Inf(1), 1, 2}), good, 1},
		"bad h":      {good, good, math.NaN()},
		"inf h":      {good, good, math.Inf(1)},
		"degenerate": {tensor.New[float64](3, 2), tensor.New[float64](3, 2), 0},
		"bad data":   {&tensor.Dense[float64]{Rows: 3, Cols: 2, Data: []float64{1}}, good, 1},
	} {
		if v, err := MMD2(c.x, c.y, c.h); err == nil {
			t.Errorf("%s: no error (got %v)", name, v)
		}
	}
}
