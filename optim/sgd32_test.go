package optim

import (
	"math"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
)

// TestSGDFloat32MatchesFloat64 checks the vectorized float32 update against
// the scalar float64 reference for every kind of step: after 20 steps on a
// gradient that depends on w, the two may differ only by float32 rounding
// (a few ulps of float32 per step, far below 1e-5 here).
func TestSGDFloat32MatchesFloat64(t *testing.T) {
	for _, c := range []SGDConfig{
		{LR: 0.05},
		{LR: 0.05, WeightDecay: 0.3},
		{LR: 0.05, Momentum: 0.8},
		{LR: 0.05, Momentum: 0.8, WeightDecay: 0.3},
		{LR: 0.05, Momentum: 0.8, Nesterov: true},
		{LR: 0.05, Momentum: 0.8, Nesterov: true, WeightDecay: 0.3},
	} {
		const n = 37 // SIMD body and scalar tail
		v32, v64 := make([]float32, n), make([]float64, n)
		for i := range v32 {
			v32[i] = float32(i%7) - 3
			v64[i] = float64(v32[i])
		}
		p32, p64 := newParam("w", v32...), newParam("w", v64...)
		o32, _ := NewSGD[float32](c)
		o64, _ := NewSGD[float64](c)
		for range 20 {
			for i := range n {
				p32.Grad.Data[i] = 3*p32.Value.Data[i] - 1
				p64.Grad.Data[i] = 3*p64.Value.Data[i] - 1
			}
			o32.Step([]*autodiff.Param[float32]{p32})
			o64.Step([]*autodiff.Param[float64]{p64})
		}
		for i := range n {
			if d := math.Abs(float64(p32.Value.Data[i]) - p64.Value.Data[i]); d > 1e-5 {
				t.Errorf("%+v: w[%d] = %v (float32), %v (float64)", c, i, p32.Value.Data[i], p64.Value.Data[i])
				break
			}
		}
	}
}
