package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ebm-go/ebm/data"
	_ "github.com/ebm-go/ebm/data/parquet" // .parquet input and output
	"github.com/ebm-go/ebm/internal/cli"
	"github.com/ebm-go/ebm/score"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newScoreCmd) }

// scoreOpts are the flags of ebm score.
type scoreOpts struct {
	model, data, labels, out, columns, header, format string
	grad, force, jsonOut, quiet                       bool
	batch                                             int
}

func newScoreCmd() *cobra.Command {
	var o scoreOpts
	c := &cobra.Command{
		Use:   "score --model DIR --data FILE [--labels COL|FILE] [--grad] [--out FILE]",
		Short: "Score every row of a data file with a saved model (energy, score norm, anomaly flag)",
		Long: `Score every row of a data file with any saved model: the energy E(x) (the
free energy for RBMs, the anomaly score for anomaly detectors, -log p for
flows), -log p when the model knows its normalizer, with --grad the score
norm |grad_x E(x)|, and a 0/1 flag for models with an anomaly threshold.
Higher energy = less typical.

Inputs: CSV (plain or gzip; header optional), NumPy .npy (2-D float32/64),
IDX (images flattened and scaled to [0,1]) and Parquet (numeric columns),
chosen by the file name (or --format). The input is streamed in batches, so
memory stays flat however long it is. --out writes one row of scores per
input row as CSV, JSON lines (.jsonl), Parquet or .npy, by its name; the file
appears whole or not at all.

--labels names a 0/1 label column of the input (a name, a 0-based index or
"last"), or a file with one 0/1 label per row; 1 marks the positives (for
example anomalies). ebm score then reports how well the energy ranks the
positives first: AUROC, average precision and the best-F1 threshold.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runScore(cmd, &o) },
	}
	f := c.Flags()
	f.StringVar(&o.model, "model", "", "model folder (any saved kind that is an energy)")
	f.StringVar(&o.data, "data", "", "data file: .csv[.gz], .npy, IDX or .parquet")
	f.StringVar(&o.labels, "labels", "", "0/1 label column of the data (name, index or last) or label file")
	f.StringVar(&o.out, "out", "", "output file for the per-row scores: .csv, .jsonl, .parquet or .npy")
	f.StringVar(&o.columns, "columns", "", "comma-separated feature columns (names or 0-based indices); default all but the label")
	f.StringVar(&o.header, "header", "auto", "CSV header line: auto, yes or no")
	f.StringVar(&o.format, "format", "", "input format (csv, npy, idx, parquet); default from the file name")
	f.BoolVar(&o.grad, "grad", false, "also compute the score norm |grad_x E| (models with a gradient)")
	f.IntVar(&o.batch, "batch", 4096, "rows per batch")
	f.BoolVar(&o.force, "force", false, "replace an existing --out file")
	f.BoolVar(&o.jsonOut, "json", false, "print the report as one JSON object")
	f.BoolVar(&o.quiet, "quiet", false, "no progress lines")
	return c
}

func runScore(cmd *cobra.Command, o *scoreOpts) error {
	if o.model == "" || o.data == "" {
		return cli.Usagef("score: --model and --data are required")
	}
	if o.batch < 1 {
		return cli.Usagef("score: --batch must be ≥ 1, got %d", o.batch)
	}
	opt := data.RowOptions{Format: o.format, BinaryLabels: true}
	switch o.header {
	case "auto":
	case "yes":
		opt.Header = data.HeaderYes
	case "no":
		opt.Header = data.HeaderNo
	default:
		return cli.Usagef("score: --header must be auto, yes or no, got %q", o.header)
	}
	if o.columns != "" {
		opt.Columns = strings.Split(o.columns, ",")
	}
	labelFile := ""
	if o.labels != "" {
		if fi, err := os.Stat(o.labels); err == nil && fi.Mode().IsRegular() {
			labelFile = o.labels
		} else {
			opt.Label = o.labels
		}
	}
	var outFormat string
	if o.out != "" {
		outFormat = data.RowFormat(o.out)
		if outFormat == data.FormatIDX {
			return cli.Usagef("score: --out %s: write .csv, .jsonl, .parquet or .npy", o.out)
		}
		if err := cli.CheckOutFile(o.out, o.force, o.data, labelFile); err != nil {
			return err
		}
	}
	s, _, err := score.Load(o.model, o.grad)
	if err != nil {
		return cli.Input(err)
	}
	in, err := data.OpenRows(o.data, opt)
	if err != nil {
		return cli.Input(err)
	}
	defer in.Close()
	if in.Cols() != s.Dim() {
		return cli.Usagef("score: %s has %d feature columns, the model %s takes %d", o.data, in.Cols(), o.model, s.Dim())
	}
	cfg := score.Config{Batch: o.batch, LabelsName: labelFile}
	if labelFile != "" {
		lr, err := data.OpenRows(labelFile, data.RowOptions{})
		if err != nil {
			return cli.Input(err)
		}
		defer lr.Close()
		cfg.Labels = lr
	}
	if !o.quiet && !o.jsonOut {
		cfg.Progress = progressLines(cmd.ErrOrStderr(), time.Now())
	}
	var out data.RowWriter
	if o.out != "" {
		out, err = data.CreateRows(o.out, outFormat, s.Columns())
		if err != nil {
			return err
		}
		defer out.Abort()
	}
	rep, err := score.Stream(cmd.Context(), s, in, out, cfg)
	if err != nil {
		var we *score.WidthError
		var le *score.LabelError
		var ve *score.ValueError
		var pe *data.ParseError
		switch {
		case errors.As(err, &pe):
			return cli.Input(err)
		case errors.As(err, &ve):
			return cli.Usagef("score: %s: %v", o.data, err)
		case errors.As(err, &we), errors.As(err, &le):
			return cli.Usagef("score: %v", err)
		}
		return err
	}
	if out != nil {
		if err := out.Commit(); err != nil {
			return err
		}
	}
	rep.Model, rep.Data, rep.Out = o.model, o.data, o.out
	if o.jsonOut {
		return cli.WriteJSON(cmd.OutOrStdout(), rep)
	}
	return writeScoreReport(cmd.OutOrStdout(), rep)
}

// progressLines returns a Progress callback that prints a line on w at most
// every 10 s.
func progressLines(w io.Writer, start time.Time) func(int64) {
	last := start
	return func(rows int64) {
		if now := time.Now(); now.Sub(last) >= 10*time.Second {
			last = now
			fmt.Fprintf(w, "ebm: scored %d rows, %.0f rows/s\n", rows, float64(rows)/now.Sub(start).Seconds())
		}
	}
}

// writeScoreReport prints the report as aligned lines.
func writeScoreReport(w io.Writer, r *score.Report) error {
	fmt.Fprintf(w, "model      %s (%s)\n", r.Model, r.Kind)
	fmt.Fprintf(w, "data       %s: %d rows in %.2f s (%.0f rows/s)\n", r.Data, r.Rows, r.Seconds, r.RowsPerSec)
	fmt.Fprintf(w, "energy     mean %.6g, min %.6g, max %.6g\n", r.EnergyMean, r.EnergyMin, r.EnergyMax)
	if r.Flagged != nil {
		fmt.Fprintf(w, "flagged    %d of %d rows\n", *r.Flagged, r.Rows)
	}
	if r.Positives != nil {
		fmt.Fprintf(w, "labels     %d positive, %d negative\n", *r.Positives, *r.Negatives)
		if r.AUROC != nil {
			fmt.Fprintf(w, "AUROC      %.4f\n", *r.AUROC)
			fmt.Fprintf(w, "AP         %.4f\n", *r.AP)
			fmt.Fprintf(w, "best F1    %.4f at energy ≥ %.6g\n", *r.BestF1, *r.BestF1Threshold)
		} else {
			fmt.Fprintln(w, "ranking    not computed: the labels hold only one class")
		}
	}
	if r.Out != "" {
		_, err := fmt.Fprintf(w, "wrote      %s (%s)\n", r.Out, strings.Join(r.Columns, ", "))
		return err
	}
	return nil
}
