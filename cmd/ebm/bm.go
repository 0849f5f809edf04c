package main

// The bm commands: fully visible Boltzmann machines (package rbm).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/tensor"
	"github.com/spf13/cobra"
)

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
	d, err := rbmReadData("--data", spec, 0, true, binarize)
	if err != nil {
		return nil, err
	}
	x := d.Train
	if eval && d.Test != nil {
		x = d.Test
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
			if epochs < 1 || batch < 1 || chains < 1 || k < 1 || !(lr > 0) || lr > 1e300 || !(decay >= 0) || decay > 1e300 ||
				!(binarize >= 0) || binarize > 1e300 {
				return cli.Usagef("need --epochs, --batch, --chains, --k ≥ 1, a finite --lr > 0 and finite --weight-decay, --binarize ≥ 0")
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
				return rbmSizeErr("--data", err)
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
			trainJS, _ := json.Marshal(map[string]any{"method": m.String(), "epochs": epochs, "batch": batch, "lr": lr,
				"weight_decay": decay, "chains": chains, "k": k, "seed": seed})
			dataJS, _ := json.Marshal(map[string]any{"name": spec, "n_train": x.Rows})
			meta := &model.Meta{Seed: seed, Training: trainJS, Data: dataJS, Metrics: rbmFinite(metrics)}
			if err := bm.Save(od.Tmp, meta); err != nil {
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
			bm, _, err := rbm.LoadFVBM(dir)
			if err != nil {
				return rbmKindErr(dir, err)
			}
			d := bm.Dim()
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
