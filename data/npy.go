package data

import (
	"fmt"
	"io"
	"math"
	"os"

	"github.com/ebm-go/ebm/tensor"
)

// LoadNPY reads a whole NumPy .npy file holding a 1-D or 2-D array of
// float64 ('f8') or float32 ('f4') in C order, either byte order: an n×d
// matrix is n points of dimension d, a 1-D array of length d one point (where
// [OpenRows] reads it as d rows of one column). It is a wrapper over the
// streaming .npy reader of [OpenRows], so both accept and refuse the same
// files: the header, the shape and the data length (a truncated file or
// trailing bytes are errors naming the file) are checked before a byte is
// trusted, and NaN or ±Inf is an error naming its row and column.
func LoadNPY(path string) (*tensor.Dense[float64], error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadNPY(f, path)
}

// npyChunk is the number of rows ReadNPY decodes at a time.
const npyChunk = 4096

// ReadNPY reads .npy data from r (see LoadNPY); name labels error messages.
func ReadNPY(r io.Reader, name string) (*tensor.Dense[float64], error) {
	if name == "" {
		name = "<input>"
	}
	b, err := newNPYRows(r, name)
	if err != nil {
		return nil, err
	}
	rows, cols := b.rows, b.cols
	if b.oneD {
		rows, cols = 1, int(b.rows)
	}
	if rows > math.MaxInt32 {
		return nil, &ParseError{File: name, Msg: fmt.Sprintf(".npy array of %d rows is too large", rows)}
	}
	if err := tensor.CheckAlloc(name, int(rows), cols); err != nil {
		return nil, err
	}
	x := tensor.New[float64](int(rows), cols)
	off := 0
	for {
		bt, err := b.Next(npyChunk)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		off += copy(x.Data[off:], bt.X.Data[:bt.X.Rows*bt.X.Cols])
	}
	return x, nil
}
