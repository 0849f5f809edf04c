package main

// The training options that rbm train and dbn train share.

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/rbm"
	"github.com/spf13/cobra"
)

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
	f.Float64Var(&o.momentum, "momentum", 0, "momentum in [0, 1)")
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

// check validates the options before any work: every number must be finite
// and in its range (NaN fails every comparison, so each test is written to
// reject it).
func (o *rbmTrainOpts) check() (rbm.Method, []int, error) {
	m, err := rbm.ParseMethod(o.method)
	if err != nil {
		return 0, nil, cli.Usagef("--method %q: unknown method (valid: cd, pcd)", o.method)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case o.k < 1:
		return 0, nil, cli.Usagef("--k %d: need at least one Gibbs sweep", o.k)
	case o.epochs < 1:
		return 0, nil, cli.Usagef("--epochs %d: need at least 1", o.epochs)
	case o.batch < 1:
		return 0, nil, cli.Usagef("--batch %d: need at least 1", o.batch)
	case !(o.lr > 0) || !finite(o.lr):
		return 0, nil, cli.Usagef("--lr %v: need a finite number > 0", o.lr)
	case !(o.momentum >= 0 && o.momentum < 1):
		return 0, nil, cli.Usagef("--momentum %v: need 0 ≤ momentum < 1", o.momentum)
	case !(o.decay >= 0) || !finite(o.decay):
		return 0, nil, cli.Usagef("--weight-decay %v: need a finite number ≥ 0", o.decay)
	case o.chains < 0:
		return 0, nil, cli.Usagef("--chains %d: need ≥ 0", o.chains)
	case o.limit < 0:
		return 0, nil, cli.Usagef("--limit %d: need ≥ 0 (0 keeps everything)", o.limit)
	case o.samples < 1 || o.sampleSteps < 1:
		return 0, nil, cli.Usagef("--samples %d --sample-steps %d: need at least 1 each", o.samples, o.sampleSteps)
	case !(o.binarize >= 0) || !finite(o.binarize):
		return 0, nil, cli.Usagef("--binarize %v: need a finite number ≥ 0", o.binarize)
	case !(o.varLR >= 0) || !finite(o.varLR):
		return 0, nil, cli.Usagef("--var-lr %v: need a finite number > 0 (or 0 for lr/10)", o.varLR)
	case o.out == "":
		return 0, nil, cli.Usagef("--out: an output folder is required")
	}
	var hs []int
	for _, f := range strings.Split(o.hidden, ",") {
		h, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || h < 1 {
			return 0, nil, cli.Usagef("--hidden %q: need positive integers (got %q)", o.hidden, f)
		}
		hs = append(hs, h)
	}
	return m, hs, nil
}

// config returns the training configuration for n training examples.
func (o *rbmTrainOpts) config(m rbm.Method, n int) (rbm.Config, error) {
	sc, err := rbm.ParseSchedule(o.schedule, o.lr, rbm.Batches(n, o.batch), o.epochs)
	if err != nil {
		return rbm.Config{}, cli.Usagef("--%v", err)
	}
	return rbm.Config{Method: m, K: o.k, Epochs: o.epochs, BatchSize: o.batch, LR: o.lr, Schedule: sc,
		Momentum: o.momentum, WeightDecay: o.decay, Shuffle: o.shuffle, Seed: o.seed, Chains: o.chains,
		LearnVar: o.learnVar, VarLR: o.varLR}, nil
}

func (o *rbmTrainOpts) trainingDoc(cfg rbm.Config) json.RawMessage {
	js, _ := json.Marshal(map[string]any{
		"method": cfg.Method.String(), "k": cfg.K, "epochs": cfg.Epochs, "lr": cfg.LR, "batch": cfg.BatchSize,
		"momentum": cfg.Momentum, "weight_decay": cfg.WeightDecay, "schedule": o.schedule,
		"chains": cfg.Chains, "shuffle": cfg.Shuffle, "learn_var": cfg.LearnVar, "var_lr": cfg.VarLR,
		"seed": cfg.Seed, "init": fmt.Sprintf("W ~ N(0, %g^2), biases 0", rbm.InitStd),
	})
	return js
}

// rbmReadTrain reads --data and --test for training.
func (o *rbmTrainOpts) readTrain(binary bool) (*data.UnitData, error) {
	d, err := rbmReadData("--data", o.data, o.limit, binary, o.binarize)
	if err != nil {
		return nil, err
	}
	if o.test != "" {
		if d.Test != nil {
			return nil, cli.Usagef("--test: the digits protocol has its own test split")
		}
		t, err := rbmReadData("--test", o.test, 0, binary, o.binarize)
		if err != nil {
			return nil, err
		}
		d.Test = t.Train
	}
	return d, nil
}
