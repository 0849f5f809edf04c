package metric

import (
	"math"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

// ksdReference computes the KSD² U-statistic straight from the definition
// u(a,b) = s(a)·s(b) k + s(a)·∇_b k + s(b)·∇_a k + Σ_l ∂²k/∂a_l∂b_l, with every
// derivative of the kernel k(a,b) = (c² + |a−b|²)^β taken by central finite
// differences — independent of the closed form used by KSD.
func ksdReference(x, s *tensor.Dense[float64], c, beta float64) float64 {
	n, d := x.Rows, x.Cols
	kern := func(a, b []float64) float64 {
		r2 := 0.0
		for l := range a {
			r2 += (a[l] - b[l]) * (a[l] - b[l])
		}
		return math.Pow(c*c+r2, beta)
	}
	const h = 1e-4
	a := make([]float64, d)
	b := make([]float64, d)
	sum := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i == j {
				continue
			}
			copy(a, x.Row(i))
			copy(b, x.Row(j))
			u := kern(a, b) * dot(s.Row(i), s.Row(j))
			for l := 0; l < d; l++ {
				// ∂k/∂a_l and ∂k/∂b_l.
				a[l] += h
				kp := kern(a, b)
				a[l] -= 2 * h
				km := kern(a, b)
				a[l] += h
				u += s.Row(j)[l] * (kp - km) / (2 * h)
				b[l] += h
				kp = kern(a, b)
				b[l] -= 2 * h
				km = kern(a, b)
				b[l] += h
				u += s.Row(i)[l] * (kp - km) / (2 * h)
				// ∂²k/∂a_l∂b_l by the four-point stencil.
				var mixed float64
				for _, sa := range []float64{1, -1} {
					for _, sb := range []float64{1, -1} {
						a[l] += sa * h
						b[l] += sb * h
						mixed += sa * sb * kern(a, b)
						a[l] -= sa * h
						b[l] -= sb * h
					}
				}
				u += mixed / (4 * h * h)
			}
			sum += u
		}
	}
	return sum / float64(n*(n-1))
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func TestKSDAgainstReference(t *testing.T) {
	rng := newRNG(10)
	x := gaussSample(rng, 25, []float64{0, 0, 0}, 1)
	s := gaussSample(rng, 25, []float64{0.5, -0.2, 0}, 1) // arbitrary scores
	for _, p := range [][2]float64{{1, -0.5}, {1.5, -0.3}, {0.7, -0.9}, {2, -1.7}} {
		got, err := KSD(x, s, p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		want := ksdReference(x, s, p[0], p[1])
		// Finite-difference error O(h²) ≈ 1e-8 relative to kernel derivatives
		// of order 1.
		if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("c=%v β=%v: KSD %.10g, finite-difference reference %.10g", p[0], p[1], got, want)
		}
	}
	d, _ := KSDIMQ(x, s)
	e, _ := KSD(x, s, 1, -0.5)
	if d != e {
		t.Errorf("KSDIMQ %v ≠ KSD(c=1, β=−½) %v", d, e)
	}
}

// TestKSDNullAndShift: exact N(0, I₂) samples scored by the true score −x have
// population KSD² = 0; the noise level sd₀ is measured over R replicates (the
// degenerate U-statistic's spread is O(1/n)). The replicate mean must be within
// 4 standard errors of 0, and a fresh sample, not used for sd₀, within 5·sd₀
// of 0. Scoring the replicate samples with the score of N((1,0), I) must give
// KSD² above 10·sd₀ every time.
func TestKSDNullAndShift(t *testing.T) {
	const n, R = 400, 12
	rng := newRNG(11)
	null := make([]float64, R)
	alt := make([]float64, R)
	for r := range R {
		x := gaussSample(rng, n, []float64{0, 0}, 1)
		s0 := tensor.New[float64](n, 2)
		s1 := tensor.New[float64](n, 2)
		for i := range x.Data {
			s0.Data[i] = -x.Data[i]
			s1.Data[i] = -x.Data[i]
			if i%2 == 0 {
				s1.Data[i] += 1 // −(x − μ) with μ = (1, 0)
			}
		}
		var err error
		if null[r], err = KSDIMQ(x, s0); err != nil {
			t.Fatal(err)
		}
		if alt[r], err = KSDIMQ(x, s1); err != nil {
			t.Fatal(err)
		}
	}
	m0, sd0 := meanSD(null)
	m1, sd1 := meanSD(alt)
	t.Logf("null: mean %.2e sd %.2e; shifted score: mean %.4f sd %.4f", m0, sd0, m1, sd1)
	if math.Abs(m0) > 4*sd0/math.Sqrt(R) {
		t.Errorf("null replicate mean %.3g not within 4 SE (%.3g) of 0", m0, 4*sd0/math.Sqrt(R))
	}
	fresh := gaussSample(rng, n, []float64{0, 0}, 1)
	fs := tensor.New[float64](n, 2)
	for i, v := range fresh.Data {
		fs.Data[i] = -v
	}
	if probe, err := KSDIMQ(fresh, fs); err != nil || math.Abs(probe) > 5*sd0 {
		t.Errorf("fresh exact sample: KSD² %.3g (err %v), beyond 5·sd₀ = %.3g", probe, err, 5*sd0)
	}
	for r := range R {
		if alt[r] < 10*sd0 {
			t.Errorf("shifted replicate %d: KSD² %.4g not clearly above the null spread %.3g", r, alt[r], sd0)
		}
	}
}

func TestKSDEnergy(t *testing.T) {
	rng := newRNG(12)
	x := gaussSample(rng, 300, []float64{0.2, -0.1}, 0.8)
	e := &gaussEnergy{mu: []float64{0.2, -0.1}, sigma: 0.8}
	got, err := KSDEnergy(e, x)
	if err != nil {
		t.Fatal(err)
	}
	s := tensor.New[float64](x.Rows, 2)
	for i := 0; i < x.Rows; i++ {
		for k := 0; k < 2; k++ {
			s.Data[i*2+k] = -(x.Data[i*2+k] - e.mu[k]) / (e.sigma * e.sigma)
		}
	}
	want, _ := KSDIMQ(x, s)
	if got != want {
		t.Errorf("KSDEnergy %v, KSDIMQ with score −∇E %v", got, want)
	}
	if _, err := KSDEnergy(&gaussEnergy{mu: []float64{0, 0, 0}, sigma: 1}, x); err == nil {
		t.Error("dimension mismatch: no error")
	}
	if _, err := KSDEnergy(nil, x); err == nil {
		t.Error("nil energy: no error")
	}
	inf := &gaussEnergy{mu: []float64{0, 0}, sigma: 0}
	if _, err := KSDEnergy(inf, x); err == nil {
		t.Error("non-finite gradient: no error")
	}
}

func TestKSDErrors(t *testing.T) {
	x := tensor.FromSlice(3, 2, []float64{0, 1, 2, 3, 4, 5})
	for name, c := range map[string]struct {
		x, s    *tensor.Dense[float64]
		c, beta float64
	}{
		"nil":       {nil, x, 1, -0.5},
		"shape":     {x, tensor.New[float64](2, 2), 1, -0.5},
		"one point": {tensor.New[float64](1, 2), tensor.New[float64](1, 2), 1, -0.5},
		"NaN score": {x, tensor.FromSlice(3, 2, []float64{0, 1, 2, math.NaN(), 4, 5}), 1, -0.5},
		"c=0":       {x, x, 0, -0.5},
		"β=0":       {x, x, 1, 0},
		"β>0":       {x, x, 1, 0.5},
		"β=NaN":     {x, x, 1, math.NaN()},
	} {
		if v, err := KSD(c.x, c.s, c.c, c.beta); err == nil {
			t.Errorf("%s: no error (got %v)", name, v)
		}
	}
}
