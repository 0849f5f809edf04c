package tensor

import (
	"fmt"
	"math"
)

// SumAll returns the sum of all elements, accumulated in float64.
func SumAll[T Float](a *Dense[T]) float64 {
	s := 0.0
	for _, v := range a.Data {
		s += float64(v)
	}
	return s
}

// SumRows sums over rows: dst (1×Cols) = Σᵢ a[i, :].
func SumRows[T Float](dst, a *Dense[T]) *Dense[T] {
	dst = Reuse(dst, 1, a.Cols)
	dst.Zero()
	d := dst.Data
	for i := 0; i < a.Rows; i++ {
		r := a.Data[i*a.Cols : (i+1)*a.Cols]
		for j, v := range r {
			d[j] += v
		}
	}
	return dst
}

// SumCols sums over columns: dst (Rows×1) = Σⱼ a[:, j], accumulated in float64.
func SumCols[T Float](dst, a *Dense[T]) *Dense[T] {
	dst = Reuse(dst, a.Rows, 1)
	for i := 0; i < a.Rows; i++ {
		s := 0.0
		for _, v := range a.Data[i*a.Cols : (i+1)*a.Cols] {
			s += float64(v)
		}
		dst.Data[i] = T(s)
	}
	return dst
}

// RowLogSumExp returns dst (Rows×1) with log Σⱼ exp(a[i, j]), computed stably in
// float64. A row of all −Inf gives −Inf.
func RowLogSumExp[T Float](dst, a *Dense[T]) *Dense[T] {
	dst = Reuse(dst, a.Rows, 1)
	for i := 0; i < a.Rows; i++ {
		dst.Data[i] = T(LogSumExp(a.Data[i*a.Cols : (i+1)*a.Cols]))
	}
	return dst
}

// LogSumExp returns log Σ exp(x) computed stably in float64.
func LogSumExp[T Float](x []T) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		if float64(v) > m {
			m = float64(v)
		}
	}
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// RowMax returns dst (Rows×1) with the maximum of each row and writes the column
// of the (first) maximum into arg (length Rows) when arg is not nil.
func RowMax[T Float](dst, a *Dense[T], arg []int) *Dense[T] {
	if a.Cols == 0 {
		panic("tensor: RowMax of a matrix with no columns")
	}
	dst = Reuse(dst, a.Rows, 1)
	for i := 0; i < a.Rows; i++ {
		r := a.Data[i*a.Cols : (i+1)*a.Cols]
		bj, bv := 0, r[0]
		for j, v := range r {
			if v > bv {
				bj, bv = j, v
			}
		}
		dst.Data[i] = bv
		if arg != nil {
			arg[i] = bj
		}
	}
	return dst
}

// Broadcast expands a (1×1, 1×c or r×1) to r×c.
func Broadcast[T Float](dst, a *Dense[T], r, c int) *Dense[T] {
	if (a.Rows != 1 && a.Rows != r) || (a.Cols != 1 && a.Cols != c) {
		panic(fmt.Sprintf("tensor: cannot broadcast %s to %d×%d", a.Shape(), r, c))
	}
	dst = Reuse(dst, r, c)
	for i := 0; i < r; i++ {
		src := a.Data[(i%a.Rows)*a.Cols : (i%a.Rows+1)*a.Cols]
		row := dst.Data[i*c : (i+1)*c]
		if len(src) == c {
			copy(row, src)
		} else {
			for j := range row {
				row[j] = src[0]
			}
		}
	}
	return dst
}

// ReduceTo sums a (r×c) down to the shape rr×cc, where each of rr, cc is either the
// same as a's or 1: the adjoint of Broadcast.
func ReduceTo[T Float](dst, a *Dense[T], rr, cc int) *Dense[T] {
	switch {
	case rr == a.Rows && cc == a.Cols:
		dst = Reuse(dst, rr, cc)
		copy(dst.Data, a.Data)
		return dst
	case rr == 1 && cc == a.Cols:
		return SumRows(dst, a)
	case rr == a.Rows && cc == 1:
		return SumCols(dst, a)
	case rr == 1 && cc == 1:
		dst = Reuse(dst, 1, 1)
		dst.Data[0] = T(SumAll(a))
		return dst
	}
	panic(fmt.Sprintf("tensor: cannot reduce %s to %d×%d", a.Shape(), rr, cc))
}

// SliceCols returns dst = a[:, from:to].
func SliceCols[T Float](dst, a *Dense[T], from, to int) *Dense[T] {
	if from < 0 || to > a.Cols || from > to {
		panic(fmt.Sprintf("tensor: SliceCols [%d:%d] of %s", from, to, a.Shape()))
	}
	w := to - from
	dst = Reuse(dst, a.Rows, w)
	for i := 0; i < a.Rows; i++ {
		copy(dst.Data[i*w:(i+1)*w], a.Data[i*a.Cols+from:i*a.Cols+to])
	}
	return dst
}

// ConcatCols returns dst = [a₁ a₂ …], side by side; all must have the same rows.
func ConcatCols[T Float](dst *Dense[T], parts ...*Dense[T]) *Dense[T] {
	if len(parts) == 0 {
		panic("tensor: ConcatCols of nothing")
	}
	r, c := parts[0].Rows, 0
	for _, p := range parts {
		if p.Rows != r {
			panic(fmt.Sprintf("tensor: ConcatCols rows %d and %d", r, p.Rows))
		}
		c += p.Cols
	}
	dst = Reuse(dst, r, c)
	off := 0
	for _, p := range parts {
		for i := 0; i < r; i++ {
			copy(dst.Data[i*c+off:i*c+off+p.Cols], p.Data[i*p.Cols:(i+1)*p.Cols])
		}
		off += p.Cols
	}
	return dst
}

// PadCols places a (r×w) at columns [from, from+w) of a zero r×cols matrix: the
// adjoint of SliceCols.
func PadCols[T Float](dst, a *Dense[T], from, cols int) *Dense[T] {
	if from < 0 || from+a.Cols > cols {
		panic(fmt.Sprintf("tensor: PadCols %s at %d into %d columns", a.Shape(), from, cols))
	}
	dst = Reuse(dst, a.Rows, cols)
	dst.Zero()
	for i := 0; i < a.Rows; i++ {
		copy(dst.Data[i*cols+from:i*cols+from+a.Cols], a.Data[i*a.Cols:(i+1)*a.Cols])
	}
	return dst
}

// GatherRows returns dst with row k = a[idx[k], :].
func GatherRows[T Float](dst, a *Dense[T], idx []int) *Dense[T] {
	dst = Reuse(dst, len(idx), a.Cols)
	for k, i := range idx {
		if i < 0 || i >= a.Rows {
			panic(fmt.Sprintf("tensor: GatherRows index %d out of %d rows", i, a.Rows))
		}
		copy(dst.Data[k*a.Cols:(k+1)*a.Cols], a.Data[i*a.Cols:(i+1)*a.Cols])
	}
	return dst
}

// ScatterAddRows returns dst (rows×Cols, zeroed first) with a[k, :] added into row
// idx[k]: the adjoint of GatherRows.
func ScatterAddRows[T Float](dst, a *Dense[T], idx []int, rows int) *Dense[T] {
	dst = Reuse(dst, rows, a.Cols)
	dst.Zero()
	c := a.Cols
	for k, i := range idx {
		r := dst.Data[i*c : (i+1)*c]
		for j, v := range a.Data[k*c : (k+1)*c] {
			r[j] += v
		}
	}
	return dst
}

// Where returns dst[i] = a[i] where mask[i] ≠ 0 and b[i] elsewhere (same shapes).
func Where[T Float](dst, mask, a, b *Dense[T]) *Dense[T] {
	if !mask.SameShape(a) || !a.SameShape(b) {
		panic(fmt.Sprintf("tensor: Where shapes %s %s %s", mask.Shape(), a.Shape(), b.Shape()))
	}
	dst = Reuse(dst, a.Rows, a.Cols)
	for i, m := range mask.Data {
		if m != 0 {
			dst.Data[i] = a.Data[i]
		} else {
			dst.Data[i] = b.Data[i]
		}
	}
	return dst
}

// Dot returns Σ a[i]·b[i] accumulated in float64 (same lengths).
func Dot[T Float](a, b []T) float64 {
	s := 0.0
	b = b[:len(a)]
	for i, v := range a {
		s += float64(v) * float64(b[i])
	}
	return s
}

// RowMaxOf returns the largest element of x (−Inf for an empty slice).
func RowMaxOf[T Float](x []T) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		if float64(v) > m {
			m = float64(v)
		}
	}
	return m
}
