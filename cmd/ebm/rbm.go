package main

// The rbm, dbn and bm subcommands: restricted Boltzmann machines, deep belief
// nets and fully visible Boltzmann machines (package rbm).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/tensor"
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
	c := &cobra.Command{
		Use: use, Short: short, Long: long,
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

// rbmData is a data set read for the rbm commands.
type rbmData struct {
	name        string
	train, test *tensor.Dense[float32] // test may be nil
	h, w        int                    // image shape for pictures
	prep        string                 // how the values were derived
}

// rbmImageShape guesses an image shape for d values: square if d is a square,
// else one row.
func rbmImageShape(d int) (h, w int) {
	s := int(math.Round(math.Sqrt(float64(d))))
	if s*s == d {
		return s, s
	}
	return 1, d
}

// rbmReadData reads --data. For Bernoulli units it binarizes digits and IDX
// images by their protocols and CSV files at binarize (when > 0).
func rbmReadData(spec string, limit int, visible rbm.Visible, binarize float64) (*rbmData, error) {
	if limit < 0 {
		return nil, cli.Usagef("--limit %d: must be ≥ 0 (0 keeps everything)", limit)
	}
	kind, path, _ := strings.Cut(spec, ":")
	d := &rbmData{name: spec}
	switch {
	case spec == "digits":
		if visible == rbm.Bernoulli {
			tr, te, err := data.DigitsBinary()
			if err != nil {
				return nil, err
			}
			d.train, d.test = tensor.Convert[float32](nil, tr), tensor.Convert[float32](nil, te)
			d.prep = "pixel >= 8 -> 1 (digits protocol)"
		} else {
			ds, err := data.Digits()
			if err != nil {
				return nil, err
			}
			x := tensor.Convert[float32](nil, ds.X)
			for i := range x.Data {
				x.Data[i] /= 16
			}
			d.train = &tensor.Dense[float32]{Rows: 1500, Cols: 64, Data: x.Data[:1500*64]}
			d.test = &tensor.Dense[float32]{Rows: x.Rows - 1500, Cols: 64, Data: x.Data[1500*64:]}
			d.prep = "pixel/16"
		}
		d.h, d.w = 8, 8
	case kind == "idx" && path != "":
		x, err := data.LoadMNISTImages(path, limit)
		if err != nil {
			return nil, err
		}
		if visible == rbm.Bernoulli {
			// v/255 ≥ 0.5 exactly when the pixel is ≥ 128.
			x = data.Binarize(x, 0.5)
			d.prep = "pixel > 127 -> 1"
		} else {
			d.prep = "pixel/255"
		}
		d.train = x
		d.h, d.w = rbmImageShape(x.Cols)
	case kind == "csv" && path != "":
		ds, err := data.LoadCSV(path, data.CSVOptions{Header: data.HeaderAuto, LabelColumn: data.NoLabel})
		if err != nil {
			return nil, err
		}
		x := tensor.Convert[float32](nil, ds.X)
		if visible == rbm.Bernoulli && binarize > 0 {
			x = data.Binarize(x, float32(binarize))
			d.prep = fmt.Sprintf("value >= %g -> 1", binarize)
		} else {
			d.prep = "as is"
		}
		d.train = x
		d.h, d.w = rbmImageShape(x.Cols)
	default:
		return nil, cli.Usagef("--data %q: want digits, idx:PATH or csv:PATH", spec)
	}
	if limit > 0 && limit < d.train.Rows {
		d.train = &tensor.Dense[float32]{Rows: limit, Cols: d.train.Cols, Data: d.train.Data[:limit*d.train.Cols]}
	}
	return d, nil
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

// rbmArch is the architecture document of a saved RBM.
type rbmArch struct {
	Visible     string  `json:"visible"`
	NVisible    int     `json:"n_visible"`
	NHidden     int     `json:"n_hidden"`
	Image       [2]int  `json:"image"`
	Energy      string  `json:"energy"`
	Standardize bool    `json:"standardize,omitempty"`
	Prep        string  `json:"preprocessing"`
	InitStd     float64 `json:"init_std"`
}

// rbmTensors returns the tensors of r: W (V×H), b, c, and for Gaussian units
// log_var; base_bias (the base-rate biases of the training data, for AIS) and
// the standardization mean/std when given.
func rbmTensors(prefix string, r *rbm.RBM) []model.Tensor {
	ts := []model.Tensor{
		model.FromDense(prefix+"W", r.W),
		{Name: prefix + "b", DType: "F32", Shape: []int{len(r.B)}, F32: r.B},
		{Name: prefix + "c", DType: "F32", Shape: []int{len(r.C)}, F32: r.C},
	}
	if r.LogVar != nil {
		ts = append(ts, model.Tensor{Name: prefix + "log_var", DType: "F32", Shape: []int{len(r.LogVar)}, F32: r.LogVar})
	}
	return ts
}

// rbmFromTensors rebuilds an RBM from tensors saved by rbmTensors.
func rbmFromTensors(ts map[string]model.Tensor, prefix string, visible rbm.Visible, nv, nh int) (*rbm.RBM, error) {
	w, err := model.Expect(ts, prefix+"W", "F32", nv, nh)
	if err != nil {
		return nil, err
	}
	b, err := model.Expect(ts, prefix+"b", "F32", nv)
	if err != nil {
		return nil, err
	}
	c, err := model.Expect(ts, prefix+"c", "F32", nh)
	if err != nil {
		return nil, err
	}
	wd, err := model.ToDense[float32](w)
	if err != nil {
		return nil, err
	}
	r := &rbm.RBM{Visible: visible, W: wd, B: b.F32, C: c.F32}
	if visible == rbm.Gaussian {
		lv, err := model.Expect(ts, prefix+"log_var", "F32", nv)
		if err != nil {
			return nil, err
		}
		r.LogVar = lv.F32
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

func vecTensor(name string, v []float64) model.Tensor {
	return model.Tensor{Name: name, DType: "F64", Shape: []int{len(v)}, F64: v}
}

// rbmSaved is a loaded RBM with what eval and sample need.
type rbmSaved struct {
	r         *rbm.RBM
	arch      rbmArch
	mean, std []float64 // standardization (Gaussian), or nil
	baseBias  []float32 // base-rate biases for AIS, or nil
}

func rbmLoad(dir string) (*rbmSaved, error) {
	meta, ts, err := model.Read(dir)
	if err != nil {
		return nil, err
	}
	if meta.Kind != "rbm" {
		return nil, cli.Usagef("--model %s holds a %q model, not an rbm", dir, meta.Kind)
	}
	s := &rbmSaved{}
	if err := json.Unmarshal(meta.Architecture, &s.arch); err != nil {
		return nil, fmt.Errorf("model %s: architecture: %w", dir, err)
	}
	vis, err := rbm.ParseVisible(s.arch.Visible)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	if s.r, err = rbmFromTensors(ts, "", vis, s.arch.NVisible, s.arch.NHidden); err != nil {
		return nil, fmt.Errorf("model %s: %w", dir, err)
	}
	if s.arch.Standardize {
		m, err := model.Expect(ts, "data_mean", "F64", s.arch.NVisible)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", dir, err)
		}
		sd, err := model.Expect(ts, "data_std", "F64", s.arch.NVisible)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", dir, err)
		}
		s.mean, s.std = m.F64, sd.F64
	}
	if t, ok := ts["base_bias"]; ok {
		if _, err := model.Expect(ts, "base_bias", "F32", s.arch.NVisible); err != nil {
			return nil, fmt.Errorf("model %s: %w", dir, err)
		}
		s.baseBias = t.F32
	}
	return s, nil
}

// rbmUnstandardize maps standardized values back to the data scale.
func rbmUnstandardize(x *tensor.Dense[float32], mean, std []float64) {
	if mean == nil {
		return
	}
	for i := 0; i < x.Rows; i++ {
		r := x.Row(i)
		for k := range r {
			r[k] = float32(float64(r[k])*std[k] + mean[k])
		}
	}
}

// rbmSamplesPNG draws n Gibbs samples (E[v|h] after steps sweeps from random
// states) as an image grid.
func rbmSamplesPNG(path string, r *rbm.RBM, mean, std []float64, h, w, n, steps int, seed uint64) error {
	s, err := r.Sample(n, steps, seed)
	if err != nil {
		return err
	}
	rbmUnstandardize(s, mean, std)
	return rbmImageGrid(path, s, h, w)
}

func rbmImageGrid(path string, s *tensor.Dense[float32], h, w int) error {
	if h*w != s.Cols {
		h, w = 1, s.Cols
	}
	cols := int(math.Ceil(math.Sqrt(float64(s.Rows))))
	scale := 4
	if h <= 8 {
		scale = 8
	}
	return plot.ImageGrid(path, tensor.Convert[float64](nil, s), h, w, cols, scale)
}

// rbmParseSchedule parses constant | step[:every=10,factor=0.5] | linear[:final=0].
func rbmParseSchedule(s string) (rbm.Schedule, error) {
	sp, err := cli.ParseSpec("schedule", s)
	if err != nil {
		return rbm.Schedule{}, err
	}
	var sc rbm.Schedule
	switch sp.Name {
	case "constant":
	case "step":
		sc.Kind = rbm.StepDecay
		if sc.Every, err = sp.Int("every", 10); err != nil {
			return sc, err
		}
		if sc.Factor, err = sp.Float("factor", 0.5); err != nil {
			return sc, err
		}
		if sc.Every < 1 || !(sc.Factor > 0 && sc.Factor <= 1) {
			return sc, cli.Usagef("--schedule %s: need every ≥ 1 and 0 < factor ≤ 1", s)
		}
	case "linear":
		sc.Kind = rbm.LinearDecay
		if sc.Final, err = sp.Float("final", 0); err != nil {
			return sc, err
		}
		if sc.Final < 0 || sc.Final > 1 {
			return sc, cli.Usagef("--schedule %s: need 0 ≤ final ≤ 1", s)
		}
	default:
		return sc, cli.Usagef("--schedule %q: unknown schedule (valid: constant, step[:every=10,factor=0.5], linear[:final=0])", s)
	}
	return sc, sp.CheckUnused()
}

// rbmTrainOpts are the options shared by rbm train and dbn train.
type rbmTrainOpts struct {
	data, test, visible, method, schedule, out string
	hidden                                     string
	limit, k, epochs, batch, chains            int
	samples, sampleSteps                       int
	lr, momentum, decay, binarize, varLR       float64
	seed                                       uint64
	shuffle, learnVar, jsonOut, force, quiet   bool
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
	f.StringVar(&o.method, "method", "pcd", "cd | pcd")
	f.IntVar(&o.k, "k", 1, "Gibbs sweeps per update (CD-k / PCD-k)")
	f.IntVar(&o.epochs, "epochs", 10, "passes over the training data")
	f.Float64Var(&o.lr, "lr", 0.1, "learning rate (the gradient is the batch mean)")
	f.IntVar(&o.batch, "batch", 10, "examples per update")
	f.Float64Var(&o.momentum, "momentum", 0, "classical momentum in [0, 1)")
	f.Float64Var(&o.decay, "weight-decay", 0, "L2 weight decay on W")
	f.StringVar(&o.schedule, "schedule", "constant", "learning rate schedule: constant | step[:every=10,factor=0.5] | linear[:final=0]")
	f.IntVar(&o.chains, "chains", 0, "persistent chains for PCD (0: one per batch row, as scikit-learn)")
	f.BoolVar(&o.shuffle, "shuffle", false, "shuffle the examples every epoch (scikit-learn does not)")
	f.Float64Var(&o.binarize, "binarize", 0, "threshold CSV data for Bernoulli units (values ≥ T → 1)")
	f.IntVar(&o.samples, "samples", 100, "samples drawn for samples.png")
	f.IntVar(&o.sampleSteps, "sample-steps", 1000, "Gibbs sweeps per sample for samples.png")
	f.Uint64Var(&o.seed, "seed", 1, "random seed (initial weights, Gibbs sampling, shuffles)")
	f.StringVar(&o.out, "out", "", "output folder (required)")
	f.BoolVar(&o.force, "force", false, "replace --out if it exists")
	f.BoolVar(&o.jsonOut, "json", false, "print one JSON object with the results on stdout")
	f.BoolVar(&o.quiet, "quiet", false, "no progress bar")
}

// config validates the options and returns the training configuration.
func (o *rbmTrainOpts) config() (rbm.Config, error) {
	var cfg rbm.Config
	m, err := rbm.ParseMethod(o.method)
	if err != nil {
		return cfg, cli.Usagef("--method %q: unknown method (valid: cd, pcd)", o.method)
	}
	switch {
	case o.k < 1:
		return cfg, cli.Usagef("--k %d: need at least one Gibbs sweep", o.k)
	case o.epochs < 1:
		return cfg, cli.Usagef("--epochs %d: need at least 1", o.epochs)
	case o.batch < 1:
		return cfg, cli.Usagef("--batch %d: need at least 1", o.batch)
	case !(o.lr > 0) || math.IsInf(o.lr, 0):
		return cfg, cli.Usagef("--lr %v: need a positive number", o.lr)
	case !(o.momentum >= 0 && o.momentum < 1):
		return cfg, cli.Usagef("--momentum %v: need 0 ≤ momentum < 1", o.momentum)
	case !(o.decay >= 0):
		return cfg, cli.Usagef("--weight-decay %v: need ≥ 0", o.decay)
	case o.chains < 0:
		return cfg, cli.Usagef("--chains %d: need ≥ 0", o.chains)
	case o.samples < 1 || o.sampleSteps < 1:
		return cfg, cli.Usagef("--samples %d --sample-steps %d: need at least 1 each", o.samples, o.sampleSteps)
	case o.binarize < 0 || o.varLR < 0:
		return cfg, cli.Usagef("--binarize and --var-lr must be ≥ 0")
	case o.out == "":
		return cfg, cli.Usagef("--out: an output folder is required")
	}
	sc, err := rbmParseSchedule(o.schedule)
	if err != nil {
		return cfg, err
	}
	return rbm.Config{Method: m, K: o.k, Epochs: o.epochs, BatchSize: o.batch, LR: o.lr, Schedule: sc,
		Momentum: o.momentum, WeightDecay: o.decay, Shuffle: o.shuffle, Seed: o.seed, Chains: o.chains,
		LearnVar: o.learnVar, VarLR: o.varLR}, nil
}

// hiddenSizes parses --hidden.
func (o *rbmTrainOpts) hiddenSizes() ([]int, error) {
	var hs []int
	for _, f := range strings.Split(o.hidden, ",") {
		h, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || h < 1 {
			return nil, cli.Usagef("--hidden %q: need positive integers (got %q)", o.hidden, f)
		}
		hs = append(hs, h)
	}
	return hs, nil
}

func (o *rbmTrainOpts) trainingDoc(cfg rbm.Config) json.RawMessage {
	js, _ := json.Marshal(map[string]any{
		"method": cfg.Method.String(), "k": cfg.K, "epochs": cfg.Epochs, "lr": cfg.LR, "batch": cfg.BatchSize,
		"momentum": cfg.Momentum, "weight_decay": cfg.WeightDecay, "schedule": cfg.Schedule.String(),
		"chains": cfg.Chains, "shuffle": cfg.Shuffle, "learn_var": cfg.LearnVar, "var_lr": cfg.VarLR,
		"seed": cfg.Seed, "init": fmt.Sprintf("W ~ N(0, %g^2), biases 0", rbm.InitStd),
	})
	return js
}

// rbmMonitor is the data the per-epoch and final pseudo-likelihood is computed
// on, with its name ("test" or "train").
type rbmMonitor struct {
	x    *tensor.Dense[float32]
	name string
}

func rbmMonitorSet(d *rbmData) rbmMonitor {
	if d.test != nil {
		return rbmMonitor{d.test, "test"}
	}
	x := d.train
	if x.Rows > 10000 {
		x = &tensor.Dense[float32]{Rows: 10000, Cols: x.Cols, Data: x.Data[:10000*x.Cols]}
		return rbmMonitor{x, "train_first10000"}
	}
	return rbmMonitor{x, "train"}
}

// rbmCheapExact reports whether exact log Z is cheap enough to compute every
// epoch (≤ about 10⁸ terms).
func rbmCheapExact(r *rbm.RBM) bool {
	k := min(r.NumVisible(), r.NumHidden())
	if r.Visible == rbm.Gaussian {
		k = r.NumHidden()
	}
	return k <= 20 && float64(int(1)<<k)*float64(max(r.NumVisible(), r.NumHidden())) <= 1e8
}

// rbmMetrics returns the exact pseudo-likelihood (Bernoulli) and, when cheap,
// the exact log-likelihood of mon, keyed by the set's name.
func rbmMetrics(r *rbm.RBM, mon rbmMonitor) (map[string]float64, error) {
	m := map[string]float64{}
	if r.Visible == rbm.Bernoulli {
		pl, err := r.PseudoLogLik(mon.x)
		if err != nil {
			return nil, err
		}
		m["pl_"+mon.name] = rbmMean(pl)
		m["pl_"+mon.name+"_per_dim"] = rbmMean(pl) / float64(r.NumVisible())
	}
	if rbmCheapExact(r) {
		ll, lz, err := r.ExactLogLik(mon.x)
		if err != nil {
			return nil, err
		}
		m["loglik_"+mon.name] = ll
		m["logz"] = lz
	}
	return m, nil
}

func rbmMean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// rbmStandardize standardizes the training data of a Gaussian RBM and the test
// data with the same statistics.
func rbmStandardize(d *rbmData) (mean, std []float64) {
	var z *tensor.Dense[float32]
	z, mean, std = data.Standardize(d.train)
	d.train = z
	if d.test != nil {
		d.test = data.StandardizeWith(d.test, mean, std)
	}
	return mean, std
}

// rbmProgress adapts cli.Progress to Config.OnBatch.
type rbmProgress struct {
	desc  string
	quiet bool
	bar   *cli.Progress
	last  int
}

func (p *rbmProgress) onBatch(done, total int) {
	if p.bar == nil {
		p.bar = cli.NewProgress(total, p.desc, p.quiet)
		p.last = 0
	}
	if done < p.last { // a new layer started
		p.bar.Done()
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
visible units flipped; Bernoulli units only) and loglik_test / loglik_train (exact,
when the smaller layer has at most 20 units).

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

// rbmTrainReport is the JSON printed by rbm train.
type rbmTrainReport struct {
	Out         string             `json:"out"`
	Data        string             `json:"data"`
	Visible     string             `json:"visible"`
	NVisible    int                `json:"n_visible"`
	NHidden     int                `json:"n_hidden"`
	NTrain      int                `json:"n_train"`
	Method      string             `json:"method"`
	K           int                `json:"k"`
	Epochs      int                `json:"epochs"`
	SecPerEpoch float64            `json:"sec_per_epoch"`
	Seconds     float64            `json:"train_seconds"`
	Metrics     map[string]float64 `json:"metrics"`
}

// MarshalJSON flattens the metrics into the top level.
func (r *rbmTrainReport) MarshalJSON() ([]byte, error) {
	type plain rbmTrainReport
	b, err := json.Marshal((*plain)(r))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	delete(m, "metrics")
	for k, v := range r.Metrics {
		m[k] = v
	}
	return json.Marshal(m)
}

func runRBMTrain(c *cobra.Command, o *rbmTrainOpts) error {
	cfg, err := o.config()
	if err != nil {
		return err
	}
	hs, err := o.hiddenSizes()
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
	d, err := rbmReadData(o.data, o.limit, vis, o.binarize)
	if err != nil {
		return err
	}
	if o.test != "" {
		if o.data == "digits" {
			return cli.Usagef("--test: the digits protocol has its own test split")
		}
		t, err := rbmReadData(o.test, 0, vis, o.binarize)
		if err != nil {
			return err
		}
		d.test = t.train
	}
	var mean, std []float64
	if vis == rbm.Gaussian {
		mean, std = rbmStandardize(d)
	}
	r, err := rbm.New(vis, d.train.Cols, hs[0], o.seed)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	if err := r.CheckData(d.train, false); err != nil {
		return rbmDataErr("--data "+o.data, err)
	}
	if d.test != nil {
		if err := r.CheckData(d.test, false); err != nil {
			return rbmDataErr("--test "+o.test, err)
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
	cfg.OnBatch = prog.onBatch
	cfg.TrackRecon = true
	res, err := r.Fit(c.Context(), d.train, cfg, func(s rbm.EpochStats) error {
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

	arch := rbmArch{Visible: vis.String(), NVisible: r.NumVisible(), NHidden: r.NumHidden(), Image: [2]int{d.h, d.w},
		Standardize: mean != nil, Prep: d.prep, InitStd: rbm.InitStd}
	if vis == rbm.Bernoulli {
		arch.Energy = "E(v,h) = -v'Wh - b'v - c'h"
	} else {
		arch.Energy = "E(v,h) = sum (v_i-b_i)^2/(2 s_i^2) - sum (v_i/s_i^2) W_ij h_j - c'h, s_i^2 = exp(log_var_i)"
	}
	archJS, _ := json.Marshal(arch)
	dataJS, _ := json.Marshal(map[string]any{"name": d.name, "n_train": d.train.Rows, "limit": o.limit,
		"preprocessing": d.prep, "test": o.test, "metrics_on": mon.name})
	tensors := rbmTensors("", r)
	if vis == rbm.Bernoulli {
		bb, err := rbm.BaseRateBias(d.train, 1)
		if err != nil {
			return err
		}
		tensors = append(tensors, model.Tensor{Name: "base_bias", DType: "F32", Shape: []int{len(bb)}, F32: bb})
	}
	if mean != nil {
		tensors = append(tensors, vecTensor("data_mean", mean), vecTensor("data_std", std))
	}
	meta := &model.Meta{Kind: "rbm", Seed: o.seed, Architecture: archJS, Training: o.trainingDoc(cfg), Data: dataJS,
		Metrics: rbmFinite(metrics)}
	if err := model.Save(out.Tmp, meta, tensors); err != nil {
		return err
	}
	if err := os.WriteFile(out.Path("metrics.jsonl"), lines.Bytes(), 0o644); err != nil {
		return err
	}
	if err := rbmSamplesPNG(out.Path("samples.png"), r, mean, std, d.h, d.w, o.samples, o.sampleSteps, o.seed); err != nil {
		return err
	}
	if err := out.Commit(); err != nil {
		return err
	}
	rep := &rbmTrainReport{Out: out.Final, Data: d.name, Visible: vis.String(), NVisible: r.NumVisible(), NHidden: r.NumHidden(),
		NTrain: d.train.Rows, Method: cfg.Method.String(), K: cfg.K, Epochs: res.Epochs, SecPerEpoch: res.SecPerEpoch,
		Seconds: res.Seconds, Metrics: rbmFinite(metrics)}
	w := c.OutOrStdout()
	if o.jsonOut {
		return cli.WriteJSON(w, rep)
	}
	fmt.Fprintf(w, "trained a %d×%d %s RBM on %s (%d examples) by %s-%d: %d epochs, %.3f s/epoch\n",
		r.NumVisible(), r.NumHidden(), vis, d.name, d.train.Rows, strings.ToUpper(cfg.Method.String()), cfg.K,
		res.Epochs, res.SecPerEpoch)
	rbmPrintMetrics(w, metrics)
	fmt.Fprintf(w, "wrote %s (model.json, model.safetensors, samples.png, metrics.jsonl)\n", out.Final)
	return nil
}

func rbmPrintMetrics(w io.Writer, m map[string]float64) {
	for _, k := range rbmSortedKeys(m) {
		fmt.Fprintf(w, "  %-28s %.4f\n", k, m[k])
	}
}

func rbmSortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// rbmEvalData reads the evaluation data for a saved model: the digits test
// split, or the idx/csv file; standardized like the training data.
func rbmEvalData(s *rbmSaved, spec string, limit int, binarize float64) (*tensor.Dense[float32], error) {
	d, err := rbmReadData(spec, limit, s.r.Visible, binarize)
	if err != nil {
		return nil, err
	}
	x := d.train
	if d.test != nil {
		x = d.test
	}
	if s.mean != nil {
		x = data.StandardizeWith(x, s.mean, s.std)
	}
	if err := s.r.CheckData(x, false); err != nil {
		return nil, rbmDataErr("--data "+spec, err)
	}
	return x, nil
}

func newRBMEvalCmd() *cobra.Command {
	var (
		dir, spec, ais string
		exact, asJSON  bool
		limit          int
		binarize       float64
		seed           uint64
	)
	c := &cobra.Command{
		Use:   "eval",
		Short: "Test log-likelihood (exact or AIS), log Z and pseudo-likelihood of an RBM",
		Long: `Evaluate a saved RBM on test data (digits: the last 297 rows; idx:PATH / csv:PATH: the
given file, --limit N keeps its first N rows):

  loglik_test     mean log p(v) = −F(v) − log Z, exact (--exact: enumerating the smaller
                  layer, up to 25 units) or with AIS's log Z (--ais), then with
                  loglik_test_se, the AIS standard error of log Z (the only random part)
  logz            exact, or the AIS estimate with logz_se (Salakhutdinov & Murray 2008,
                  from the base-rate RBM of the training data)
  logz_upper      with --ais: reverse AIS (Burda, Grosse & Salakhutdinov 2015), a
                  stochastic upper bound when it starts from exact samples (models with
                  a layer of at most 25 units); otherwise it starts from the test data
                  after 1000 Gibbs sweeps (logz_upper_start says which)
  pl_test         exact pseudo-log-likelihood per example (all visible units flipped;
                  Bernoulli units only), and pl_test_per_dim

Without --exact or --ais: exact when the smaller layer has at most 25 units, else AIS
with the defaults (runs=100, betas=14500: the Salakhutdinov-Murray schedule).

` + rbmDataHelp,
		Example: `  ebm rbm eval --model out/rbm16 --data digits --exact --json
  ebm rbm eval --model out/rbm16 --data digits --ais runs=100,betas=14500`,
		Args: rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dir == "" {
				return cli.Usagef("--model: a model folder is required")
			}
			if exact && ais != "" {
				return cli.Usagef("--exact and --ais exclude each other")
			}
			runs, betas := 100, 14500
			if ais != "" {
				sp, err := cli.ParseSpec("ais", "ais:"+ais)
				if err != nil {
					return err
				}
				if runs, err = sp.Int("runs", 100); err != nil {
					return err
				}
				if betas, err = sp.Int("betas", 14500); err != nil {
					return err
				}
				if err := sp.CheckUnused(); err != nil {
					return err
				}
				if runs < 2 || betas < 3 {
					return cli.Usagef("--ais runs=%d,betas=%d: need runs ≥ 2 and betas ≥ 3", runs, betas)
				}
			}
			s, err := rbmLoad(dir)
			if err != nil {
				return err
			}
			x, err := rbmEvalData(s, spec, limit, binarize)
			if err != nil {
				return err
			}
			r := s.r
			small := min(r.NumVisible(), r.NumHidden()) <= rbm.MaxEnumerate
			if r.Visible == rbm.Gaussian {
				small = r.NumHidden() <= rbm.MaxEnumerate
			}
			useExact := exact || (ais == "" && small)
			if exact && !small {
				_, err := r.ExactLogZ()
				return cli.Usagef("--exact: %v", err)
			}
			start := time.Now()
			rep := map[string]any{"model": dir, "data": spec, "n_test": x.Rows,
				"n_visible": r.NumVisible(), "n_hidden": r.NumHidden(), "visible": r.Visible.String()}
			if s.mean != nil {
				rep["loglik_units"] = "density of the standardized data (add −Σ log data_std for the data's own units)"
			}
			if useExact {
				ll, lz, err := r.ExactLogLik(x)
				if err != nil {
					return err
				}
				rep["method"], rep["loglik_test"], rep["logz"] = "exact", ll, lz
			} else {
				cfg := rbm.AISConfig{Runs: runs, NumBetas: betas, Seed: seed, BaseBias: s.baseBias}
				if cfg.BaseBias == nil {
					cfg.BaseData = x
				}
				fwd, err := r.AIS(c.Context(), cfg)
				if err != nil {
					return err
				}
				cfg.Start, cfg.Seed = x, seed+1
				rev, err := r.ReverseAIS(c.Context(), cfg)
				if err != nil {
					return err
				}
				lp, err := r.LogProb(x, fwd.LogZ)
				if err != nil {
					return err
				}
				rep["method"] = "ais"
				rep["loglik_test"], rep["loglik_test_se"] = rbmMean(lp), fwd.SE
				rep["logz"], rep["logz_se"], rep["logz_ess"] = fwd.LogZ, fwd.SE, fwd.ESS
				rep["logz_upper"], rep["logz_upper_se"], rep["logz_upper_start"] = rev.LogZ, rev.SE, rev.Start
				rep["ais_runs"], rep["ais_betas"] = fwd.Runs, fwd.Betas
			}
			if r.Visible == rbm.Bernoulli {
				pl, err := r.PseudoLogLik(x)
				if err != nil {
					return err
				}
				rep["pl_test"], rep["pl_test_per_dim"] = rbmMean(pl), rbmMean(pl)/float64(r.NumVisible())
			}
			rep["seconds"] = time.Since(start).Seconds()
			w := c.OutOrStdout()
			if asJSON {
				return cli.WriteJSON(w, rep)
			}
			fmt.Fprintf(w, "%s on %s (%d examples), %s:\n", dir, spec, x.Rows, rep["method"])
			num := map[string]float64{}
			for k, v := range rep {
				if f, ok := v.(float64); ok {
					num[k] = f
				}
			}
			rbmPrintMetrics(w, num)
			if st, ok := rep["logz_upper_start"]; ok {
				fmt.Fprintf(w, "  reverse AIS started from %s\n", st)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "model", "", "model folder written by ebm rbm train (required)")
	f.StringVar(&spec, "data", "digits", "digits | idx:PATH | csv:PATH")
	f.IntVar(&limit, "limit", 0, "keep the first N examples of an idx/csv file (0: all)")
	f.Float64Var(&binarize, "binarize", 0, "threshold CSV data for Bernoulli units (values ≥ T → 1)")
	f.BoolVar(&exact, "exact", false, "exact log Z by enumerating the smaller layer (≤ 25 units)")
	f.StringVar(&ais, "ais", "", "AIS settings runs=R,betas=B (forward and reverse AIS)")
	f.Uint64Var(&seed, "seed", 1, "random seed for AIS")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

func newRBMSampleCmd() *cobra.Command {
	var (
		dir, outPath string
		n, steps     int
		seed         uint64
		asJSON       bool
	)
	c := &cobra.Command{
		Use:   "sample",
		Short: "Draw Gibbs samples from a saved RBM as a PNG grid",
		Long: `Run --n block-Gibbs chains from random visible states for --steps sweeps and draw
E[v | h] of the last sweep as an image grid (the data's image shape; one row of
pixels for non-image data).`,
		Example: `  ebm rbm sample --model out/rbm16 --out samples.png --n 100 --steps 1000 --seed 2`,
		Args:    rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dir == "" || outPath == "" {
				return cli.Usagef("--model and --out are required")
			}
			if n < 1 || steps < 1 {
				return cli.Usagef("--n %d --steps %d: need at least 1 each", n, steps)
			}
			s, err := rbmLoad(dir)
			if err != nil {
				return err
			}
			if err := rbmSamplesPNG(outPath, s.r, s.mean, s.std, s.arch.Image[0], s.arch.Image[1], n, steps, seed); err != nil {
				return err
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), map[string]any{"out": outPath, "n": n, "steps": steps, "seed": seed})
			}
			fmt.Fprintf(c.OutOrStdout(), "wrote %d samples (%d Gibbs sweeps each) to %s\n", n, steps, outPath)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "model", "", "model folder (required)")
	f.StringVar(&outPath, "out", "", "PNG file to write (required)")
	f.IntVar(&n, "n", 100, "number of samples (chains)")
	f.IntVar(&steps, "steps", 1000, "Gibbs sweeps")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

// ---- deep belief nets ----

func newDBNCmd() *cobra.Command {
	return rbmGroup("dbn", "Deep belief nets: greedy training of stacked RBMs, sampling",
		`Deep belief nets (Hinton, Osindero & Teh 2006): RBMs stacked and trained greedily,
each on the hidden probabilities of the one below; samples come from Gibbs sampling
in the top RBM followed by one top-down pass. Bernoulli units throughout.

  ebm dbn train    train layer by layer; write the model folder, samples.png, metrics.jsonl
  ebm dbn sample   a PNG grid of samples`,
		newDBNTrainCmd(), newDBNSampleCmd())
}

func newDBNTrainCmd() *cobra.Command {
	o := &rbmTrainOpts{visible: "bernoulli"}
	c := &cobra.Command{
		Use:   "train",
		Short: "Train a deep belief net greedily",
		Long: `Train a DBN with hidden layers --hidden (bottom up), every layer with the same
training options (see ebm rbm train). Writes --out as a model folder (kind "dbn",
tensors W0, b0, c0, W1, …), samples.png and metrics.jsonl (one line per layer and
epoch). The JSON report gives epochs per layer, sec_per_epoch (mean over all
epochs) and the first layer's exact pseudo-likelihood pl_test/pl_train.

` + rbmDataHelp,
		Example: `  ebm dbn train --data digits --hidden 32,16 --epochs 20 --lr 0.05 --schedule linear --out out/dbn --json`,
		Args:    rbmNoArgs,
		RunE:    func(c *cobra.Command, _ []string) error { return runDBNTrain(c, o) },
	}
	o.flags(c, true)
	return c
}

func runDBNTrain(c *cobra.Command, o *rbmTrainOpts) error {
	cfg, err := o.config()
	if err != nil {
		return err
	}
	hs, err := o.hiddenSizes()
	if err != nil {
		return err
	}
	d, err := rbmReadData(o.data, o.limit, rbm.Bernoulli, o.binarize)
	if err != nil {
		return err
	}
	if o.test != "" && o.data != "digits" {
		t, err := rbmReadData(o.test, 0, rbm.Bernoulli, o.binarize)
		if err != nil {
			return err
		}
		d.test = t.train
	}
	net, err := rbm.NewDBN(rbm.Bernoulli, append([]int{d.train.Cols}, hs...), o.seed)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	if err := net.Layers[0].CheckData(d.train, false); err != nil {
		return rbmDataErr("--data "+o.data, err)
	}
	out, err := cli.NewOutDir(o.out, o.force)
	if err != nil {
		return err
	}
	defer out.Abort()
	var lines bytes.Buffer
	prog := &rbmProgress{desc: "dbn train", quiet: o.quiet || o.jsonOut}
	cfg.OnBatch = prog.onBatch
	results, err := net.Fit(c.Context(), d.train, []rbm.Config{cfg}, func(l int, s rbm.EpochStats) error {
		js, _ := json.Marshal(map[string]any{"layer": l, "epoch": s.Epoch, "lr": s.LR, "seconds": s.Seconds})
		lines.Write(append(js, '\n'))
		return nil
	})
	prog.done()
	if err != nil {
		return err
	}
	mon := rbmMonitorSet(d)
	metrics, err := rbmMetrics(net.Layers[0], mon)
	if err != nil {
		return err
	}
	layer0 := map[string]float64{}
	for k, v := range metrics {
		layer0[k+"_layer0"] = v
	}
	var tensors []model.Tensor
	for l, r := range net.Layers {
		tensors = append(tensors, rbmTensors(fmt.Sprintf("%d.", l), r)...)
	}
	archJS, _ := json.Marshal(map[string]any{"sizes": net.Sizes(), "visible": "bernoulli", "image": [2]int{d.h, d.w}, "preprocessing": d.prep})
	dataJS, _ := json.Marshal(map[string]any{"name": d.name, "n_train": d.train.Rows, "limit": o.limit})
	meta := &model.Meta{Kind: "dbn", Seed: o.seed, Architecture: archJS, Training: o.trainingDoc(cfg), Data: dataJS,
		Metrics: rbmFinite(layer0)}
	if err := model.Save(out.Tmp, meta, tensors); err != nil {
		return err
	}
	if err := os.WriteFile(out.Path("metrics.jsonl"), lines.Bytes(), 0o644); err != nil {
		return err
	}
	s, err := net.Sample(o.samples, o.sampleSteps, o.seed)
	if err != nil {
		return err
	}
	if err := rbmImageGrid(out.Path("samples.png"), s, d.h, d.w); err != nil {
		return err
	}
	if err := out.Commit(); err != nil {
		return err
	}
	total, epochs := 0.0, 0
	for _, r := range results {
		total += r.Seconds
		epochs += r.Epochs
	}
	rep := map[string]any{"out": out.Final, "data": d.name, "sizes": net.Sizes(), "n_train": d.train.Rows,
		"epochs": cfg.Epochs, "sec_per_epoch": total / float64(max(epochs, 1)), "train_seconds": total}
	for k, v := range rbmFinite(layer0) {
		rep[k] = v
	}
	w := c.OutOrStdout()
	if o.jsonOut {
		return cli.WriteJSON(w, rep)
	}
	fmt.Fprintf(w, "trained a DBN %v on %s: %d epochs per layer, %.3f s/epoch\n", net.Sizes(), d.name, cfg.Epochs, rep["sec_per_epoch"])
	rbmPrintMetrics(w, layer0)
	fmt.Fprintf(w, "wrote %s (model.json, model.safetensors, samples.png, metrics.jsonl)\n", out.Final)
	return nil
}

func newDBNSampleCmd() *cobra.Command {
	var (
		dir, outPath string
		n, steps     int
		seed         uint64
	)
	c := &cobra.Command{
		Use:     "sample",
		Short:   "Draw samples from a saved DBN as a PNG grid",
		Long:    `Gibbs sampling in the top RBM (--steps sweeps from random states), then one top-down pass.`,
		Example: `  ebm dbn sample --model out/dbn --out dbn.png --n 100 --steps 1000`,
		Args:    rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dir == "" || outPath == "" {
				return cli.Usagef("--model and --out are required")
			}
			if n < 1 || steps < 1 {
				return cli.Usagef("--n %d --steps %d: need at least 1 each", n, steps)
			}
			meta, ts, err := model.Read(dir)
			if err != nil {
				return err
			}
			if meta.Kind != "dbn" {
				return cli.Usagef("--model %s holds a %q model, not a dbn", dir, meta.Kind)
			}
			var arch struct {
				Sizes []int  `json:"sizes"`
				Image [2]int `json:"image"`
			}
			if err := json.Unmarshal(meta.Architecture, &arch); err != nil || len(arch.Sizes) < 2 {
				return fmt.Errorf("model %s: bad architecture %s", dir, meta.Architecture)
			}
			net := &rbm.DBN{}
			for l := 0; l+1 < len(arch.Sizes); l++ {
				r, err := rbmFromTensors(ts, fmt.Sprintf("%d.", l), rbm.Bernoulli, arch.Sizes[l], arch.Sizes[l+1])
				if err != nil {
					return fmt.Errorf("model %s: %w", dir, err)
				}
				net.Layers = append(net.Layers, r)
			}
			s, err := net.Sample(n, steps, seed)
			if err != nil {
				return err
			}
			if err := rbmImageGrid(outPath, s, arch.Image[0], arch.Image[1]); err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "wrote %d samples to %s\n", n, outPath)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "model", "", "model folder (required)")
	f.StringVar(&outPath, "out", "", "PNG file to write (required)")
	f.IntVar(&n, "n", 100, "number of samples")
	f.IntVar(&steps, "steps", 1000, "Gibbs sweeps in the top RBM")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	return c
}

// ---- fully visible Boltzmann machines ----

func newBMCmd() *cobra.Command {
	return rbmGroup("bm", "Fully visible Boltzmann machines: train, evaluate",
		`Fully visible Boltzmann machines on {0,1}^d: E(x) = −xᵀWx − bᵀx with W symmetric and zero
on the diagonal (each pair counted twice: p(xᵢ=1 | x₋ᵢ) = σ(bᵢ + 2Σⱼ Wᵢⱼxⱼ)).

  ebm bm train   exact gradient (d ≤ 20), pseudo-likelihood or PCD; write the model folder
  ebm bm eval    exact log-likelihood and log Z (d ≤ 20), pseudo-likelihood`,
		newBMTrainCmd(), newBMEvalCmd())
}

// bmReadData reads binary data for the bm commands: the digits protocol or a CSV
// file; it returns the training (or evaluation) rows.
func bmReadData(spec string, binarize float64, eval bool) (*tensor.Dense[float64], error) {
	d, err := rbmReadData(spec, 0, rbm.Bernoulli, binarize)
	if err != nil {
		return nil, err
	}
	x := d.train
	if eval && d.test != nil {
		x = d.test
	}
	if !rbm.IsBinary(x) {
		return nil, cli.Usagef("--data %s: a Boltzmann machine needs binary data (0 or 1); for CSV data pass --binarize T", spec)
	}
	return tensor.Convert[float64](nil, x), nil
}

func newBMTrainCmd() *cobra.Command {
	var (
		spec, method, out     string
		epochs, batch, chains int
		k                     int
		lr, decay, binarize   float64
		seed                  uint64
		asJSON, force         bool
	)
	c := &cobra.Command{
		Use:   "train",
		Short: "Train a fully visible Boltzmann machine",
		Long: `Train an FVBM on binary data (--data digits: the 1500 training rows, 64 units; or
csv:PATH with 0/1 columns, --binarize T to threshold) by --method exact (full-batch
exact gradient, d ≤ 20; the log-likelihood is concave), pl (pseudo-likelihood) or
pcd (persistent single-site Gibbs chains). Writes --out as a model folder (kind
"fvbm"; tensors W [d,d], b [d]) and metrics.jsonl.`,
		Example: `  ebm bm train --data csv:spins.csv --method exact --epochs 500 --lr 0.5 --out out/bm --json`,
		Args:    rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var m rbm.FVBMMethod
			switch method {
			case "exact":
				m = rbm.FVBMExact
			case "pl":
				m = rbm.FVBMPseudo
			case "pcd":
				m = rbm.FVBMPCD
			default:
				return cli.Usagef("--method %q: unknown method (valid: exact, pl, pcd)", method)
			}
			if epochs < 1 || batch < 1 || chains < 1 || k < 1 || !(lr > 0) || decay < 0 {
				return cli.Usagef("need --epochs, --batch, --chains, --k ≥ 1, --lr > 0 and --weight-decay ≥ 0")
			}
			if out == "" {
				return cli.Usagef("--out: an output folder is required")
			}
			x, err := bmReadData(spec, binarize, false)
			if err != nil {
				return err
			}
			if m == rbm.FVBMExact && x.Cols > rbm.MaxFVBMEnumerate {
				return cli.Usagef("--method exact: %d units, above the limit of %d for enumeration (use pl or pcd)", x.Cols, rbm.MaxFVBMEnumerate)
			}
			bm, err := rbm.NewFVBM(x.Cols)
			if err != nil {
				return cli.Usagef("%v", err)
			}
			od, err := cli.NewOutDir(out, force)
			if err != nil {
				return err
			}
			defer od.Abort()
			var lines bytes.Buffer
			start := time.Now()
			cfg := rbm.FVBMConfig{Method: m, Epochs: epochs, BatchSize: batch, LR: lr, WeightDecay: decay, Chains: chains, K: k, Seed: seed}
			err = bm.Fit(c.Context(), x, cfg, func(e rbm.FVBMEpoch) error {
				js, _ := json.Marshal(e)
				lines.Write(append(js, '\n'))
				return nil
			})
			if err != nil {
				return err
			}
			secs := time.Since(start).Seconds()
			metrics := map[string]float64{}
			pl, err := bm.PseudoLogLik(x)
			if err != nil {
				return err
			}
			metrics["pl_train"] = rbmMean(pl)
			if x.Cols <= rbm.MaxFVBMEnumerate {
				ll, lz, err := bm.ExactLogLik(x)
				if err != nil {
					return err
				}
				metrics["loglik_train"], metrics["logz"] = ll, lz
			}
			archJS, _ := json.Marshal(map[string]any{"d": x.Cols, "energy": "E(x) = -x'Wx - b'x, W symmetric, zero diagonal"})
			trainJS, _ := json.Marshal(map[string]any{"method": m.String(), "epochs": epochs, "batch": batch, "lr": lr,
				"weight_decay": decay, "chains": chains, "k": k, "seed": seed})
			dataJS, _ := json.Marshal(map[string]any{"name": spec, "n_train": x.Rows})
			meta := &model.Meta{Kind: "fvbm", Seed: seed, Architecture: archJS, Training: trainJS, Data: dataJS, Metrics: rbmFinite(metrics)}
			ts := []model.Tensor{model.FromDense("W", bm.W), vecTensor("b", bm.B)}
			if err := model.Save(od.Tmp, meta, ts); err != nil {
				return err
			}
			if err := os.WriteFile(od.Path("metrics.jsonl"), lines.Bytes(), 0o644); err != nil {
				return err
			}
			if err := od.Commit(); err != nil {
				return err
			}
			rep := map[string]any{"out": od.Final, "data": spec, "d": x.Cols, "n_train": x.Rows, "method": m.String(),
				"epochs": epochs, "sec_per_epoch": secs / float64(epochs)}
			for k, v := range rbmFinite(metrics) {
				rep[k] = v
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), rep)
			}
			fmt.Fprintf(c.OutOrStdout(), "trained a %d-unit FVBM on %s by %s in %.2fs\n", x.Cols, spec, m, secs)
			rbmPrintMetrics(c.OutOrStdout(), metrics)
			fmt.Fprintf(c.OutOrStdout(), "wrote %s\n", od.Final)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&spec, "data", "digits", "digits | csv:PATH (binary)")
	f.StringVar(&method, "method", "pl", "exact | pl | pcd")
	f.IntVar(&epochs, "epochs", 100, "passes over the data (full-batch steps for exact)")
	f.IntVar(&batch, "batch", 100, "mini-batch size (pl, pcd)")
	f.IntVar(&chains, "chains", 100, "persistent chains (pcd)")
	f.IntVar(&k, "k", 1, "Gibbs sweeps per update (pcd)")
	f.Float64Var(&lr, "lr", 0.1, "learning rate")
	f.Float64Var(&decay, "weight-decay", 0, "L2 weight decay on W")
	f.Float64Var(&binarize, "binarize", 0, "threshold CSV data (values ≥ T → 1)")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	f.StringVar(&out, "out", "", "output folder (required)")
	f.BoolVar(&force, "force", false, "replace --out if it exists")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

func newBMEvalCmd() *cobra.Command {
	var (
		dir, spec string
		binarize  float64
		asJSON    bool
	)
	c := &cobra.Command{
		Use:   "eval",
		Short: "Exact log-likelihood, log Z and pseudo-likelihood of a saved FVBM",
		Long: `Evaluate a saved FVBM on binary data (digits: the last 297 rows; csv:PATH: the file):
loglik_test and logz exactly when d ≤ 20, and pl_test (pseudo-log-likelihood per example).`,
		Example: `  ebm bm eval --model out/bm --data csv:spins_test.csv --json`,
		Args:    rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dir == "" {
				return cli.Usagef("--model: a model folder is required")
			}
			meta, ts, err := model.Read(dir)
			if err != nil {
				return err
			}
			if meta.Kind != "fvbm" {
				return cli.Usagef("--model %s holds a %q model, not an fvbm", dir, meta.Kind)
			}
			b, err := model.Expect(ts, "b", "F64", -1)
			if err != nil {
				return fmt.Errorf("model %s: %w", dir, err)
			}
			d := b.Shape[0]
			wt, err := model.Expect(ts, "W", "F64", d, d)
			if err != nil {
				return fmt.Errorf("model %s: %w", dir, err)
			}
			w, err := model.ToDense[float64](wt)
			if err != nil {
				return err
			}
			bm := &rbm.FVBM{W: w, B: b.F64}
			if err := bm.Validate(); err != nil {
				return fmt.Errorf("model %s: %w", dir, err)
			}
			x, err := bmReadData(spec, binarize, true)
			if err != nil {
				return err
			}
			if x.Cols != d {
				return cli.Usagef("--data %s has %d columns; the model has %d units", spec, x.Cols, d)
			}
			rep := map[string]any{"model": dir, "data": spec, "n_test": x.Rows, "d": d}
			pl, err := bm.PseudoLogLik(x)
			if err != nil {
				return err
			}
			rep["pl_test"] = rbmMean(pl)
			if d <= rbm.MaxFVBMEnumerate {
				ll, lz, err := bm.ExactLogLik(x)
				if err != nil {
					return err
				}
				rep["loglik_test"], rep["logz"] = ll, lz
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), rep)
			}
			num := map[string]float64{}
			for k, v := range rep {
				if f, ok := v.(float64); ok {
					num[k] = f
				}
			}
			fmt.Fprintf(c.OutOrStdout(), "%s on %s (%d examples):\n", dir, spec, x.Rows)
			rbmPrintMetrics(c.OutOrStdout(), num)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "model", "", "model folder written by ebm bm train (required)")
	f.StringVar(&spec, "data", "digits", "digits | csv:PATH (binary)")
	f.Float64Var(&binarize, "binarize", 0, "threshold CSV data (values ≥ T → 1)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

// rbmFinite returns the finite entries of m (JSON cannot hold NaN or ±Inf).
func rbmFinite(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[k] = v
		}
	}
	return out
}
