package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// parquetBatch is the number of rows the Parquet reader decodes at a time.
const parquetBatch = 8192

// parquetRows streams numeric columns of a Parquet file through Arrow record
// batches of parquetBatch rows.
type parquetRows struct {
	name   string
	pf     *file.Reader
	rr     pqarrow.RecordReader
	names  []string // all top-level column names
	feat   []int    // selected feature columns (indices into names)
	label  int
	binary bool
	rec    arrow.RecordBatch // current record, or nil
	off    int               // next row of rec
	rows   int64
	buf    batchBuf
	getter []func(arr arrow.Array, i int) (float64, bool) // per record column
}

// numericGetter returns a function that reads element i of an array of type
// t as a float64 (false for a null), or nil when t is not numeric.
func numericGetter(t arrow.DataType) func(arr arrow.Array, i int) (float64, bool) {
	wrap := func(get func(arrow.Array, int) float64) func(arrow.Array, int) (float64, bool) {
		return func(a arrow.Array, i int) (float64, bool) {
			if a.IsNull(i) {
				return 0, false
			}
			return get(a, i), true
		}
	}
	switch t.ID() {
	case arrow.FLOAT64:
		return wrap(func(a arrow.Array, i int) float64 { return a.(*array.Float64).Value(i) })
	case arrow.FLOAT32:
		return wrap(func(a arrow.Array, i int) float64 { return float64(a.(*array.Float32).Value(i)) })
	case arrow.INT64:
		return wrap(func(a arrow.Array, i int) float64 { return float64(a.(*array.Int64).Value(i)) })
	case arrow.INT32:
		return wrap(func(a arrow.Array, i int) float64 { return float64(a.(*array.Int32).Value(i)) })
	case arrow.INT16:
		return wrap(func(a arrow.Array, i int) float64 { return float64(a.(*array.Int16).Value(i)) })
	case arrow.INT8:
		return wrap(func(a arrow.Array, i int) float64 { return float64(a.(*array.Int8).Value(i)) })
	case arrow.UINT64:
		return wrap(func(a arrow.Array, i int) float64 { return float64(a.(*array.Uint64).Value(i)) })
	case arrow.UINT32:
		return wrap(func(a arrow.Array, i int) float64 { return float64(a.(*array.Uint32).Value(i)) })
	case arrow.UINT16:
		return wrap(func(a arrow.Array, i int) float64 { return float64(a.(*array.Uint16).Value(i)) })
	case arrow.UINT8:
		return wrap(func(a arrow.Array, i int) float64 { return float64(a.(*array.Uint8).Value(i)) })
	case arrow.BOOL:
		return wrap(func(a arrow.Array, i int) float64 {
			if a.(*array.Boolean).Value(i) {
				return 1
			}
			return 0
		})
	}
	return nil
}

func openParquetRows(path string, opt RowOptions) (r *parquetRows, err error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, &ParseError{File: path, Msg: fmt.Sprintf("not a readable Parquet file: %v", err), Err: err}
	}
	defer func() {
		if err != nil {
			pf.Close()
		}
	}()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: parquetBatch}, memory.DefaultAllocator)
	if err != nil {
		return nil, &ParseError{File: path, Msg: err.Error(), Err: err}
	}
	sc, err := fr.Schema()
	if err != nil {
		return nil, &ParseError{File: path, Msg: err.Error(), Err: err}
	}
	if sc.NumFields() != pf.MetaData().Schema.NumColumns() {
		return nil, &ParseError{File: path, Msg: "nested Parquet schema: only flat tables of numeric columns are read"}
	}
	r = &parquetRows{name: path, pf: pf, label: -1, binary: opt.BinaryLabels}
	for _, f := range sc.Fields() {
		r.names = append(r.names, f.Name)
	}
	r.feat, r.label, err = selectColumns(opt, r.names, len(r.names))
	if err != nil {
		return nil, &ParseError{File: path, Msg: err.Error()}
	}
	cols := append([]int(nil), r.feat...)
	if r.label >= 0 {
		cols = append(cols, r.label)
	}
	for _, j := range cols {
		g := numericGetter(sc.Field(j).Type)
		if g == nil {
			return nil, &ParseError{File: path, Column: j + 1, Msg: fmt.Sprintf("column %q has type %s, not a number (select numeric columns)", r.names[j], sc.Field(j).Type)}
		}
		r.getter = append(r.getter, g)
	}
	if pf.NumRows() == 0 {
		return nil, &ParseError{File: path, Msg: "empty file: no data rows"}
	}
	r.rr, err = fr.GetRecordReader(context.Background(), cols, nil)
	if err != nil {
		return nil, &ParseError{File: path, Msg: err.Error(), Err: err}
	}
	return r, nil
}

func (r *parquetRows) Cols() int       { return len(r.feat) }
func (r *parquetRows) Names() []string { return pick(r.names, r.feat) }
func (r *parquetRows) HasLabels() bool { return r.label >= 0 }
func (r *parquetRows) Close() error {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	if r.rr != nil {
		r.rr.Release()
		r.rr = nil
	}
	return r.pf.Close()
}

func (r *parquetRows) Next(n int) (*Batch, error) {
	if n < 1 {
		return nil, fmt.Errorf("data: Next(%d): need at least one row", n)
	}
	d := len(r.feat)
	r.buf.reset(n, d, r.rows)
	got := 0
	for got < n {
		if r.rec == nil || r.off >= int(r.rec.NumRows()) {
			if r.rec != nil {
				r.rec.Release()
				r.rec = nil
			}
			if r.rr == nil || !r.rr.Next() {
				if r.rr != nil {
					if err := r.rr.Err(); err != nil && !errors.Is(err, io.EOF) {
						return nil, &ParseError{File: r.name, Msg: fmt.Sprintf("row %d: %v", r.rows+int64(got)+1, err), Err: err}
					}
				}
				break
			}
			r.rec = r.rr.RecordBatch()
			r.rec.Retain()
			r.off = 0
		}
		take := min(n-got, int(r.rec.NumRows())-r.off)
		ncol := len(r.getter)
		for i := r.off; i < r.off+take; i++ {
			row := r.rows + int64(got+i-r.off) + 1
			for c := range ncol {
				v, ok := r.getter[c](r.rec.Column(c), i)
				name := r.names[r.feat[min(c, d-1)]]
				if c == d {
					name = r.names[r.label]
				}
				if !ok {
					return nil, &ParseError{File: r.name, Msg: fmt.Sprintf("row %d, column %q: null value", row, name)}
				}
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, &ParseError{File: r.name, Msg: fmt.Sprintf("row %d, column %q: %v is not finite", row, name, v)}
				}
				if c < d {
					r.buf.vals = append(r.buf.vals, v)
				} else {
					if r.binary && v != 0 && v != 1 {
						return nil, &ParseError{File: r.name, Msg: fmt.Sprintf("row %d, column %q: label %v is not 0 or 1", row, name, v)}
					}
					r.buf.labels = append(r.buf.labels, v)
				}
			}
		}
		r.off += take
		got += take
	}
	if got == 0 {
		return nil, io.EOF
	}
	r.rows += int64(got)
	return r.buf.finish(d, r.label >= 0), nil
}
