package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randDense[T Float](r, c int, rng *rand.Rand) *Dense[T] {
	m := New[T](r, c)
	for i := range m.Data {
		m.Data[i] = T(rng.NormFloat64())
	}
	return m
}

func refGemm(ta, tb bool, a, b *Dense[float64]) *Dense[float64] {
	if ta {
		a = a.T()
	}
	if tb {
		b = b.T()
	}
	c := New[float64](a.Rows, b.Cols)
	for i := 0; i < a.Rows; i++ {
		for j := 0; j < b.Cols; j++ {
			s := 0.0
			for k := 0; k < a.Cols; k++ {
				s += a.At(i, k) * b.At(k, j)
			}
			c.Set(i, j, s)
		}
	}
	return c
}

func TestGemmAllTransposes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{3, 4, 5}, {37, 65, 29}, {64, 128, 96}} {
		m, k, n := sz[0], sz[1], sz[2]
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
				a, b := randDense[float64](ar, ac, rng), randDense[float64](br, bc, rng)
				want := refGemm(ta, tb, a, b)
				c0 := randDense[float64](m, n, rng)
				for _, be := range []Float64Backend{Float64SIMD, Float64Gonum} {
					SetFloat64Backend(be)
					// c = 2·op(a)op(b) + 0.5·c0
					c := c0.Clone()
					Gemm(ta, tb, 2, a, b, 0.5, c)
					for i := range c.Data {
						w := 2*want.Data[i] + 0.5*c0.Data[i]
						if math.Abs(c.Data[i]-w) > 1e-10*(1+math.Abs(w)) {
							t.Fatalf("f64 backend %d %v ta=%v tb=%v: got %v want %v", be, sz, ta, tb, c.Data[i], w)
						}
					}
					// beta = 0 ignores NaN in c.
					c.Fill(math.NaN())
					Gemm(ta, tb, 1, a, b, 0, c)
					if c.HasNaNInf() >= 0 {
						t.Fatalf("f64 beta=0 propagated NaN (backend %d)", be)
					}
				}
				SetFloat64Backend(defaultFloat64Backend)
				for _, be := range []Float32Backend{Float32SIMD, Float32Gonum} {
					SetFloat32Backend(be)
					a32, b32 := Convert[float32](nil, a), Convert[float32](nil, b)
					c32 := Convert[float32](nil, c0)
					Gemm(ta, tb, 2, a32, b32, 0.5, c32)
					for i := range c32.Data {
						w := 2*want.Data[i] + 0.5*c0.Data[i]
						if math.Abs(float64(c32.Data[i])-w) > 1e-4*(1+math.Abs(w))*math.Sqrt(float64(k)) {
							t.Fatalf("f32 backend %d %v ta=%v tb=%v: got %v want %v", be, sz, ta, tb, c32.Data[i], w)
						}
					}
					// beta = 0 ignores NaN in c.
					c32.Fill(float32(math.NaN()))
					Gemm(ta, tb, 1, a32, b32, 0, c32)
					if c32.HasNaNInf() >= 0 {
						t.Fatalf("beta=0 propagated NaN (backend %d)", be)
					}
				}
				SetFloat32Backend(Float32SIMD)
			}
		}
	}
}

func TestActDerivMatchesFiniteDifferences(t *testing.T) {
	xs := []float64{-6, -2.5, -0.7, -0.1, 0.3, 1.1, 2.9, 7}
	for _, f := range []Func{FnTanh, FnSigmoid, FnSoftplus, FnSiLU, FnELU} {
		for order := 1; order <= 5; order++ {
			for _, x := range xs {
				if f == FnELU && math.Abs(x) < 0.2 {
					continue // kink
				}
				h := 1e-4
				lo, hi := New[float64](1, 1), New[float64](1, 1)
				at := func(v float64, o int) float64 {
					a := Scalar(v)
					if o == 0 {
						return Map(f, 1, nil, a).Data[0]
					}
					return ActDeriv(f, o, 1, nil, a).Data[0]
				}
				_, _ = lo, hi
				fd := (at(x+h, order-1) - at(x-h, order-1)) / (2 * h)
				got := at(x, order)
				if math.Abs(fd-got) > 1e-6*(1+math.Abs(got)) {
					t.Errorf("f=%d order %d at %v: got %v, finite difference %v", f, order, x, got, fd)
				}
			}
		}
	}
}

func TestFloat32MapsMatchFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := randDense[float64](300, 7, rng)
	Scale(a, a, 4)
	a.Data[0] = -120
	a.Data[1] = 120
	a32 := Convert[float32](nil, a)
	for _, f := range []Func{FnExp, FnSigmoid, FnSiLU, FnSquare, FnNeg, FnTanh, FnSoftplus} {
		want := Map(f, 0, nil, a)
		got := Map(f, 0, nil, a32)
		for i := range want.Data {
			w, g := want.Data[i], float64(got.Data[i])
			if math.Abs(w) > math.MaxFloat32 && math.Abs(g) >= 1e38 {
				continue // overflow: float32 exp saturates (see expHi) where math gives Inf
			}
			if math.Abs(w-g) > 1e-5*(1+math.Abs(w)) {
				t.Fatalf("f=%d x=%v: f32 %v f64 %v", f, a.Data[i], g, w)
			}
		}
	}
	g := ActDeriv(FnSiLU, 1, 0, nil, a32)
	w := ActDeriv(FnSiLU, 1, 0, nil, a)
	for i := range w.Data {
		if math.Abs(w.Data[i]-float64(g.Data[i])) > 1e-5 {
			t.Fatalf("silu' f32 %v f64 %v at %v", g.Data[i], w.Data[i], a.Data[i])
		}
	}
}

func TestBroadcastBinaryAndReduce(t *testing.T) {
	a := FromSlice(2, 3, []float64{1, 2, 3, 4, 5, 6})
	row := FromSlice(1, 3, []float64{10, 20, 30})
	col := FromSlice(2, 1, []float64{100, 200})
	got := Binary(OpAdd, nil, a, row)
	want := []float64{11, 22, 33, 14, 25, 36}
	for i := range want {
		if got.Data[i] != want[i] {
			t.Fatalf("row broadcast: %v", got.Data)
		}
	}
	got = Binary(OpSub, nil, col, a)
	want = []float64{99, 98, 97, 196, 195, 194}
	for i := range want {
		if got.Data[i] != want[i] {
			t.Fatalf("col broadcast: %v", got.Data)
		}
	}
	if s := ReduceTo(nil, a, 1, 3); s.Data[0] != 5 || s.Data[2] != 9 {
		t.Fatalf("ReduceTo rows %v", s.Data)
	}
	if s := ReduceTo(nil, a, 2, 1); s.Data[0] != 6 || s.Data[1] != 15 {
		t.Fatalf("ReduceTo cols %v", s.Data)
	}
	lse := RowLogSumExp(nil, FromSlice(1, 3, []float64{1000, 1000, math.Inf(-1)}))
	if math.Abs(lse.Data[0]-(1000+math.Log(2))) > 1e-12 {
		t.Fatalf("lse %v", lse.Data)
	}
	arg := make([]int, 2)
	mx := RowMax(nil, a, arg)
	if mx.Data[1] != 6 || arg[0] != 2 {
		t.Fatalf("RowMax %v %v", mx.Data, arg)
	}
	g := GatherRows(nil, a, []int{1, 1, 0})
	s := ScatterAddRows(nil, g, []int{1, 1, 0}, 2)
	if s.At(1, 0) != 8 || s.At(0, 2) != 3 {
		t.Fatalf("scatter %v", s.Data)
	}
	c := ConcatCols(nil, a, col)
	if c.Cols != 4 || c.At(1, 3) != 200 {
		t.Fatalf("concat %v", c)
	}
	if sl := SliceCols(nil, c, 1, 3); sl.At(1, 1) != 6 {
		t.Fatalf("slice %v", sl)
	}
}

func TestParallelForCoversRange(t *testing.T) {
	n := 1<<17 + 13
	seen := make([]int32, n)
	ParallelFor(n, 1000, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			seen[i]++
		}
	})
	for i, v := range seen {
		if v != 1 {
			t.Fatalf("index %d visited %d times", i, v)
		}
	}
}

func TestActDerivFloat32MatchesFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	a := randDense[float64](50, 9, rng)
	Scale(a, a, 3)
	a32 := Convert[float32](nil, a)
	for _, f := range []Func{FnTanh, FnSigmoid, FnSoftplus, FnSiLU} {
		for order := 1; order <= 4; order++ {
			want := ActDeriv(f, order, 0, nil, a)
			got := ActDeriv(f, order, 0, nil, a32)
			for i := range want.Data {
				if math.Abs(want.Data[i]-float64(got.Data[i])) > 2e-5*(1+math.Abs(want.Data[i])) {
					t.Fatalf("f=%d order %d at %v: float32 %v, float64 %v", f, order, a.Data[i], got.Data[i], want.Data[i])
				}
			}
		}
	}
}

// The closed forms of actDerivClosed against the polynomials they factor
// (sigmoidPoly, tanhPoly by their recurrences), in float64, over a wide range.
func TestActDerivClosedFormsMatchPolynomials(t *testing.T) {
	var xs []float64
	for x := -40.0; x <= 40; x += 0.37 {
		xs = append(xs, x)
	}
	for _, f := range []Func{FnTanh, FnSigmoid, FnSoftplus, FnSiLU} {
		for n := 1; n <= 6; n++ {
			u := make([]float64, len(xs))
			for i, x := range xs {
				if f == FnTanh {
					u[i] = math.Tanh(x)
				} else {
					u[i] = sigmoid(x)
				}
			}
			got := append([]float64(nil), u...)
			if !actDerivClosed(f, n, got, xs, got) {
				if n <= 4 || (f != FnTanh && n == 5) {
					t.Fatalf("f=%d order %d: no closed form", f, n)
				}
				continue
			}
			for i, x := range xs {
				var want float64
				switch f {
				case FnTanh:
					want = horner(tanhPoly(n), u[i])
				case FnSoftplus:
					want = horner(sigmoidPoly(n-1), u[i])
				case FnSigmoid:
					want = horner(sigmoidPoly(n), u[i])
				case FnSiLU:
					want = x*horner(sigmoidPoly(n), u[i]) + float64(n)*horner(sigmoidPoly(n-1), u[i])
				}
				if math.Abs(got[i]-want) > 1e-12*(1+math.Abs(x)) {
					t.Fatalf("f=%d order %d at %v: closed form %v, polynomial %v", f, n, x, got[i], want)
				}
			}
		}
	}
}

func TestActDerivFromMatchesActDeriv(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	a := randDense[float64](40, 70, rng)
	Scale(a, a, 4)
	g := randDense[float64](40, 70, rng)
	for _, f := range []Func{FnTanh, FnSigmoid, FnSoftplus, FnSiLU, FnReLU} {
		uf := FnSigmoid
		if f == FnTanh {
			uf = FnTanh
		}
		u := Map(uf, 0, nil, a)
		for n := 1; n <= 6; n++ {
			want := ActDeriv(f, n, 0, nil, a)
			got := ActDerivFrom(f, n, nil, a, u, nil)
			gotMul := ActDerivFrom(f, n, nil, a, u, g)
			for i := range want.Data {
				if math.Abs(got.Data[i]-want.Data[i]) > 1e-12*(1+math.Abs(want.Data[i])) {
					t.Fatalf("f=%d order %d at %v: %v, ActDeriv %v", f, n, a.Data[i], got.Data[i], want.Data[i])
				}
				if w := want.Data[i] * g.Data[i]; math.Abs(gotMul.Data[i]-w) > 1e-12*(1+math.Abs(w)) {
					t.Fatalf("f=%d order %d with mul at %v: %v, want %v", f, n, a.Data[i], gotMul.Data[i], w)
				}
			}
			// float32: the same within float32 rounding.
			a32, u32, g32 := Convert[float32](nil, a), Convert[float32](nil, u), Convert[float32](nil, g)
			got32 := ActDerivFrom(f, n, nil, a32, u32, g32)
			got32n := ActDerivFrom(f, n, nil, a32, u32, nil)
			for i := range want.Data {
				w := want.Data[i] * g.Data[i]
				if math.Abs(float64(got32.Data[i])-w) > 2e-5*(1+math.Abs(w))*(1+math.Abs(a.Data[i])) {
					t.Fatalf("float32 f=%d order %d at %v: %v, want %v", f, n, a.Data[i], got32.Data[i], w)
				}
				w = want.Data[i]
				if math.Abs(float64(got32n.Data[i])-w) > 2e-5*(1+math.Abs(w))*(1+math.Abs(a.Data[i])) {
					t.Fatalf("float32 f=%d order %d at %v (no mul): %v, want %v", f, n, a.Data[i], got32n.Data[i], w)
				}
			}
		}
	}
}

// The float32 sigmoid (SIMD kernel where the CPU has one, with the portable
// tail) against float64 over [−90, 90], to a few ulps: relative error ≤ 1e-6
// where σ is a normal float32.
func TestSigmoid32Accuracy(t *testing.T) {
	var xs []float32
	for x := -90.0; x <= 90; x += 0.0073 {
		xs = append(xs, float32(x))
	}
	s := make([]float32, len(xs))
	sigmoidInto32(s, xs)
	h, s2 := make([]float32, len(xs)), make([]float32, len(xs))
	SiLUForward(h, s2, xs)
	g := make([]float32, len(xs))
	for i := range g {
		g[i] = float32(1 + i%3)
	}
	SiLUBackward(g, xs, s2)
	// The portable path (vek's exp and reciprocal) is good to about 1e-6.
	tol := 1e-6
	if sigmoid32(make([]float32, 8), xs[:8]) == 0 {
		tol = 1e-5
	}
	worst := 0.0
	for i, x := range xs {
		w := sigmoid(float64(x))
		e := math.Abs(float64(s[i])-w) / (w + 1e-37/1e-6)
		worst = max(worst, e)
		if e > tol || s2[i] != s[i] {
			t.Fatalf("σ(%v) = %v (SiLUForward's %v), float64 %v", x, s[i], s2[i], w)
		}
		if hw := float64(x) * w; math.Abs(float64(h[i])-hw) > tol*math.Abs(hw)+1e-35 {
			t.Fatalf("SiLU(%v) = %v, float64 %v", x, h[i], hw)
		}
		gw := float64(1+i%3) * (w + float64(x)*w*(1-w))
		if math.Abs(float64(g[i])-gw) > 2*tol*(math.Abs(gw)+math.Abs(float64(x))*w*(1-w))+1e-30 {
			t.Fatalf("SiLU′(%v)·%d = %v, float64 %v", x, 1+i%3, g[i], gw)
		}
	}
	t.Logf("largest relative error of σ: %.3g", worst)
}

// Binary on float32 (one-pass SIMD kernels with a scalar tail) against the
// float64 operation rounded to float32, for every length up to 70 and with the
// destination aliasing either operand.
func TestBinaryFloat32Kernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	for n := 0; n <= 70; n++ {
		a, b := New[float32](1, n), New[float32](1, n)
		for i := range n {
			a.Data[i] = float32(rng.NormFloat64())
			b.Data[i] = float32(rng.NormFloat64()) + 3
		}
		for _, op := range []BinOp{OpAdd, OpSub, OpMul, OpDiv} {
			want := make([]float32, n)
			for i := range want {
				x, y := float64(a.Data[i]), float64(b.Data[i])
				switch op {
				case OpAdd:
					want[i] = float32(x + y)
				case OpSub:
					want[i] = float32(x - y)
				case OpMul:
					want[i] = float32(x * y)
				case OpDiv:
					want[i] = float32(x / y)
				}
			}
			for alias := range 3 {
				a2, b2 := a.Clone(), b.Clone()
				var dst *Dense[float32]
				switch alias {
				case 1:
					dst = a2
				case 2:
					dst = b2
				}
				got := Binary(op, dst, a2, b2)
				for i := range want {
					// Division is correctly rounded by the SIMD kernel; the
					// portable path (vek) may be an ulp off.
					if got.Data[i] != want[i] && (op != OpDiv || hasAVX || math.Abs(float64(got.Data[i]-want[i])) > 1e-6*math.Abs(float64(want[i]))) {
						t.Fatalf("n=%d op %d alias %d: element %d is %v, want %v", n, op, alias, i, got.Data[i], want[i])
					}
				}
			}
		}
	}
}
