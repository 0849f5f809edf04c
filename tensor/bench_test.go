package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemm measures C = A·B for the 256×784 · 784×500 shape and
// the MLP energy's 256×128 · 128×128, per back end (float64: ebm's packed
// kernel, gonum's blas64 — OpenBLAS with the openblas tag; float32: ebm's
// packed kernel, vek, gonum); GFLOP/s = 2mnk/time.
func BenchmarkGemm(b *testing.B) {
	shapes := [][3]int{{256, 784, 500}, {256, 128, 128}}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range shapes {
		m, k, n := s[0], s[1], s[2]
		a64, b64 := randDense[float64](m, k, rng), randDense[float64](k, n, rng)
		c64 := New[float64](m, n)
		a32, b32 := Convert[float32](nil, a64), Convert[float32](nil, b64)
		c32 := New[float32](m, n)
		flops := 2 * float64(m*n*k)
		name := fmt.Sprintf("%dx%dx%d", m, k, n)
		for _, be := range []struct {
			name string
			b    Float64Backend
		}{{"float64-ebm", Float64SIMD}, {"float64-gonum", Float64Gonum}} {
			b.Run(be.name+"/"+name, func(b *testing.B) {
				SetFloat64Backend(be.b)
				defer SetFloat64Backend(defaultFloat64Backend)
				for i := 0; i < b.N; i++ {
					Gemm(false, false, 1, a64, b64, 0, c64)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		for _, be := range []struct {
			name string
			b    Float32Backend
		}{{"float32-simd", Float32SIMD}, {"float32-vek", Float32Vek}, {"float32-gonum", Float32Gonum}} {
			b.Run(be.name+"/"+name, func(b *testing.B) {
				SetFloat32Backend(be.b)
				defer SetFloat32Backend(Float32SIMD)
				for i := 0; i < b.N; i++ {
					Gemm(false, false, 1, a32, b32, 0, c32)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// One activation derivative over a 256×128 float32 hidden layer (the 2-D
// workloads' shape): SiLU's derivatives of the orders score matching uses.
func BenchmarkActDerivSiLU(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	a := New[float32](256, 128)
	for i := range a.Data {
		a.Data[i] = float32(rng.NormFloat64() * 3)
	}
	dst := New[float32](256, 128)
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("order%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				ActDeriv(FnSiLU, n, 0, dst, a)
			}
		})
	}
}

// The float32 elementwise kernels of an MLP layer of 256×128 (the 2-D
// workloads' hidden layer): SiLU forward (σ kept), its backward, and a product.
func BenchmarkElementwise32(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 256 * 128
	z, s, h, g := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range z {
		z[i] = float32(rng.NormFloat64() * 3)
		g[i] = float32(rng.NormFloat64())
	}
	za, ga, d := &Dense[float32]{Rows: 256, Cols: 128, Data: z}, &Dense[float32]{Rows: 256, Cols: 128, Data: g}, New[float32](256, 128)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"SiLUForward", func() { SiLUForward(h, s, z) }},
		{"SiLUBackward+copy", func() { copy(h, g); SiLUBackward(h, z, s) }},
		{"Binary/mul", func() { Binary(OpMul, d, za, ga) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				c.f()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
		})
	}
}
