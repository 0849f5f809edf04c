package rbm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

func toyUnits(n int) *data.UnitData {
	return &data.UnitData{Name: "toy", Train: toyData(n), Image: [2]int{2, 3}, Preprocessing: "as is"}
}

func toyJob(epochs int) rbm.TrainJob {
	return rbm.TrainJob{Visible: rbm.Bernoulli, Hidden: 2, Schedule: "constant", Samples: 8, SampleSteps: 40,
		Config: rbm.Config{Method: rbm.PCD, K: 1, Epochs: epochs, BatchSize: 10, LR: 0.1, Seed: 3}}
}

// The training job's metrics are the exact values of the trained model, the
// log has one line per epoch, and the saved folder evaluates to the same
// numbers.
func TestTrainRunSaveEvaluate(t *testing.T) {
	run, err := rbm.NewTrainRun(toyJob(5), toyUnits(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Fit(context.Background()); err != nil {
		t.Fatal(err)
	}
	ll, lz, err := run.Model.ExactLogLik(run.Data.Train)
	if err != nil {
		t.Fatal(err)
	}
	if run.Monitor.Name != "train" || run.Metrics["loglik_train"] != ll || run.Metrics["logz"] != lz {
		t.Errorf("metrics %v, exact loglik %v logz %v", run.Metrics, ll, lz)
	}
	// Log-probabilities and pseudo-log-likelihoods of discrete data are ≤ 0.
	if !(ll < 0) || !(run.Metrics["pl_train"] < 0) || run.Samples.Rows != 8 || run.Chains.Chains != 8 {
		t.Errorf("loglik %v pl %v samples %d", ll, run.Metrics["pl_train"], run.Samples.Rows)
	}
	if n := bytes.Count(run.Log, []byte("\n")); n != 5 {
		t.Errorf("log has %d lines, want 5", n)
	}
	if len(run.Model.Data.BaseBias) != 6 {
		t.Errorf("base-rate biases %v", run.Model.Data.BaseBias)
	}
	dir := t.TempDir()
	if err := run.Save(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"model.json", "model.safetensors", "metrics.jsonl", "samples.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	r, _, err := rbm.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := rbm.Evaluate(context.Background(), r, run.Data.Train, rbm.EvalJob{Method: "exact"})
	if err != nil {
		t.Fatal(err)
	}
	if rep["loglik_test"] != ll || rep["pl_test"] != run.Metrics["pl_train"] || rep["method"] != "exact" {
		t.Errorf("eval of the saved model %v, train metrics %v", rep, run.Metrics)
	}
	var buf bytes.Buffer
	rbm.WriteEval(&buf, dir, "toy", rep)
	if !strings.Contains(buf.String(), "loglik_test") || !strings.Contains(buf.String(), "(100 examples), exact:") {
		t.Errorf("WriteEval:\n%s", buf.String())
	}
}

// Forward AIS agrees with the exact log Z within 4 of its standard errors
// (plus the schedule's bias, which 2000 temperatures make negligible for 6
// units), and reverse AIS from exact samples is then near it too.
func TestEvaluateAISAgainstExact(t *testing.T) {
	run, err := rbm.NewTrainRun(toyJob(20), toyUnits(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Fit(context.Background()); err != nil {
		t.Fatal(err)
	}
	x := run.Data.Train
	job, err := rbm.ParseAIS("runs=200,betas=2000", 7)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := rbm.Evaluate(context.Background(), run.Model, x, job)
	if err != nil {
		t.Fatal(err)
	}
	lz := run.Metrics["logz"]
	got, se := rep["logz"].(float64), rep["logz_se"].(float64)
	up, seUp := rep["logz_upper"].(float64), rep["logz_upper_se"].(float64)
	if rep["method"] != "ais" || !(se > 0) || math.Abs(got-lz) > 4*se+1e-3 || math.Abs(up-lz) > 4*seUp+1e-3 {
		t.Errorf("AIS log Z %.4f ± %.4f, reverse %.4f ± %.4f, exact %.4f", got, se, up, seUp, lz)
	}
	if rep["logz_upper_start"] != "exact samples" {
		t.Errorf("reverse AIS started from %v", rep["logz_upper_start"])
	}
}

// Gaussian units see the training data standardized with its own mean and
// standard deviation, and the samples come back in the data's units.
func TestTrainRunGaussianStandardizes(t *testing.T) {
	x := tensor.New[float32](50, 3)
	for i := range x.Data {
		x.Data[i] = float32(10 + i%7)
	}
	job := toyJob(1)
	job.Visible, job.Config.LR = rbm.Gaussian, 0.01
	run, err := rbm.NewTrainRun(job, &data.UnitData{Name: "g", Train: x})
	if err != nil {
		t.Fatal(err)
	}
	_, mean, std := data.Standardize(x)
	for k := range mean {
		if run.Model.Data.Mean[k] != mean[k] || run.Model.Data.Std[k] != std[k] {
			t.Fatalf("standardization %v %v, want %v %v", run.Model.Data.Mean, run.Model.Data.Std, mean, std)
		}
	}
	if x.Data[0] != 10 {
		t.Error("NewTrainRun changed the caller's data")
	}
	if err := run.Fit(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := 0.0
	for _, v := range run.Samples.Data {
		m += float64(v) / float64(len(run.Samples.Data))
	}
	if m < 5 || m > 20 { // the data's values lie in [10, 16]
		t.Errorf("mean sample value %v is not in the data's units", m)
	}
}

// Bad settings are *spec.Error values naming the setting; bad data is a
// *DataSetError naming the set.
func TestJobRefusals(t *testing.T) {
	for _, c := range []struct {
		edit func(*rbm.TrainJob)
		name string
	}{
		{func(j *rbm.TrainJob) { j.Config.K = 0 }, "k 0"},
		{func(j *rbm.TrainJob) { j.Config.LR = math.NaN() }, "lr NaN"},
		{func(j *rbm.TrainJob) { j.Config.Momentum = 1 }, "momentum 1"},
		{func(j *rbm.TrainJob) { j.Config.VarLR = -1 }, "var-lr -1"},
		{func(j *rbm.TrainJob) { j.Samples = 0 }, "samples 0"},
	} {
		j := toyJob(1)
		c.edit(&j)
		err := j.Validate()
		if !spec.IsInvalid(err) || !strings.HasPrefix(err.Error(), c.name) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if err := toyJob(1).Validate(); err != nil {
		t.Errorf("valid job refused: %v", err)
	}
	if _, err := rbm.ParseSizes("3,0"); !spec.IsInvalid(err) {
		t.Errorf("ParseSizes(3,0): %v", err)
	}
	if _, err := rbm.ParseAIS("runs=1", 1); !spec.IsInvalid(err) {
		t.Errorf("ParseAIS(runs=1): %v", err)
	}
	d := toyUnits(20)
	d.Test = tensor.FromSlice(1, 6, []float32{0, 1, 0.5, 1, 0, 0})
	_, err := rbm.NewTrainRun(toyJob(1), d)
	var de *rbm.DataSetError
	if !errors.As(err, &de) || de.Set != "test" {
		t.Errorf("non-binary test set: %v", err)
	}
	j := toyJob(1)
	j.Schedule = "nonsense"
	if _, err := rbm.NewTrainRun(j, toyUnits(20)); !spec.IsInvalid(err) {
		t.Errorf("bad schedule: %v", err)
	}
}

// The DBN job trains every layer and reports the first layer's metrics.
func TestDBNRun(t *testing.T) {
	job := rbm.DBNJob{Hidden: []int{4, 2}, Schedule: "constant", Samples: 4, SampleSteps: 10,
		Config: rbm.Config{Method: rbm.CD, K: 1, Epochs: 2, BatchSize: 10, LR: 0.1, Seed: 1}}
	run, err := rbm.NewDBNRun(job, toyUnits(60))
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Fit(context.Background()); err != nil {
		t.Fatal(err)
	}
	ll, _, _ := run.Net.Layers[0].ExactLogLik(toyData(60))
	if run.Metrics["loglik_train_layer0"] != ll || bytes.Count(run.Log, []byte("\n")) != 4 || run.Samples.Rows != 4 {
		t.Errorf("metrics %v (exact %v), log %q", run.Metrics, ll, run.Log)
	}
	if err := run.Save(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}

// The FVBM job's training metrics equal the evaluation of the saved model.
func TestFVBMRun(t *testing.T) {
	x := tensor.Convert[float64](nil, toyData(40))
	run, err := rbm.NewFVBMRun(rbm.FVBMConfig{Method: rbm.FVBMExact, Epochs: 20, LR: 0.5, BatchSize: 1, Chains: 1, K: 1, Seed: 1}, "toy", x)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Fit(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := run.Save(dir); err != nil {
		t.Fatal(err)
	}
	m, _, err := rbm.LoadFVBM(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := rbm.EvaluateFVBM(m, x)
	if err != nil {
		t.Fatal(err)
	}
	if rep["loglik_test"] != run.Metrics["loglik_train"] || !(run.Metrics["loglik_train"] > -6*math.Ln2) {
		t.Errorf("eval %v, train %v", rep, run.Metrics)
	}
	if _, err := rbm.NewFVBMRun(rbm.FVBMConfig{Method: rbm.FVBMExact}, "wide", tensor.New[float64](2, 30)); err == nil {
		t.Error("exact training of 30 units accepted")
	}
}

// Train an RBM with the training job: fit, final metrics, samples, then the
// model folder.
func ExampleNewTrainRun() {
	job := rbm.TrainJob{Visible: rbm.Bernoulli, Hidden: 2, Schedule: "linear", Samples: 4, SampleSteps: 100,
		Config: rbm.Config{Method: rbm.PCD, K: 1, Epochs: 3, BatchSize: 10, LR: 0.1, Seed: 1}}
	run, err := rbm.NewTrainRun(job, &data.UnitData{Name: "toy", Train: toyData(100)})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := run.Fit(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "rbm")
	defer os.RemoveAll(dir)
	if err := run.Save(dir); err != nil {
		fmt.Println(err)
		return
	}
	rep := run.Report()
	fmt.Println(rep["n_visible"], rep["n_hidden"], rep["epochs"], run.Monitor.Name)
	_, exact := run.Metrics["loglik_train"]
	fmt.Println("exact log-likelihood:", exact)
	// Output:
	// 6 2 3 train
	// exact log-likelihood: true
}
