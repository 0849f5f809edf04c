package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/viterin/vek/vek32"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// refGemm is another implementation to compare with, as a function of the
// operands: bench calls it (with b.N iterations) and reports GFLOP/s.
type refGemm[T Float] func(ta, tb bool, m, n, k int, a, b mat[T], c []T) func(b *testing.B)

// BenchmarkGemm32 compares this package (each kernel this CPU runs) with
// gonum's blas32 Sgemm and vek's MatMul_Into on ebm's hot shapes, named
// m×k×n (op(A) is m×k, op(B) k×n); GFLOP/s = 2mnk/time. Run with -cpu 1,2 for
// single- and two-thread figures (vek is always single-threaded; for NT and TN
// it is given the transposed operand copy that ebm's tensor package used to
// make before calling it, and that copy is timed).
func BenchmarkGemm32(b *testing.B) {
	benchGemm(b, f32, map[string]refGemm[float32]{
		"gonum": func(ta, tb bool, m, n, k int, a, bm mat[float32], c []float32) func(b *testing.B) {
			return func(b *testing.B) {
				impl := blas32.Implementation()
				for i := 0; i < b.N; i++ {
					impl.Sgemm(trans(ta), trans(tb), m, n, k, 1, a.d, a.ld, bm.d, bm.ld, 0, c, n)
				}
			}
		},
		"vek": func(ta, tb bool, m, n, k int, a, bm mat[float32], c []float32) func(b *testing.B) {
			return func(b *testing.B) {
				at := make([]float32, m*k)
				bt := make([]float32, k*n)
				for i := 0; i < b.N; i++ {
					ad, bd := a.d, bm.d
					if ta {
						transpose(at, a.d, a.r, a.c)
						ad = at
					}
					if tb {
						transpose(bt, bm.d, bm.r, bm.c)
						bd = bt
					}
					vek32.MatMul_Into(c, ad, bd, k)
				}
			}
		},
	})
}

// BenchmarkGemm64 compares this package with gonum's blas64 Dgemm, as
// BenchmarkGemm32 (gonum's Dgemm also splits large products across
// goroutines).
func BenchmarkGemm64(b *testing.B) {
	benchGemm(b, f64, map[string]refGemm[float64]{
		"gonum": func(ta, tb bool, m, n, k int, a, bm mat[float64], c []float64) func(b *testing.B) {
			return func(b *testing.B) {
				impl := blas64.Implementation()
				for i := 0; i < b.N; i++ {
					impl.Dgemm(trans(ta), trans(tb), m, n, k, 1, a.d, a.ld, bm.d, bm.ld, 0, c, n)
				}
			}
		},
	})
}

func benchGemm[T Float](b *testing.B, im *impl[T], refs map[string]refGemm[T]) {
	type shape struct{ m, n, k int }
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range []shape{ // m, n, k
		{256, 500, 784}, {256, 128, 128}, {128, 128, 256},
		{128, 512, 784}, {128, 784, 512}, {784, 512, 128}, // MNIST MLP: forward, ∇ₓ, weight gradient
		{256, 128, 2}, {256, 2, 128}, {2, 128, 256}, {256, 1, 128}, {128, 1, 256}, {256, 128, 1},
	} {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}} {
			ta, tb := tr[0], tr[1]
			ar, ac := s.m, s.k
			if ta {
				ar, ac = s.k, s.m
			}
			br, bc := s.k, s.n
			if tb {
				br, bc = s.n, s.k
			}
			a := newMat[T](rng, ar, ac, 0, 0)
			bm := newMat[T](rng, br, bc, 0, 0)
			c := make([]T, s.m*s.n)
			flops := 2 * float64(s.m*s.n*s.k)
			name := fmt.Sprintf("%dx%dx%d/%s", s.m, s.k, s.n, tname(ta, tb))
			report := func(b *testing.B) {
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			}
			for _, kn := range im.kernels {
				b.Run(name+"/"+kn.name, func(b *testing.B) {
					saved := im.active
					im.active = kn
					defer func() { im.active = saved }()
					for i := 0; i < b.N; i++ {
						im.gemm(ta, tb, s.m, s.n, s.k, 1, a.d, a.ld, bm.d, bm.ld, 0, c, s.n, true)
					}
					report(b)
				})
			}
			for _, ref := range []string{"gonum", "vek"} {
				if f := refs[ref]; f != nil {
					run := f(ta, tb, s.m, s.n, s.k, a, bm, c)
					b.Run(name+"/"+ref, func(b *testing.B) {
						run(b)
						report(b)
					})
				}
			}
		}
	}
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// transpose writes the c×r transpose of the r×c matrix src to dst.
func transpose(dst, src []float32, r, c int) {
	for i := 0; i < r; i++ {
		for j, v := range src[i*c : i*c+c] {
			dst[j*r+i] = v
		}
	}
}

// BenchmarkMicro measures the microkernels alone on L1/L2-resident panels.
func BenchmarkMicro(b *testing.B) {
	b.Run("float32", benchMicro(f32))
	b.Run("float64", benchMicro(f64))
}

func benchMicro[T Float](im *impl[T]) func(b *testing.B) {
	return func(b *testing.B) {
		for _, kn := range im.kernels {
			for _, k := range []int{128, 256} {
				ap := make([]T, kn.mr*k)
				bp := make([]T, kn.nr*k)
				c := make([]T, kn.mr*kn.nr)
				b.Run(fmt.Sprintf("%s/k=%d", kn.name, k), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						kn.micro(k, &ap[0], &bp[0], &c[0], kn.nr, 1, 1)
					}
					b.ReportMetric(2*float64(kn.mr*kn.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}
