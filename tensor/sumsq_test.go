package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSumSquaresAndHasNaNInf(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 1023, 1024, 5000, 9000} {
		x := New[float32](1, n)
		y := New[float64](1, n)
		want := 0.0
		for i := range n {
			v := rng.NormFloat64()
			x.Data[i], y.Data[i] = float32(v), v
			want += float64(float32(v)) * float64(float32(v))
		}
		if got := SumSquares(x.Data); math.Abs(got-want) > 1e-5*(1+want) {
			t.Errorf("n=%d float32: SumSquares %v, want %v", n, got, want)
		}
		if x.HasNaNInf() != -1 || y.HasNaNInf() != -1 {
			t.Errorf("n=%d: finite data flagged", n)
		}
		if n == 0 {
			continue
		}
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			k := n * 2 / 3
			x.Data[k], y.Data[k] = float32(bad), bad
			if x.HasNaNInf() != k || y.HasNaNInf() != k {
				t.Errorf("n=%d: %v at %d: got %d, %d", n, bad, k, x.HasNaNInf(), y.HasNaNInf())
			}
			x.Data[k], y.Data[k] = 0, 0
		}
	}
	// Finite values whose block sum overflows are not flagged.
	big := New[float32](1, 10)
	for i := range big.Data {
		big.Data[i] = 3e38
	}
	if big.HasNaNInf() != -1 {
		t.Error("large finite values flagged as non-finite")
	}
}
