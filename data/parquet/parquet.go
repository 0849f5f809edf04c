// Package parquet reads and writes rows of numbers as Apache Parquet files
// for package [github.com/ebm-go/ebm/data]. Importing it (a blank import
// suffices) registers the format "parquet" (file names ending in ".parquet"
// or ".pq") with [data.RegisterRowFormat], so that [data.OpenRows] and
// [data.CreateRows] accept Parquet; package data alone does not, which keeps
// the Parquet dependencies out of every program that has no use for them.
//
// It is built on the low-level column API of
// github.com/apache/arrow-go/v18/parquet/file (no Arrow record layer):
//
//   - Reading: a flat table whose selected feature and label columns are
//     BOOLEAN (read as 0/1), INT32, INT64 (signed or unsigned integer
//     annotations), FLOAT or DOUBLE; any other type (strings, decimals,
//     dates, ...) in a selected column is an error naming it, unselected
//     columns are never decoded. Rows are decoded row group by row group, a
//     batch of at most n rows per column at a time, so memory is bounded by
//     the batch size and the page size, not by the file. A null, NaN or ±Inf
//     value is a *data.ParseError naming the 1-based row and the column.
//   - Writing: one required DOUBLE column per name, Snappy-compressed, in row
//     groups of up to 65,536 rows ([GroupRows]); [data.CreateRows] writes
//     the bytes to a temporary file that it renames into place on Commit.
package parquet

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/tensor"
)

// GroupRows is the row-group length of written Parquet files.
const GroupRows = 1 << 16

func init() {
	data.RegisterRowFormat(data.FormatParquet, []string{".parquet", ".pq"}, open, create)
}

// kind is how a column's physical values become float64s.
type kind int

const (
	kBool kind = iota
	kInt32
	kUint32
	kInt64
	kUint64
	kFloat32
	kFloat64
)

// column is one selected column of the file.
type column struct {
	idx      int // in the file schema
	name     string
	kind     kind
	optional bool // has definition levels (nulls are possible)
	rd       file.ColumnChunkReader
	out      []float64 // the values of the current batch
	def      []int16
	b        []bool
	i32      []int32
	i64      []int64
	f32      []float32
}

// rows streams numeric columns of a Parquet file.
type rows struct {
	name   string
	pf     *file.Reader
	names  []string // all column names
	feat   []int
	label  int
	binary bool
	cols   []*column // the features in order, then the label
	group  int       // current row group, −1 before the first
	left   int64     // rows left in the current row group
	rows   int64
	batch  data.Batch
	vals   []float64
	labels []float64
}

// columnKind returns the kind of a schema column, or an error saying why it
// is not a number.
func columnKind(c *schema.Column) (kind, error) {
	lt := c.LogicalType()
	intType, isInt := lt.(schema.IntLogicalType)
	plain := lt == nil || lt.IsNone()
	switch c.PhysicalType() {
	case parquet.Types.Boolean:
		if plain {
			return kBool, nil
		}
	case parquet.Types.Int32:
		if plain || (isInt && intType.IsSigned()) {
			return kInt32, nil
		}
		if isInt {
			return kUint32, nil
		}
	case parquet.Types.Int64:
		if plain || (isInt && intType.IsSigned()) {
			return kInt64, nil
		}
		if isInt {
			return kUint64, nil
		}
	case parquet.Types.Float:
		if plain {
			return kFloat32, nil
		}
	case parquet.Types.Double:
		if plain {
			return kFloat64, nil
		}
	}
	t := c.PhysicalType().String()
	if !plain {
		t = fmt.Sprintf("%s (%s)", t, lt)
	}
	return 0, fmt.Errorf("column %q has type %s, not a number (select numeric columns)", c.Name(), t)
}

func open(path string, opt data.RowOptions) (_ data.RowReader, err error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, &data.ParseError{File: path, Msg: fmt.Sprintf("not a readable Parquet file: %v", err), Err: err}
	}
	defer func() {
		if err != nil {
			pf.Close()
		}
	}()
	sc := pf.MetaData().Schema
	if sc.Root().NumFields() != sc.NumColumns() {
		return nil, &data.ParseError{File: path, Msg: "nested Parquet schema: only flat tables of numeric columns are read"}
	}
	r := &rows{name: path, pf: pf, label: -1, binary: opt.BinaryLabels, group: -1}
	for j := range sc.NumColumns() {
		c := sc.Column(j)
		if c.MaxRepetitionLevel() > 0 {
			return nil, &data.ParseError{File: path, Msg: fmt.Sprintf("column %q is repeated: only flat tables of numeric columns are read", c.Name())}
		}
		r.names = append(r.names, c.Name())
	}
	r.feat, r.label, err = data.SelectColumns(opt, r.names, len(r.names))
	if err != nil {
		return nil, &data.ParseError{File: path, Msg: err.Error()}
	}
	idx := append([]int(nil), r.feat...)
	if r.label >= 0 {
		idx = append(idx, r.label)
	}
	for _, j := range idx {
		c := sc.Column(j)
		k, err := columnKind(c)
		if err != nil {
			return nil, &data.ParseError{File: path, Column: j + 1, Msg: err.Error()}
		}
		r.cols = append(r.cols, &column{idx: j, name: c.Name(), kind: k, optional: c.MaxDefinitionLevel() > 0})
	}
	if pf.NumRows() == 0 {
		return nil, &data.ParseError{File: path, Msg: "empty file: no data rows"}
	}
	return r, nil
}

func (r *rows) Cols() int { return len(r.feat) }
func (r *rows) Names() []string {
	out := make([]string, len(r.feat))
	for i, j := range r.feat {
		out[i] = r.names[j]
	}
	return out
}
func (r *rows) HasLabels() bool { return r.label >= 0 }
func (r *rows) Close() error {
	r.closeGroup()
	return r.pf.Close()
}

// closeGroup releases the column readers of the current row group.
func (r *rows) closeGroup() {
	for _, c := range r.cols {
		if c.rd != nil {
			c.rd.Close()
			c.rd = nil
		}
	}
}

// nextGroup opens the column readers of the next non-empty row group; it
// returns false at the end of the file.
func (r *rows) nextGroup() (bool, error) {
	r.closeGroup()
	for r.group+1 < r.pf.NumRowGroups() {
		r.group++
		rg := r.pf.RowGroup(r.group)
		if r.left = rg.NumRows(); r.left == 0 {
			continue
		}
		for _, c := range r.cols {
			rd, err := rg.Column(c.idx)
			if err != nil {
				return false, r.errorf(err, "row group %d, column %q: %v", r.group, c.name, err)
			}
			c.rd = rd
		}
		return true, nil
	}
	return false, nil
}

func (r *rows) errorf(err error, format string, a ...any) error {
	return &data.ParseError{File: r.name, Msg: fmt.Sprintf(format, a...), Err: err}
}

// grow returns s resized to n, reusing its memory when it can.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// read decodes the next k rows of column c of the current row group into
// c.out; first is the 1-based number of the first of them in the file.
func (r *rows) read(c *column, k int, first int64) error {
	c.out = grow(c.out, k)
	var def []int16
	if c.optional {
		c.def = grow(c.def, k)
		def = c.def
	}
	var (
		total int64
		got   int
		err   error
	)
	switch rd := c.rd.(type) {
	case *file.BooleanColumnChunkReader:
		c.b = grow(c.b, k)
		total, got, err = rd.ReadBatch(int64(k), c.b, def, nil)
		for i, v := range c.b[:got] {
			c.out[i] = 0
			if v {
				c.out[i] = 1
			}
		}
	case *file.Int32ColumnChunkReader:
		c.i32 = grow(c.i32, k)
		total, got, err = rd.ReadBatch(int64(k), c.i32, def, nil)
		for i, v := range c.i32[:got] {
			if c.kind == kUint32 {
				c.out[i] = float64(uint32(v))
			} else {
				c.out[i] = float64(v)
			}
		}
	case *file.Int64ColumnChunkReader:
		c.i64 = grow(c.i64, k)
		total, got, err = rd.ReadBatch(int64(k), c.i64, def, nil)
		for i, v := range c.i64[:got] {
			if c.kind == kUint64 {
				c.out[i] = float64(uint64(v))
			} else {
				c.out[i] = float64(v)
			}
		}
	case *file.Float32ColumnChunkReader:
		c.f32 = grow(c.f32, k)
		total, got, err = rd.ReadBatch(int64(k), c.f32, def, nil)
		for i, v := range c.f32[:got] {
			c.out[i] = float64(v)
		}
	case *file.Float64ColumnChunkReader:
		total, got, err = rd.ReadBatch(int64(k), c.out, def, nil)
	default:
		return r.errorf(nil, "column %q: unexpected column reader %T", c.name, c.rd)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return r.errorf(err, "row %d, column %q: %v", first, c.name, err)
	}
	if total < int64(k) {
		return r.errorf(nil, "row %d, column %q: the column ends before the %d rows its row group declares", first+total, c.name, r.pf.RowGroup(r.group).NumRows())
	}
	if got < k {
		for i, d := range def {
			if d < c.rd.Descriptor().MaxDefinitionLevel() {
				return r.errorf(nil, "row %d, column %q: null value", first+int64(i), c.name)
			}
		}
		return r.errorf(nil, "row %d, column %q: %d values for %d rows", first, c.name, got, k)
	}
	return nil
}

func (r *rows) Next(n int) (*data.Batch, error) {
	if n < 1 {
		return nil, fmt.Errorf("data/parquet: Next(%d): need at least one row", n)
	}
	d := len(r.feat)
	r.vals = r.vals[:0]
	r.labels = r.labels[:0]
	got := 0
	for got < n {
		if r.left == 0 {
			ok, err := r.nextGroup()
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
		}
		take := int(min(int64(n-got), r.left))
		first := r.rows + int64(got) + 1
		for _, c := range r.cols {
			if err := r.read(c, take, first); err != nil {
				return nil, err
			}
		}
		for i := range take {
			for ci, c := range r.cols {
				v := c.out[i]
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, r.errorf(nil, "row %d, column %q: %v is not finite", first+int64(i), c.name, v)
				}
				if ci < d {
					r.vals = append(r.vals, v)
					continue
				}
				if r.binary && v != 0 && v != 1 {
					return nil, r.errorf(nil, "row %d, column %q: label %v is not 0 or 1", first+int64(i), c.name, v)
				}
				r.labels = append(r.labels, v)
			}
		}
		r.left -= int64(take)
		got += take
	}
	if got == 0 {
		return nil, io.EOF
	}
	if r.batch.X == nil {
		r.batch.X = &tensor.Dense[float64]{}
	}
	*r.batch.X = *tensor.FromSlice(got, d, r.vals)
	r.batch.Labels = nil
	if r.label >= 0 {
		r.batch.Labels = r.labels
	}
	r.batch.First = r.rows
	r.rows += int64(got)
	return &r.batch, nil
}

// encoder writes required DOUBLE columns in row groups of GroupRows rows.
type encoder struct {
	fw    *file.Writer
	rg    file.BufferedRowGroupWriter
	cols  []*file.Float64ColumnChunkWriter
	inRG  int // rows in the open row group
	d     int
	col   []float64
	names []string
}

func create(w io.Writer, names []string) (data.RowEncoder, error) {
	fields := make(schema.FieldList, len(names))
	for i, n := range names {
		node, err := schema.NewPrimitiveNode(n, parquet.Repetitions.Required, parquet.Types.Double, -1, -1)
		if err != nil {
			return nil, fmt.Errorf("parquet column %q: %w", n, err)
		}
		fields[i] = node
	}
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, fields, -1)
	if err != nil {
		return nil, fmt.Errorf("parquet schema: %w", err)
	}
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(GroupRows))
	fw, err := file.NewParquetWriterWithError(w, root, file.WithWriterProps(props))
	if err != nil {
		return nil, err
	}
	return &encoder{fw: fw, d: len(names), names: names}, nil
}

// openGroup starts a row group.
func (e *encoder) openGroup() error {
	rg, err := e.fw.AppendBufferedRowGroupChecked()
	if err != nil {
		return err
	}
	e.rg, e.inRG = rg, 0
	e.cols = e.cols[:0]
	for j := range e.d {
		cw, err := rg.Column(j)
		if err != nil {
			return err
		}
		e.cols = append(e.cols, cw.(*file.Float64ColumnChunkWriter))
	}
	return nil
}

func (e *encoder) Write(x *tensor.Dense[float64]) error {
	for i := 0; i < x.Rows; {
		if e.rg == nil || e.inRG == GroupRows {
			if e.rg != nil {
				if err := e.rg.Close(); err != nil {
					return err
				}
			}
			if err := e.openGroup(); err != nil {
				return err
			}
		}
		k := min(x.Rows-i, GroupRows-e.inRG)
		e.col = grow(e.col, k)
		for j, cw := range e.cols {
			for r := range k {
				e.col[r] = x.Data[(i+r)*e.d+j]
			}
			if _, err := cw.WriteBatch(e.col, nil, nil); err != nil {
				return fmt.Errorf("parquet column %q: %w", e.names[j], err)
			}
		}
		e.inRG += k
		i += k
	}
	return nil
}

func (e *encoder) Close() error {
	if e.rg != nil {
		if err := e.rg.Close(); err != nil {
			return err
		}
	}
	return e.fw.Close()
}

// Abort drops the encoder: its buffered row group is garbage, and
// data.CreateRows removes the partial file.
func (e *encoder) Abort() {}
