package energy

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestFromSpecEveryName(t *testing.T) {
	want := []string{"gauss", "illcond", "ncsn-gmm", "8gaussians", "doublewell", "banana", "rastrigin"}
	if got := Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	dims := map[string]int{"gauss": 2, "illcond": 50, "ncsn-gmm": 2, "8gaussians": 2, "doublewell": 2, "banana": 2, "rastrigin": 2}
	for _, name := range Names() {
		e, err := FromSpec(name, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e.Dim() != dims[name] {
			t.Errorf("%s: Dim = %d, want %d", name, e.Dim(), dims[name])
		}
		if d := Describe(name); d == "" || strings.Contains(d, "\n") {
			t.Errorf("Describe(%q) = %q, want one non-empty line", name, d)
		}
		if _, ok := e.(Normalized); !ok {
			t.Errorf("%s: not Normalized", name)
		}
		if _, ok := e.(Moments); !ok {
			t.Errorf("%s: no Moments", name)
		}
		if _, ok := e.(ExactSampler); !ok {
			t.Errorf("%s: no ExactSampler", name)
		}
	}
	if Describe("nope") != "" {
		t.Error("Describe of an unknown name is not empty")
	}
	if d := Describe("rastrigin"); !strings.Contains(d, "A=10") || !strings.Contains(d, "T=1") || !strings.Contains(d, "dim=2") {
		t.Errorf("Describe(rastrigin) = %q, want its settings with defaults", d)
	}
	// Settings reach the constructors.
	if r := must(FromSpec("rastrigin", map[string]string{"dim": "5", "A": "3", "T": "0.5"})).(*Rastrigin); r.Dim() != 5 || r.A() != 3 || r.T() != 0.5 {
		t.Errorf("rastrigin settings: dim %d A %v T %v", r.Dim(), r.A(), r.T())
	}
	if b := must(FromSpec("banana", map[string]string{"dim": "4", "b": "0.1"})).(*Banana); b.Dim() != 4 || b.B() != 0.1 {
		t.Error("banana settings")
	}
	if w := must(FromSpec("doublewell", map[string]string{"dim": "3", "h": "2"})).(*DoubleWell); w.Dim() != 3 || w.Height() != 2 {
		t.Error("doublewell settings")
	}
	if w := must(FromSpec("doublewell", nil)).(*DoubleWell); w.Height() != DefaultDoubleWellHeight {
		t.Error("doublewell default h")
	}
}

func TestFromSpecIllcond(t *testing.T) {
	for _, d := range []int{2, 7, 50} {
		g := must(FromSpec("illcond", map[string]string{"dim": itoa(d)})).(*Gaussian)
		if !g.IsDiag() || g.Dim() != d {
			t.Fatalf("dim %d: diag %v, Dim %d", d, g.IsDiag(), g.Dim())
		}
		c := g.Cov()
		for i := 0; i < d; i++ {
			if want := math.Pow(10, -2+4*float64(i)/float64(d-1)); c.At(i, i) != want {
				t.Errorf("dim %d: variance %d = %v, want exactly %v", d, i, c.At(i, i), want)
			}
			if g.Mean()[i] != 0 {
				t.Errorf("dim %d: nonzero mean", d)
			}
		}
		if c.At(0, 0) != 0.01 || c.At(d-1, d-1) != 100 {
			t.Errorf("dim %d: end variances %v, %v, want 0.01, 100", d, c.At(0, 0), c.At(d-1, d-1))
		}
	}
}

func TestFromSpecGauss(t *testing.T) {
	for _, c := range []struct {
		dim int
		rho float64
	}{{2, 0}, {3, 0.5}, {4, -0.3}, {5, 0.99}, {1, 0.7}} {
		g := must(FromSpec("gauss", map[string]string{"dim": itoa(c.dim), "rho": ftoa(c.rho)}))
		cov := g.(Moments).Cov()
		for i := 0; i < c.dim; i++ {
			for j := 0; j < c.dim; j++ {
				want := c.rho
				if i == j {
					want = 1
				}
				if cov.At(i, j) != want {
					t.Errorf("dim %d rho %v: cov[%d][%d] = %v", c.dim, c.rho, i, j, cov.At(i, j))
				}
			}
		}
		if gg, ok := g.(*Gaussian); c.rho == 0 && (!ok || !gg.IsDiag()) {
			t.Errorf("rho = 0 not diagonal")
		}
		// Energy at the all-ones vector: ½·1ᵀΣ⁻¹1 = ½ d/(1 + (d−1)ρ).
		one := make([]float64, c.dim)
		for i := range one {
			one[i] = 1
		}
		if e, want := energies(g, point(one...))[0], 0.5*float64(c.dim)/(1+float64(c.dim-1)*c.rho); !near(e, want, 1e-12) {
			t.Errorf("dim %d rho %v: E(1) = %v, want %v", c.dim, c.rho, e, want)
		}
	}
}

func TestFromSpecErrors(t *testing.T) {
	cases := []struct {
		name string
		args map[string]string
		want []string
	}{
		{"nope", nil, []string{`unknown energy "nope"`, "gauss", "illcond", "ncsn-gmm", "8gaussians", "doublewell", "banana", "rastrigin"}},
		{"gauss", map[string]string{"dimm": "3"}, []string{`unknown setting "dimm"`, "dim, rho"}},
		{"8gaussians", map[string]string{"dim": "3"}, []string{`unknown setting "dim"`, "no settings"}},
		{"gauss", map[string]string{"rho": "1"}, []string{"rho"}},
		{"gauss", map[string]string{"rho": "1.5"}, []string{"rho"}},
		{"gauss", map[string]string{"dim": "3", "rho": "-0.5"}, []string{"rho", "positive definite"}},
		{"gauss", map[string]string{"dim": "3", "rho": "-0.6"}, []string{"rho"}},
		{"gauss", map[string]string{"dim": "0"}, []string{"dim"}},
		{"gauss", map[string]string{"dim": "two"}, []string{"dim", "integer"}},
		{"gauss", map[string]string{"rho": "NaN"}, []string{"rho"}},
		{"illcond", map[string]string{"dim": "1"}, []string{"dim"}},
		{"illcond", map[string]string{"dim": "-4"}, []string{"dim"}},
		{"doublewell", map[string]string{"h": "0"}, []string{"h"}},
		{"doublewell", map[string]string{"h": "abc"}, []string{"h"}},
		{"banana", map[string]string{"dim": "1"}, []string{"dim"}},
		{"banana", map[string]string{"b": "inf"}, []string{"b"}},
		{"rastrigin", map[string]string{"A": "-1"}, []string{"A"}},
		{"rastrigin", map[string]string{"T": "0"}, []string{"T"}},
		{"rastrigin", map[string]string{"t": "1"}, []string{`unknown setting "t"`, "dim, A, T"}},
	}
	for _, c := range cases {
		_, err := FromSpec(c.name, c.args)
		if err == nil {
			t.Errorf("FromSpec(%q, %v): no error", c.name, c.args)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("FromSpec(%q, %v): error %q does not mention %q", c.name, c.args, err, w)
			}
		}
	}
	// A failed FromSpec returns a nil interface, not a typed nil.
	if e, _ := FromSpec("illcond", map[string]string{"dim": "1"}); e != nil {
		t.Errorf("failed FromSpec returned %#v", e)
	}
}

func itoa(i int) string     { return strconv.Itoa(i) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
