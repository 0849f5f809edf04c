package fit

// The flow jobs end to end, as the ebm command line runs them: fit a flow to
// data (TrainJob) or to an energy (FitJob) and save it with its report and
// figures; sample a saved flow or an energy with a flow proposal (SampleJob);
// evaluate a saved flow on held-out data (Evaluate). The command line is a
// thin layer over these: it parses flags, calls a job and prints its report.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/internal/atomicfile"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// ErrInterrupted is returned by a job whose context was cancelled during
// fitting; nothing is written then.
var ErrInterrupted = errors.New("fit: interrupted")

// Hooks report a fitting job's progress: Progress is called once per
// iteration, Event with each event of the trainer (a divergence rollback,
// for instance). Either may be nil.
type Hooks struct {
	Progress func()
	Event    func(string)
}

// Checkpoints keep a fitting job's checkpoints and live metrics log as ebm
// train keeps its own (train.Files):
//
//   - Live, if not empty, is the checkpoint folder (created if missing): it
//     holds the metrics log (train.MetricsFile) as it grows and, with
//     Every > 0, a checkpoint (train.SaveCheckpoint: the flow's parameters,
//     Adam's moments, the learning-rate back-off and the iteration) every
//     Every iterations and when the run is interrupted. The completed run's
//     log is also copied into the output folder (where it is written
//     directly when Live is empty).
//   - Settings are recorded in every checkpoint, so that a resume can check
//     them (train.ReconcileSettings, train.CheckRecorded).
//   - Resume, if not nil, is a checkpoint (train.LoadCheckpoint) of the same
//     job to continue from, read from the folder From, whose log is
//     continued up to the checkpoint's iteration. Batches and draws depend
//     only on the seed and the iteration, so a resumed run ends where an
//     uninterrupted one would.
type Checkpoints struct {
	Live     string
	Every    int
	Settings map[string]string
	Resume   *train.Snapshot
	From     string
}

// runJob runs a float32 loop with the hooks and the checkpoints c, writing
// the metrics log into dir, and returns the result and the loss curve of the
// whole history as (iteration, loss) pairs.
func runJob[B any](ctx context.Context, l *train.Loop[float32, B], dir string, c Checkpoints, h Hooks) (*train.Result, [][2]float64, error) {
	l.Progress = func(int, int) {
		if h.Progress != nil {
			h.Progress()
		}
	}
	if c.Every > 0 {
		l.SnapshotEvery = c.Every
	}
	l.Settings = c.Settings
	if c.Live != "" {
		if err := os.MkdirAll(c.Live, 0o755); err != nil {
			return nil, nil, err
		}
	}
	files := train.Files{Out: dir, Live: c.Live, Checkpoints: c.Every > 0 && c.Live != ""}
	if h.Event != nil {
		files.OnEvent = func(m train.Metrics) { h.Event(m.Event) }
	}
	if c.Resume != nil {
		if c.Resume.Iter >= l.Iters {
			return nil, nil, fmt.Errorf("fit: the checkpoint is at iteration %d; %d iterations leave nothing to do", c.Resume.Iter, l.Iters)
		}
		if err := l.Resume(c.Resume); err != nil {
			return nil, nil, err
		}
		files.From, files.UpTo = c.From, c.Resume.Iter
	}
	res, iters, losses, err := train.RunLoop(ctx, files, l)
	if err != nil {
		return nil, nil, err
	}
	if res.Interrupted {
		return nil, nil, ErrInterrupted
	}
	curve := make([][2]float64, len(iters))
	for i := range iters {
		curve[i] = [2]float64{iters[i], losses[i]}
	}
	return res, curve, nil
}

// SetTraining fills the report's training figures from a trainer's result.
func (r *Report) SetTraining(res *train.Result) {
	r.Iters, r.Seconds, r.ItersPerSec, r.Retries = res.Iters, res.Seconds, res.ItersPerSec, res.Retries
	fl := res.FinalLoss
	r.FinalLoss = &fl
}

// TrainJob fits a flow to data by maximum likelihood (DataLoop) and saves it.
type TrainJob struct {
	Flow     *flow.Flow[float32] // the flow to fit (flow.Build)
	Points   *data.Points        // training data and held-out points
	Options  Options             // Iters, Batch, LR, ClipNorm, Schedule, Seed
	Schedule string              // the schedule's spec, recorded in the saved model
	Out      string              // the output folder's name, recorded in the report
	Hooks
	Checkpoints
}

// Run fits the flow, evaluates it on the held-out points (Report.EvaluateData)
// and writes into dir: model/ (the flow, with the report's metrics),
// report.json, the metrics log (see Checkpoints) and the figures of Figures
// (with up to 1,000 training points under the density).
func (j *TrainJob) Run(ctx context.Context, dir string) (*Report, error) {
	if j.Flow == nil || j.Points == nil {
		return nil, errors.New("fit: TrainJob needs a flow and data")
	}
	if j.Points.Dim != j.Flow.Dim() {
		return nil, fmt.Errorf("fit: data %s has dimension %d, the flow %d", j.Points.Name, j.Points.Dim, j.Flow.Dim())
	}
	o := j.Options
	l, err := DataLoop(j.Flow, train.PointsSource(j.Points, o.Seed), o)
	if err != nil {
		return nil, err
	}
	res, losses, err := runJob(ctx, l, dir, j.Checkpoints, j.Hooks)
	if err != nil {
		return nil, err
	}
	rep := &Report{Job: "train", Flow: j.Flow.Spec, Data: j.Points.Name, Out: j.Out}
	rep.SetTraining(res)
	if err := rep.EvaluateData(j.Flow, j.Points.Test); err != nil {
		return nil, fmt.Errorf("training produced an unusable flow: %w; nothing was saved (try a smaller --lr or --clip-grad)", err)
	}
	trainJS, _ := json.Marshal(map[string]any{"method": "ml", "iters": o.Iters, "batch": o.Batch, "lr": o.LR,
		"optimizer": "adam", "clip_grad": o.ClipNorm, "schedule": j.Schedule})
	dataJS, _ := json.Marshal(map[string]any{"name": j.Points.Name, "dim": j.Points.Dim, "toy": j.Points.IsToy()})
	if err := Save(dir, j.Flow, &model.Meta{Seed: o.Seed, Training: trainJS, Data: dataJS}, rep); err != nil {
		return nil, err
	}
	if err := Figures(dir, losses, j.Flow, j.Points.Sample, o.Seed); err != nil {
		return nil, err
	}
	return rep, nil
}

// FitJob fits a flow to an energy by reverse KL (EnergyLoop), estimates the
// energy's log Z by importance sampling with the fitted flow and saves it.
type FitJob struct {
	Flow       *flow.Flow[float32] // the flow to fit (flow.Build)
	Energy     energy.GradEnergy   // the target p ∝ exp(−E)
	EnergyName string              // the target's name, recorded in the report
	Options    Options             // Iters, Batch, LR, ClipNorm, Schedule, Seed
	Schedule   string              // the schedule's spec, recorded in the saved model
	ISDraws    int                 // draws of the importance-sampling estimate (≥ 2)
	Out        string              // the output folder's name, recorded in the report
	Hooks
	Checkpoints
}

// Run fits the flow, estimates log Z with ISDraws draws (seed Options.Seed ^
// 0x15; the true log Z is reported too when the energy is
// energy.Normalized) and writes into dir: model/, report.json, the metrics
// log (see Checkpoints) and the figures of Figures.
func (j *FitJob) Run(ctx context.Context, dir string) (*Report, error) {
	if j.Flow == nil || j.Energy == nil {
		return nil, errors.New("fit: FitJob needs a flow and an energy")
	}
	if j.ISDraws < 2 {
		return nil, fmt.Errorf("fit: ISDraws must be at least 2, got %d", j.ISDraws)
	}
	o := j.Options
	l, err := EnergyLoop(j.Flow, j.Energy, o)
	if err != nil {
		return nil, err
	}
	res, losses, err := runJob(ctx, l, dir, j.Checkpoints, j.Hooks)
	if err != nil {
		return nil, err
	}
	rep := &Report{Job: "fit", Flow: j.Flow.Spec, Energy: j.EnergyName, Out: j.Out}
	rep.SetTraining(res)
	is, err := flow.EstimateLogZ(j.Flow, j.Energy, j.ISDraws, o.Seed^0x15)
	if err != nil {
		return nil, fmt.Errorf("the fitted flow gives no usable importance weights: %w; nothing was saved", err)
	}
	rep.IS = &is
	if n, ok := j.Energy.(energy.Normalized); ok {
		z := n.LogZ()
		rep.TrueLogZ = &z
	}
	trainJS, _ := json.Marshal(map[string]any{"method": "reverse-kl", "energy": j.EnergyName, "iters": o.Iters, "batch": o.Batch,
		"lr": o.LR, "optimizer": "adam", "clip_grad": o.ClipNorm, "schedule": j.Schedule, "is_draws": j.ISDraws})
	if err := Save(dir, j.Flow, &model.Meta{Seed: o.Seed, Training: trainJS}, rep); err != nil {
		return nil, err
	}
	if err := Figures(dir, losses, j.Flow, nil, o.Seed); err != nil {
		return nil, err
	}
	return rep, nil
}

// Save writes the flow into dir/model with the report's metrics in its
// metadata, and the report as indented JSON into dir/report.json.
func Save(dir string, f *flow.Flow[float32], meta *model.Meta, rep *Report) error {
	meta.Metrics = rep.Metrics()
	if err := flow.Save(filepath.Join(dir, "model"), f, meta); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "report.json"), func(w io.Writer) error { return writeJSON(w, rep) })
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Figures writes into dir loss.png (when losses, (iteration, loss) pairs,
// are given) and, for 2-D flows, density.png (the flow's density on
// [−4, 4]² under up to 1,000 reference points ref, which may be nil) and
// samples.png (2,000 exact samples drawn with seed).
func Figures(dir string, losses [][2]float64, f *flow.Flow[float32], ref *tensor.Dense[float64], seed uint64) error {
	if len(losses) > 0 {
		var xs, ys []float64
		for _, l := range losses {
			xs, ys = append(xs, l[0]), append(ys, l[1])
		}
		if err := plot.Lines(filepath.Join(dir, "loss.png"), "training loss", "iteration", "loss",
			[]plot.Series{{Name: "loss", X: xs, Y: ys}}, plot.LineOptions{}); err != nil {
			return err
		}
	}
	if f.Dim() != 2 {
		return nil
	}
	if ref != nil && ref.Rows > 1000 {
		ref = tensor.FromSlice(1000, 2, ref.Data[:2000])
	}
	at := plot.EnergyAt(f)
	lo, hi := metric.GridLo, metric.GridHi
	if err := plot.Density2D(filepath.Join(dir, "density.png"), "flow density q(x)",
		func(x, y float64) float64 { return -at(x, y) }, lo, hi, 200, ref); err != nil {
		return err
	}
	s := f.Sample(2000, rand.New(rand.NewPCG(seed, 0x5a)))
	box := [2]float64{lo, hi}
	return plot.Scatter2D(filepath.Join(dir, "samples.png"), "flow samples (exact)", s, plot.ScatterOptions{XRange: box, YRange: box})
}

// LoadFlow loads a flow model folder (float32 or float64 weights) as an
// energy, E(x) = −log q(x); dir may also be the output folder of a
// TrainJob or FitJob, which holds the flow in model/. A folder holding
// another kind of model is an error.
func LoadFlow(dir string) (energy.GradEnergy, error) {
	e, meta, err := energy.LoadGrad(dir)
	if err != nil {
		return nil, err
	}
	switch e.(type) {
	case *flow.Flow[float32], *flow.Flow[float64]:
		return e, nil
	}
	return nil, fmt.Errorf("%s holds a %q model, not a flow", dir, meta.Kind)
}

// SpecOf returns the spec of a flow (float32 or float64), "" for any other
// energy.
func SpecOf(e energy.Energy) string {
	switch f := e.(type) {
	case *flow.Flow[float32]:
		return f.Spec
	case *flow.Flow[float64]:
		return f.Spec
	}
	return ""
}

// Evaluate reports a flow's exact test NLL and, for 2-D data, its grid NLL
// on the held-out points of pts (Report.EvaluateData; Job "eval").
func Evaluate(f energy.Energy, pts *data.Points) (*Report, error) {
	if pts == nil {
		return nil, errors.New("fit: Evaluate needs data")
	}
	rep := &Report{Job: "eval", Flow: SpecOf(f), Data: pts.Name}
	if err := rep.EvaluateData(f, pts.Test); err != nil {
		return nil, err
	}
	return rep, nil
}
