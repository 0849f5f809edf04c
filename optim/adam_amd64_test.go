//go:build !purego

package optim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// TestAdamKernelExact checks that the SIMD Adam update gives bit for bit the
// values of the portable loop, over several steps, for every length 0–70 (all
// tails) and one long parameter, with gradients spanning many magnitudes.
func TestAdamKernelExact(t *testing.T) {
	if !hasAVX {
		t.Skip("no AVX")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	lens := []int{}
	for n := 0; n <= 70; n++ {
		lens = append(lens, n)
	}
	lens = append(lens, 4099)
	mk := func() []*autodiff.Param[float32] {
		ps := make([]*autodiff.Param[float32], len(lens))
		for i, n := range lens {
			v := tensor.New[float32](1, n)
			g := tensor.New[float32](1, n)
			for j := range v.Data {
				v.Data[j] = float32(rng.NormFloat64())
			}
			ps[i] = autodiff.NewParam("p", v)
			ps[i].Grad = g
		}
		return ps
	}
	a, b := mk(), mk()
	for i := range a { // same start
		copy(b[i].Value.Data, a[i].Value.Data)
	}
	oa, _ := NewAdam[float32](DefaultAdam(1e-3))
	ob, _ := NewAdam[float32](DefaultAdam(1e-3))
	defer func(h bool) { hasAVX = h }(hasAVX)
	for step := 0; step < 5; step++ {
		for i := range a {
			for j := range a[i].Grad.Data {
				g := float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(13)-6)))
				if rng.IntN(10) == 0 {
					g = 0
				}
				a[i].Grad.Data[j], b[i].Grad.Data[j] = g, g
			}
		}
		hasAVX = true
		oa.Step(a)
		hasAVX = false
		ob.Step(b)
		for i := range a {
			for j := range a[i].Value.Data {
				if x, y := a[i].Value.Data[j], b[i].Value.Data[j]; math.Float32bits(x) != math.Float32bits(y) {
					t.Fatalf("step %d, length %d, element %d: kernel %v, loop %v", step, lens[i], j, x, y)
				}
			}
		}
	}
	// The moments too.
	for k := 0; k < 2; k++ {
		for i := range a {
			for j, x := range oa.slots.data[k][i] {
				if y := ob.slots.data[k][i][j]; math.Float32bits(x) != math.Float32bits(y) {
					t.Fatalf("moment %d, length %d, element %d: kernel %v, loop %v", k, lens[i], j, x, y)
				}
			}
		}
	}
}
