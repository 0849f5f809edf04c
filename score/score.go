// Package score scores rows with any saved model: per-row energy, optionally
// the score norm, and an anomaly flag for models that have a threshold.
//
// Z cancels in every comparison, so an energy alone ranks points by how
// typical they are: with p(x) ∝ exp(−E(x)), a higher energy is a less likely
// point. For each row x the package reports
//
//   - energy: E(x) as the model defines it (the free energy F(v) for RBMs;
//     the anomaly score for anomaly detectors; −log p(x) for flows);
//   - neg_log_p: E(x) + log Z, when the model knows its normalizer
//     (energy.Normalized), so exp(−neg_log_p) is the density;
//   - score_norm: ‖∇ₓE(x)‖₂ = ‖∇ₓ log p(x)‖₂, when asked and the model has a
//     gradient in x (energy.GradEnergy): large far from the modes;
//   - flag: 1 when the model is a [Flagger] and E(x) > Threshold(), else 0.
//
// [Stream] reads a [data.RowReader] batch by batch, scores and writes each
// batch to a [data.RowWriter] before reading the next, so memory is bounded
// by the batch size however long the input; the output file appears whole or
// not at all. With labels (1 = positive, for example an anomaly or an
// out-of-distribution row; 0 = negative) it also reports how well the energy
// ranks the positives above the negatives: AUROC, average precision and the
// threshold of best F1 (package metric). Keeping the energies for these
// costs 8 bytes per row (metric.RankInPlace sorts them in place).
package score

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/tensor"
)

// Flagger is implemented by models that decide which rows are anomalies:
// rows whose energy (anomaly score) is above Threshold() are flagged.
type Flagger interface {
	Threshold() float64
}

// Scorer scores batches of rows with one model. Its methods are safe for
// concurrent use when the model's Energy and EnergyGrad are (every energy of
// package energy is; package serve keeps one Scorer per worker otherwise).
type Scorer struct {
	// E is the model's energy.
	E energy.Energy
	// G is E's gradient, or nil when score norms are not computed.
	G energy.GradEnergy
	// Flag is E as a Flagger, or nil.
	Flag Flagger
	// Norm is E as energy.Normalized, or nil.
	Norm energy.Normalized
	// Kind is the model's kind (from its model.json), for reports.
	Kind string
}

// New returns a Scorer of e; with grad the Scorer computes score norms and e
// must be an energy.GradEnergy.
func New(e energy.Energy, grad bool) (*Scorer, error) {
	if e == nil {
		return nil, errors.New("score: nil energy")
	}
	s := &Scorer{E: e}
	if grad {
		g, ok := e.(energy.GradEnergy)
		if !ok {
			return nil, errors.New("score: the model has no gradient in x, so no score norm")
		}
		s.G = g
	}
	s.Flag, _ = e.(Flagger)
	s.Norm, _ = e.(energy.Normalized)
	return s, nil
}

// Load reads the saved model in dir (any registered kind that is an energy;
// see energy.LoadEnergy) as a Scorer; with grad the model must also have a
// gradient in x (energy.LoadGrad). A model that is not an energy gives an
// *energy.KindError.
func Load(dir string, grad bool) (*Scorer, *model.Meta, error) {
	var e energy.Energy
	var meta *model.Meta
	var err error
	if grad {
		e, meta, err = energy.LoadGrad(dir)
	} else {
		e, meta, err = energy.LoadEnergy(dir)
	}
	if err != nil {
		return nil, nil, err
	}
	s, err := New(e, grad)
	if err != nil {
		return nil, nil, err
	}
	s.Kind = meta.Kind
	return s, meta, nil
}

// Dim returns the number of values per row the model takes.
func (s *Scorer) Dim() int { return s.E.Dim() }

// Columns returns the names of the output columns, in the order of
// [Scores.Row]: "energy", then "neg_log_p", "score_norm" and "flag" when
// they apply.
func (s *Scorer) Columns() []string {
	c := []string{"energy"}
	if s.Norm != nil {
		c = append(c, "neg_log_p")
	}
	if s.G != nil {
		c = append(c, "score_norm")
	}
	if s.Flag != nil {
		c = append(c, "flag")
	}
	return c
}

// Scores holds the scores of a batch, one entry per row; fields that do not
// apply are nil.
type Scores struct {
	Energy    []float64
	NegLogP   []float64
	ScoreNorm []float64
	Flag      []bool
	grad      *tensor.Dense[float64]
}

// WidthError reports rows of the wrong width for the model.
type WidthError struct {
	Got, Want int
}

func (e *WidthError) Error() string {
	return fmt.Sprintf("rows of %d values, the model takes %d", e.Got, e.Want)
}

// ValueError reports a value that is not a finite number.
type ValueError struct {
	Row, Col int // 0-based
	V        float64
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("row %d, column %d: %v is not finite", e.Row+1, e.Col+1, e.V)
}

// Score scores the rows of x into dst (its slices reused when long enough).
// Rows of the wrong width give a *WidthError and non-finite values a
// *ValueError; a panic of the model is returned as an error.
func (s *Scorer) Score(x *tensor.Dense[float64], dst *Scores) (err error) {
	d := s.E.Dim()
	if x.Cols != d {
		return &WidthError{Got: x.Cols, Want: d}
	}
	for k, v := range x.Data[:x.Rows*d] {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &ValueError{Row: k / d, Col: k % d, V: v}
		}
	}
	n := x.Rows
	dst.Energy = grow(dst.Energy, n)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("score: the model failed on a batch of %d rows: %v", n, r)
		}
	}()
	if s.G != nil {
		if dst.grad == nil || len(dst.grad.Data) < n*d {
			dst.grad = tensor.New[float64](n, d)
		}
		g := tensor.FromSlice(n, d, dst.grad.Data[:n*d])
		s.G.EnergyGrad(x, dst.Energy, g)
		dst.ScoreNorm = grow(dst.ScoreNorm, n)
		for i := range n {
			ss := 0.0
			for _, v := range g.Data[i*d : (i+1)*d] {
				ss += v * v
			}
			dst.ScoreNorm[i] = math.Sqrt(ss)
		}
	} else {
		s.E.Energy(x, dst.Energy)
		dst.ScoreNorm = nil
	}
	dst.NegLogP = nil
	if s.Norm != nil {
		lz := s.Norm.LogZ()
		dst.NegLogP = grow(dst.NegLogP, n)
		for i, e := range dst.Energy {
			dst.NegLogP[i] = e + lz
		}
	}
	dst.Flag = nil
	if s.Flag != nil {
		t := s.Flag.Threshold()
		dst.Flag = make([]bool, n)
		for i, e := range dst.Energy {
			dst.Flag[i] = e > t
		}
	}
	return nil
}

func grow(b []float64, n int) []float64 {
	if cap(b) < n {
		return make([]float64, n)
	}
	return b[:n]
}

// table writes the scores of the batch as rows of the Columns into t.
func (sc *Scores) table(t *tensor.Dense[float64], cols int) *tensor.Dense[float64] {
	n := len(sc.Energy)
	if t == nil || len(t.Data) < n*cols {
		t = tensor.New[float64](n, cols)
	}
	t = tensor.FromSlice(n, cols, t.Data[:n*cols])
	for i := range n {
		row := t.Data[i*cols : (i+1)*cols]
		k := 0
		row[k] = sc.Energy[i]
		k++
		if sc.NegLogP != nil {
			row[k] = sc.NegLogP[i]
			k++
		}
		if sc.ScoreNorm != nil {
			row[k] = sc.ScoreNorm[i]
			k++
		}
		if sc.Flag != nil {
			row[k] = 0
			if sc.Flag[i] {
				row[k] = 1
			}
		}
	}
	return t
}

// Config controls [Stream].
type Config struct {
	// Batch is the number of rows read and scored at a time (default 4096).
	Batch int
	// Labels, when not nil, yields one 0/1 label per input row (a second file
	// of one column); the labels of an input with its own label column
	// (data.RowOptions.Label) are used otherwise.
	Labels data.RowReader
	// LabelsName names the label source in errors (default "labels").
	LabelsName string
	// Progress, when not nil, is called after every batch with the number of
	// rows scored so far.
	Progress func(rows int64)
}

func (c *Config) labelsName() string {
	if c.LabelsName != "" {
		return c.LabelsName
	}
	return "labels"
}

// Report summarizes a [Stream] run. The ranking figures are present when
// labels were given and both classes occur.
type Report struct {
	Model      string   `json:"model,omitempty"`
	Kind       string   `json:"kind,omitempty"`
	Data       string   `json:"data,omitempty"`
	Out        string   `json:"out,omitempty"`
	Columns    []string `json:"columns"`
	Rows       int64    `json:"rows"`
	Seconds    float64  `json:"seconds"`
	RowsPerSec float64  `json:"rows_per_sec"`
	// Energy summary over all rows.
	EnergyMean float64 `json:"energy_mean"`
	EnergyMin  float64 `json:"energy_min"`
	EnergyMax  float64 `json:"energy_max"`
	Flagged    *int64  `json:"flagged,omitempty"`
	// Ranking of the positives (label 1) by energy, higher = more positive.
	Positives       *int64   `json:"positives,omitempty"`
	Negatives       *int64   `json:"negatives,omitempty"`
	AUROC           *float64 `json:"auroc,omitempty"`
	AP              *float64 `json:"average_precision,omitempty"`
	BestF1          *float64 `json:"best_f1,omitempty"`
	BestF1Threshold *float64 `json:"best_f1_threshold,omitempty"`
}

// LabelError reports a label that is not 0 or 1, or labels that do not match
// the rows.
type LabelError struct {
	File string
	Msg  string
}

func (e *LabelError) Error() string { return e.File + ": " + e.Msg }

// Stream scores every row of in with s, writing the Columns of each batch to
// out (nil for no output file; out is not committed here: the caller commits
// it when Stream succeeds, or aborts it). It stops at the first problem in
// the input (returned as the reader's *data.ParseError, a *WidthError, or a
// *LabelError) and when ctx is cancelled (ctx.Err()).
func Stream(ctx context.Context, s *Scorer, in data.RowReader, out data.RowWriter, cfg Config) (*Report, error) {
	if in.Cols() != s.Dim() {
		return nil, &WidthError{Got: in.Cols(), Want: s.Dim()}
	}
	bs := cfg.Batch
	if bs <= 0 {
		bs = 4096
	}
	useLabels := cfg.Labels != nil || in.HasLabels()
	if cfg.Labels != nil && cfg.Labels.Cols() != 1 {
		return nil, &LabelError{File: cfg.labelsName(), Msg: fmt.Sprintf("a label file has one column, this one has %d", cfg.Labels.Cols())}
	}
	rep := &Report{Kind: s.Kind, Columns: s.Columns(), EnergyMin: math.Inf(1), EnergyMax: math.Inf(-1)}
	var (
		sc       Scores
		tab      *tensor.Dense[float64]
		pos, neg []float64
		sum      float64
		flagged  int64
		labelBuf []float64
	)
	start := time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := in.Next(bs)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := s.Score(b.X, &sc); err != nil {
			var ve *ValueError
			if errors.As(err, &ve) {
				ve.Row += int(b.First)
			}
			return nil, err
		}
		if useLabels {
			labels := b.Labels
			if cfg.Labels != nil {
				labelBuf, err = readLabels(cfg.Labels, cfg.labelsName(), b.X.Rows, b.First, labelBuf)
				if err != nil {
					return nil, err
				}
				labels = labelBuf
			}
			for i, y := range labels {
				switch y {
				case 1:
					pos = append(pos, sc.Energy[i])
				case 0:
					neg = append(neg, sc.Energy[i])
				default:
					return nil, &LabelError{File: cfg.labelsName(), Msg: fmt.Sprintf("row %d: label %v is not 0 or 1", b.First+int64(i)+1, y)}
				}
			}
		}
		for i, e := range sc.Energy {
			sum += e
			rep.EnergyMin = min(rep.EnergyMin, e)
			rep.EnergyMax = max(rep.EnergyMax, e)
			if sc.Flag != nil && sc.Flag[i] {
				flagged++
			}
		}
		if out != nil {
			tab = sc.table(tab, len(rep.Columns))
			if err := out.Write(tab); err != nil {
				return nil, err
			}
		}
		rep.Rows += int64(b.X.Rows)
		if cfg.Progress != nil {
			cfg.Progress(rep.Rows)
		}
	}
	if rep.Rows == 0 {
		return nil, errors.New("no rows to score")
	}
	if cfg.Labels != nil {
		if b, err := cfg.Labels.Next(1); err == nil {
			return nil, &LabelError{File: cfg.labelsName(), Msg: fmt.Sprintf("more labels than the %d data rows (row %d has one)", rep.Rows, b.First+1)}
		} else if err != io.EOF {
			return nil, err
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	if rep.Seconds > 0 {
		rep.RowsPerSec = float64(rep.Rows) / rep.Seconds
	}
	rep.EnergyMean = sum / float64(rep.Rows)
	if s.Flag != nil {
		rep.Flagged = &flagged
	}
	if useLabels {
		np, nn := int64(len(pos)), int64(len(neg))
		rep.Positives, rep.Negatives = &np, &nn
		if np > 0 && nn > 0 {
			r := metric.RankInPlace(pos, neg)
			rep.AUROC, rep.AP, rep.BestF1, rep.BestF1Threshold = &r.AUROC, &r.AP, &r.BestF1, &r.BestF1Threshold
		}
	}
	return rep, nil
}

// readLabels reads exactly n labels (rows first+1 … first+n of the data) from
// r into buf.
func readLabels(r data.RowReader, name string, n int, first int64, buf []float64) ([]float64, error) {
	buf = buf[:0]
	for len(buf) < n {
		b, err := r.Next(n - len(buf))
		if err == io.EOF {
			return nil, &LabelError{File: name, Msg: fmt.Sprintf("fewer labels than data rows: the labels end before data row %d", first+int64(len(buf))+1)}
		}
		if err != nil {
			return nil, err
		}
		buf = append(buf, b.X.Data[:b.X.Rows]...)
	}
	return buf, nil
}
