package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/flow/fit"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/train"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newFlowCmd) }

// flowOpts holds the flags of the flow subcommands.
type flowOpts struct {
	data, flowSpec, energy, model, target, schedule, out, labelCol, method string
	checkpoint, resume                                                     string
	iters, batch, testN, isDraws, n, chains, steps, ckptEvery              int
	lr, clip, defensive, widen                                             float64
	seed                                                                   uint64
	jsonOut, force, quiet                                                  bool
}

func newFlowCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "flow",
		Short: "Normalizing flows: train on data, fit to an energy, sample, evaluate",
		Long: `Normalizing flows x = f(z), z ~ N(0, I): exact log-density, exact samples.

  ebm flow train   fit a flow to data by maximum likelihood
  ebm flow fit     fit a flow to an energy by reverse KL (no data); report the
                   importance-sampling log Z of the energy, its standard error and ESS
  ebm flow sample  draw exact samples from a saved flow, or sample an energy with
                   the flow as proposal (independence Metropolis-Hastings or
                   importance resampling)
  ebm flow eval    test NLL (exact) and, for 2-D data, the grid NLL

A saved flow is a model like any other: ebm sample --model and ebm eval
--model take it, with E(x) = -log p(x).

` + flow.SpecHelp,
		Args: cobra.NoArgs,
	}
	c.AddCommand(newFlowTrainCmd(), newFlowFitCmd(), newFlowSampleCmd(), newFlowEvalCmd())
	return c
}

func (o *flowOpts) common(c *cobra.Command, out bool) {
	f := c.Flags()
	f.Uint64Var(&o.seed, "seed", 1, "random seed")
	f.BoolVar(&o.jsonOut, "json", false, "print one JSON object with the results on stdout")
	f.BoolVar(&o.quiet, "quiet", false, "no progress report")
	if out {
		f.StringVar(&o.out, "out", "", "output folder (required)")
		f.BoolVar(&o.force, "force", false, "replace --out if it exists")
	}
}

func (o *flowOpts) training(c *cobra.Command, iters int, lr float64, schedule string) {
	f := c.Flags()
	f.StringVar(&o.flowSpec, "flow", "realnvp:layers=8,hidden=64", "flow KIND[:k=v,...] (see ebm flow --help)")
	f.IntVar(&o.iters, "iters", iters, "parameter updates")
	f.IntVar(&o.batch, "batch", 256, "points (or draws) per update")
	f.Float64Var(&o.lr, "lr", lr, "Adam learning rate")
	f.StringVar(&o.schedule, "schedule", schedule, "learning-rate schedule (as in ebm train)")
	f.Float64Var(&o.clip, "clip-grad", 0, "clip the global gradient norm (0: off)")
	f.IntVar(&o.ckptEvery, "checkpoint-every", 500, "iterations between checkpoints (0: none)")
	f.StringVar(&o.checkpoint, "checkpoint", "", "checkpoint folder, also holding the live metrics.jsonl (default OUT.ckpt)")
	f.StringVar(&o.resume, "resume", "", "resume from a checkpoint folder (with the settings it records)")
}

func newFlowTrainCmd() *cobra.Command {
	o := &flowOpts{}
	c := &cobra.Command{
		Use:   "train",
		Short: "Fit a flow to data by maximum likelihood",
		Long: `Fit a flow to data by maximum likelihood (minimize -mean log q over batches),
with Adam, on ebm's trainer (divergences roll back). Writes model/ (a flow model
folder), report.json, metrics.jsonl, loss.png and, for 2-D data, density.png and
samples.png; reports the exact test NLL and, for 2-D data, the grid NLL of the
README protocol. Checkpoints and the live metrics go to OUT.ckpt (--checkpoint);
--resume OUT.ckpt continues an interrupted run exactly, as in ebm train.

Data (--data): a toy name (` + strings.Join(data.ToyNames(), ", ") + `) or a CSV file.

` + flow.SpecHelp,
		Example: `  ebm flow train --data 8gaussians --flow realnvp:layers=8,hidden=64 --iters 2000 --out out/realnvp`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return runFlowTrain(cmd, o) },
	}
	o.common(c, true)
	o.training(c, 2000, 2e-3, "cosine")
	f := c.Flags()
	f.StringVar(&o.data, "data", "8gaussians", "toy data name or CSV file")
	f.IntVar(&o.testN, "test", 10000, "held-out points for toy data")
	f.StringVar(&o.labelCol, "label-column", "", `CSV data: a label column to drop ("last" or a 0-based index)`)
	return c
}

// setupTraining parses the flow spec and the schedule (usage errors).
func (o *flowOpts) setupTraining() (*flow.Config, fit.Options, error) {
	if o.out == "" {
		return nil, fit.Options{}, cli.Usagef("flow: --out is required")
	}
	cfg, err := flow.ParseConfig(o.flowSpec)
	if err != nil {
		return nil, fit.Options{}, cli.Flag(err)
	}
	if err := cli.Flag(train.CheckConfig(train.Config{Iters: o.iters, Batch: o.batch, LR: o.lr, ClipNorm: o.clip, LogEvery: 100, SnapshotEvery: o.ckptEvery})); err != nil {
		return nil, fit.Options{}, err
	}
	sched, err := optim.ParseSchedule(o.schedule, o.lr, o.iters)
	if err != nil {
		return nil, fit.Options{}, cli.Flag(err)
	}
	return cfg, fit.Options{Iters: o.iters, Batch: o.batch, LR: o.lr, ClipNorm: o.clip, Schedule: sched, Seed: o.seed}, nil
}

func runFlowTrain(cmd *cobra.Command, o *flowOpts) error {
	snap, err := loadResume(cmd, "ebm flow train", flowTrainResumeFlags, o.resume, o.iters)
	if err != nil {
		return err
	}
	cfg, opts, err := o.setupTraining()
	if err != nil {
		return err
	}
	lc, err := data.ParseLabelColumn(o.labelCol)
	if err != nil {
		return cli.Flag(err)
	}
	pts, err := data.LoadPoints(o.data, data.PointsOptions{TestN: o.testN, LabelColumn: lc})
	if err != nil {
		return cli.Input(err)
	}
	var inputs []string
	if !slices.Contains(data.ToyNames(), o.data) {
		inputs = append(inputs, o.data)
	}
	f, err := flow.Build[float32](cfg, pts.Dim, o.seed)
	if err != nil {
		return cli.Flag(err)
	}
	job := &fit.TrainJob{Flow: f, Points: pts, Options: opts, Schedule: o.schedule}
	return o.runFitting(cmd, "train", flowTrainResumeFlags, snap, inputs, &job.Hooks, &job.Checkpoints,
		func(ctx context.Context, dir, final string) (*fit.Report, error) {
			job.Out = final
			return job.Run(ctx, dir)
		})
}

// runFitting runs a fitting job (ebm flow train or fit, named sub) into a
// new output folder with its checkpoint folder (claimLive): run gets the
// unfinished folder and the final name. A failed run leaves nothing behind;
// an interrupted one keeps its checkpoint and says how to continue.
func (o *flowOpts) runFitting(cmd *cobra.Command, sub string, keys []string, snap *train.Snapshot, inputs []string,
	h *fit.Hooks, c *fit.Checkpoints, run func(ctx context.Context, dir, final string) (*fit.Report, error)) error {
	if o.resume != "" {
		inputs = append(inputs, o.resume)
	}
	out, err := cli.NewOutDir(o.out, o.force, inputs...)
	if err != nil {
		return err
	}
	defer out.Abort()
	live, created, err := claimLive(o.checkpoint, o.resume, o.force, out.Final, inputs)
	if err != nil {
		return err
	}
	*c = fit.Checkpoints{Live: live, Every: o.ckptEvery, Settings: resumeSettings(cmd, keys), Resume: snap, From: o.resume}
	skip := 0
	if snap != nil {
		skip = snap.Iter
	}
	rep, err := runFlowJob(cmd, o, skip, h, func(ctx context.Context) (*fit.Report, error) { return run(ctx, out.Tmp, out.Final) })
	if err == nil {
		err = out.Commit()
	}
	if err != nil {
		switch kept := dropLive(err, live, created); {
		case kept:
			fmt.Fprintf(cmd.ErrOrStderr(), "ebm flow %s: interrupted; checkpoint in %s (continue with: ebm flow %s --resume %s --out %s)\n",
				sub, live, sub, live, out.Final)
		case errors.Is(err, cli.ErrInterrupted):
			fmt.Fprintf(cmd.ErrOrStderr(), "ebm flow %s: interrupted; nothing was saved (this run keeps no checkpoint)\n", sub)
		}
		return err
	}
	if err := printFlowReport(cmd.OutOrStdout(), rep, o.jsonOut); err != nil {
		return err
	}
	if !o.jsonOut {
		fmt.Fprintf(cmd.OutOrStdout(), "checkpoint and live metrics in %s\n", live)
	}
	return nil
}

// runFlowJob runs a fitting job with a progress bar and the trainer's
// events on stderr.
func runFlowJob(cmd *cobra.Command, o *flowOpts, skip int, h *fit.Hooks, run func(context.Context) (*fit.Report, error)) (*fit.Report, error) {
	bar := cli.NewProgress(o.iters, "fitting", o.quiet || o.jsonOut)
	bar.Skip(skip)
	h.Progress = func() { bar.Add(1) }
	h.Event = func(ev string) { fmt.Fprintf(cmd.ErrOrStderr(), "ebm flow: %s\n", ev) }
	rep, err := run(cmd.Context())
	bar.Done()
	if errors.Is(err, fit.ErrInterrupted) {
		return nil, cli.ErrInterrupted
	}
	return rep, err
}

func printFlowReport(w io.Writer, rep *fit.Report, jsonOut bool) error {
	if jsonOut {
		return cli.WriteJSON(w, rep)
	}
	return rep.WriteText(w)
}

func newFlowFitCmd() *cobra.Command {
	o := &flowOpts{}
	c := &cobra.Command{
		Use:   "fit",
		Short: "Fit a flow to an energy by reverse KL and estimate its log Z",
		Long: `Fit a flow q to p ∝ exp(-E) with no data, by reverse KL: minimize
E_q[E(x) + log q(x)] over reparameterized draws (Adam). Then estimate log Z of
the energy by importance sampling with the fitted flow,
log Z ≈ log mean exp(-E(x) - log q(x)), x ~ q, with its delta-method standard
error and the effective sample size. Writes model/ (the fitted flow),
report.json, metrics.jsonl, loss.png and, for 2-D energies, density.png and
samples.png; checkpoints as ebm flow train.

Energies (--energy NAME[:k=v,...], or --model DIR for a saved model):
` + energyHelp() + "\n\n" + flow.SpecHelp,
		Example: `  ebm flow fit --energy banana --flow realnvp:layers=8,hidden=32 --iters 3000 --out out/banana-flow`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, args []string) error { return runFlowFit(cmd, o) },
	}
	o.common(c, true)
	o.training(c, 3000, 3e-3, "constant")
	f := c.Flags()
	f.StringVar(&o.energy, "energy", "", "energy NAME[:k=v,...] (see above)")
	f.StringVar(&o.model, "model", "", "a saved model folder as the energy, instead of --energy")
	f.IntVar(&o.isDraws, "is-draws", 100000, "draws for the importance-sampling estimate of log Z")
	return c
}

func runFlowFit(cmd *cobra.Command, o *flowOpts) error {
	snap, err := loadResume(cmd, "ebm flow fit", flowFitResumeFlags, o.resume, o.iters)
	if err != nil {
		return err
	}
	cfg, opts, err := o.setupTraining()
	if err != nil {
		return err
	}
	if o.isDraws < 2 {
		return cli.Usagef("flow fit: --is-draws must be at least 2, got %d", o.isDraws)
	}
	e, name, err := targetEnergy(o.energy, o.model, "flow fit")
	if err != nil {
		return err
	}
	var inputs []string
	if o.model != "" {
		inputs = append(inputs, o.model)
	}
	f, err := flow.Build[float32](cfg, e.Dim(), o.seed)
	if err != nil {
		return cli.Flag(err)
	}
	job := &fit.FitJob{Flow: f, Energy: e, EnergyName: name, Options: opts, Schedule: o.schedule, ISDraws: o.isDraws}
	return o.runFitting(cmd, "fit", flowFitResumeFlags, snap, inputs, &job.Hooks, &job.Checkpoints,
		func(ctx context.Context, dir, final string) (*fit.Report, error) {
			job.Out = final
			return job.Run(ctx, dir)
		})
}
