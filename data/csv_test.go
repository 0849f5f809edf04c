package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readString(t *testing.T, s string, opt CSVOptions) *Dataset {
	t.Helper()
	ds, err := ReadCSV(strings.NewReader(s), "t.csv", opt)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestReadCSVHeaderAndLabels(t *testing.T) {
	in := "a, b ,class\n1,2,0\n3.5,-4e1,1\n"
	ds := readString(t, in, CSVOptions{LabelColumn: LastColumn})
	if ds.X.Rows != 2 || ds.X.Cols != 2 {
		t.Fatalf("shape %s", ds.X.Shape())
	}
	if !slices.Equal(ds.X.Data, []float64{1, 2, 3.5, -40}) {
		t.Errorf("X = %v", ds.X.Data)
	}
	if !slices.Equal(ds.Labels, []int{0, 1}) {
		t.Errorf("labels %v", ds.Labels)
	}
	if !slices.Equal(ds.Names, []string{"a", "b"}) || ds.LabelName != "class" {
		t.Errorf("names %q, label name %q", ds.Names, ds.LabelName)
	}
	if ds.Source != "t.csv" {
		t.Errorf("source %q", ds.Source)
	}

	// Label in the middle, given by index.
	ds = readString(t, "x,y,z\n1,7,2\n3,8,4\n", CSVOptions{LabelColumn: 1})
	if !slices.Equal(ds.X.Data, []float64{1, 2, 3, 4}) || !slices.Equal(ds.Labels, []int{7, 8}) ||
		!slices.Equal(ds.Names, []string{"x", "z"}) || ds.LabelName != "y" {
		t.Errorf("middle label: X %v labels %v names %q label %q", ds.X.Data, ds.Labels, ds.Names, ds.LabelName)
	}

	// No header, no labels: auto detection sees numbers only.
	ds = readString(t, "1,2\n3,4\n", CSVOptions{LabelColumn: NoLabel})
	if ds.Names != nil || ds.Labels != nil || ds.X.Rows != 2 {
		t.Errorf("no header: names %v labels %v rows %d", ds.Names, ds.Labels, ds.X.Rows)
	}

	// HeaderYes drops a numeric first line; labels may be written as 2.0.
	ds = readString(t, "10,20\n1,2.0\n", CSVOptions{Header: HeaderYes, LabelColumn: LastColumn})
	if !slices.Equal(ds.Names, []string{"10"}) || !slices.Equal(ds.Labels, []int{2}) || ds.X.Rows != 1 {
		t.Errorf("header yes: names %v labels %v rows %d", ds.Names, ds.Labels, ds.X.Rows)
	}

	// Quotes, CRLF, blank lines, surrounding spaces, a byte-order mark.
	ds = readString(t, "\ufeff\"1\", 2 \r\n\r\n 3 ,\"4.5\"\r\n", CSVOptions{LabelColumn: NoLabel})
	if !slices.Equal(ds.X.Data, []float64{1, 2, 3, 4.5}) || ds.Names != nil {
		t.Errorf("quoted/CRLF/BOM: %v names %v", ds.X.Data, ds.Names)
	}
}

func TestReadCSVGzip(t *testing.T) {
	in := "u,v\n1,2\n3,4\n"
	ds, err := ReadCSV(bytes.NewReader(gz(t, in)), "t.csv.gz", CSVOptions{LabelColumn: NoLabel})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ds.X.Data, []float64{1, 2, 3, 4}) || !slices.Equal(ds.Names, []string{"u", "v"}) {
		t.Errorf("gzip: %v %v", ds.X.Data, ds.Names)
	}
	// A corrupt gzip stream is an error that names the file.
	bad := gz(t, strings.Repeat("1,2\n", 1000))
	bad = bad[:len(bad)/2]
	_, err = ReadCSV(bytes.NewReader(bad), "bad.csv.gz", CSVOptions{LabelColumn: NoLabel})
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != "bad.csv.gz" {
		t.Errorf("truncated gzip: err = %v", err)
	}
}

func TestLoadCSVFile(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "p.csv")
	zipped := filepath.Join(dir, "z.dat") // compression is detected, not read from the name
	content := "1,2,1\n3,4,0\n"
	if err := os.WriteFile(plain, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zipped, gz(t, content), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{plain, zipped} {
		ds, err := LoadCSV(path, CSVOptions{LabelColumn: LastColumn})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ds.X.Data, []float64{1, 2, 3, 4}) || !slices.Equal(ds.Labels, []int{1, 0}) || ds.Source != path {
			t.Errorf("%s: X %v labels %v source %q", path, ds.X.Data, ds.Labels, ds.Source)
		}
	}
	if _, err := LoadCSV(filepath.Join(dir, "missing.csv"), CSVOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestReadCSVErrors(t *testing.T) {
	lbl := CSVOptions{LabelColumn: LastColumn}
	none := CSVOptions{LabelColumn: NoLabel}
	cases := []struct {
		name      string
		in        string
		opt       CSVOptions
		line, col int
		msg       string // substring of the message
	}{
		{"not a number", "a,b,c\n1,2,3\n4,5,abc\n", none, 3, 3, `"abc" is not a number`},
		{"NaN", "1,NaN\n", none, 1, 2, `"NaN" is not finite`},
		{"Inf", "1,2\n3,-Inf\n", none, 2, 2, `"-Inf" is not finite`},
		{"overflow", "1,2\n1e400,2\n", none, 2, 1, "out of range"},
		{"empty field", "1,2\n3,\n", none, 2, 2, "empty field"},
		{"ragged short", "1,2,3\n4,5\n", none, 2, 0, "2 fields, want 3 as on line 1"},
		{"ragged long", "h1,h2\n1,2\n\n3,4,5\n", none, 4, 0, "3 fields, want 2 as on line 1"},
		{"empty file", "", none, 0, 0, "empty file"},
		{"blank file", "\n\n", none, 0, 0, "empty file"},
		{"header only", "a,b\n", none, 0, 0, "no data rows"},
		{"label not integer", "1,2,0.5\n", lbl, 1, 3, `label "0.5" is not an integer`},
		{"label not a number", "1,2,x\n", CSVOptions{Header: HeaderNo, LabelColumn: LastColumn}, 1, 3, `"x" is not a number`},
		{"label out of range", "1,2\n", CSVOptions{LabelColumn: 5}, 1, 0, "label column 5"},
		{"only a label", "1\n2\n", lbl, 1, 0, "no feature columns"},
		{"header no", "a,b\n1,2\n", CSVOptions{Header: HeaderNo, LabelColumn: NoLabel}, 1, 1, `"a" is not a number`},
		{"bare quote", "1,2\n3,4\"x\n", none, 2, 0, "bare \""},
		{"bad header mode", "1\n", CSVOptions{Header: 7, LabelColumn: NoLabel}, 0, 0, "header mode"},
		{"bad label column", "1\n", CSVOptions{LabelColumn: -3}, 0, 0, "label column -3"},
		{"line after blank lines", "1,2\n\n\n3,x\n", none, 4, 2, `"x"`},
	}
	for _, c := range cases {
		_, err := ReadCSV(strings.NewReader(c.in), "f.csv", c.opt)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: error %v (%T), want *ParseError", c.name, err, err)
			continue
		}
		if pe.File != "f.csv" || pe.Line != c.line || pe.Column != c.col || !strings.Contains(pe.Msg, c.msg) {
			t.Errorf("%s: got %+v (%q), want line %d column %d message containing %q", c.name, pe, pe.Error(), c.line, c.col, c.msg)
		}
	}
}

func TestParseErrorFormat(t *testing.T) {
	_, err := ReadCSV(strings.NewReader(strings.Repeat("1,2,3\n", 16)+"1,2,abc\n"), "wine.csv", CSVOptions{LabelColumn: NoLabel})
	if err == nil || err.Error() != `wine.csv:17: column 3: "abc" is not a number` {
		t.Errorf("message %q", err)
	}
	for _, c := range []struct {
		e    ParseError
		want string
	}{
		{ParseError{File: "f", Msg: "m"}, "f: m"},
		{ParseError{File: "f", Line: 2, Msg: "m"}, "f:2: m"},
		{ParseError{File: "f", Line: 2, Column: 9, Msg: "m"}, "f:2: column 9: m"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
	// Long fields are shortened in messages.
	long := strings.Repeat("x", 1000)
	_, err = ReadCSV(strings.NewReader("1,"+long+"\n"), "f.csv", CSVOptions{Header: HeaderNo, LabelColumn: NoLabel})
	if err == nil || len(err.Error()) > 120 {
		t.Errorf("long field message: %q", err)
	}
	// An unnamed reader still gets a name.
	_, err = ReadCSV(strings.NewReader(""), "", CSVOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "<input>: ") {
		t.Errorf("unnamed input: %q", err)
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"a,b,c\n1,2,3\n", "1,2\n3,4\n", "\"1\",2\r\n", "1,NaN\n", "x\n", "", "1,2\n3\n",
		"\ufeffa,b\n1,2\n", "1,\"2\n3\",4\n", "1e400,1\n", "0x1p3,1_0\n", "a,\"b\nc\"\n1,2\n",
	} {
		f.Add([]byte(s), int8(0), int8(-2))
	}
	f.Add(gz(f, "1,2,0\n3,4,1\n"), int8(2), int8(-2))
	f.Add([]byte{0x1f, 0x8b, 0, 0}, int8(0), int8(-1))
	f.Fuzz(func(t *testing.T, in []byte, header, label int8) {
		opt := CSVOptions{Header: HeaderMode(header % 4), LabelColumn: int(label % 6)}
		ds, err := ReadCSV(bytes.NewReader(in), "fuzz.csv", opt)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, not *ParseError", err, err)
			}
			if pe.File != "fuzz.csv" || pe.Line < 0 || pe.Column < 0 {
				t.Fatalf("bad error %+v", pe)
			}
			return
		}
		if ds.X.Rows < 1 || ds.X.Cols < 1 || len(ds.X.Data) != ds.X.Rows*ds.X.Cols {
			t.Fatalf("shape %s with %d values", ds.X.Shape(), len(ds.X.Data))
		}
		for _, v := range ds.X.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("non-finite value %v accepted", v)
			}
		}
		if (opt.LabelColumn == NoLabel) != (ds.Labels == nil) || (ds.Labels != nil && len(ds.Labels) != ds.X.Rows) {
			t.Fatalf("%d labels for %d rows (label column %d)", len(ds.Labels), ds.X.Rows, opt.LabelColumn)
		}
		if ds.Names != nil && len(ds.Names) != ds.X.Cols {
			t.Fatalf("%d names for %d columns", len(ds.Names), ds.X.Cols)
		}
	})
}
