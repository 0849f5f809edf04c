package sample

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/spec"
)

func TestParseDefaults(t *testing.T) {
	e := newIndepGauss(nil, []float64{1, 1})
	cases := []struct {
		s      string
		adapt  Adapt
		target float64
		step   float64 // State.Step after Init
	}{
		{"rwmh", AdaptAuto, 0.234, 1},
		{"ula", AdaptOff, 0, 0.01},
		{"sgld", AdaptOff, 0, 10},
		{"sgld:a=3,b=0.1", AdaptOff, 0, 3},
		{"sgld:step=2,noise=0.1", AdaptOff, 0, 2},
		{"mala", AdaptAuto, 0.574, 0.1},
		{"mala:metric=false", AdaptStepSize, 0.574, 0.1},
		{"mala:adapt=false,step=0.3", AdaptOff, 0.574, 0.3},
		{"hmc:L=5,target=0.7", AdaptAuto, 0.7, 0.1},
		{"annealed:levels=3,steps_per_level=4", AdaptOff, 0, 0.005},
	}
	for _, c := range cases {
		sp, err := Parse(c.s, e)
		if err != nil {
			t.Fatalf("%s: %v", c.s, err)
		}
		if sp.Adapt != c.adapt || sp.Target != c.target {
			t.Errorf("%s: adapt %v target %v, want %v %v", c.s, sp.Adapt, sp.Target, c.adapt, c.target)
		}
		st, err := sp.Kernel.Init(uniformStarts(2, 2, -1, 1, 1), nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Step[0] != c.step {
			t.Errorf("%s: step %v, want %v", c.s, st.Step[0], c.step)
		}
	}
	sp, _ := Parse("annealed:levels=3,steps_per_level=4", e)
	var cfg Config
	sp.Configure(&cfg)
	if cfg.Steps != 12 || cfg.Thin != 12 || cfg.Warmup != 0 || sp.Annealed == nil {
		t.Errorf("annealed Configure: %+v", cfg)
	}
	sg, _ := Parse("sgld:a=3,b=0.1", e)
	if o := sg.Kernel.(*SGLDStyle).opts; o.Step != 3 || o.Noise != 0.1 {
		t.Errorf("sgld aliases: %+v", o)
	}
	hm, _ := Parse("hmc:L=5,jitter=0", e)
	if o := hm.Kernel.(*HMC).opts; o.L != 5 || o.Jitter != 0 || o.MaxEnergyError != DefaultHMCOptions().MaxEnergyError {
		t.Errorf("hmc settings: %+v", o)
	}
}

func TestParseErrors(t *testing.T) {
	e := newIndepGauss(nil, []float64{1, 1})
	for _, c := range []struct{ s, want string }{
		{"", "empty name"},
		{"nuts", "unknown sampler"},
		{"mala:stpe=0.1", "unknown setting stpe"},
		{"mala:step=NaN", "not a finite number"},
		{"mala:step=inf", "not a finite number"},
		{"mala:step=0", "step=0"},
		{"mala:step=-1", "step=-1"},
		{"mala:target=1", "target=1"},
		{"mala:target=0", "target=0"},
		{"rwmh:adapt=maybe", "not true or false"},
		{"hmc:L=0", "L=0"},
		{"hmc:L=2.5", "not an integer"},
		{"hmc:jitter=1", "jitter=1"},
		{"sgld:noise=-0.1", "noise=-0.1"},
		{"sgld:a=1,step=2", "not both"},
		{"sgld:b=x", "not a finite number"},
		{"sgld:clip=-1", "clip=-1"},
		{"annealed:sigma_min=5,sigma_max=1", "exceeds"},
		{"annealed:levels=0", "levels=0"},
		{"annealed:eps=0", "eps=0"},
		{"annealed:levels=100000,steps_per_level=1000000000", "too many"},
	} {
		_, err := Parse(c.s, e)
		if err == nil {
			t.Errorf("%q: no error", c.s)
			continue
		}
		if !spec.IsInvalid(err) {
			t.Errorf("%q: %v is not a *spec.Error", c.s, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q does not say %q", c.s, err, c.want)
		}
		if strings.Contains(err.Error(), "--") {
			t.Errorf("%q: error %q gives command-line advice", c.s, err)
		}
	}
	if _, err := Parse("mala", nil); err == nil || spec.IsInvalid(err) {
		t.Errorf("nil energy: %v", err)
	}
}

func TestSamplerHelp(t *testing.T) {
	h := SamplerHelp()
	for _, n := range SamplerNames() {
		if !strings.Contains(h, "  "+n+" ") {
			t.Errorf("help lacks %s", n)
		}
	}
	// Every default in the help is what Parse uses: parse each default
	// explicitly and compare with the bare name.
	for _, s := range samplers {
		for _, st := range s.settings {
			if !strings.Contains(h, st.key+"="+st.def) {
				t.Errorf("help lacks %s %s=%s", s.name, st.key, st.def)
			}
		}
	}
}

func TestInitialPoints(t *testing.T) {
	x, err := InitialPoints("uniform:lo=1,hi=3", 200, 50, 7)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, v := range x.Data {
		if v < 1 || v >= 3 {
			t.Fatalf("uniform draw %v outside [1, 3)", v)
		}
		sum += v
	}
	// Mean of 10⁴ U(1,3): 2 ± 4·(2/√12)/100.
	if m := sum / 1e4; math.Abs(m-2) > 4*2/math.Sqrt(12)/100 {
		t.Errorf("uniform mean %v", m)
	}
	y, _ := InitialPoints("uniform:lo=1,hi=3", 200, 50, 7)
	for i := range x.Data {
		if x.Data[i] != y.Data[i] {
			t.Fatal("same seed, different points")
		}
	}
	z, err := InitialPoints("normal:sd=2", 100, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	ss := 0.0
	for _, v := range z.Data {
		ss += v * v
	}
	// Variance of 10⁴ N(0,4) draws: 4 ± 4·4·√(2/10⁴).
	if v := ss / 1e4; math.Abs(v-4) > 4*4*math.Sqrt(2.0/1e4) {
		t.Errorf("normal variance %v", v)
	}
	for _, bad := range []string{"uniform:lo=2,hi=1", "normal:sd=0", "normal:sd=NaN", "cauchy", "uniform:low=1", "uniform:lo=-1e308,hi=1e308"} {
		if _, err := InitialPoints(bad, 2, 2, 1); err == nil || !spec.IsInvalid(err) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := InitialPoints("", 1<<40, 1<<30, 1); err == nil || !spec.IsInvalid(err) {
		t.Errorf("huge: %v", err)
	}
}

// One chain, one step, a million dimensions: nothing on the way builds a
// d×d matrix.
func TestRunMillionDims(t *testing.T) {
	for _, name := range []string{"doublewell", "banana", "rastrigin", "gauss", "illcond"} {
		e, err := energy.FromSpec(name, map[string]string{"dim": "1000000"})
		if err != nil {
			t.Fatal(err)
		}
		sp, err := Parse("mala", e)
		if err != nil {
			t.Fatal(err)
		}
		x0, _ := InitialPoints("", 1, e.Dim(), 1)
		res, err := Run(context.Background(), sp.Kernel, x0, Config{Steps: 1, Adapt: sp.Adapt})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.Cov() != nil || len(res.Var()) != 1_000_000 {
			t.Errorf("%s: Cov/Var", name)
		}
		if w := res.Warnings(); len(w) == 0 {
			t.Errorf("%s: one draw gives no warning", name)
		}
	}
}
