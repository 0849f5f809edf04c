package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/tensor"
)

// Batch is a block of rows read by a [RowReader]: X holds the feature values,
// one row per example; Labels holds the value of the label column of each row
// (nil when the reader has no label column). First is the 0-based index of the
// batch's first row in the whole input, so an error or a result can name it.
//
// A RowReader reuses the memory of its Batch from one call of Next to the
// next: copy what must outlive the call.
type Batch struct {
	X      *tensor.Dense[float64]
	Labels []float64
	First  int64
}

// RowReader streams the rows of a data file in batches, so that memory stays
// bounded by the batch size however long the input is.
type RowReader interface {
	// Cols returns the number of feature columns of every row.
	Cols() int
	// Names returns the names of the feature columns, or nil when the input
	// has none.
	Names() []string
	// HasLabels reports whether the reader yields a label column.
	HasLabels() bool
	// Next returns the next batch of at most n ≥ 1 rows, and io.EOF (with a
	// nil batch) once every row has been returned. Problems in the input are
	// returned as [*ParseError]s that name the file and the line (CSV) or row.
	Next(n int) (*Batch, error)
	// Close releases the file.
	Close() error
}

// Row formats accepted by [OpenRows] and [CreateRows].
const (
	FormatCSV     = "csv"
	FormatNPY     = "npy"
	FormatIDX     = "idx"
	FormatParquet = "parquet"
	FormatJSONL   = "jsonl"
)

// RowOptions controls [OpenRows].
type RowOptions struct {
	// Format is one of FormatCSV, FormatNPY, FormatIDX or FormatParquet;
	// empty means "from the file name" (see [RowFormat]).
	Format string
	// Header says whether the first line of a CSV file holds column names.
	Header HeaderMode
	// Columns selects the feature columns, in the order given: each entry is
	// a column name (CSV with a header, Parquet) or a 0-based column index.
	// Empty selects every column except the label column. NumPy and IDX
	// inputs take no selection.
	Columns []string
	// Label names the label column (a name, a 0-based index, or "last"),
	// read as a number per row into Batch.Labels; empty for none. CSV and
	// Parquet only.
	Label string
	// BinaryLabels requires every label to be 0 or 1: anything else is a
	// *ParseError naming the file and the line (CSV) or row (Parquet).
	BinaryLabels bool
}

// RowFormat returns the row format that the name of path implies: ".csv",
// ".csv.gz", ".tsv"-less plain text and anything unknown are CSV; ".npy" is
// NumPy; ".idx", "-ubyte" and "-ubyte.gz" (MNIST's names) are IDX; ".parquet"
// and ".pq" are Parquet; ".jsonl" and ".ndjson" are JSON lines (output only);
// the endings of formats added by [RegisterRowFormat] give those formats.
func RowFormat(path string) string {
	p := baseLower(path)
	switch {
	case strings.HasSuffix(p, ".npy"):
		return FormatNPY
	case strings.HasSuffix(p, ".idx"), strings.HasSuffix(p, "-ubyte"), strings.Contains(p, ".idx"):
		return FormatIDX
	case strings.HasSuffix(p, ".parquet"), strings.HasSuffix(p, ".pq"):
		return FormatParquet
	case strings.HasSuffix(p, ".jsonl"), strings.HasSuffix(p, ".ndjson"):
		return FormatJSONL
	}
	if f := registeredFormat(p); f != "" {
		return f
	}
	return FormatCSV
}

// OpenRows opens the data file at path for streaming; see [RowOptions]. The
// first row (CSV) or the header (other formats) is read and checked here, so
// a file that cannot be read fails at once with a [*ParseError] naming it.
//
// Every value must be finite: NaN and ±Inf are errors that name the file and
// the line (CSV) or the row and column (other formats), as are rows of the
// wrong width and an input without rows. IDX images are flattened in row-major
// pixel order and scaled to [0, 1] by v/255 (as [LoadMNISTImages]); a 1-D IDX
// file (labels) gives one column of raw byte values. NumPy arrays must be
// 1-D (one column) or 2-D, float32 or float64 (either byte order), in C order.
//
// Parquet is read by package [github.com/ebm-go/ebm/data/parquet], which
// registers itself here when imported; without it a Parquet input is an error
// that says so.
func OpenRows(path string, opt RowOptions) (RowReader, error) {
	format := opt.Format
	if format == "" {
		format = RowFormat(path)
	}
	switch format {
	case FormatCSV:
		return openCSVRows(path, opt)
	case FormatNPY, FormatIDX:
		if len(opt.Columns) > 0 || opt.Label != "" {
			return nil, &ParseError{File: path, Msg: fmt.Sprintf("%s input takes no column or label selection", format)}
		}
		if format == FormatNPY {
			return openNPYRows(path)
		}
		return openIDXRows(path)
	}
	f, err := lookupRowFormat(format)
	if err != nil {
		return nil, &ParseError{File: path, Msg: fmt.Sprintf("input format %q: %v", format, err)}
	}
	return f.open(path, opt)
}

// SelectColumns resolves the columns that opt selects in an input with ncol
// columns named names (nil when the input has no names), for the readers of
// formats added by [RegisterRowFormat]: feat are the feature columns in the
// order of opt.Columns (every column but the label when empty), label is the
// label column or −1. References are names, 0-based indices or "last".
func SelectColumns(opt RowOptions, names []string, ncol int) (feat []int, label int, err error) {
	return selectColumns(opt, names, ncol)
}

// resolveColumn maps a column reference (a name in names, a 0-based index,
// or "last") to an index in [0, ncol).
func resolveColumn(ref string, names []string, ncol int) (int, error) {
	ref = strings.TrimSpace(ref)
	if ref == "last" {
		return ncol - 1, nil
	}
	for j, n := range names {
		if n == ref {
			return j, nil
		}
	}
	if k, err := strconv.Atoi(ref); err == nil {
		if k < 0 || k >= ncol {
			return 0, fmt.Errorf("column %d out of range: the input has %d columns (0-based indices)", k, ncol)
		}
		return k, nil
	}
	if names == nil {
		return 0, fmt.Errorf("column %q: the input has no column names; give a 0-based index", ref)
	}
	return 0, fmt.Errorf("no column named %q (columns: %s)", ref, strings.Join(names, ", "))
}

// selectColumns resolves the feature and label columns of an input with ncol
// columns and the given names (nil when none): the features are opt.Columns
// in order, or every column but the label; label is −1 when none.
func selectColumns(opt RowOptions, names []string, ncol int) (feat []int, label int, err error) {
	label = -1
	if opt.Label != "" {
		if label, err = resolveColumn(opt.Label, names, ncol); err != nil {
			return nil, 0, fmt.Errorf("label: %w", err)
		}
	}
	if len(opt.Columns) == 0 {
		for j := range ncol {
			if j != label {
				feat = append(feat, j)
			}
		}
	} else {
		seen := map[int]bool{}
		for _, c := range opt.Columns {
			j, err := resolveColumn(c, names, ncol)
			if err != nil {
				return nil, 0, err
			}
			if j == label {
				return nil, 0, fmt.Errorf("column %q is also the label column", c)
			}
			if seen[j] {
				return nil, 0, fmt.Errorf("column %q selected twice", c)
			}
			seen[j] = true
			feat = append(feat, j)
		}
	}
	if len(feat) == 0 {
		return nil, 0, errors.New("no feature columns")
	}
	return feat, label, nil
}

// batchBuf holds the reusable memory of a reader's batches.
type batchBuf struct {
	b      Batch
	vals   []float64
	labels []float64
}

// reset prepares an empty batch with room for n rows of d columns.
func (bb *batchBuf) reset(n, d int, first int64) {
	if cap(bb.vals) < n*d {
		bb.vals = make([]float64, 0, n*d)
	}
	bb.vals = bb.vals[:0]
	bb.labels = bb.labels[:0]
	bb.b.First = first
}

// finish wraps the filled buffers as the batch.
func (bb *batchBuf) finish(d int, labels bool) *Batch {
	rows := len(bb.vals) / d
	if bb.b.X == nil {
		bb.b.X = &tensor.Dense[float64]{}
	}
	*bb.b.X = *tensor.FromSlice(rows, d, bb.vals)
	bb.b.Labels = nil
	if labels {
		bb.b.Labels = bb.labels
	}
	return &bb.b
}

// csvRows streams a CSV file.
type csvRows struct {
	name    string
	f       *os.File
	cr      *csv.Reader
	names   []string
	ncol    int
	feat    []int
	label   int
	binary  bool
	first   []string // the first data row, read by the constructor, or nil
	line1   int      // its line
	rows    int64
	firstLn int
	buf     batchBuf
	done    bool
}

func openCSVRows(path string, opt RowOptions) (*csvRows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := newCSVRows(f, path, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.f = f
	return r, nil
}

// NewCSVRows streams numeric CSV from r (plain or gzip-compressed, as
// [ReadCSV] accepts it); name identifies the input in errors. See
// [OpenRows] for the options and rules.
func NewCSVRows(r io.Reader, name string, opt RowOptions) (RowReader, error) {
	return newCSVRows(r, name, opt)
}

func newCSVRows(r io.Reader, name string, opt RowOptions) (*csvRows, error) {
	if name == "" {
		name = "<input>"
	}
	if opt.Header < HeaderAuto || opt.Header > HeaderNo {
		return nil, &ParseError{File: name, Msg: fmt.Sprintf("invalid header mode %d", opt.Header)}
	}
	src, err := decompress(r)
	if err != nil {
		return nil, &ParseError{File: name, Msg: err.Error(), Err: err}
	}
	cr := csv.NewReader(src)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	c := &csvRows{name: name, cr: cr, label: -1, binary: opt.BinaryLabels}
	rec, line, err := c.read()
	if err == io.EOF {
		return nil, &ParseError{File: name, Msg: "empty file: no data rows"}
	}
	if err != nil {
		return nil, err
	}
	c.ncol, c.firstLn = len(rec), line
	if opt.Header == HeaderYes || (opt.Header == HeaderAuto && !allNumeric(rec)) {
		c.names = make([]string, len(rec))
		for j, f := range rec {
			c.names[j] = strings.TrimSpace(f)
		}
	} else {
		c.first = append([]string(nil), rec...)
		c.line1 = line
	}
	c.feat, c.label, err = selectColumns(opt, c.names, c.ncol)
	if err != nil {
		return nil, &ParseError{File: name, Line: line, Msg: err.Error()}
	}
	if c.first == nil {
		// A header: the data must have at least one row.
		rec, line, err := c.read()
		if err == io.EOF {
			return nil, &ParseError{File: name, Msg: "no data rows after the header"}
		}
		if err != nil {
			return nil, err
		}
		c.first, c.line1 = append([]string(nil), rec...), line
	}
	return c, nil
}

// read returns the next record and its line, with CSV syntax errors as
// *ParseError.
func (c *csvRows) read() ([]string, int, error) {
	rec, err := c.cr.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		var ce *csv.ParseError
		if errors.As(err, &ce) {
			msg := ce.Err.Error()
			if ce.Column > 0 {
				msg = fmt.Sprintf("%s (byte %d of the line)", msg, ce.Column)
			}
			return nil, 0, &ParseError{File: c.name, Line: ce.Line, Msg: msg, Err: ce.Err}
		}
		return nil, 0, &ParseError{File: c.name, Msg: err.Error(), Err: err}
	}
	line, _ := c.cr.FieldPos(0)
	return rec, line, nil
}

func (c *csvRows) Cols() int       { return len(c.feat) }
func (c *csvRows) Names() []string { return pick(c.names, c.feat) }
func (c *csvRows) HasLabels() bool { return c.label >= 0 }
func (c *csvRows) Close() error {
	if c.f != nil {
		return c.f.Close()
	}
	return nil
}

// pick returns names[idx[0]], names[idx[1]], ..., or nil when names is nil.
func pick(names []string, idx []int) []string {
	if names == nil {
		return nil
	}
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = names[j]
	}
	return out
}

// parseRow appends the selected fields of rec (on line) to the batch.
func (c *csvRows) parseRow(rec []string, line int) error {
	if len(rec) != c.ncol {
		return &ParseError{File: c.name, Line: line, Msg: fmt.Sprintf("%d fields, want %d as on line %d", len(rec), c.ncol, c.firstLn)}
	}
	for _, j := range c.feat {
		v, msg := parseNumber(rec[j])
		if msg != "" {
			return &ParseError{File: c.name, Line: line, Column: j + 1, Msg: msg}
		}
		c.buf.vals = append(c.buf.vals, v)
	}
	if c.label >= 0 {
		v, msg := parseNumber(rec[c.label])
		if msg != "" {
			return &ParseError{File: c.name, Line: line, Column: c.label + 1, Msg: "label: " + msg}
		}
		if c.binary && v != 0 && v != 1 {
			return &ParseError{File: c.name, Line: line, Column: c.label + 1, Msg: fmt.Sprintf("label %s is not 0 or 1", quoteField(rec[c.label]))}
		}
		c.buf.labels = append(c.buf.labels, v)
	}
	return nil
}

func (c *csvRows) Next(n int) (*Batch, error) {
	if n < 1 {
		return nil, fmt.Errorf("data: Next(%d): need at least one row", n)
	}
	if c.done {
		return nil, io.EOF
	}
	c.buf.reset(n, len(c.feat), c.rows)
	got := 0
	if c.first != nil {
		if err := c.parseRow(c.first, c.line1); err != nil {
			return nil, err
		}
		c.first = nil
		got++
	}
	for got < n {
		rec, line, err := c.read()
		if err == io.EOF {
			c.done = true
			break
		}
		if err != nil {
			return nil, err
		}
		if err := c.parseRow(rec, line); err != nil {
			return nil, err
		}
		got++
	}
	if got == 0 {
		return nil, io.EOF
	}
	c.rows += int64(got)
	return c.buf.finish(len(c.feat), c.label >= 0), nil
}

// checkFinite returns a *ParseError naming row first+i and column j+1 of the
// first value of vals (d columns) that is NaN or ±Inf, or nil.
func checkFinite(name string, vals []float64, d int, first int64) error {
	for k, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &ParseError{File: name, Msg: fmt.Sprintf("row %d, column %d: %v is not finite", first+int64(k/d)+1, k%d+1, v)}
		}
	}
	return nil
}
