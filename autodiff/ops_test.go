package autodiff

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

type opCase struct {
	name   string
	shapes [][2]int
	// positive inputs (for log, sqrt, pow); away-from-zero inputs (for kinks)
	positive, awayFromZero bool
	f                      func(t *Tape[float64], xs []*Var[float64]) *Var[float64]
}

func randInput(r, c int, rng *rand.Rand, positive, away bool) *tensor.Dense[float64] {
	m := tensor.New[float64](r, c)
	for i := range m.Data {
		v := rng.NormFloat64()
		if away {
			v = math.Copysign(0.2+math.Abs(v), v)
		}
		if positive {
			v = 0.5 + math.Abs(v)
		}
		m.Data[i] = v
	}
	return m
}

// wrap turns an op's matrix output into a scalar whose Hessian involves the op's
// backward rule: Σ R ⊙ out³, with a fixed random R.
func wrap(out *Var[float64], seed uint64) *Var[float64] {
	rng := rand.New(rand.NewPCG(seed, 99))
	r := tensor.New[float64](out.Rows(), out.Cols())
	for i := range r.Data {
		r.Data[i] = rng.NormFloat64()
	}
	return Sum(Mul(Mul(Square(out), out), out.Tape().Const(r)))
}

func opCases() []opCase {
	act := func(f tensor.Func, p float64) func(t *Tape[float64], xs []*Var[float64]) *Var[float64] {
		return func(t *Tape[float64], xs []*Var[float64]) *Var[float64] { return Act(f, p, xs[0]) }
	}
	one := [][2]int{{4, 3}}
	return []opCase{
		{"matmul", [][2]int{{4, 3}, {3, 5}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return MatMul(x[0], false, x[1], false) }},
		{"matmul_ta", [][2]int{{3, 4}, {3, 5}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return MatMul(x[0], true, x[1], false) }},
		{"matmul_tb", [][2]int{{4, 3}, {5, 3}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return MatMul(x[0], false, x[1], true) }},
		{"matmul_tab", [][2]int{{3, 4}, {5, 3}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return MatMul(x[0], true, x[1], true) }},
		{"add", [][2]int{{4, 3}, {4, 3}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Add(x[0], x[1]) }},
		{"add_row", [][2]int{{4, 3}, {1, 3}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Add(x[0], x[1]) }},
		{"add_col", [][2]int{{4, 1}, {4, 3}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Add(x[0], x[1]) }},
		{"sub_scalar", [][2]int{{4, 3}, {1, 1}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Sub(x[0], x[1]) }},
		{"sub_row", [][2]int{{1, 3}, {4, 3}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Sub(x[0], x[1]) }},
		{"mul", [][2]int{{4, 3}, {4, 3}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Mul(x[0], x[1]) }},
		{"mul_col", [][2]int{{4, 3}, {4, 1}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Mul(x[0], x[1]) }},
		{"div", [][2]int{{4, 3}, {4, 3}}, true, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Div(x[0], x[1]) }},
		{"div_row", [][2]int{{4, 3}, {1, 3}}, true, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Div(x[0], x[1]) }},
		{"scale", one, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Scale(x[0], -1.7) }},
		{"addscalar", one, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return AddScalar(x[0], 0.3) }},
		{"exp", one, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Exp(x[0]) }},
		{"log", one, true, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Log(x[0]) }},
		{"log1p", one, true, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Log1p(x[0]) }},
		{"sqrt", one, true, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Sqrt(x[0]) }},
		{"square", one, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Square(x[0]) }},
		{"pow", one, true, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Pow(x[0], 2.5) }},
		{"abs", one, false, true, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Abs(x[0]) }},
		{"tanh", one, false, false, act(tensor.FnTanh, 0)},
		{"sigmoid", one, false, false, act(tensor.FnSigmoid, 0)},
		{"softplus", one, false, false, act(tensor.FnSoftplus, 0)},
		{"silu", one, false, false, act(tensor.FnSiLU, 0)},
		{"relu", one, false, true, act(tensor.FnReLU, 0)},
		{"leakyrelu", one, false, true, act(tensor.FnLeakyReLU, 0.1)},
		{"elu", one, false, true, act(tensor.FnELU, 1.3)},
		{"sum", one, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Sum(x[0]) }},
		{"sumrows", one, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return SumRows(x[0]) }},
		{"sumcols", one, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return SumCols(x[0]) }},
		{"mean", one, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Mean(x[0]) }},
		{"meanrows", one, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return MeanRows(x[0]) }},
		{"meancols", one, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return MeanCols(x[0]) }},
		{"broadcast", [][2]int{{1, 3}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return BroadcastTo(x[0], 4, 3) }},
		{"logsumexp", one, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return RowLogSumExp(x[0]) }},
		{"rowmax", one, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return RowMax(x[0]) }},
		{"concat", [][2]int{{4, 2}, {4, 3}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return ConcatCols(x[0], x[1]) }},
		{"slice", [][2]int{{4, 5}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return SliceCols(x[0], 1, 4) }},
		{"gather", [][2]int{{4, 3}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] {
			return GatherRows(x[0], []int{2, 0, 2, 3, 3, 3})
		}},
		{"where", [][2]int{{4, 3}, {4, 3}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] {
			m := tensor.FromSlice(4, 3, []float64{1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1})
			return Where(m, x[0], x[1])
		}},
		{"transpose", [][2]int{{4, 3}}, false, false, func(t *Tape[float64], x []*Var[float64]) *Var[float64] { return Transpose(x[0]) }},
	}
}

// TestEveryOpFirstAndSecondOrder runs the finite-difference checker on every op,
// to first and second order, in float64.
func TestEveryOpFirstAndSecondOrder(t *testing.T) {
	const tol = 1e-6
	for ci, c := range opCases() {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 7))
			in := make([]*tensor.Dense[float64], len(c.shapes))
			for k, s := range c.shapes {
				in[k] = randInput(s[0], s[1], rng, c.positive, c.awayFromZero)
			}
			f := func(tp *Tape[float64], xs []*Var[float64]) *Var[float64] { return wrap(c.f(tp, xs), uint64(ci)) }
			e1, err := CheckGrad(f, in, 1e-5)
			if err != nil {
				t.Fatal(err)
			}
			e2, err := CheckGrad2(f, in, 1e-5, uint64(ci))
			if err != nil {
				t.Fatal(err)
			}
			if e1 > tol || e2 > tol {
				t.Errorf("relative error: first order %.2e, second order %.2e (tolerance %.0e)", e1, e2, tol)
			}
		})
	}
}

// TestThirdOrderActivation checks a third derivative end to end: d/dx of the
// second derivative of Σ silu(x)·w.
func TestThirdOrderActivation(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x := randInput(3, 4, rng, false, false)
	f := func(tp *Tape[float64], xs []*Var[float64]) *Var[float64] {
		y := Sum(Mul(SiLU(xs[0]), Tanh(xs[0])))
		g := Grad(y, xs, true)[0]
		return Sum(Mul(g, g))
	}
	e, err := CheckGrad2(f, []*tensor.Dense[float64]{x}, 1e-5, 3)
	if err != nil {
		t.Fatal(err)
	}
	if e > 1e-6 {
		t.Fatalf("third-order relative error %.2e", e)
	}
}

func TestPruningSkipsUnneededGradients(t *testing.T) {
	tp := NewTape[float64]()
	rng := rand.New(rand.NewPCG(1, 1))
	w := NewParam("w", randInput(3, 3, rng, false, false))
	x := tp.Leaf(randInput(5, 3, rng, false, false))
	y := Sum(SiLU(MatMul(x, false, tp.Param(w), false)))
	before := tp.Len()
	g := Grad(y, []*Var[float64]{x}, false)[0]
	added := tp.Len() - before
	// Gradient w.r.t. x only: the weight gradient (a matmul xᵀ·g) must not be built.
	tp2 := NewTape[float64]()
	x2 := tp2.Leaf(x.Value)
	w2 := tp2.Param(w)
	y2 := Sum(SiLU(MatMul(x2, false, w2, false)))
	before2 := tp2.Len()
	Grad(y2, []*Var[float64]{x2, w2}, false)
	added2 := tp2.Len() - before2
	if added >= added2 {
		t.Fatalf("pruning: x-only gradient built %d nodes, x-and-w built %d", added, added2)
	}
	if g.Rows() != 5 || g.Cols() != 3 {
		t.Fatalf("gradient shape %dx%d", g.Rows(), g.Cols())
	}
	// Gradient with respect to something y does not depend on is zero.
	z := tp.Leaf(tensor.Full[float64](2, 2, 1))
	gz := Grad(y, []*Var[float64]{z}, false)[0]
	if tensor.SumAll(gz.Value) != 0 || gz.Rows() != 2 {
		t.Fatalf("unrelated gradient %v", gz.Value)
	}
}

func TestTapeResetReusesBuffers(t *testing.T) {
	tp := NewTape[float32]()
	rng := rand.New(rand.NewPCG(1, 1))
	w := NewParam("w", tensor.Convert[float32](nil, randInput(64, 64, rng, false, false)))
	xv := tensor.Convert[float32](nil, randInput(32, 64, rng, false, false))
	step := func() {
		x := tp.Const(xv)
		loss := Mean(Square(SiLU(MatMul(x, false, tp.Param(w), false))))
		Backward(loss, []*Param[float32]{w})
		tp.Reset()
	}
	step()
	allocs := testing.AllocsPerRun(20, step)
	// Node structs and closures are small; the 32×64 value buffers must come
	// from the pool: each would be 8 KiB.
	ms1 := memStats()
	step()
	ms2 := memStats()
	if d := ms2 - ms1; d > 64<<10 {
		t.Fatalf("one training step allocated %d bytes after warm-up (%.0f allocs)", d, allocs)
	}
}

func TestBackwardAccumulatesIntoParams(t *testing.T) {
	tp := NewTape[float64]()
	w := NewParam("w", tensor.FromSlice(1, 2, []float64{2, 3}))
	loss := Sum(Square(tp.Param(w))) // gradient 2w
	Backward(loss, []*Param[float64]{w})
	Backward(loss, []*Param[float64]{w})
	if w.Grad.Data[0] != 8 || w.Grad.Data[1] != 12 {
		t.Fatalf("accumulated gradient %v", w.Grad.Data)
	}
}

func TestCheckGradDetectsWrongGradient(t *testing.T) {
	// A function whose value and gradient disagree must fail the checker: build
	// one from Detach, which cuts the gradient on purpose.
	x := tensor.FromSlice(1, 3, []float64{0.5, -1, 2})
	f := func(tp *Tape[float64], xs []*Var[float64]) *Var[float64] {
		return Sum(Mul(xs[0], Detach(xs[0]))) // true gradient 2x, tape says x
	}
	e, err := CheckGrad(f, []*tensor.Dense[float64]{x}, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	if e < 0.1 {
		t.Fatalf("checker missed a wrong gradient: relative error %.2e", e)
	}
}

// TestScratch: a Scratch leaf holds what the caller writes, its gradient can
// be asked for, and its buffer comes from the tape's pool after Reset.
func TestScratch(t *testing.T) {
	tp := NewTape[float64]()
	for round := 0; round < 2; round++ {
		tp.Reset()
		v := tp.Scratch(2, 3, true)
		for i := range v.Value.Data {
			v.Value.Data[i] = float64(i + round)
		}
		g := Grad(Sum(Square(v)), []*Var[float64]{v}, false)[0]
		for i, x := range v.Value.Data {
			if g.Value.Data[i] != 2*x {
				t.Fatalf("round %d: d/dx x² at %v = %v", round, x, g.Value.Data[i])
			}
		}
	}
	tp.Reset()
	tp.Scratch(100, 100, false)
	// Only the node itself is allocated, not its 10,000 values.
	if a := testing.AllocsPerRun(20, func() {
		tp.Reset()
		tp.Scratch(100, 100, false)
	}); a > 1 {
		t.Fatalf("Reset + Scratch allocates %v times", a)
	}
}

// TestBackwardSet: BackwardSet leaves the gradients that zeroing them and
// Backward leave: params on the tape, one not on it, one listed twice, with
// stale values in the gradients beforehand.
func TestBackwardSet(t *testing.T) {
	mk := func() []*Param[float64] {
		a := NewParam("a", tensor.FromSlice(2, 2, []float64{1, -2, 3, 0.5}))
		b := NewParam("b", tensor.FromSlice(1, 2, []float64{0.25, -1}))
		c := NewParam("c", tensor.FromSlice(1, 3, []float64{7, 8, 9})) // not on the tape
		for _, p := range []*Param[float64]{a, b, c} {
			for i := range p.Grad.Data {
				p.Grad.Data[i] = 100 + float64(i) // stale
			}
		}
		return []*Param[float64]{a, b, c, a}
	}
	loss := func(ps []*Param[float64]) *Var[float64] {
		tp := NewTape[float64]()
		x := tp.Const(tensor.FromSlice(3, 2, []float64{1, 2, -1, 0.5, 3, -2}))
		h := Tanh(MatMul(x, false, tp.Param(ps[0]), false))
		return Sum(Square(Add(h, tp.Param(ps[1]))))
	}
	want, got := mk(), mk()
	for _, p := range want[:3] {
		p.Grad.Zero()
	}
	Backward(loss(want), want)
	BackwardSet(loss(got), got)
	for i := range want[:3] {
		for j, w := range want[i].Grad.Data {
			if g := got[i].Grad.Data[j]; g != w {
				t.Fatalf("param %s, element %d: BackwardSet %v, zero + Backward %v", want[i].Name, j, g, w)
			}
		}
	}
	if got[2].Grad.Data[0] != 0 {
		t.Fatal("the param not on the tape kept its stale gradient")
	}
}
