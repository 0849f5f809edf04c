package tensor

import (
	"fmt"

	"github.com/viterin/vek/vek32"
)

// BinaryRows holds a batch of 0/1 rows as the column indices of their ones
// (compressed sparse rows without values): row r is Idx[Ptr[r]:Ptr[r+1]].
// Products with such a batch are sums of selected rows of the other operand,
// exact and much cheaper than dense products when few entries are one (about
// 13% of binarized MNIST pixels, half of a hidden layer's units).
type BinaryRows struct {
	Idx []int32
	Ptr []int32
}

// Reset empties o, keeping its capacity.
func (o *BinaryRows) Reset() {
	o.Idx = o.Idx[:0]
	o.Ptr = append(o.Ptr[:0], 0)
}

// Rows returns the number of rows.
func (o *BinaryRows) Rows() int { return max(len(o.Ptr)-1, 0) }

// Row returns the column indices of the ones of row r.
func (o *BinaryRows) Row(r int) []int32 { return o.Idx[o.Ptr[r]:o.Ptr[r+1]] }

// NNZ returns the number of ones.
func (o *BinaryRows) NNZ() int { return len(o.Idx) }

// FromDense fills o from x and reports whether x is binary (every entry 0 or
// 1); when it is not, o is left in an unspecified state.
func (o *BinaryRows) FromDense(x *Dense[float32]) bool {
	o.Reset()
	for r := 0; r < x.Rows; r++ {
		for k, v := range x.Row(r) {
			if v != 0 {
				if v != 1 {
					return false
				}
				o.Idx = append(o.Idx, int32(k))
			}
		}
		o.Ptr = append(o.Ptr, int32(len(o.Idx)))
	}
	return true
}

// AppendRow appends row r of src to o.
func (o *BinaryRows) AppendRow(src *BinaryRows, r int) {
	o.Idx = append(o.Idx, src.Row(r)...)
	o.Ptr = append(o.Ptr, int32(len(o.Idx)))
}

// AppendRows appends every row of src to o.
func (o *BinaryRows) AppendRows(src *BinaryRows) {
	base := int32(len(o.Idx))
	o.Idx = append(o.Idx, src.Idx...)
	for _, p := range src.Ptr[1:] {
		o.Ptr = append(o.Ptr, base+p)
	}
}

// AppendEmpty appends n rows without ones (n all-zero rows).
func (o *BinaryRows) AppendEmpty(n int) {
	for range n {
		o.Ptr = append(o.Ptr, int32(len(o.Idx)))
	}
}

// SparseKernel computes float32 products with a binary operand given as
// BinaryRows, split over the cores by ParallelRows:
//
//	Mul:   dst = 1·biasᵀ + X·M        (X n×K binary, M K×N: row i of dst is
//	                                 bias plus the rows of M at the ones of X_i)
//	TMul:  dst = Xᵀ·Y  or  dst += Xᵀ·Y  (X n×K binary, Y n×N: row k of dst is
//	                                 the sum of the rows Y_i with X_ik = 1)
//
// The row sums use vek's SIMD adds. TMul with overwrite copies the first row
// it adds into each row of dst and clears only the rows no one of X selects,
// so there is no separate zeroing pass. A SparseKernel holds the state of its
// parallel jobs, so steady-state calls do not allocate; the zero value is
// ready to use, and one value must not be used by two goroutines at once.
type SparseKernel struct {
	dst   *Dense[float32]
	bias  []float32
	m     *Dense[float32]
	x     *BinaryRows
	add   bool
	stamp []uint32 // TMul: stamp[k] == gen when row k of dst is selected by a one
	first []bool   // TMul: first[p] when entry p is the first one of its column
	gen   uint32
	tmul  bool
}

// Mul sets dst = bias + X·m (bias may be nil for zero; dst is X.Rows()×m.Cols).
func (s *SparseKernel) Mul(dst *Dense[float32], bias []float32, x *BinaryRows, m *Dense[float32]) {
	n := x.Rows()
	if dst.Rows != n || dst.Cols != m.Cols || (bias != nil && len(bias) != m.Cols) {
		panic(fmt.Sprintf("tensor: SparseKernel.Mul %d binary rows · %s → %s", n, m.Shape(), dst.Shape()))
	}
	s.dst, s.bias, s.x, s.m, s.tmul = dst, bias, x, m, false
	work := m.Cols * (x.NNZ()/max(n, 1) + 1)
	ParallelRows(s, n, GrainFor(work))
	s.dst, s.bias, s.x, s.m = nil, nil, nil, nil
}

// TMul sets dst = Xᵀ·y, or adds Xᵀ·y into dst when add is true (dst is K×y.Cols
// for the K columns of X; every index of X must be < K).
func (s *SparseKernel) TMul(dst *Dense[float32], x *BinaryRows, y *Dense[float32], add bool) {
	if x.Rows() != y.Rows {
		panic(fmt.Sprintf("tensor: SparseKernel.TMul %d binary rows against %s", x.Rows(), y.Shape()))
	}
	if dst.Cols != y.Cols {
		panic(fmt.Sprintf("tensor: SparseKernel.TMul into %s from %s", dst.Shape(), y.Shape()))
	}
	s.dst, s.m, s.x, s.add, s.tmul = dst, y, x, add, true
	if !add {
		// Mark the first one of every selected row of dst, serially (a pass
		// over the indices only).
		if len(s.stamp) < dst.Rows {
			s.stamp = make([]uint32, dst.Rows)
			s.gen = 0
		}
		s.gen++
		if s.gen == 0 {
			clear(s.stamp)
			s.gen = 1
		}
		if cap(s.first) < x.NNZ() {
			s.first = make([]bool, x.NNZ())
		}
		s.first = s.first[:x.NNZ()]
		for p, k := range x.Idx {
			s.first[p] = s.stamp[k] != s.gen
			s.stamp[k] = s.gen
		}
	}
	// Split over the columns of dst, in chunks that keep a useful length.
	ParallelRows(s, dst.Cols, max(64, (1<<15)/(x.NNZ()+1)))
	s.dst, s.m, s.x = nil, nil, nil
}

// Run is the parallel body (RowJob): rows [lo, hi) of dst for Mul, columns
// [lo, hi) of dst for TMul.
func (s *SparseKernel) Run(lo, hi int) {
	if s.tmul {
		s.runT(lo, hi)
		return
	}
	n := s.m.Cols
	md := s.m.Data
	for r := lo; r < hi; r++ {
		d := s.dst.Data[r*n : (r+1)*n]
		if s.bias != nil {
			copy(d, s.bias)
		} else {
			clear(d)
		}
		for _, k := range s.x.Row(r) {
			vek32.Add_Inplace(d, md[int(k)*n:int(k)*n+n])
		}
	}
}

func (s *SparseKernel) runT(lo, hi int) {
	n := s.dst.Cols
	ad, yd := s.dst.Data, s.m.Data
	if !s.add {
		for k := 0; k < s.dst.Rows; k++ {
			if s.stamp[k] != s.gen {
				clear(ad[k*n+lo : k*n+hi])
			}
		}
	}
	x := s.x
	for b := 0; b < x.Rows(); b++ {
		yr := yd[b*n+lo : b*n+hi]
		for p := x.Ptr[b]; p < x.Ptr[b+1]; p++ {
			off := int(x.Idx[p]) * n
			if !s.add && s.first[p] {
				copy(ad[off+lo:off+hi], yr)
			} else {
				vek32.Add_Inplace(ad[off+lo:off+hi], yr)
			}
		}
	}
}
