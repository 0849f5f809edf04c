package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// npyBytes encodes a float64 or float32 array as numpy.save would.
func npyBytes(descr, shape string, vals []float64) []byte {
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	for _, v := range vals {
		if descr == "<f4" {
			binary.Write(&b, binary.LittleEndian, float32(v))
		} else {
			binary.Write(&b, binary.LittleEndian, v)
		}
	}
	return b.Bytes()
}

func TestReadNPY(t *testing.T) {
	for _, d := range []string{"<f8", "<f4"} {
		x, err := ReadNPY(bytes.NewReader(npyBytes(d, "2, 3", []float64{1, 2, 3, 4, 5, 6.5})), "a.npy")
		if err != nil {
			t.Fatal(err)
		}
		if x.Rows != 2 || x.Cols != 3 || x.Row(1)[2] != 6.5 || x.Row(0)[0] != 1 {
			t.Errorf("%s: %v", d, x.Data)
		}
	}
	x, err := ReadNPY(bytes.NewReader(npyBytes("<f8", "3,", []float64{1, 2, 3})), "v.npy")
	if err != nil || x.Rows != 1 || x.Cols != 3 {
		t.Errorf("1-D: %v %v", x, err)
	}
	good := npyBytes("<f8", "2, 2", []float64{1, 2, 3, 4})
	for _, tc := range []struct {
		b    []byte
		want string
	}{
		{[]byte("hello world"), "magic"},
		{good[:len(good)-3], "truncated data"},
		{append(append([]byte(nil), good...), 0), "bytes after"},
		{npyBytes("<i8", "2,", []float64{1, 2}), "dtype"},
		{npyBytes("<f8", "1, 2, 2", []float64{1, 2, 3, 4}), "1-D or 2-D"},
		{npyBytes("<f8", "1, 2", []float64{1, math.NaN()}), "NaN"},
	} {
		if _, err := ReadNPY(bytes.NewReader(tc.b), "x.npy"); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "x.npy") {
			t.Errorf("want an error naming x.npy with %q, got %v", tc.want, err)
		}
	}
}

// TestLoadNPYMatchesRows: LoadNPY and the streaming reader of OpenRows read
// the same numbers from the same file (more rows than one decoding chunk),
// and refuse ±Inf alike.
func TestLoadNPYMatchesRows(t *testing.T) {
	const n, d = npyChunk + 17, 3
	vals := make([]float64, n*d)
	for i := range vals {
		vals[i] = float64(i)*0.25 - 7
	}
	p := filepath.Join(t.TempDir(), "m.npy")
	os.WriteFile(p, npyBytes("<f4", fmt.Sprintf("%d, %d", n, d), vals), 0o644)
	x, err := LoadNPY(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenRows(p, RowOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, r, 1000)
	r.Close()
	if x.Rows != n || x.Cols != d || len(got) != n*d {
		t.Fatalf("LoadNPY %d×%d, OpenRows %d values", x.Rows, x.Cols, len(got))
	}
	for i := range vals {
		if x.Data[i] != vals[i] || got[i] != vals[i] {
			t.Fatalf("value %d: LoadNPY %v, OpenRows %v, want %v", i, x.Data[i], got[i], vals[i])
		}
	}
	os.WriteFile(p, npyBytes("<f8", "2, 2", []float64{1, 2, math.Inf(-1), 4}), 0o644)
	if _, err := LoadNPY(p); err == nil || !strings.Contains(err.Error(), "row 2, column 1: -Inf is not finite") {
		t.Errorf("-Inf: %v", err)
	}
}
