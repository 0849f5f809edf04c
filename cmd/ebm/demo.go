package main

import (
	"fmt"
	"io"
	"os"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/internal/atomicfile"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/plot"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newDemoCmd) }

func newDemoCmd() *cobra.Command {
	var outDir string
	var iters int
	var seed uint64
	var jsonOut, force, quiet bool
	c := &cobra.Command{
		Use:   "demo",
		Short: "Train an energy on 8gaussians, sample it, evaluate it and draw pictures",
		Long: `The main job, on built-in data and with no other arguments: train an MLP energy
2-128-128-1 (SiLU) on FFJORD's 8gaussians by sliced score matching, draw samples
from it with MALA, evaluate the grid NLL of held-out data and the MMD of the
samples, and write pictures and a short report into --out (default ./ebm-demo).
Well under a minute on two cores.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if iters < 1 {
				return cli.Usagef("demo: --iters must be at least 1")
			}
			o := &trainOpts{data: "8gaussians", modelSpec: "mlp:hidden=128x128,act=silu", method: "ssm",
				iters: iters, batch: 256, lr: 1e-3, ema: 0.99, seed: seed, out: outDir, force: force,
				logEvery: 100, testN: 10000, checkpoint: "", ckptEvery: 0, quiet: jsonOut || quiet, schedule: "constant",
				cmdName: "demo"}
			if err := o.validate(); err != nil {
				return err
			}
			out, err := cli.NewOutDir(outDir, force)
			if err != nil {
				return err
			}
			defer out.Abort()
			fmt.Fprintf(os.Stderr, "ebm demo: training an energy on 8gaussians (sliced score matching, %d iterations)\n", iters)
			t, err := trainInto(cmd, o, nil, out)
			if err != nil {
				return err
			}
			rep := &metric.DemoReport{Train: t.report, NLLGrid: *t.report.NLLGrid, NLLBest: data.EightGaussiansEntropy, Out: out.Final}
			// Samples: MALA with adaptation from uniform starts.
			fmt.Fprintln(os.Stderr, "ebm demo: sampling the model with MALA")
			samples, ref, err := rep.Sample(cmd.Context(), t.model, seed)
			if err != nil {
				return err
			}
			box := [2]float64{-metric.DemoBox, metric.DemoBox}
			err = plot.Scatter2D(out.Path("data.png"), "8gaussians data over the true density", ref,
				plot.ScatterOptions{Contour: plot.EnergyAt(energy.EightGaussians()), Shade: true, XRange: box, YRange: box})
			if err == nil {
				err = plot.Scatter2D(out.Path("samples.png"), "model samples (MALA, 2000 chains) over the learned energy", samples,
					plot.ScatterOptions{Contour: plot.EnergyAt(t.model), Shade: true, XRange: box, YRange: box})
			}
			if err == nil {
				err = atomicfile.WriteFile(out.Path("report.md"), rep.WriteMarkdown)
			}
			if err == nil {
				err = atomicfile.WriteFile(out.Path("report.json"), func(w io.Writer) error { return cli.WriteJSON(w, rep) })
			}
			if err == nil {
				err = out.Commit()
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if jsonOut {
				return cli.WriteJSON(w, rep)
			}
			rep.WriteText(w)
			fmt.Fprintf(w, "pictures and report in %s: density.png samples.png data.png loss.png report.md\n", out.Final)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&outDir, "out", "ebm-demo", "output folder (new or empty; with --force an earlier ebm output is replaced)")
	f.IntVar(&iters, "iters", 2000, "training iterations")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	f.BoolVar(&force, "force", false, "replace --out if it holds an earlier ebm output")
	f.BoolVar(&quiet, "quiet", false, "no progress report")
	f.BoolVar(&jsonOut, "json", false, "print the report as JSON")
	return c
}
