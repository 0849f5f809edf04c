package jem

// The evaluation and sampling jobs of a trained classifier, what `ebm jem
// eval` and `ebm jem sample` do: check that the data fit the model, score,
// write the figure, return a report.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/spec"
)

// FitError reports data (or a second model) that do not fit a classifier:
// rows of the wrong size, labels outside its classes, a model without an
// image shape where a picture is asked for. Input names which input of a job
// is at fault ("data", "ood", "baseline", "model"); Name is that input's
// name (a data set's name, a model folder), empty when Msg already names it.
type FitError struct {
	Input, Name, Msg string
	Err              error // the underlying *DataError, if any
}

func (e *FitError) Error() string {
	if e.Name == "" {
		return e.Msg
	}
	return e.Name + ": " + e.Msg
}

// Unwrap returns the underlying error.
func (e *FitError) Unwrap() error { return e.Err }

// CheckFit returns a *FitError (Input input) when the rows of l do not have
// the model's input size or, with labels, when a label of l lies outside the
// model's classes.
func CheckFit(input string, m *Classifier[float32], l *Labelled, labels bool) error {
	if l.X.Cols != m.Dim() {
		what := fmt.Sprintf("%d values per row", l.X.Cols)
		if l.Image != [2]int{} {
			what = fmt.Sprintf("%d×%d images", l.Image[0], l.Image[1])
		}
		want := fmt.Sprintf("%d values", m.Dim())
		if m.Image != [2]int{} {
			want = fmt.Sprintf("%d×%d images", m.Image[0], m.Image[1])
		}
		return &FitError{Input: input, Name: l.Name, Msg: fmt.Sprintf("%s, the model takes %s", what, want)}
	}
	if labels {
		if err := CheckLabels(l.X, l.Y, m.Classes(), l.Name); err != nil {
			return &FitError{Input: input, Msg: fmt.Sprintf("%v (the model has %d classes)", err, m.Classes()), Err: err}
		}
	}
	return nil
}

// CheckPair returns a *FitError (Input "baseline", Name name) when base does
// not have the inputs and classes of m.
func CheckPair(m, base *Classifier[float32], name string) error {
	if base.Dim() != m.Dim() || base.Classes() != m.Classes() {
		return &FitError{Input: "baseline", Name: name,
			Msg: fmt.Sprintf("%d inputs and %d classes, the model %d and %d", base.Dim(), base.Classes(), m.Dim(), m.Classes())}
	}
	return nil
}

// EvalJob evaluates a classifier on labelled data: accuracy, NLL and
// expected calibration error over Bins confidence bins (Classify), the
// reliability diagram (written to Plot when set), and the AUROC of telling
// each OOD set, and Uniform points drawn uniformly in the data's range
// (seeded by Seed), from Data by the energy, max-softmax and gradient-norm
// scores (DetectOOD).
type EvalJob struct {
	Model     *Classifier[float32]
	ModelName string // reported as "model"
	Data      *Labelled
	DataName  string // reported as "data" and in the plot's title (empty: Data.Name)
	OOD       []*Labelled
	Uniform   int
	Bins      int // calibration bins (0: 15)
	Seed      uint64
	Plot      string // PNG of the reliability diagram (empty: none)
}

// EvalReport is the result of an EvalJob.
type EvalReport struct {
	Model string          `json:"model"`
	Data  string          `json:"data"`
	Eval  *Classification `json:"eval"`
	OOD   []OOD           `json:"ood,omitempty"`
}

// Validate checks the settings and that the data fit the model (CheckFit,
// Input "data" and "ood").
func (j *EvalJob) Validate() error {
	if j.Model == nil || j.Data == nil {
		return errors.New("jem: an evaluation needs a model and data")
	}
	if j.Bins < 0 || j.Uniform < 0 {
		return fmt.Errorf("jem: bins %d and uniform points %d must be ≥ 0", j.Bins, j.Uniform)
	}
	if err := CheckFit("data", j.Model, j.Data, true); err != nil {
		return err
	}
	for _, o := range j.OOD {
		if err := CheckFit("ood", j.Model, o, false); err != nil {
			return err
		}
	}
	return nil
}

// Run validates, scores and writes the plot.
func (j *EvalJob) Run(ctx context.Context) (*EvalReport, error) {
	if err := j.Validate(); err != nil {
		return nil, err
	}
	name, bins := j.DataName, j.Bins
	if name == "" {
		name = j.Data.Name
	}
	if bins == 0 {
		bins = 15
	}
	in, err := Score(j.Model, j.Data.X)
	if err != nil {
		return nil, err
	}
	cl, err := Classify(in, j.Data.Y, bins)
	if err != nil {
		return nil, err
	}
	res := &EvalReport{Model: j.ModelName, Data: name, Eval: cl}
	for _, ol := range j.OOD {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := Score(j.Model, ol.X)
		if err != nil {
			return nil, err
		}
		res.OOD = append(res.OOD, DetectOOD(ol.Name, in, s))
	}
	if j.Uniform > 0 {
		box := j.Data.Box
		if box == nil {
			box = DataBox(j.Data.X)
		}
		u := Uniform(j.Uniform, j.Model.Dim(), box, rand.New(rand.NewPCG(j.Seed, 0)))
		s, err := Score(j.Model, u)
		if err != nil {
			return nil, err
		}
		res.OOD = append(res.OOD, DetectOOD("uniform", in, s))
	}
	if j.Plot != "" {
		if err := ReliabilityPNG(j.Plot, "reliability on "+name, cl); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// SampleJob draws PerClass class-conditional samples of every class of an
// image model from fresh starts of Init (uniform in the data's range, or the
// class Gaussians fitted to Data) moved by Sampler on E(x, y) = −f(x)[y]
// (SampleClasses, seeded by Seed), writes them to the PNG Out, one row per
// class, and reports the fraction the model itself and Baseline (when set)
// assign to the intended class (Agreement).
type SampleJob struct {
	Model, Baseline         *Classifier[float32]
	ModelName, BaselineName string
	Data                    *Labelled
	Sampler                 Sampler
	Init                    string // InitUniform or InitClassGaussian
	PerClass                int
	Seed                    uint64
	Out                     string
}

// SampleReport is the result of a SampleJob (its JSON fields in name order).
type SampleReport struct {
	BaselineAgreement *float64 `json:"baseline_agreement,omitempty"`
	Init              string   `json:"init"`
	Model             string   `json:"model"`
	Out               string   `json:"out"`
	PerClass          int      `json:"per_class"`
	Sampler           Sampler  `json:"sampler"`
	SelfAgreement     float64  `json:"self_agreement"`
}

// Validate checks the settings, that Baseline matches Model (CheckPair),
// that Data fit Model (CheckFit, Input "data") and that Model has an image
// shape (else a *FitError with Input "model").
func (j *SampleJob) Validate() error {
	switch {
	case j.Model == nil || j.Data == nil || j.Out == "":
		return errors.New("jem: sampling needs a model, data and an output file")
	case j.PerClass < 1:
		return fmt.Errorf("jem: %d samples per class, want ≥ 1", j.PerClass)
	case j.Init != InitUniform && j.Init != InitClassGaussian:
		return fmt.Errorf("jem: init %q: want %s or %s", j.Init, InitUniform, InitClassGaussian)
	}
	if err := j.Sampler.Validate(); err != nil {
		return err
	}
	if j.Baseline != nil {
		if err := CheckPair(j.Model, j.Baseline, j.BaselineName); err != nil {
			return err
		}
	}
	if err := CheckFit("data", j.Model, j.Data, true); err != nil {
		return err
	}
	if j.Model.Image == [2]int{} {
		return &FitError{Input: "model", Name: j.ModelName, Msg: "the model was not trained on images; there is no picture to draw"}
	}
	return nil
}

// Run validates, samples, scores and writes Out.
func (j *SampleJob) Run(ctx context.Context) (*SampleReport, error) {
	if err := j.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	box := j.Data.Box
	if box == nil {
		box = DataBox(j.Data.X)
	}
	r := &Replay{Init: j.Init, Box: box, Sampler: j.Sampler}
	if err := r.Fit(j.Data.X, j.Data.Y, j.Model.Classes()); err != nil {
		return nil, err
	}
	x, y, err := SampleClasses(j.Model, r, j.Sampler, j.PerClass, j.Seed)
	if err != nil {
		return nil, err
	}
	res := &SampleReport{Model: j.ModelName, PerClass: j.PerClass, Sampler: j.Sampler, Init: j.Init, Out: j.Out}
	if res.SelfAgreement, err = Agreement(j.Model, x, y); err != nil {
		return nil, err
	}
	if j.Baseline != nil {
		a, err := Agreement(j.Baseline, x, y)
		if err != nil {
			return nil, err
		}
		res.BaselineAgreement = &a
	}
	if err := SamplesPNG(j.Out, x, j.Model.Image[0], j.Model.Image[1], j.PerClass, 0, 1); err != nil {
		return nil, err
	}
	return res, nil
}

// CheckSettings checks the settings of a training Job before any work, in
// this order: Init is InitUniform or InitClassGaussian; Weight, Alpha and
// ClipNorm ≥ 0 and LR > 0; 0 ≤ Reinit ≤ 1; Batch and Buffer ≥ 1,
// samplesPerClass and limit ≥ 0; exactly one of Iters and epochs positive;
// Activation a known activation. NaN fails every test. An error is a
// *spec.Error whose Where names the setting (and its value) or, for the
// settings checked together, whose message names them.
func CheckSettings(cfg Config, samplesPerClass, limit, epochs int) error {
	switch {
	case cfg.Init != InitUniform && cfg.Init != InitClassGaussian:
		return spec.Errorf(fmt.Sprintf("init %q", cfg.Init), "want %s or %s", InitUniform, InitClassGaussian)
	case !(cfg.Weight >= 0) || !(cfg.Alpha >= 0) || !(cfg.LR > 0) || !(cfg.ClipNorm >= 0):
		return spec.Errorf("", "--weight, --alpha and --clip-grad must be ≥ 0 and --lr > 0")
	case !(cfg.Reinit >= 0 && cfg.Reinit <= 1):
		return spec.Errorf(fmt.Sprintf("reinit %v", cfg.Reinit), "want a probability in [0, 1]")
	case cfg.Batch < 1 || cfg.Buffer < 1 || samplesPerClass < 0 || limit < 0:
		return spec.Errorf("", "--batch and --buffer must be ≥ 1, --samples-per-class and --limit ≥ 0")
	case (cfg.Iters > 0) == (epochs > 0):
		return spec.Errorf("", "give one of --iters or --epochs (a positive number)")
	}
	if _, err := nn.ActivationByName(cfg.Activation); err != nil {
		return spec.Errorf("act", "%v", err)
	}
	return nil
}

// ParseHidden parses comma-separated positive layer widths such as
// "256,256".
func ParseHidden(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("jem: hidden widths %q: want positive integers such as 256,256", s)
		}
		out = append(out, n)
	}
	return out, nil
}
