package rbm

import (
	"math/rand/v2"
	"sync"

	"github.com/ebm-go/ebm/tensor"
	"github.com/viterin/vek/vek32"
)

// The kernels in this file are the float32 hot path of sampling and training.
// Binary layers (Bernoulli units, sampled hidden states, binary data) are kept both
// as dense 0/1 matrices and as the column indices of their ones, so that x·W is a
// sum of the rows of W selected by the ones of x: exact, and 5-10 times less work
// than a dense product on MNIST, where about 13% of the pixels are on. Other
// layers go through vek's SIMD matrix product.

// ones holds a batch of binary rows as the column indices of their ones
// (compressed sparse rows): row r is idx[ptr[r]:ptr[r+1]].
type ones struct {
	idx []int32
	ptr []int32
}

// reset empties o for n rows of up to cols columns, keeping capacity.
func (o *ones) reset() {
	o.idx = o.idx[:0]
	o.ptr = append(o.ptr[:0], 0)
}

// rows returns the number of rows.
func (o *ones) rows() int { return len(o.ptr) - 1 }

// row returns the ones of row r.
func (o *ones) row(r int) []int32 { return o.idx[o.ptr[r]:o.ptr[r+1]] }

// nnz returns the number of ones.
func (o *ones) nnz() int { return len(o.idx) }

// fromDense fills o from a binary matrix (entries exactly 0 or 1).
func (o *ones) fromDense(x *tensor.Dense[float32]) {
	o.reset()
	for r := 0; r < x.Rows; r++ {
		for k, v := range x.Row(r) {
			if v != 0 {
				o.idx = append(o.idx, int32(k))
			}
		}
		o.ptr = append(o.ptr, int32(len(o.idx)))
	}
}

// fromBinary fills o from x and reports whether x is binary; when it is not, o
// is left in an unspecified state.
func (o *ones) fromBinary(x *tensor.Dense[float32]) bool {
	o.reset()
	for r := 0; r < x.Rows; r++ {
		for k, v := range x.Row(r) {
			if v != 0 {
				if v != 1 {
					return false
				}
				o.idx = append(o.idx, int32(k))
			}
		}
		o.ptr = append(o.ptr, int32(len(o.idx)))
	}
	return true
}

// appendRow appends row r of src to o.
func (o *ones) appendRow(src *ones, r int) {
	o.idx = append(o.idx, src.row(r)...)
	o.ptr = append(o.ptr, int32(len(o.idx)))
}

// grainFor returns a chunk size (in rows) that gives each chunk about 32k
// multiply-adds of work, so tiny products are not split.
func grainFor(workPerRow int) int {
	if workPerRow < 1 {
		workPerRow = 1
	}
	return max(1, (1<<15)/workPerRow)
}

// mulJob computes dst = bias + x·m for a batch x (n×K) and a matrix m (K×N). When
// on is not nil x is binary and given by its ones; otherwise x is read densely.
type mulJob struct {
	dst  *tensor.Dense[float32]
	bias []float32
	m    *tensor.Dense[float32]
	x    *tensor.Dense[float32]
	on   *ones
	wg   sync.WaitGroup
}

func (j *mulJob) run(lo, hi int) {
	n := j.m.Cols
	md := j.m.Data
	if j.on != nil {
		for r := lo; r < hi; r++ {
			d := j.dst.Data[r*n : (r+1)*n]
			if j.bias != nil {
				copy(d, j.bias)
			} else {
				clear(d)
			}
			for _, k := range j.on.row(r) {
				vek32.Add_Inplace(d, md[int(k)*n:int(k)*n+n])
			}
		}
		return
	}
	k := j.m.Rows
	// Groups of at most 3 rows keep vek's product on this goroutine (it spawns its
	// own goroutines for larger calls).
	for r0 := lo; r0 < hi; r0 += 3 {
		r1 := min(r0+3, hi)
		d := j.dst.Data[r0*n : r1*n]
		vek32.MatMul_Into(d, j.x.Data[r0*k:r1*k], md, k)
		if j.bias != nil {
			for r := r0; r < r1; r++ {
				vek32.Add_Inplace(j.dst.Data[r*n:(r+1)*n], j.bias)
			}
		}
	}
}

// mul sets dst = bias + x·m using the ones of x when on is not nil.
func (j *mulJob) mul(dst *tensor.Dense[float32], bias []float32, x *tensor.Dense[float32], on *ones, m *tensor.Dense[float32]) {
	j.dst, j.bias, j.x, j.on, j.m = dst, bias, x, on, m
	rows := x.Rows
	work := m.Rows * m.Cols
	if on != nil {
		rows = on.rows()
		work = m.Cols * (on.nnz()/max(rows, 1) + 1)
	}
	parallel(j, &j.wg, rows, grainFor(work))
	j.x, j.on, j.dst, j.m, j.bias = nil, nil, nil, nil, nil
}

// outerJob accumulates acc += xᵀ·y for x (n×K) and y (n×N), acc K×N. With binary
// x given by its ones, the work is split over the columns of acc; otherwise xᵀ is
// formed in xt and the product split over the rows of acc, through scratch g.
type outerJob struct {
	acc *tensor.Dense[float32]
	y   *tensor.Dense[float32]
	on  *ones
	xt  *tensor.Dense[float32]
	g   *tensor.Dense[float32]
	wg  sync.WaitGroup
}

func (j *outerJob) run(lo, hi int) {
	n := j.acc.Cols
	ad, yd := j.acc.Data, j.y.Data
	if j.on != nil {
		// lo, hi are columns of acc.
		for b := 0; b < j.on.rows(); b++ {
			yr := yd[b*n+lo : b*n+hi]
			for _, k := range j.on.row(b) {
				off := int(k) * n
				vek32.Add_Inplace(ad[off+lo:off+hi], yr)
			}
		}
		return
	}
	nb := j.y.Rows
	for r0 := lo; r0 < hi; r0 += 3 {
		r1 := min(r0+3, hi)
		g := j.g.Data[r0*n : r1*n]
		vek32.MatMul_Into(g, j.xt.Data[r0*nb:r1*nb], yd, nb)
		vek32.Add_Inplace(ad[r0*n:r1*n], g)
	}
}

// accumulate adds xᵀ·y into acc.
func (j *outerJob) accumulate(acc, x *tensor.Dense[float32], on *ones, y *tensor.Dense[float32]) {
	j.acc, j.y, j.on = acc, y, on
	if on != nil {
		per := on.nnz() + 1
		// Split the columns only when each half still has a useful length.
		grain := max(64, (1<<15)/per)
		parallel(j, &j.wg, acc.Cols, grain)
	} else {
		j.xt = tensor.Reuse(j.xt, x.Cols, x.Rows)
		tensor.Transpose(j.xt, x)
		j.g = tensor.Reuse(j.g, acc.Rows, acc.Cols)
		parallel(j, &j.wg, acc.Rows, grainFor(x.Rows*acc.Cols))
	}
	j.acc, j.y, j.on = nil, nil, nil
}

// sigmoidJob applies σ elementwise in place, with vek's SIMD exp.
type sigmoidJob struct {
	d  []float32
	wg sync.WaitGroup
}

func (j *sigmoidJob) run(lo, hi int) { sigmoid32(j.d[lo:hi]) }

// sigmoid32 sets d = σ(d) = 1/(1+e^{−d}). vek's SIMD exp is only valid on
// about [−87, 88] (outside it returns NaN or garbage, not 0 or +Inf), so the input
// is clamped to [−80, 80] first; σ(±80) is 1 and 1.8e−35 in float32.
func sigmoid32(d []float32) {
	vek32.MinimumNumber_Inplace(d, 80)
	vek32.MaximumNumber_Inplace(d, -80)
	vek32.Neg_Inplace(d)
	vek32.Exp_Inplace(d)
	vek32.AddNumber_Inplace(d, 1)
	vek32.Inv_Inplace(d)
}

// apply runs σ over d, in parallel for large inputs.
func (j *sigmoidJob) apply(d []float32) {
	j.d = d
	parallel(j, &j.wg, len(d), 1<<14)
	j.d = nil
}

// transposeJob writes dst = srcᵀ, split over the columns of src (the rows of
// dst, so each chunk writes whole rows of its own). It works in 8×8 tiles:
// eight reads along a source row, then eight writes down the tile's columns.
type transposeJob struct {
	dst, src *tensor.Dense[float32]
	wg       sync.WaitGroup
}

func (j *transposeJob) run(lo, hi int) {
	r, c := j.src.Rows, j.src.Cols // dst is c×r; this chunk handles src columns [lo, hi)
	src, dst := j.src.Data, j.dst.Data
	i := 0
	for ; i+8 <= r; i += 8 {
		k := lo
		for ; k+8 <= hi; k += 8 {
			for a := 0; a < 8; a++ {
				s := src[(i+a)*c+k : (i+a)*c+k+8 : (i+a)*c+k+8]
				d := dst[k*r+i+a:]
				d[0] = s[0]
				d[r] = s[1]
				d[2*r] = s[2]
				d[3*r] = s[3]
				d[4*r] = s[4]
				d[5*r] = s[5]
				d[6*r] = s[6]
				d[7*r] = s[7]
			}
		}
		for ; k < hi; k++ {
			for a := 0; a < 8; a++ {
				dst[k*r+i+a] = src[(i+a)*c+k]
			}
		}
	}
	for ; i < r; i++ {
		for k := lo; k < hi; k++ {
			dst[k*r+i] = src[i*c+k]
		}
	}
}

// transpose sets dst = srcᵀ (dst already shaped).
func (j *transposeJob) transpose(dst, src *tensor.Dense[float32]) {
	j.dst, j.src = dst, src
	// Chunks of whole tiles: a multiple of 16 columns, about 16k values each.
	grain := max(16, (1<<14)/max(src.Rows, 1)/16*16)
	parallel(j, &j.wg, src.Cols, grain)
	j.dst, j.src = nil, nil
}

// bitSource hands out uniform 32-bit integers, two per call of the 64-bit PCG
// generator (called directly, not through an interface).
type bitSource struct {
	pcg  *rand.PCG
	buf  uint64
	have bool
}

func (s *bitSource) next() uint32 {
	if s.have {
		s.have = false
		return uint32(s.buf >> 32)
	}
	s.buf = s.pcg.Uint64()
	s.have = true
	return uint32(s.buf)
}

// sampleBernoulli sets s[i] = 1 with probability p[i] (else 0) and records the ones
// of each row of width cols in on (when not nil). A uniform 32-bit u gives 1 when
// u < p·2³², which is exact at p = 0 and p = 1. The loop is branch-free: the
// index of every unit is written and the count advanced by the sampled bit.
func sampleBernoulli(src *bitSource, s, p []float32, cols int, on *ones) {
	p = p[:len(s)]
	if on == nil {
		for i, pi := range p {
			thr := uint64(pi * 4294967296.0)
			s[i] = float32((uint64(src.next()) - thr) >> 63)
		}
		return
	}
	on.reset()
	if cap(on.idx) < len(s) {
		on.idx = make([]int32, 0, len(s))
	}
	idx := on.idx[:len(s)]
	n := 0
	for r0 := 0; r0 < len(s); r0 += cols {
		row, pr := s[r0:r0+cols], p[r0:r0+cols]
		for k := 0; k+1 < cols; k += 2 {
			u := src.pcg.Uint64()
			b0 := (u&0xffffffff - uint64(pr[k]*4294967296.0)) >> 63
			b1 := (u>>32 - uint64(pr[k+1]*4294967296.0)) >> 63
			row[k], row[k+1] = float32(b0), float32(b1)
			idx[n] = int32(k)
			n += int(b0)
			idx[n] = int32(k + 1)
			n += int(b1)
		}
		if cols&1 == 1 {
			k := cols - 1
			b := (uint64(src.next()) - uint64(pr[k]*4294967296.0)) >> 63
			row[k] = float32(b)
			idx[n] = int32(k)
			n += int(b)
		}
		on.ptr = append(on.ptr, int32(n))
	}
	on.idx = idx[:n]
}
