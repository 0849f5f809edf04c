package data

import (
	"fmt"
	"os"
	"strings"
)

// idxPointsHeld is the number of leading rows of an IDX image file that
// LoadPoints exposes as Points.Test and Points.Sample.
const idxPointsHeld = 10000

// loadIDXPoints reads "idx:PATH" (MNIST-style IDX images, plain or .gz) as
// real vectors with pixels scaled to [0,1] (pixel/255), one image per row,
// kept as bytes (Points.Bytes; X is nil). Test and Sample are one float64
// copy of the first min(rows, 10,000) rows (a file has no held-out part:
// pass the test images as a second source for held-out figures).
func loadIDXPoints(name string) (*Points, error) {
	path := strings.TrimPrefix(name, "idx:")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := decodeIDX(f, path, IDXImagesMagic, -1)
	if err != nil {
		return nil, err
	}
	if m.Dims[0] < 2 {
		return nil, &ParseError{File: path, Msg: fmt.Sprintf("need at least 2 images, got %d", m.Dims[0])}
	}
	b, err := NewByteRows(m.Dims[0], m.Dims[1]*m.Dims[2], m.Data, 255)
	if err != nil {
		return nil, &ParseError{File: path, Msg: err.Error()}
	}
	head := b.Dense(0, min(b.N, idxPointsHeld))
	return &Points{Name: name, Dim: b.D, Bytes: b, Test: head, Sample: head}, nil
}
