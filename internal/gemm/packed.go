package gemm

import (
	"fmt"
	"runtime"
)

// PackedB is an operand op(B) (k×n) packed once, in the layout the
// microkernels read, for repeated products C = alpha·op(A)·op(B) + beta·C with
// the same B: the weights of a network evaluated many times between two
// updates, as in the steps of a Langevin chain. Packing costs about as much as
// reading B twice; a product with a packed B skips it.
//
// A PackedB refers to B's storage as well (the matrix–vector paths of thin
// products read B directly): B must not change while the pack is used, and a
// pack must be made again after B changes. Products with the same pack may run
// concurrently.
type PackedB[T Float] struct {
	kn     *kernel[T]
	transB bool
	k, n   int
	b      []T
	ldb    int
	data   []T // all of op(B): one panel per nr columns spanning all of k
}

// PackB32 packs op(B) for GemmPackedB32 into pb, reusing its storage.
func PackB32(pb *PackedB[float32], transB bool, k, n int, b []float32, ldb int) {
	f32.pack(pb, transB, k, n, b, ldb)
}

// PackB64 is PackB32 for float64.
func PackB64(pb *PackedB[float64], transB bool, k, n int, b []float64, ldb int) {
	f64.pack(pb, transB, k, n, b, ldb)
}

// GemmPackedB32 computes C = alpha·op(A)·op(B) + beta·C as Gemm32 does, with
// op(B) packed by PackB32 (k and n are the pack's). The result is the same, to
// the bit, as Gemm32's with the same operands.
func GemmPackedB32(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB[float32], beta float32, c []float32, ldc int) {
	f32.gemmPacked(transA, m, alpha, a, lda, pb, beta, c, ldc)
}

// GemmPackedB64 is GemmPackedB32 for float64.
func GemmPackedB64(transA bool, m int, alpha float64, a []float64, lda int, pb *PackedB[float64], beta float64, c []float64, ldc int) {
	f64.gemmPacked(transA, m, alpha, a, lda, pb, beta, c, ldc)
}

func (im *impl[T]) pack(pb *PackedB[T], transB bool, k, n int, b []T, ldb int) {
	if k < 0 || n < 0 {
		panic(fmt.Sprintf("%s: negative dimension k=%d n=%d", im.name, k, n))
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	im.checkMatrix("B", br, bc, b, ldb)
	kn := im.active
	pb.kn, pb.transB, pb.k, pb.n, pb.b, pb.ldb = kn, transB, k, n, b, ldb
	pb.data = pb.data[:0]
	if k == 0 || n == 0 || n <= gemvMaxN {
		return // products take the paths that read B directly
	}
	p := problem[T]{transB: transB, n: n, k: k, b: b, ldb: ldb}
	pb.data = p.packShared(kn, pb.data, false)
}

func (im *impl[T]) gemmPacked(transA bool, m int, alpha T, a []T, lda int, pb *PackedB[T], beta T, c []T, ldc int) {
	k, n := pb.k, pb.n
	if pb.kn != im.active || len(pb.data) == 0 || m <= gemvMaxM || alpha == 0 {
		// Another kernel since packing (benchmarks switch them), or a
		// product that does not use packed panels.
		im.gemm(transA, pb.transB, m, n, k, alpha, a, lda, pb.b, pb.ldb, beta, c, ldc, true)
		return
	}
	if m < 0 {
		panic(fmt.Sprintf("%s: negative dimension m=%d", im.name, m))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	im.checkMatrix("A", ar, ac, a, lda)
	im.checkMatrix("C", m, n, c, ldc)
	kn := pb.kn
	p := problem[T]{transA, pb.transB, m, n, k, alpha, beta, a, pb.b, c, lda, pb.ldb, ldc}
	size := float64(m) * float64(n) * float64(k)
	if nw := min(runtime.GOMAXPROCS(0), maxProcs); nw > 1 && size >= parallelFlops {
		im.parallel(kn, &p, nw, pb.data)
		return
	}
	ws := im.getWorkspace()
	p.run(kn, ws, nil, pb.data)
	im.wsPool.Put(ws)
}
