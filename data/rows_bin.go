package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/sbinet/npyio"
)

// npyMaxHeader bounds the header length a .npy file may declare (numpy
// itself writes a few hundred bytes).
const npyMaxHeader = 1 << 16

// binRows streams fixed-width binary rows (NumPy or IDX): rows×cols values of
// size bytes each, decoded by conv.
type binRows struct {
	name  string
	f     *os.File
	src   io.Reader
	rows  int64 // total rows declared by the header
	cols  int
	size  int
	conv  func([]byte, []float64)
	check bool // values may be non-finite (floats)
	next  int64
	raw   []byte
	buf   batchBuf
	gz    *gzip.Reader
	oneD  bool // a 1-D .npy array (read as one column)
}

func (b *binRows) Cols() int       { return b.cols }
func (b *binRows) Names() []string { return nil }
func (b *binRows) HasLabels() bool { return false }
func (b *binRows) Close() error    { return b.f.Close() }

func (b *binRows) Next(n int) (*Batch, error) {
	if n < 1 {
		return nil, fmt.Errorf("data: Next(%d): need at least one row", n)
	}
	if b.next >= b.rows {
		if b.next == b.rows {
			// Trailing bytes mean the header lied about the shape.
			var one [1]byte
			if k, _ := io.ReadFull(b.src, one[:]); k > 0 {
				b.next = b.rows + 1
				return nil, &ParseError{File: b.name, Msg: fmt.Sprintf("trailing data: bytes after the %d rows the header declares", b.rows)}
			}
			b.next = b.rows + 1
		}
		return nil, io.EOF
	}
	k := int(min(int64(n), b.rows-b.next))
	nb := k * b.cols * b.size
	if cap(b.raw) < nb {
		b.raw = make([]byte, nb)
	}
	raw := b.raw[:nb]
	if got, err := io.ReadFull(b.src, raw); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &ParseError{File: b.name, Msg: fmt.Sprintf("truncated data: the header declares %d rows of %d values, the data ends in row %d",
				b.rows, b.cols, b.next+int64(got/(b.cols*b.size))+1)}
		}
		return nil, &ParseError{File: b.name, Msg: err.Error(), Err: err}
	}
	b.buf.reset(k, b.cols, b.next)
	b.buf.vals = b.buf.vals[:k*b.cols]
	b.conv(raw, b.buf.vals)
	if b.check {
		if err := checkFinite(b.name, b.buf.vals, b.cols, b.next); err != nil {
			return nil, err
		}
	}
	b.next += int64(k)
	return b.buf.finish(b.cols, false), nil
}

// openNPYRows opens a NumPy .npy file of a 1-D or 2-D float32 or float64
// array in C order.
func openNPYRows(path string) (*binRows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	b, err := newNPYRows(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	b.f = f
	return b, nil
}

func newNPYRows(r io.Reader, name string) (*binRows, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	// Check the magic and the declared header length before npyio allocates
	// a buffer of that length.
	pre, err := br.Peek(12)
	if err != nil || string(pre[:6]) != string(npyio.Magic[:]) {
		return nil, &ParseError{File: name, Msg: "not a NumPy .npy file (bad magic bytes)"}
	}
	hl := int(binary.LittleEndian.Uint16(pre[8:10]))
	if pre[6] >= 2 {
		hl = int(binary.LittleEndian.Uint32(pre[8:12]))
	}
	if hl > npyMaxHeader {
		return nil, &ParseError{File: name, Msg: fmt.Sprintf(".npy header of %d bytes (at most %d accepted)", hl, npyMaxHeader)}
	}
	nr, err := npyio.NewReader(br)
	if err != nil {
		return nil, &ParseError{File: name, Msg: fmt.Sprintf(".npy header: %v", err), Err: err}
	}
	h := nr.Header.Descr
	if h.Fortran {
		return nil, &ParseError{File: name, Msg: ".npy array in Fortran (column-major) order; save it in C order (numpy.ascontiguousarray)"}
	}
	b := &binRows{name: name, src: br, check: true}
	switch len(h.Shape) {
	case 1:
		b.rows, b.cols, b.oneD = int64(h.Shape[0]), 1, true
	case 2:
		b.rows, b.cols = int64(h.Shape[0]), h.Shape[1]
	default:
		return nil, &ParseError{File: name, Msg: fmt.Sprintf(".npy array of shape %v: want 1 or 2 dimensions (a 1-D or 2-D array: rows × columns)", h.Shape)}
	}
	if b.rows <= 0 || b.cols <= 0 {
		return nil, &ParseError{File: name, Msg: fmt.Sprintf("empty .npy array of shape %v: no data rows", h.Shape)}
	}
	if b.cols > 1<<24 {
		return nil, &ParseError{File: name, Msg: fmt.Sprintf(".npy array of shape %v: too many columns", h.Shape)}
	}
	var order binary.ByteOrder = binary.LittleEndian
	t := h.Type
	if len(t) == 3 {
		switch t[0] {
		case '>':
			order = binary.BigEndian
		case '<', '=', '|':
		default:
			t = "?"
		}
		t = t[1:]
	}
	switch t {
	case "f8":
		b.size = 8
		b.conv = func(raw []byte, dst []float64) {
			for i := range dst {
				dst[i] = math.Float64frombits(order.Uint64(raw[8*i:]))
			}
		}
	case "f4":
		b.size = 4
		b.conv = func(raw []byte, dst []float64) {
			for i := range dst {
				dst[i] = float64(math.Float32frombits(order.Uint32(raw[4*i:])))
			}
		}
	default:
		return nil, &ParseError{File: name, Msg: fmt.Sprintf(".npy dtype %q not supported (want float32 or float64)", h.Type)}
	}
	return b, nil
}

// openIDXRows opens an IDX file (plain or gzip-compressed) of unsigned bytes.
func openIDXRows(path string) (*binRows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	b, err := newIDXRows(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	b.f = f
	return b, nil
}

func newIDXRows(r io.Reader, name string) (*binRows, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	b := &binRows{name: name, size: 1}
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &ParseError{File: name, Msg: "gzip: " + err.Error(), Err: err}
		}
		b.gz = zr
		src = bufio.NewReaderSize(zr, 1<<16)
	}
	b.src = src
	var head [4]byte
	if _, err := io.ReadFull(src, head[:]); err != nil {
		return nil, &ParseError{File: name, Msg: "truncated: file too short for an IDX header"}
	}
	switch {
	case head[0] != 0 || head[1] != 0:
		return nil, &ParseError{File: name, Msg: fmt.Sprintf("bad magic number 0x%08x: not an IDX file", binary.BigEndian.Uint32(head[:]))}
	case head[2] != 0x08:
		return nil, &ParseError{File: name, Msg: fmt.Sprintf("IDX data type 0x%02x not supported (only 0x08, unsigned byte)", head[2])}
	case head[3] == 0 || head[3] > idxMaxDims:
		return nil, &ParseError{File: name, Msg: fmt.Sprintf("IDX header declares %d dimensions (want 1 to %d)", head[3], idxMaxDims)}
	}
	nd := int(head[3])
	dimBytes := make([]byte, 4*nd)
	if _, err := io.ReadFull(src, dimBytes); err != nil {
		return nil, &ParseError{File: name, Msg: "truncated: file too short for the IDX header"}
	}
	dims := make([]int64, nd)
	cols := int64(1)
	for i := range dims {
		dims[i] = int64(binary.BigEndian.Uint32(dimBytes[4*i:]))
		if i > 0 {
			cols *= dims[i]
			if cols > 1<<24 {
				return nil, &ParseError{File: name, Msg: fmt.Sprintf("IDX dimensions %v: rows of more than %d values", dims[:i+1], 1<<24)}
			}
		}
	}
	b.rows, b.cols = dims[0], int(cols)
	if b.rows == 0 || b.cols == 0 {
		return nil, &ParseError{File: name, Msg: fmt.Sprintf("IDX dimensions %v: no data", dims)}
	}
	if nd == 1 {
		b.conv = func(raw []byte, dst []float64) {
			for i := range dst {
				dst[i] = float64(raw[i])
			}
		}
	} else {
		b.conv = func(raw []byte, dst []float64) {
			for i := range dst {
				dst[i] = float64(raw[i]) / 255
			}
		}
	}
	return b, nil
}
