package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randBinary returns an n×k 0/1 matrix with ones at rate p, and its BinaryRows.
func randBinary(rng *rand.Rand, n, k int, p float64) (*Dense[float32], *BinaryRows) {
	x := New[float32](n, k)
	for i := range x.Data {
		if rng.Float64() < p {
			x.Data[i] = 1
		}
	}
	var o BinaryRows
	if !o.FromDense(x) {
		panic("not binary")
	}
	return x, &o
}

func randDense32(rng *rand.Rand, r, c int) *Dense[float32] {
	m := New[float32](r, c)
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64())
	}
	return m
}

// TestSparseKernel checks Mul and TMul against the dense GEMM oracle, on
// shapes that are and are not split over the cores. Sums of up to K products
// of N(0,1) values in float32 agree to a relative 1e-5 of their scale.
func TestSparseKernel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s SparseKernel
	for _, sh := range []struct{ n, k, m int }{{3, 5, 7}, {40, 784, 64}, {40, 784, 256}, {1, 9, 1}} {
		x, xo := randBinary(rng, sh.n, sh.k, 0.2)
		w := randDense32(rng, sh.k, sh.m)
		bias := randDense32(rng, 1, sh.m).Data
		want := New[float32](sh.n, sh.m)
		Gemm(false, false, 1, x, w, 0, want)
		AddRowVector(want, bias)
		got := Full[float32](sh.n, sh.m, float32(math.NaN()))
		s.Mul(got, bias, xo, w)
		checkClose32(t, "Mul", got, want)

		y := randDense32(rng, sh.n, sh.m)
		wantT := New[float32](sh.k, sh.m)
		Gemm(true, false, 1, x, y, 0, wantT)
		gotT := Full[float32](sh.k, sh.m, float32(math.NaN())) // overwritten, NaN must not survive
		s.TMul(gotT, xo, y, false)
		checkClose32(t, "TMul", gotT, wantT)
		s.TMul(gotT, xo, y, true) // now 2·Xᵀy
		Scale(wantT, wantT, 2)
		checkClose32(t, "TMul add", gotT, wantT)
	}
}

func checkClose32(t *testing.T, what string, got, want *Dense[float32]) {
	t.Helper()
	for i, v := range want.Data {
		if d := math.Abs(float64(got.Data[i] - v)); !(d <= 1e-4*(1+math.Abs(float64(v)))) {
			t.Fatalf("%s %s: element %d = %v, want %v", what, want.Shape(), i, got.Data[i], v)
		}
	}
}

// TestSparseKernelAllocs checks that steady-state calls do not allocate.
func TestSparseKernelAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	_, xo := randBinary(rng, 40, 784, 0.15)
	w := randDense32(rng, 784, 256)
	y := randDense32(rng, 40, 256)
	dst, acc := New[float32](40, 256), New[float32](784, 256)
	var s SparseKernel
	f := func() { s.Mul(dst, nil, xo, w); s.TMul(acc, xo, y, false) }
	f()
	if n := testing.AllocsPerRun(20, f); n != 0 {
		t.Errorf("%v allocations per call", n)
	}
}
