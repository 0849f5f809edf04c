package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// TestForwardVJPXMatchesTape checks the fused pass against reverse mode on
// the tape: outputs equal, and ∇ₓ Σ δ⊙f(x) equals the tape's gradient of
// sum(δ ⊙ f(x)) in x, for several activations and depths (float64, 1e-12).
func TestForwardVJPXMatchesTape(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, act := range []Activation{SiLU, Tanh, Softplus, ELU} {
		for _, sizes := range [][]int{{5, 3}, {5, 7, 4}, {6, 8, 8, 3}} {
			net, err := NewMLP[float64](sizes, act, MLPOptions{}, rng)
			if err != nil {
				t.Fatal(err)
			}
			n, k := 4, sizes[len(sizes)-1]
			x := tensor.New[float64](n, sizes[0])
			delta := tensor.New[float64](n, k)
			for i := range x.Data {
				x.Data[i] = rng.NormFloat64()
			}
			for i := range delta.Data {
				delta.Data[i] = rng.NormFloat64()
			}
			out, d, gx := tensor.New[float64](n, k), tensor.New[float64](n, k), tensor.New[float64](n, sizes[0])
			net.ForwardVJPX(x, out, d, func(_, d *tensor.Dense[float64]) { d.CopyFrom(delta) }, gx)

			tp := autodiff.NewTape[float64]()
			xv := tp.Leaf(x)
			f := net.Forward(tp, xv)
			loss := autodiff.Sum(autodiff.Mul(f, tp.Const(delta)))
			g := autodiff.Grad(loss, []*autodiff.Var[float64]{xv}, false)[0]
			for i := range out.Data {
				if math.Abs(out.Data[i]-f.Value.Data[i]) > 1e-12 {
					t.Fatalf("%s %v: output %d: fused %v, tape %v", act.Name, sizes, i, out.Data[i], f.Value.Data[i])
				}
			}
			for i := range gx.Data {
				if math.Abs(gx.Data[i]-g.Value.Data[i]) > 1e-12*(1+math.Abs(g.Value.Data[i])) {
					t.Fatalf("%s %v: gradient %d: fused %v, tape %v", act.Name, sizes, i, gx.Data[i], g.Value.Data[i])
				}
			}
		}
	}
}

// TestForwardVJPXNoAlloc checks the warm pass allocates nothing.
func TestForwardVJPXNoAlloc(t *testing.T) {
	net, _ := NewMLP[float32]([]int{20, 16, 16, 5}, SiLU, MLPOptions{}, rand.New(rand.NewPCG(1, 1)))
	x := tensor.New[float32](8, 20)
	out, d, gx := tensor.New[float32](8, 5), tensor.New[float32](8, 5), tensor.New[float32](8, 20)
	fill := func(_, d *tensor.Dense[float32]) {
		for i := range d.Data {
			d.Data[i] = 1
		}
	}
	net.ForwardVJPX(x, out, d, fill, gx)
	if a := testing.AllocsPerRun(20, func() { net.ForwardVJPX(x, out, d, fill, gx) }); a > 0 {
		t.Errorf("ForwardVJPX allocates %v times per call", a)
	}
}
