package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// meanSE returns the sample mean of v and its standard error.
func meanSE(v []float64) (mean, se float64) {
	n := float64(len(v))
	for _, x := range v {
		mean += x
	}
	mean /= n
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / (n - 1) / n)
}

// checkMean fails unless the sample mean of v is within 4 standard errors of want.
func checkMean(t *testing.T, what string, v []float64, want float64) {
	t.Helper()
	m, se := meanSE(v)
	if math.Abs(m-want) > 4*se {
		t.Errorf("%s: sample mean %.5f, want %.5f (±4 SE = %.5f)", what, m, want, 4*se)
	} else {
		t.Logf("%s: sample mean %.5f, want %.5f (SE %.5f)", what, m, want, se)
	}
}

// checkFreq fails unless count/n is within 4 binomial standard errors of p.
func checkFreq(t *testing.T, what string, count, n int, p float64) {
	t.Helper()
	f := float64(count) / float64(n)
	se := math.Sqrt(p * (1 - p) / float64(n))
	if math.Abs(f-p) > 4*se {
		t.Errorf("%s: frequency %.4f, want %.4f (±4 SE = %.4f)", what, f, p, 4*se)
	}
}

func column(x *tensor.Dense[float64], j int) []float64 {
	c := make([]float64, x.Rows)
	for i := range c {
		c[i] = x.At(i, j)
	}
	return c
}

func sqRadii(x *tensor.Dense[float64]) []float64 {
	r := make([]float64, x.Rows)
	for i := range r {
		p := x.Row(i)
		r[i] = p[0]*p[0] + p[1]*p[1]
	}
	return r
}

func toy(t *testing.T, name string, n int, seed uint64) *tensor.Dense[float64] {
	t.Helper()
	x, err := Toy(name, n, newRNG(seed))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestToyShapeFiniteDeterministic(t *testing.T) {
	names := ToyNames()
	if len(names) != 9 {
		t.Fatalf("ToyNames() = %v, want 9 names", names)
	}
	for _, name := range names {
		a := toy(t, name, 1001, 7)
		if a.Rows != 1001 || a.Cols != 2 || len(a.Data) != 2002 {
			t.Errorf("%s: shape %s, len %d", name, a.Shape(), len(a.Data))
		}
		if i := a.HasNaNInf(); i >= 0 {
			t.Errorf("%s: non-finite value at %d", name, i)
		}
		b := toy(t, name, 1001, 7)
		if !slices.Equal(a.Data, b.Data) {
			t.Errorf("%s: same seed gave different numbers", name)
		}
		c := toy(t, name, 1001, 8)
		if slices.Equal(a.Data, c.Data) {
			t.Errorf("%s: different seeds gave the same numbers", name)
		}
		z := toy(t, name, 0, 7)
		if z.Rows != 0 || z.Cols != 2 {
			t.Errorf("%s: n=0 gave shape %s", name, z.Shape())
		}
		if _, err := Toy(name, -1, newRNG(1)); err == nil {
			t.Errorf("%s: n=-1 accepted", name)
		}
		if _, err := Toy(name, 10, nil); err == nil {
			t.Errorf("%s: nil rng accepted", name)
		}
	}
	_, err := Toy("9gaussians", 10, newRNG(1))
	if err == nil {
		t.Fatal("unknown name accepted")
	}
	for _, name := range names {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list %q", err, name)
		}
	}
}

const nStat = 40000 // points per statistical toy test

func TestEightGaussians(t *testing.T) {
	x := toy(t, "8gaussians", nStat, 1)
	r, s := 4/1.414, 0.5/1.414
	// |c + σz|² has mean R² + 2σ² exactly (the mean radius is biased above R).
	checkMean(t, "E|x|²", sqRadii(x), r*r+2*s*s)
	checkMean(t, "E x", column(x, 0), 0)
	checkMean(t, "E y", column(x, 1), 0)
	// Every component gets 1/8 of the points (nearest centre; the centres are
	// 6σ apart, so misassignment is negligible).
	var count [8]int
	for i := range x.Rows {
		p := x.Row(i)
		k := int(math.Round(math.Atan2(p[1], p[0])/(math.Pi/4))+8) % 8
		count[k]++
	}
	for k, c := range count {
		checkFreq(t, "component "+string(rune('0'+k)), c, nStat, 1.0/8)
	}
}

func TestEightGaussiansLogPDF(t *testing.T) {
	r, s := 4/1.414, 0.5/1.414
	// Direct evaluation of the mixture density.
	direct := func(x, y float64) float64 {
		var p float64
		for k := range 8 {
			cx, cy := r*math.Cos(float64(k)*math.Pi/4), r*math.Sin(float64(k)*math.Pi/4)
			d2 := (x-cx)*(x-cx) + (y-cy)*(y-cy)
			p += math.Exp(-d2/(2*s*s)) / (2 * math.Pi * s * s) / 8
		}
		return p
	}
	for _, pt := range [][2]float64{{0, 0}, {r, 0}, {1, -1}, {2, 2}, {-r / math.Sqrt2, r / math.Sqrt2}, {0.3, 4}} {
		got := EightGaussiansLogPDF(pt[:])
		want := math.Log(direct(pt[0], pt[1]))
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("logpdf(%v) = %.12g, want %.12g", pt, got, want)
		}
	}
	// Far away, where the direct sum underflows, log-sum-exp stays finite.
	if v := EightGaussiansLogPDF([]float64{100, 100}); math.IsInf(v, 0) || math.IsNaN(v) || v > -1e4 {
		t.Errorf("logpdf far away = %v", v)
	}
	// Quadrature: ∫p = 1 and −∫p log p = EightGaussiansEntropy. The integrand is
	// smooth and negligible at the edges, so the midpoint rule converges fast.
	const h = 0.02
	L := r + 12*s
	var z, hent float64
	for x := -L; x < L; x += h {
		for y := -L; y < L; y += h {
			lp := EightGaussiansLogPDF([]float64{x + h/2, y + h/2})
			p := math.Exp(lp)
			z += p * h * h
			hent -= p * lp * h * h
		}
	}
	if math.Abs(z-1) > 1e-8 {
		t.Errorf("∫p = %.10f", z)
	}
	if math.Abs(hent-EightGaussiansEntropy) > 1e-8 {
		t.Errorf("quadrature entropy %.10f, constant %.10f", hent, EightGaussiansEntropy)
	}
}

// TestEightGaussiansEntropyMC checks the entropy constant against the generator:
// E[−log p(X)] over X drawn by EightGaussians.
func TestEightGaussiansEntropyMC(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	x := toy(t, "8gaussians", n, 2)
	nlp := make([]float64, n)
	for i := range n {
		nlp[i] = -EightGaussiansLogPDF(x.Row(i))
	}
	checkMean(t, "E[−log p]", nlp, EightGaussiansEntropy)
}

func TestCheckerboard(t *testing.T) {
	x := toy(t, "checkerboard", nStat, 3)
	var count [4][4]int
	var frac []float64
	for i := range x.Rows {
		p := x.Row(i)
		if p[0] < -4 || p[0] >= 4 || p[1] < -4 || p[1] >= 4 {
			t.Fatalf("point %v outside [-4, 4)²", p)
		}
		a, b := int(math.Floor(p[0]/2)), int(math.Floor(p[1]/2))
		if (a+b)%2 != 0 {
			t.Fatalf("point %v in an empty square (%d, %d)", p, a, b)
		}
		count[a+2][b+2]++
		frac = append(frac, p[0]/2-float64(a), p[1]/2-float64(b))
	}
	for a := range 4 {
		for b := range 4 {
			if (a+b)%2 == 0 {
				checkFreq(t, "square", count[a][b], nStat, 1.0/8)
			}
		}
	}
	// Uniform within the squares: fractional positions have mean 1/2.
	checkMean(t, "position within square", frac, 0.5)
}

func TestTwoSpirals(t *testing.T) {
	x := toy(t, "2spirals", nStat, 4)
	pi2 := math.Pi * math.Pi
	eTsin := 2 * (9*pi2 - 4) / (9 * pi2) // E[t sin t], t = 3π√u
	eTcos := -4 / (3 * math.Pi)          // E[t cos t]
	eD2 := 4.5*pi2 + 0.5*(eTsin-eTcos) + 1.0/6
	checkMean(t, "E|x|²", sqRadii(x), eD2/9+0.02)
	checkMean(t, "E x", column(x, 0), 0) // the two spirals are point-symmetric
	checkMean(t, "E y", column(x, 1), 0)
}

func TestSwissRoll(t *testing.T) {
	x := toy(t, "swissroll", nStat, 5)
	// t uniform on [1.5π, 4.5π]: E t² = 9.75π²; |x|² = (t² + noise)/25.
	checkMean(t, "E|x|²", sqRadii(x), (9.75*math.Pi*math.Pi+2)/25)
	for i := range x.Rows {
		if r := math.Hypot(x.At(i, 0), x.At(i, 1)); r < 1.5*math.Pi/5-1.2 || r > 4.5*math.Pi/5+1.2 {
			t.Fatalf("radius %v outside [0.94, 2.83] ± 6σ", r)
		}
	}
}

func TestMoons(t *testing.T) {
	x := toy(t, "moons", nStat, 6)
	checkMean(t, "E x", column(x, 0), 0)
	checkMean(t, "E y", column(x, 1), 0.3)
	sq := func(v []float64) []float64 {
		for i := range v {
			v[i] *= v[i]
		}
		return v
	}
	checkMean(t, "E x²", sq(column(x, 0)), 3.04)
	checkMean(t, "E y²", sq(column(x, 1)), 2.38-4/math.Pi)
	for i := range x.Rows {
		p := x.Row(i)
		if p[0] < -3-1.4 || p[0] > 3+1.4 || p[1] < -1.2-1.4 || p[1] > 1.8+1.4 {
			t.Fatalf("point %v outside [-3, 3]×[-1.2, 1.8] ± 7σ", p)
		}
	}
}

func TestRings(t *testing.T) {
	x := toy(t, "rings", nStat, 7)
	var count [4]int
	for i := range x.Rows {
		r := math.Hypot(x.At(i, 0), x.At(i, 1))
		k := int(math.Round(r/0.75)) - 1 // radii 0.75, 1.5, 2.25, 3; noise 0.08
		if k < 0 || k > 3 {
			t.Fatalf("radius %v far from every ring", r)
		}
		count[k]++
	}
	for _, c := range count {
		checkFreq(t, "ring", c, nStat, 0.25)
	}
	checkMean(t, "E|x|²", sqRadii(x), 9*(1+0.5625+0.25+0.0625)/4+2*0.08*0.08)
}

func TestPinwheel(t *testing.T) {
	x := toy(t, "pinwheel", nStat, 8)
	checkMean(t, "E|x|²", sqRadii(x), 4.4)
	checkMean(t, "E x", column(x, 0), 0)
	checkMean(t, "E y", column(x, 1), 0)
}

func TestCircles(t *testing.T) {
	x := toy(t, "circles", nStat, 9)
	outer := 0
	for i := range x.Rows {
		if math.Hypot(x.At(i, 0), x.At(i, 1)) > 2.25 {
			outer++
		}
	}
	checkFreq(t, "outer circle", outer, nStat, 0.5)
	checkMean(t, "E|x|²", sqRadii(x), (9+2.25)/2+2*0.24*0.24)
}

func TestTwentyFiveGaussians(t *testing.T) {
	x := toy(t, "25gaussians", nStat, 10)
	s := 0.05 / 2.828
	var count [5][5]int
	for i := range x.Rows {
		p := x.Row(i)
		a, b := math.Round(p[0]*2.828/2), math.Round(p[1]*2.828/2)
		if math.Abs(a) > 2 || math.Abs(b) > 2 {
			t.Fatalf("point %v outside the grid", p)
		}
		if d := math.Hypot(p[0]-2*a/2.828, p[1]-2*b/2.828); d > 7*s {
			t.Fatalf("point %v is %.1fσ from its centre", p, d/s)
		}
		count[int(a)+2][int(b)+2]++
	}
	for a := range 5 {
		for b := range 5 {
			checkFreq(t, "component", count[a][b], nStat, 1.0/25)
		}
	}
	checkMean(t, "E|x|²", sqRadii(x), 16/(2.828*2.828)+2*s*s)
}

// TestToyFunctionsMatchToy checks that Toy dispatches to the named generator.
func TestToyFunctionsMatchToy(t *testing.T) {
	gens := map[string]func(int, *rand.Rand) *tensor.Dense[float64]{
		"8gaussians": EightGaussians, "checkerboard": Checkerboard, "2spirals": TwoSpirals,
		"swissroll": SwissRoll, "moons": Moons, "rings": Rings, "pinwheel": Pinwheel,
		"circles": Circles, "25gaussians": TwentyFiveGaussians,
	}
	for _, name := range ToyNames() {
		g, ok := gens[name]
		if !ok {
			t.Fatalf("no generator for %s", name)
		}
		if !slices.Equal(g(50, newRNG(3)).Data, toy(t, name, 50, 3).Data) {
			t.Errorf("%s: Toy differs from its generator", name)
		}
	}
}
