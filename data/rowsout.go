package data

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/ebm-go/ebm/internal/atomicfile"
	"github.com/ebm-go/ebm/tensor"
)

// RowWriter writes rows of named float64 columns to a file that appears
// entirely or not at all: rows go to a temporary file beside the final path,
// and Commit syncs it and renames it into place. Abort (safe to defer, a no-op
// after Commit) removes the temporary file.
type RowWriter interface {
	// Write appends the rows of x, which must have one column per name.
	Write(x *tensor.Dense[float64]) error
	// Commit finishes the file and renames it into place.
	Commit() error
	// Abort removes the temporary file unless Commit succeeded.
	Abort()
}

// CreateRows starts writing the file at path in format (FormatCSV,
// FormatJSONL, FormatParquet or FormatNPY; empty means from the name, see
// [RowFormat]) with the given column names:
//
//   - CSV: a header line of the names, then one line per row, numbers in
//     Go's shortest round-trip form (strconv 'g', -1);
//   - JSON lines: one object per row, {"name": value, ...};
//   - Parquet: one required DOUBLE column per name, Snappy-compressed, row
//     groups of up to 65,536 rows;
//   - NumPy: a 2-D little-endian float64 array (rows × names), whose shape
//     is written into the header on Commit.
//
// Non-finite values are written as NaN/+Inf/-Inf in CSV, as null in JSON
// lines, and as IEEE values in Parquet and NumPy.
func CreateRows(path, format string, names []string) (RowWriter, error) {
	if format == "" {
		format = RowFormat(path)
	}
	if len(names) == 0 {
		return nil, errors.New("data: CreateRows: no columns")
	}
	switch format {
	case FormatCSV, FormatJSONL, FormatParquet, FormatNPY:
	default:
		return nil, fmt.Errorf("%s: unknown output format %q (want csv, jsonl, parquet or npy)", path, format)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s: is a folder", path)
	}
	dir, base := filepath.Split(filepath.Clean(path))
	if dir == "" {
		dir = "."
	}
	var f *os.File
	var err error
	for i := 0; ; i++ {
		f, err = os.OpenFile(filepath.Join(dir, atomicfile.TempName(base)), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil || !errors.Is(err, fs.ErrExist) || i == 10 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	w := &rowWriter{path: path, dir: dir, f: f, bw: bufio.NewWriterSize(f, 1<<16), names: names, format: format}
	if err := w.start(); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// npyHeaderLen is the fixed length of the .npy header that rowWriter writes
// (magic to newline), so the shape can be rewritten in place on Commit.
const npyHeaderLen = 128

type rowWriter struct {
	path, dir, format string
	f                 *os.File
	bw                *bufio.Writer
	names             []string
	rows              int64
	done              bool
	line              []byte
	keys              [][]byte // JSON-quoted names
	// Parquet
	pw       *pqarrow.FileWriter
	schema   *arrow.Schema
	builders []*array.Float64Builder
	pending  int
}

// parquetGroup is the row-group length of written Parquet files.
const parquetGroup = 1 << 16

func (w *rowWriter) start() error {
	switch w.format {
	case FormatCSV:
		for i, n := range w.names {
			if i > 0 {
				w.bw.WriteByte(',')
			}
			if strings.ContainsAny(n, ",\"\n\r") {
				n = strconv.Quote(n)
			}
			w.bw.WriteString(n)
		}
		_, err := w.bw.WriteString("\n")
		return err
	case FormatJSONL:
		for _, n := range w.names {
			k, err := json.Marshal(n)
			if err != nil {
				return err
			}
			w.keys = append(w.keys, k)
		}
	case FormatNPY:
		_, err := w.bw.Write(npyHeader(0, len(w.names)))
		return err
	case FormatParquet:
		fields := make([]arrow.Field, len(w.names))
		for i, n := range w.names {
			fields[i] = arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64}
		}
		w.schema = arrow.NewSchema(fields, nil)
		props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(parquetGroup))
		pw, err := pqarrow.NewFileWriter(w.schema, nopCloser{w.bw}, props, pqarrow.DefaultWriterProps())
		if err != nil {
			return err
		}
		w.pw = pw
		for range w.names {
			w.builders = append(w.builders, array.NewFloat64Builder(memory.DefaultAllocator))
		}
	}
	return nil
}

// nopCloser hides the Close of the file from the Parquet writer, which
// closes its sink: the file is synced and renamed by Commit.
type nopCloser struct{ io.Writer }

// npyHeader returns a version-1.0 .npy header of exactly npyHeaderLen bytes
// for a C-order little-endian float64 array of rows × cols.
func npyHeader(rows int64, cols int) []byte {
	dict := fmt.Sprintf("{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	h := make([]byte, 0, npyHeaderLen)
	h = append(h, "\x93NUMPY\x01\x00"...)
	h = binary.LittleEndian.AppendUint16(h, npyHeaderLen-10)
	h = append(h, dict...)
	for len(h) < npyHeaderLen-1 {
		h = append(h, ' ')
	}
	return append(h, '\n')
}

func (w *rowWriter) Write(x *tensor.Dense[float64]) error {
	if w.done {
		return errors.New("data: RowWriter: Write after Commit or Abort")
	}
	d := len(w.names)
	if x.Cols != d {
		return fmt.Errorf("data: RowWriter: rows of %d values for %d columns", x.Cols, d)
	}
	switch w.format {
	case FormatCSV:
		for i := range x.Rows {
			w.line = w.line[:0]
			for j, v := range x.Data[i*d : (i+1)*d] {
				if j > 0 {
					w.line = append(w.line, ',')
				}
				w.line = strconv.AppendFloat(w.line, v, 'g', -1, 64)
			}
			w.line = append(w.line, '\n')
			if _, err := w.bw.Write(w.line); err != nil {
				return err
			}
		}
	case FormatJSONL:
		for i := range x.Rows {
			w.line = append(w.line[:0], '{')
			for j, v := range x.Data[i*d : (i+1)*d] {
				if j > 0 {
					w.line = append(w.line, ',')
				}
				w.line = append(w.line, w.keys[j]...)
				w.line = append(w.line, ':')
				if math.IsNaN(v) || math.IsInf(v, 0) {
					w.line = append(w.line, "null"...)
				} else {
					w.line = strconv.AppendFloat(w.line, v, 'g', -1, 64)
				}
			}
			w.line = append(w.line, '}', '\n')
			if _, err := w.bw.Write(w.line); err != nil {
				return err
			}
		}
	case FormatNPY:
		var b [8]byte
		for _, v := range x.Data[:x.Rows*d] {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
			if _, err := w.bw.Write(b[:]); err != nil {
				return err
			}
		}
	case FormatParquet:
		for i := range x.Rows {
			for j, v := range x.Data[i*d : (i+1)*d] {
				w.builders[j].Append(v)
			}
			w.pending++
			if w.pending == parquetGroup {
				if err := w.flushParquet(); err != nil {
					return err
				}
			}
		}
	}
	w.rows += int64(x.Rows)
	return nil
}

// flushParquet writes the pending rows as one row group.
func (w *rowWriter) flushParquet() error {
	if w.pending == 0 {
		return nil
	}
	cols := make([]arrow.Array, len(w.builders))
	for j, b := range w.builders {
		cols[j] = b.NewArray()
	}
	rec := array.NewRecordBatch(w.schema, cols, int64(w.pending))
	err := w.pw.Write(rec)
	rec.Release()
	for _, c := range cols {
		c.Release()
	}
	w.pending = 0
	return err
}

func (w *rowWriter) Commit() (err error) {
	if w.done {
		return errors.New("data: RowWriter: Commit after Commit or Abort")
	}
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	if w.format == FormatParquet {
		if err := w.flushParquet(); err != nil {
			return err
		}
		if err := w.pw.Close(); err != nil {
			return err
		}
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	if w.format == FormatNPY {
		if _, err := w.f.WriteAt(npyHeader(w.rows, len(w.names)), 0); err != nil {
			return err
		}
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(w.f.Name(), w.path); err != nil {
		return err
	}
	w.done = true
	atomicfile.SyncDir(w.dir)
	return nil
}

func (w *rowWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	for _, b := range w.builders {
		b.Release()
	}
	w.f.Close()
	os.Remove(w.f.Name())
}
