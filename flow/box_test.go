package flow

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// TestLogSech2 checks the stable log sech² against log(1 − tanh²) in float64
// where the latter is accurate, its finiteness far out (float32, |u| = 60)
// and its derivative −2 tanh(u) by finite differences.
func TestLogSech2(t *testing.T) {
	tp := autodiff.NewTape[float64]()
	u := tensor.FromSlice(1, 6, []float64{-3, -0.7, 0, 0.2, 1.5, 4})
	v := LogSech2(tp.Input(u, false))
	for i, x := range u.Data {
		th := math.Tanh(x)
		if want := math.Log(1 - th*th); math.Abs(v.Value.Data[i]-want) > 1e-12 {
			t.Errorf("u = %v: %v, want %v", x, v.Value.Data[i], want)
		}
	}
	t32 := autodiff.NewTape[float32]()
	far := LogSech2(t32.Input(tensor.FromSlice(1, 2, []float64{-60, 60}), false))
	for _, x := range far.Value.Data {
		if math.IsInf(float64(x), 0) || math.IsNaN(float64(x)) || math.Abs(float64(x)-(2*math.Ln2-120)) > 1e-3 {
			t.Errorf("log sech² at ±60 in float32: %v", x)
		}
	}
	f := func(tp *autodiff.Tape[float64], in []*autodiff.Var[float64]) *autodiff.Var[float64] {
		return autodiff.Sum(LogSech2(in[0]))
	}
	if e, err := autodiff.CheckGrad(f, []*tensor.Dense[float64]{u}, 1e-6); err != nil || e > 1e-6 {
		t.Errorf("gradient: relative error %v, %v", e, err)
	}
}

// TestLogSech2Float checks the scalar against the tape op.
func TestLogSech2Float(t *testing.T) {
	tp := autodiff.NewTape[float64]()
	u := tensor.FromSlice(1, 7, []float64{-40, -3, -0.7, 0, 0.2, 1.5, 40})
	v := LogSech2(tp.Input(u, false))
	for i, x := range u.Data {
		if got := LogSech2Float(x); math.Abs(got-v.Value.Data[i]) > 1e-12 {
			t.Errorf("u = %v: %v, tape %v", x, got, v.Value.Data[i])
		}
	}
}

// TestBoxOutside checks that points outside the box have log p = −∞ (E = +∞)
// and a zero, finite gradient, while points inside keep finite values.
func TestBoxOutside(t *testing.T) {
	f, err := Parse[float64]("realnvp:layers=2,hidden=8,box=2", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	perturb(f.Params(), 0.3, rand.New(rand.NewPCG(1, 1)))
	x := tensor.FromSlice(4, 2, []float64{0.5, -1, 2.5, 0, 0, -2, 1.999, 1.9})
	e := make([]float64, 4)
	g := tensor.New[float64](4, 2)
	f.EnergyGrad(x, e, g)
	for r, want := range []bool{true, false, false, true} {
		if inside := !math.IsInf(e[r], 1); inside != want || math.IsNaN(e[r]) {
			t.Errorf("row %d: E = %v, inside %v", r, e[r], want)
		}
		for j := 0; j < 2; j++ {
			gv := g.At(r, j)
			if math.IsNaN(gv) || math.IsInf(gv, 0) || (!want && gv != 0) {
				t.Errorf("row %d: gradient %v", r, g.Row(r))
			}
		}
	}
	// Every draw lies inside the box.
	s := f.Sample(2000, rand.New(rand.NewPCG(2, 2)))
	for _, v := range s.Data {
		if !(math.Abs(v) < 2) {
			t.Fatalf("draw %v outside (−2, 2)", v)
		}
	}
}

// TestWithBox checks that WithBox gives the boxed flow of the same layers, that
// its spec rebuilds it through Save and Load, and that bad uses are refused.
func TestWithBox(t *testing.T) {
	f := perturbedBy(t, "realnvp:layers=2,hidden=8", 2, 9, 0.3)
	g, err := f.WithBox(2.5)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Layers) != len(f.Layers)+1 || g.Layers[len(g.Layers)-1].Kind() != "box" {
		t.Fatalf("layers %d, last %s", len(g.Layers), g.Layers[len(g.Layers)-1].Kind())
	}
	c, err := ParseConfig(g.Spec)
	if err != nil || c.Box != 2.5 {
		t.Fatalf("spec %q: box %v, %v", g.Spec, c.Box, err)
	}
	// The boxed density is the change of variables of f's.
	x := randn(20, 2, rand.New(rand.NewPCG(3, 3)))
	ef, eg := make([]float64, 20), make([]float64, 20)
	f.Energy(x, ef)
	y := x.Clone()
	for i, v := range y.Data {
		y.Data[i] = 2.5 * math.Tanh(v/2.5)
	}
	g.Energy(y, eg)
	for r := range ef {
		want := ef[r]
		for j := 0; j < 2; j++ {
			want += LogSech2Float(x.At(r, j) / 2.5)
		}
		if math.Abs(eg[r]-want) > 1e-9 {
			t.Errorf("row %d: boxed E %v, want %v", r, eg[r], want)
		}
	}
	dir := t.TempDir()
	if err := Save(dir+"/b", g, nil); err != nil {
		t.Fatal(err)
	}
	h, _, err := Load[float64](dir + "/b")
	if err != nil {
		t.Fatal(err)
	}
	eh := make([]float64, 20)
	h.Energy(y, eh)
	for r := range eg {
		if eh[r] != eg[r] {
			t.Fatalf("row %d: loaded E %v, saved %v", r, eh[r], eg[r])
		}
	}
	if _, err := g.WithBox(1); err == nil {
		t.Error("a second box was accepted")
	}
	for _, c := range []float64{0, -1, math.Inf(1), math.NaN()} {
		if _, err := f.WithBox(c); err == nil {
			t.Errorf("half-width %v accepted", c)
		}
	}
	if _, err := ParseConfig("maf:box=-1"); err == nil {
		t.Error("box=-1 accepted")
	}
}
