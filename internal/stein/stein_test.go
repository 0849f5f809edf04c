package stein

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

func randMat(n, d int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, d)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	return x
}

// kfd evaluates k(a, b) for the kernel.
func kval(k Kernel, a, b []float64) float64 {
	q := 0.0
	for i := range a {
		q += (a[i] - b[i]) * (a[i] - b[i])
	}
	phi, _, _ := k.Phi(q)
	return phi
}

// uFD is the Stein kernel from its definition with central finite differences
// of k: s(a)·s(b)k + s(a)·∇_b k + s(b)·∇_a k + Σ_k ∂²k/∂a_k∂b_k.
func uFD(k Kernel, a, b, sa, sb []float64) float64 {
	const h = 1e-4
	d := len(a)
	ap, bp := append([]float64(nil), a...), append([]float64(nil), b...)
	u := kval(k, a, b)
	ss := 0.0
	for i := range sa {
		ss += sa[i] * sb[i]
	}
	u *= ss
	for i := 0; i < d; i++ {
		bp[i] = b[i] + h
		fp := kval(k, a, bp)
		bp[i] = b[i] - h
		fm := kval(k, a, bp)
		bp[i] = b[i]
		u += sa[i] * (fp - fm) / (2 * h)
		ap[i] = a[i] + h
		fp = kval(k, ap, b)
		ap[i] = a[i] - h
		fm = kval(k, ap, b)
		ap[i] = a[i]
		u += sb[i] * (fp - fm) / (2 * h)
		// mixed second derivative ∂²k/∂a_i∂b_i
		var m float64
		for _, sgn := range [][2]float64{{1, 1}, {1, -1}, {-1, 1}, {-1, -1}} {
			ap[i], bp[i] = a[i]+sgn[0]*h, b[i]+sgn[1]*h
			m += sgn[0] * sgn[1] * kval(k, ap, bp)
		}
		ap[i], bp[i] = a[i], b[i]
		u += m / (4 * h * h)
	}
	return u
}

func TestSteinKernelAgainstDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, s := randMat(6, 3, rng), randMat(6, 3, rng)
	for _, k := range []Kernel{{Kind: IMQ, C: 1, Beta: -0.5}, {Kind: IMQ, C: 0.7, Beta: -0.3}, {Kind: RBF, H: 0.9}} {
		h := Matrix(x, s, k, nil)
		for i := 0; i < 6; i++ {
			for j := 0; j < 6; j++ {
				want := uFD(k, x.Row(i), x.Row(j), s.Row(i), s.Row(j))
				if got := h.Data[i*6+j]; math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
					t.Fatalf("%+v: u(%d,%d) = %.9g, finite differences %.9g", k, i, j, got, want)
				}
			}
		}
	}
}

// The parts give the same statistic as summing the Stein kernel matrix.
func TestPartsMatchMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n, d := 9, 2
	x, s := randMat(n, d, rng), randMat(n, d, rng)
	for _, k := range []Kernel{{Kind: IMQ, C: 1, Beta: -0.5}, {Kind: RBF, H: MedianBandwidth(x)}} {
		h := Matrix(x, s, k, nil)
		for _, u := range []bool{true, false} {
			want := 0.0
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					if !u || i != j {
						want += h.Data[i*n+j]
					}
				}
			}
			p := NewParts(x, k, u)
			got := p.Trace
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					ss := 0.0
					for c := 0; c < d; c++ {
						ss += s.Data[i*d+c] * s.Data[j*d+c]
					}
					got += p.K.Data[i*n+j] * ss
				}
				for c := 0; c < d; c++ {
					got += s.Data[i*d+c] * p.C.Data[i*d+c]
				}
			}
			if math.Abs(got-want) > 1e-10*math.Max(1, math.Abs(want)) {
				t.Errorf("%s u=%v: parts %.12g, matrix %.12g", k.Kind, u, got, want)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	for _, k := range []Kernel{{Kind: "x"}, {Kind: IMQ, C: 0, Beta: -0.5}, {Kind: IMQ, C: 1, Beta: 0}, {Kind: RBF, H: math.Inf(1)}} {
		if k.Validate() == nil {
			t.Errorf("%+v accepted", k)
		}
	}
}
