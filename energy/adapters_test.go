package energy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

// softplusEnergy is E(x) = Σⱼ softplus((xW + b)ⱼ) + ½‖x‖², defined only by
// its tape recording.
type softplusEnergy[T tensor.Float] struct {
	w, b *autodiff.Param[T]
}

func newSoftplusEnergy[T tensor.Float](d, h int, rng *rand.Rand) *softplusEnergy[T] {
	w, b := tensor.New[T](d, h), tensor.New[T](1, h)
	for i := range w.Data {
		w.Data[i] = T(rng.NormFloat64())
	}
	for i := range b.Data {
		b.Data[i] = T(rng.NormFloat64())
	}
	return &softplusEnergy[T]{autodiff.NewParam("w", w), autodiff.NewParam("b", b)}
}

func (s *softplusEnergy[T]) Dim() int                     { return s.w.Value.Rows }
func (s *softplusEnergy[T]) Params() []*autodiff.Param[T] { return []*autodiff.Param[T]{s.w, s.b} }
func (s *softplusEnergy[T]) Build(t *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	z := autodiff.Add(autodiff.MatMul(x, false, t.Param(s.w), false), t.Param(s.b))
	return autodiff.Add(autodiff.SumCols(autodiff.Softplus(z)), autodiff.Scale(autodiff.SumCols(autodiff.Square(x)), 0.5))
}

// oracle computes the same energy and gradient by hand.
func (s *softplusEnergy[T]) oracle(x []float64) (float64, []float64) {
	d, h := s.w.Value.Rows, s.w.Value.Cols
	e := 0.0
	g := make([]float64, d)
	for k := 0; k < h; k++ {
		z := float64(s.b.Value.Data[k])
		for j := 0; j < d; j++ {
			z += x[j] * float64(s.w.Value.Data[j*h+k])
		}
		e += math.Log1p(math.Exp(z))
		sig := 1 / (1 + math.Exp(-z))
		for j := 0; j < d; j++ {
			g[j] += sig * float64(s.w.Value.Data[j*h+k])
		}
	}
	for j := 0; j < d; j++ {
		e += 0.5 * x[j] * x[j]
		g[j] += x[j]
	}
	return e, g
}

func TestFromModelGradient(t *testing.T) {
	rng := newRNG(21)
	b := newSoftplusEnergy[float64](4, 6, rng)
	m := FromModel[float64](b)
	x := randBatch(rng, 5, 4, 1.5)
	if rel, err := CheckGrad(m, x, 0); err != nil || rel > 1e-6 {
		t.Errorf("finite-difference check: relative error %.2e, %v", rel, err)
	}
	e, g := energyGrad(m, x)
	e0 := energies(m, x)
	for i := 0; i < x.Rows; i++ {
		we, wg := b.oracle(x.Row(i))
		if !near(e[i], we, 1e-12) || e0[i] != e[i] {
			t.Errorf("row %d: E %v (Energy %v), want %v", i, e[i], e0[i], we)
		}
		for j := range wg {
			if !near(g.At(i, j), wg[j], 1e-12) {
				t.Errorf("row %d: grad[%d] %v, want %v", i, j, g.At(i, j), wg[j])
			}
		}
	}
	if len(m.Params()) != 2 {
		t.Error("Params not passed through")
	}
	// float32: the same within float32 rounding.
	b32 := &softplusEnergy[float32]{
		autodiff.NewParam("w", tensor.Convert[float32](nil, b.w.Value)),
		autodiff.NewParam("b", tensor.Convert[float32](nil, b.b.Value))}
	e32, _ := energyGrad(FromModel[float32](b32), x)
	for i := range e32 {
		if !near(e32[i], e[i], 1e-5) {
			t.Errorf("float32 row %d: %v vs %v", i, e32[i], e[i])
		}
	}
}

func TestFromFunc(t *testing.T) {
	if _, err := FromFunc(0, func(x, g []float64) float64 { return 0 }); err == nil {
		t.Error("d = 0 accepted")
	}
	if _, err := FromFunc(2, nil); err == nil {
		t.Error("nil function accepted")
	}
	e := must(FromFunc(3, rosenbrock))
	x := randBatch(newRNG(3), 4, 3, 1)
	if rel, err := CheckGrad(e, x, 0); err != nil || rel > 1e-6 {
		t.Errorf("finite-difference check: relative error %.2e, %v", rel, err)
	}
	if got := energies(e, point(1, 1, 1))[0]; got != 0 {
		t.Errorf("E(1,1,1) = %v, want 0", got)
	}
}

// rosenbrock is Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², minimum 0 at (1, …, 1).
func rosenbrock(x, grad []float64) float64 {
	clear(grad)
	e := 0.0
	for i := 0; i+1 < len(x); i++ {
		a, b := x[i+1]-x[i]*x[i], 1-x[i]
		e += 100*a*a + b*b
		grad[i] += -400*a*x[i] - 2*b
		grad[i+1] += 200 * a
	}
	return e
}

// Energy and EnergyGrad of loaded and built models may be called from several
// goroutines at once (run with -race), and give the same numbers as serially.
func TestConcurrentEnergies(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	net32, _ := nn.NewMLP[float32]([]int{3, 16, 16, 1}, nn.SiLU, nn.MLPOptions{SpecNorm: true}, rng)
	net64, _ := nn.NewMLP[float64]([]int{3, 16, 1}, nn.Tanh, nn.MLPOptions{}, rng)
	ncNet, _ := nn.NewMLP[float32]([]int{4, 8, 1}, nn.Softplus, nn.MLPOptions{}, rng)
	nc, _ := NewNoiseCondMLP(ncNet, []float64{1, 0.1})
	es := map[string]GradEnergy{
		"mlp32":     must(NewMLPEnergy(net32)),
		"mlp64":     must(NewMLPEnergy(net64)),
		"nc":        nc,
		"nc-smooth": nc.Smoothed(0.5),
		"tape":      FromModel[float64](newSoftplusEnergy[float64](3, 5, rng)),
		"func":      must(FromFunc(3, rosenbrock)),
	}
	for name, e := range es {
		// Batches of different sizes, so workspaces of different shapes meet.
		xs := []*tensor.Dense[float64]{randBatch(rng, 7, 3, 1), randBatch(rng, 32, 3, 1), randBatch(rng, 1, 3, 1)}
		want := make([][]float64, len(xs))
		wantG := make([]*tensor.Dense[float64], len(xs))
		for k, x := range xs {
			want[k], wantG[k] = energyGrad(e, x)
		}
		var wg sync.WaitGroup
		errs := make(chan string, 64)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for it := 0; it < 50; it++ {
					k := (w + it) % len(xs)
					var en []float64
					var g *tensor.Dense[float64]
					if it%2 == 0 {
						en, g = energyGrad(e, xs[k])
					} else {
						en = energies(e, xs[k])
					}
					for i := range en {
						if en[i] != want[k][i] || (g != nil && g.Row(i)[0] != wantG[k].Row(i)[0]) {
							errs <- fmt.Sprintf("%s: goroutine %d: row %d differs", name, w, i)
							return
						}
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for s := range errs {
			t.Error(s)
		}
	}
}
