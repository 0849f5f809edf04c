package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/plot"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newEvalCmd) }

// EvalReport is the JSON printed by ebm eval --json.
type EvalReport struct {
	Model     string   `json:"model"`
	Data      string   `json:"data"`
	NLLGrid   *float64 `json:"nll_grid,omitempty"`
	LogZGrid  *float64 `json:"logz_grid,omitempty"`
	MMD2      jsonNum  `json:"mmd2"`
	KSD       jsonNum  `json:"ksd"`
	MeanEData float64  `json:"mean_energy_data"`
	NSamples  int      `json:"n_samples"`
	Sampler   string   `json:"sampler"`
}

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
			m, _, err := energy.LoadModel(modelDir)
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
			w := cmd.OutOrStdout()
			if jsonOut {
				return cli.WriteJSON(w, rep)
			}
			printEval(w, rep)
			return nil
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
func evaluate(ctx context.Context, m energy.GradEnergy, pts *data.Points, sampler string, n, steps int, seed uint64, quiet bool) (*EvalReport, error) {
	ss, err := sample.Parse(sampler, m)
	if err != nil {
		return nil, cli.Flag(err)
	}
	bar := cli.NewProgress(steps, "sampling the model", quiet)
	r, err := metric.Evaluate(ctx, m, pts.Test, pts.Sample, metric.EvalConfig{Kernel: ss.Kernel, Adapt: ss.Adapt,
		Samples: n, Steps: steps, Seed: seed, Progress: func(int, int) { bar.Add(1) }})
	bar.Done()
	if err != nil {
		return nil, err
	}
	return &EvalReport{Data: pts.Name, NLLGrid: r.NLLGrid, LogZGrid: r.LogZGrid, MMD2: jsonNum(r.MMD2), KSD: jsonNum(r.KSD),
		MeanEData: r.MeanEData, NSamples: n, Sampler: sampler}, nil
}

func printEval(w io.Writer, r *EvalReport) {
	if r.NLLGrid != nil {
		fmt.Fprintf(w, "grid NLL %.4f nats, log Z %.4f\n", *r.NLLGrid, *r.LogZGrid)
	}
	fmt.Fprintf(w, "MMD² %s (%d samples, %s), KSD %s, mean data energy %.4g\n",
		fmtNum(r.MMD2, "%.4g"), r.NSamples, r.Sampler, fmtNum(r.KSD, "%.4g"), r.MeanEData)
}

// trainPlots draws the loss curve and, for 2-D data, the learned density over
// the data and model samples (MALA with step-size adaptation, 500 warm-up
// steps from uniform starts on the grid box, the last state of each chain).
func trainPlots(ctx context.Context, out *cli.OutDir, m energy.GradEnergy, pts *data.Points, iters, losses []float64, seed uint64) error {
	if len(losses) > 0 {
		if err := plot.Lines(out.Path("loss.png"), "training loss", "iteration", "loss",
			[]plot.Series{{Name: "loss", X: iters, Y: losses}}, plot.LineOptions{}); err != nil {
			return err
		}
	}
	if pts.Dim != 2 {
		return nil
	}
	energyAt := contourOf(m)
	overlay := pts.Sample
	if overlay.Rows > 1000 {
		overlay = tensor.FromSlice(1000, 2, overlay.Data[:2000])
	}
	if err := plot.Density2D(out.Path("density.png"), "learned density exp(-E)/Z", func(x, y float64) float64 { return -energyAt(x, y) },
		metric.GridLo, metric.GridHi, 200, overlay); err != nil {
		return err
	}
	k, err := sample.NewMALA(m, sample.MALAOptions{Step: 0.01})
	if err != nil {
		return err
	}
	s, err := metric.ModelSamples(ctx, k, sample.AdaptStepSize, 2000, 501, metric.GridLo, metric.GridHi, seed, nil)
	if err != nil {
		return err
	}
	return plot.Scatter2D(out.Path("samples.png"), "model samples (MALA)", s,
		plot.ScatterOptions{XRange: [2]float64{metric.GridLo, metric.GridHi}, YRange: [2]float64{metric.GridLo, metric.GridHi}})
}
