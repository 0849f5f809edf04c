package data

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/ebm-go/ebm/tensor"
)

var (
	npyDescr   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	npyFortran = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	npyShape   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// LoadNPY reads a NumPy .npy file holding a 1-D or 2-D array of
// little-endian float64 ('<f8') or float32 ('<f4') in C order: an n×d matrix
// is n points of dimension d, a 1-D array of length d one point. It checks
// the header, the shape and the data length (a truncated file or trailing
// bytes are errors naming the file) before it trusts a byte, and refuses NaN.
func LoadNPY(path string) (*tensor.Dense[float64], error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadNPY(bufio.NewReader(f), path)
}

// ReadNPY reads .npy data from r (see LoadNPY); name labels error messages.
func ReadNPY(r io.Reader, name string) (*tensor.Dense[float64], error) {
	bad := func(format string, a ...any) error {
		return &ParseError{File: name, Msg: fmt.Sprintf(format, a...)}
	}
	var magic [8]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil || string(magic[:6]) != "\x93NUMPY" {
		return nil, bad("not a .npy file (no \\x93NUMPY magic)")
	}
	var hlen int
	switch magic[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, bad("truncated header")
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, bad("truncated header")
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, bad("unsupported .npy version %d.%d", magic[6], magic[7])
	}
	if hlen > 1<<20 {
		return nil, bad("header of %d bytes is too long", hlen)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, bad("truncated header")
	}
	h := string(hb)
	dm, fm, sm := npyDescr.FindStringSubmatch(h), npyFortran.FindStringSubmatch(h), npyShape.FindStringSubmatch(h)
	if dm == nil || fm == nil || sm == nil {
		return nil, bad("header %q lacks descr, fortran_order or shape", strings.TrimSpace(h))
	}
	size := 0
	switch dm[1] {
	case "<f8":
		size = 8
	case "<f4":
		size = 4
	default:
		return nil, bad("dtype %q is not supported (little-endian float64 <f8 or float32 <f4)", dm[1])
	}
	if fm[1] == "True" {
		return nil, bad("Fortran-order arrays are not supported (save with numpy.ascontiguousarray)")
	}
	var shape []int
	for _, s := range strings.Split(sm[1], ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, bad("shape (%s) is not a list of sizes", sm[1])
		}
		shape = append(shape, n)
	}
	var rows, cols int
	switch len(shape) {
	case 1:
		rows, cols = 1, shape[0]
	case 2:
		rows, cols = shape[0], shape[1]
	default:
		return nil, bad("shape (%s): want a 1-D or 2-D array", sm[1])
	}
	if rows < 1 || cols < 1 {
		return nil, bad("shape (%s) is empty", sm[1])
	}
	if err := tensor.CheckAlloc(name, rows, cols); err != nil {
		return nil, err
	}
	x := tensor.New[float64](rows, cols)
	buf := make([]byte, size*cols)
	for i := 0; i < rows; i++ {
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, bad("truncated data: %d rows of %d declared", i, rows)
		}
		row := x.Row(i)
		for j := range row {
			var v float64
			if size == 8 {
				v = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*j:]))
			} else {
				v = float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[4*j:])))
			}
			if math.IsNaN(v) {
				return nil, bad("row %d, column %d is NaN", i+1, j+1)
			}
			row[j] = v
		}
	}
	if n, _ := io.ReadFull(r, buf[:1]); n != 0 {
		return nil, bad("bytes after the %d×%d array", rows, cols)
	}
	return x, nil
}
