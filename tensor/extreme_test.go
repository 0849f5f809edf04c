package tensor

import (
	"math"
	"testing"
)

// TestFloat32ExtremeInputs guards the SIMD exp path: inputs far outside exp's
// float32 range must give finite, correctly signed results, never NaN.
func TestFloat32ExtremeInputs(t *testing.T) {
	xs := []float32{-1e4, -1000, -100, -89, -88, -20, 0, 20, 88, 89, 100, 1000, 1e4}
	x := FromSlice(1, len(xs), xs)
	x64 := Convert[float64](nil, x)
	for _, f := range []Func{FnExp, FnSigmoid, FnSiLU} {
		got := Map(f, 0, nil, x)
		want := Map(f, 0, nil, x64)
		for i, v := range got.Data {
			w := want.Data[i]
			if math.IsNaN(float64(v)) {
				t.Fatalf("f=%d x=%v: NaN", f, xs[i])
			}
			if math.Abs(w) > math.MaxFloat32 {
				if float64(v) < 1e38 {
					t.Fatalf("f=%d x=%v: %v, want saturation", f, xs[i], v)
				}
				continue
			}
			if math.Abs(float64(v)-w) > 1e-6*math.Abs(w)+1e-30 {
				t.Fatalf("f=%d x=%v: float32 %v, float64 %v", f, xs[i], v, w)
			}
		}
	}
	g := ActDeriv(FnSiLU, 1, 0, nil, x)
	gw := ActDeriv(FnSiLU, 1, 0, nil, x64)
	for i, v := range g.Data {
		if math.IsNaN(float64(v)) || math.Abs(float64(v)-gw.Data[i]) > 1e-6 {
			t.Fatalf("silu' at %v: %v want %v", xs[i], v, gw.Data[i])
		}
	}
	h, s := make([]float32, len(xs)), make([]float32, len(xs))
	SiLUForward(h, s, xs)
	for i, v := range h {
		if math.IsNaN(float64(v)) {
			t.Fatalf("SiLUForward NaN at %v", xs[i])
		}
	}
}
