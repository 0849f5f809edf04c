package tensor

import "github.com/ebm-go/ebm/internal/gemm"

// PackedB is the second operand of Gemm packed once, in the layout of the
// GEMM's microkernels, for many products with the same matrix: the weights of
// a network evaluated at every step of a sampler between two updates. A
// product with a PackedB (GemmPacked) skips the packing of B, which otherwise
// costs about as much as reading B twice per product.
//
// The pack refers to B's storage too: B must not change while the pack is in
// use (pack again after it changes). The zero value is empty; Pack fills it,
// reusing its storage. Products with one pack may run concurrently.
type PackedB[T Float] struct {
	src    *Dense[T]
	transB bool
	p32    gemm.PackedB[float32]
	p64    gemm.PackedB[float64]
	simd   bool // packed for ebm's kernels (else GemmPacked calls Gemm)
}

// Pack packs op(b) (b or its transpose) into p.
func (p *PackedB[T]) Pack(transB bool, b *Dense[T]) {
	p.src, p.transB, p.simd = b, transB, false
	k, n := b.Rows, b.Cols
	if transB {
		k, n = n, k
	}
	switch bb := any(b).(type) {
	case *Dense[float32]:
		if f32Backend == Float32SIMD {
			gemm.PackB32(&p.p32, transB, k, n, bb.Data, bb.Cols)
			p.simd = true
		}
	case *Dense[float64]:
		if f64Backend == Float64SIMD {
			gemm.PackB64(&p.p64, transB, k, n, bb.Data, bb.Cols)
			p.simd = true
		}
	}
}

// GemmPacked computes c = alpha·op(a)·op(B) + beta·c as Gemm does, with op(B)
// packed in pb; the result is the same, to the bit.
func GemmPacked[T Float](transA bool, alpha T, a *Dense[T], pb *PackedB[T], beta T, c *Dense[T]) {
	if pb.src == nil {
		panic("tensor: GemmPacked with an empty PackedB")
	}
	if !pb.simd {
		Gemm(transA, pb.transB, alpha, a, pb.src, beta, c)
		return
	}
	m, _, _, done := gemmShapes("GemmPacked", transA, pb.transB, a, pb.src, beta, c)
	if done {
		return
	}
	switch cc := any(c).(type) {
	case *Dense[float32]:
		aa := any(a).(*Dense[float32])
		gemm.GemmPackedB32(transA, m, float32(alpha), aa.Data, aa.Cols, &pb.p32, float32(beta), cc.Data, cc.Cols)
	case *Dense[float64]:
		aa := any(a).(*Dense[float64])
		gemm.GemmPackedB64(transA, m, float64(alpha), aa.Data, aa.Cols, &pb.p64, float64(beta), cc.Data, cc.Cols)
	}
}
