package main

import (
	"context"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/plot"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newEvalCmd) }

func newEvalCmd() *cobra.Command {
	var modelDir, dataSpec, sampler string
	var seed uint64
	var jsonOut, quiet bool
	var n, steps int
	c := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate a trained energy: grid NLL, MMD and KSD of its samples",
		Long: `Evaluate a model written by ebm train on held-out data: for 2-D data the grid
log Z and NLL over [-4,4]^2 (300x300 cells); the unbiased MMD^2 (RBF, bandwidth
0.5) between model samples and data; the KSD of the data under the model; the
mean data energy. Model samples come from --sampler (default ula:step=0.005:
1000 steps from uniform starts on [-4,4]^d).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if modelDir == "" {
				return cli.Usagef("eval: --model is required")
			}
			if n < 2 || steps < 1 {
				return cli.Usagef("eval: --n must be ≥ 2 and --steps ≥ 1")
			}
			m, _, err := energy.LoadGrad(modelDir)
			if err != nil {
				return cli.Input(err)
			}
			pts, err := data.LoadPoints(dataSpec, data.PointsOptions{LabelColumn: data.NoLabel})
			if err != nil {
				return cli.Input(err)
			}
			if pts.Dim != m.Dim() {
				return cli.Usagef("eval: data %s has dimension %d, the model %d", dataSpec, pts.Dim, m.Dim())
			}
			rep, err := evaluate(cmd.Context(), m, pts, sampler, n, steps, seed, quiet || jsonOut)
			if err != nil {
				return err
			}
			rep.Model = modelDir
			if jsonOut {
				return cli.WriteJSON(cmd.OutOrStdout(), rep)
			}
			return rep.WriteText(cmd.OutOrStdout())
		},
	}
	f := c.Flags()
	f.StringVar(&modelDir, "model", "", "model folder written by ebm train")
	f.StringVar(&dataSpec, "data", "8gaussians", "toy data name or CSV file")
	f.StringVar(&sampler, "sampler", "ula:step=0.005", "sampler for model samples (see ebm sample --help)")
	f.IntVar(&n, "n", 2000, "model samples for MMD")
	f.IntVar(&steps, "steps", 1000, "sampler steps per model sample")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	f.BoolVar(&jsonOut, "json", false, "print one JSON object on stdout")
	f.BoolVar(&quiet, "quiet", false, "no progress report")
	return c
}

// evaluate runs the evaluation protocol (metric.Evaluate) for energy m on the
// held-out points of pts: n model samples drawn by the sampler spec, steps
// steps from uniform starts on the grid box, against pts' sample. Progress
// goes to stderr unless quiet.
func evaluate(ctx context.Context, m energy.GradEnergy, pts *data.Points, sampler string, n, steps int, seed uint64, quiet bool) (*metric.EvalReport, error) {
	bar := cli.NewProgress(steps, "sampling the model", quiet)
	r, err := metric.EvaluateSampler(ctx, m, pts.Test, pts.Sample, sampler, metric.EvalConfig{
		Samples: n, Steps: steps, Seed: seed, Progress: func(int, int) { bar.Add(1) }})
	bar.Done()
	if err != nil {
		return nil, cli.Flag(err)
	}
	return r.Report(pts.Name, sampler, n), nil
}

// trainPlots draws the loss curve and, for 2-D data, the learned density over
// the data and model samples (MALA with step-size adaptation, 500 warm-up
// steps from uniform starts on the grid box, the last state of each chain).
func trainPlots(ctx context.Context, out *cli.OutDir, m energy.GradEnergy, pts *data.Points, iters, losses []float64, seed uint64) error {
	if pts.Dim != 2 {
		return plot.TrainingFigures(out.Tmp, iters, losses, nil, nil, nil, 0, 0)
	}
	s, err := metric.DensitySamples(ctx, m, seed)
	if err != nil {
		return err
	}
	return plot.TrainingFigures(out.Tmp, iters, losses, m, pts.Sample, s, metric.GridLo, metric.GridHi)
}
