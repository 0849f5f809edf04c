package metric

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/spec"
)

func TestNewCompareRow(t *testing.T) {
	nll := 2.5
	tr := &TrainReport{ItersPerSec: 100, Seconds: 3, Retries: 1}
	row := NewCompareRow("ssm", 7, tr, &EvalReport{NLLGrid: &nll, MMD2: 0.01})
	want := CompareRow{Method: "ssm", Seed: 7, NLLGrid: 2.5, MMD2: 0.01, ItersPerSec: 100, Seconds: 3, Rollbacks: 1}
	if row != want {
		t.Fatalf("row %+v, want %+v", row, want)
	}
	if row := NewCompareRow("ssm", 7, tr, &EvalReport{}); row.NLLGrid != 0 {
		t.Fatalf("no grid NLL: %v", row.NLLGrid)
	}
}

// EvaluateSampler gives exactly what Evaluate gives with the kernel built by
// sample.Parse from the same spec, and refuses a bad spec as a settings error.
func TestEvaluateSampler(t *testing.T) {
	ctx := context.Background()
	e, err := energy.NewIsoGaussian([]float64{0, 0}, 1)
	if err != nil {
		t.Fatal(err)
	}
	test, ref := e.Sample(100, rand.New(rand.NewPCG(1, 0))), e.Sample(100, rand.New(rand.NewPCG(2, 0)))
	cfg := EvalConfig{Samples: 50, Steps: 20, Seed: 4}
	got, err := EvaluateSampler(ctx, e, test, ref, "ula:step=0.01", cfg)
	if err != nil {
		t.Fatal(err)
	}
	ss, _ := sample.Parse("ula:step=0.01", e)
	cfg.Kernel, cfg.Adapt = ss.Kernel, ss.Adapt
	want, err := Evaluate(ctx, e, test, ref, cfg)
	if err != nil || got.MMD2 != want.MMD2 || got.KSD != want.KSD {
		t.Fatalf("EvaluateSampler MMD² %v KSD %v, Evaluate %v %v (%v)", got.MMD2, got.KSD, want.MMD2, want.KSD, err)
	}
	if _, err := EvaluateSampler(ctx, e, test, ref, "nosuch", cfg); !spec.IsInvalid(err) {
		t.Fatalf("bad sampler: %v", err)
	}
}

// DensitySamples of a standard Gaussian: 2000 points whose coordinate means
// are within 5 standard errors (1/√2000 each, ignoring the small
// autocorrelation left after 500 adapted steps) of 0, the same for the same seed.
func TestDensitySamples(t *testing.T) {
	e, _ := energy.NewIsoGaussian([]float64{0, 0}, 1)
	s, err := DensitySamples(context.Background(), e, 3)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 2000 || s.Cols != 2 {
		t.Fatalf("shape %d×%d", s.Rows, s.Cols)
	}
	var m [2]float64
	for i, v := range s.Data {
		m[i%2] += v / 2000
	}
	for _, v := range m {
		if v > 5/44.7 || v < -5/44.7 {
			t.Errorf("mean %v", m)
		}
	}
	s2, _ := DensitySamples(context.Background(), e, 3)
	for i := range s.Data {
		if s.Data[i] != s2.Data[i] {
			t.Fatal("same seed, different samples")
		}
	}
}

func TestParseCompareMethods(t *testing.T) {
	if got := ParseCompareMethods(""); len(got) != len(CompareMethods) || got[0] != CompareMethods[0] {
		t.Fatalf("default list %v", got)
	}
	got := ParseCompareMethods("ssm;replay:sampler=mala,step=0.01")
	if len(got) != 2 || got[1] != "replay:sampler=mala,step=0.01" {
		t.Fatalf("%q", got)
	}
}
