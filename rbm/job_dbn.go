package rbm

// The training and evaluation jobs of deep belief nets and fully visible
// Boltzmann machines (see job.go for the RBM's).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/tensor"
)

// DBNJob describes one run of the DBN training pipeline (NewDBNRun,
// DBNRun.Fit, DBNRun.Save): Bernoulli units, hidden layer sizes Hidden
// (bottom up), every layer trained greedily with the same Config (Schedule
// built from the spec Schedule when nil); Samples samples of SampleSteps
// sweeps in the top RBM for the picture; Limit is recorded in the data document.
type DBNJob struct {
	Hidden               []int
	Config               Config
	Schedule             string
	Samples, SampleSteps int
	Limit                int
}

// Validate checks the job's settings before any work (CheckSettings).
func (j DBNJob) Validate() error {
	return CheckSettings(j.Config, j.Limit, j.Samples, j.SampleSteps)
}

// DBNRun is one run of the DBN training pipeline.
type DBNRun struct {
	Job  DBNJob
	Net  *DBN
	Data *data.UnitData
	// Results holds each layer's fit; Metrics the first layer's finite
	// MonitorMetrics with the suffix _layer0; Log the lines of metrics.jsonl
	// (layer, epoch, lr, seconds); Samples the samples (DBN.Sample).
	Results []FitResult
	Metrics map[string]float64
	Log     []byte
	Samples *tensor.Dense[float32]
}

// NewDBNRun checks job against d and builds the net: the schedule (a
// *spec.Error), the sizes (a *SizeError) and the training data (a
// *DataSetError).
func NewDBNRun(job DBNJob, d *data.UnitData) (*DBNRun, error) {
	cfg, err := withSchedule(job.Config, job.Schedule, d.Train.Rows)
	if err != nil {
		return nil, err
	}
	job.Config = cfg
	net, err := NewDBN(Bernoulli, append([]int{d.Train.Cols}, job.Hidden...), cfg.Seed)
	if err != nil {
		return nil, err
	}
	net.Data = &DataInfo{Image: d.Image, Preprocessing: d.Preprocessing}
	if err := checkSet(net.Layers[0], d.Train, "train"); err != nil {
		return nil, err
	}
	return &DBNRun{Job: job, Net: net, Data: d}, nil
}

// Fit trains the layers greedily (DBN.Fit), then computes the first layer's
// metrics on the monitor set (MonitorSet) and draws the samples.
func (t *DBNRun) Fit(ctx context.Context) error {
	var lines bytes.Buffer
	res, err := t.Net.Fit(ctx, t.Data.Train, []Config{t.Job.Config}, func(l int, s EpochStats) error {
		js, _ := json.Marshal(map[string]any{"layer": l, "epoch": s.Epoch, "lr": s.LR, "seconds": s.Seconds})
		lines.Write(append(js, '\n'))
		return nil
	})
	if err != nil {
		return err
	}
	t.Results, t.Log = res, lines.Bytes()
	m, err := MonitorMetrics(t.Net.Layers[0], MonitorSet(t.Data))
	if err != nil {
		return err
	}
	t.Metrics = map[string]float64{}
	for k, v := range Finite(m) {
		t.Metrics[k+"_layer0"] = v
	}
	t.Samples, err = t.Net.Sample(t.Job.Samples, t.Job.SampleSteps, t.Job.Config.Seed)
	return err
}

// Save writes the model folder into dir (which must exist): model.json and
// model.safetensors (DBN.Save), metrics.jsonl and samples.png.
func (t *DBNRun) Save(dir string) error {
	dataJS, _ := json.Marshal(map[string]any{"name": t.Data.Name, "n_train": t.Data.Train.Rows, "limit": t.Job.Limit})
	meta := &model.Meta{Seed: t.Job.Config.Seed, Training: TrainingDoc(t.Job.Config, t.Job.Schedule), Data: dataJS, Metrics: t.Metrics}
	if err := t.Net.Save(dir, meta); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), t.Log, 0o644); err != nil {
		return err
	}
	return ImageGrid(filepath.Join(dir, "samples.png"), t.Samples, t.Data.Image)
}

// Report returns the run's report: sizes, epochs per layer, the mean seconds
// per epoch over all layers, the total training time and the metrics.
func (t *DBNRun) Report() map[string]any {
	total, epochs := 0.0, 0
	for _, r := range t.Results {
		total += r.Seconds
		epochs += r.Epochs
	}
	rep := map[string]any{"data": t.Data.Name, "sizes": t.Net.Sizes(), "n_train": t.Data.Train.Rows,
		"epochs": t.Job.Config.Epochs, "sec_per_epoch": total / float64(max(epochs, 1)), "train_seconds": total}
	for k, v := range t.Metrics {
		rep[k] = v
	}
	return rep
}

// WriteSummary writes the run for people: one line, then the metrics.
func (t *DBNRun) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "trained a DBN %v on %s: %d epochs per layer, %.3f s/epoch\n", t.Net.Sizes(), t.Data.Name,
		t.Job.Config.Epochs, t.Report()["sec_per_epoch"])
	WriteMetrics(w, t.Metrics)
}

// SampleImage draws n samples (Sample: steps Gibbs sweeps in the top RBM,
// then one top-down pass) and writes them to path as an image grid of the
// data's shape (ImageGrid).
func (d *DBN) SampleImage(path string, n, steps int, seed uint64) error {
	s, err := d.Sample(n, steps, seed)
	if err != nil {
		return err
	}
	var shape [2]int
	if d.Data != nil {
		shape = d.Data.Image
	}
	return ImageGrid(path, s, shape)
}

// FVBMRun is one run of the FVBM training pipeline (NewFVBMRun, Fit, Save).
type FVBMRun struct {
	Model  *FVBM
	Config FVBMConfig
	// Name is the data's source, recorded in the data document.
	Name string
	X    *tensor.Dense[float64]
	// Seconds is the training time; Metrics the finite metrics on the
	// training data (FVBMMetrics with the suffix "train"); Log the lines of
	// metrics.jsonl (one FVBMEpoch each).
	Seconds float64
	Metrics map[string]float64
	Log     []byte
}

// NewFVBMRun builds a zero FVBM for the columns of x (a *SizeError when too
// large) and checks that method FVBMExact can enumerate them (a *LimitError).
func NewFVBMRun(cfg FVBMConfig, name string, x *tensor.Dense[float64]) (*FVBMRun, error) {
	if cfg.Method == FVBMExact && x.Cols > MaxFVBMEnumerate {
		return nil, &LimitError{What: "exact training", Units: x.Cols, Limit: MaxFVBMEnumerate}
	}
	m, err := NewFVBM(x.Cols)
	if err != nil {
		return nil, err
	}
	return &FVBMRun{Model: m, Config: cfg, Name: name, X: x}, nil
}

// FVBMMetrics returns pl_SET, the mean pseudo-log-likelihood of x, and, when
// d ≤ MaxFVBMEnumerate, loglik_SET and logz exactly.
func FVBMMetrics(m *FVBM, x *tensor.Dense[float64], set string) (map[string]float64, error) {
	pl, err := m.PseudoLogLik(x)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{"pl_" + set: meanOf(pl)}
	if x.Cols <= MaxFVBMEnumerate {
		ll, lz, err := m.ExactLogLik(x)
		if err != nil {
			return nil, err
		}
		out["loglik_"+set], out["logz"] = ll, lz
	}
	return out, nil
}

// Fit trains the model (FVBM.Fit), logging every epoch, and computes the
// metrics on the training data.
func (t *FVBMRun) Fit(ctx context.Context) error {
	var lines bytes.Buffer
	start := time.Now()
	err := t.Model.Fit(ctx, t.X, t.Config, func(e FVBMEpoch) error {
		js, _ := json.Marshal(e)
		lines.Write(append(js, '\n'))
		return nil
	})
	if err != nil {
		return err
	}
	t.Seconds, t.Log = time.Since(start).Seconds(), lines.Bytes()
	m, err := FVBMMetrics(t.Model, t.X, "train")
	t.Metrics = Finite(m)
	return err
}

// Save writes the model folder into dir (which must exist): model.json and
// model.safetensors (FVBM.Save) and metrics.jsonl.
func (t *FVBMRun) Save(dir string) error {
	c := t.Config
	tr := map[string]any{"method": c.Method.String(), "epochs": c.Epochs, "batch": c.BatchSize, "lr": c.LR,
		"weight_decay": c.WeightDecay, "chains": c.Chains, "k": c.K, "seed": c.Seed}
	if c.Method == FVBMKLC {
		tr["eps"], tr["start_clean"] = c.Eps, c.StartClean
	}
	trainJS, _ := json.Marshal(tr)
	dataJS, _ := json.Marshal(map[string]any{"name": t.Name, "n_train": t.X.Rows})
	if err := t.Model.Save(dir, &model.Meta{Seed: c.Seed, Training: trainJS, Data: dataJS, Metrics: t.Metrics}); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "metrics.jsonl"), t.Log, 0o644)
}

// Report returns the run's report: sizes, method, seconds per epoch, metrics.
func (t *FVBMRun) Report() map[string]any {
	rep := map[string]any{"data": t.Name, "d": t.X.Cols, "n_train": t.X.Rows, "method": t.Config.Method.String(),
		"epochs": t.Config.Epochs, "sec_per_epoch": t.Seconds / float64(t.Config.Epochs)}
	for k, v := range t.Metrics {
		rep[k] = v
	}
	return rep
}

// WriteSummary writes the run for people: one line, then the metrics.
func (t *FVBMRun) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "trained a %d-unit FVBM on %s by %s in %.2fs\n", t.X.Cols, t.Name, t.Config.Method, t.Seconds)
	WriteMetrics(w, t.Metrics)
}

// EvaluateFVBM returns the evaluation report of m on x: n_test, d, pl_test
// and, when d ≤ MaxFVBMEnumerate, loglik_test and logz (FVBMMetrics). Data
// with another number of columns gives a *DataSetError (Set "test").
func EvaluateFVBM(m *FVBM, x *tensor.Dense[float64]) (map[string]any, error) {
	if x.Cols != m.Dim() {
		return nil, &DataSetError{Set: "test", Err: &DataError{-1, -1, fmt.Sprintf("data has %d columns; the model has %d units", x.Cols, m.Dim())}}
	}
	mt, err := FVBMMetrics(m, x, "test")
	if err != nil {
		return nil, err
	}
	rep := map[string]any{"n_test": x.Rows, "d": x.Cols}
	for k, v := range mt {
		rep[k] = v
	}
	return rep, nil
}
