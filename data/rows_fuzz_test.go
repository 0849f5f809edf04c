package data

import (
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

// FuzzCSVRows: the streaming CSV reader never panics; it either returns
// finite rows of the declared width or a *ParseError; and when it succeeds it
// reads the same numbers as ReadCSV.
func FuzzCSVRows(f *testing.F) {
	for _, s := range []string{"1,2\n3,4\n", "a,b\n1,2\n", "1,2\n3\n", "x\n", "", "1,NaN\n", "\"1\",2\n", "1e400,2\n", "a,b,c\n1,2,3\n4,5,6\n"} {
		f.Add(s, 3, "")
		f.Add(s, 1, "last")
	}
	f.Fuzz(func(t *testing.T, s string, n int, label string) {
		if n < 1 || n > 100 {
			n = 1 + (n%100+100)%100
		}
		opt := RowOptions{Label: label}
		r, err := NewCSVRows(strings.NewReader(s), "f.csv", opt)
		var vals []float64
		if err == nil {
			for {
				b, e := r.Next(n)
				if e == io.EOF {
					break
				}
				if e != nil {
					err = e
					break
				}
				if b.X.Cols != r.Cols() || b.X.Rows < 1 || b.X.Rows > n {
					t.Fatalf("batch %s for Cols %d, n %d", b.X.Shape(), r.Cols(), n)
				}
				for _, v := range b.X.Data {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("non-finite value %v returned", v)
					}
				}
				vals = append(vals, b.X.Data...)
			}
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "f.csv" {
				t.Fatalf("error %v is not a ParseError naming the file", err)
			}
			return
		}
		if label != "" {
			return
		}
		ds, err := ReadCSV(strings.NewReader(s), "f.csv", CSVOptions{LabelColumn: NoLabel})
		if err != nil {
			t.Fatalf("streamed fine but ReadCSV fails: %v", err)
		}
		if !slicesEqual(vals, ds.X.Data) {
			t.Fatalf("streamed %v, ReadCSV %v", vals, ds.X.Data)
		}
	})
}
