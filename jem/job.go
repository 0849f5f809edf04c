package jem

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/train"
)

// Job is a training run with its evaluation and figures, what `ebm jem
// train` does: train on Data, evaluate on Test (if any), draw
// SamplesPerClass class-conditional samples with SampleSampler from the
// buffer's initial distribution.
type Job struct {
	Config          Config
	Data, Test      *Labelled
	SamplesPerClass int
	SampleSampler   Sampler
	Bins            int // calibration bins (0: 15)

	metrics bytes.Buffer
	res     *Result
	rep     *Report
	samples *samplesOut
}

type samplesOut struct {
	x *Labelled
}

// Report is the JSON summary of a Job.
type Report struct {
	Data            string          `json:"data"`
	Test            string          `json:"test,omitempty"`
	Classes         int             `json:"classes"`
	TrainRows       int             `json:"train_rows"`
	Weight          float64         `json:"weight"`
	Sampler         Sampler         `json:"sampler"`
	Init            string          `json:"init,omitempty"`
	Iters           int             `json:"iters"`
	Batch           int             `json:"batch"`
	Seconds         float64         `json:"seconds"`
	SecondsPerEpoch float64         `json:"seconds_per_epoch"`
	SamplingShare   float64         `json:"sampling_share"`
	Retries         int             `json:"rollbacks"`
	Eval            *Classification `json:"test_eval,omitempty"`
	SampleAgreement float64         `json:"sample_self_agreement,omitempty"`
}

// Fit trains and evaluates.
func (j *Job) Fit(ctx context.Context) error {
	cfg := j.Config
	user := cfg.Metrics
	enc := json.NewEncoder(&j.metrics)
	cfg.Metrics = func(m train.Metrics) {
		_ = enc.Encode(m)
		if user != nil {
			user(m)
		}
	}
	if cfg.Box == nil && j.Data.Box != nil {
		cfg.Box = j.Data.Box
	}
	k := j.Data.Classes()
	if j.Test != nil {
		if err := CheckLabels(j.Test.X, j.Test.Y, k, "test data"); err != nil {
			return err
		}
		if j.Test.X.Cols != j.Data.X.Cols {
			return &DataError{fmt.Sprintf("test data has %d values per row, the training data %d", j.Test.X.Cols, j.Data.X.Cols)}
		}
	}
	timer := &samplingTimer{}
	if cfg.Weight > 0 {
		cfg.sampleHook = timer
	}
	t0 := time.Now()
	res, err := Train(ctx, j.Data.X, j.Data.Y, k, cfg)
	if err != nil {
		return err
	}
	res.Model.ClassNames, res.Model.Image = j.Data.ClassNames, j.Data.Image
	if len(res.Model.ClassNames) != k {
		res.Model.ClassNames = nil
	}
	j.res = res
	perEpoch := float64(j.Data.X.Rows) / float64(cfg.Batch)
	if cfg.Batch == 0 {
		perEpoch = float64(j.Data.X.Rows) / float64(DefaultConfig().Batch)
	}
	r := &Report{Data: j.Data.Name, Classes: k, TrainRows: j.Data.X.Rows, Weight: cfg.Weight, Iters: res.Loop.Iters,
		Batch: max(cfg.Batch, 1), Seconds: time.Since(t0).Seconds(), Retries: res.Loop.Retries}
	if res.Loop.ItersPerSec > 0 {
		r.SecondsPerEpoch = perEpoch / res.Loop.ItersPerSec
	}
	if res.Loop.Seconds > 0 {
		r.SamplingShare = timer.total.Seconds() / res.Loop.Seconds
	}
	if cfg.Weight > 0 {
		r.Sampler, r.Init = cfg.Sampler, cfg.Init
		if r.Sampler == (Sampler{}) {
			r.Sampler = DefaultSampler()
		}
	}
	if j.Test != nil {
		s, err := Score(res.Model, j.Test.X)
		if err != nil {
			return err
		}
		bins := j.Bins
		if bins <= 0 {
			bins = 15
		}
		if r.Eval, err = Classify(s, j.Test.Y, bins); err != nil {
			return err
		}
		r.Test = j.Test.Name
	}
	if j.SamplesPerClass > 0 {
		box := cfg.Box
		if box == nil {
			box = DataBox(j.Data.X)
		}
		init := &Replay{Init: cfg.Init, Box: box, Sampler: j.SampleSampler}
		if err := init.Fit(j.Data.X, j.Data.Y, k); err != nil {
			return err
		}
		x, y, err := SampleClasses(res.Model, init, j.SampleSampler, j.SamplesPerClass, cfg.Seed)
		if err != nil {
			return err
		}
		if r.SampleAgreement, err = Agreement(res.Model, x, y); err != nil {
			return err
		}
		j.samples = &samplesOut{x: &Labelled{X: x, Y: y, Box: box}}
	}
	j.rep = r
	return nil
}

// Report returns the summary (nil before Fit).
func (j *Job) Report() *Report { return j.rep }

// Model returns the trained classifier (nil before Fit).
func (j *Job) Model() *Classifier[float32] {
	if j.res == nil {
		return nil
	}
	return j.res.Model
}

// Save writes the model folder dir: model.json and model.safetensors,
// metrics.jsonl, report.json, reliability.png (with test data) and
// samples.png (image data with samples).
func (j *Job) Save(dir string, seed uint64) error {
	if j.res == nil {
		return fmt.Errorf("jem: Save before Fit")
	}
	tr, _ := json.Marshal(j.rep)
	dd, _ := json.Marshal(map[string]any{"data": j.Data.Name, "rows": j.Data.X.Rows, "test": j.rep.Test})
	meta := &model.Meta{Seed: seed, Training: tr, Data: dd}
	if e := j.rep.Eval; e != nil {
		meta.Metrics = map[string]float64{"accuracy": e.Accuracy, "nll": e.NLL, "ece": e.ECE}
	}
	if err := j.res.Model.Save(dir, meta); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), j.metrics.Bytes(), 0o666); err != nil {
		return err
	}
	rep, err := json.MarshalIndent(j.rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(rep, '\n'), 0o666); err != nil {
		return err
	}
	if j.rep.Eval != nil {
		if err := ReliabilityPNG(filepath.Join(dir, "reliability.png"), "reliability on "+j.rep.Test, j.rep.Eval); err != nil {
			return err
		}
	}
	if j.samples != nil && j.Data.Image != [2]int{} {
		lo, hi := 0.0, 1.0
		if j.Data.Box != nil && len(j.Data.Box.Lo) == 1 {
			lo, hi = j.Data.Box.Lo[0], j.Data.Box.Hi[0]
		}
		if err := SamplesPNG(filepath.Join(dir, "samples.png"), j.samples.x.X, j.Data.Image[0], j.Data.Image[1], j.SamplesPerClass, lo, hi); err != nil {
			return err
		}
	}
	return nil
}

// samplingTimer sums the time spent drawing negatives.
type samplingTimer struct{ total time.Duration }
