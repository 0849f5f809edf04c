package flow

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

func name(i int, l Transform[float64]) string { return fmt.Sprintf("%d-%s", i, l.Kind()) }

// TestTransformExactness checks, for every transform in 1, 2 and 3
// dimensions: inverse(forward(z)) = z within 1e-10; the forward
// log-determinant equals log|det| of the autodiff Jacobian within 1e-8; the
// inverse's log-determinant is its negative at the image point and also
// matches its own Jacobian.
func TestTransformExactness(t *testing.T) {
	for _, d := range []int{1, 2, 3} {
		for i, l := range testLayers(t, d, uint64(10+d)) {
			t.Run(fmt.Sprintf("d%d/%s", d, name(i, l)), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				z := randn(16, d, rng)
				tp := autodiff.NewTape[float64]()
				x, ldf := l.Forward(tp, tp.Const(z))
				zb, ldi := l.Inverse(tp, tp.Const(x.Value.Clone()))
				for k := range z.Data {
					if e := math.Abs(zb.Value.Data[k] - z.Data[k]); !(e <= 1e-10) {
						t.Fatalf("inverse(forward(z)) differs from z by %.3g at %d", e, k)
					}
				}
				jf := jacobianLogDet(z, func(tp *autodiff.Tape[float64], v *autodiff.Var[float64]) *autodiff.Var[float64] {
					y, _ := l.Forward(tp, v)
					return y
				})
				ji := jacobianLogDet(x.Value.Clone(), func(tp *autodiff.Tape[float64], v *autodiff.Var[float64]) *autodiff.Var[float64] {
					y, _ := l.Inverse(tp, v)
					return y
				})
				for r := 0; r < z.Rows; r++ {
					f, in := 0.0, 0.0
					if ldf != nil {
						f = ldf.Value.Data[r]
					}
					if ldi != nil {
						in = ldi.Value.Data[r]
					}
					if e := math.Abs(f - jf[r]); !(e <= 1e-8) {
						t.Errorf("row %d: forward log|det| %.12g, Jacobian %.12g", r, f, jf[r])
					}
					if e := math.Abs(in - ji[r]); !(e <= 1e-8) {
						t.Errorf("row %d: inverse log|det| %.12g, Jacobian %.12g", r, in, ji[r])
					}
					if e := math.Abs(in + f); !(e <= 1e-8) {
						t.Errorf("row %d: inverse log|det| %.12g is not −(forward %.12g)", r, in, f)
					}
				}
			})
		}
	}
}

// TestTransformGrad2 checks first and second derivatives, by central
// differences, of a scalar built from both directions of every transform,
// with respect to its parameters and its input points together.
func TestTransformGrad2(t *testing.T) {
	for _, d := range []int{2, 3} {
		for i, l := range testLayers(t, d, uint64(20+d)) {
			t.Run(fmt.Sprintf("d%d/%s", d, name(i, l)), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(i), 9))
				zp := autodiff.NewParam("z", randn(4, d, rng))
				r := randn(4, d, rng)
				ps := append([]*autodiff.Param[float64]{zp}, l.Params()...)
				loss := func(tp *autodiff.Tape[float64]) *autodiff.Var[float64] {
					z := tp.Param(zp)
					x, ldf := l.Forward(tp, z)
					zb, ldi := l.Inverse(tp, autodiff.Scale(x, 0.9))
					y := autodiff.Add(autodiff.Sum(autodiff.Mul(x, tp.Const(r))), autodiff.Sum(autodiff.Square(zb)))
					if ldf != nil {
						y = autodiff.Add(y, autodiff.Sum(autodiff.Square(ldf)))
					}
					if ldi != nil {
						y = autodiff.Add(y, autodiff.Sum(ldi))
					}
					return y
				}
				e1, e2 := checkSecondOrder(ps, loss, uint64(i))
				if !(e1 < 1e-6) || !(e2 < 1e-5) {
					t.Errorf("relative errors: gradient %.3g, Hessian-vector product %.3g", e1, e2)
				}
			})
		}
	}
}

// TestPlanarRoot checks the scalar root-find at extreme settings.
func TestPlanarRoot(t *testing.T) {
	for _, k := range []float64{-0.999999, -0.5, 0, 0.3, 5, 1e4} {
		for _, c := range []float64{-1e3, -3, -1e-9, 0, 0.7, 40, 1e6} {
			a := planarRoot(c, k)
			if g := a + k*math.Tanh(a) - c; math.Abs(g) > 1e-12*math.Max(1, math.Abs(c)) {
				t.Errorf("κ=%g c=%g: residual %.3g at a=%g", k, c, g, a)
			}
		}
	}
}

var _ = tensor.New[float64]
