package main

import (
	"bytes"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/anomaly"
	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newAnomalyCmd) }

func newAnomalyCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "anomaly",
		Short: "Fit an anomaly detector to a table and score rows with it",
		Long: `Anomaly detection on tables (CSV). "ebm anomaly fit" fits a detector to the
rows of a file: robust standardization (medians, MAD), a robust Ledoit-Wolf
Gaussian and an ensemble of small networks trained by denoising score matching,
each adding at most --bound nats, so that rows far from the data always score
high. "ebm anomaly score" gives every row of a file its anomaly score (higher =
more anomalous) and a flag (score above the saved threshold).`,
	}
	c.AddCommand(newAnomalyFitCmd(), newAnomalyScoreCmd())
	return c
}

func newAnomalyFitCmd() *cobra.Command {
	var dataFile, labelCol, out string
	var force, jsonOut bool
	o := anomaly.DefaultOptions()
	c := &cobra.Command{
		Use:   "fit --data FILE --out DIR",
		Short: "Fit an anomaly detector to the rows of a CSV file",
		Long: `Fit an anomaly detector to the rows of a CSV file (plain or gzip; a header
line is detected) and save it in DIR/model. Fit on all rows, anomalies included
(unsupervised), or on normal rows only (semi-supervised): then say so with
--novelty, and the Gaussian is fitted to every row instead of a robust core.

The threshold that flags rows is the (1 - contamination) quantile of the
training rows' scores with --contamination, else the --quantile of the scores of
--holdout rows kept out of the fit, else the --quantile of the training rows'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dataFile == "" || out == "" {
				return cli.Usagef("anomaly fit: --data and --out are required")
			}
			lc, err := data.ParseLabelColumn(labelCol)
			if err != nil {
				return err
			}
			if o.Members == 0 {
				o.Members = -1
			}
			od, err := cli.NewOutDir(out, force, dataFile)
			if err != nil {
				return err
			}
			defer od.Abort()
			det, rep, err := anomaly.FitFile(cmd.Context(), dataFile, lc, o)
			if err != nil {
				return cli.Input(err)
			}
			if err := det.Save(od.Path("model"), nil); err != nil {
				return err
			}
			var b bytes.Buffer
			if err := cli.WriteJSON(&b, rep); err != nil {
				return err
			}
			if err := cli.WriteFileAtomic(od.Path("fit.json"), b.Bytes()); err != nil {
				return err
			}
			if err := od.Commit(); err != nil {
				return err
			}
			if jsonOut {
				return cli.WriteJSON(cmd.OutOrStdout(), rep)
			}
			if err := rep.WriteText(cmd.OutOrStdout()); err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "saved %s/model\n", out)
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&dataFile, "data", "", "CSV file of rows to fit")
	f.StringVar(&labelCol, "label-column", "", `column to leave out ("last" or a 0-based index)`)
	f.StringVar(&out, "out", "", "output folder (the detector goes in OUT/model)")
	f.BoolVar(&force, "force", false, "replace an earlier ebm output folder")
	f.BoolVar(&jsonOut, "json", false, "print the fit report as JSON")
	f.Float64Var(&o.Contamination, "contamination", 0, "expected fraction of anomalies in the rows (0: use --quantile)")
	f.Float64Var(&o.HoldOut, "holdout", 0, "fraction of rows held out to place the threshold")
	f.Float64Var(&o.Quantile, "quantile", o.Quantile, "quantile of normal scores at which the threshold sits")
	f.IntVar(&o.Members, "members", o.Members, "networks in the ensemble (0: a robust Gaussian alone)")
	f.IntVar(&o.Iters, "iters", o.Iters, "training iterations per network")
	f.Float64Var(&o.Sigma, "sigma", o.Sigma, "denoising noise level (whitened units)")
	f.Float64Var(&o.Bound, "bound", o.Bound, "largest correction of a network (nats)")
	f.BoolVar(&o.Novelty, "novelty", false, "the rows are all inliers (semi-supervised): fit the Gaussian to every row, no trimming or reweighting")
	f.Float64Var(&o.Trim, "trim", o.Trim, "fraction trimmed by the robust covariance's C-steps (0: keep ⌈(n+d+1)/2⌉ rows, scikit-learn's MinCovDet rule; -1: none)")
	f.Float64Var(&o.Reweight, "reweight", o.Reweight, "χ² quantile within which rows are taken back after the robust fit (-1: none)")
	f.IntVar(&o.Elemental, "elemental", o.Elemental, "elemental (d+1-row) starts of the robust covariance's C-steps (-1: none)")
	f.Uint64Var(&o.Seed, "seed", 0, "random seed")
	return c
}

func newAnomalyScoreCmd() *cobra.Command {
	var modelDir, dataFile, labels, labelCol, out, format string
	var force, norms bool
	c := &cobra.Command{
		Use:   "score --model DIR --data FILE",
		Short: "Score the rows of a CSV file with a fitted detector",
		Long: `Score every row of a CSV file with a detector from "ebm anomaly fit": one line
per row with its anomaly score (higher = more anomalous) and flag (1 if the
score is above the detector's threshold), as CSV or JSON lines, on stdout or
into --out (written whole or not at all). --label-column COL leaves a column
out; with --labels COL instead, that column holds
0 (normal) or 1 (anomaly), is left out of the features, and the AUROC of the
scores is printed on stderr. This command holds the file in memory; for files
of any size, "ebm score --model DIR" streams the same scores and flags (CSV,
.npy, IDX or Parquet in and out) in bounded memory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if modelDir == "" || dataFile == "" {
				return cli.Usagef("anomaly score: --model and --data are required")
			}
			if format != "csv" && format != "jsonl" {
				return cli.Usagef("anomaly score: --format %q: want csv or jsonl", format)
			}
			if labels != "" && labelCol != "" {
				return cli.Usagef("anomaly score: give --labels or --label-column, not both")
			}
			lc, err := data.ParseLabelColumn(labels + labelCol)
			if err != nil {
				return err
			}
			if out != "" {
				if err := cli.CheckOutFile(out, force, dataFile); err != nil {
					return err
				}
			}
			det, _, err := anomaly.LoadDir(modelDir)
			if err != nil {
				return cli.Input(err)
			}
			s, err := anomaly.ScoreFile(det, dataFile, lc, labels != "", norms)
			if err != nil {
				return cli.Input(err)
			}
			var b bytes.Buffer
			if format == "csv" {
				err = s.WriteCSV(&b)
			} else {
				err = s.WriteJSONL(&b)
			}
			if err != nil {
				return err
			}
			if out != "" {
				err = cli.WriteFileAtomic(out, b.Bytes())
			} else {
				_, err = cmd.OutOrStdout().Write(b.Bytes())
			}
			if err != nil {
				return err
			}
			msg := fmt.Sprintf("ebm: scored %d rows: %d flagged (threshold %.4g)", len(s.Score), s.Flagged(), s.Threshold)
			if s.Labels != nil {
				if math.IsNaN(s.AUROC) {
					msg += "; AUROC undefined (the labels hold one class only)"
				} else {
					msg += fmt.Sprintf("; AUROC %.4f", s.AUROC)
				}
			}
			fmt.Fprintln(cmd.ErrOrStderr(), msg)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&modelDir, "model", "", "detector folder written by ebm anomaly fit")
	f.StringVar(&dataFile, "data", "", "CSV file of rows to score")
	f.StringVar(&labels, "labels", "", `label column, 1 = anomaly, 0 = normal ("last" or a 0-based index); reports AUROC`)
	f.StringVar(&labelCol, "label-column", "", `column to leave out, not a label ("last" or a 0-based index)`)
	f.StringVar(&out, "out", "", "output file (default: stdout)")
	f.StringVar(&format, "format", "csv", "output format: csv or jsonl")
	f.BoolVar(&force, "force", false, "replace an existing output file")
	f.BoolVar(&norms, "norm", false, "add the score norm ‖∇ₓE‖ of every row")
	return c
}
