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
//   - Parquet (with package [github.com/ebm-go/ebm/data/parquet] imported):
//     one required DOUBLE column per name, Snappy-compressed, row groups of
//     up to 65,536 rows;
//   - NumPy: a 2-D little-endian float64 array (rows × names), whose shape
//     is written into the header on Commit.
//
// Non-finite values are written as NaN/+Inf/-Inf in CSV, as null in JSON
// lines, and as IEEE values in Parquet and NumPy. Formats added by
// [RegisterRowFormat] are written by their encoder.
func CreateRows(path, format string, names []string) (RowWriter, error) {
	if format == "" {
		format = RowFormat(path)
	}
	if len(names) == 0 {
		return nil, errors.New("data: CreateRows: no columns")
	}
	var enc func(io.Writer, []string) (RowEncoder, error)
	switch format {
	case FormatCSV, FormatJSONL, FormatNPY:
	default:
		f, err := lookupRowFormat(format)
		if err == nil && f.create == nil {
			err = errors.New("read-only format")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: output format %q: %v", path, format, err)
		}
		enc = f.create
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
	if enc != nil {
		w.enc, err = enc(w.bw, names)
	} else {
		err = w.start()
	}
	if err != nil {
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
	keys              [][]byte   // JSON-quoted names
	enc               RowEncoder // a registered format, or nil
}

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
	}
	return nil
}

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
	if w.enc != nil {
		if err := w.enc.Write(x); err != nil {
			return err
		}
		w.rows += int64(x.Rows)
		return nil
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
	}
	w.rows += int64(x.Rows)
	return nil
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
	if w.enc != nil {
		err := w.enc.Close()
		w.enc = nil
		if err != nil {
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
	if w.enc != nil {
		w.enc.Abort()
	}
	w.f.Close()
	os.Remove(w.f.Name())
}
