package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/gen"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/train"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newTrainCmd) }

type trainOpts struct {
	data, modelSpec, method, out, checkpoint, resume, schedule, labelCol string
	iters, batch, logEvery, ckptEvery, testN                             int
	lr, clip, ema                                                        float64
	seed                                                                 uint64
	jsonOut, force, quiet                                                bool

	// cmdName names the command in messages ("train", "demo", "compare").
	cmdName string
	// liveDir, if set, is the checkpoint folder: it receives checkpoints
	// (every ckptEvery iterations) and the live metrics log, which is copied
	// into the output folder at the end. Without it the log is written into
	// the output folder directly.
	liveDir string
	// snap is the checkpoint a resumed run starts from; settings are what
	// this run's checkpoints record.
	snap     *train.Snapshot
	settings map[string]string
}

func newTrainCmd() *cobra.Command {
	o := &trainOpts{}
	c := &cobra.Command{
		Use:   "train",
		Short: "Train a neural energy on data",
		Long: `Train an MLP energy E(x) on a data set with one of the estimators below, write
the model (safetensors + JSON), metrics.jsonl and pictures, and report the grid
NLL on held-out data for 2-D data.

Data (--data): a toy name (` + strings.Join(data.ToyNames(), ", ") + `; fresh points every
iteration, 10,000 held-out points with seed 123) or a CSV file (numeric columns,
optional header; --label-column drops a label column) or idx:PATH (MNIST-style IDX
images, plain or .gz, pixels scaled to [0,1]). For a file the reported figures are computed on
its first rows; pass held-out data to ebm eval --data for held-out figures.

Model (--model NAME[:k=v,...]):
  ` + strings.ReplaceAll(energy.ModelSpecHelp, "\n", "\n  ") + `

Methods (--method NAME[:k=v,...]):
` + train.EstimatorHelp(),
		Example: `  ebm train --data 8gaussians --method ssm --iters 2000 --out out/ssm --json
  ebm train --data 8gaussians --method replay:sampler=mala,step=0.01 --out out/replay`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { o.cmdName = "train"; return runTrain(cmd, o) },
	}
	f := c.Flags()
	f.StringVar(&o.data, "data", "8gaussians", "toy data name or CSV file")
	f.StringVar(&o.modelSpec, "model", "mlp:hidden=128x128,act=silu", "model spec")
	f.StringVar(&o.method, "method", "ssm", "estimator NAME[:k=v,...]")
	f.IntVar(&o.iters, "iters", 2000, "parameter updates")
	f.IntVar(&o.batch, "batch", 256, "batch size")
	f.Float64Var(&o.lr, "lr", 1e-3, "Adam learning rate")
	f.StringVar(&o.schedule, "schedule", "constant", `learning-rate schedule: constant, cosine[:final=0.01] (to final·lr), linear[:final=0], step[:every=N,factor=0.5] (default ×0.5 every iters/4), each optionally with warmup=N iterations of linear warm-up (counts in iterations)`)
	f.Float64Var(&o.clip, "clip-grad", 0, "clip the global gradient norm (0: off)")
	f.Float64Var(&o.ema, "ema", 0.99, "keep an exponential moving average of the weights with this decay and save it (0: off)")
	f.Uint64Var(&o.seed, "seed", 1, "random seed")
	f.StringVar(&o.out, "out", "", "output folder (required)")
	f.BoolVar(&o.force, "force", false, "replace --out if it exists")
	f.IntVar(&o.logEvery, "log-every", 100, "iterations between metrics lines")
	f.IntVar(&o.ckptEvery, "checkpoint-every", 500, "iterations between checkpoints")
	f.StringVar(&o.checkpoint, "checkpoint", "", "checkpoint folder, also holding the live metrics.jsonl (default OUT.ckpt)")
	f.StringVar(&o.resume, "resume", "", "resume from a checkpoint folder (with the settings it records)")
	f.IntVar(&o.testN, "test", 10000, "held-out points for toy data")
	f.StringVar(&o.labelCol, "label-column", "", `CSV data: a label column to drop ("last" or a 0-based index)`)
	f.BoolVar(&o.jsonOut, "json", false, "print one JSON object with the results on stdout")
	f.BoolVar(&o.quiet, "quiet", false, "no progress report")
	return c
}

func (o *trainOpts) validate() error {
	switch {
	case o.out == "":
		return cli.Usagef("%s: --out is required", o.cmdName)
	case o.testN < 2:
		return cli.Usagef("%s: --test must be at least 2, got %d", o.cmdName, o.testN)
	}
	return cli.Flag(train.CheckConfig(train.Config{Iters: o.iters, Batch: o.batch, LR: o.lr, EMA: o.ema, ClipNorm: o.clip,
		LogEvery: o.logEvery, SnapshotEvery: o.ckptEvery}))
}

// trainSetup is what a run needs, built from the flags by the library: the
// trainer (all but its progress report), the data and the method's settings.
type trainSetup struct {
	*train.Trainer
	pts      *data.Points
	settings map[string]any
}

// setup parses and checks everything a run needs before any work starts: the
// flags, the model, the schedule, the data and the method; it builds the
// model and the estimator.
func (o *trainOpts) setup() (*trainSetup, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	lc, err := data.ParseLabelColumn(o.labelCol)
	if err != nil {
		return nil, cli.Flag(err)
	}
	ms, err := energy.ParseModelSpec(o.modelSpec)
	if err != nil {
		return nil, cli.Flag(err)
	}
	sched, err := optim.ParseSchedule(o.schedule, o.lr, o.iters)
	if err != nil {
		return nil, cli.Flag(err)
	}
	s := &trainSetup{Trainer: &train.Trainer{Config: train.Config{Schedule: sched, Iters: o.iters, Batch: o.batch, LR: o.lr,
		ClipNorm: o.clip, EMA: o.ema, Seed: o.seed, LogEvery: o.logEvery, SnapshotEvery: o.ckptEvery, Settings: o.settings}}}
	if s.pts, err = data.LoadPoints(o.data, data.PointsOptions{TestN: o.testN, LabelColumn: lc}); err != nil {
		return nil, cli.Input(err)
	}
	ctx := train.EstimatorContext{Batch: o.batch, Data: s.pts.Sample, Where: "--method", Sampler: samplerFactory, Seed: o.seed, Dim: s.pts.Dim}
	if s.Estimator, s.settings, err = train.ParseEstimator[float32](o.method, ctx); err != nil {
		return nil, err
	}
	if s.Model, err = ms.Build(s.pts.Dim, o.seed, train.NoiseScales(s.Estimator)); err != nil {
		return nil, cli.Flag(err)
	}
	s.Data = train.PointsSource(s.pts, o.seed)
	return s, nil
}

// trained is what trainInto leaves for its caller.
type trained struct {
	model  energy.Model[float32]
	pts    *data.Points
	report *metric.TrainReport
	// sampler is whether the run saved a sampler folder (fce's noise flow,
	// adv's flow sampler).
	sampler bool
}

// trainInto trains as o says and writes the model, metrics and plots into the
// unfinished output folder out. It returns cli.ErrInterrupted (after writing a
// checkpoint when o.liveDir and o.ckptEvery allow, and saying so) when ctx is
// cancelled. s is the run's setup from o.setup(), or nil to build it here.
func trainInto(cmd *cobra.Command, o *trainOpts, s *trainSetup, out *cli.OutDir) (*trained, error) {
	if s == nil {
		var err error
		if s, err = o.setup(); err != nil {
			return nil, err
		}
	}
	bar := cli.NewProgress(o.iters, "training", o.quiet)
	tr := s.Trainer
	tr.Config.Progress = func(int) { bar.Add(1) }
	files := train.Files{Out: out.Tmp, Live: o.liveDir, Checkpoints: o.ckptEvery > 0,
		OnEvent: func(m train.Metrics) { fmt.Fprintf(os.Stderr, "ebm %s: %s\n", o.cmdName, m.Event) }}
	if o.snap != nil {
		if err := tr.Resume(o.snap); err != nil {
			return nil, cli.Input(fmt.Errorf("--resume %s: %w", o.resume, err))
		}
		files.From, files.UpTo = o.resume, o.snap.Iter
		bar.Skip(o.snap.Iter)
	}
	res, its, losses, err := files.Run(cmd.Context(), tr)
	bar.Done()
	if err != nil {
		return nil, err
	}
	if res.Interrupted {
		if o.liveDir != "" && o.ckptEvery > 0 && train.HasCheckpoint(o.liveDir) {
			fmt.Fprintf(os.Stderr, "ebm %s: interrupted at iteration %d; checkpoint in %s (continue with: ebm train --resume %s --out %s)\n",
				o.cmdName, res.Iters, o.liveDir, o.liveDir, out.Final)
		} else {
			fmt.Fprintf(os.Stderr, "ebm %s: interrupted at iteration %d; nothing was saved (this run keeps no checkpoint)\n", o.cmdName, res.Iters)
		}
		return nil, cli.ErrInterrupted
	}
	m, pts := s.Model, s.pts
	rep := &metric.TrainReport{Data: pts.Name, Method: o.method, Iters: res.Iters, Seconds: res.Seconds,
		ItersPerSec: res.ItersPerSec, FinalLoss: res.FinalLoss, Retries: res.Retries, Out: out.Final}
	if lz, ok := train.LearnedLogZ(s.Estimator); ok {
		rep.Extra = map[string]float64{s.Estimator.Name() + "_logz": lz}
	}
	if err := rep.Evaluate(m, pts.Test); err != nil && pts.IsToy() {
		return nil, fmt.Errorf("training produced an unusable model: %w; nothing was saved (try a smaller --lr or --clip-grad)", err)
	}
	trainJS, _ := json.Marshal(map[string]any{"method": s.settings, "iters": o.iters, "batch": o.batch, "lr": o.lr,
		"optimizer": "adam", "clip_grad": o.clip, "ema": o.ema, "schedule": o.schedule})
	dataJS, _ := json.Marshal(map[string]any{"name": pts.Name, "dim": pts.Dim, "toy": pts.IsToy()})
	meta := &model.Meta{Seed: o.seed, Training: trainJS, Data: dataJS, Metrics: rep.Metrics()}
	if err := energy.SaveModel(out.Path("model"), m, meta); err != nil {
		return nil, err
	}
	saved, err := saveSampler(out.Path("sampler"), s.Estimator, meta)
	if err != nil {
		return nil, err
	}
	if err := trainPlots(cmd.Context(), out, m, pts, its, losses, o.seed); err != nil {
		return nil, err
	}
	return &trained{model: m, pts: pts, report: rep, sampler: saved}, nil
}

func runTrain(cmd *cobra.Command, o *trainOpts) error {
	if err := o.validate(); err != nil {
		return err
	}
	var inputs []string
	snap, err := loadResume(cmd, "ebm train", resumeFlags, o.resume, o.iters)
	if err != nil {
		return err
	}
	if snap != nil {
		o.snap = snap
		inputs = append(inputs, o.resume)
	}
	o.settings = resumeSettings(cmd, resumeFlags)
	s, err := o.setup() // everything is checked before any work
	if err != nil {
		return err
	}
	if !slices.Contains(data.ToyNames(), o.data) {
		inputs = append(inputs, o.data)
	}
	out, err := cli.NewOutDir(o.out, o.force, inputs...)
	if err != nil {
		return err
	}
	defer out.Abort()
	createdLive, err := claimLiveDir(o, out.Final, inputs)
	if err != nil {
		return err
	}
	t, err := trainInto(cmd, o, s, out)
	if err == nil {
		err = out.Commit()
	}
	if err != nil {
		// A failed run leaves nothing behind; an interrupted one keeps its
		// checkpoint (trainInto said where), and a resumed one its folder.
		dropLive(err, o.liveDir, createdLive)
		return err
	}
	rep := t.report
	w := cmd.OutOrStdout()
	if o.jsonOut {
		return cli.WriteJSON(w, rep)
	}
	rep.WriteText(w)
	fmt.Fprintf(w, "wrote %s (model/, ", out.Final)
	if t.sampler {
		fmt.Fprint(w, "sampler/, ")
	}
	fmt.Fprint(w, "metrics.jsonl, loss.png")
	if t.pts.Dim == 2 {
		fmt.Fprint(w, ", density.png, samples.png")
	}
	fmt.Fprintf(w, ")\ncheckpoint and live metrics in %s\n", o.liveDir)
	return nil
}

// samplerFactory builds the sampler networks of --method fce and adv: the
// generators of package gen by name, flows otherwise.
func samplerFactory(s string, d int, seed uint64) (any, error) {
	if gen.IsKind(s) {
		return gen.Parse(s, d, seed)
	}
	return flow.Parse[float32](s, d, seed)
}

// saveSampler saves the flow that --method fce (its noise) or adv (its
// sampler, with sampler=flow) trained beside the energy into dir (kind
// "flow": a normalized model that ebm flow sample, eval and score take) and
// reports whether it saved one; other methods and the noisy sampler save
// nothing. The adversarial sampler's draws pass through the estimator's box
// transform, so its flow is saved with that box as its last layer: the saved
// flow is the distribution the sampler drew from.
func saveSampler(dir string, est any, meta *model.Meta) (bool, error) {
	var q *flow.Flow[float32]
	switch e := est.(type) {
	case *train.FCE[float32]:
		q, _ = e.Flow.(*flow.Flow[float32])
	case *train.Adversarial[float32]:
		fe, ok := e.Sampler.(train.FlowEntropy[float32])
		if !ok {
			return false, nil
		}
		if q, ok = fe.LearnedSampler.(*flow.Flow[float32]); ok && e.Box > 0 {
			var err error
			if q, err = q.WithBox(e.Box); err != nil {
				return false, fmt.Errorf("saving the sampler: %w", err)
			}
		}
	}
	if q == nil {
		return false, nil
	}
	m := *meta
	m.Metrics = nil
	if err := flow.Save(dir, q, &m); err != nil {
		return false, fmt.Errorf("saving the sampler: %w", err)
	}
	return true, nil
}
