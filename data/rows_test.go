package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/tensor"
	"github.com/sbinet/npyio"
	"gonum.org/v1/gonum/mat"
)

// readAll reads every row of r in batches of n.
func readAll(t *testing.T, r RowReader, n int) (vals, labels []float64) {
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

func writeRowsFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCSVRowsSelection(t *testing.T) {
	p := writeRowsFile(t, "a.csv", "x,y,z,lab\n1,2,3,0\n4,5,6,1\n7,8,9,0\n")
	r, err := OpenRows(p, RowOptions{Columns: []string{"z", "0"}, Label: "lab"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Cols() != 2 || !r.HasLabels() || strings.Join(r.Names(), ",") != "z,x" {
		t.Fatalf("cols %d labels %v names %v", r.Cols(), r.HasLabels(), r.Names())
	}
	vals, labels := readAll(t, r, 2)
	want := []float64{3, 1, 6, 4, 9, 7}
	if !slicesEqual(vals, want) || !slicesEqual(labels, []float64{0, 1, 0}) {
		t.Fatalf("vals %v labels %v", vals, labels)
	}
}

func slicesEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

// TestCSVRowsMatchesReadCSV: streaming in any batch size gives the rows that
// ReadCSV reads at once.
func TestCSVRowsMatchesReadCSV(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for range 103 {
		for j := range 4 {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(formatF(rng.NormFloat64()))
		}
		b.WriteByte('\n')
	}
	ds, err := ReadCSV(strings.NewReader(b.String()), "x", CSVOptions{LabelColumn: NoLabel})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 7, 103, 500} {
		r, err := NewCSVRows(strings.NewReader(b.String()), "x", RowOptions{})
		if err != nil {
			t.Fatal(err)
		}
		vals, _ := readAll(t, r, n)
		if !slicesEqual(vals, ds.X.Data) {
			t.Fatalf("batch %d: streamed rows differ from ReadCSV", n)
		}
	}
}

func formatF(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func TestCSVRowsErrors(t *testing.T) {
	cases := []struct{ name, content, want string }{
		{"empty", "", "empty file"},
		{"header only", "a,b\n", "no data rows after the header"},
		{"ragged", "1,2\n3,4\n5\n", "a.csv:3: 1 fields, want 2 as on line 1"},
		{"nan", "1,2\n3,NaN\n", `a.csv:2: column 2: "NaN" is not finite`},
		{"inf", "1,2\n+Inf,4\n", `a.csv:2: column 1: "+Inf" is not finite`},
		{"text", "1,2\n3,x\n", `a.csv:2: column 2: "x" is not a number`},
		{"bad label", "a,b\n1,2\n", `no column named "c"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeRowsFile(t, "a.csv", c.content)
			opt := RowOptions{}
			if c.name == "bad label" {
				opt.Label = "c"
			}
			r, err := OpenRows(p, opt)
			if err == nil {
				for err == nil {
					_, err = r.Next(10)
				}
				r.Close()
			}
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a ParseError containing %q", err, c.want)
			}
		})
	}
}

// TestNPYRoundTrip writes rows with CreateRows and reads them back with npyio
// (the reference implementation) and with OpenRows; and reads a file written
// by npyio (float32 and float64).
func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	x := tensor.New[float64](37, 3)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64() * 1e3
	}
	p := filepath.Join(dir, "out.npy")
	w, err := CreateRows(p, "", []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	for _, rows := range [][2]int{{0, 10}, {10, 11}, {11, 37}} {
		if err := w.Write(tensor.FromSlice(rows[1]-rows[0], 3, x.Data[rows[0]*3:rows[1]*3])); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("output visible before Commit")
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(p)
	var m mat.Dense
	if err := npyio.Read(f, &m); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if r, c := m.Dims(); r != 37 || c != 3 || !slicesEqual(m.RawMatrix().Data, x.Data) {
		t.Fatalf("npyio reads %d×%d, values equal %v", r, c, slicesEqual(m.RawMatrix().Data, x.Data))
	}
	r, err := OpenRows(p, RowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := readAll(t, r, 8)
	r.Close()
	if !slicesEqual(vals, x.Data) {
		t.Fatal("OpenRows does not read back what CreateRows wrote")
	}

	// Files written by npyio: float64 matrix and float32 vector.
	p2 := filepath.Join(dir, "m.npy")
	f2, _ := os.Create(p2)
	if err := npyio.Write(f2, mat.NewDense(2, 2, []float64{1, 2, 3, 4})); err != nil {
		t.Fatal(err)
	}
	f2.Close()
	r, err = OpenRows(p2, RowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vals, _ = readAll(t, r, 1)
	r.Close()
	if !slicesEqual(vals, []float64{1, 2, 3, 4}) || r.Cols() != 2 {
		t.Fatalf("npyio float64 matrix read as %v", vals)
	}
	p3 := filepath.Join(dir, "v.npy")
	f3, _ := os.Create(p3)
	if err := npyio.Write(f3, []float32{0.5, -2}); err != nil {
		t.Fatal(err)
	}
	f3.Close()
	r, err = OpenRows(p3, RowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vals, _ = readAll(t, r, 5)
	r.Close()
	if !slicesEqual(vals, []float64{0.5, -2}) || r.Cols() != 1 {
		t.Fatalf("npyio float32 vector read as %v", vals)
	}
}

func TestNPYErrors(t *testing.T) {
	dir := t.TempDir()
	hdr := func(dict string) []byte {
		h := append([]byte("\x93NUMPY\x01\x00"), 0, 0)
		body := dict
		for (10+len(body)+1)%16 != 0 {
			body += " "
		}
		body += "\n"
		binary.LittleEndian.PutUint16(h[8:], uint16(len(body)))
		return append(h, body...)
	}
	f64 := func(vs ...float64) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"magic", []byte("hello world, not numpy"), "bad magic"},
		{"int", hdr("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1), }"), "dtype"},
		{"fortran", hdr("{'descr': '<f8', 'fortran_order': True, 'shape': (1, 1), }"), "Fortran"},
		{"3d", hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }"), "1 or 2 dimensions"},
		{"empty", hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }"), "no data rows"},
		{"truncated", append(hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }"), f64(1, 2, 3)...), "truncated"},
		{"trailing", append(hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }"), f64(1, 2, 3)...), "trailing data"},
		{"nan", append(hdr("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }"), f64(1, 2, 3, math.NaN())...), "row 2, column 2: NaN is not finite"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".npy")
			os.WriteFile(p, c.data, 0o644)
			r, err := OpenRows(p, RowOptions{})
			if err == nil {
				for err == nil {
					_, err = r.Next(10)
				}
				r.Close()
			}
			if err == io.EOF || err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("got %v, want an error naming %s and containing %q", err, p, c.want)
			}
		})
	}
}

// TestParquetUnregistered: without package data/parquet, Parquet input and
// output fail with an error that names the package to import.
func TestParquetUnregistered(t *testing.T) {
	if slices.Contains(RowFormats(), FormatParquet) {
		t.Skip("parquet registered")
	}
	p := filepath.Join(t.TempDir(), "x.parquet")
	if RowFormat(p) != FormatParquet {
		t.Fatalf("RowFormat(%s) = %q", p, RowFormat(p))
	}
	os.WriteFile(p, []byte("PAR1"), 0o644)
	want := "Parquet support is in github.com/ebm-go/ebm/data/parquet; import it"
	if _, err := OpenRows(p, RowOptions{}); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), p) {
		t.Errorf("OpenRows: %v", err)
	}
	out := filepath.Join(t.TempDir(), "y.parquet")
	if _, err := CreateRows(out, "", []string{"a"}); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("CreateRows: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("CreateRows left %s", out)
	}
	ents, _ := os.ReadDir(filepath.Dir(out))
	if len(ents) != 0 {
		t.Errorf("CreateRows left %v", ents)
	}
	if _, err := OpenRows(p, RowOptions{Format: "avro"}); err == nil || !strings.Contains(err.Error(), `unknown format "avro"`) {
		t.Errorf("unknown format: %v", err)
	}
}

func TestCSVAndJSONLWriter(t *testing.T) {
	dir := t.TempDir()
	x := tensor.FromSlice(2, 2, []float64{1.5, -2, 3e-300, math.NaN()})
	for _, name := range []string{"o.csv", "o.jsonl"} {
		p := filepath.Join(dir, name)
		w, err := CreateRows(p, "", []string{"energy", "flag"})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(x)
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		want := "energy,flag\n1.5,-2\n3e-300,NaN\n"
		if name == "o.jsonl" {
			want = `{"energy":1.5,"flag":-2}` + "\n" + `{"energy":3e-300,"flag":null}` + "\n"
		}
		if string(b) != want {
			t.Fatalf("%s:\n%s\nwant\n%s", name, b, want)
		}
	}
	// Abort leaves nothing behind.
	p := filepath.Join(dir, "gone.csv")
	w, _ := CreateRows(p, "", []string{"a"})
	w.Write(tensor.FromSlice(2, 1, []float64{1, 2}))
	w.Abort()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), "gone") {
			t.Fatalf("aborted output left %s", e.Name())
		}
	}
}

// TestIDXRows: the streamed rows equal LoadMNISTImages' (scaled to [0, 1]).
func TestIDXRows(t *testing.T) {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, 3})
	for _, d := range []uint32{5, 2, 3} {
		binary.Write(&b, binary.BigEndian, d)
	}
	for i := range 30 {
		b.WriteByte(byte(i * 8))
	}
	p := filepath.Join(t.TempDir(), "img.idx")
	os.WriteFile(p, b.Bytes(), 0o644)
	want, err := LoadMNISTImages(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenRows(p, RowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := readAll(t, r, 2)
	r.Close()
	if len(vals) != 30 || r.Cols() != 6 {
		t.Fatalf("%d values, %d columns", len(vals), r.Cols())
	}
	for i, v := range vals {
		if float32(v) != want.Data[i] {
			t.Fatalf("value %d: %v, LoadMNISTImages %v", i, v, want.Data[i])
		}
	}
	os.WriteFile(p, b.Bytes()[:b.Len()-1], 0o644)
	r, _ = OpenRows(p, RowOptions{})
	_, err = r.Next(2)
	_, err2 := r.Next(10)
	r.Close()
	if err != nil || err2 == nil || !strings.Contains(err2.Error(), "truncated") {
		t.Fatalf("truncated IDX: %v, %v", err, err2)
	}
}
