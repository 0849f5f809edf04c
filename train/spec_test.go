package train

import (
	"strings"
	"testing"

	"github.com/ebm-go/ebm/gen"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// TestParseEstimatorRejects: every out-of-range or malformed setting is a
// *spec.Error, found before any work.
func TestParseEstimatorRejects(t *testing.T) {
	ctx := EstimatorContext{Batch: 64, Data: tensor.FromSlice(3, 2, []float64{0, 1, 2, 3, 4, 6})}
	for _, s := range []string{
		"ssm:m=0", "sm:hutchinson=-1", "nce:ratio=0", "nce:ratio=-1", "nce:noise=uniform",
		"cd:k=0", "cd:step=0", "cd:step=nan", "cd:step=inf", "cd:noise=-1", "cd:box=-1", "cd:sampler=hmc",
		"pcd:chains=0", "pcd:alpha=-0.1", "pcd:init=normal", "pcd:reinit=-0.1", "pcd:reinit=1.5", "replay:reinit=1.5", "replay:buffer=0",
		"dsm:sigma=0", "dsm:levels=-1", "dsm:levels=4,sigma_max=0.1,sigma_min=1", "kde:ref=1",
		"kde:bandwidth=0", "kde:bandwidth=wide", "ssm:proj=cube", "ssm:vr=maybe", "ssm:bogus=1",
		"unknown", "", ":k=1",
		"fce:acc_lo=0.9,acc_hi=0.1", "fce:flow_lr=0", "fce:ratio=0", "fce:layers=0", "fce:acc_hi=1.5",
		"adv:sampler=gan", "adv:is=0", "adv:latent=0", "adv:sigma=0", "adv:refine=-1", "adv:alpha=-1", "adv:sampler_steps=0", "adv:importance=yes",
	} {
		_, _, err := ParseEstimator[float32](s, ctx)
		if !spec.IsInvalid(err) {
			t.Errorf("%q: want a *spec.Error, got %v", s, err)
		}
		if err != nil && strings.Contains(err.Error(), "--") {
			t.Errorf("%q: message %q names a command-line flag", s, err)
		}
	}
}

// TestParseEstimatorDefaults: each estimator builds from its bare name, and
// the recorded settings hold every default of the table.
func TestParseEstimatorDefaults(t *testing.T) {
	ctx := smallEstimatorContext()
	for _, name := range EstimatorNames() {
		est, set, err := ParseEstimator[float64](name, ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if est.Name() != name || set["name"] != name {
			t.Errorf("%s: built %s, recorded %v", name, est.Name(), set["name"])
		}
		for _, s := range estimatorDefs[name].settings {
			if _, ok := set[s.key]; !ok {
				t.Errorf("%s: setting %s not recorded", name, s.key)
			}
		}
		if !strings.Contains(EstimatorHelp(), "  "+name+" ") {
			t.Errorf("help lacks %s", name)
		}
	}
	if _, _, err := ParseEstimator[float32]("kde", EstimatorContext{}); err == nil || spec.IsInvalid(err) {
		t.Errorf("kde without data: want a plain error, got %v", err)
	}
}

// TestParseEstimatorNewDefaults: PCD re-draws some of its chains per update and
// keeps PCDChainsPerBatch chains per data point; KDE's bandwidth is chosen by
// likelihood cross-validation (LCVBandwidth of the reference set), while
// scott and numbers are still accepted; a reference set on which the
// cross-validation fails is a plain error, not a bad setting.
func TestParseEstimatorNewDefaults(t *testing.T) {
	est, set, err := ParseEstimator[float32]("pcd", EstimatorContext{Batch: 64})
	if err != nil {
		t.Fatal(err)
	}
	p := est.(*PCD[float32])
	if r := estimatorDefs["pcd"].float("reinit"); !(r > 0) || p.Reinit != r || set["reinit"] != r || p.Chains != PCDChainsPerBatch*64 || set["chains"] != PCDChainsPerBatch*64 {
		t.Errorf("pcd: reinit %v chains %d (recorded %v, %v)", p.Reinit, p.Chains, set["reinit"], set["chains"])
	}
	if np := NewPCD[float32](); np.Reinit != p.Reinit || np.Sampler.Steps != p.Sampler.Steps || np.Sampler.Step != p.Sampler.Step {
		t.Errorf("NewPCD %+v differs from the parsed defaults %+v", np, p)
	}
	est, _, err = ParseEstimator[float32]("pcd:reinit=0", EstimatorContext{Batch: 64})
	if err != nil || est.(*PCD[float32]).Reinit != 0 {
		t.Errorf("pcd:reinit=0: %v", err)
	}

	ref := tensor.New[float64](300, 2)
	for i := range ref.Data {
		ref.Data[i] = float64((i*7919)%1000) / 100
	}
	ctx := EstimatorContext{Data: ref}
	want, err := LCVBandwidth(ref)
	if err != nil {
		t.Fatal(err)
	}
	for s, h := range map[string]float64{"kde": want, "kde:bandwidth=lcv": want, "kde:bandwidth=scott": ScottBandwidth(ref), "kde:bandwidth=0.25": 0.25} {
		est, set, err := ParseEstimator[float32](s, ctx)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got := est.(*KDESM[float32]).Bandwidth; got != h || set["bandwidth_value"] != h {
			t.Errorf("%s: bandwidth %v (recorded %v), want %v", s, got, set["bandwidth_value"], h)
		}
	}
	dup := tensor.FromSlice(4, 2, []float64{0, 0, 0, 0, 1, 1, 1, 1})
	if _, _, err := ParseEstimator[float32]("kde", EstimatorContext{Data: dup}); err == nil || spec.IsInvalid(err) {
		t.Errorf("kde on duplicates: want a plain error, got %v", err)
	}
}

// TestAdvImportanceSetting: importance=auto is on for both samplers without
// refine and off with it, on and off override it, α and the energy's rate follow
// it unless set, and the record holds the resolved values.
func TestAdvImportanceSetting(t *testing.T) {
	ctx := smallEstimatorContext()
	for _, c := range []struct {
		spec       string
		imp        bool
		alpha, elr float64
	}{
		{"adv", true, 0.01, 2},
		{"adv:importance=off", false, 0.1, 1},
		{"adv:importance=off,alpha=0.3", false, 0.3, 1},
		{"adv:sampler=noisy", true, 0.01, 2},
		{"adv:sampler=noisy,importance=off", false, 0.1, 1},
		{"adv:sampler=noisy,refine=2", false, 0.1, 1},
		{"adv:refine=3", false, 0.1, 1},
		{"adv:alpha=0,energy_lr=0.5", true, 0, 0.5},
	} {
		est, set, err := ParseEstimator[float64](c.spec, ctx)
		if err != nil {
			t.Fatalf("%s: %v", c.spec, err)
		}
		a := est.(*Adversarial[float64])
		want := map[bool]string{true: "on", false: "off"}[c.imp]
		if a.Importance != c.imp || a.Alpha != c.alpha || set["importance"] != want || set["alpha"] != c.alpha ||
			a.EnergyLRFactor() != c.elr || set["energy_lr"] != c.elr {
			t.Errorf("%s: importance %v alpha %v energy_lr %v (recorded %v, %v, %v), want %v, %v, %v", c.spec, a.Importance, a.Alpha,
				a.EnergyLRFactor(), set["importance"], set["alpha"], set["energy_lr"], c.imp, c.alpha, c.elr)
		}
	}
	if _, _, err := ParseEstimator[float64]("adv:importance=on,refine=3", ctx); err == nil || !strings.Contains(err.Error(), "refine") {
		t.Errorf("importance=on with refine: error %v, want one naming refine", err)
	}
}

// smallEstimatorContext is a context for parsing every estimator: four 2-D
// rows, and samplers from package gen (a Gaussian flow, a noisy generator).
func smallEstimatorContext() EstimatorContext {
	return EstimatorContext{Batch: 32, Data: tensor.FromSlice(4, 2, []float64{0, 1, 2, 3, 4, 6, 1, 1}),
		Sampler: func(s string, d int, seed uint64) (any, error) {
			if strings.HasPrefix(s, "noisy") {
				return gen.NewNoisy[float64](gen.NoisyConfig{Dim: d, Latent: 2, Sigma: 0.1}, seed)
			}
			return gen.NewAffine[float64](d)
		}}
}
