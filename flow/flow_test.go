package flow

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// Compile-time checks: a flow is a normalized energy with exact samples.
var (
	_ energy.GradEnergy   = (*Flow[float32])(nil)
	_ energy.Normalized   = (*Flow[float64])(nil)
	_ energy.ExactSampler = (*Flow[float64])(nil)
)

var smallSpecs = []string{
	"realnvp:layers=4,hidden=16",
	"realnvp:layers=3,hidden=16,actnorm",
	"nice:layers=4,hidden=16",
	"maf:layers=3,hidden=16",
	"planar:layers=6",
	"radial:layers=6",
	"realnvp:layers=3,hidden=16,box=3",
}

func perturbed(t *testing.T, s string, d int, seed uint64) *Flow[float64] {
	return perturbedBy(t, s, d, seed, 0.3)
}

func perturbedBy(t *testing.T, s string, d int, seed uint64, sd float64) *Flow[float64] {
	t.Helper()
	f, err := Parse[float64](s, d, seed)
	if err != nil {
		t.Fatal(err)
	}
	perturb(f.Params(), sd, rand.New(rand.NewPCG(seed, 3)))
	return f
}

// TestDensityIntegratesToOne checks ∫ p = 1 within 1e-3 for every kind of
// flow with random weights, by the midpoint rule over a fine grid of a box
// that holds all but a negligible part of the mass (the box's mass is checked
// against samples: the fraction of 20,000 exact samples outside is < 1e-4).
func TestDensityIntegratesToOne(t *testing.T) {
	for i, s := range smallSpecs {
		t.Run(s, func(t *testing.T) {
			f := perturbedBy(t, s, 2, uint64(40+i), 0.2)
			// ActNorm layers are initialized from data, as in training.
			if err := f.InitFromData(randn(500, 2, rand.New(rand.NewPCG(4, 4)))); err != nil {
				t.Fatal(err)
			}
			const lo, hi = -8.0, 8.0
			x := f.Sample(20000, rand.New(rand.NewPCG(5, uint64(i))))
			out := 0
			for r := 0; r < x.Rows; r++ {
				if math.Abs(x.At(r, 0)) > hi || math.Abs(x.At(r, 1)) > hi {
					out++
				}
			}
			if out > 2 {
				t.Fatalf("%d of 20000 samples outside the box: widen it", out)
			}
			logZ, err := metric.GridLogZ(f, lo, hi, 400)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(logZ) > 1e-3 {
				t.Errorf("log ∫p = %.5f, want 0 within 1e-3", logZ)
			}
		})
	}
}

// TestDrawMatchesLogProb checks that Draw's log q equals LogProb of the draws
// and that EnergyGrad's gradient matches finite differences.
func TestDrawMatchesLogProb(t *testing.T) {
	for i, s := range smallSpecs {
		t.Run(s, func(t *testing.T) {
			f := perturbed(t, s, 3, uint64(50+i))
			tp := autodiff.NewTape[float64]()
			x, lq, err := f.Draw(tp, 32, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			lp, err := f.LogProb(tp, tp.Const(x.Value.Clone()))
			if err != nil {
				t.Fatal(err)
			}
			for r := range lq.Value.Data {
				if e := math.Abs(lq.Value.Data[r] - lp.Value.Data[r]); e > 1e-9 {
					t.Fatalf("row %d: Draw log q %.12g, LogProb %.12g", r, lq.Value.Data[r], lp.Value.Data[r])
				}
			}
			rel, err := energy.CheckGrad(f, x.Value.Clone(), 1e-5)
			if err != nil {
				t.Fatal(err)
			}
			if rel > 1e-6 {
				t.Errorf("EnergyGrad relative error %.3g", rel)
			}
		})
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	for i, s := range smallSpecs {
		f := perturbed(t, s, 3, uint64(60+i))
		p := filepath.Join(dir, strings.ReplaceAll(strings.ReplaceAll(s, ":", "_"), ",", "_"))
		if err := Save(p, f, &model.Meta{Seed: 7}); err != nil {
			t.Fatal(err)
		}
		v, meta, err := model.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		g, ok := v.(*Flow[float64])
		if !ok || meta.Kind != KindFlow {
			t.Fatalf("%s: loaded %T kind %q", s, v, meta.Kind)
		}
		x := randn(50, 3, rand.New(rand.NewPCG(2, 2)))
		e1, e2 := make([]float64, 50), make([]float64, 50)
		f.Energy(x, e1)
		g.Energy(x, e2)
		for r := range e1 {
			if e1[r] != e2[r] {
				t.Fatalf("%s: energy %d: %v saved, %v loaded", s, r, e1[r], e2[r])
			}
		}
		// Through the generic energy loader, as ebm sample/eval use it.
		ge, _, err := energy.LoadGrad(p)
		if err != nil {
			t.Fatal(err)
		}
		if ge.Dim() != 3 {
			t.Fatalf("LoadGrad dimension %d", ge.Dim())
		}
	}
	// float32 round trip.
	f32, err := Parse[float32]("realnvp:layers=2,hidden=8", 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "f32")
	if err := Save(p, f32, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load[float32](p); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load[float64](p); err == nil {
		t.Fatal("loading F32 weights as float64 succeeded")
	}
}

// TestPlanarConstraintViolated: an unconstrained planar layer with hand-set
// weights wᵀu ≤ −1 is refused by Validate, Save and Load.
func TestPlanarConstraintViolated(t *testing.T) {
	f, err := Parse[float64]("planar:layers=2,constrain=false", 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := Save(dir, f, nil); err != nil {
		t.Fatal(err)
	}
	p := f.Layers[1].(*Planar[float64])
	copy(p.W.Value.Data, []float64{1, 0})
	copy(p.U.Value.Data, []float64{-2, 0})
	if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "not invertible") {
		t.Fatalf("Validate: %v", err)
	}
	if err := Save(filepath.Join(t.TempDir(), "bad"), f, nil); err == nil {
		t.Fatal("Save accepted a non-invertible flow")
	}
	// Hand-edit the saved weights: Load must refuse them.
	meta, ts, err := model.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	var list []model.Tensor
	for _, tn := range ts {
		switch tn.Name {
		case "1.planar.w":
			tn.F64 = []float64{1, 0}
		case "1.planar.u":
			tn.F64 = []float64{-2, 0}
		}
		list = append(list, tn)
	}
	meta.WeightsSHA256 = ""
	if err := model.Save(dir, meta, list); err != nil {
		t.Fatal(err)
	}
	if _, _, err := model.Load(dir); err == nil || !strings.Contains(err.Error(), "not invertible") {
		t.Fatalf("Load: %v", err)
	}
}

func TestLoadRejectsShapes(t *testing.T) {
	f, err := Parse[float64]("realnvp:layers=2,hidden=8", 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := Save(dir, f, nil); err != nil {
		t.Fatal(err)
	}
	meta, ts, err := model.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	meta.Architecture = []byte(`{"spec":"realnvp:layers=2,hidden=9","dim":2,"dtype":"F64"}`)
	var list []model.Tensor
	for _, tn := range ts {
		list = append(list, tn)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	if err := model.Save(bad, meta, list); err != nil {
		t.Fatal(err)
	}
	if _, _, err := model.Load(bad); err == nil {
		t.Fatal("a spec that does not match the tensors loaded")
	}
	meta.Architecture = []byte(`{"spec":"realnvp:layers=1000,hidden=60000","dim":1000000,"dtype":"F64"}`)
	if err := model.Save(bad, meta, list); err != nil {
		t.Fatal(err)
	}
	if _, _, err := model.Load(bad); err == nil {
		t.Fatalf("a huge declared flow: %v", err)
	}
}

func TestSpecErrors(t *testing.T) {
	for _, s := range []string{"glow", "realnvp:layers=0", "realnvp:hidden=abc", "realnvp:bound=-1", "planar:hidden=3", "maf:act=nope", "radial:layers=x"} {
		_, err := ParseConfig(s)
		var se *spec.Error
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v is not a *spec.Error", s, err)
		}
	}
	c, err := ParseConfig("realnvp:layers=8,hidden=64")
	if err != nil || len(c.Net.Hidden) != 2 || c.Net.Hidden[1] != 64 || c.Bound != 2 {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestDimensionMismatch(t *testing.T) {
	f, err := Parse[float64]("realnvp:layers=2,hidden=8", 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	tp := autodiff.NewTape[float64]()
	if _, err := f.LogProb(tp, tp.Const(tensor.New[float64](3, 3))); err == nil || !strings.Contains(err.Error(), "dimension 2") {
		t.Errorf("LogProb of 3 columns: %v", err)
	}
	g, _ := energy.NewIsoGaussian([]float64{0, 0, 0}, 1)
	if _, err := EstimateLogZ(f, g, 100, 1); err == nil || !strings.Contains(err.Error(), "dimension 3") {
		t.Errorf("EstimateLogZ: %v", err)
	}
	if _, err := IndependenceMH(t.Context(), f, g, 2, 10, 1); err == nil {
		t.Error("IndependenceMH accepted a 3-D energy for a 2-D flow")
	}
}

var _ = os.Getenv

// TestDefensiveProposal checks the mixture density statistically: importance
// sampling of a normalized target with the defensive proposal must give
// log Z = 0 within 4 standard errors (a wrong log q_mix biases it).
func TestDefensiveProposal(t *testing.T) {
	f := perturbedBy(t, "realnvp:layers=2,hidden=8", 2, 70, 0.2)
	g, err := energy.NewIsoGaussian([]float64{0.5, -0.3}, 1.3)
	if err != nil {
		t.Fatal(err)
	}
	for _, eps := range []float64{0, 0.3} {
		p, err := NewDefensive(f, eps, 2, 1)
		if err != nil {
			t.Fatal(err)
		}
		r, err := EstimateLogZWith(p, g, 40000, 2)
		if err != nil {
			t.Fatal(err)
		}
		if d := r.LogZ - g.LogZ(); math.Abs(d) > 4*r.SE {
			t.Errorf("eps %g: IS log Z %.4f ± %.4f, truth %.4f", eps, r.LogZ, r.SE, g.LogZ())
		}
	}
	if _, err := NewDefensive(f, 1, 2, 1); err == nil {
		t.Error("eps = 1 accepted")
	}
}
