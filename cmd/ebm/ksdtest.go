package main

import (
	"fmt"

	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/metric"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newKSDTestCmd) }

type ksdTestOpts struct {
	model, energy, samples, kernel string
	bandwidth, corr, alpha         float64
	bootstrap, thin                int
	seed                           uint64
	jsonOut                        bool
}

func newKSDTestCmd() *cobra.Command {
	o := &ksdTestOpts{}
	c := &cobra.Command{
		Use:   "ksd-test",
		Short: "Test whether samples come from a model (kernel Stein discrepancy, wild bootstrap)",
		Long: `Kernel Stein discrepancy goodness-of-fit test of a sample against a model: the
U-statistic KSD^2 of the sample under the model's score -grad E, and its
wild-bootstrap p-value (Rademacher multipliers for independent draws; with
--correlation L, AR(1) multipliers of correlation length L for draws in chain
order). It needs only the gradient of the energy, never log Z.

The sample (--samples) is a CSV file, one point per row, optional header; the
samples.csv of ebm sample works as is (its chain column is recognized). MCMC
draws are correlated: thin them (--thin N keeps every N-th draw of each chain;
N about draws/ESS) or give --correlation, else the test rejects too often.

Energies (--energy NAME[:k=v,...]):
` + energyHelp(),
		Example: `  ebm sample --energy gauss:dim=2 --sampler mala --chains 8 --steps 2000 --out out/s
  ebm ksd-test --energy gauss:dim=2 --samples out/s/samples.csv --thin 10
  ebm ksd-test --model out/ssm --samples data.csv --kernel rbf --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runKSDTest(cmd, o) },
	}
	f := c.Flags()
	f.StringVar(&o.model, "model", "", "a trained model folder")
	f.StringVar(&o.energy, "energy", "", "a built-in energy NAME[:k=v,...] instead of --model")
	f.StringVar(&o.samples, "samples", "", "CSV file of sample points (required)")
	f.StringVar(&o.kernel, "kernel", "imq", "kernel: imq ((1+|a-b|^2)^-1/2) or rbf")
	f.Float64Var(&o.bandwidth, "bandwidth", 0, "rbf bandwidth h (0: median distance)")
	f.IntVar(&o.bootstrap, "bootstrap", 1000, "wild-bootstrap draws")
	f.Float64Var(&o.corr, "correlation", 0, "correlation length of the multipliers for draws in chain order (0: independent draws)")
	f.IntVar(&o.thin, "thin", 1, "keep every N-th draw of each chain")
	f.Float64Var(&o.alpha, "alpha", 0.05, "level of the test")
	f.Uint64Var(&o.seed, "seed", 1, "random seed of the bootstrap")
	f.BoolVar(&o.jsonOut, "json", false, "print one JSON object on stdout")
	return c
}

func runKSDTest(cmd *cobra.Command, o *ksdTestOpts) error {
	switch {
	case (o.model == "") == (o.energy == ""):
		return cli.Usagef("ksd-test: give exactly one of --model or --energy")
	case o.samples == "":
		return cli.Usagef("ksd-test: --samples is required")
	case o.kernel != "imq" && o.kernel != "rbf":
		return cli.Usagef("ksd-test: --kernel %q unknown (valid: imq, rbf)", o.kernel)
	case o.bootstrap < 1:
		return cli.Usagef("ksd-test: --bootstrap must be ≥ 1, got %d", o.bootstrap)
	case o.thin < 1:
		return cli.Usagef("ksd-test: --thin must be ≥ 1, got %d", o.thin)
	case !(o.alpha > 0 && o.alpha < 1):
		return cli.Usagef("ksd-test: --alpha must be in (0, 1), got %v", o.alpha)
	case !(o.bandwidth >= 0) || !(o.corr >= 0):
		return cli.Usagef("ksd-test: --bandwidth and --correlation must be ≥ 0")
	}
	e, _, err := targetEnergy(o.energy, o.model, "ksd-test")
	if err != nil {
		return err
	}
	s, err := metric.LoadKSDSamples(o.samples, o.thin)
	if err != nil {
		return cli.Input(err)
	}
	if s.X.Cols != e.Dim() {
		return cli.Usagef("ksd-test: %s has %d coordinates per point, the model has dimension %d", o.samples, s.X.Cols, e.Dim())
	}
	if s.X.Rows < 2 {
		return cli.Usagef("ksd-test: %s has %d points after thinning; need at least 2", o.samples, s.X.Rows)
	}
	res, err := metric.KSDTestEnergy(e, s.X, metric.KSDTestOptions{Kernel: o.kernel, Bandwidth: o.bandwidth,
		Bootstrap: o.bootstrap, Correlation: o.corr, Seed: o.seed})
	if err != nil {
		return cli.Input(err)
	}
	rep := metric.KSDTestReport{KSDTestResult: *res, Samples: o.samples, Rows: s.Rows, Chains: s.Chains, Thin: o.thin,
		Correlation: o.corr, Alpha: o.alpha, Reject: res.PValue <= o.alpha}
	if o.jsonOut {
		return cli.WriteJSON(cmd.OutOrStdout(), rep)
	}
	_, err = fmt.Fprint(cmd.OutOrStdout(), rep.Text())
	return err
}
