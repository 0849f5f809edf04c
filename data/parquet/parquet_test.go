package parquet

import (
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/tensor"
)

// readAll reads every row of r in batches of n, checking Batch.First.
func readAll(t *testing.T, r data.RowReader, n int) (vals, labels []float64) {
	t.Helper()
	var next int64
	for {
		b, err := r.Next(n)
		if err == io.EOF {
			return vals, labels
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.First != next {
			t.Fatalf("batch starts at row %d, want %d", b.First, next)
		}
		if b.X.Rows > n || b.X.Rows == 0 {
			t.Fatalf("batch of %d rows for n = %d", b.X.Rows, n)
		}
		next += int64(b.X.Rows)
		vals = append(vals, b.X.Data[:b.X.Rows*b.X.Cols]...)
		labels = append(labels, b.Labels...)
	}
}

// TestParquetRoundTrip writes more than one row group with CreateRows and
// reads it back with a label column, in batches that straddle the row groups.
func TestParquetRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.parquet")
	const n = GroupRows + 1234
	x := tensor.New[float64](n, 3)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range n {
		x.Set(i, 0, rng.NormFloat64())
		x.Set(i, 1, float64(i))
		x.Set(i, 2, float64(i%2))
	}
	w, err := data.CreateRows(p, "", []string{"e", "idx", "y"})
	if err != nil {
		t.Fatal(err)
	}
	// Two writes whose boundary is not a row-group boundary.
	if err := w.Write(tensor.FromSlice(1000, 3, x.Data[:3000])); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(tensor.FromSlice(n-1000, 3, x.Data[3000:])); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err == nil {
		t.Fatal("the file exists before Commit")
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	pf, err := file.OpenParquetFile(p, false)
	if err != nil {
		t.Fatal(err)
	}
	if g := pf.NumRowGroups(); g != 2 || pf.NumRows() != n {
		t.Errorf("%d row groups, %d rows; want 2 and %d", g, pf.NumRows(), n)
	}
	pf.Close()
	r, err := data.OpenRows(p, data.RowOptions{Columns: []string{"idx", "e"}, Label: "y"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Names(); len(got) != 2 || got[0] != "idx" || got[1] != "e" || !r.HasLabels() || r.Cols() != 2 {
		t.Fatalf("names %v, labels %v", got, r.HasLabels())
	}
	vals, labels := readAll(t, r, 5000)
	if len(labels) != n || len(vals) != 2*n {
		t.Fatalf("read %d values and %d labels, want %d rows", len(vals), len(labels), n)
	}
	for i := range n {
		if vals[2*i] != x.At(i, 1) || vals[2*i+1] != x.At(i, 0) || labels[i] != x.At(i, 2) {
			t.Fatalf("row %d: got %v label %v, want %v", i, vals[2*i:2*i+2], labels[i], x.Data[3*i:3*i+3])
		}
	}
}

func TestParquetNonFinite(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.parquet")
	w, err := data.CreateRows(p, "", []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(tensor.FromSlice(3, 1, []float64{1, math.Inf(1), 2}))
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	r, err := data.OpenRows(p, data.RowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Next(10)
	if err == nil || !strings.Contains(err.Error(), `row 2, column "a": +Inf is not finite`) || !strings.Contains(err.Error(), p) {
		t.Fatalf("got %v", err)
	}
}

// writeTyped writes a Parquet file with one column of each supported
// physical type (plus an optional one and a string one) through the
// low-level writer, the way other tools write them.
func writeTyped(t *testing.T, p string, nullAt int) {
	t.Helper()
	must := func(n schema.Node, err error) schema.Node {
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	fields := schema.FieldList{
		schema.NewBooleanNode("b", parquet.Repetitions.Required, -1),
		schema.NewInt32Node("i32", parquet.Repetitions.Required, -1),
		must(schema.NewPrimitiveNodeLogical("u32", parquet.Repetitions.Required, schema.NewIntLogicalType(32, false), parquet.Types.Int32, -1, -1)),
		schema.NewInt64Node("i64", parquet.Repetitions.Required, -1),
		must(schema.NewPrimitiveNodeLogical("u64", parquet.Repetitions.Required, schema.NewIntLogicalType(64, false), parquet.Types.Int64, -1, -1)),
		schema.NewFloat32Node("f32", parquet.Repetitions.Required, -1),
		schema.NewFloat64Node("opt", parquet.Repetitions.Optional, -1),
		must(schema.NewPrimitiveNodeLogical("s", parquet.Repetitions.Required, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1)),
	}
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, fields, -1)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fw := file.NewParquetWriter(f, root)
	rg := fw.AppendRowGroup()
	next := func() file.ColumnChunkWriter {
		cw, err := rg.NextColumn()
		if err != nil {
			t.Fatal(err)
		}
		return cw
	}
	next().(*file.BooleanColumnChunkWriter).WriteBatch([]bool{true, false, true}, nil, nil)
	next().(*file.Int32ColumnChunkWriter).WriteBatch([]int32{-7, 0, 1 << 30}, nil, nil)
	next().(*file.Int32ColumnChunkWriter).WriteBatch([]int32{-1, 2, 3}, nil, nil)
	next().(*file.Int64ColumnChunkWriter).WriteBatch([]int64{-1 << 40, 5, 6}, nil, nil)
	next().(*file.Int64ColumnChunkWriter).WriteBatch([]int64{-1, 8, 9}, nil, nil)
	next().(*file.Float32ColumnChunkWriter).WriteBatch([]float32{0.5, -1.25, 3}, nil, nil)
	def := []int16{1, 1, 1}
	vals := []float64{10, 20, 30}
	if nullAt >= 0 {
		def[nullAt] = 0
		vals = append(vals[:nullAt], vals[nullAt+1:]...)
	}
	next().(*file.Float64ColumnChunkWriter).WriteBatch(vals, def, nil)
	next().(*file.ByteArrayColumnChunkWriter).WriteBatch([]parquet.ByteArray{parquet.ByteArray("x"), parquet.ByteArray("y"), parquet.ByteArray("z")}, nil, nil)
	if err := rg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestParquetTypes: every numeric physical type is read as the float64 of
// its value (unsigned annotations as unsigned), a string column is refused
// by name only when selected, and a null names its row and column.
func TestParquetTypes(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "typed.parquet")
	writeTyped(t, p, -1)
	r, err := data.OpenRows(p, data.RowOptions{Columns: []string{"b", "i32", "u32", "i64", "u64", "f32"}, Label: "opt"})
	if err != nil {
		t.Fatal(err)
	}
	vals, labels := readAll(t, r, 2)
	r.Close()
	want := []float64{
		1, -7, math.MaxUint32, -1 << 40, math.MaxUint64, 0.5,
		0, 0, 2, 5, 8, -1.25,
		1, 1 << 30, 3, 6, 9, 3,
	}
	if len(vals) != len(want) {
		t.Fatalf("%d values, want %d", len(vals), len(want))
	}
	for i := range want {
		if vals[i] != want[i] {
			t.Errorf("value %d (row %d, column %d): %v, want %v", i, i/6+1, i%6+1, vals[i], want[i])
		}
	}
	if len(labels) != 3 || labels[0] != 10 || labels[2] != 30 {
		t.Errorf("labels %v", labels)
	}
	// The string column is refused when it would be read.
	if _, err := data.OpenRows(p, data.RowOptions{}); err == nil || !strings.Contains(err.Error(), `column "s"`) || !strings.Contains(err.Error(), "not a number") {
		t.Errorf("string column: %v", err)
	}
	if _, err := data.OpenRows(p, data.RowOptions{Columns: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), `no column named "nope"`) {
		t.Errorf("unknown column: %v", err)
	}
	// A null names its row and column.
	q := filepath.Join(dir, "null.parquet")
	writeTyped(t, q, 1)
	r, err = data.OpenRows(q, data.RowOptions{Columns: []string{"i32", "opt"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next(10)
	r.Close()
	if err == nil || !strings.Contains(err.Error(), `row 2, column "opt": null value`) {
		t.Errorf("null: %v", err)
	}
	// Binary labels: i32 is not 0/1.
	r, _ = data.OpenRows(p, data.RowOptions{Columns: []string{"f32"}, Label: "i32", BinaryLabels: true})
	_, err = r.Next(10)
	r.Close()
	if err == nil || !strings.Contains(err.Error(), `row 1, column "i32": label -7 is not 0 or 1`) {
		t.Errorf("binary labels: %v", err)
	}
}

// TestParquetBadFiles: files that are not Parquet, and Parquet without rows.
func TestParquetBadFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "junk.parquet")
	os.WriteFile(p, []byte("not parquet at all"), 0o644)
	if _, err := data.OpenRows(p, data.RowOptions{}); err == nil || !strings.Contains(err.Error(), "not a readable Parquet file") || !strings.Contains(err.Error(), p) {
		t.Errorf("junk: %v", err)
	}
	e := filepath.Join(dir, "empty.pq")
	w, err := data.CreateRows(e, "", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := data.OpenRows(e, data.RowOptions{}); err == nil || !strings.Contains(err.Error(), "no data rows") {
		t.Errorf("empty: %v", err)
	}
	// Abort leaves nothing behind.
	a := filepath.Join(dir, "gone.parquet")
	w, _ = data.CreateRows(a, "", []string{"a"})
	w.Write(tensor.FromSlice(2, 1, []float64{1, 2}))
	w.Abort()
	ents, _ := os.ReadDir(dir)
	for _, en := range ents {
		if strings.Contains(en.Name(), "gone") {
			t.Errorf("aborted output left %s", en.Name())
		}
	}
}
