package main

// The rbm commands (package rbm's jobs), and what the rbm, dbn and bm commands share.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/spec"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newRBMCmd, newDBNCmd, newBMCmd) }

const rbmDataHelp = `Data (--data):
  digits     the 8×8 digits protocol: train = the first 1500 rows, test = the last 297
             (file order); Bernoulli units see pixel ≥ 8 → 1, Gaussian units pixel/16
  idx:PATH   MNIST-style IDX images (plain or .gz); Bernoulli units see pixel > 127 → 1,
             Gaussian units pixel/255; --limit N keeps the first N images
  csv:PATH   a numeric CSV file (optional header, no label column); Bernoulli units need
             0/1 values unless --binarize T is given (values ≥ T → 1)
Gaussian units are trained on data standardized per column with the training data's
mean and standard deviation, which are saved with the model and reused by eval.`

// rbmNoArgs rejects positional arguments with a usage error (every command but
// the top-level ones uses it).
func rbmNoArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cli.Usagef("%s: unexpected argument %q (see %s --help)", c.CommandPath(), args[0], c.CommandPath())
	}
	return nil
}

// rbmGroup returns a parent command that only holds subcommands.
func rbmGroup(use, short, long string, subs ...*cobra.Command) *cobra.Command {
	var names []string
	for _, s := range subs {
		names = append(names, s.Name())
	}
	c := &cobra.Command{Use: use, Short: short, Long: long,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("%s: unknown subcommand %q (valid: %s)", use, args[0], strings.Join(names, ", "))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	c.AddCommand(subs...)
	return c
}

// rbmReadData reads --data and --test (when not empty) with data.LoadUnitSets.
func rbmReadData(source, test string, limit int, binary bool, binarize float64) (*data.UnitData, error) {
	d, err := data.LoadUnitSets(source, test, limit, binary, binarize)
	return d, cli.Input(cli.Flag(err))
}

// rbmErr names the library's complaints about the user's input by their flags:
// data (dataFlag, or testFlag for the test set), sizes (sizeFlag) and
// settings (*spec.Error, by their own names).
func rbmErr(err error, sizeFlag, dataFlag, testFlag string) error {
	var de *rbm.DataSetError
	var se *rbm.SizeError
	switch {
	case errors.As(err, &de):
		flag, msg := dataFlag, de.Error()
		if de.Set == "test" {
			flag = testFlag
		}
		if strings.Contains(msg, "binary") {
			msg += "; for CSV data pass --binarize T"
		}
		return cli.Usagef("%s: %s", flag, msg)
	case errors.As(err, &se):
		return cli.Usagef("%s: %v", sizeFlag, err)
	case spec.IsInvalid(err):
		return cli.Flag(err)
	}
	return err
}

// rbmLoadErr marks an unreadable model folder or one of the wrong kind as a usage error.
func rbmLoadErr(dir string, err error) error {
	var ke *rbm.KindError
	if errors.As(err, &ke) {
		return cli.Usagef("--model %s %s", dir, ke.Mismatch())
	}
	return cli.Input(err)
}

// rbmProgress adapts cli.Progress to Config.OnBatch.
type rbmProgress struct {
	desc  string
	quiet bool
	bar   *cli.Progress
	last  int
}

func (p *rbmProgress) onBatch(done, total int) {
	if p.bar == nil || done < p.last { // the first call, or a new layer started
		p.done()
		p.bar = cli.NewProgress(total, p.desc, p.quiet)
		p.last = 0
	}
	p.bar.Add(done - p.last)
	p.last = done
}

func (p *rbmProgress) done() {
	if p != nil && p.bar != nil {
		p.bar.Done()
	}
}

// rbmTrainOpts are the options shared by rbm train and dbn train.
type rbmTrainOpts struct {
	data, test, visible, method, schedule, out, hidden string
	limit, k, epochs, batch, chains, samples, steps    int
	lr, momentum, decay, binarize, varLR               float64
	seed                                               uint64
	shuffle, learnVar, jsonOut, force, quiet           bool
}

func (o *rbmTrainOpts) flags(c *cobra.Command, dbn bool) {
	f := c.Flags()
	f.StringVar(&o.data, "data", "digits", "digits | idx:PATH | csv:PATH")
	f.StringVar(&o.test, "test", "", "held-out data for idx/csv (idx:PATH or csv:PATH; digits has its own test split)")
	f.IntVar(&o.limit, "limit", 0, "keep the first N training examples (0: all)")
	if dbn {
		f.StringVar(&o.hidden, "hidden", "32,16", "hidden layer sizes, bottom up")
	} else {
		f.StringVar(&o.hidden, "hidden", "16", "number of hidden units")
		f.StringVar(&o.visible, "visible", "bernoulli", "visible units: bernoulli | gaussian")
		f.BoolVar(&o.learnVar, "learn-var", false, "learn the variances of Gaussian visible units")
		f.Float64Var(&o.varLR, "var-lr", 0, "learning rate of the log-variances (default lr/10)")
	}
	if dbn {
		f.StringVar(&o.method, "method", "pcd", "cd | pcd")
	} else {
		f.StringVar(&o.method, "method", "pcd", "cd | pcd | mpf (minimum probability flow) | pl (pseudo-likelihood); mpf and pl need Bernoulli units")
	}
	f.IntVar(&o.k, "k", 1, "Gibbs sweeps per update (CD-k / PCD-k)")
	f.IntVar(&o.epochs, "epochs", 10, "passes over the training data")
	f.Float64Var(&o.lr, "lr", 0.1, "learning rate (the gradient is the batch mean)")
	f.IntVar(&o.batch, "batch", 10, "examples per update")
	f.Float64Var(&o.momentum, "momentum", 0, "momentum in [0, 1)")
	f.Float64Var(&o.decay, "weight-decay", 0, "L2 weight decay on W")
	f.StringVar(&o.schedule, "schedule", "constant", "learning rate schedule: constant | cosine[:final=0.01] | linear[:final=0] | step[:every=N,factor=0.5] (N epochs; default a quarter of the run), each with an optional warmup=N epochs")
	f.IntVar(&o.chains, "chains", 0, "persistent chains for PCD (0: one per batch row, as scikit-learn)")
	f.BoolVar(&o.shuffle, "shuffle", false, "shuffle the examples every epoch (scikit-learn does not)")
	f.Float64Var(&o.binarize, "binarize", 0, "threshold CSV data for Bernoulli units (values ≥ T → 1)")
	f.IntVar(&o.samples, "samples", 100, "samples drawn for samples.png")
	f.IntVar(&o.steps, "sample-steps", 1000, "Gibbs sweeps per sample for samples.png")
	f.Uint64Var(&o.seed, "seed", 1, "random seed (initial weights, Gibbs sampling, shuffles)")
	f.StringVar(&o.out, "out", "", "output folder (required)")
	f.BoolVar(&o.force, "force", false, "replace --out if it exists")
	f.BoolVar(&o.jsonOut, "json", false, "print one JSON object with the results on stdout")
	f.BoolVar(&o.quiet, "quiet", false, "no progress bar")
}

// setup checks the options, reads --data and --test (binary for Bernoulli
// units) and returns the hidden sizes, the training configuration (its
// schedule is built by the job) and the data; every refusal comes before any work.
func (o *rbmTrainOpts) setup(binary bool, prog *rbmProgress) ([]int, rbm.Config, *data.UnitData, error) {
	var cfg rbm.Config
	m, err := rbm.ParseMethod(o.method)
	if err != nil {
		return nil, cfg, nil, cli.Usagef("--method %q: unknown method (valid: cd, pcd, mpf, pl)", o.method)
	}
	if (m == rbm.MPF || m == rbm.PL) && !binary {
		return nil, cfg, nil, cli.Usagef("--method %s: needs binary data and Bernoulli visible units", m)
	}
	cfg = rbm.Config{Method: m, K: o.k, Epochs: o.epochs, BatchSize: o.batch, LR: o.lr, Momentum: o.momentum,
		WeightDecay: o.decay, Shuffle: o.shuffle, Seed: o.seed, Chains: o.chains, LearnVar: o.learnVar, VarLR: o.varLR,
		OnBatch: prog.onBatch}
	if err := rbm.CheckSettings(cfg, o.limit, o.samples, o.steps); err != nil {
		return nil, cfg, nil, cli.Flag(err)
	}
	if o.out == "" {
		return nil, cfg, nil, cli.Usagef("--out: an output folder is required")
	}
	hs, err := rbm.ParseSizes(o.hidden)
	if err != nil {
		return nil, cfg, nil, cli.Flag(err)
	}
	if err := cli.CheckOutDir(o.out, o.force, data.SourcePaths(o.data, o.test)...); err != nil {
		return nil, cfg, nil, err
	}
	d, err := rbmReadData(o.data, o.test, o.limit, binary, o.binarize)
	return hs, cfg, d, err
}

// rbmJob is a training run of package rbm (TrainRun, DBNRun, FVBMRun).
type rbmJob interface {
	Fit(ctx context.Context) error
	Save(dir string) error
	Report() map[string]any
	WriteSummary(w io.Writer)
}

// rbmRun fits run and saves it as the output folder out (which may not
// replace the inputs read), then prints the report (as JSON, or its summary)
// and the folder written (with the files it holds).
func rbmRun(c *cobra.Command, run rbmJob, prog *rbmProgress, out string, force, jsonOut bool, files string, inputs ...string) error {
	od, err := cli.NewOutDir(out, force, inputs...)
	if err != nil {
		return err
	}
	defer od.Abort()
	err = run.Fit(c.Context())
	if prog.done(); err != nil {
		return err
	}
	if err := run.Save(od.Tmp); err != nil {
		return err
	}
	if err := od.Commit(); err != nil {
		return err
	}
	rep := run.Report()
	rep["out"] = od.Final
	if jsonOut {
		return cli.WriteJSON(c.OutOrStdout(), rep)
	}
	run.WriteSummary(c.OutOrStdout())
	fmt.Fprintf(c.OutOrStdout(), "wrote %s%s\n", od.Final, files)
	return nil
}

// rbmFiles lists the files of an rbm or dbn model folder.
const rbmFiles = " (model.json, model.safetensors, samples.png, metrics.jsonl)"

func newRBMCmd() *cobra.Command {
	return rbmGroup("rbm", "Restricted Boltzmann machines: train, evaluate, sample",
		`Restricted Boltzmann machines with binary hidden units and Bernoulli or Gaussian visible
units, p(v, h) ∝ exp(−E(v, h)) with E = −vᵀWh − bᵀv − cᵀh (Bernoulli) or
E = Σ(vᵢ−bᵢ)²/(2σᵢ²) − Σ(vᵢ/σᵢ²)Wᵢⱼhⱼ − cᵀh (Gaussian, Cho et al. 2011).

  ebm rbm train    train by CD-k or PCD; write the model folder, samples.png, metrics.jsonl
  ebm rbm eval     test log-likelihood (exact or AIS), log Z, pseudo-likelihood
  ebm rbm sample   a PNG grid of Gibbs samples`,
		newRBMTrainCmd(), newRBMEvalCmd(), newRBMSampleCmd())
}

func newRBMTrainCmd() *cobra.Command {
	o := &rbmTrainOpts{}
	c := &cobra.Command{
		Use:   "train",
		Short: "Train an RBM by CD-k or PCD",
		Long: `Train an RBM by contrastive divergence (CD-k) or persistent contrastive divergence
(PCD-k, one persistent chain per batch row unless --chains), with mini-batches,
momentum, weight decay and a learning-rate schedule. The defaults are scikit-learn's
BernoulliRBM (PCD-1, lr 0.1, batch 10, 10 epochs, W ~ N(0, 0.01²), biases 0, no
shuffling).

Writes --out as a model folder (model.json with the architecture, training
configuration, data description and final metrics; model.safetensors with W, b, c
[, log_var, data_mean, data_std] and base_bias, the base-rate biases AIS uses),
plus samples.png (Gibbs samples) and metrics.jsonl (one line per epoch).

The final metrics are computed on the test data (digits: the test split; idx/csv:
--test) or else on the training data (at most its first 10000 rows), and named
accordingly: pl_test / pl_train (exact pseudo-log-likelihood per example, all
visible units flipped; Bernoulli units only), loglik_test / loglik_train (exact,
when the smaller layer has at most 20 units, cheap enough for every epoch), and
the convergence diagnostics of the Gibbs chains drawn for samples.png (split R̂
and bulk ESS of the free energy: gibbs_rhat, gibbs_ess_bulk).

` + rbmDataHelp,
		Example: `  ebm rbm train --data digits --hidden 16 --method pcd --k 1 --epochs 30 --lr 0.05 --batch 10 --seed 1 --out out/rbm16 --json
  ebm rbm train --data digits --hidden 16 --method pcd --k 3 --epochs 100 --lr 0.1 --schedule linear --out out/best
  ebm rbm train --data idx:/data/mnist/train-images-idx3-ubyte.gz --hidden 64 --epochs 10 --lr 0.05 --batch 20 --out out/mnist64`,
		Args: rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			vis, err := rbm.ParseVisible(o.visible)
			if err != nil {
				return cli.Usagef("--visible %q: unknown unit type (valid: bernoulli, gaussian)", o.visible)
			}
			prog := &rbmProgress{desc: "rbm train", quiet: o.quiet || o.jsonOut}
			hs, cfg, d, err := o.setup(vis == rbm.Bernoulli, prog)
			if err != nil {
				return err
			}
			if len(hs) != 1 {
				return cli.Usagef("--hidden %q: an RBM has one hidden layer (use ebm dbn for more)", o.hidden)
			}
			run, err := rbm.NewTrainRun(rbm.TrainJob{Visible: vis, Hidden: hs[0], Config: cfg, Schedule: o.schedule,
				Samples: o.samples, SampleSteps: o.steps, Limit: o.limit, TestName: o.test}, d)
			if err != nil {
				return rbmErr(err, "--hidden", "--data "+o.data, "--test "+o.test)
			}
			return rbmRun(c, run, prog, o.out, o.force, o.jsonOut, rbmFiles, data.SourcePaths(o.data, o.test)...)
		},
	}
	o.flags(c, false)
	return c
}
