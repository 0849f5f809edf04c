package energy

import (
	"math"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

// simpson1D integrates f over [lo, hi] with composite Simpson's rule (n even).
func simpson1D(f func(float64) float64, lo, hi float64, n int) float64 {
	h := (hi - lo) / float64(n)
	s := f(lo) + f(hi)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * f(lo+float64(i)*h)
	}
	return s * h / 3
}

// logZ1D integrates exp(−E) of a one-dimensional energy with Simpson's rule, as
// an independent check of the constructors' trapezoid quadrature.
func logZ1D(e Energy, lo, hi float64, n int) float64 {
	x := tensor.New[float64](1, 1)
	out := make([]float64, 1)
	return math.Log(simpson1D(func(t float64) float64 {
		x.Data[0] = t
		e.Energy(x, out)
		return math.Exp(-out[0])
	}, lo, hi, n))
}

func TestDoubleWell(t *testing.T) {
	w := must(NewDoubleWell(3, 2))
	// Formula and gradient at a hand-checked point: x = (0.5, 1, −2).
	x := point(0.5, 1, -2)
	e, g := energyGrad(w, x)
	if want := 2*(0.25-1)*(0.25-1) + 0.5*(1+4); e[0] != want {
		t.Errorf("E = %v, want %v", e[0], want)
	}
	if want := []float64{4 * 2 * 0.5 * (0.25 - 1), 1, -2}; !floatsNear(g.Row(0), want, 1e-15) {
		t.Errorf("grad %v, want %v", g.Row(0), want)
	}
	// Minima at x₀ = ±1 with E = 0; barrier h at 0.
	if e := energies(w, tensor.FromSlice(3, 3, []float64{1, 0, 0, -1, 0, 0, 0, 0, 0})); e[0] != 0 || e[1] != 0 || e[2] != 2 {
		t.Errorf("E at wells and barrier: %v", e)
	}
	// LogZ against Simpson's rule in 1-D, for small, default and large barriers;
	// the other coordinates add (d−1)/2·log 2π.
	for _, h := range []float64{0.01, 0.5, 4, 50, 1e4} {
		w1 := must(NewDoubleWell(1, h))
		hi := math.Sqrt(1 + math.Sqrt(60/h))
		want := logZ1D(w1, -hi, hi, 400_000)
		if !near(w1.LogZ(), want, 1e-10) {
			t.Errorf("h=%v: LogZ = %.14g, Simpson %.14g", h, w1.LogZ(), want)
		}
		w4 := must(NewDoubleWell(4, h))
		if !near(w4.LogZ(), want+1.5*math.Log(2*math.Pi), 1e-12) {
			t.Errorf("h=%v: 4-D LogZ %v", h, w4.LogZ())
		}
	}
	rng := newRNG(20)
	for _, h := range []float64{0.05, 1, DefaultDoubleWellHeight, 30} {
		checkSampleMoments(t, "doublewell", must(NewDoubleWell(3, h)), 100_000, rng)
	}
	// Both wells get half the samples.
	s := must(NewDoubleWell(2, DefaultDoubleWellHeight)).Sample(40_000, rng)
	pos := 0
	for i := 0; i < s.Rows; i++ {
		if s.At(i, 0) > 0 {
			pos++
		}
	}
	if se := math.Sqrt(0.25 * 40_000); math.Abs(float64(pos)-20_000) > 4*se {
		t.Errorf("%d of 40000 samples in the right well", pos)
	}
	for _, c := range []struct {
		dim int
		h   float64
	}{{0, 1}, {2, 0}, {2, -1}, {2, math.NaN()}, {2, math.Inf(1)}} {
		if _, err := NewDoubleWell(c.dim, c.h); err == nil {
			t.Errorf("NewDoubleWell(%d, %v): no error", c.dim, c.h)
		}
	}
}

func TestBanana(t *testing.T) {
	k := must(NewBanana(3, 0.1))
	x := point(2, -1, 0.5)
	e, g := energyGrad(k, x)
	u := -1 + 0.1*4 - 10
	if want := 4.0/200 + 0.5*u*u + 0.125; !near(e[0], want, 1e-15) {
		t.Errorf("E = %v, want %v", e[0], want)
	}
	if want := []float64{2.0/100 + 2*0.1*2*u, u, 0.5}; !floatsNear(g.Row(0), want, 1e-15) {
		t.Errorf("grad %v, want %v", g.Row(0), want)
	}
	// LogZ: 2-D midpoint grid over the whole banana (x₀ within ±7σ, x₁ from
	// −b·(70² − 100) − 4 to 12); the step 0.1 is a tenth of the narrowest scale.
	b := must(NewBanana(2, DefaultBananaB))
	var mass float64
	const h = 0.1
	const n0, n1 = 1400, 1600
	row := tensor.New[float64](n1, 2)
	out := make([]float64, n1)
	for i := 0; i < n0; i++ {
		for j := 0; j < n1; j++ {
			row.Set(j, 0, -70+(float64(i)+0.5)*h)
			row.Set(j, 1, -148+(float64(j)+0.5)*h)
		}
		b.Energy(row, out)
		for _, v := range out {
			mass += math.Exp(-v)
		}
	}
	if got := math.Log(mass * h * h); !near(got, b.LogZ(), 1e-8) {
		t.Errorf("grid log Z = %.12g, LogZ() = %.12g", got, b.LogZ())
	}
	if want := math.Log(2*math.Pi) + math.Log(10); !near(b.LogZ(), want, 1e-15) {
		t.Errorf("LogZ = %v, want %v", b.LogZ(), want)
	}
	if c := b.Cov(); !near(c.At(1, 1), 19, 1e-13) || c.At(0, 0) != 100 {
		t.Errorf("cov diag %v %v, want 100, 19", c.At(0, 0), c.At(1, 1))
	}
	rng := newRNG(21)
	checkSampleMoments(t, "banana", must(NewBanana(3, DefaultBananaB)), 200_000, rng)
	checkSampleMoments(t, "banana b=0.1", must(NewBanana(2, 0.1)), 200_000, rng)
	for _, c := range []struct {
		dim int
		b   float64
	}{{1, 0.03}, {2, math.NaN()}, {2, math.Inf(-1)}} {
		if _, err := NewBanana(c.dim, c.b); err == nil {
			t.Errorf("NewBanana(%d, %v): no error", c.dim, c.b)
		}
	}
}

func TestRastrigin(t *testing.T) {
	r := must(NewRastrigin(2, 10, 2))
	x := point(0.25, -1.5)
	e, g := energyGrad(r, x)
	want := (20 + 0.0625 - 10*math.Cos(math.Pi/2) + 2.25 - 10*math.Cos(-3*math.Pi)) / 2
	if !near(e[0], want, 1e-14) {
		t.Errorf("E = %v, want %v", e[0], want)
	}
	wg := []float64{(0.5 + 20*math.Pi*math.Sin(math.Pi/2)) / 2, (-3 + 20*math.Pi*math.Sin(-3*math.Pi)) / 2}
	if !floatsNear(g.Row(0), wg, 1e-13) {
		t.Errorf("grad %v, want %v", g.Row(0), wg)
	}
	if e := energies(r, point(0, 0)); e[0] != 0 {
		t.Errorf("E(0) = %v, want 0", e[0])
	}
	for _, c := range []struct{ A, T float64 }{{10, 1}, {0, 1}, {5, 3}, {10, 0.1}, {1, 50}} {
		r1 := must(NewRastrigin(1, c.A, c.T))
		hi := math.Sqrt(60 * c.T)
		want := logZ1D(r1, -hi, hi, 1_000_000)
		if !near(r1.LogZ(), want, 1e-10) {
			t.Errorf("A=%v T=%v: LogZ = %.14g, Simpson %.14g", c.A, c.T, r1.LogZ(), want)
		}
		r3 := must(NewRastrigin(3, c.A, c.T))
		if !near(r3.LogZ(), 3*want, 1e-10) {
			t.Errorf("A=%v T=%v: 3-D LogZ %v, want %v", c.A, c.T, r3.LogZ(), 3*want)
		}
	}
	if r0 := must(NewRastrigin(2, 0, 1)); !near(r0.Cov().At(0, 0), 0.5, 1e-12) {
		t.Errorf("A = 0 is N(0, T/2): variance %v", r0.Cov().At(0, 0))
	}
	rng := newRNG(22)
	for _, c := range []struct{ A, T float64 }{{10, 1}, {10, 5}, {2, 0.5}} {
		checkSampleMoments(t, "rastrigin", must(NewRastrigin(2, c.A, c.T)), 50_000, rng)
	}
	for _, c := range []struct {
		dim  int
		A, T float64
	}{{0, 10, 1}, {2, -1, 1}, {2, 10, 0}, {2, 10, -1}, {2, math.NaN(), 1}, {2, 10, math.Inf(1)}} {
		if _, err := NewRastrigin(c.dim, c.A, c.T); err == nil {
			t.Errorf("NewRastrigin(%d, %v, %v): no error", c.dim, c.A, c.T)
		}
	}
}
