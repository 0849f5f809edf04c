package gemm

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestGemmPackedB: a product with op(B) packed by PackB gives, bit for bit,
// the result of the same product without packing, for every kernel, shape
// (including the matrix–vector paths and edge tiles), transpose case, alpha
// and beta, on one goroutine and on several (row and column splits), and the
// pack can be used again.
func TestGemmPackedB(t *testing.T) {
	forTypes(t, testGemmPackedB(f32, PackB32, GemmPackedB32), testGemmPackedB(f64, PackB64, GemmPackedB64))
}

func testGemmPackedB[T Float](im *impl[T], pack func(*PackedB[T], bool, int, int, []T, int),
	gemmP func(bool, int, T, []T, int, *PackedB[T], T, []T, int)) func(t *testing.T) {
	return func(t *testing.T) {
		forKernels(t, im, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			var pb PackedB[T]
			for _, procs := range []int{1, 2, 3} {
				prev := runtime.GOMAXPROCS(procs)
				for _, s := range [][3]int{{1, 40, 9}, {40, 1, 9}, {7, 13, 5}, {37, 45, 300}, {64, 256, 100}, {300, 64, 70}, {61, 97, 130}, {128, 512, 96}, {160, 400, 50}} {
					m, n, k := s[0], s[1], s[2]
					for _, ta := range []bool{false, true} {
						for _, tb := range []bool{false, true} {
							ar, ac := m, k
							if ta {
								ar, ac = k, m
							}
							br, bc := k, n
							if tb {
								br, bc = n, k
							}
							a := newMat[T](rng, ar, ac, 2, 0)
							b := newMat[T](rng, br, bc, 1, 0)
							pack(&pb, tb, k, n, b.d, b.ld)
							for _, ab := range [][2]T{{1, 0}, {-0.75, 0.5}} {
								c0 := newMat[T](rng, m, n, 3, 0)
								want := append([]T(nil), c0.d...)
								got := append([]T(nil), c0.d...)
								im.gemm(ta, tb, m, n, k, ab[0], a.d, a.ld, b.d, b.ld, ab[1], want, c0.ld, true)
								for rep := 0; rep < 2; rep++ { // the pack serves twice
									copy(got, c0.d)
									gemmP(ta, m, ab[0], a.d, a.ld, &pb, ab[1], got, c0.ld)
									for i := range want {
										if got[i] != want[i] {
											runtime.GOMAXPROCS(prev)
											t.Fatalf("%dx%dx%d ta=%v tb=%v alpha=%v procs=%d: C[%d] = %v packed, %v not", m, n, k, ta, tb, ab[0], procs, i, got[i], want[i])
										}
									}
								}
							}
						}
					}
				}
				runtime.GOMAXPROCS(prev)
			}
		})
	}
}
