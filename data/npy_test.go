package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
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
