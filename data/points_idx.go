package data

import (
	"fmt"
	"os"
	"strings"

	"github.com/ebm-go/ebm/tensor"
)

// idxPointsHeld is the number of leading rows of an IDX image file that
// LoadPoints exposes as Points.Test and Points.Sample.
const idxPointsHeld = 10000

// loadIDXPoints reads "idx:PATH" (MNIST-style IDX images, plain or .gz) as
// real vectors with pixels scaled to [0,1] (pixel/255), one image per row.
// Test and Sample are views of the first min(rows, 10,000) rows (a file has
// no held-out part: pass the test images as a second source for held-out
// figures).
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
	// Straight from the bytes: no float32 copy of the whole file at the peak.
	x := tensor.New[float64](m.Dims[0], m.Dims[1]*m.Dims[2])
	for i, v := range m.Data {
		x.Data[i] = float64(v) / 255
	}
	h := min(x.Rows, idxPointsHeld)
	head := tensor.FromSlice(h, x.Cols, x.Data[:h*x.Cols:h*x.Cols])
	return &Points{Name: name, Dim: x.Cols, X: x, Test: head, Sample: head}, nil
}
