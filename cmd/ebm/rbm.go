package main

// The rbm commands: restricted Boltzmann machines (package rbm). Shared helpers
// of the rbm, dbn and bm commands live here too.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/model"
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

// rbmNoArgs rejects positional arguments with a usage error.
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

// rbmReadData reads --data (or --test) by the protocols of data.LoadUnits.
func rbmReadData(flag, source string, limit int, binary bool, binarize float64) (*data.UnitData, error) {
	d, err := data.LoadUnits(source, binary, binarize, limit)
	if spec.IsInvalid(err) {
		return nil, cli.Usagef("%s %s: %v", flag, source, err)
	}
	return d, cli.Input(err)
}

// rbmDataErr turns a data error from package rbm into a usage error with a hint.
func rbmDataErr(flag string, err error) error {
	var de *rbm.DataError
	if errors.As(err, &de) {
		msg := err.Error()
		if strings.Contains(msg, "binary") {
			msg += "; for CSV data pass --binarize T"
		}
		return cli.Usagef("%s: %s", flag, msg)
	}
	return err
}

// rbmSizeErr turns a size error of the model constructors into a usage error.
func rbmSizeErr(flag string, err error) error {
	var se *rbm.SizeError
	if errors.As(err, &se) {
		return cli.Usagef("%s: %v", flag, err)
	}
	return err
}

// rbmKindErr turns a model folder of the wrong kind into a usage error.
func rbmKindErr(dir string, err error) error {
	var ke *rbm.KindError
	if errors.As(err, &ke) {
		an := "a"
		if strings.ContainsRune("rf", rune(ke.Want[0])) {
			an = "an"
		}
		return cli.Usagef("--model %s holds a %q model, not %s %s", dir, ke.Kind, an, ke.Want)
	}
	return err
}

// rbmPrintMetrics prints m sorted by key.
func rbmPrintMetrics(w io.Writer, m map[string]float64) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-28s %.4f\n", k, m[k])
	}
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
	if p.bar != nil {
		p.bar.Done()
	}
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
		RunE: func(c *cobra.Command, _ []string) error { return runRBMTrain(c, o) },
	}
	o.flags(c, false)
	return c
}

func runRBMTrain(c *cobra.Command, o *rbmTrainOpts) error {
	m, hs, err := o.check()
	if err != nil {
		return err
	}
	if len(hs) != 1 {
		return cli.Usagef("--hidden %q: an RBM has one hidden layer (use ebm dbn for more)", o.hidden)
	}
	vis, err := rbm.ParseVisible(o.visible)
	if err != nil {
		return cli.Usagef("--visible %q: unknown unit type (valid: bernoulli, gaussian)", o.visible)
	}
	if err := cli.CheckOutDir(o.out, o.force); err != nil {
		return err
	}
	d, err := o.readTrain(vis == rbm.Bernoulli)
	if err != nil {
		return err
	}
	cfg, err := o.config(m, d.Train.Rows)
	if err != nil {
		return err
	}
	r, err := rbm.New(vis, d.Train.Cols, hs[0], o.seed)
	if err != nil {
		return rbmSizeErr("--hidden", err)
	}
	r.Data = &rbm.DataInfo{Image: d.Image, Preprocessing: d.Preprocessing}
	if vis == rbm.Gaussian {
		d.Train, r.Data.Mean, r.Data.Std = data.Standardize(d.Train)
		if d.Test != nil {
			d.Test = data.StandardizeWith(d.Test, r.Data.Mean, r.Data.Std)
		}
	}
	for flag, x := range map[string]*data.UnitData{"--data " + o.data: d} {
		if err := r.CheckData(x.Train, false); err != nil {
			return rbmDataErr(flag, err)
		}
		if x.Test != nil {
			if err := r.CheckData(x.Test, false); err != nil {
				return rbmDataErr("--test "+o.test, err)
			}
		}
	}
	out, err := cli.NewOutDir(o.out, o.force)
	if err != nil {
		return err
	}
	defer out.Abort()
	mon := rbmMonitorSet(d)
	var lines bytes.Buffer
	prog := &rbmProgress{desc: "rbm train", quiet: o.quiet || o.jsonOut}
	cfg.OnBatch, cfg.TrackRecon = prog.onBatch, true
	res, err := r.Fit(c.Context(), d.Train, cfg, func(s rbm.EpochStats) error {
		m, err := rbmMetrics(r, mon)
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
	prog.done()
	if err != nil {
		return err
	}
	metrics, err := rbmMetrics(r, mon)
	if err != nil {
		return err
	}
	if re, err := r.ReconError(mon.x); err == nil {
		metrics["recon_error_"+mon.name] = re
	}
	if vis == rbm.Bernoulli {
		if r.Data.BaseBias, err = rbm.BaseRateBias(d.Train, 1); err != nil {
			return err
		}
	}
	samples, cd, err := r.SampleDiagnosed(o.samples, o.sampleSteps, o.seed)
	if err != nil {
		return err
	}
	metrics["gibbs_rhat"], metrics["gibbs_ess_bulk"] = cd.Rhat, cd.ESSBulk
	metrics = rbmFinite(metrics)
	r.Data.Unstandardize(samples)
	dataJS, _ := json.Marshal(map[string]any{"name": d.Name, "n_train": d.Train.Rows, "limit": o.limit,
		"preprocessing": d.Preprocessing, "test": o.test, "metrics_on": mon.name})
	meta := &model.Meta{Seed: o.seed, Training: o.trainingDoc(cfg), Data: dataJS, Metrics: metrics}
	if err := r.Save(out.Tmp, meta); err != nil {
		return err
	}
	if err := os.WriteFile(out.Path("metrics.jsonl"), lines.Bytes(), 0o644); err != nil {
		return err
	}
	if err := rbmImageGrid(out.Path("samples.png"), samples, d.Image); err != nil {
		return err
	}
	if err := out.Commit(); err != nil {
		return err
	}
	rep := map[string]any{"out": out.Final, "data": d.Name, "visible": vis.String(), "n_visible": r.NumVisible(),
		"n_hidden": r.NumHidden(), "n_train": d.Train.Rows, "method": m.String(), "k": cfg.K, "epochs": res.Epochs,
		"sec_per_epoch": res.SecPerEpoch, "train_seconds": res.Seconds}
	for k, v := range metrics {
		rep[k] = v
	}
	w := c.OutOrStdout()
	if o.jsonOut {
		return cli.WriteJSON(w, rep)
	}
	fmt.Fprintf(w, "trained a %d×%d %s RBM on %s (%d examples) by %s-%d: %d epochs, %.3f s/epoch\n",
		r.NumVisible(), r.NumHidden(), vis, d.Name, d.Train.Rows, strings.ToUpper(m.String()), cfg.K,
		res.Epochs, res.SecPerEpoch)
	rbmPrintMetrics(w, metrics)
	fmt.Fprintf(w, "wrote %s (model.json, model.safetensors, samples.png, metrics.jsonl)\n", out.Final)
	return nil
}
