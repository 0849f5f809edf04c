// Package tensor holds ebm's dense row-major matrices, generic over float32 and
// float64, and the small kernel layer (GEMM, elementwise maps, reductions, fused
// activations) that every arithmetic operation above it goes through.
//
// A batch of points is an n×d Dense: one point per row. Vectors are 1×d or n×1.
// Functions that produce a result take a destination; where the destination is
// nil a new one is allocated, so hot loops can run without allocating.
package tensor

import (
	"fmt"
	"math"

	"github.com/viterin/vek"
	"github.com/viterin/vek/vek32"
)

// Float is the element type constraint: float32 (the fast path) or float64 (the
// reference precision).
type Float interface {
	~float32 | ~float64
}

// Dense is a row-major Rows×Cols matrix. Data holds exactly Rows*Cols elements;
// element (i, j) is Data[i*Cols+j].
type Dense[T Float] struct {
	Rows, Cols int
	Data       []T
}

// New returns a zeroed r×c matrix.
func New[T Float](r, c int) *Dense[T] {
	if r < 0 || c < 0 {
		panic(fmt.Sprintf("tensor: negative shape %d×%d", r, c))
	}
	return &Dense[T]{Rows: r, Cols: c, Data: make([]T, r*c)}
}

// FromSlice wraps data (not copied) as an r×c matrix. It panics if len(data) != r*c.
func FromSlice[T Float](r, c int, data []T) *Dense[T] {
	if r < 0 || c < 0 || len(data) != r*c {
		panic(fmt.Sprintf("tensor: FromSlice %d×%d with %d elements", r, c, len(data)))
	}
	return &Dense[T]{Rows: r, Cols: c, Data: data}
}

// FromRows copies a slice of equal-length rows into a new matrix.
func FromRows[T Float](rows [][]T) (*Dense[T], error) {
	if len(rows) == 0 {
		return New[T](0, 0), nil
	}
	c := len(rows[0])
	m := New[T](len(rows), c)
	for i, r := range rows {
		if len(r) != c {
			return nil, fmt.Errorf("tensor: row %d has %d columns, want %d", i, len(r), c)
		}
		copy(m.Data[i*c:], r)
	}
	return m, nil
}

// Full returns an r×c matrix with every element v.
func Full[T Float](r, c int, v T) *Dense[T] {
	m := New[T](r, c)
	for i := range m.Data {
		m.Data[i] = v
	}
	return m
}

// Scalar returns the 1×1 matrix [v].
func Scalar[T Float](v T) *Dense[T] { return &Dense[T]{Rows: 1, Cols: 1, Data: []T{v}} }

// Len returns Rows*Cols.
func (m *Dense[T]) Len() int { return m.Rows * m.Cols }

// At returns element (i, j).
func (m *Dense[T]) At(i, j int) T { return m.Data[i*m.Cols+j] }

// Set sets element (i, j) to v.
func (m *Dense[T]) Set(i, j int, v T) { m.Data[i*m.Cols+j] = v }

// Row returns row i as a slice that aliases the matrix.
func (m *Dense[T]) Row(i int) []T { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// SameShape reports whether m and o have the same Rows and Cols.
func (m *Dense[T]) SameShape(o *Dense[T]) bool { return m.Rows == o.Rows && m.Cols == o.Cols }

// Shape returns a "r×c" description, for error messages.
func (m *Dense[T]) Shape() string { return fmt.Sprintf("%d×%d", m.Rows, m.Cols) }

// Clone returns a deep copy.
func (m *Dense[T]) Clone() *Dense[T] {
	c := &Dense[T]{Rows: m.Rows, Cols: m.Cols, Data: make([]T, len(m.Data))}
	copy(c.Data, m.Data)
	return c
}

// CopyFrom copies o into m; the shapes must match.
func (m *Dense[T]) CopyFrom(o *Dense[T]) {
	if !m.SameShape(o) {
		panic(fmt.Sprintf("tensor: CopyFrom %s into %s", o.Shape(), m.Shape()))
	}
	copy(m.Data, o.Data)
}

// Zero sets every element to 0.
func (m *Dense[T]) Zero() { clear(m.Data) }

// Fill sets every element to v.
func (m *Dense[T]) Fill(v T) {
	for i := range m.Data {
		m.Data[i] = v
	}
}

// Reuse returns m resized to r×c if its capacity allows (contents undefined), or a
// new matrix otherwise. Reuse(nil, r, c) allocates. It is the building block for
// destination arguments.
func Reuse[T Float](m *Dense[T], r, c int) *Dense[T] {
	if m == nil {
		return New[T](r, c)
	}
	if cap(m.Data) < r*c {
		m.Data = make([]T, r*c)
	}
	m.Rows, m.Cols, m.Data = r, c, m.Data[:r*c]
	return m
}

// T returns the transpose as a new matrix.
func (m *Dense[T]) T() *Dense[T] {
	t := New[T](m.Cols, m.Rows)
	Transpose(t, m)
	return t
}

// Transpose writes the transpose of src into dst (Cols×Rows of src).
func Transpose[T Float](dst, src *Dense[T]) {
	if dst.Rows != src.Cols || dst.Cols != src.Rows {
		panic(fmt.Sprintf("tensor: Transpose %s into %s", src.Shape(), dst.Shape()))
	}
	const bs = 32
	r, c := src.Rows, src.Cols
	for i0 := 0; i0 < r; i0 += bs {
		i1 := min(i0+bs, r)
		for j0 := 0; j0 < c; j0 += bs {
			j1 := min(j0+bs, c)
			for i := i0; i < i1; i++ {
				row := src.Data[i*c:]
				for j := j0; j < j1; j++ {
					dst.Data[j*r+i] = row[j]
				}
			}
		}
	}
}

// Convert copies src into dst, converting the element type; dst may be nil.
func Convert[D, S Float](dst *Dense[D], src *Dense[S]) *Dense[D] {
	dst = Reuse(dst, src.Rows, src.Cols)
	for i, v := range src.Data {
		dst.Data[i] = D(v)
	}
	return dst
}

// HasNaNInf returns the index of the first NaN or ±Inf element, or -1.
func (m *Dense[T]) HasNaNInf() int {
	// A block's sum is finite when all its elements are (a huge finite block
	// can overflow: then the scan below decides).
	const blk = 4096
	clean := true
	switch d := any(m.Data).(type) {
	case []float32:
		for lo := 0; lo < len(d) && clean; lo += blk {
			s := vek32.Sum(d[lo:min(lo+blk, len(d))])
			clean = s-s == 0
		}
	case []float64:
		for lo := 0; lo < len(d) && clean; lo += blk {
			s := vek.Sum(d[lo:min(lo+blk, len(d))])
			clean = s-s == 0
		}
	}
	if clean {
		return -1
	}
	for i, v := range m.Data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return i
		}
	}
	return -1
}

// String formats small matrices for debugging.
func (m *Dense[T]) String() string {
	s := fmt.Sprintf("Dense %s [", m.Shape())
	for i := 0; i < m.Rows; i++ {
		if i > 0 {
			s += "; "
		}
		if i >= 8 {
			s += "…"
			break
		}
		for j := 0; j < m.Cols; j++ {
			if j >= 8 {
				s += " …"
				break
			}
			if j > 0 {
				s += " "
			}
			s += fmt.Sprintf("%.4g", float64(m.At(i, j)))
		}
	}
	return s + "]"
}

// SumSquares returns Σ x² accumulated in float64 from SIMD partial sums over
// blocks of 1024 elements.
func SumSquares[T Float](x []T) float64 {
	const blk = 1024
	s := 0.0
	switch d := any(x).(type) {
	case []float32:
		for lo := 0; lo < len(d); lo += blk {
			b := d[lo:min(lo+blk, len(d))]
			s += float64(vek32.Dot(b, b))
		}
	case []float64:
		for lo := 0; lo < len(d); lo += blk {
			b := d[lo:min(lo+blk, len(d))]
			s += vek.Dot(b, b)
		}
	}
	return s
}
