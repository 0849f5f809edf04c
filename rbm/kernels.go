package rbm

import (
	"math/rand/v2"

	"github.com/ebm-go/ebm/tensor"
	"github.com/viterin/vek/vek32"
)

// The kernels in this file are the float32 hot path of sampling and training.
// Binary layers (Bernoulli units, sampled hidden states, binary data) are kept both
// as dense 0/1 matrices and as the column indices of their ones, so that x·W is a
// sum of the rows of W selected by the ones of x: exact, and 5-10 times less work
// than a dense product on MNIST, where about 13% of the pixels are on. Both
// kinds of product go through tensor: its sparse kernel (tensor.SparseKernel)
// for binary layers, its GEMM for the others.

// ones is a batch of binary rows given by the column indices of their ones
// (tensor's compressed sparse rows without values).
type ones = tensor.BinaryRows

// mulJob computes dst = bias + x·m for a batch x (n×K) and a matrix m (K×N):
// through tensor's sparse kernel when x is binary and given by its ones, and
// through tensor's GEMM otherwise.
type mulJob struct {
	sp tensor.SparseKernel
}

// mul sets dst = bias + x·m using the ones of x when on is not nil.
func (j *mulJob) mul(dst *tensor.Dense[float32], bias []float32, x *tensor.Dense[float32], on *ones, m *tensor.Dense[float32]) {
	if on != nil {
		j.sp.Mul(dst, bias, on, m)
		return
	}
	if bias == nil {
		tensor.Gemm(false, false, 1, x, m, 0, dst)
		return
	}
	for r := 0; r < dst.Rows; r++ {
		copy(dst.Row(r), bias)
	}
	tensor.Gemm(false, false, 1, x, m, 1, dst)
}

// outerJob sets (or accumulates) acc = xᵀ·y for x (n×K) and y (n×N), acc K×N:
// tensor's sparse kernel for binary x given by its ones, tensor's GEMM
// otherwise; neither needs acc zeroed first.
type outerJob struct {
	sp tensor.SparseKernel
}

// accumulate adds xᵀ·y into acc.
func (j *outerJob) accumulate(acc, x *tensor.Dense[float32], on *ones, y *tensor.Dense[float32]) {
	j.outer(acc, x, on, y, true)
}

// set writes acc = xᵀ·y (acc's previous contents are ignored).
func (j *outerJob) set(acc, x *tensor.Dense[float32], on *ones, y *tensor.Dense[float32]) {
	j.outer(acc, x, on, y, false)
}

func (j *outerJob) outer(acc, x *tensor.Dense[float32], on *ones, y *tensor.Dense[float32], add bool) {
	if on != nil {
		j.sp.TMul(acc, on, y, add)
		return
	}
	beta := float32(0)
	if add {
		beta = 1
	}
	tensor.Gemm(true, false, 1, x, y, beta, acc)
}

// sigmoidJob applies σ elementwise in place, with vek's SIMD exp.
type sigmoidJob struct {
	d []float32
}

// Run is the parallel body (tensor.RowJob).
func (j *sigmoidJob) Run(lo, hi int) { sigmoid32(j.d[lo:hi]) }

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
	tensor.ParallelRows(j, len(d), 1<<14)
	j.d = nil
}

// transposeJob writes dst = srcᵀ, split over the columns of src (the rows of
// dst, so each chunk writes whole rows of its own). It works in 8×8 tiles:
// eight reads along a source row, then eight writes down the tile's columns.
type transposeJob struct {
	dst, src *tensor.Dense[float32]
}

// Run is the parallel body (tensor.RowJob).
func (j *transposeJob) Run(lo, hi int) {
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
	tensor.ParallelRows(j, src.Cols, grain)
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
	on.Reset()
	if cap(on.Idx) < len(s) {
		on.Idx = make([]int32, 0, len(s))
	}
	idx := on.Idx[:len(s)]
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
		on.Ptr = append(on.Ptr, int32(n))
	}
	on.Idx = idx[:n]
}
