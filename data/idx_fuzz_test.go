package data

import (
	"bytes"
	"compress/gzip"
	"testing"
)

// FuzzDecodeIDX feeds arbitrary bytes to the IDX reader: no panic, and an
// accepted file has data of exactly the declared length.
func FuzzDecodeIDX(f *testing.F) {
	labels := []byte{0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1}
	images := append([]byte{0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2}, 1, 2, 3, 4)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(images)
	zw.Close()
	for _, b := range [][]byte{labels, images, gz.Bytes(), {0, 0, 8, 9}, {0, 0, 8, 1, 255, 255, 255, 255}, {0, 0, 8}, {0x1f, 0x8b}} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeIDX(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		n := 1
		for _, d := range m.Dims {
			n *= d
		}
		if n != len(m.Data) || len(m.Dims) < 1 || len(m.Dims) > idxMaxDims {
			t.Fatalf("dims %v with %d bytes", m.Dims, len(m.Data))
		}
	})
}
