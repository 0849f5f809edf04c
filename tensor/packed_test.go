package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestGemmPackedMatchesGemm: GemmPacked gives Gemm's result to the bit, for
// both element types, both transposes of A and B, and with the float32 and
// float64 backends that do not pack (where it calls Gemm).
func TestGemmPackedMatchesGemm(t *testing.T) {
	t.Run("float32", func(t *testing.T) {
		testGemmPacked[float32](t)
		SetFloat32Backend(Float32Gonum)
		defer SetFloat32Backend(Float32SIMD)
		testGemmPacked[float32](t)
	})
	t.Run("float64", func(t *testing.T) {
		testGemmPacked[float64](t)
		saved := f64Backend
		SetFloat64Backend(Float64Gonum)
		defer SetFloat64Backend(saved)
		testGemmPacked[float64](t)
	})
}

func testGemmPacked[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(r, c int) *Dense[T] {
		d := New[T](r, c)
		for i := range d.Data {
			d.Data[i] = T(rng.NormFloat64())
		}
		return d
	}
	var pb PackedB[T]
	for _, s := range [][3]int{{40, 70, 30}, {5, 3, 8}, {128, 300, 90}} {
		m, n, k := s[0], s[1], s[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				a, b := fill(m, k), fill(k, n)
				if ta {
					a = fill(k, m)
				}
				if tb {
					b = fill(n, k)
				}
				pb.Pack(tb, b)
				c0 := fill(m, n)
				want, got := c0.Clone(), c0.Clone()
				Gemm(ta, tb, 0.5, a, b, 2, want)
				GemmPacked(ta, 0.5, a, &pb, 2, got)
				for i := range want.Data {
					if got.Data[i] != want.Data[i] {
						t.Fatalf("%v ta=%v tb=%v: element %d: %v packed, %v not", s, ta, tb, i, got.Data[i], want.Data[i])
					}
				}
			}
		}
	}
}

// ExampleGemmPacked multiplies several batches by the same weights, packed
// once.
func ExampleGemmPacked() {
	w := FromSlice(2, 3, []float32{1, 2, 3, 4, 5, 6})
	var pw PackedB[float32]
	pw.Pack(false, w) // w must not change while pw is used
	out := New[float32](1, 3)
	for _, x := range [][]float32{{1, 0}, {0, 1}, {1, 1}} {
		GemmPacked(false, 1, FromSlice(1, 2, x), &pw, 0, out)
		fmt.Println(out.Data)
	}
	// Output:
	// [1 2 3]
	// [4 5 6]
	// [5 7 9]
}
