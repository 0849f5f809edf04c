package data

import (
	"fmt"
	"math"

	"github.com/ebm-go/ebm/tensor"
)

// ByteRows holds N points of dimension D as bytes: coordinate j of row i is
// Data[i·D+j]/Div. MNIST-style images (Div 255) take an eighth of the memory
// of float64 rows, so a training run over a file of images keeps the file as
// bytes and converts only each batch.
type ByteRows struct {
	N, D int
	Data []byte
	Div  float64

	lut    *[256]float64 // float64(v)/lutDiv for every byte v
	lutDiv float64
}

// NewByteRows returns the rows of data (n·d bytes, row after row) scaled by
// 1/div. It fails on a size that does not match or a div that is not a
// finite non-zero number.
func NewByteRows(n, d int, data []byte, div float64) (*ByteRows, error) {
	if n < 0 || d < 0 || len(data) != n*d {
		return nil, fmt.Errorf("data: %d bytes for %d rows of %d", len(data), n, d)
	}
	if div == 0 || math.IsNaN(div) || math.IsInf(div, 0) {
		return nil, fmt.Errorf("data: byte rows divisor %v is not a finite non-zero number", div)
	}
	var t [256]float64
	for v := range t {
		t[v] = float64(v) / div
	}
	return &ByteRows{N: n, D: d, Data: data, Div: div, lut: &t, lutDiv: div}, nil
}

// Row writes row i as float64 values into dst (length D).
func (b *ByteRows) Row(i int, dst []float64) {
	src := b.Data[i*b.D : (i+1)*b.D]
	dst = dst[:len(src)]
	if t := b.lut; t != nil && b.lutDiv == b.Div {
		for j, v := range src {
			dst[j] = t[v] // float64(v) / Div, computed once
		}
		return
	}
	for j, v := range src {
		dst[j] = float64(v) / b.Div
	}
}

// Dense returns rows lo ≤ i < hi as a new float64 matrix.
func (b *ByteRows) Dense(lo, hi int) *tensor.Dense[float64] {
	x := tensor.New[float64](hi-lo, b.D)
	for i := lo; i < hi; i++ {
		b.Row(i, x.Row(i-lo))
	}
	return x
}
