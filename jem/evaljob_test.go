package jem

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// jobClassifier is a float32 classifier of 2×2 images (4 inputs) into k
// classes, weights from seed.
func jobClassifier(t *testing.T, k int, seed uint64, image bool) *Classifier[float32] {
	t.Helper()
	net, err := nn.NewMLP[float32]([]int{4, 8, k}, nn.SiLU, nn.MLPOptions{}, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(net, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if image {
		c.Image = [2]int{2, 2}
	}
	return c
}

// jobData returns n rows of d values in [0, 1] with labels i mod k.
func jobData(name string, n, d, k int, seed uint64) *Labelled {
	rng := rand.New(rand.NewPCG(seed, 2))
	x := tensor.New[float64](n, d)
	for i := range x.Data {
		x.Data[i] = rng.Float64()
	}
	y := make([]int, n)
	for i := range y {
		y[i] = i % k
	}
	return &Labelled{Name: name, X: x, Y: y}
}

// TestEvalJob checks the report against figures recomputed from the
// scores (accuracy = share of argmax hits, NLL = mean −log p(y|x)), an OOD
// set identical to the data (AUROC exactly 0.5 for every score: all ties),
// reproducibility of the uniform noise by seed, and the plot file.
func TestEvalJob(t *testing.T) {
	m := jobClassifier(t, 3, 1, true)
	d := jobData("d", 60, 4, 3, 1)
	plot := filepath.Join(t.TempDir(), "rel.png")
	job := &EvalJob{Model: m, ModelName: "M", Data: d, DataName: "src", OOD: []*Labelled{d}, Uniform: 40, Seed: 7, Plot: plot}
	r, err := job.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Model != "M" || r.Data != "src" || r.Eval.N != 60 || len(r.Eval.Bins) != 15 || len(r.OOD) != 2 {
		t.Fatalf("report %+v", r)
	}
	s, err := Score(m, d.X)
	if err != nil {
		t.Fatal(err)
	}
	hits, nll := 0, 0.0
	for i, p := range s.Probs {
		best := 0
		for j := range p {
			if p[j] > p[best] {
				best = j
			}
		}
		if best == d.Y[i] {
			hits++
		}
		nll -= math.Log(p[d.Y[i]])
	}
	if acc := float64(hits) / 60; math.Abs(r.Eval.Accuracy-acc) > 1e-12 || math.Abs(r.Eval.NLL-nll/60) > 1e-9 {
		t.Errorf("accuracy %v NLL %v, recomputed %v %v", r.Eval.Accuracy, r.Eval.NLL, acc, nll/60)
	}
	if o := r.OOD[0]; o.Name != "d" || o.N != 60 || o.Energy != 0.5 || o.MaxProb != 0.5 || o.GradNorm != 0.5 {
		t.Errorf("OOD of the data itself: %+v, want AUROC 0.5", o)
	}
	if o := r.OOD[1]; o.Name != "uniform" || o.N != 40 {
		t.Errorf("uniform OOD %+v", o)
	}
	if _, err := os.Stat(plot); err != nil {
		t.Error("no plot:", err)
	}
	job.Plot = ""
	again, err := job.Run(context.Background())
	if err != nil || !reflect.DeepEqual(again.OOD, r.OOD) {
		t.Errorf("same seed, different report: %v %+v %+v", err, again.OOD, r.OOD)
	}
}

// TestEvalJobBadInput: rows of the wrong size and labels outside the
// classes are *FitErrors naming the input; nothing is written.
func TestEvalJobBadInput(t *testing.T) {
	m := jobClassifier(t, 3, 1, true)
	plot := filepath.Join(t.TempDir(), "rel.png")
	wide := jobData("wide.csv", 10, 5, 3, 1)
	labels := jobData("k5.csv", 10, 4, 5, 1)
	for _, c := range []struct {
		job         EvalJob
		input, want string
	}{
		{EvalJob{Model: m, Data: wide, Plot: plot}, "data", "wide.csv: 5 values per row, the model takes 2×2 images"},
		{EvalJob{Model: m, Data: labels, Plot: plot}, "data", "label 3, outside the 3 classes"},
		{EvalJob{Model: m, Data: jobData("d", 10, 4, 3, 1), OOD: []*Labelled{wide}, Plot: plot}, "ood", "wide.csv: 5 values"},
	} {
		_, err := c.job.Run(context.Background())
		var fe *FitError
		if !errors.As(err, &fe) || fe.Input != c.input || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want a FitError on %s containing %q", err, c.input, c.want)
		}
	}
	var de *DataError
	if _, err := (&EvalJob{Model: m, Data: labels}).Run(context.Background()); !errors.As(err, &de) {
		t.Errorf("label error %v does not unwrap to a *DataError", err)
	}
	if _, err := (&EvalJob{Model: m}).Run(context.Background()); err == nil {
		t.Error("no data: no error")
	}
	if _, err := os.Stat(plot); !os.IsNotExist(err) {
		t.Error("a failed evaluation wrote the plot")
	}
}

// TestSampleJob: the report's fields, agreements on the grid of
// 1/(classes·per-class), reproducibility by seed, the PNG, and JSON with the
// keys in name order (what a map of the same values gives).
func TestSampleJob(t *testing.T) {
	m := jobClassifier(t, 3, 1, true)
	base := jobClassifier(t, 3, 2, false)
	out := filepath.Join(t.TempDir(), "s.png")
	s := Sampler{Kind: "sgld", Step: 0.1, Noise: 0.01, Steps: 5}
	job := &SampleJob{Model: m, Baseline: base, ModelName: "M", BaselineName: "B", Data: jobData("d", 30, 4, 3, 1),
		Sampler: s, Init: InitClassGaussian, PerClass: 4, Seed: 3, Out: out}
	r, err := job.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.BaselineAgreement == nil || r.Model != "M" || r.Out != out || r.PerClass != 4 || r.Init != InitClassGaussian || r.Sampler != s {
		t.Fatalf("report %+v", r)
	}
	for _, a := range []float64{r.SelfAgreement, *r.BaselineAgreement} {
		if n := a * 12; a < 0 || a > 1 || math.Abs(n-math.Round(n)) > 1e-9 {
			t.Errorf("agreement %v is not a count out of 12", a)
		}
	}
	if _, err := os.Stat(out); err != nil {
		t.Error("no PNG:", err)
	}
	again, err := job.Run(context.Background())
	if err != nil || !reflect.DeepEqual(again, r) {
		t.Errorf("same seed, different report: %v %+v", err, again)
	}
	got, _ := json.Marshal(r)
	want, _ := json.Marshal(map[string]any{"model": "M", "per_class": 4, "sampler": s, "init": InitClassGaussian, "out": out,
		"self_agreement": r.SelfAgreement, "baseline_agreement": *r.BaselineAgreement})
	if string(got) != string(want) {
		t.Errorf("JSON\n%s\nwant\n%s", got, want)
	}
	job.Baseline = nil
	if r, err = job.Run(context.Background()); err != nil || r.BaselineAgreement != nil {
		t.Errorf("without a baseline: %v %+v", err, r)
	}
}

// TestSampleJobBadInput: a baseline of another shape, data that do not fit,
// a model without an image shape, bad settings: errors, no file written.
func TestSampleJobBadInput(t *testing.T) {
	m := jobClassifier(t, 3, 1, true)
	out := filepath.Join(t.TempDir(), "s.png")
	d := jobData("d", 30, 4, 3, 1)
	s := Sampler{Kind: "sgld", Step: 0.1, Noise: 0.01, Steps: 5}
	ok := SampleJob{Model: m, ModelName: "M", Data: d, Sampler: s, Init: InitUniform, PerClass: 2, Seed: 1, Out: out}
	for _, c := range []struct {
		edit        func(*SampleJob)
		input, want string
	}{
		{func(j *SampleJob) { j.Baseline, j.BaselineName = jobClassifier(t, 4, 2, true), "B" }, "baseline", "B: 4 inputs and 4 classes, the model 4 and 3"},
		{func(j *SampleJob) { j.Data = jobData("wide", 10, 5, 3, 1) }, "data", "the model takes 2×2 images"},
		{func(j *SampleJob) { j.Model = jobClassifier(t, 3, 1, false) }, "model", "M: the model was not trained on images"},
		{func(j *SampleJob) { j.PerClass = 0 }, "", "samples per class"},
		{func(j *SampleJob) { j.Init = "gauss" }, "", `init "gauss"`},
		{func(j *SampleJob) { j.Sampler.Steps = 0 }, "", "step"},
	} {
		j := ok
		c.edit(&j)
		_, err := j.Run(context.Background())
		var fe *FitError
		if err == nil || !strings.Contains(err.Error(), c.want) || (c.input != "") != errors.As(err, &fe) || (fe != nil && fe.Input != c.input) {
			t.Errorf("got %v, want an error (FitError on %q) containing %q", err, c.input, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a failed job wrote its PNG")
	}
}

// TestCheckSettings: the defaults pass; each bad setting fails in the
// documented order with a *spec.Error naming it.
func TestCheckSettings(t *testing.T) {
	if err := CheckSettings(DefaultConfig(), 10, 0, 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		edit                    func(*Config)
		perClass, limit, epochs int
		want                    string
	}{
		{func(c *Config) { c.Init = "gauss" }, 0, 0, 0, `init "gauss": want uniform or class-gaussian`},
		{func(c *Config) { c.Alpha = math.NaN() }, 0, 0, 0, "--alpha"},
		{func(c *Config) { c.LR = 0 }, 0, 0, 0, "--lr > 0"},
		{func(c *Config) { c.Reinit = 1.5 }, 0, 0, 0, "reinit 1.5: want a probability"},
		{func(c *Config) { c.Buffer = 0 }, 0, 0, 0, "--buffer must be ≥ 1"},
		{func(c *Config) {}, -1, 0, 0, "--samples-per-class"},
		{func(c *Config) {}, 0, -1, 0, "--limit"},
		{func(c *Config) {}, 0, 0, 2, "one of --iters or --epochs"},
		{func(c *Config) { c.Iters = 0 }, 0, 0, 0, "one of --iters or --epochs"},
		{func(c *Config) { c.Activation = "wobble" }, 0, 0, 0, `act: nn: unknown activation "wobble"`},
		{func(c *Config) { c.Init, c.Activation = "x", "wobble" }, 0, 0, 0, `init "x"`},
	} {
		cfg := DefaultConfig()
		c.edit(&cfg)
		err := CheckSettings(cfg, c.perClass, c.limit, c.epochs)
		if !spec.IsInvalid(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want a *spec.Error containing %q", err, c.want)
		}
	}
}

func TestParseHidden(t *testing.T) {
	if h, err := ParseHidden("256, 128"); err != nil || !reflect.DeepEqual(h, []int{256, 128}) {
		t.Errorf("ParseHidden: %v %v", h, err)
	}
	for _, s := range []string{"", "0", "64,a", "-3", "64,,64"} {
		if _, err := ParseHidden(s); err == nil {
			t.Errorf("ParseHidden(%q): no error", s)
		}
	}
}
