package metric

import (
	"math"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

// TestGridLogZGaussian: E = |x|²/(2σ²) has Z = 2πσ². The midpoint rule is
// spectrally accurate for a smooth, rapidly decaying integrand (cell 8/300 =
// 0.053σ) and [−4, 4]² = ±8σ truncates mass e^(−32), so 1e-4 is loose.
func TestGridLogZGaussian(t *testing.T) {
	const sigma = 0.5
	e := &gaussEnergy{mu: []float64{0, 0}, sigma: sigma}
	got, err := GridLogZ(e, GridLo, GridHi, GridN)
	if err != nil {
		t.Fatal(err)
	}
	if want := math.Log(2 * math.Pi * sigma * sigma); math.Abs(got-want) > 1e-4 {
		t.Errorf("log Z = %.8f, want log(2πσ²) = %.8f", got, want)
	}
	if e.maxBatch > 10000 {
		t.Errorf("energy called with %d points, want chunks ≤ 10000", e.maxBatch)
	}
	// Off-centre and wider: mass outside the square ≈ 1e-5 (4.3σ on one side),
	// so log Z is still within 1e-4.
	e2 := &gaussEnergy{mu: []float64{1, -0.5}, sigma: 0.7}
	got, _ = GridLogZ(e2, GridLo, GridHi, GridN)
	if want := math.Log(2 * math.Pi * 0.49); math.Abs(got-want) > 1e-4 {
		t.Errorf("off-centre log Z = %.8f, want %.8f", got, want)
	}
	// Stability: a huge energy offset must not underflow (exp(−1000) = 0 in
	// float64, but the log-sum-exp subtracts the maximum first).
	shifted := funcEnergy{2, func(a, b float64) float64 { return 1000 + (a*a+b*b)/(2*sigma*sigma) }}
	got, err = GridLogZ(shifted, GridLo, GridHi, GridN)
	if want := math.Log(2*math.Pi*sigma*sigma) - 1000; err != nil || math.Abs(got-want) > 1e-4 {
		t.Errorf("offset log Z = %v (err %v), want %v", got, err, want)
	}
	// E = +Inf off a disc is allowed: uniform density on the disc of radius 1,
	// Z = π up to the grid's resolution of the boundary (lattice-point count of a
	// disc, error typically O(Δ^1.5) ≈ 0.004 for Δ = 8/300).
	disc := funcEnergy{2, func(a, b float64) float64 {
		if a*a+b*b <= 1 {
			return 0
		}
		return math.Inf(1)
	}}
	got, err = GridLogZ(disc, GridLo, GridHi, GridN)
	t.Logf("disc: log Z − log π = %.2e", got-math.Log(math.Pi))
	if err != nil || math.Abs(got-math.Log(math.Pi)) > 0.01 {
		t.Errorf("disc log Z = %v (err %v), want log π = %v", got, err, math.Log(math.Pi))
	}
}

// TestGridNLLGaussian: for test points x_i ~ N(0, σ²I) the exact NLL of each
// point is |x_i|²/(2σ²) + log(2πσ²); GridNLL must match their mean to the
// accuracy of log Z (1e-4), and — statistically — the entropy log(2πσ²) + 1,
// since |x|²/(2σ²) = χ²₂/2 has mean 1 and sd 1: SE = 1/√N, tolerance 4 SE.
func TestGridNLLGaussian(t *testing.T) {
	const sigma, n = 0.5, 10000
	rng := newRNG(20)
	test := gaussSample(rng, n+1234, []float64{0, 0}, sigma) // > one chunk
	e := &gaussEnergy{mu: []float64{0, 0}, sigma: sigma}
	nll, logZ, err := GridNLL(e, test, GridLo, GridHi, GridN)
	if err != nil {
		t.Fatal(err)
	}
	exact := 0.0
	for i := 0; i < test.Rows; i++ {
		x, y := test.At(i, 0), test.At(i, 1)
		exact += (x*x+y*y)/(2*sigma*sigma) + math.Log(2*math.Pi*sigma*sigma)
	}
	exact /= float64(test.Rows)
	if math.Abs(nll-exact) > 1e-4 {
		t.Errorf("NLL %.6f, analytic %.6f", nll, exact)
	}
	if math.Abs(logZ-math.Log(2*math.Pi*sigma*sigma)) > 1e-4 {
		t.Errorf("log Z %.6f", logZ)
	}
	entropy := math.Log(2*math.Pi*sigma*sigma) + 1
	if se := 1 / math.Sqrt(float64(test.Rows)); math.Abs(nll-entropy) > 4*se {
		t.Errorf("NLL %.4f, entropy %.4f ± %.4f", nll, entropy, 4*se)
	}
	if e.maxBatch > 10000 {
		t.Errorf("energy called with %d points, want chunks ≤ 10000", e.maxBatch)
	}
}

func TestGridErrors(t *testing.T) {
	g2 := &gaussEnergy{mu: []float64{0, 0}, sigma: 1}
	g3 := &gaussEnergy{mu: []float64{0, 0, 0}, sigma: 1}
	nanE := funcEnergy{2, func(a, b float64) float64 {
		if a > 1 {
			return math.NaN()
		}
		return 0
	}}
	negInf := funcEnergy{2, func(a, b float64) float64 { return math.Inf(-1) }}
	posInf := funcEnergy{2, func(a, b float64) float64 { return math.Inf(1) }}
	for name, c := range map[string]struct {
		e      energyLike
		lo, hi float64
		n      int
	}{
		"nil":     {nil, -4, 4, 10},
		"dim 3":   {g3, -4, 4, 10},
		"n=0":     {g2, -4, 4, 0},
		"lo=hi":   {g2, 4, 4, 10},
		"lo>hi":   {g2, 4, -4, 10},
		"inf":     {g2, math.Inf(-1), 4, 10},
		"NaN":     {g2, math.NaN(), 4, 10},
		"NaN E":   {nanE, -4, 4, 10},
		"-Inf E":  {negInf, -4, 4, 10},
		"no mass": {posInf, -4, 4, 10},
	} {
		var err error
		if c.e == nil {
			_, err = GridLogZ(nil, c.lo, c.hi, c.n)
		} else {
			_, err = GridLogZ(c.e, c.lo, c.hi, c.n)
		}
		if err == nil {
			t.Errorf("GridLogZ %s: no error", name)
		}
	}
	pts := tensor.FromSlice(2, 2, []float64{0, 0, 1, 1})
	outside := funcEnergy{2, func(a, b float64) float64 {
		if a > 0.5 {
			return math.Inf(1)
		}
		return 0
	}}
	for name, c := range map[string]struct {
		e    energyLike
		test *tensor.Dense[float64]
	}{
		"nil test":   {g2, nil},
		"empty":      {g2, tensor.New[float64](0, 2)},
		"3 columns":  {g2, tensor.New[float64](2, 3)},
		"NaN point":  {g2, tensor.FromSlice(1, 2, []float64{0, math.NaN()})},
		"zero dens.": {outside, pts},
		"bad energy": {g3, pts},
	} {
		if _, _, err := GridNLL(c.e, c.test, -4, 4, 20); err == nil {
			t.Errorf("GridNLL %s: no error", name)
		}
	}
}

// energyLike lets the error table hold both test energy types.
type energyLike interface {
	Dim() int
	Energy(x *tensor.Dense[float64], e []float64)
}
