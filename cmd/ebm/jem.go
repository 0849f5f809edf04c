package main

// The jem commands: joint energy-based classifiers (package jem).

import (
	"errors"
	"fmt"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/jem"
	"github.com/ebm-go/ebm/spec"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newJEMCmd) }

const jemDataHelp = `Data (--data, --test, --ood):
  digits     the embedded 8×8 digits: train = the first 1500 rows, test = the last 297
  idx:DIR    a folder with MNIST-layout IDX files (train-images-idx3-ubyte[.gz],
             train-labels-idx1-ubyte[.gz], t10k-…): MNIST, Fashion-MNIST
             (/usr/share/datasets/fashion-mnist); train uses train-*, eval and --test t10k-*
  csv:PATH   numeric CSV, the integer class label (0, 1, …) in the last column
Pixels are scaled to [0, 1]; CSV features are standardized with the training data's
mean and standard deviation (saved with the model).`

func newJEMCmd() *cobra.Command {
	return rbmGroup("jem", "Joint energy-based classifiers: one network that classifies, generates and scores",
		`A classifier with logits f(x) read as an energy-based model (Grathwohl et al. 2020):
E(x, y) = −f(x)[y], E(x) = −logsumexp_y f(x)[y], p(y | x) = softmax f(x).

  ebm jem train    cross-entropy + w·(mean E(data) − mean E(negatives)); --weight 0 is the
                   discriminative baseline with the same network and budget
  ebm jem eval     accuracy, NLL, calibration (ECE, reliability diagram), OOD AUROC
  ebm jem sample   class-conditional samples (PNG), checked by a classifier

`+jemDataHelp,
		newJEMTrainCmd(), newJEMEvalCmd(), newJEMSampleCmd())
}

// jemLoad reads a data source; every failure is an input error (exit 2).
func jemLoad(flag, source string, test bool, limit int) (*jem.Labelled, error) {
	if source == "" {
		return nil, cli.Usagef("--%s is required", flag)
	}
	l, err := jem.LoadLabelled(source, test, limit)
	if err != nil {
		var se *spec.Error
		if errors.As(err, &se) {
			se.Where = "--" + flag
			return nil, err
		}
		return nil, cli.Usagef("--%s %s: %v", flag, source, err)
	}
	return l, nil
}

func jemDataErr(err error) error {
	var de *jem.DataError
	if errors.As(err, &de) {
		return cli.Input(err)
	}
	return err
}

func newJEMTrainCmd() *cobra.Command {
	var (
		src, test, hidden, sampler, out, sampleSampler string
		limit, epochs, perClass                        int
		force, asJSON, quiet                           bool
	)
	cfg := jem.DefaultConfig()
	c := &cobra.Command{
		Use:   "train",
		Short: "Train a JEM (or, with --weight 0, the discriminative baseline)",
		Long: `Train a classifier energy by the hybrid objective
  cross-entropy + w·(mean E(x⁺) − mean E(x⁻) + α·mean(E(x⁺)² + E(x⁻)²))
with negatives x⁻ from a replay buffer (re-initialized from uniform noise or from
per-class Gaussians fitted to the data) moved by the SGLD-style update
x ← x − a∇E + b·ξ (sgld, JEM's; it samples a colder distribution) or by
unadjusted Langevin x ← x − η∇E + √(2η)·ξ (ula). Divergences are rolled back
automatically (learning rate halved, buffer re-initialized).

Writes --out: model.json, model.safetensors, metrics.jsonl, report.json,
reliability.png (with test data) and samples.png (image data).

` + jemDataHelp,
		Example: `  ebm jem train --data digits --test digits --iters 1500 --hidden 128,128 --out out/jem
  ebm jem train --data digits --test digits --iters 1500 --hidden 128,128 --weight 0 --out out/base
  ebm jem train --data idx:/work/shared/data/mnist --test idx:/work/shared/data/mnist --epochs 1 --out out/mnist`,
		Args: rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var err error
			if cfg.Hidden, err = jem.ParseHidden(hidden); err != nil {
				return cli.Usagef("--hidden %q: want positive layer widths such as 256,256", hidden)
			}
			if cfg.Sampler, err = jem.ParseSampler("--sampler", sampler); err != nil {
				return err
			}
			ss, err := jem.ParseSampler("--sample-sampler", sampleSampler)
			if err != nil {
				return err
			}
			if out == "" {
				return cli.Usagef("--out: an output folder is required")
			}
			if err := jem.CheckSettings(cfg, perClass, limit, epochs); err != nil {
				return cli.Flag(err)
			}
			if err := cli.CheckOutDir(out, force, data.SourcePaths(src, test)...); err != nil {
				return err
			}
			tr, err := jemLoad("data", src, false, limit)
			if err != nil {
				return err
			}
			var te *jem.Labelled
			if test != "" {
				if te, err = jemLoad("test", test, true, 0); err != nil {
					return err
				}
			}
			if epochs > 0 {
				cfg.Iters = epochs * max(tr.X.Rows/cfg.Batch, 1)
			}
			cfg.Standardize = tr.Image == [2]int{}
			bar := cli.NewProgress(cfg.Iters, "jem train", quiet || asJSON)
			cfg.Progress = func(done, total int) { bar.Add(1) }
			job := &jem.Job{Config: cfg, Data: tr, Test: te, SamplesPerClass: perClass, SampleSampler: ss}
			od, err := cli.NewOutDir(out, force, data.SourcePaths(src, test)...)
			if err != nil {
				return err
			}
			defer od.Abort()
			err = job.Fit(c.Context())
			bar.Done()
			if err != nil {
				return jemDataErr(err)
			}
			if err := job.Save(od.Tmp, cfg.Seed); err != nil {
				return err
			}
			if err := od.Commit(); err != nil {
				return err
			}
			r := job.Report()
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), r)
			}
			w := c.OutOrStdout()
			fmt.Fprintf(w, "trained %d iterations in %.1fs (%.2fs per epoch, %.0f%% sampling), %d rollbacks\n",
				r.Iters, r.Seconds, r.SecondsPerEpoch, 100*r.SamplingShare, r.Retries)
			if e := r.Eval; e != nil {
				fmt.Fprintf(w, "test: accuracy %.4f  NLL %.4f  ECE %.4f  (%d examples)\n", e.Accuracy, e.NLL, e.ECE, e.N)
			}
			if perClass > 0 {
				fmt.Fprintf(w, "class-conditional samples classified as their class by the model: %.3f\n", r.SampleAgreement)
			}
			fmt.Fprintf(w, "wrote %s\n", od.Final)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&src, "data", "digits", "training data: digits | idx:DIR | csv:PATH")
	f.StringVar(&test, "test", "", "test data evaluated after training (digits and idx: their test split)")
	f.IntVar(&limit, "limit", 0, "keep the first N training examples (0: all)")
	f.StringVar(&hidden, "hidden", "256,256", "hidden layer widths")
	f.StringVar(&cfg.Activation, "act", "silu", "activation: silu | tanh | softplus | elu | relu | …")
	f.Float64Var(&cfg.Weight, "weight", 1, "generative weight w (0: discriminative baseline, no sampling)")
	f.Float64Var(&cfg.Alpha, "alpha", 0.1, "E² regularizer α")
	f.StringVar(&sampler, "sampler", "sgld:step=1,noise=0.01,steps=20", "negative sampler: sgld:step=a,noise=b,steps=K[,clip=c] | ula:step=η,steps=K")
	f.StringVar(&cfg.Init, "init", jem.InitUniform, "buffer re-initialization: uniform | class-gaussian")
	f.IntVar(&cfg.Buffer, "buffer", 10000, "replay buffer size")
	f.Float64Var(&cfg.Reinit, "reinit", 0.05, "probability of re-initializing a buffer entry per draw")
	f.BoolVar(&cfg.Conditional, "conditional", false, "move negatives on E(x, y) with each buffer entry's label")
	f.IntVar(&cfg.Batch, "batch", 64, "examples per update")
	f.IntVar(&cfg.Iters, "iters", 0, "updates")
	f.IntVar(&epochs, "epochs", 0, "passes over the training data (instead of --iters)")
	f.Float64Var(&cfg.LR, "lr", 1e-3, "Adam learning rate")
	f.Float64Var(&cfg.ClipNorm, "clip-grad", 10, "clip the gradient norm (0: no clipping)")
	f.IntVar(&perClass, "samples-per-class", 10, "class-conditional samples per class for samples.png (0: none)")
	f.StringVar(&sampleSampler, "sample-sampler", "sgld:step=0.1,noise=0.01,steps=100", "sampler of samples.png")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	f.StringVar(&out, "out", "", "output folder (required)")
	f.BoolVar(&force, "force", false, "replace --out if ebm wrote it")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.BoolVar(&quiet, "quiet", false, "no progress")
	return c
}

// jemModel loads --model, naming a folder of another kind as a usage error.
func jemModel(flag, dir string) (*jem.Classifier[float32], error) {
	if dir == "" {
		return nil, cli.Usagef("--%s is required", flag)
	}
	m, _, err := jem.Load(dir)
	if err != nil {
		return nil, cli.Usagef("--%s %s: %v", flag, dir, err)
	}
	return m, nil
}

// jemFitErr turns a *jem.FitError into a usage error naming the flag.
func jemFitErr(err error) error {
	var fe *jem.FitError
	if !errors.As(err, &fe) {
		return jemDataErr(err)
	}
	if fe.Name == "" {
		return cli.Usagef("--%s: %s", fe.Input, fe.Msg)
	}
	return cli.Usagef("--%s %s: %s", fe.Input, fe.Name, fe.Msg)
}

// jemEvalOutput is what ebm jem eval prints.
type jemEvalOutput = jem.EvalReport

func newJEMEvalCmd() *cobra.Command {
	var (
		dir, src, plotPath string
		ood                []string
		uniform, bins      int
		seed               uint64
		force, asJSON      bool
	)
	c := &cobra.Command{
		Use:   "eval",
		Short: "Accuracy, NLL, ECE and reliability diagram; OOD AUROC of three scores",
		Long: `Evaluate a classifier (a JEM or a baseline trained by ebm jem train) on labelled data
(digits and idx: the test split): accuracy, NLL (nats), expected calibration error
over --bins confidence bins and its reliability diagram (--plot). With --ood SOURCE
(repeatable) or --ood-uniform N, the AUROC of telling those out-of-distribution
points from the --data points by each of three scores, oriented so that higher
means "out of distribution": E(x) = −log p(x) + const, −max_y p(y|x), and
‖∇ₓ log p(x)‖.

` + jemDataHelp,
		Example: `  ebm jem eval --model out/jem --data digits --ood-uniform 1000 --plot reliability.png
  ebm jem eval --model out/fashion --data idx:/usr/share/datasets/fashion-mnist --ood idx:/work/shared/data/mnist --json`,
		Args: rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if bins < 1 || uniform < 0 {
				return cli.Usagef("--bins must be ≥ 1 and --ood-uniform ≥ 0")
			}
			m, err := jemModel("model", dir)
			if err != nil {
				return err
			}
			if plotPath != "" {
				if err := cli.CheckOutFile(plotPath, force, append(data.SourcePaths(append([]string{src}, ood...)...), dir)...); err != nil {
					return err
				}
			}
			job := &jem.EvalJob{Model: m, ModelName: dir, DataName: src, Uniform: uniform, Bins: bins, Seed: seed, Plot: plotPath}
			if job.Data, err = jemLoad("data", src, true, 0); err != nil {
				return err
			}
			if err := jemFitErr(jem.CheckFit("data", m, job.Data, true)); err != nil {
				return err
			}
			for _, o := range ood {
				ol, err := jemLoad("ood", o, true, 0)
				if err != nil {
					return err
				}
				if err := jemFitErr(jem.CheckFit("ood", m, ol, false)); err != nil {
					return err
				}
				job.OOD = append(job.OOD, ol)
			}
			res, err := job.Run(c.Context())
			if err != nil {
				return jemFitErr(err)
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), res)
			}
			w := c.OutOrStdout()
			cl := res.Eval
			fmt.Fprintf(w, "%s: accuracy %.4f  NLL %.4f  ECE %.4f  (%d examples)\n", src, cl.Accuracy, cl.NLL, cl.ECE, cl.N)
			for _, o := range res.OOD {
				fmt.Fprintf(w, "OOD %s (%d): AUROC energy %.4f  max-softmax %.4f  grad-norm %.4f\n", o.Name, o.N, o.Energy, o.MaxProb, o.GradNorm)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "model", "", "model folder (required)")
	f.StringVar(&src, "data", "", "labelled in-distribution data (required)")
	f.StringArrayVar(&ood, "ood", nil, "out-of-distribution data source (repeatable; labels ignored)")
	f.IntVar(&uniform, "ood-uniform", 0, "also score N uniform-noise points in the data's range")
	f.IntVar(&bins, "bins", 15, "calibration bins")
	f.StringVar(&plotPath, "plot", "", "write the reliability diagram to this PNG")
	f.Uint64Var(&seed, "seed", 1, "seed of the uniform noise")
	f.BoolVar(&force, "force", false, "replace --plot if it exists")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	return c
}

func newJEMSampleCmd() *cobra.Command {
	var (
		dir, src, baseline, sampler, init, out string
		perClass                               int
		seed                                   uint64
		force, asJSON                          bool
	)
	c := &cobra.Command{
		Use:   "sample",
		Short: "Class-conditional samples from E(x, y) as a PNG grid (one row per class)",
		Long: `Draw --per-class samples of every class y by running the sampler on E(x, y) = −f(x)[y]
from fresh starts (uniform noise in the data's range, or the class's Gaussian fitted to
--data), and write them as a PNG grid, one row per class. With --baseline MODEL, report
the fraction of samples that this separately trained classifier assigns to the intended
class (and the fraction the sampling model itself assigns).`,
		Example: `  ebm jem sample --model out/jem --data digits --per-class 10 --out samples.png --baseline out/base`,
		Args:    rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := jem.ParseSampler("--sampler", sampler)
			if err != nil {
				return err
			}
			if perClass < 1 {
				return cli.Usagef("--per-class must be ≥ 1")
			}
			if init != jem.InitUniform && init != jem.InitClassGaussian {
				return cli.Usagef("--init %q: want %s or %s", init, jem.InitUniform, jem.InitClassGaussian)
			}
			if out == "" {
				return cli.Usagef("--out: a PNG file is required")
			}
			if err := cli.CheckOutFile(out, force, append(data.SourcePaths(src), dir, baseline)...); err != nil {
				return err
			}
			m, err := jemModel("model", dir)
			if err != nil {
				return err
			}
			var base *jem.Classifier[float32]
			if baseline != "" {
				if base, err = jemModel("baseline", baseline); err != nil {
					return err
				}
				if err := jemFitErr(jem.CheckPair(m, base, baseline)); err != nil {
					return err
				}
			}
			l, err := jemLoad("data", src, false, 0)
			if err != nil {
				return err
			}
			job := &jem.SampleJob{Model: m, Baseline: base, ModelName: dir, BaselineName: baseline, Data: l,
				Sampler: s, Init: init, PerClass: perClass, Seed: seed, Out: out}
			if err := jemFitErr(job.Validate()); err != nil {
				return err
			}
			res, err := job.Run(c.Context())
			if err != nil {
				return jemDataErr(err)
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), res)
			}
			w := c.OutOrStdout()
			fmt.Fprintf(w, "samples assigned to their class by the model: %.3f\n", res.SelfAgreement)
			if a := res.BaselineAgreement; a != nil {
				fmt.Fprintf(w, "samples assigned to their class by the baseline %s: %.3f\n", baseline, *a)
			}
			fmt.Fprintf(w, "wrote %s\n", out)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "model", "", "model folder (required)")
	f.StringVar(&src, "data", "digits", "training data (range of the starts, class Gaussians)")
	f.StringVar(&baseline, "baseline", "", "a separately trained classifier that checks the samples")
	f.StringVar(&sampler, "sampler", "sgld:step=0.1,noise=0.01,steps=100", "sampler on E(x, y)")
	f.StringVar(&init, "init", jem.InitUniform, "starts: uniform | class-gaussian")
	f.IntVar(&perClass, "per-class", 10, "samples per class")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	f.StringVar(&out, "out", "", "PNG file to write (required)")
	f.BoolVar(&force, "force", false, "replace --out if it exists")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	return c
}
