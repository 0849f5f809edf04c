package data

import (
	"bufio"
	"compress/gzip"
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

// Dataset is a table of numbers: one example per row of X, with optional integer
// labels and column names.
type Dataset struct {
	// X holds the features, one example per row.
	X *tensor.Dense[float64]
	// Labels holds one integer label per row of X, or is nil when the data has no
	// label column.
	Labels []int
	// Names holds the names of X's columns (len(Names) == X.Cols), or is nil when
	// the source has none.
	Names []string
	// LabelName is the name of the label column, if known.
	LabelName string
	// ClassNames, when known, holds the name of each label value:
	// ClassNames[k] names label k.
	ClassNames []string
	// Source says where the data came from: a file path, or "embedded:NAME".
	Source string
}

// HeaderMode says whether the first line of a CSV file names the columns.
type HeaderMode int

const (
	// HeaderAuto (the zero value) treats the first line as a header when any of
	// its fields is not a number (as strconv.ParseFloat reads numbers).
	HeaderAuto HeaderMode = iota
	// HeaderYes always treats the first line as a header.
	HeaderYes
	// HeaderNo treats every line as data.
	HeaderNo
)

// Special values of CSVOptions.LabelColumn.
const (
	// NoLabel: the file has no label column; every column is a feature.
	NoLabel = -1
	// LastColumn: the last column holds the labels.
	LastColumn = -2
)

// CSVOptions controls [ReadCSV] and [LoadCSV]. Gzip compression needs no option:
// it is detected from the magic bytes 0x1f 0x8b.
type CSVOptions struct {
	// Header says whether the first line holds column names.
	Header HeaderMode
	// LabelColumn is the 0-based index of the column that holds integer class
	// labels, or NoLabel, or LastColumn. Note that the zero value selects
	// column 0: set NoLabel explicitly for unlabelled data.
	LabelColumn int
}

// ParseError reports a problem with the contents of a data file: the file, the
// 1-based line and the 1-based column (field) where it was found, and what is
// wrong. Line or Column is 0 when it does not apply. Its message reads like
// `wine.csv:17: column 3: "abc" is not a number`.
type ParseError struct {
	File   string // the name given to ReadCSV, or the path given to LoadCSV
	Line   int    // 1-based line number, 0 if the problem is not on one line
	Column int    // 1-based field number within the line, 0 if not about one field
	Msg    string // what is wrong
	Err    error  // the underlying error, if any (for example a gzip or read error)
}

// Error formats the error as FILE:LINE: column COL: MSG, leaving out the parts
// that are zero.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Column > 0 {
		b.WriteString("column ")
		b.WriteString(strconv.Itoa(e.Column))
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *ParseError) Unwrap() error { return e.Err }

// LoadCSV reads the numeric CSV file at path (plain or gzip-compressed) into a
// Dataset; see [ReadCSV] for the rules.
func LoadCSV(path string, opt CSVOptions) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadCSV(f, path, opt)
}

// ReadCSV reads numeric CSV from r into a Dataset; name identifies the input in
// error messages and in Dataset.Source. Input starting with the gzip magic bytes
// is decompressed; a UTF-8 byte-order mark is skipped; fields may be quoted and
// surrounding spaces are ignored; empty lines are skipped.
//
// Every field must be a finite number (strconv.ParseFloat syntax), every row must
// have as many fields as the first, and there must be at least one data row and
// one feature column. Labels must be integers (written as such, or as "2.0").
// Any violation is returned as a [*ParseError] naming the file, line and column.
func ReadCSV(r io.Reader, name string, opt CSVOptions) (*Dataset, error) {
	return readCSV(r, name, opt, 0)
}

// readCSV is ReadCSV with line numbers in errors shifted by lineOffset (for input
// whose first lines were consumed by the caller).
func readCSV(r io.Reader, name string, opt CSVOptions, lineOffset int) (*Dataset, error) {
	if name == "" {
		name = "<input>"
	}
	perr := func(line, col int, format string, a ...any) error {
		return &ParseError{File: name, Line: line, Column: col, Msg: fmt.Sprintf(format, a...)}
	}
	if opt.Header < HeaderAuto || opt.Header > HeaderNo {
		return nil, perr(0, 0, "invalid header mode %d", opt.Header)
	}
	if opt.LabelColumn < LastColumn {
		return nil, perr(0, 0, "invalid label column %d", opt.LabelColumn)
	}
	src, err := decompress(r)
	if err != nil {
		return nil, &ParseError{File: name, Msg: err.Error(), Err: err}
	}
	cr := csv.NewReader(src)
	cr.FieldsPerRecord = -1 // checked below, with a better message
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true

	var (
		ds       = &Dataset{Source: name}
		vals     []float64
		labels   []int
		ncol     = -1 // fields per row, fixed by the first row
		firstRow int  // line of the first row, for ragged-row messages
		label    = -1 // resolved label column, or -1
		rows     int
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var ce *csv.ParseError
			if errors.As(err, &ce) {
				msg := ce.Err.Error()
				if ce.Column > 0 {
					msg = fmt.Sprintf("%s (byte %d of the line)", msg, ce.Column)
				}
				return nil, &ParseError{File: name, Line: ce.Line + lineOffset, Msg: msg, Err: ce.Err}
			}
			return nil, &ParseError{File: name, Msg: err.Error(), Err: err}
		}
		line, _ := cr.FieldPos(0)
		line += lineOffset
		if ncol < 0 {
			ncol, firstRow = len(rec), line
			switch opt.LabelColumn {
			case NoLabel:
			case LastColumn:
				label = ncol - 1
			default:
				label = opt.LabelColumn
			}
			if label >= ncol {
				return nil, perr(line, 0, "label column %d (0-based) out of range: the first row has %d columns", label, ncol)
			}
			nfeat := ncol
			if label >= 0 {
				nfeat--
				labels = []int{}
			}
			if nfeat == 0 {
				return nil, perr(line, 0, "no feature columns")
			}
			if opt.Header == HeaderYes || (opt.Header == HeaderAuto && !allNumeric(rec)) {
				ds.Names = make([]string, 0, nfeat)
				for j, f := range rec {
					f = strings.TrimSpace(f)
					if j == label {
						ds.LabelName = f
					} else {
						ds.Names = append(ds.Names, f)
					}
				}
				continue
			}
		}
		if len(rec) != ncol {
			return nil, perr(line, 0, "%d fields, want %d as on line %d", len(rec), ncol, firstRow)
		}
		for j, f := range rec {
			v, msg := parseNumber(f)
			if msg != "" {
				return nil, perr(line, j+1, "%s", msg)
			}
			if j == label {
				if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
					return nil, perr(line, j+1, "label %s is not an integer", quoteField(f))
				}
				labels = append(labels, int(v))
				continue
			}
			vals = append(vals, v)
		}
		rows++
	}
	if rows == 0 {
		if ncol < 0 {
			return nil, perr(0, 0, "empty file: no data rows")
		}
		return nil, perr(0, 0, "no data rows after the header")
	}
	ds.X = tensor.FromSlice(rows, len(vals)/rows, vals)
	ds.Labels = labels
	return ds, nil
}

// decompress returns r, or a gzip reader over it if r starts with the gzip magic
// bytes; a leading UTF-8 byte-order mark is skipped either way.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		br = bufio.NewReader(zr)
	}
	if bom, _ := br.Peek(3); len(bom) == 3 && bom[0] == 0xef && bom[1] == 0xbb && bom[2] == 0xbf {
		br.Discard(3)
	}
	return br, nil
}

// allNumeric reports whether every field of rec is syntactically a number.
func allNumeric(rec []string) bool {
	for _, f := range rec {
		_, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return false
		}
	}
	return true
}

// parseNumber parses one field; it returns a non-empty message if the field is
// not a finite number.
func parseNumber(f string) (float64, string) {
	s := strings.TrimSpace(f)
	if s == "" {
		return 0, "empty field"
	}
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && math.IsInf(v, 0):
		return 0, quoteField(f) + " is out of range for float64"
	case errors.Is(err, strconv.ErrRange):
		return v, "" // underflow to zero or a subnormal: keep the rounded value
	case err != nil:
		return 0, quoteField(f) + " is not a number"
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, quoteField(f) + " is not finite"
	}
	return v, ""
}

// quoteField quotes a field for an error message, shortening long ones.
func quoteField(f string) string {
	const maxLen = 40
	if len(f) > maxLen {
		// Cut at a rune boundary.
		cut := maxLen
		for cut > 0 && !isRuneStart(f[cut]) {
			cut--
		}
		return strconv.Quote(f[:cut]) + "…"
	}
	return strconv.Quote(f)
}

func isRuneStart(b byte) bool { return b&0xc0 != 0x80 }
