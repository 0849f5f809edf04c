package jem

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/tensor"
)

func newTestClassifier(t *testing.T, std bool) (*Classifier[float64], *tensor.Dense[float64]) {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	net, err := nn.NewMLP[float64]([]int{5, 8, 8, 4}, nn.SiLU, nn.MLPOptions{}, rng)
	if err != nil {
		t.Fatal(err)
	}
	var shift, scale []float64
	if std {
		shift, scale = []float64{0.1, -2, 3, 0, 1}, []float64{0.5, 2, 1, 3, 0.25}
	}
	c, err := New(net, shift, scale)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New[float64](6, 5)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	return c, x
}

// TestEnergiesMatchDefinition checks E(x) = −logsumexp f(x) and
// E(x, y) = −f(x)[y] against the logits recorded on a tape, and Build
// against Energy, with and without standardization.
func TestEnergiesMatchDefinition(t *testing.T) {
	for _, std := range []bool{false, true} {
		c, x := newTestClassifier(t, std)
		tp := autodiff.NewTape[float64]()
		logits := c.Logits(tp, tp.Input(x, false))
		built := c.Build(tp, tp.Input(x, false))
		e := make([]float64, x.Rows)
		c.Energy(x, e)
		y := []int{0, 1, 2, 3, 2, 1}
		ey := make([]float64, x.Rows)
		c.CondEnergyGrad(x, y, ey, nil)
		// Standardization by hand, then the bare network.
		xs := x.Clone()
		if std {
			for i := range xs.Data {
				j := i % 5
				xs.Data[i] = (xs.Data[i] - c.Shift[j]) / c.Scale[j]
			}
		}
		tp2 := autodiff.NewTape[float64]()
		raw := c.Net.Forward(tp2, tp2.Input(xs, false))
		for i := 0; i < x.Rows; i++ {
			row := raw.Value.Row(i)
			lse := 0.0
			for _, v := range row {
				lse += math.Exp(v)
			}
			lse = math.Log(lse)
			for j, v := range row {
				if math.Abs(v-logits.Value.Row(i)[j]) > 1e-12 {
					t.Fatalf("std=%v: logit %d,%d: %v, by hand %v", std, i, j, logits.Value.Row(i)[j], v)
				}
			}
			if math.Abs(e[i]+lse) > 1e-12 || math.Abs(built.Value.Data[i]+lse) > 1e-12 {
				t.Errorf("std=%v: E(x_%d) = %v, Build %v, −logsumexp %v", std, i, e[i], built.Value.Data[i], -lse)
			}
			if math.Abs(ey[i]+row[y[i]]) > 1e-12 {
				t.Errorf("std=%v: E(x_%d, %d) = %v, want %v", std, i, y[i], ey[i], -row[y[i]])
			}
		}
	}
}

// TestGradientsFiniteDifference checks ∇ₓE(x) and ∇ₓE(x, y) by central
// differences (energy.CheckGrad), with and without standardization.
func TestGradientsFiniteDifference(t *testing.T) {
	for _, std := range []bool{false, true} {
		c, x := newTestClassifier(t, std)
		if rel, err := energy.CheckGrad(c, x, 1e-5); err != nil || rel > 1e-6 {
			t.Errorf("std=%v: ∇E: relative error %v (%v)", std, rel, err)
		}
		ce := c.Conditional([]int{3, 2, 1, 0, 0, 1})
		if rel, err := energy.CheckGrad(ce, x, 1e-5); err != nil || rel > 1e-6 {
			t.Errorf("std=%v: ∇E(·, y): relative error %v (%v)", std, rel, err)
		}
	}
}

// TestFloat32MatchesFloat64 checks the fast float32 pass against float64 on
// the same weights.
func TestFloat32MatchesFloat64(t *testing.T) {
	c64, x := newTestClassifier(t, true)
	net32, _ := nn.NewMLP[float32](c64.Net.Sizes(), nn.SiLU, nn.MLPOptions{}, rand.New(rand.NewPCG(0, 0)))
	for i, p := range net32.Params() {
		tensor.Convert(p.Value, c64.Net.Params()[i].Value)
	}
	c32, err := New(net32, c64.Shift, c64.Scale)
	if err != nil {
		t.Fatal(err)
	}
	e64, e32 := make([]float64, x.Rows), make([]float64, x.Rows)
	g64, g32 := tensor.New[float64](x.Rows, 5), tensor.New[float64](x.Rows, 5)
	c64.EnergyGrad(x, e64, g64)
	c32.EnergyGrad(x, e32, g32)
	for i := range e64 {
		if math.Abs(e64[i]-e32[i]) > 1e-4*(1+math.Abs(e64[i])) {
			t.Errorf("E(x_%d): float64 %v, float32 %v", i, e64[i], e32[i])
		}
	}
	for i := range g64.Data {
		if math.Abs(g64.Data[i]-g32.Data[i]) > 1e-4*(1+math.Abs(g64.Data[i])) {
			t.Errorf("gradient %d: float64 %v, float32 %v", i, g64.Data[i], g32.Data[i])
		}
	}
}

func TestNewRejects(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	one, _ := nn.NewMLP[float32]([]int{3, 1}, nn.SiLU, nn.MLPOptions{}, rng)
	two, _ := nn.NewMLP[float32]([]int{3, 2}, nn.SiLU, nn.MLPOptions{}, rng)
	for name, f := range map[string]func() error{
		"one output":     func() error { _, err := New(one, nil, nil); return err },
		"shift only":     func() error { _, err := New(two, []float64{0, 0, 0}, nil); return err },
		"short shift":    func() error { _, err := New(two, []float64{0}, []float64{1}); return err },
		"zero scale":     func() error { _, err := New(two, []float64{0, 0, 0}, []float64{1, 0, 1}); return err },
		"nil network":    func() error { _, err := New[float32](nil, nil, nil); return err },
		"NaN shift":      func() error { _, err := New(two, []float64{0, math.NaN(), 0}, []float64{1, 1, 1}); return err },
		"infinite scale": func() error { _, err := New(two, []float64{0, 0, 0}, []float64{1, math.Inf(1), 1}); return err },
	} {
		if f() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestEnergyGradNoAlloc: the sampling hot path allocates nothing once warm.
func TestEnergyGradNoAlloc(t *testing.T) {
	net, _ := nn.NewMLP[float32]([]int{64, 32, 32, 10}, nn.SiLU, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 1)))
	c, _ := New(net, nil, nil)
	x := tensor.New[float64](16, 64)
	e := make([]float64, 16)
	g := tensor.New[float64](16, 64)
	y := make([]int, 16)
	c.EnergyGrad(x, e, g)
	c.CondEnergyGrad(x, y, e, g)
	if a := testing.AllocsPerRun(20, func() { c.EnergyGrad(x, e, g); c.CondEnergyGrad(x, y, e, g) }); a > 0 {
		t.Errorf("EnergyGrad allocates %v times per call", a)
	}
}

// TestClassEnergy checks that ClassEnergy(k) is E(x, k) = −f(x)[k] with its
// gradient, on batches of different sizes, and that it refuses classes out
// of range.
func TestClassEnergy(t *testing.T) {
	c, x := newTestClassifier(t, true)
	if c.NumClasses() != 4 {
		t.Fatalf("NumClasses %d", c.NumClasses())
	}
	logits := c.Logits64(x, nil)
	for k := 0; k < 4; k++ {
		ce, err := c.ClassEnergy(k)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{x.Rows, 2} {
			xs := tensor.New[float64](n, x.Cols)
			copy(xs.Data, x.Data[:n*x.Cols])
			e := make([]float64, n)
			ce.Energy(xs, e)
			for i := 0; i < n; i++ {
				if d := math.Abs(e[i] + logits.At(i, k)); d > 1e-12 {
					t.Fatalf("class %d row %d: E %v, −f %v", k, i, e[i], -logits.At(i, k))
				}
			}
		}
		if rel, err := energy.CheckGrad(ce, x, 1e-5); err != nil || rel > 1e-6 {
			t.Fatalf("class %d: gradient check %v %v", k, rel, err)
		}
	}
	for _, k := range []int{-1, 4} {
		if _, err := c.ClassEnergy(k); err == nil {
			t.Fatalf("class %d accepted", k)
		}
	}
}
