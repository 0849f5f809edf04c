package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ebm-go/ebm/tensor"
)

// IDX is the content of an IDX file, the format of MNIST and Fashion-MNIST:
// Dims are the dimensions from the header (for example [60000 28 28] for MNIST
// training images, [60000] for its labels) and Data the unsigned bytes in
// row-major order, len(Data) = the product of Dims.
type IDX struct {
	Dims []int
	Data []uint8
}

// Magic numbers of the unsigned-byte IDX files that this package reads: the
// first two bytes are zero, the third is the data type (0x08, unsigned byte)
// and the fourth the number of dimensions.
const (
	IDXImagesMagic = 0x00000803 // 3-D unsigned bytes: n × rows × cols images
	IDXLabelsMagic = 0x00000801 // 1-D unsigned bytes: n labels
)

const (
	idxMaxDims  = 8
	idxMaxBytes = 1 << 34 // refuse headers that declare more than 16 GiB
)

// ReadIDX reads the IDX file at path, plain or gzip-compressed (detected from the
// magic bytes 0x1f 0x8b). It accepts unsigned-byte data (type 0x08) with 1 to 8
// dimensions, and checks that the data that follows the header has exactly the
// length the dimensions declare: a truncated file, or one with bytes after the
// data, is an error that names the file and both lengths.
func ReadIDX(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeIDX(f, path, 0, -1)
}

// DecodeIDX reads IDX data from r as [ReadIDX] does; name identifies the input
// in error messages.
func DecodeIDX(r io.Reader, name string) (*IDX, error) {
	return decodeIDX(r, name, 0, -1)
}

// LoadMNISTImages reads an IDX image file (magic 0x00000803: n × rows × cols
// unsigned bytes, as MNIST and Fashion-MNIST) into an n×(rows·cols) matrix, one
// image per row in row-major pixel order, scaled to [0, 1] by v/255. For MNIST
// that is n×784. With limit > 0 only the first min(limit, n) images are kept
// (the rest of the file is still read and its length checked, without being
// stored); limit ≤ 0 keeps all.
func LoadMNISTImages(path string, limit int) (*tensor.Dense[float32], error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	keep := -1
	if limit > 0 {
		keep = limit
	}
	m, err := decodeIDX(f, path, IDXImagesMagic, keep)
	if err != nil {
		return nil, err
	}
	d := m.Dims[1] * m.Dims[2]
	x := tensor.New[float32](m.Dims[0], d)
	for i, v := range m.Data {
		x.Data[i] = float32(v) / 255
	}
	return x, nil
}

// LoadIDXLabels reads an IDX label file (magic 0x00000801: n unsigned bytes, as
// MNIST's label files) and returns the labels as ints.
func LoadIDXLabels(path string) ([]int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := decodeIDX(f, path, IDXLabelsMagic, -1)
	if err != nil {
		return nil, err
	}
	labels := make([]int, len(m.Data))
	for i, v := range m.Data {
		labels[i] = int(v)
	}
	return labels, nil
}

// decodeIDX reads IDX data. If want is not zero the magic number must equal it.
// If keep ≥ 0, only the first keep items along the first dimension are stored
// (Dims[0] is reduced to match); the rest is read and counted, not stored.
func decodeIDX(r io.Reader, name string, want uint32, keep int) (*IDX, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		src = zr
	}
	var head [4]byte
	if n, err := io.ReadFull(src, head[:]); err != nil {
		return nil, idxReadErr(name, err, "file too short for an IDX header: %d of 4 magic bytes", n)
	}
	magic := binary.BigEndian.Uint32(head[:])
	switch {
	case head[0] != 0 || head[1] != 0:
		return nil, fmt.Errorf("%s: bad magic number 0x%08x: not an IDX file", name, magic)
	case head[2] != 0x08:
		return nil, fmt.Errorf("%s: IDX data type 0x%02x not supported (only 0x08, unsigned byte)", name, head[2])
	case head[3] == 0 || head[3] > idxMaxDims:
		return nil, fmt.Errorf("%s: IDX header declares %d dimensions (want 1 to %d)", name, head[3], idxMaxDims)
	case want != 0 && magic != want:
		return nil, fmt.Errorf("%s: magic number 0x%08x, want 0x%08x (%d dimensions)", name, magic, want, want&0xff)
	}
	nd := int(head[3])
	dimBytes := make([]byte, 4*nd)
	if n, err := io.ReadFull(src, dimBytes); err != nil {
		return nil, idxReadErr(name, err, "file too short for the IDX header: %d of %d dimension bytes", n, 4*nd)
	}
	dims := make([]int, nd)
	total := int64(1)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(dimBytes[4*i:]))
		// Checked before multiplying: a product of several large dimensions
		// would overflow int64.
		if dims[i] > 0 && total > idxMaxBytes/int64(dims[i]) {
			return nil, fmt.Errorf("%s: IDX dimensions %v declare more than %d bytes", name, dims[:i+1], int64(idxMaxBytes))
		}
		total *= int64(dims[i])
	}
	headerLen := 4 + 4*nd
	stored := total
	if keep >= 0 && keep < dims[0] {
		stored = total / int64(dims[0]) * int64(keep) // dims[0] > 0 here
	}
	var buf bytes.Buffer
	buf.Grow(int(min(stored, 1<<26))) // grows further as data arrives, never beyond what the file holds
	got, err := buf.ReadFrom(io.LimitReader(src, stored))
	var rest int64
	if err == nil {
		rest, err = io.Copy(io.Discard, src) // counts the data not stored, and reaches EOF so gzip checks its CRC
	}
	if errors.Is(err, io.ErrUnexpectedEOF) { // a gzip stream cut short
		return nil, fmt.Errorf("%s: truncated: IDX dimensions %v declare %d data bytes after the %d-byte header, the compressed stream ends after %d",
			name, dims, total, headerLen, got+rest)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: reading IDX data: %w", name, err)
	}
	if got+rest != total {
		what := "truncated"
		if got+rest > total {
			what = "trailing data"
		}
		return nil, fmt.Errorf("%s: %s: IDX dimensions %v declare %d data bytes after the %d-byte header, found %d",
			name, what, dims, total, headerLen, got+rest)
	}
	if stored != total {
		dims[0] = keep
	}
	return &IDX{Dims: dims, Data: buf.Bytes()}, nil
}

// idxReadErr formats a read failure; a premature end of input is reported as a
// truncated file.
func idxReadErr(name string, err error, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: truncated: %s", name, msg)
	}
	return fmt.Errorf("%s: %s: %w", name, msg, err)
}
