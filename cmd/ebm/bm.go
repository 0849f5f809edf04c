package main

// The bm commands: fully visible Boltzmann machines (package rbm's jobs).

import (
	"fmt"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/tensor"
	"github.com/spf13/cobra"
)

func newBMCmd() *cobra.Command {
	return rbmGroup("bm", "Fully visible Boltzmann machines: train, evaluate",
		`Fully visible Boltzmann machines on {0,1}^d: E(x) = −xᵀWx − bᵀx with W symmetric and zero
on the diagonal (each pair counted twice: p(xᵢ=1 | x₋ᵢ) = σ(bᵢ + 2Σⱼ Wᵢⱼxⱼ)).

  ebm bm train   exact gradient (d ≤ 20), pseudo-likelihood, MPF, PCD, CD or KL contraction
  ebm bm eval    exact log-likelihood and log Z (d ≤ 20), pseudo-likelihood`,
		newBMTrainCmd(), newBMEvalCmd())
}

// bmReadData reads binary data for the bm commands: the digits protocol or a CSV
// file; it returns the training (or evaluation) rows.
func bmReadData(source string, binarize float64, eval bool) (*tensor.Dense[float64], error) {
	d, err := rbmReadData(source, "", 0, true, binarize)
	if err != nil {
		return nil, err
	}
	x, err := rbm.FVBMRows(d, eval)
	return x, rbmErr(err, "--data", "--data "+source, "--data "+source)
}

func newBMTrainCmd() *cobra.Command {
	var (
		source, method, out string
		klcStart            string
		cfg                 rbm.FVBMConfig
		binarize            float64
		asJSON, force       bool
	)
	c := &cobra.Command{
		Use:   "train",
		Short: "Train a fully visible Boltzmann machine",
		Long: `Train an FVBM on binary data (--data digits: the 1500 training rows, 64 units; or
csv:PATH with 0/1 columns, --binarize T to threshold) by --method exact (full-batch
exact gradient, d ≤ 20; the log-likelihood is concave), pl (pseudo-likelihood), mpf
(minimum probability flow with single-bit flips), pcd (persistent single-site Gibbs
chains), cd (CD-k: k Gibbs sweeps from the batch) or klc (minimum KL contraction under
the channel that flips each bit with probability --eps: k Gibbs sweeps of the model's
posterior given the flipped batch, started at the flipped batch or, with --klc-start clean, at
the batch itself, which makes the fixed point exact for every k; no log Z). Writes --out as a model folder (kind
"fvbm"; tensors W [d,d], b [d]) and metrics.jsonl.`,
		Example: `  ebm bm train --data csv:spins.csv --method exact --epochs 500 --lr 0.5 --out out/bm --json
  ebm bm train --data digits --method klc --eps 0.1 --k 2 --epochs 20 --out out/bm-klc`,
		Args: rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var err error
			if cfg.Method, err = rbm.ParseFVBMMethod(method); err != nil {
				return cli.Flag(err)
			}
			switch klcStart {
			case "noisy", "clean":
				cfg.StartClean = klcStart == "clean"
			default:
				return cli.Usagef("--klc-start %q: want noisy or clean", klcStart)
			}
			if err := rbm.CheckFVBMSettings(cfg); err != nil {
				return cli.Flag(err)
			}
			if out == "" {
				return cli.Usagef("--out: an output folder is required")
			}
			x, err := bmReadData(source, binarize, false)
			if err != nil {
				return err
			}
			if cfg.Method == rbm.FVBMExact && x.Cols > rbm.MaxFVBMEnumerate {
				return cli.Usagef("--method exact: %d units, above the limit of %d for enumeration (use pl, mpf, pcd or cd)", x.Cols, rbm.MaxFVBMEnumerate)
			}
			run, err := rbm.NewFVBMRun(cfg, source, x)
			if err != nil {
				return rbmErr(err, "--data", "--data", "--data")
			}
			return rbmRun(c, run, nil, out, force, asJSON, "", data.SourcePaths(source)...)
		},
	}
	f := c.Flags()
	f.StringVar(&source, "data", "digits", "digits | csv:PATH (binary)")
	f.StringVar(&method, "method", "pl", "exact | pl | mpf | pcd | cd | klc")
	f.IntVar(&cfg.Epochs, "epochs", 100, "passes over the data (full-batch steps for exact)")
	f.IntVar(&cfg.BatchSize, "batch", 100, "mini-batch size (pl, mpf, pcd, cd)")
	f.IntVar(&cfg.Chains, "chains", 100, "persistent chains (pcd)")
	f.IntVar(&cfg.K, "k", 1, "Gibbs sweeps per update (pcd, cd, klc)")
	f.StringVar(&klcStart, "klc-start", "noisy", "where klc's posterior chains start: noisy (the flipped batch) | clean (the batch)")
	f.Float64Var(&cfg.Eps, "eps", 0.1, "bit-flip probability of the channel, 0 < eps < 0.5 (klc)")
	f.Float64Var(&cfg.LR, "lr", 0.1, "learning rate")
	f.Float64Var(&cfg.WeightDecay, "weight-decay", 0, "L2 weight decay on W")
	f.Float64Var(&binarize, "binarize", 0, "threshold CSV data (values ≥ T → 1)")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	f.StringVar(&out, "out", "", "output folder (required)")
	f.BoolVar(&force, "force", false, "replace --out if it exists")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

func newBMEvalCmd() *cobra.Command {
	var (
		dir, source string
		binarize    float64
		asJSON      bool
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
				return rbmLoadErr(dir, err)
			}
			x, err := bmReadData(source, binarize, true)
			if err != nil {
				return err
			}
			if x.Cols != bm.Dim() {
				return cli.Usagef("--data %s has %d columns; the model has %d units", source, x.Cols, bm.Dim())
			}
			rep, err := rbm.EvaluateFVBM(bm, x)
			if err != nil {
				return err
			}
			rep["model"], rep["data"] = dir, source
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), rep)
			}
			fmt.Fprintf(c.OutOrStdout(), "%s on %s (%d examples):\n", dir, source, x.Rows)
			rbm.WriteMetrics(c.OutOrStdout(), rep)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "model", "", "model folder written by ebm bm train (required)")
	f.StringVar(&source, "data", "digits", "digits | csv:PATH (binary)")
	f.Float64Var(&binarize, "binarize", 0, "threshold CSV data (values ≥ T → 1)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}
