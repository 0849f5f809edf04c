package main

// rbm eval, rbm sample and dbn sample.

import (
	"errors"
	"fmt"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/rbm"
	"github.com/spf13/cobra"
)

func newRBMEvalCmd() *cobra.Command {
	var (
		dir, source, ais string
		exact, asJSON    bool
		limit            int
		binarize         float64
		seed             uint64
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
			job, err := rbm.ParseEvalJob(exact, ais, seed)
			if err != nil {
				return cli.Flag(err)
			}
			r, _, err := rbm.Load(dir)
			if err != nil {
				return rbmLoadErr(dir, err)
			}
			d, err := rbmReadData(source, "", limit, r.Visible == rbm.Bernoulli, binarize)
			if err != nil {
				return err
			}
			rep, err := rbm.Evaluate(c.Context(), r, d.EvalRows(), job)
			var le *rbm.LimitError
			if errors.As(err, &le) {
				return cli.Usagef("--exact: %v", err)
			} else if err != nil {
				return rbmErr(err, "--model", "--data "+source, "--data "+source)
			}
			rep["model"], rep["data"] = dir, source
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), rep)
			}
			rbm.WriteEval(c.OutOrStdout(), dir, source, rep)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "model", "", "model folder written by ebm rbm train (required)")
	f.StringVar(&source, "data", "digits", "digits | idx:PATH | csv:PATH")
	f.IntVar(&limit, "limit", 0, "keep the first N examples of an idx/csv file (0: all)")
	f.Float64Var(&binarize, "binarize", 0, "threshold CSV data for Bernoulli units (values ≥ T → 1)")
	f.BoolVar(&exact, "exact", false, "exact log Z by enumerating the smaller layer (≤ 25 units)")
	f.StringVar(&ais, "ais", "", "AIS settings runs=R,betas=B (forward and reverse AIS)")
	f.Uint64Var(&seed, "seed", 1, "random seed for AIS")
	f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	return c
}

// rbmSampleCmd returns the sample command of rbm (dbn false) or dbn.
func rbmSampleCmd(dbn bool, long, example string) *cobra.Command {
	var (
		dir, outPath string
		n, steps     int
		seed         uint64
		asJSON       bool
	)
	c := &cobra.Command{Use: "sample", Long: long, Example: example, Args: rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dir == "" || outPath == "" {
				return cli.Usagef("--model and --out are required")
			}
			if n < 1 || steps < 1 {
				return cli.Usagef("--n %d --steps %d: need at least 1 each", n, steps)
			}
			w := c.OutOrStdout()
			if dbn {
				net, _, err := rbm.LoadDBN(dir)
				if err != nil {
					return rbmLoadErr(dir, err)
				}
				if err := net.SampleImage(outPath, n, steps, seed); err != nil {
					return err
				}
				fmt.Fprintf(w, "wrote %d samples to %s\n", n, outPath)
				return nil
			}
			r, _, err := rbm.Load(dir)
			if err != nil {
				return rbmLoadErr(dir, err)
			}
			cd, err := r.SampleImage(outPath, n, steps, seed)
			if err != nil {
				return err
			}
			if asJSON {
				return cli.WriteJSON(w, map[string]any{"out": outPath, "n": n, "steps": steps, "seed": seed,
					"diagnostics": rbm.Finite(map[string]float64{"rhat": cd.Rhat, "ess_bulk": cd.ESSBulk, "draws": float64(cd.Draws), "thin": float64(cd.Thin)})})
			}
			fmt.Fprintf(w, "wrote %d samples (%d Gibbs sweeps each) to %s\n%s\n", n, steps, outPath, cd)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "model", "", "model folder (required)")
	f.StringVar(&outPath, "out", "", "PNG file to write (required)")
	f.IntVar(&n, "n", 100, "number of samples (chains)")
	f.IntVar(&steps, "steps", 1000, "Gibbs sweeps")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	if dbn {
		c.Short = "Draw samples from a saved DBN as a PNG grid"
		f.Lookup("n").Usage, f.Lookup("steps").Usage = "number of samples", "Gibbs sweeps in the top RBM"
	} else {
		c.Short = "Draw Gibbs samples from a saved RBM as a PNG grid"
		f.BoolVar(&asJSON, "json", false, "print one JSON object on stdout")
	}
	return c
}

func newRBMSampleCmd() *cobra.Command {
	return rbmSampleCmd(false, `Run --n block-Gibbs chains from random visible states for --steps sweeps and draw
E[v | h] of the last sweep as an image grid (the data's image shape; one row of
pixels for non-image data). Reports the chains' split R̂ and bulk ESS of the free
energy over the second half of the sweeps (rhat, ess_bulk).`,
		`  ebm rbm sample --model out/rbm16 --out samples.png --n 100 --steps 1000 --seed 2`)
}
