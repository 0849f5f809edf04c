package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/internal/atomicfile"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/sample"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newSampleCmd) }

type sampleOpts struct {
	energy, model, sampler, init, clamp string
	chains, steps, warmup, thin         int
	seed                                uint64
	out                                 string
	jsonOut, force, quiet               bool
}

func newSampleCmd() *cobra.Command {
	o := &sampleOpts{}
	c := &cobra.Command{
		Use:   "sample",
		Short: "Sample an energy with MCMC and report diagnostics",
		Long: `Sample a built-in energy (or a trained model) with MCMC, many chains at once,
and report moments and diagnostics: acceptance, rank-normalized split R-hat,
bulk and tail ESS, and the kernel Stein discrepancy of the draws.

Energies (--energy NAME[:k=v,...]):
` + energyHelp() + "\n\n" + energy.SumGrammar + "\n\nSamplers (--sampler NAME[:k=v,...]):\n" + sample.SamplerHelp(),
		Example: `  ebm sample --energy gauss:dim=2,rho=0.8 --sampler mala --chains 8 --steps 4000 --warmup 1000 --seed 1 --json
  ebm sample --energy ncsn-gmm --sampler annealed --chains 2000 --out out/annealed
  ebm sample --energy 'model:runs/a + model:runs/b*0.5 + quad:center=0,scale=2' --out out/product`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runSample(cmd, o) },
	}
	f := c.Flags()
	f.StringVar(&o.energy, "energy", "", "energy: a built-in NAME[:k=v,...], a saved model:DIR, or a weighted sum of them (see above)")
	f.StringVar(&o.model, "model", "", "a trained model folder (from ebm train) instead of --energy")
	f.StringVar(&o.sampler, "sampler", "mala", "sampler NAME[:k=v,...] (see above)")
	f.IntVar(&o.chains, "chains", 8, "number of chains")
	f.IntVar(&o.steps, "steps", 1000, "sampling steps per chain (kept)")
	f.IntVar(&o.warmup, "warmup", 1000, "warm-up steps per chain (adaptation, not kept)")
	f.IntVar(&o.thin, "thin", 1, "keep every n-th sampling step")
	f.Uint64Var(&o.seed, "seed", 1, "random seed")
	f.StringVar(&o.init, "init", "", `initial points: "uniform:lo=-2,hi=2" (default), "normal:sd=1", or a CSV file with one row per chain`)
	f.StringVar(&o.clamp, "clamp", "", `confine chains to a box "LO,HI" (MH kernels reject outside it; unadjusted kernels clamp)`)
	f.StringVar(&o.out, "out", "", "write samples.csv, diagnostics.json and samples.png into this folder")
	f.BoolVar(&o.force, "force", false, "replace --out if it exists")
	f.BoolVar(&o.jsonOut, "json", false, "print one JSON object with the results on stdout")
	f.BoolVar(&o.quiet, "quiet", false, "no progress report")
	return c
}

func energyHelp() string {
	var b strings.Builder
	for _, n := range energy.Names() {
		fmt.Fprintf(&b, "  %-10s %s\n", n, energy.Describe(n))
	}
	return strings.TrimRight(b.String(), "\n")
}

// parseEnergy builds an energy from a sum of terms (energy.ParseSum: built-ins,
// saved models, quad and box terms with weights and temperatures); every
// failure is a usage error.
func parseEnergy(s string) (*energy.Composed, error) {
	c, err := energy.ParseSum("--energy", s)
	if err != nil {
		return nil, cli.Input(err)
	}
	return c, nil
}

func runSample(cmd *cobra.Command, o *sampleOpts) error {
	if (o.energy == "") == (o.model == "") {
		return cli.Usagef("sample: give exactly one of --energy or --model (see ebm sample --help)")
	}
	if err := sample.CheckRun(o.chains, o.steps, o.warmup, o.thin); err != nil {
		return cli.Flag(err)
	}
	var e energy.GradEnergy
	var err error
	name := o.energy
	inputs := []string{o.model}
	var boxLo, boxHi []float64
	if o.model != "" {
		e, _, err = energy.LoadGrad(o.model)
		err = cli.Input(err)
		name = o.model
	} else {
		var c *energy.Composed
		if c, err = parseEnergy(o.energy); err == nil {
			e, boxLo, boxHi = c.Energy, c.ClampLo, c.ClampHi
			inputs = append(inputs, c.Models...)
		}
	}
	if err != nil {
		return err
	}
	ss, err := sample.Parse(o.sampler, e)
	if err != nil {
		return cli.Flag(err)
	}
	clamp, err := sample.ParseBox(o.clamp)
	if err != nil {
		return cli.Flag(err)
	}
	if boxLo != nil {
		if clamp != nil {
			return cli.Usagef("sample: give the clamp box either in --energy (box:...,mode=clamp) or with --clamp, not both")
		}
		clamp = &sample.Box{Lo: boxLo, Hi: boxHi}
	}
	x0, err := sample.InitialPoints(o.init, o.chains, e.Dim(), o.seed)
	if err != nil {
		return cli.Flag(err)
	}
	var out *cli.OutDir
	if o.out != "" {
		if sample.IsInitFile(o.init) {
			inputs = append(inputs, o.init)
		}
		if out, err = cli.NewOutDir(o.out, o.force, inputs...); err != nil {
			return err
		}
		defer out.Abort()
	}
	cfg := sample.Config{Warmup: o.warmup, Steps: o.steps, Thin: o.thin, Seed: o.seed, Clamp: clamp}
	ss.Configure(&cfg)
	bar := cli.NewProgress(cfg.Warmup+cfg.Steps, "sampling", o.quiet)
	cfg.Progress = func(done, total int) { bar.Add(1) }
	res, err := sample.Run(cmd.Context(), ss.Kernel, x0, cfg)
	bar.Done()
	if err != nil {
		return err
	}
	rep, err := metric.NewSampleReport(res, e, name, ss.Name, o.seed)
	if err != nil {
		return err
	}
	if out != nil {
		if err := writeSampleOutputs(out, res, e, rep); err != nil {
			return err
		}
		if err := out.Commit(); err != nil {
			return err
		}
	}
	for _, msg := range rep.Warnings {
		fmt.Fprintln(os.Stderr, "ebm sample: warning:", msg)
	}
	w := cmd.OutOrStdout()
	if o.jsonOut {
		return cli.WriteJSON(w, rep)
	}
	rep.WriteText(w)
	if out != nil {
		fmt.Fprintf(w, "wrote %s/{samples.csv,diagnostics.json,samples.png}\n", out.Final)
	}
	return nil
}

// writeSampleOutputs writes samples.csv (one row per draw: chain, x0, x1, …),
// diagnostics.json (the report) and samples.png into out.
func writeSampleOutputs(out *cli.OutDir, res *sample.Result, e energy.GradEnergy, rep *metric.SampleReport) error {
	err := atomicfile.WriteFile(out.Path("samples.csv"), res.WriteCSV)
	if err == nil {
		err = atomicfile.WriteFile(out.Path("diagnostics.json"), func(w io.Writer) error { return cli.WriteJSON(w, rep) })
	}
	if err != nil {
		return err
	}
	title := fmt.Sprintf("%s: %s, %d draws", rep.Energy, rep.Sampler, rep.NSamples)
	return plot.Samples(out.Path("samples.png"), title, metric.EvenDraws(res, 5000), e)
}
