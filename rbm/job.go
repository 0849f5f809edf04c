package rbm

// The jobs of the Boltzmann machines, end to end: train (read units →
// standardize Gaussian visibles → fit with per-epoch metrics → base rates →
// samples picture → save), evaluate and sample. The ebm command line is a thin
// layer over these.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/spec"
	"github.com/ebm-go/ebm/tensor"
)

// MaxMonitorRows is the largest number of training rows the metrics of a
// training job are computed on when there is no test set.
const MaxMonitorRows = 10000

// TrainJob describes one run of the RBM training pipeline (NewTrainRun,
// TrainRun.Fit, TrainRun.Save).
type TrainJob struct {
	// Visible is the type of the visible units; Hidden the number of hidden units.
	Visible Visible
	Hidden  int
	// Config is the training configuration; its Schedule, when nil, is built
	// from the spec Schedule by ParseSchedule once the data size is known.
	Config   Config
	Schedule string
	// Samples chains run SampleSteps Gibbs sweeps each for the samples picture.
	Samples, SampleSteps int
	// Limit and TestName (the source of a separate test set) are recorded in
	// the data document of the saved model.
	Limit    int
	TestName string
}

// Validate checks the job's settings before any work; an error is a
// *spec.Error naming the setting and its value (see CheckSettings).
func (j TrainJob) Validate() error {
	return CheckSettings(j.Config, j.Limit, j.Samples, j.SampleSteps)
}

// CheckSettings checks the settings of a training job before any work: k,
// epochs and batch ≥ 1; lr finite and > 0; 0 ≤ momentum < 1; weight-decay
// and var-lr finite and ≥ 0; chains and limit ≥ 0; samples and sample-steps
// ≥ 1. NaN fails every test. An error is a *spec.Error whose Where names the
// setting and its value.
func CheckSettings(c Config, limit, samples, sampleSteps int) error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case c.K < 1:
		return spec.Errorf(fmt.Sprint("k ", c.K), "need at least one Gibbs sweep")
	case c.Epochs < 1:
		return spec.Errorf(fmt.Sprint("epochs ", c.Epochs), "need at least 1")
	case c.BatchSize < 1:
		return spec.Errorf(fmt.Sprint("batch ", c.BatchSize), "need at least 1")
	case !(c.LR > 0) || !finite(c.LR):
		return spec.Errorf(fmt.Sprint("lr ", c.LR), "need a finite number > 0")
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return spec.Errorf(fmt.Sprint("momentum ", c.Momentum), "need 0 ≤ momentum < 1")
	case !(c.WeightDecay >= 0) || !finite(c.WeightDecay):
		return spec.Errorf(fmt.Sprint("weight-decay ", c.WeightDecay), "need a finite number ≥ 0")
	case c.Chains < 0:
		return spec.Errorf(fmt.Sprint("chains ", c.Chains), "need ≥ 0")
	case limit < 0:
		return spec.Errorf(fmt.Sprint("limit ", limit), "need ≥ 0 (0 keeps everything)")
	case samples < 1 || sampleSteps < 1:
		return spec.Errorf(fmt.Sprintf("samples %d --sample-steps %d", samples, sampleSteps), "need at least 1 each")
	case !(c.VarLR >= 0) || !finite(c.VarLR):
		return spec.Errorf(fmt.Sprint("var-lr ", c.VarLR), "need a finite number > 0 (or 0 for lr/10)")
	}
	return nil
}

// ParseSizes parses comma-separated positive layer sizes such as "32,16"; an
// error is a *spec.Error.
func ParseSizes(s string) ([]int, error) {
	var hs []int
	for _, f := range strings.Split(s, ",") {
		h, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || h < 1 {
			return nil, spec.Errorf(fmt.Sprintf("hidden %q", s), "need positive integers (got %q)", f)
		}
		hs = append(hs, h)
	}
	return hs, nil
}

// DataSetError is a *DataError about one data set of a job; Set is "train" or
// "test".
type DataSetError struct {
	Set string
	Err *DataError
}

func (e *DataSetError) Error() string { return e.Err.Error() }

// Unwrap returns the *DataError.
func (e *DataSetError) Unwrap() error { return e.Err }

// checkSet wraps a *DataError from CheckData with the set's name.
func checkSet(r *RBM, x *tensor.Dense[float32], set string) error {
	err := r.CheckData(x, false)
	var de *DataError
	if errors.As(err, &de) {
		return &DataSetError{Set: set, Err: de}
	}
	return err
}

// Monitor is the data set the metrics of a training job are computed on, with
// its name: the test set ("test"), or else the training set ("train"), cut to
// its first MaxMonitorRows rows ("train_first10000") when longer.
type Monitor struct {
	X    *tensor.Dense[float32]
	Name string
}

// MonitorSet returns the monitor set of d.
func MonitorSet(d *data.UnitData) Monitor {
	if d.Test != nil {
		return Monitor{d.Test, "test"}
	}
	x := d.Train
	if x.Rows > MaxMonitorRows {
		return Monitor{tensor.FromSlice(MaxMonitorRows, x.Cols, x.Data[:MaxMonitorRows*x.Cols]), fmt.Sprintf("train_first%d", MaxMonitorRows)}
	}
	return Monitor{x, "train"}
}

// CheapExact reports whether exact log Z is cheap enough to compute every
// epoch: the enumerated layer (the smaller one; the hidden one for Gaussian
// units) has k ≤ 20 units and 2^k·max(V, H) ≤ 10⁸.
func CheapExact(r *RBM) bool {
	k := min(r.NumVisible(), r.NumHidden())
	if r.Visible == Gaussian {
		k = r.NumHidden()
	}
	return k <= 20 && float64(int(1)<<k)*float64(max(r.NumVisible(), r.NumHidden())) <= 1e8
}

// MonitorMetrics returns the metrics of r on mon, keyed by the set's name:
// pl_NAME, the mean exact pseudo-log-likelihood (all visible units flipped;
// Bernoulli units only) and pl_NAME_per_dim = pl_NAME / V; and, when
// CheapExact, loglik_NAME = mean(−F(v)) − log Z and logz, exactly.
func MonitorMetrics(r *RBM, mon Monitor) (map[string]float64, error) {
	m := map[string]float64{}
	if r.Visible == Bernoulli {
		pl, err := r.PseudoLogLik(mon.X)
		if err != nil {
			return nil, err
		}
		m["pl_"+mon.Name] = meanOf(pl)
		m["pl_"+mon.Name+"_per_dim"] = meanOf(pl) / float64(r.NumVisible())
	}
	if CheapExact(r) {
		ll, lz, err := r.ExactLogLik(mon.X)
		if err != nil {
			return nil, err
		}
		m["loglik_"+mon.Name], m["logz"] = ll, lz
	}
	return m, nil
}

// Finite returns the finite entries of m (JSON cannot hold NaN or ±Inf).
func Finite(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[k] = v
		}
	}
	return out
}

// WriteMetrics writes the float64 entries of m, sorted by key, one a line as
// "  KEY VALUE" with the value to four decimals.
func WriteMetrics[V any](w io.Writer, m map[string]V) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if f, ok := any(m[k]).(float64); ok {
			fmt.Fprintf(w, "  %-28s %.4f\n", k, f)
		}
	}
}

// ImageGrid writes the rows of s to a PNG file as a square-ish grid of images
// of the given (height, width), or of one row of pixels each when the shape
// does not fit; 8 screen pixels per value for images up to 8 rows high, else 4.
func ImageGrid(path string, s *tensor.Dense[float32], shape [2]int) error {
	h, w := shape[0], shape[1]
	if h*w != s.Cols {
		h, w = 1, s.Cols
	}
	scale := 4
	if h <= 8 {
		scale = 8
	}
	return plot.ImageGrid(path, tensor.Convert[float64](nil, s), h, w, int(math.Ceil(math.Sqrt(float64(s.Rows)))), scale)
}

// TrainingDoc returns the training document of a saved model: cfg's settings,
// the schedule spec and the initialization.
func TrainingDoc(cfg Config, schedule string) json.RawMessage {
	js, _ := json.Marshal(map[string]any{
		"method": cfg.Method.String(), "k": cfg.K, "epochs": cfg.Epochs, "lr": cfg.LR, "batch": cfg.BatchSize,
		"momentum": cfg.Momentum, "weight_decay": cfg.WeightDecay, "schedule": schedule,
		"chains": cfg.Chains, "shuffle": cfg.Shuffle, "learn_var": cfg.LearnVar, "var_lr": cfg.VarLR,
		"seed": cfg.Seed, "init": fmt.Sprintf("W ~ N(0, %g^2), biases 0", InitStd),
	})
	return js
}

// withSchedule returns cfg with its Schedule parsed from spec for n training
// rows when it is nil. Errors are *spec.Error values.
func withSchedule(cfg Config, spec string, n int) (Config, error) {
	if cfg.Schedule != nil {
		return cfg, nil
	}
	if spec == "" {
		spec = "constant"
	}
	sc, err := ParseSchedule(spec, cfg.LR, Batches(n, cfg.BatchSize), cfg.Epochs)
	cfg.Schedule = sc
	return cfg, err
}

// TrainRun is one run of the RBM training pipeline: NewTrainRun checks the job
// and builds the model, Fit trains it and computes the final metrics and the
// samples, Save writes the model folder.
type TrainRun struct {
	Job   TrainJob
	Model *RBM
	// Data is the training data as the model sees it (standardized for
	// Gaussian units); Monitor the set the metrics are computed on.
	Data    *data.UnitData
	Monitor Monitor
	// Result is the fit's summary; Metrics the final finite metrics: those of
	// MonitorMetrics, recon_error_NAME, gibbs_rhat and gibbs_ess_bulk.
	Result  FitResult
	Metrics map[string]float64
	// Log holds metrics.jsonl: one JSON object per epoch with epoch, lr,
	// seconds, recon_error and the MonitorMetrics.
	Log []byte
	// Samples holds E[v | h] of the last Gibbs sweep of each sampling chain,
	// in the data's units; Chains their diagnostics.
	Samples *tensor.Dense[float32]
	Chains  ChainDiagnostics
}

// NewTrainRun checks job against d and builds the model: the schedule (a
// *spec.Error), the size (a *SizeError), and every value of the training and
// test sets (a *DataSetError). Gaussian visible units get d's training data
// standardized per column, z = (x − mean)/std with the training set's mean
// and std (kept in Model.Data), and the test set standardized alike. d is not
// changed.
func NewTrainRun(job TrainJob, d *data.UnitData) (*TrainRun, error) {
	cfg, err := withSchedule(job.Config, job.Schedule, d.Train.Rows)
	if err != nil {
		return nil, err
	}
	job.Config = cfg
	r, err := New(job.Visible, d.Train.Cols, job.Hidden, cfg.Seed)
	if err != nil {
		return nil, err
	}
	r.Data = &DataInfo{Image: d.Image, Preprocessing: d.Preprocessing}
	dd := *d
	if job.Visible == Gaussian {
		dd.Train, r.Data.Mean, r.Data.Std = data.Standardize(d.Train)
		if d.Test != nil {
			dd.Test = data.StandardizeWith(d.Test, r.Data.Mean, r.Data.Std)
		}
	}
	if err := checkSet(r, dd.Train, "train"); err != nil {
		return nil, err
	}
	if dd.Test != nil {
		if err := checkSet(r, dd.Test, "test"); err != nil {
			return nil, err
		}
	}
	return &TrainRun{Job: job, Model: r, Data: &dd, Monitor: MonitorSet(&dd)}, nil
}

// Fit trains the model by Job.Config (reconstruction error tracked), logging
// every epoch's metrics, then computes the final metrics, the base-rate biases
// of the training data for AIS (Bernoulli units; BaseRateBias with smoothing
// 1) and the samples with their diagnostics (SampleDiagnosed with the
// training seed).
func (t *TrainRun) Fit(ctx context.Context) error {
	r, mon, cfg := t.Model, t.Monitor, t.Job.Config
	cfg.TrackRecon = true
	var lines bytes.Buffer
	res, err := r.Fit(ctx, t.Data.Train, cfg, func(s EpochStats) error {
		m, err := MonitorMetrics(r, mon)
		if err != nil {
			return err
		}
		row := map[string]any{"epoch": s.Epoch, "lr": s.LR, "seconds": s.Seconds, "recon_error": s.ReconError}
		for k, v := range m {
			row[k] = v
		}
		js, _ := json.Marshal(row)
		lines.Write(append(js, '\n'))
		return nil
	})
	if err != nil {
		return err
	}
	t.Result, t.Log = res, lines.Bytes()
	metrics, err := MonitorMetrics(r, mon)
	if err != nil {
		return err
	}
	if re, err := r.ReconError(mon.X); err == nil {
		metrics["recon_error_"+mon.Name] = re
	}
	if r.Visible == Bernoulli {
		if r.Data.BaseBias, err = BaseRateBias(t.Data.Train, 1); err != nil {
			return err
		}
	}
	if t.Samples, t.Chains, err = r.SampleDiagnosed(t.Job.Samples, t.Job.SampleSteps, cfg.Seed); err != nil {
		return err
	}
	metrics["gibbs_rhat"], metrics["gibbs_ess_bulk"] = t.Chains.Rhat, t.Chains.ESSBulk
	t.Metrics = Finite(metrics)
	r.Data.Unstandardize(t.Samples)
	return nil
}

// Save writes the model folder into dir (which must exist): model.json and
// model.safetensors (Save, with the training and data documents and the
// metrics), metrics.jsonl and samples.png.
func (t *TrainRun) Save(dir string) error {
	d := t.Data
	dataJS, _ := json.Marshal(map[string]any{"name": d.Name, "n_train": d.Train.Rows, "limit": t.Job.Limit,
		"preprocessing": d.Preprocessing, "test": t.Job.TestName, "metrics_on": t.Monitor.Name})
	meta := &model.Meta{Seed: t.Job.Config.Seed, Training: TrainingDoc(t.Job.Config, t.Job.Schedule), Data: dataJS, Metrics: t.Metrics}
	if err := t.Model.Save(dir, meta); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), t.Log, 0o644); err != nil {
		return err
	}
	return ImageGrid(filepath.Join(dir, "samples.png"), t.Samples, d.Image)
}

// Report returns the run's report: the model and data sizes, the method,
// timings and the final metrics.
func (t *TrainRun) Report() map[string]any {
	r, cfg := t.Model, t.Job.Config
	rep := map[string]any{"data": t.Data.Name, "visible": r.Visible.String(), "n_visible": r.NumVisible(),
		"n_hidden": r.NumHidden(), "n_train": t.Data.Train.Rows, "method": cfg.Method.String(), "k": cfg.K,
		"epochs": t.Result.Epochs, "sec_per_epoch": t.Result.SecPerEpoch, "train_seconds": t.Result.Seconds}
	for k, v := range t.Metrics {
		rep[k] = v
	}
	return rep
}

// WriteSummary writes the run for people: one line on the model and the
// training, then the metrics.
func (t *TrainRun) WriteSummary(w io.Writer) {
	r, cfg := t.Model, t.Job.Config
	fmt.Fprintf(w, "trained a %d×%d %s RBM on %s (%d examples) by %s-%d: %d epochs, %.3f s/epoch\n",
		r.NumVisible(), r.NumHidden(), r.Visible, t.Data.Name, t.Data.Train.Rows, strings.ToUpper(cfg.Method.String()),
		cfg.K, t.Result.Epochs, t.Result.SecPerEpoch)
	WriteMetrics(w, t.Metrics)
}

// EvalJob chooses how Evaluate estimates log Z: Method "exact" enumerates the
// smaller layer (at most MaxEnumerate units; a *LimitError otherwise), "ais"
// runs forward and reverse AIS with Runs runs over Betas temperatures, and ""
// picks exact when it is possible and AIS otherwise (with Runs and Betas,
// or 100 and 14500 when they are 0).
type EvalJob struct {
	Method      string
	Runs, Betas int
	Seed        uint64
}

// ParseAIS parses the AIS settings "runs=R,betas=B" (defaults 100 and 14500,
// the Salakhutdinov-Murray schedule) into an EvalJob of method "ais"; runs
// must be ≥ 2 and betas ≥ 3. Errors are *spec.Error values.
func ParseAIS(s string, seed uint64) (EvalJob, error) {
	job := EvalJob{Method: "ais", Seed: seed}
	sp, err := spec.Parse("ais", "ais:"+s)
	if err == nil {
		job.Runs, err = sp.Int("runs", 100)
	}
	if err == nil {
		job.Betas, err = sp.Int("betas", 14500)
	}
	if err == nil {
		err = sp.CheckUnused()
	}
	if err == nil && (job.Runs < 2 || job.Betas < 3) {
		err = spec.Errorf(fmt.Sprintf("ais runs=%d,betas=%d", job.Runs, job.Betas), "need runs ≥ 2 and betas ≥ 3")
	}
	return job, err
}

// Evaluate returns the evaluation report of r on x (in the data's units;
// standardized here with r.Data's mean and std when the model has them):
//
//	loglik_test = mean log p(v) = mean(−F(v)) − log Z, and logz, exactly
//	  (method "exact"), or with forward AIS's log Z from the base-rate RBM
//	  (Salakhutdinov & Murray 2008) with logz_se = loglik_test_se and logz_ess,
//	  and reverse AIS from x (Burda, Grosse & Salakhutdinov 2015; seed + 1)
//	  as logz_upper, logz_upper_se and logz_upper_start;
//	pl_test and pl_test_per_dim, the exact pseudo-log-likelihood (Bernoulli);
//	n_test, n_visible, n_hidden, visible, method, seconds.
//
// Data that r cannot use gives a *DataSetError (Set "test").
func Evaluate(ctx context.Context, r *RBM, x *tensor.Dense[float32], job EvalJob) (map[string]any, error) {
	if r.Data != nil && r.Data.Mean != nil {
		x = data.StandardizeWith(x, r.Data.Mean, r.Data.Std)
	}
	if err := checkSet(r, x, "test"); err != nil {
		return nil, err
	}
	small := min(r.NumVisible(), r.NumHidden()) <= MaxEnumerate
	if r.Visible == Gaussian {
		small = r.NumHidden() <= MaxEnumerate
	}
	if job.Method == "exact" && !small {
		_, err := r.ExactLogZ()
		return nil, err
	}
	start := time.Now()
	rep := map[string]any{"n_test": x.Rows, "n_visible": r.NumVisible(), "n_hidden": r.NumHidden(), "visible": r.Visible.String()}
	if r.Data != nil && r.Data.Mean != nil {
		rep["loglik_units"] = "density of the standardized data (add −Σ log data_std for the data's own units)"
	}
	if job.Method == "exact" || (job.Method == "" && small) {
		ll, lz, err := r.ExactLogLik(x)
		if err != nil {
			return nil, err
		}
		rep["method"], rep["loglik_test"], rep["logz"] = "exact", ll, lz
	} else {
		cfg := AISConfig{Runs: cmp.Or(job.Runs, 100), NumBetas: cmp.Or(job.Betas, 14500), Seed: job.Seed}
		if r.Data != nil {
			cfg.BaseBias = r.Data.BaseBias
		}
		if cfg.BaseBias == nil {
			cfg.BaseData = x
		}
		fwd, err := r.AIS(ctx, cfg)
		if err != nil {
			return nil, err
		}
		cfg.Start, cfg.Seed = x, job.Seed+1
		rev, err := r.ReverseAIS(ctx, cfg)
		if err != nil {
			return nil, err
		}
		lp, err := r.LogProb(x, fwd.LogZ)
		if err != nil {
			return nil, err
		}
		rep["method"] = "ais"
		rep["loglik_test"], rep["loglik_test_se"] = meanOf(lp), fwd.SE
		rep["logz"], rep["logz_se"], rep["logz_ess"] = fwd.LogZ, fwd.SE, fwd.ESS
		rep["logz_upper"], rep["logz_upper_se"], rep["logz_upper_start"] = rev.LogZ, rev.SE, rev.Start
		rep["ais_runs"], rep["ais_betas"] = fwd.Runs, fwd.Betas
	}
	if r.Visible == Bernoulli {
		pl, err := r.PseudoLogLik(x)
		if err != nil {
			return nil, err
		}
		rep["pl_test"], rep["pl_test_per_dim"] = meanOf(pl), meanOf(pl)/float64(r.NumVisible())
	}
	rep["seconds"] = time.Since(start).Seconds()
	return rep, nil
}

// WriteEval writes an Evaluate report for people: a title line naming the
// model folder, the data and the method, the numbers sorted by key, and where
// reverse AIS started.
func WriteEval(w io.Writer, dir, source string, rep map[string]any) {
	fmt.Fprintf(w, "%s on %s (%d examples), %s:\n", dir, source, rep["n_test"], rep["method"])
	WriteMetrics(w, rep)
	if st, ok := rep["logz_upper_start"]; ok {
		fmt.Fprintf(w, "  reverse AIS started from %s\n", st)
	}
}

// SampleImage runs n block-Gibbs chains from random states for steps sweeps
// (SampleDiagnosed), maps E[v | h] of the last sweep back to the data's units
// and writes it to path as an image grid of the data's shape (ImageGrid).
func (r *RBM) SampleImage(path string, n, steps int, seed uint64) (ChainDiagnostics, error) {
	s, cd, err := r.SampleDiagnosed(n, steps, seed)
	if err != nil {
		return cd, err
	}
	var shape [2]int
	if r.Data != nil {
		r.Data.Unstandardize(s)
		shape = r.Data.Image
	}
	return cd, ImageGrid(path, s, shape)
}
