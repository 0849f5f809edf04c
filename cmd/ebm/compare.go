package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/sample"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newCompareCmd) }

func newCompareCmd() *cobra.Command {
	var methods, dataSpec, modelSpec, sampler string
	var iters int
	var seeds []uint
	var jsonOut bool
	var ema float64
	c := &cobra.Command{
		Use:   "compare",
		Short: "Train every estimator on the same data and tabulate NLL, MMD² and speed",
		Long: `Train one model per estimator (--methods, comma-separated method specs as for
ebm train --method, joined by ";") on the same data with the same model and
settings, evaluate each the same way (grid NLL for 2-D data; MMD² of model
samples drawn by --sampler from uniform starts, 1000 steps, against data) and
print a Markdown table (or JSON). The README's estimator table is this
command's output with the defaults.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			list := metric.ParseCompareMethods(methods)
			if len(seeds) == 0 {
				return cli.Usagef("compare: --seeds must list at least one seed")
			}
			// Every method, the model, the data and the sampler are checked
			// before anything is trained.
			for _, m := range list {
				s, err := compareOpts(dataSpec, modelSpec, m, iters, ema, 1, "(check)").setup()
				if err != nil {
					return err
				}
				if _, err := sample.Parse(sampler, s.Model); err != nil {
					return cli.Flag(err)
				}
			}
			var rows []metric.CompareRow
			for _, s := range seeds {
				for _, m := range list {
					tmp, err := os.MkdirTemp("", "ebm-compare-")
					if err != nil {
						return err
					}
					o := compareOpts(dataSpec, modelSpec, m, iters, ema, uint64(s), tmp+"/run")
					out, err := cli.NewOutDir(o.out, false)
					if err != nil {
						return err
					}
					t, err := trainInto(cmd, o, nil, out)
					out.Abort()
					os.RemoveAll(tmp)
					if errors.Is(err, cli.ErrInterrupted) {
						return err
					}
					if err != nil {
						return fmt.Errorf("compare: %s: %w", m, err)
					}
					ev, err := evaluate(cmd.Context(), t.model, t.pts, sampler, 2000, 1000, uint64(s), true)
					if err != nil {
						return fmt.Errorf("compare: %s: %w", m, err)
					}
					row := metric.NewCompareRow(m, uint64(s), t.report, ev)
					rows = append(rows, row)
					if !jsonOut {
						fmt.Fprintf(os.Stderr, "ebm compare: %-45s seed %d: NLL %.4f, MMD² %s, %.0f it/s\n",
							m, s, row.NLLGrid, row.MMD2.Text("%.4f"), row.ItersPerSec)
					}
				}
			}
			w := cmd.OutOrStdout()
			if jsonOut {
				return cli.WriteJSON(w, rows)
			}
			fmt.Fprintf(w, "Data %s, MLP 2-128-128-1 SiLU, batch 256, Adam 1e-3, EMA %g, %d iterations; MMD² of 2,000 samples (%s, 1,000 steps from uniform starts) vs 2,000 data points, RBF h = 0.5.\n\n", dataSpec, ema, iters, sampler)
			return metric.WriteCompareTable(w, rows)
		},
	}
	f := c.Flags()
	f.StringVar(&methods, "methods", "", `method specs separated by ";" (default: every estimator)`)
	f.StringVar(&dataSpec, "data", "8gaussians", "toy data name or CSV file")
	f.StringVar(&modelSpec, "model", "mlp:hidden=128x128,act=silu", "model spec")
	f.StringVar(&sampler, "sampler", "ula:step=0.005", "sampler for the MMD samples")
	f.IntVar(&iters, "iters", 2000, "training iterations per estimator")
	f.Float64Var(&ema, "ema", 0.99, "weight EMA decay (0: off)")
	f.UintSliceVar(&seeds, "seeds", []uint{1}, "seeds (one run per seed and method)")
	f.BoolVar(&jsonOut, "json", false, "print the rows as JSON")
	return c
}

// compareOpts are the training settings of one compare run.
func compareOpts(dataSpec, modelSpec, method string, iters int, ema float64, seed uint64, out string) *trainOpts {
	return &trainOpts{data: dataSpec, modelSpec: modelSpec, method: method, iters: iters, batch: 256,
		lr: 1e-3, ema: ema, seed: seed, out: out, logEvery: 100, testN: 10000, quiet: true, cmdName: "compare",
		schedule: "constant"}
}
