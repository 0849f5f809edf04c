package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// sentinel fills the padding of matrices whose leading dimension exceeds the
// row length; C's padding must come back unchanged, A's and B's must not be read.
var sentinel = math.NaN()

const cPad = 12345

// mat is a stored r×c matrix with leading dimension ld.
type mat[T Float] struct {
	r, c, ld int
	d        []T
}

func newMat[T Float](rng *rand.Rand, r, c, pad int, fill float64) mat[T] {
	ld := max(c+pad, 1)
	n := 0
	if r > 0 {
		n = (r-1)*ld + c // tight: reading past the last element panics
	}
	m := mat[T]{r, c, ld, make([]T, n)}
	for i := range m.d {
		if i%ld >= c {
			m.d[i] = T(fill)
		} else if rng != nil {
			m.d[i] = T(rng.NormFloat64())
		}
	}
	return m
}

func (m mat[T]) at(i, j int) T { return m.d[i*m.ld+j] }

type gemmCase[T Float] struct {
	ta, tb      bool
	m, n, k     int
	alpha, beta T
	pad         int  // extra leading-dimension padding of A, B and C
	nanC        bool // fill C with NaN (only with beta == 0)
}

func (g gemmCase[T]) String() string {
	return fmt.Sprintf("%s m=%d n=%d k=%d α=%v β=%v pad=%d nanC=%v",
		tname(g.ta, g.tb), g.m, g.n, g.k, g.alpha, g.beta, g.pad, g.nanC)
}

func tname(ta, tb bool) string {
	s := [2]byte{'N', 'N'}
	if ta {
		s[0] = 'T'
	}
	if tb {
		s[1] = 'T'
	}
	return string(s[:])
}

// forTypes runs the test for float32 and for float64.
func forTypes(t *testing.T, f32test, f64test func(t *testing.T)) {
	t.Run("float32", f32test)
	t.Run("float64", f64test)
}

// tolerance is the relative error allowed per √k terms of a dot product.
func tolerance[T Float]() float64 {
	if _, ok := any(T(0)).(float32); ok {
		return 1e-5
	}
	return 1e-12
}

// check runs Gemm on random data and compares with a float64 reference.
func check[T Float](t *testing.T, im *impl[T], rng *rand.Rand, g gemmCase[T]) {
	t.Helper()
	ar, ac := g.m, g.k
	if g.ta {
		ar, ac = g.k, g.m
	}
	br, bc := g.k, g.n
	if g.tb {
		br, bc = g.n, g.k
	}
	a := newMat[T](rng, ar, ac, g.pad, sentinel)
	b := newMat[T](rng, br, bc, g.pad, sentinel)
	c := newMat[T](rng, g.m, g.n, g.pad, cPad)
	if g.nanC {
		for i := range c.d {
			if i%c.ld < g.n {
				c.d[i] = T(math.NaN())
			}
		}
	}
	c0 := append([]T(nil), c.d...)
	// op(A) (m×k) and op(B) (k×n) in float64.
	a64 := make([]float64, g.m*g.k)
	b64 := make([]float64, g.k*g.n)
	for i := 0; i < g.m; i++ {
		for p := 0; p < g.k; p++ {
			if g.ta {
				a64[i*g.k+p] = float64(a.at(p, i))
			} else {
				a64[i*g.k+p] = float64(a.at(i, p))
			}
		}
	}
	for p := 0; p < g.k; p++ {
		for j := 0; j < g.n; j++ {
			if g.tb {
				b64[p*g.n+j] = float64(b.at(j, p))
			} else {
				b64[p*g.n+j] = float64(b.at(p, j))
			}
		}
	}
	im.gemm(g.ta, g.tb, g.m, g.n, g.k, g.alpha, a.d, a.ld, b.d, b.ld, g.beta, c.d, c.ld, true)
	tol := tolerance[T]() * math.Sqrt(float64(max(g.k, 1)))
	s := make([]float64, g.n)
	mag := make([]float64, g.n)
	for i := 0; i < g.m; i++ {
		clear(s)
		clear(mag)
		for p := 0; p < g.k; p++ {
			av := a64[i*g.k+p]
			for j, bv := range b64[p*g.n : p*g.n+g.n] {
				s[j] += av * bv
				mag[j] += math.Abs(av * bv)
			}
		}
		for j := 0; j < g.n; j++ {
			want := float64(g.alpha) * s[j]
			mg := math.Abs(float64(g.alpha)) * mag[j]
			if g.beta != 0 {
				cv := float64(c0[i*c.ld+j])
				want += float64(g.beta) * cv
				mg += math.Abs(float64(g.beta) * cv)
			}
			got := float64(c.d[i*c.ld+j])
			if !(math.Abs(got-want) <= tol*mg+1e-30) {
				t.Fatalf("%s [%s]: C[%d,%d] = %v, want %v (tol %.3g)", g, im.active.name, i, j, got, want, tol*mg)
			}
		}
		for j := g.n; j < c.ld && i < g.m-1; j++ {
			if c.d[i*c.ld+j] != cPad {
				t.Fatalf("%s [%s]: wrote C padding at (%d,%d)", g, im.active.name, i, j)
			}
		}
	}
}

// forKernels runs f once per kernel this CPU supports (with -short: the
// selected one), and once more per kernel with the matrix–vector paths
// disabled (so that thin products go through the packed kernels too).
func forKernels[T Float](t *testing.T, im *impl[T], f func(t *testing.T)) {
	saved, gn, gm := im.active, gemvMaxN, gemvMaxM
	defer func() { im.active, gemvMaxN, gemvMaxM = saved, gn, gm }()
	kns := im.kernels
	if testing.Short() {
		kns = []*kernel[T]{im.active}
	}
	for _, kn := range kns {
		im.active = kn
		gemvMaxN, gemvMaxM = gn, gm
		t.Run(kn.name, f)
		gemvMaxN, gemvMaxM = 0, 0
		t.Run(kn.name+"/nogemv", f)
	}
}

var shapes = [][3]int{ // m, n, k
	{1, 1, 1}, {1, 1, 7}, {2, 2, 2}, {3, 5, 4}, {7, 13, 5}, {5, 7, 13},
	{6, 16, 1}, {12, 32, 3}, {13, 33, 17}, {24, 64, 256}, {25, 65, 257},
	{97, 61, 33}, {61, 97, 300}, {31, 37, 520},
	{256, 2, 128}, {256, 128, 1}, {1, 128, 128}, {128, 1, 256}, {1, 1, 500},
	{256, 128, 2}, {256, 128, 128}, {128, 128, 256}, {300, 5, 3}, {3, 300, 5},
	{150, 200, 700}, {256, 500, 784},
}

func TestGemmShapes(t *testing.T) { forTypes(t, testGemmShapes(f32), testGemmShapes(f64)) }

func testGemmShapes[T Float](im *impl[T]) func(t *testing.T) {
	return func(t *testing.T) {
		forKernels(t, im, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			for _, s := range shapes {
				if gemvMaxN == 0 && min(s[0], s[1]) > 8 {
					continue // the matrix–vector switch changes nothing here
				}
				if testing.Short() && s[0]*s[1]*s[2] > 1<<22 {
					continue
				}
				for _, ta := range []bool{false, true} {
					for _, tb := range []bool{false, true} {
						check(t, im, rng, gemmCase[T]{ta: ta, tb: tb, m: s[0], n: s[1], k: s[2], alpha: 1, beta: 0, nanC: true})
						check(t, im, rng, gemmCase[T]{ta: ta, tb: tb, m: s[0], n: s[1], k: s[2], alpha: -0.75, beta: 0.5, pad: 3})
					}
				}
			}
		})
	}
}

func TestGemmAlphaBeta(t *testing.T) { forTypes(t, testGemmAlphaBeta(f32), testGemmAlphaBeta(f64)) }

func testGemmAlphaBeta[T Float](im *impl[T]) func(t *testing.T) {
	return func(t *testing.T) {
		forKernels(t, im, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			for _, s := range [][3]int{{7, 13, 5}, {1, 40, 9}, {40, 1, 9}, {2, 30, 7}, {37, 45, 300}, {61, 70, 40}} {
				for _, ta := range []bool{false, true} {
					for _, tb := range []bool{false, true} {
						for _, alpha := range []T{0, 1, -2.5} {
							for _, beta := range []T{0, 1, 0.3} {
								for _, pad := range []int{0, 5} {
									g := gemmCase[T]{ta: ta, tb: tb, m: s[0], n: s[1], k: s[2], alpha: alpha, beta: beta, pad: pad}
									check(t, im, rng, g)
									if beta == 0 {
										g.nanC = true
										check(t, im, rng, g)
									}
								}
							}
						}
					}
				}
			}
		})
	}
}

func TestGemmEmpty(t *testing.T) { forTypes(t, testGemmEmpty(f32), testGemmEmpty(f64)) }

func testGemmEmpty[T Float](im *impl[T]) func(t *testing.T) {
	return func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, s := range [][3]int{{0, 5, 3}, {4, 0, 3}, {4, 5, 0}, {0, 0, 0}} {
			for _, beta := range []T{0, 1, 2} {
				check(t, im, rng, gemmCase[T]{m: s[0], n: s[1], k: s[2], alpha: 1, beta: beta})
				check(t, im, rng, gemmCase[T]{ta: true, tb: true, m: s[0], n: s[1], k: s[2], alpha: 1, beta: beta, pad: 2})
			}
		}
		check(t, im, rng, gemmCase[T]{m: 4, n: 5, k: 0, alpha: 1, beta: 0, nanC: true})
	}
}

// TestGemmParallel exercises the multi-goroutine split along rows and columns
// (including concurrent callers, which fall back to running inline).
func TestGemmParallel(t *testing.T) { forTypes(t, testGemmParallel(f32), testGemmParallel(f64)) }

func testGemmParallel[T Float](im *impl[T]) func(t *testing.T) {
	return func(t *testing.T) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
		pf, ms := parallelFlops, maxShared
		defer func() { parallelFlops, maxShared = pf, ms }()
		parallelFlops = 0 // split everything
		for _, shared := range []int{ms, 0} {
			maxShared = shared // 0: every chunk packs both operands
			forKernels(t, im, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(7, 8))
				for _, s := range [][3]int{{256, 128, 128}, {100, 700, 64}, {700, 100, 64}, {13, 200, 1000}, {7, 13, 5}, {30, 9, 4}, {97, 61, 300}} {
					for _, ta := range []bool{false, true} {
						for _, tb := range []bool{false, true} {
							check(t, im, rng, gemmCase[T]{ta: ta, tb: tb, m: s[0], n: s[1], k: s[2], alpha: 1.5, beta: 0.5, pad: 1})
						}
					}
				}
				// Concurrent callers share the workers.
				done := make(chan bool)
				for g := 0; g < 3; g++ {
					go func(seed uint64) {
						rng := rand.New(rand.NewPCG(seed, 9))
						ok := t.Run(fmt.Sprint("concurrent", seed), func(t *testing.T) {
							for i := 0; i < 4; i++ {
								check(t, im, rng, gemmCase[T]{ta: i&1 == 1, tb: i&2 == 2, m: 200, n: 150, k: 100, alpha: 1, beta: 0})
							}
						})
						done <- ok
					}(uint64(g))
				}
				for g := 0; g < 3; g++ {
					<-done
				}
			})
		}
	}
}

// TestGemmRandom checks random shapes, transposes, paddings and scalars.
func TestGemmRandom(t *testing.T) { forTypes(t, testGemmRandom(f32), testGemmRandom(f64)) }

func testGemmRandom[T Float](im *impl[T]) func(t *testing.T) {
	return func(t *testing.T) {
		n := 300
		if testing.Short() {
			n = 50
		}
		forKernels(t, im, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(10, 11))
			dim := func() int {
				switch rng.IntN(4) {
				case 0:
					return 1 + rng.IntN(8)
				case 1:
					return 1 + rng.IntN(40)
				default:
					return 1 + rng.IntN(300)
				}
			}
			scalars := []T{0, 1, -1, 0.5, 3}
			for i := 0; i < n; i++ {
				g := gemmCase[T]{
					ta: rng.IntN(2) == 1, tb: rng.IntN(2) == 1,
					m: dim(), n: dim(), k: dim(),
					alpha: scalars[rng.IntN(len(scalars))],
					beta:  scalars[rng.IntN(len(scalars))],
					pad:   rng.IntN(3) * rng.IntN(20),
				}
				g.nanC = g.beta == 0 && rng.IntN(2) == 0
				check(t, im, rng, g)
			}
		})
	}
}

func FuzzGemm(f *testing.F) {
	f.Add(uint8(7), uint8(13), uint8(5), uint8(0), uint8(3), int8(2), int8(0))
	f.Add(uint8(1), uint8(128), uint8(128), uint8(3), uint8(0), int8(1), int8(1))
	f.Add(uint8(97), uint8(61), uint8(33), uint8(1), uint8(1), int8(-3), int8(2))
	f.Fuzz(func(t *testing.T, m, n, k, trans, pad uint8, alpha, beta int8) {
		fuzzGemm(t, f32, m, n, k, trans, pad, alpha, beta)
		fuzzGemm(t, f64, m, n, k, trans, pad, alpha, beta)
	})
}

func fuzzGemm[T Float](t *testing.T, im *impl[T], m, n, k, trans, pad uint8, alpha, beta int8) {
	g := gemmCase[T]{
		ta: trans&1 == 1, tb: trans&2 == 2,
		m: int(m), n: int(n), k: int(k),
		alpha: T(alpha) / 2, beta: T(beta) / 2,
		pad: int(pad % 16),
	}
	g.nanC = g.beta == 0 && trans&4 == 4
	rng := rand.New(rand.NewPCG(uint64(m)<<16|uint64(n)<<8|uint64(k), 1))
	forKernels(t, im, func(t *testing.T) { check(t, im, rng, g) })
}

func TestGemmPanics(t *testing.T) { forTypes(t, testGemmPanics(Gemm32), testGemmPanics(Gemm64)) }

func testGemmPanics[T Float](gemm func(transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)) func(t *testing.T) {
	return func(t *testing.T) {
		buf := make([]T, 100)
		for i, f := range []func(){
			func() { gemm(false, false, -1, 2, 2, 1, buf, 2, buf, 2, 0, buf, 2) },
			func() { gemm(false, false, 2, 2, 3, 1, buf, 2, buf, 2, 0, buf, 2) },            // lda < k
			func() { gemm(false, false, 10, 10, 10, 1, buf[:50], 10, buf, 10, 0, buf, 10) }, // short A
			func() { gemm(true, false, 3, 4, 5, 1, buf, 2, buf, 4, 0, buf, 4) },             // lda < m
			func() { gemm(false, false, 3, 4, 5, 1, buf, 5, buf, 4, 0, buf[:10], 4) },       // short C
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("case %d: no panic", i)
					}
				}()
				f()
			}()
		}
	}
}

func TestGemmAllocs(t *testing.T) { forTypes(t, testGemmAllocs(f32), testGemmAllocs(f64)) }

func testGemmAllocs[T Float](im *impl[T]) func(t *testing.T) {
	return func(t *testing.T) {
		if testing.Short() {
			t.Skip()
		}
		rng := rand.New(rand.NewPCG(12, 13))
		for _, s := range [][3]int{{256, 128, 128}, {64, 64, 64}, {256, 128, 1}} {
			a := newMat[T](rng, s[0], s[2], 0, 0)
			b := newMat[T](rng, s[1], s[2], 0, 0)
			c := newMat[T](rng, s[0], s[1], 0, 0)
			f := func() { im.gemm(false, true, s[0], s[1], s[2], 1, a.d, a.ld, b.d, b.ld, 0, c.d, c.ld, true) }
			f()
			if n := testing.AllocsPerRun(50, f); n > 0.5 {
				t.Errorf("%v: %v allocs per call", s, n)
			}
		}
	}
}

// TestSerial64 checks that Serial64 computes Gemm64's product on the calling
// goroutine: a fresh implementation gains no worker from it, but does from
// Gemm64 on the same (parallel-sized) product, and both give the same bits.
func TestSerial64(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	im := newImpl("dgemm", f64.active)
	rng := rand.New(rand.NewPCG(3, 4))
	const m, n, k = 200, 150, 100
	a, b := newMat[float64](rng, m, k, 0, sentinel), newMat[float64](rng, k, n, 0, sentinel)
	serial, par := make([]float64, m*n), make([]float64, m*n)
	im.gemm(false, false, m, n, k, 1, a.d, a.ld, b.d, b.ld, 0, serial, n, false)
	if w := len(im.allWorkers()); w != 0 {
		t.Fatalf("serial product started %d workers", w)
	}
	im.gemm(false, false, m, n, k, 1, a.d, a.ld, b.d, b.ld, 0, par, n, true)
	if len(im.allWorkers()) == 0 {
		t.Fatal("the parallel product started no worker: the test does not tell the two apart")
	}
	for i := range par {
		if serial[i] != par[i] {
			t.Fatalf("element %d: serial %v, parallel %v", i, serial[i], par[i])
		}
	}
	// The exported function is the serial path.
	Serial64(false, false, m, n, k, 1, a.d, a.ld, b.d, b.ld, 0, par, n)
	for i := range par {
		if serial[i] != par[i] {
			t.Fatalf("Serial64 element %d: %v, want %v", i, par[i], serial[i])
		}
	}
}
