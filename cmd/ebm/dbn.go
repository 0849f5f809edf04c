package main

// The dbn commands: deep belief nets (package rbm).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/model"
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
		newDBNTrainCmd(), newDBNSampleCmd())
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
		RunE:    func(c *cobra.Command, _ []string) error { return runDBNTrain(c, o) },
	}
	o.flags(c, true)
	return c
}

func runDBNTrain(c *cobra.Command, o *rbmTrainOpts) error {
	m, hs, err := o.check()
	if err != nil {
		return err
	}
	if err := cli.CheckOutDir(o.out, o.force); err != nil {
		return err
	}
	d, err := o.readTrain(true)
	if err != nil {
		return err
	}
	cfg, err := o.config(m, d.Train.Rows)
	if err != nil {
		return err
	}
	net, err := rbm.NewDBN(rbm.Bernoulli, append([]int{d.Train.Cols}, hs...), o.seed)
	if err != nil {
		return rbmSizeErr("--hidden", err)
	}
	net.Data = &rbm.DataInfo{Image: d.Image, Preprocessing: d.Preprocessing}
	if err := net.Layers[0].CheckData(d.Train, false); err != nil {
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
	results, err := net.Fit(c.Context(), d.Train, []rbm.Config{cfg}, func(l int, s rbm.EpochStats) error {
		js, _ := json.Marshal(map[string]any{"layer": l, "epoch": s.Epoch, "lr": s.LR, "seconds": s.Seconds})
		lines.Write(append(js, '\n'))
		return nil
	})
	prog.done()
	if err != nil {
		return err
	}
	metrics, err := rbmMetrics(net.Layers[0], rbmMonitorSet(d))
	if err != nil {
		return err
	}
	layer0 := map[string]float64{}
	for k, v := range rbmFinite(metrics) {
		layer0[k+"_layer0"] = v
	}
	dataJS, _ := json.Marshal(map[string]any{"name": d.Name, "n_train": d.Train.Rows, "limit": o.limit})
	meta := &model.Meta{Seed: o.seed, Training: o.trainingDoc(cfg), Data: dataJS, Metrics: layer0}
	if err := net.Save(out.Tmp, meta); err != nil {
		return err
	}
	if err := os.WriteFile(out.Path("metrics.jsonl"), lines.Bytes(), 0o644); err != nil {
		return err
	}
	s, err := net.Sample(o.samples, o.sampleSteps, o.seed)
	if err != nil {
		return err
	}
	if err := rbmImageGrid(out.Path("samples.png"), s, d.Image); err != nil {
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
	rep := map[string]any{"out": out.Final, "data": d.Name, "sizes": net.Sizes(), "n_train": d.Train.Rows,
		"epochs": cfg.Epochs, "sec_per_epoch": total / float64(max(epochs, 1)), "train_seconds": total}
	for k, v := range layer0 {
		rep[k] = v
	}
	w := c.OutOrStdout()
	if o.jsonOut {
		return cli.WriteJSON(w, rep)
	}
	fmt.Fprintf(w, "trained a DBN %v on %s: %d epochs per layer, %.3f s/epoch\n", net.Sizes(), d.Name, cfg.Epochs, rep["sec_per_epoch"])
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
			net, _, err := rbm.LoadDBN(dir)
			if err != nil {
				return rbmKindErr(dir, err)
			}
			s, err := net.Sample(n, steps, seed)
			if err != nil {
				return err
			}
			if err := rbmImageGrid(outPath, s, net.Data.Image); err != nil {
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
