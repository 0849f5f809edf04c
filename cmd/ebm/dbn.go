package main

// The dbn commands: deep belief nets (package rbm's jobs).

import (
	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/rbm"
	"github.com/spf13/cobra"
)

func newDBNCmd() *cobra.Command {
	return rbmGroup("dbn", "Deep belief nets: greedy training of stacked RBMs, sampling",
		`Deep belief nets (Hinton, Osindero & Teh 2006): RBMs stacked and trained greedily,
each on the hidden probabilities of the one below; samples come from Gibbs sampling
in the top RBM followed by one top-down pass. Bernoulli units throughout.

  ebm dbn train    train layer by layer; write the model folder, samples.png, metrics.jsonl
  ebm dbn sample   a PNG grid of samples`,
		newDBNTrainCmd(), rbmSampleCmd(true, `Gibbs sampling in the top RBM (--steps sweeps from random states), then one top-down pass.`,
			`  ebm dbn sample --model out/dbn --out dbn.png --n 100 --steps 1000`))
}

func newDBNTrainCmd() *cobra.Command {
	o := &rbmTrainOpts{visible: "bernoulli"}
	c := &cobra.Command{
		Use:   "train",
		Short: "Train a deep belief net greedily",
		Long: `Train a DBN with hidden layers --hidden (bottom up), every layer with the same
training options (see ebm rbm train). Writes --out as a model folder (kind "dbn",
tensors 0.W, 0.b, 0.c, 1.W, …), samples.png and metrics.jsonl (one line per layer and
epoch). The JSON report gives epochs per layer, sec_per_epoch (mean over all
epochs) and the first layer's metrics with the suffix _layer0: its exact
pseudo-likelihood pl_test_layer0 (or pl_train_layer0 without test data) and, when
its smaller layer has at most 20 units, loglik_test_layer0 and logz_layer0.

` + rbmDataHelp,
		Example: `  ebm dbn train --data digits --hidden 32,16 --epochs 20 --lr 0.05 --schedule linear --out out/dbn --json`,
		Args:    rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if m, err := rbm.ParseMethod(o.method); err == nil && (m == rbm.MPF || m == rbm.PL) {
				return cli.Usagef("--method %s: a DBN trains its upper layers on probabilities; use cd or pcd", m)
			}
			prog := &rbmProgress{desc: "dbn train", quiet: o.quiet || o.jsonOut}
			hs, cfg, d, err := o.setup(true, prog)
			if err != nil {
				return err
			}
			run, err := rbm.NewDBNRun(rbm.DBNJob{Hidden: hs, Config: cfg, Schedule: o.schedule,
				Samples: o.samples, SampleSteps: o.steps, Limit: o.limit}, d)
			if err != nil {
				return rbmErr(err, "--hidden", "--data "+o.data, "--test "+o.test)
			}
			return rbmRun(c, run, prog, o.out, o.force, o.jsonOut, rbmFiles, data.SourcePaths(o.data, o.test)...)
		},
	}
	o.flags(c, true)
	return c
}
