package energy

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

func evalAt(t *testing.T, e GradEnergy, x *tensor.Dense[float64]) ([]float64, *tensor.Dense[float64]) {
	t.Helper()
	en := make([]float64, x.Rows)
	g := tensor.New[float64](x.Rows, x.Cols)
	e.EnergyGrad(x, en, g)
	return en, g
}

// A weighted, tempered sum equals the same sum written out by hand.
func TestParseSumValues(t *testing.T) {
	c, err := ParseSum("--energy", "2*gauss:rho=0.5 + quad:center=1;-1,scale=0.5@4 + 8gaussians*1e+0 + box:lo=-1,hi=1,k=10")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Terms) != 4 || c.Terms[0].Weight != 2 || c.Terms[1].Weight != 0.25 || c.Terms[2].Weight != 1 {
		t.Fatalf("terms %+v", c.Terms)
	}
	g, _ := NewEquiGaussian([]float64{0, 0}, 1, 0.5)
	q, _ := NewIsoGaussian([]float64{1, -1}, 0.5)
	eg := EightGaussians()
	x := tensor.FromSlice(3, 2, []float64{0.3, -0.2, 1.5, 0.4, -2, -3})
	got, gg := evalAt(t, c.Energy, x)
	a, ga := evalAt(t, g, x)
	b, gb := evalAt(t, q, x)
	d, gd := evalAt(t, eg, x)
	for i := range got {
		box := 0.0
		for j := 0; j < 2; j++ {
			v := x.Row(i)[j]
			if v > 1 {
				box += 5 * (v - 1) * (v - 1)
			} else if v < -1 {
				box += 5 * (v + 1) * (v + 1)
			}
		}
		want := 2*a[i] + b[i]/4 + d[i] + box
		if math.Abs(got[i]-want) > 1e-12*(1+math.Abs(want)) {
			t.Errorf("row %d: energy %v, want %v", i, got[i], want)
		}
		for j := 0; j < 2; j++ {
			k := i*2 + j
			v := x.Data[k]
			bg := 0.0
			if v > 1 {
				bg = 10 * (v - 1)
			} else if v < -1 {
				bg = 10 * (v + 1)
			}
			want := 2*ga.Data[k] + gb.Data[k]/4 + gd.Data[k] + bg
			if math.Abs(gg.Data[k]-want) > 1e-12*(1+math.Abs(want)) {
				t.Errorf("gradient %d: %v, want %v", k, gg.Data[k], want)
			}
		}
	}
	if r, err := CheckGrad(c.Energy, x, 0); err != nil || r > 1e-5 {
		t.Errorf("CheckGrad: %v, %v", r, err)
	}
}

// One unweighted term is returned as it is (an ncsn-gmm keeps Smoothed for
// annealed Langevin); a clamp box is reported, not summed.
func TestParseSumSingleAndClamp(t *testing.T) {
	c, err := ParseSum("--energy", "ncsn-gmm + box:lo=-8,hi=8,mode=clamp")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Energy.(Smoother); !ok {
		t.Errorf("single term lost its Smoother: %T", c.Energy)
	}
	if len(c.ClampLo) != 2 || c.ClampLo[0] != -8 || c.ClampHi[1] != 8 {
		t.Errorf("clamp %v %v", c.ClampLo, c.ClampHi)
	}
}

// Saved models enter by folder; built-ins and quad take their dimension.
func TestParseSumModels(t *testing.T) {
	dir := t.TempDir()
	act, _ := nn.ActivationByName("silu")
	net, _ := nn.NewMLP[float32]([]int{3, 8, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(1, 1)))
	m, _ := NewMLPEnergy(net)
	a := filepath.Join(dir, "a")
	if err := SaveModel(a, m, &model.Meta{}); err != nil {
		t.Fatal(err)
	}
	c, err := ParseSum("--energy", "model:"+a+"*0.5 + gauss + quad:center=0,scale=2")
	if err != nil {
		t.Fatal(err)
	}
	if c.Energy.Dim() != 3 || len(c.Models) != 1 || c.Models[0] != a {
		t.Errorf("dim %d, models %v", c.Energy.Dim(), c.Models)
	}
	x := tensor.FromSlice(2, 3, []float64{0.1, 0.2, 0.3, -1, 0, 2})
	got, _ := evalAt(t, c.Energy, x)
	me, _ := evalAt(t, m, x)
	for i := range got {
		sq := 0.0
		for _, v := range x.Row(i) {
			sq += v * v
		}
		want := 0.5*me[i] + 0.5*sq + sq/8
		if math.Abs(got[i]-want) > 1e-6 {
			t.Errorf("row %d: %v, want %v", i, got[i], want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"model:" + a + " + gauss:dim=2", "term 2 (gauss:dim=2): dimension 2, but term 1"},
		{"model:" + a + ",class=1", "has no class-conditional energy"},
		{"model:" + filepath.Join(dir, "missing"), "term 1"},
		{"gauss + ", "term 2 is empty"},
		{"gauss*0", "weight *0"},
		{"gauss@-1", "temperature"},
		{"quad:center=1", "needs dim="},
		{"gauss:dim=2 + quad:center=1;2;3", "term 2 (quad:center=1;2;3): dimension 3"},
		{"box:lo=0,hi=1,dim=2,mode=clamp", "no energy term"},
		{"gauss:bogus=1", "term 1 (gauss:bogus=1)"},
		{"nosuch", "unknown energy"},
		{"box:lo=1,hi=0,dim=2", "not below"},
	} {
		_, err := ParseSum("--energy", tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !spec.IsInvalid(err) {
			t.Errorf("ParseSum(%q) = %v, want a *spec.Error containing %q", tc.in, err, tc.want)
		}
	}
}

// Compose a product of experts from the command-line grammar: a Gaussian
// tempered to T = 2 times a quadratic pull towards (1, 1).
func ExampleParseSum() {
	c, err := ParseSum("--energy", "gauss@2 + quad:center=1,scale=0.5")
	if err != nil {
		fmt.Println(err)
		return
	}
	e := make([]float64, 1)
	c.Energy.Energy(tensor.FromSlice(1, 2, []float64{1, 1}), e)
	fmt.Println(c.Energy.Dim(), len(c.Terms), e[0])
	_, err = ParseSum("--energy", "gauss:dim=3 + 8gaussians")
	fmt.Println(err)
	// Output:
	// 2 2 0.5
	// --energy term 2 (8gaussians): dimension 2, but term 1 (gauss:dim=3) has dimension 3
}
