package nn

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

func randX(n, d int, rng *rand.Rand) *tensor.Dense[float64] {
	x := tensor.New[float64](n, d)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	return x
}

func TestValueGradXMatchesTape(t *testing.T) {
	for _, act := range []string{"silu", "tanh", "softplus", "elu"} {
		for k, sn := range []bool{false, true, false} {
			rng := rand.New(rand.NewPCG(1, 2))
			a, _ := ActivationByName(act)
			sizes := []int{3, 16, 8, 1}
			if k == 2 {
				sizes = []int{3, 16, 1} // one hidden layer
			}
			m, err := NewMLP[float64](sizes, a, MLPOptions{SpecNorm: sn}, rng)
			if err != nil {
				t.Fatal(err)
			}
			x := randX(7, 3, rng)
			f := make([]float64, 7)
			gx := tensor.New[float64](7, 3)
			m.ValueGradX(x, f, gx)

			tp := autodiff.NewTape[float64]()
			xv := tp.Leaf(x)
			out := m.Forward(tp, xv)
			g := autodiff.Grad(autodiff.Sum(out), []*autodiff.Var[float64]{xv}, false)[0]
			for i := range f {
				if math.Abs(f[i]-out.Value.Data[i]) > 1e-12 {
					t.Fatalf("%s sn=%v: value %v tape %v", act, sn, f[i], out.Value.Data[i])
				}
			}
			for i := range gx.Data {
				if math.Abs(gx.Data[i]-g.Value.Data[i]) > 1e-12 {
					t.Fatalf("%s sn=%v: grad %v tape %v", act, sn, gx.Data[i], g.Value.Data[i])
				}
			}
		}
	}
}

func TestValueGradXFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, _ := ActivationByName("silu")
	m64, _ := NewMLP[float64]([]int{2, 128, 128, 1}, a, MLPOptions{}, rng)
	m32 := &MLP[float32]{Act: a}
	for _, l := range m64.Layers {
		m32.Layers = append(m32.Layers, &Linear[float32]{In: l.In, Out: l.Out,
			W: autodiff.NewParam(l.W.Name, tensor.Convert[float32](nil, l.W.Value)),
			B: autodiff.NewParam(l.B.Name, tensor.Convert[float32](nil, l.B.Value))})
	}
	x := randX(256, 2, rng)
	f64, g64 := make([]float64, 256), tensor.New[float64](256, 2)
	m64.ValueGradX(x, f64, g64)
	f32, g32 := make([]float32, 256), tensor.New[float32](256, 2)
	m32.ValueGradX(tensor.Convert[float32](nil, x), f32, g32)
	for i := range f64 {
		if math.Abs(f64[i]-float64(f32[i])) > 1e-4 {
			t.Fatalf("f32 value %v vs f64 %v", f32[i], f64[i])
		}
	}
	for i := range g64.Data {
		if math.Abs(g64.Data[i]-float64(g32.Data[i])) > 1e-4 {
			t.Fatalf("f32 grad %v vs f64 %v", g32.Data[i], g64.Data[i])
		}
	}
}

func TestSpectralNormConvergesToTopSingularValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	l := NewLinear[float64]("l", 20, 12, InitTorch, rng)
	l.EnableSpectralNorm(rng)
	l.SN.Update(l.W.Value, 200)
	var svd mat.SVD
	svd.Factorize(mat.NewDense(20, 12, l.W.Value.Data), mat.SVDNone)
	top := svd.Values(nil)[0]
	if got := l.SN.Sigma(l.W.Value); math.Abs(got-top) > 1e-6*top {
		t.Fatalf("power iteration σ = %v, SVD %v", got, top)
	}
}

// mlpOn builds E(x) for a 2-H-H-1 SiLU MLP whose weights are the tape nodes ws
// (W1, b1, W2, b2, W3, b3), so finite differences can perturb them.
func mlpOn(x *autodiff.Var[float64], ws []*autodiff.Var[float64]) *autodiff.Var[float64] {
	h := x
	for i := 0; i < len(ws); i += 2 {
		h = autodiff.Add(autodiff.MatMul(h, false, ws[i], false), ws[i+1])
		if i+2 < len(ws) {
			h = autodiff.SiLU(h)
		}
	}
	return h
}

func smallWeights(rng *rand.Rand) []*tensor.Dense[float64] {
	a, _ := ActivationByName("silu")
	m, _ := NewMLP[float64]([]int{2, 6, 5, 1}, a, MLPOptions{}, rng)
	var ws []*tensor.Dense[float64]
	for _, p := range m.Params() {
		ws = append(ws, p.Value)
	}
	return ws
}

// TestDSMLossWeightGradient: the gradient of the denoising score matching loss
// (which contains ∇ₓE) with respect to the weights matches finite differences.
func TestDSMLossWeightGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ws := smallWeights(rng)
	x := randX(6, 2, rng)
	const sigma = 0.3
	noise := randX(6, 2, rng)
	f := func(tp *autodiff.Tape[float64], w []*autodiff.Var[float64]) *autodiff.Var[float64] {
		xt := tensor.New[float64](6, 2)
		for i := range xt.Data {
			xt.Data[i] = x.Data[i] + sigma*noise.Data[i]
		}
		xv := tp.Leaf(xt)
		e := autodiff.Sum(mlpOn(xv, w))
		gradE := autodiff.Grad(e, []*autodiff.Var[float64]{xv}, true)[0]
		// s = −∇E; target −(x̃ − x)/σ² = −noise/σ; loss = ½ mean ‖s + noise/σ‖²
		r := autodiff.Add(autodiff.Neg(gradE), tp.Const(tensor.Scale(nil, noise, 1/sigma)))
		return autodiff.Scale(autodiff.Sum(autodiff.Square(r)), 0.5/6)
	}
	e1, err := autodiff.CheckGrad(f, ws, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	if e1 > 1e-6 {
		t.Fatalf("DSM weight-gradient relative error %.2e", e1)
	}
}

// TestSSMLossWeightGradient: the sliced score matching loss differentiates a
// Hessian-vector product; its weight gradient is a third derivative of E.
func TestSSMLossWeightGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	ws := smallWeights(rng)
	x := randX(6, 2, rng)
	v := randX(6, 2, rng)
	f := func(tp *autodiff.Tape[float64], w []*autodiff.Var[float64]) *autodiff.Var[float64] {
		xv := tp.Leaf(x)
		e := autodiff.Sum(mlpOn(xv, w))
		s := autodiff.Neg(autodiff.Grad(e, []*autodiff.Var[float64]{xv}, true)[0])
		vc := tp.Const(v)
		vs := autodiff.Sum(autodiff.Mul(vc, s))
		hv := autodiff.Grad(vs, []*autodiff.Var[float64]{xv}, true)[0] // (∂s/∂x)ᵀv
		term1 := autodiff.Sum(autodiff.Mul(hv, vc))
		term2 := autodiff.Scale(autodiff.Sum(autodiff.Square(autodiff.SumCols(autodiff.Mul(vc, s)))), 0.5)
		return autodiff.Scale(autodiff.Add(term1, term2), 1.0/6)
	}
	e1, err := autodiff.CheckGrad(f, ws, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	if e1 > 1e-6 {
		t.Fatalf("SSM weight-gradient relative error %.2e", e1)
	}
}

func BenchmarkLangevinStepMLP(b *testing.B) {
	for _, prec := range []string{"float32", "float64"} {
		b.Run(prec, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			a, _ := ActivationByName("silu")
			x := randX(256, 2, rng)
			if prec == "float32" {
				m, _ := NewMLP[float32]([]int{2, 128, 128, 1}, a, MLPOptions{}, rng)
				x32 := tensor.Convert[float32](nil, x)
				f, g := make([]float32, 256), tensor.New[float32](256, 2)
				m.ValueGradX(x32, f, g)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					m.ValueGradX(x32, f, g)
				}
			} else {
				m, _ := NewMLP[float64]([]int{2, 128, 128, 1}, a, MLPOptions{}, rng)
				f, g := make([]float64, 256), tensor.New[float64](256, 2)
				m.ValueGradX(x, f, g)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					m.ValueGradX(x, f, g)
				}
			}
		})
	}
}

func TestNewMLPSizeLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	_, err := NewMLP[float32]([]int{2, 100000, 100000, 1}, SiLU, MLPOptions{}, rng)
	var ae *tensor.AllocError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "100000×100000") {
		t.Fatalf("hidden 100000x100000: %v", err)
	}
	if _, err := NewMLP[float64]([]int{2, 1 << 40, 1 << 40, 1}, SiLU, MLPOptions{}, rng); !errors.As(err, &ae) {
		t.Fatalf("overflowing sizes: %v", err)
	}
	if a, _ := ActivationByName("swish"); a != SiLU {
		t.Errorf("swish is %+v, want SiLU", a)
	}
}

// TestFreezeSameNumbers: ValueGradX with the weights packed by Freeze gives
// the values and gradients of the unfrozen network to the bit (float32 and
// float64, image-sized layers so that the products take the packed, parallel
// paths); after thawing, a change of the weights is seen; a nested Freeze does
// not end the outer one.
func TestFreezeSameNumbers(t *testing.T) {
	t.Run("float32", func(t *testing.T) { testFreeze[float32](t) })
	t.Run("float64", func(t *testing.T) { testFreeze[float64](t) })
}

func testFreeze[T tensor.Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	a, _ := ActivationByName("silu")
	m, err := NewMLP[T]([]int{300, 96, 80, 1}, a, MLPOptions{}, rng)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.Convert[T](nil, randX(70, 300, rng))
	eval := func() ([]T, []T) {
		f, g := make([]T, 70), tensor.New[T](70, 300)
		m.ValueGradX(x, f, g)
		return f, g.Data
	}
	same := func(what string, a, b []T) {
		t.Helper()
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s %d: %v frozen, %v not", what, i, a[i], b[i])
			}
		}
	}
	f0, g0 := eval()
	thaw := m.Freeze()
	f1, g1 := eval()
	m.Freeze()() // nested: a no-op
	f2, g2 := eval()
	same("value", f1, f0)
	same("gradient", g1, g0)
	same("value after a nested Freeze", f2, f0)
	same("gradient after a nested Freeze", g2, g0)
	thaw()
	m.Layers[0].W.Value.Data[5] += 1 // the weights change after thawing
	f3, _ := eval()
	thaw = m.Freeze()
	f4, g4 := eval()
	thaw()
	_, g5 := eval()
	same("value with the new weights", f4, f3)
	same("gradient with the new weights", g4, g5)
	if f3[0] == f0[0] && f3[1] == f0[1] {
		t.Fatal("changing a weight changed nothing")
	}
}

// TestValueGradXSplitSameNumbers: the SiLU layers' elementwise steps, split
// across cores for large batches, give the numbers of one core, for widths
// that are and are not multiples of 8 (the SIMD kernels' block).
func TestValueGradXSplitSameNumbers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	t.Run("float32", func(t *testing.T) { testValueGradXSplit[float32](t) })
	t.Run("float64", func(t *testing.T) { testValueGradXSplit[float64](t) })
}

func testValueGradXSplit[T tensor.Float](t *testing.T) {
	for _, tc := range []struct{ n, in, h1, h2 int }{
		{700, 20, 512, 100}, // 100 columns: groups of 2 rows
		{2000, 13, 37, 41},  // odd widths: groups of 8 rows
		{129, 784, 512, 512},
		{5, 20, 37, 41}, // too small to split
	} {
		rng := rand.New(rand.NewPCG(9, uint64(tc.n)))
		a, _ := ActivationByName("silu")
		m, err := NewMLP[T]([]int{tc.in, tc.h1, tc.h2, 1}, a, MLPOptions{}, rng)
		if err != nil {
			t.Fatal(err)
		}
		if tc.n > 100 && tc.n*min(tc.h1, tc.h2) < eltParMin {
			t.Fatalf("%v: too small to be split", tc)
		}
		x := tensor.Convert[T](nil, randX(tc.n, tc.in, rng))
		eval := func(procs int) ([]T, []T) {
			runtime.GOMAXPROCS(procs)
			f, g := make([]T, tc.n), tensor.New[T](tc.n, tc.in)
			m.ValueGradX(x, f, g)
			return f, g.Data
		}
		f1, g1 := eval(1)
		f4, g4 := eval(4)
		for i := range f1 {
			if f1[i] != f4[i] {
				t.Fatalf("%v: value %d = %v on 4 procs, %v on 1", tc, i, f4[i], f1[i])
			}
		}
		for i := range g1 {
			if g1[i] != g4[i] {
				t.Fatalf("%v: gradient %d = %v on 4 procs, %v on 1", tc, i, g4[i], g1[i])
			}
		}
	}
}
