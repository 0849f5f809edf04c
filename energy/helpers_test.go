package energy

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// randBatch returns n points with coordinates N(0, scale²).
func randBatch(rng *rand.Rand, n, d int, scale float64) *tensor.Dense[float64] {
	x := tensor.New[float64](n, d)
	for i := range x.Data {
		x.Data[i] = scale * rng.NormFloat64()
	}
	return x
}

// randSPD returns a random symmetric positive-definite d×d matrix AAᵀ/d + εI.
func randSPD(rng *rand.Rand, d int, eps float64) *mat.SymDense {
	a := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	s := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			v := 0.0
			for k := 0; k < d; k++ {
				v += a.At(i, k) * a.At(j, k)
			}
			v /= float64(d)
			if i == j {
				v += eps
			}
			s.SetSym(i, j, v)
		}
	}
	return s
}

func randVec(rng *rand.Rand, d int, scale float64) []float64 {
	v := make([]float64, d)
	for i := range v {
		v[i] = scale * rng.NormFloat64()
	}
	return v
}

func energies(e Energy, x *tensor.Dense[float64]) []float64 {
	out := make([]float64, x.Rows)
	e.Energy(x, out)
	return out
}

func energyGrad(e GradEnergy, x *tensor.Dense[float64]) ([]float64, *tensor.Dense[float64]) {
	out := make([]float64, x.Rows)
	g := tensor.New[float64](x.Rows, x.Cols)
	e.EnergyGrad(x, out, g)
	return out, g
}

func point(v ...float64) *tensor.Dense[float64] { return tensor.FromSlice(1, len(v), v) }

func near(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// must returns v, panicking on err (test setup that cannot fail).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// checkSampleMoments draws n exact samples and compares the sample mean with
// Mean() and the sample covariance (about the true mean) with Cov(), each entry
// within 4 standard errors estimated from the sample itself.
func checkSampleMoments(t *testing.T, name string, e interface {
	Moments
	ExactSampler
	Dim() int
}, n int, rng *rand.Rand) {
	t.Helper()
	x := e.Sample(n, rng)
	if x.Rows != n || x.Cols != e.Dim() {
		t.Fatalf("%s: Sample gave %s, want %d×%d", name, x.Shape(), n, e.Dim())
	}
	if k := x.HasNaNInf(); k >= 0 {
		t.Fatalf("%s: sample element %d is %v", name, k, x.Data[k])
	}
	mu, cov := e.Mean(), e.Cov()
	d := e.Dim()
	for j := 0; j < d; j++ {
		var s, s2 float64
		for i := 0; i < n; i++ {
			v := x.At(i, j) - mu[j]
			s += v
			s2 += v * v
		}
		m := s / float64(n)
		se := math.Sqrt((s2/float64(n) - m*m) / float64(n))
		if math.Abs(m) > 4*se {
			t.Errorf("%s: mean[%d]: sample %.5g, true %.5g (4 SE = %.3g)", name, j, m+mu[j], mu[j], 4*se)
		}
	}
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			var s, s2 float64
			for i := 0; i < n; i++ {
				v := (x.At(i, a) - mu[a]) * (x.At(i, b) - mu[b])
				s += v
				s2 += v * v
			}
			m := s / float64(n)
			se := math.Sqrt((s2/float64(n) - m*m) / float64(n))
			if c := cov.At(a, b); math.Abs(m-c) > 4*se {
				t.Errorf("%s: cov[%d][%d]: sample %.5g, true %.5g (4 SE = %.3g)", name, a, b, m, c, 4*se)
			}
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
