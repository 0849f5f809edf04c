package anomaly

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/model"
)

// FitReport summarizes a fit (what ebm anomaly fit prints).
type FitReport struct {
	Data      string         `json:"data"`
	Rows      int            `json:"rows"`
	Columns   int            `json:"columns"`
	Members   int            `json:"members"`
	Shrinkage float64        `json:"shrinkage"`
	Rules     map[string]int `json:"scale_rules"`
	Threshold float64        `json:"threshold"`
	Flagged   int            `json:"flagged_training_rows"`
	Seconds   float64        `json:"seconds"`
}

// FitFile reads the CSV file path (label column labelCol, as
// data.CSVOptions.LabelColumn, left out of the features), fits a detector to
// its rows and reports on the fit. File problems are *data.ParseError
// values naming the file, line and column.
func FitFile(ctx context.Context, path string, labelCol int, opt Options) (*Detector, *FitReport, error) {
	ds, err := data.LoadCSV(path, data.CSVOptions{LabelColumn: labelCol})
	if err != nil {
		return nil, nil, err
	}
	if ds.X.Rows < 2 {
		return nil, nil, &data.ParseError{File: path, Msg: fmt.Sprintf("need at least 2 data rows to fit, got %d", ds.X.Rows)}
	}
	t0 := time.Now()
	det, err := Fit(ctx, ds.X, opt)
	if err != nil {
		return nil, nil, err
	}
	r := &FitReport{Data: path, Rows: ds.X.Rows, Columns: ds.X.Cols, Members: det.Members(),
		Shrinkage: det.Shrinkage(), Rules: map[string]int{}, Threshold: det.Threshold(),
		Seconds: time.Since(t0).Seconds()}
	for _, rl := range det.Rules {
		r.Rules[rl]++
	}
	for _, s := range det.AnomalyScore(ds.X, nil) {
		if s > det.Threshold() {
			r.Flagged++
		}
	}
	return det, r, nil
}

// WriteText prints the report for people.
func (r *FitReport) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "fitted %d rows × %d columns of %s in %.2fs: %d networks, covariance shrinkage %.3g\n"+
		"column scales: %d MAD, %d IQR, %d standard deviation, %d constant\n"+
		"threshold %.4g: %d training rows (%.1f%%) above it\n",
		r.Rows, r.Columns, r.Data, r.Seconds, r.Members, r.Shrinkage,
		r.Rules[RuleMAD], r.Rules[RuleIQR], r.Rules[RuleStd], r.Rules[RuleConstant],
		r.Threshold, r.Flagged, 100*float64(r.Flagged)/float64(r.Rows))
	return err
}

// LoadDir is Load that also accepts the output folder of ebm anomaly fit,
// which holds the detector in model/.
func LoadDir(dir string) (*Detector, *model.Meta, error) {
	if _, err := os.Stat(filepath.Join(dir, model.MetaFile)); err != nil {
		if _, err2 := os.Stat(filepath.Join(dir, "model", model.MetaFile)); err2 == nil {
			dir = filepath.Join(dir, "model")
		}
	}
	return Load(dir)
}

// Scores are the per-row results of scoring a file.
type Scores struct {
	Source string
	Score  []float64 // anomaly score E(x), higher = more anomalous
	Flag   []bool    // Score > Threshold
	Norm   []float64 // ‖∇ₓE‖, if asked for
	Labels []int     // 1 = anomaly, 0 = normal, if given
	// AUROC of Score against Labels (NaN without labels or with one class).
	AUROC     float64
	Threshold float64
}

// ScoreFile reads the CSV file path and scores its rows with det, leaving
// out the column labelCol (as data.CSVOptions.LabelColumn). With labels, that
// column holds labels that must be 0 (normal) or 1 (anomaly) and the AUROC is
// computed; with norms, the score norm ‖∇ₓE‖ of every row too. Wrong width and non-binary labels are
// *data.ParseError values naming the file and line; NaN, Inf and empty files
// are refused by the CSV reader the same way.
func ScoreFile(det *Detector, path string, labelCol int, labels, norms bool) (*Scores, error) {
	ds, err := data.LoadCSV(path, data.CSVOptions{LabelColumn: labelCol})
	if err != nil {
		return nil, err
	}
	hdr := 0
	if ds.Names != nil {
		hdr = 1
	}
	if ds.X.Cols != det.Dim() {
		return nil, &data.ParseError{File: path, Line: recordLine(path, hdr),
			Msg: fmt.Sprintf("%d feature columns, the detector was fitted on %d", ds.X.Cols, det.Dim())}
	}
	if !labels {
		ds.Labels = nil
	}
	for i, l := range ds.Labels {
		if l != 0 && l != 1 {
			return nil, &data.ParseError{File: path, Line: recordLine(path, hdr+i),
				Msg: fmt.Sprintf("label %d is not 0 (normal) or 1 (anomaly)", l)}
		}
	}
	s := &Scores{Source: path, Labels: ds.Labels, AUROC: math.NaN(), Threshold: det.Threshold()}
	s.Score, err = det.Score(ds.X)
	if err != nil {
		return nil, err
	}
	if norms {
		if s.Norm, err = det.ScoreNorms(ds.X); err != nil {
			return nil, err
		}
	}
	s.Flag = make([]bool, len(s.Score))
	var pos, neg []float64
	for i, v := range s.Score {
		s.Flag[i] = v > det.Threshold()
		if s.Labels != nil {
			if s.Labels[i] == 1 {
				pos = append(pos, v)
			} else {
				neg = append(neg, v)
			}
		}
	}
	if len(pos) > 0 && len(neg) > 0 {
		s.AUROC = metric.AUROC(pos, neg)
	}
	return s, nil
}

// recordLine returns the 1-based line of CSV record k (0-based, the header
// counting as a record) of the file, plain or gzip-compressed; 0 if unknown.
func recordLine(path string, k int) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if m, _ := br.Peek(2); len(m) == 2 && m[0] == 0x1f && m[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return 0
		}
		r = zr
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	for i := 0; ; i++ {
		if _, err := cr.Read(); err != nil {
			return 0
		}
		if i == k {
			line, _ := cr.FieldPos(0)
			return line
		}
	}
}

// Flagged returns the number of flagged rows.
func (s *Scores) Flagged() int {
	n := 0
	for _, f := range s.Flag {
		if f {
			n++
		}
	}
	return n
}

// WriteCSV writes one line per row: row (1-based), score, flag (0/1), and
// score_norm and label when present, after a header line.
func (s *Scores) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("row,score,flag")
	if s.Norm != nil {
		bw.WriteString(",score_norm")
	}
	if s.Labels != nil {
		bw.WriteString(",label")
	}
	bw.WriteByte('\n')
	var buf []byte
	for i, v := range s.Score {
		buf = strconv.AppendInt(buf[:0], int64(i+1), 10)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
		buf = append(buf, ',', '0')
		if s.Flag[i] {
			buf[len(buf)-1] = '1'
		}
		if s.Norm != nil {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, s.Norm[i], 'g', -1, 64)
		}
		if s.Labels != nil {
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, int64(s.Labels[i]), 10)
		}
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	return bw.Flush()
}

// WriteJSONL writes one JSON object per row: {"row", "score", "flag"} and
// "score_norm" and "label" when present.
func (s *Scores) WriteJSONL(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	type rec struct {
		Row   int      `json:"row"`
		Score float64  `json:"score"`
		Flag  bool     `json:"flag"`
		Norm  *float64 `json:"score_norm,omitempty"`
		Label *int     `json:"label,omitempty"`
	}
	for i, v := range s.Score {
		r := rec{Row: i + 1, Score: v, Flag: s.Flag[i]}
		if s.Norm != nil {
			r.Norm = &s.Norm[i]
		}
		if s.Labels != nil {
			r.Label = &s.Labels[i]
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return bw.Flush()
}
