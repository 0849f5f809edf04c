package main

// rbm eval and rbm sample, and the metrics the rbm commands share.

import (
	"fmt"
	"math"
	"time"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/tensor"
	"github.com/spf13/cobra"
)

// rbmMonitor is the data the per-epoch and final metrics are computed on,
// with its name ("test" or "train").
type rbmMonitor struct {
	x    *tensor.Dense[float32]
	name string
}

func rbmMonitorSet(d *data.UnitData) rbmMonitor {
	if d.Test != nil {
		return rbmMonitor{d.Test, "test"}
	}
	x := d.Train
	if x.Rows > 10000 {
		return rbmMonitor{tensor.FromSlice(10000, x.Cols, x.Data[:10000*x.Cols]), "train_first10000"}
	}
	return rbmMonitor{x, "train"}
}

// rbmCheapExact reports whether exact log Z is cheap enough to compute every
// epoch: the smaller layer has at most 20 units and 2^k·max(V, H) ≤ 10⁸.
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
		m["loglik_"+mon.name], m["logz"] = ll, lz
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

// rbmImageGrid draws the rows of s as a grid of images of the given shape (one
// row of pixels when it does not fit).
func rbmImageGrid(path string, s *tensor.Dense[float32], shape [2]int) error {
	h, w := shape[0], shape[1]
	if h*w != s.Cols {
		h, w = 1, s.Cols
	}
	scale := 4
	if h <= 8 {
		scale = 8
	}
	return plot.ImageGrid(path, tensor.Convert[float64](nil, s), h, w, int(math.Ceil(math.Sqrt(float64(s.Rows)))), scale)
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
			r, _, err := rbm.Load(dir)
			if err != nil {
				return rbmKindErr(dir, err)
			}
			d, err := rbmReadData("--data", spec, limit, r.Visible == rbm.Bernoulli, binarize)
			if err != nil {
				return err
			}
			x := d.Train
			if d.Test != nil {
				x = d.Test
			}
			if r.Data.Mean != nil {
				x = data.StandardizeWith(x, r.Data.Mean, r.Data.Std)
			}
			if err := r.CheckData(x, false); err != nil {
				return rbmDataErr("--data "+spec, err)
			}
			small := min(r.NumVisible(), r.NumHidden()) <= rbm.MaxEnumerate
			if r.Visible == rbm.Gaussian {
				small = r.NumHidden() <= rbm.MaxEnumerate
			}
			if exact && !small {
				_, err := r.ExactLogZ()
				return cli.Usagef("--exact: %v", err)
			}
			start := time.Now()
			rep := map[string]any{"model": dir, "data": spec, "n_test": x.Rows,
				"n_visible": r.NumVisible(), "n_hidden": r.NumHidden(), "visible": r.Visible.String()}
			if r.Data.Mean != nil {
				rep["loglik_units"] = "density of the standardized data (add −Σ log data_std for the data's own units)"
			}
			if exact || (ais == "" && small) {
				ll, lz, err := r.ExactLogLik(x)
				if err != nil {
					return err
				}
				rep["method"], rep["loglik_test"], rep["logz"] = "exact", ll, lz
			} else {
				cfg := rbm.AISConfig{Runs: runs, NumBetas: betas, Seed: seed, BaseBias: r.Data.BaseBias}
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
pixels for non-image data). Reports the chains' split R̂ and bulk ESS of the free
energy over the second half of the sweeps (rhat, ess_bulk).`,
		Example: `  ebm rbm sample --model out/rbm16 --out samples.png --n 100 --steps 1000 --seed 2`,
		Args:    rbmNoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if dir == "" || outPath == "" {
				return cli.Usagef("--model and --out are required")
			}
			if n < 1 || steps < 1 {
				return cli.Usagef("--n %d --steps %d: need at least 1 each", n, steps)
			}
			r, _, err := rbm.Load(dir)
			if err != nil {
				return rbmKindErr(dir, err)
			}
			s, cd, err := r.SampleDiagnosed(n, steps, seed)
			if err != nil {
				return err
			}
			r.Data.Unstandardize(s)
			if err := rbmImageGrid(outPath, s, r.Data.Image); err != nil {
				return err
			}
			if asJSON {
				return cli.WriteJSON(c.OutOrStdout(), map[string]any{"out": outPath, "n": n, "steps": steps, "seed": seed,
					"diagnostics": rbmFinite(map[string]float64{"rhat": cd.Rhat, "ess_bulk": cd.ESSBulk, "draws": float64(cd.Draws), "thin": float64(cd.Thin)})})
			}
			fmt.Fprintf(c.OutOrStdout(), "wrote %d samples (%d Gibbs sweeps each) to %s\n%s\n", n, steps, outPath, cd)
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
