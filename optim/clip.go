package optim

import (
	"fmt"
	"math"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// GradNorm returns the global L2 norm of all gradients, √(Σ g²) over every
// element of every non-nil p.Grad, accumulated in float64.
func GradNorm[T tensor.Float](params []*autodiff.Param[T]) float64 {
	var s float64
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		s += tensor.SumSquares(p.Grad.Data)
	}
	if !math.IsInf(s, 1) {
		return math.Sqrt(s)
	}
	// The sum of squares overflowed (float64 gradients above ~1e154): rescale
	// by the largest magnitude, unless an element is itself infinite or NaN.
	var mx float64
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		for _, g := range p.Grad.Data {
			a := math.Abs(float64(g))
			if math.IsNaN(a) {
				return math.NaN()
			}
			mx = max(mx, a)
		}
	}
	if math.IsInf(mx, 1) {
		return mx
	}
	s = 0
	for _, p := range params {
		if p.Grad == nil {
			continue
		}
		for _, g := range p.Grad.Data {
			r := float64(g) / mx
			s += r * r
		}
	}
	return mx * math.Sqrt(s)
}

// ClipGradNorm rescales all gradients together so that their global L2 norm
// is at most maxNorm, with torch.nn.utils.clip_grad_norm_'s rule:
//
//	n = GradNorm(params)
//	c = maxNorm / (n + 1e-6)
//	g ← c·g   for every gradient, if c < 1
//
// It returns n, the norm before clipping. If n is NaN or infinite the
// gradients are left unchanged (PyTorch would fill them with NaN or zeros),
// and the caller can test the returned norm and skip the step. It panics if
// maxNorm is negative or NaN.
func ClipGradNorm[T tensor.Float](params []*autodiff.Param[T], maxNorm float64) float64 {
	if !(maxNorm >= 0) {
		panic(fmt.Sprintf("optim: ClipGradNorm with maxNorm %v", maxNorm))
	}
	n := GradNorm(params)
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return n
	}
	c := maxNorm / (n + 1e-6)
	if c < 1 {
		s := T(c)
		for _, p := range params {
			if p.Grad != nil {
				for j := range p.Grad.Data {
					p.Grad.Data[j] *= s
				}
			}
		}
	}
	return n
}
