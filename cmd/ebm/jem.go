package main

// The jem commands: joint energy-based classifiers (package jem).

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/jem"
	"github.com/ebm-go/ebm/nn"
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

func parseSizes(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, cli.Usagef("--%s %q: want positive layer widths such as 256,256", flag, s)
		}
		out = append(out, n)
	}
	return out, nil
}

func newJEMTrainCmd() *cobra.Command {
	var (
		src, test, hidden, act, sampler, init, out string
		sampleSampler                              string
		limit, buffer, batch, iters, epochs        int
		perClass                                   int
		weight, alpha, reinit, lr, clip            float64
		seed                                       uint64
		conditional, force, asJSON, quiet          bool
	)
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
			cfg := jem.DefaultConfig()
			var err error
			if cfg.Hidden, err = parseSizes("hidden", hidden); err != nil {
				return err
			}
			if cfg.Sampler, err = jem.ParseSampler("--sampler", sampler); err != nil {
				return err
			}
			ss, err := jem.ParseSampler("--sample-sampler", sampleSampler)
			if err != nil {
				return err
			}
			switch {
			case out == "":
				return cli.Usagef("--out: an output folder is required")
			case init != jem.InitUniform && init != jem.InitClassGaussian:
				return cli.Usagef("--init %q: want %s or %s", init, jem.InitUniform, jem.InitClassGaussian)
			case !(weight >= 0) || !(alpha >= 0) || !(lr > 0) || !(clip >= 0):
				return cli.Usagef("--weight, --alpha and --clip-grad must be ≥ 0 and --lr > 0")
			case !(reinit >= 0 && reinit <= 1):
				return cli.Usagef("--reinit %v: want a probability in [0, 1]", reinit)
			case batch < 1 || buffer < 1 || perClass < 0 || limit < 0:
				return cli.Usagef("--batch and --buffer must be ≥ 1, --samples-per-class and --limit ≥ 0")
			case (iters > 0) == (epochs > 0):
				return cli.Usagef("give one of --iters or --epochs (a positive number)")
			}
			if _, err := jemAct(act); err != nil {
				return err
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
				iters = epochs * max(tr.X.Rows/batch, 1)
			}
			cfg.Activation, cfg.Weight, cfg.Alpha, cfg.Init, cfg.Buffer, cfg.Reinit = act, weight, alpha, init, buffer, reinit
			cfg.Conditional, cfg.Batch, cfg.Iters, cfg.LR, cfg.ClipNorm, cfg.Seed = conditional, batch, iters, lr, clip, seed
			cfg.Standardize = tr.Image == [2]int{}
			bar := cli.NewProgress(iters, "jem train", quiet || asJSON)
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
			if err := job.Save(od.Tmp, seed); err != nil {
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
	f.StringVar(&act, "act", "silu", "activation: silu | tanh | softplus | elu | relu | …")
	f.Float64Var(&weight, "weight", 1, "generative weight w (0: discriminative baseline, no sampling)")
	f.Float64Var(&alpha, "alpha", 0.1, "E² regularizer α")
	f.StringVar(&sampler, "sampler", "sgld:step=1,noise=0.01,steps=20", "negative sampler: sgld:step=a,noise=b,steps=K[,clip=c] | ula:step=η,steps=K")
	f.StringVar(&init, "init", jem.InitUniform, "buffer re-initialization: uniform | class-gaussian")
	f.IntVar(&buffer, "buffer", 10000, "replay buffer size")
	f.Float64Var(&reinit, "reinit", 0.05, "probability of re-initializing a buffer entry per draw")
	f.BoolVar(&conditional, "conditional", false, "move negatives on E(x, y) with each buffer entry's label")
	f.IntVar(&batch, "batch", 64, "examples per update")
	f.IntVar(&iters, "iters", 0, "updates")
	f.IntVar(&epochs, "epochs", 0, "passes over the training data (instead of --iters)")
	f.Float64Var(&lr, "lr", 1e-3, "Adam learning rate")
	f.Float64Var(&clip, "clip-grad", 10, "clip the gradient norm (0: no clipping)")
	f.IntVar(&perClass, "samples-per-class", 10, "class-conditional samples per class for samples.png (0: none)")
	f.StringVar(&sampleSampler, "sample-sampler", "sgld:step=0.1,noise=0.01,steps=100", "sampler of samples.png")
	f.Uint64Var(&seed, "seed", 1, "random seed")
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

// jemCheckData refuses data whose rows or labels do not fit the model.
func jemCheckData(flag string, m *jem.Classifier[float32], l *jem.Labelled, labels bool) error {
	if l.X.Cols != m.Dim() {
		what := fmt.Sprintf("%d values per row", l.X.Cols)
		if l.Image != [2]int{} {
			what = fmt.Sprintf("%d×%d images", l.Image[0], l.Image[1])
		}
		want := fmt.Sprintf("%d values", m.Dim())
		if m.Image != [2]int{} {
			want = fmt.Sprintf("%d×%d images", m.Image[0], m.Image[1])
		}
		return cli.Usagef("--%s %s: %s, the model takes %s", flag, l.Name, what, want)
	}
	if labels {
		if err := jem.CheckLabels(l.X, l.Y, m.Classes(), l.Name); err != nil {
			return cli.Usagef("--%s: %v (the model has %d classes)", flag, err, m.Classes())
		}
	}
	return nil
}

// EvalOutput is what ebm jem eval prints.
type jemEvalOutput struct {
	Model string              `json:"model"`
	Data  string              `json:"data"`
	Eval  *jem.Classification `json:"eval"`
	OOD   []jem.OOD           `json:"ood,omitempty"`
}

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
			l, err := jemLoad("data", src, true, 0)
			if err != nil {
				return err
			}
			if err := jemCheckData("data", m, l, true); err != nil {
				return err
			}
			var oods []*jem.Labelled
			for _, o := range ood {
				ol, err := jemLoad("ood", o, true, 0)
				if err != nil {
					return err
				}
				if err := jemCheckData("ood", m, ol, false); err != nil {
					return err
				}
				oods = append(oods, ol)
			}
			in, err := jem.Score(m, l.X)
			if err != nil {
				return jemDataErr(err)
			}
			cl, err := jem.Classify(in, l.Y, bins)
			if err != nil {
				return jemDataErr(err)
			}
			res := jemEvalOutput{Model: dir, Data: src, Eval: cl}
			for _, ol := range oods {
				s, err := jem.Score(m, ol.X)
				if err != nil {
					return err
				}
				res.OOD = append(res.OOD, jem.DetectOOD(ol.Name, in, s))
			}
			if uniform > 0 {
				box := l.Box
				if box == nil {
					box = jem.DataBox(l.X)
				}
				u := jem.Uniform(uniform, m.Dim(), box, rand.New(rand.NewPCG(seed, 0)))
				s, err := jem.Score(m, u)
				if err != nil {
					return err
				}
				res.OOD = append(res.OOD, jem.DetectOOD("uniform", in, s))
			}
			if plotPath != "" {
				if err := jem.ReliabilityPNG(plotPath, "reliability on "+src, cl); err != nil {
					return err
				}
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), res)
			}
			w := c.OutOrStdout()
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
				if base.Dim() != m.Dim() || base.Classes() != m.Classes() {
					return cli.Usagef("--baseline %s: %d inputs and %d classes, the model %d and %d", baseline, base.Dim(), base.Classes(), m.Dim(), m.Classes())
				}
			}
			l, err := jemLoad("data", src, false, 0)
			if err != nil {
				return err
			}
			if err := jemCheckData("data", m, l, true); err != nil {
				return err
			}
			if m.Image == [2]int{} {
				return cli.Usagef("--model %s: the model was not trained on images; there is no picture to draw", dir)
			}
			box := l.Box
			if box == nil {
				box = jem.DataBox(l.X)
			}
			r := &jem.Replay{Init: init, Box: box, Sampler: s}
			if err := r.Fit(l.X, l.Y, m.Classes()); err != nil {
				return jemDataErr(err)
			}
			x, y, err := jem.SampleClasses(m, r, s, perClass, seed)
			if err != nil {
				return err
			}
			res := map[string]any{"model": dir, "per_class": perClass, "sampler": s, "init": init, "out": out}
			self, err := jem.Agreement(m, x, y)
			if err != nil {
				return err
			}
			res["self_agreement"] = self
			if base != nil {
				a, err := jem.Agreement(base, x, y)
				if err != nil {
					return err
				}
				res["baseline_agreement"] = a
			}
			if err := jem.SamplesPNG(out, x, m.Image[0], m.Image[1], perClass, 0, 1); err != nil {
				return err
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), res)
			}
			w := c.OutOrStdout()
			fmt.Fprintf(w, "samples assigned to their class by the model: %.3f\n", self)
			if base != nil {
				fmt.Fprintf(w, "samples assigned to their class by the baseline %s: %.3f\n", baseline, res["baseline_agreement"])
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

func jemAct(name string) (string, error) {
	if _, err := nn.ActivationByName(name); err != nil {
		return "", cli.Usagef("--act: %v", err)
	}
	return name, nil
}
