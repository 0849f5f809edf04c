package optim

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// adamRef holds w, m and v after each of three steps of torch.optim.Adam /
// AdamW (lr 0.1, β1 0.9, β2 0.999, ε 1e-8) on the 2-element parameter
// w0 = (0.5, −1.5) with gradient g(w) = (2(w₀ − 1), 6w₁ + 0.5).
//
// The numbers were computed with an independent, straightforward float64
// implementation of the torch.optim formulas in Python 3 (plain floats, no
// libraries; m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², bias corrections
// 1 − βᵗ, w ← w − (lr/bc1)·m/(√v/√bc2 + ε); Adam's L2 adds λ·w to g, AdamW
// first multiplies w by 1 − lr·λ), printed with repr.
var adamRef = []struct {
	name      string
	decoupled bool
	wd        float64
	w, m, v   [3][2]float64
}{
	{"adam", false, 0,
		[3][2]float64{{0.599999999, -1.4000000001176471}, {0.6988125783408332, -1.3002574603524844}, {0.7951287474397004, -1.2009744015983894}},
		[3][2]float64{{-0.09999999999999998, -0.8499999999999999}, {-0.17000000019999995, -1.5550000000705881}, {-0.2132374845118333, -2.12965447627502}},
		[3][2]float64{{0.0010000000000000009, 0.07225000000000006}, {0.0016390000032000015, 0.13458775001115308}, {0.002000216455059589, 0.1877657181743096}}},
	{"adam+L2", false, 0.1,
		[3][2]float64{{0.5999999989473684, -1.400000000115607}, {0.6985938182267247, -1.3002571369302347}, {0.7941484916460491, -1.2009731418561205}},
		[3][2]float64{{-0.09499999999999997, -0.8649999999999999}, {-0.1595000002210526, -1.58250000007052}, {-0.19684529837133513, -2.1674068535909115}},
		[3][2]float64{{0.0009025000000000006, 0.07482250000000007}, {0.0014491975032715802, 0.13938927751133978}, {0.0017317871864966812, 0.19447809912830946}}},
	{"adamw", true, 0.1,
		[3][2]float64{{0.594999999, -1.385000000117647}, {0.6879592202507538, -1.27145972200861}, {0.7777561630547124, -1.1596086791761921}},
		[3][2]float64{{-0.09999999999999998, -0.8499999999999999}, {-0.17100000019999995, -1.5460000000705878}, {-0.2163081561298492, -2.104275833268695}},
		[3][2]float64{{0.0010000000000000009, 0.07225000000000006}, {0.0016551000032400016, 0.133173850011026}, {0.002042922696142832, 0.18385987151781097}}},
}

func testAdamTrajectory[T tensor.Float](t *testing.T, tol float64) {
	for _, tc := range adamRef {
		c := DefaultAdam(0.1)
		c.WeightDecay = tc.wd
		newf := NewAdam[T]
		if tc.decoupled {
			newf = NewAdamW[T]
		}
		o, err := newf(c)
		if err != nil {
			t.Fatal(err)
		}
		p := newParam[T]("w", 0.5, -1.5)
		ps := []*autodiff.Param[T]{p}
		for s := 0; s < 3; s++ {
			w := p.Value.Data
			p.Grad.Data[0] = 2 * (w[0] - 1)
			p.Grad.Data[1] = 6*w[1] + 0.5
			o.Step(ps)
			for _, x := range []struct {
				what string
				got  []T
				want [2]float64
			}{{"w", w, tc.w[s]}, {"m", o.slots.data[0][0], tc.m[s]}, {"v", o.slots.data[1][0], tc.v[s]}} {
				for j := range 2 {
					if d := math.Abs(float64(x.got[j]) - x.want[j]); d > tol*math.Abs(x.want[j]) {
						t.Errorf("%s step %d: %s[%d] = %.17g, want %.17g (rel. error %.2g)", tc.name, s+1, x.what, j, x.got[j], x.want[j], d/math.Abs(x.want[j]))
					}
				}
			}
		}
		if o.Steps() != 3 {
			t.Errorf("%s: Steps() = %d", tc.name, o.Steps())
		}
	}
}

func TestAdamTrajectory(t *testing.T) {
	t.Run("float64", func(t *testing.T) { testAdamTrajectory[float64](t, 1e-13) })
	t.Run("float32", func(t *testing.T) { testAdamTrajectory[float32](t, 2e-6) })
}

// With a zero loss gradient, AdamW shrinks w by exactly (1 − lr·λ) per step
// (its moments stay zero), while Adam's L2 term passes through the moment
// normalisation: its update is ≈ lr·sign(w) whatever λ, so it moves w by
// about lr per step.
func TestAdamWDecoupled(t *testing.T) {
	const lr, wd = 0.1, 0.1
	c := DefaultAdam(lr)
	c.WeightDecay = wd
	adam, _ := NewAdam[float64](c)
	adamw, _ := NewAdamW[float64](c)
	pa := newParam[float64]("w", 2, -3)
	pw := newParam[float64]("w", 2, -3)
	want := []float64{2, -3}
	for s := 1; s <= 3; s++ {
		adam.Step([]*autodiff.Param[float64]{pa})
		adamw.Step([]*autodiff.Param[float64]{pw})
		for j := range want {
			want[j] *= 1 - lr*wd
			if pw.Value.Data[j] != want[j] {
				t.Errorf("AdamW step %d: w[%d] = %.17g, want %.17g", s, j, pw.Value.Data[j], want[j])
			}
		}
		for j, w0 := range []float64{2, -3} {
			moved := math.Abs(pa.Value.Data[j] - w0)
			if math.Abs(moved-lr*float64(s)) > 0.01*lr*float64(s) {
				t.Errorf("Adam+L2 step %d: w[%d] moved %.9g, want ≈ %g", s, j, moved, lr*float64(s))
			}
		}
	}
	if !adamw.Decoupled() || adam.Decoupled() {
		t.Error("Decoupled() wrong")
	}
	// With a gradient, one AdamW step is the decayed w minus Adam's (λ = 0)
	// update: m̂ = g, v̂ = g², so the update is lr·g/(|g| + ε).
	adamw, _ = NewAdamW[float64](c)
	p := newParam[float64]("w", 2, -3)
	p.Grad.Data[0], p.Grad.Data[1] = 0.5, -4
	adamw.Step([]*autodiff.Param[float64]{p})
	for j, w0 := range []float64{2, -3} {
		g := p.Grad.Data[j]
		want := w0*(1-lr*wd) - lr*g/(math.Abs(g)+1e-8)
		if math.Abs(p.Value.Data[j]-want) > 1e-15 {
			t.Errorf("AdamW with gradient: w[%d] = %.17g, want %.17g", j, p.Value.Data[j], want)
		}
	}
}

func TestSGDFormulas(t *testing.T) {
	// Constant gradient g = 1 from w = 1 with lr = 0.1, μ = 0.9:
	// momentum: b = 1, 1.9, 2.71 → w = 0.9, 0.71, 0.439;
	// Nesterov: d = g + μb = 1.9, 2.71, 3.439 → w = 0.81, 0.539, 0.1951;
	// plain: w = 0.9, 0.8, 0.7;
	// plain with λ = 0.5: d = 1 + 0.5w = 1.5, 1.425, 1.35375 → w = 0.85, 0.7075, 0.572125.
	for _, tc := range []struct {
		name string
		cfg  SGDConfig
		want [3]float64
	}{
		{"momentum", SGDConfig{LR: 0.1, Momentum: 0.9}, [3]float64{0.9, 0.71, 0.439}},
		{"nesterov", SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true}, [3]float64{0.81, 0.539, 0.1951}},
		{"plain", SGDConfig{LR: 0.1}, [3]float64{0.9, 0.8, 0.7}},
		{"plain+L2", SGDConfig{LR: 0.1, WeightDecay: 0.5}, [3]float64{0.85, 0.7075, 0.572125}},
	} {
		o, err := NewSGD[float64](tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		p := newParam[float64]("w", 1)
		for s := range 3 {
			p.Grad.Data[0] = 1
			o.Step([]*autodiff.Param[float64]{p})
			if math.Abs(p.Value.Data[0]-tc.want[s]) > 1e-15 {
				t.Errorf("%s step %d: w = %.17g, want %.17g", tc.name, s+1, p.Value.Data[0], tc.want[s])
			}
		}
	}
	// Momentum and Nesterov with weight decay against a direct transcription
	// of torch.optim.SGD's loop, on a gradient that depends on w.
	for _, nesterov := range []bool{false, true} {
		const lr, mu, wd = 0.05, 0.8, 0.3
		o, _ := NewSGD[float64](SGDConfig{LR: lr, Momentum: mu, WeightDecay: wd, Nesterov: nesterov})
		p := newParam[float64]("w", 1.5)
		w, buf := 1.5, 0.0
		for s := range 5 {
			p.Grad.Data[0] = 3*p.Value.Data[0] - 1
			o.Step([]*autodiff.Param[float64]{p})
			d := 3*w - 1 + wd*w
			if s == 0 {
				buf = d
			} else {
				buf = mu*buf + d
			}
			if nesterov {
				d += mu * buf
			} else {
				d = buf
			}
			w -= lr * d
			if math.Abs(p.Value.Data[0]-w) > 1e-15 {
				t.Errorf("nesterov=%v step %d: w = %.17g, want %.17g", nesterov, s+1, p.Value.Data[0], w)
			}
		}
	}
}

// minimise runs opt (with an optional schedule) on the test quadratic from
// w = 0 and returns the final w.
func minimise[T tensor.Float](q quad, opt Optimizer[T], sched Schedule, steps int, w0 ...T) []T {
	p := newParam("w", w0...)
	ps := []*autodiff.Param[T]{p}
	for s := range steps {
		opt.ZeroGrad(ps)
		setQuadGrad(q, p)
		if sched != nil {
			opt.SetLR(sched.LR(s))
		}
		opt.Step(ps)
	}
	return p.Value.Data
}

func TestMinimiseQuadratic(t *testing.T) {
	must := func(o Optimizer[float64], err error) Optimizer[float64] {
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	wd := func(c AdamConfig, l float64) AdamConfig { c.WeightDecay = l; return c }
	origin := quad{a: testQuad.a, b: []float64{0, 0, 0}} // minimiser 0
	for _, tc := range []struct {
		name   string
		q      quad
		opt    Optimizer[float64]
		sched  Schedule
		steps  int
		lambda float64 // L2 weight decay: minimiser solves (A + λI)w = b
	}{
		{"sgd", testQuad, must(NewSGD[float64](SGDConfig{LR: 0.2})), nil, 2000, 0},
		{"sgd+L2", testQuad, must(NewSGD[float64](SGDConfig{LR: 0.2, WeightDecay: 0.1})), nil, 2000, 0.1},
		{"momentum", testQuad, must(NewSGD[float64](SGDConfig{LR: 0.05, Momentum: 0.9})), nil, 2000, 0},
		{"nesterov", testQuad, must(NewSGD[float64](SGDConfig{LR: 0.05, Momentum: 0.9, Nesterov: true})), nil, 2000, 0},
		{"adam", testQuad, must(NewAdam[float64](DefaultAdam(0.03))), Cosine{Base: 0.03, Total: 2000}, 2000, 0},
		{"adam+L2", testQuad, must(NewAdam[float64](wd(DefaultAdam(0.03), 0.1))), Cosine{Base: 0.03, Total: 2000}, 2000, 0.1},
		{"adamw λ=0", testQuad, must(NewAdamW[float64](wd(DefaultAdam(0.03), 0))), Cosine{Base: 0.03, Total: 2000}, 2000, 0},
		// Decoupled decay shifts the minimiser unless it is 0.
		{"adamw origin", origin, must(NewAdamW[float64](DefaultAdamW(0.03))), Cosine{Base: 0.03, Total: 2000}, 2000, 0},
	} {
		w0 := []float64{1, -2, 0.5}
		got := minimise(tc.q, tc.opt, tc.sched, tc.steps, w0...)
		want := tc.q.solve(tc.lambda)
		if d := maxDiff(got, want); d > 1e-6 {
			t.Errorf("%s: w = %v, want %v (max error %.2g)", tc.name, got, want, d)
		}
	}
	// float32: the same, to float32 accuracy.
	a32, _ := NewAdam[float32](DefaultAdam(0.03))
	got := minimise[float32](testQuad, a32, Cosine{Base: 0.03, Total: 2000}, 2000, 1, -2, 0.5)
	if d := maxDiff(got, testQuad.solve(0)); d > 1e-5 {
		t.Errorf("float32 adam: w = %v (max error %.2g)", got, d)
	}
	s32, _ := NewSGD[float32](SGDConfig{LR: 0.05, Momentum: 0.9, Nesterov: true})
	got = minimise[float32](testQuad, s32, nil, 2000, 1, -2, 0.5)
	if d := maxDiff(got, testQuad.solve(0)); d > 1e-5 {
		t.Errorf("float32 nesterov: w = %v (max error %.2g)", got, d)
	}
}

func TestClipGradNorm(t *testing.T) {
	a := newParam[float64]("a", 0, 0)
	b := newParam[float64]("b", 0)
	var nilGrad = &autodiff.Param[float64]{Name: "n", Value: tensor.New[float64](1, 1)}
	ps := []*autodiff.Param[float64]{a, nilGrad, b}
	set := func() { a.Grad.Data[0], a.Grad.Data[1], b.Grad.Data[0] = 3, 4, 12 }

	set()
	if n := GradNorm(ps); n != 13 {
		t.Fatalf("GradNorm = %v, want 13", n)
	}
	// Above the limit: every gradient scaled by 6.5/(13 + 1e-6).
	if n := ClipGradNorm(ps, 6.5); n != 13 {
		t.Errorf("ClipGradNorm returned %v, want the pre-clip norm 13", n)
	}
	norm, maxNorm := 13.0, 6.5 // variables: rounded like the run-time computation
	c := maxNorm / (norm + 1e-6)
	for i, pair := range [][2]float64{{a.Grad.Data[0], 3 * c}, {a.Grad.Data[1], 4 * c}, {b.Grad.Data[0], 12 * c}} {
		if pair[0] != pair[1] {
			t.Errorf("grad %d = %.17g, want %.17g", i, pair[0], pair[1])
		}
	}
	if n := GradNorm(ps); math.Abs(n-6.5) > 1e-6 {
		t.Errorf("norm after clipping %v, want ≈ 6.5", n)
	}
	// Below the limit (and at it, within the 1e-6 margin): unchanged.
	for _, maxNorm := range []float64{20, 13 + 2e-6} {
		set()
		if n := ClipGradNorm(ps, maxNorm); n != 13 || a.Grad.Data[0] != 3 || a.Grad.Data[1] != 4 || b.Grad.Data[0] != 12 {
			t.Errorf("maxNorm %v: norm %v, grads %v %v changed", maxNorm, n, a.Grad.Data, b.Grad.Data)
		}
	}
	// Exactly at the limit torch still scales by 13/(13+1e-6) < 1.
	set()
	ClipGradNorm(ps, 13)
	if c := norm / (norm + 1e-6); a.Grad.Data[0] != 3*c {
		t.Errorf("maxNorm = norm: grad %.17g, want torch's %.17g", a.Grad.Data[0], 3*c)
	}
	// Non-finite norms are returned and leave the gradients alone.
	set()
	b.Grad.Data[0] = math.NaN()
	if n := ClipGradNorm(ps, 1); !math.IsNaN(n) || a.Grad.Data[0] != 3 {
		t.Errorf("NaN gradient: norm %v, grad %v", n, a.Grad.Data[0])
	}
	b.Grad.Data[0] = math.Inf(-1)
	if n := ClipGradNorm(ps, 1); !math.IsInf(n, 1) || a.Grad.Data[0] != 3 {
		t.Errorf("Inf gradient: norm %v, grad %v", n, a.Grad.Data[0])
	}
	// Overflowing squares (float64) are rescaled.
	a.Grad.Data[0], a.Grad.Data[1], b.Grad.Data[0] = 3e200, 4e200, 12e200
	if n := GradNorm(ps); math.Abs(n/13e200-1) > 1e-15 {
		t.Errorf("GradNorm of huge gradients = %v, want 1.3e201", n)
	}
	// float32 gradients accumulate in float64.
	p32 := newParam[float32]("p", 0, 0)
	p32.Grad.Data[0], p32.Grad.Data[1] = 3, 4
	if n := ClipGradNorm([]*autodiff.Param[float32]{p32}, 1); n != 5 || math.Abs(float64(p32.Grad.Data[0])-0.6) > 1e-7 {
		t.Errorf("float32: norm %v, grad %v", n, p32.Grad.Data)
	}
}

func TestSchedules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		s     Schedule
		steps []int
		want  []float64
	}{
		{"constant", Constant{Base: 0.1}, []int{0, 5, 1000}, []float64{0.1, 0.1, 0.1}},
		{"step", Step{Base: 1, Every: 10, Gamma: 0.5}, []int{-3, 0, 9, 10, 19, 20, 35}, []float64{1, 1, 1, 0.5, 0.5, 0.25, 0.125}},
		// cos(0) = 1, cos(π/2) rounds 1 + 6e-17 to 1, cos(π) = −1 exactly.
		{"cosine", Cosine{Base: 1, Min: 0.2, Total: 100}, []int{0, 50, 100, 200}, []float64{1, 0.6, 0.2, 0.2}},
		{"cosine quarter", Cosine{Base: 1, Total: 90}, []int{30, 60}, []float64{0.75, 0.25}},
		{"linear", Linear{Base: 1, End: 0.5, Total: 4}, []int{0, 1, 2, 4, 9}, []float64{1, 0.875, 0.75, 0.5, 0.5}},
		{"warmup from 0", Warmup{Inner: Constant{Base: 0.5}, Steps: 4}, []int{0, 1, 2, 3, 4, 100}, []float64{0, 0.125, 0.25, 0.375, 0.5, 0.5}},
		{"warmup from fraction", Warmup{Inner: Constant{Base: 1}, Steps: 4, From: 0.5}, []int{0, 2, 4}, []float64{0.5, 0.75, 1}},
		{"warmup then cosine", Warmup{Inner: Cosine{Base: 1, Total: 10}, Steps: 10}, []int{5, 10, 15, 20, 30}, []float64{0.5, 1, 0.5, 0, 0}},
	} {
		for i, step := range tc.steps {
			if got := tc.s.LR(step); math.Abs(got-tc.want[i]) > 1e-15 {
				t.Errorf("%s: LR(%d) = %.17g, want %v", tc.name, step, got, tc.want[i])
			}
		}
		if v, ok := tc.s.(Validator); !ok || v.Validate() != nil {
			t.Errorf("%s: valid schedule fails Validate", tc.name)
		}
	}
	// The cosine end points are exact, not merely close.
	base, lo := 3e-4, 1e-5
	c := Cosine{Base: base, Min: lo, Total: 1000}
	if c.LR(0) != base || c.LR(1000) != lo || c.LR(500) != lo+(base-lo)/2 {
		t.Errorf("cosine end points: %v %v %v", c.LR(0), c.LR(500), c.LR(1000))
	}
}

func TestValidate(t *testing.T) {
	bad := []struct {
		name string
		v    Validator
	}{
		{"constant 0", Constant{}},
		{"constant NaN", Constant{Base: math.NaN()}},
		{"step gamma 0", Step{Base: 1, Every: 1}},
		{"step every 0", Step{Base: 1, Gamma: 0.5}},
		{"step base -1", Step{Base: -1, Every: 1, Gamma: 0.5}},
		{"cosine total 0", Cosine{Base: 1}},
		{"cosine min > base", Cosine{Base: 1, Min: 2, Total: 5}},
		{"cosine min < 0", Cosine{Base: 1, Min: -1, Total: 5}},
		{"linear total 0", Linear{Base: 1}},
		{"linear end < 0", Linear{Base: 1, End: -1, Total: 3}},
		{"warmup nil", Warmup{Steps: 3}},
		{"warmup steps < 0", Warmup{Inner: Constant{Base: 1}, Steps: -1}},
		{"warmup from > 1", Warmup{Inner: Constant{Base: 1}, Steps: 3, From: 2}},
		{"warmup bad inner", Warmup{Inner: Constant{}, Steps: 3}},
		{"sgd lr 0", SGDConfig{}},
		{"sgd momentum 1", SGDConfig{LR: 1, Momentum: 1}},
		{"sgd nesterov without momentum", SGDConfig{LR: 1, Nesterov: true}},
		{"sgd wd < 0", SGDConfig{LR: 1, WeightDecay: -1}},
		{"adam lr 0", DefaultAdam(0)},
		{"adam lr inf", DefaultAdam(math.Inf(1))},
		{"adam beta1 1", AdamConfig{LR: 1, Beta1: 1, Beta2: 0.9}},
		{"adam beta2 < 0", AdamConfig{LR: 1, Beta1: 0.9, Beta2: -0.1}},
		{"adam eps < 0", AdamConfig{LR: 1, Eps: -1}},
		{"adam wd NaN", AdamConfig{LR: 1, WeightDecay: math.NaN()}},
	}
	for _, tc := range bad {
		if tc.v.Validate() == nil {
			t.Errorf("%s: Validate accepted it", tc.name)
		}
	}
	if _, err := NewAdam[float32](DefaultAdam(-1)); err == nil {
		t.Error("NewAdam accepted lr −1")
	}
	if _, err := NewAdamW[float32](AdamConfig{LR: 1, Beta1: 2}); err == nil {
		t.Error("NewAdamW accepted β1 = 2")
	}
	if _, err := NewSGD[float32](SGDConfig{LR: 0}); err == nil {
		t.Error("NewSGD accepted lr 0")
	}
	if _, err := NewEMA[float32](nil, 1.5); err == nil {
		t.Error("NewEMA accepted decay 1.5")
	}
	if DefaultAdamW(1).Validate() != nil || DefaultAdam(1).Validate() != nil || (SGDConfig{LR: 1, Momentum: 0.9, Nesterov: true}).Validate() != nil {
		t.Error("defaults fail Validate")
	}
	if DefaultAdamW(1e-3).WeightDecay != 0.01 {
		t.Error("AdamW default weight decay is not torch's 0.01")
	}
	// SetLR accepts 0 (warm-up) and refuses negatives.
	o, _ := NewAdam[float64](DefaultAdam(1))
	o.SetLR(0)
	if o.LR() != 0 {
		t.Error("SetLR(0) ignored")
	}
	defer func() {
		if recover() == nil {
			t.Error("SetLR(−1) did not panic")
		}
	}()
	o.SetLR(-1)
}

// mlpParams returns the parameters of a 2-128-128-1 MLP with deterministic
// values and gradients.
func mlpParams[T tensor.Float]() []*autodiff.Param[T] {
	return mlpParamsShaped[T]([][2]int{{2, 128}, {1, 128}, {128, 128}, {1, 128}, {128, 1}, {1, 1}})
}

// mlpParamsShaped is mlpParams with the given weight and bias shapes.
func mlpParamsShaped[T tensor.Float](shapes [][2]int) []*autodiff.Param[T] {
	var ps []*autodiff.Param[T]
	for k, s := range shapes {
		v := tensor.New[T](s[0], s[1])
		p := autodiff.NewParam(string(rune('a'+k)), v)
		for j := range v.Data {
			v.Data[j] = T(math.Sin(float64(7*j+k)) * 0.1)
			p.Grad.Data[j] = T(math.Cos(float64(3*j+k)) * 0.01)
		}
		ps = append(ps, p)
	}
	return ps
}

// setGrads gives ps gradients that depend on the current values.
func setGrads[T tensor.Float](ps []*autodiff.Param[T], step int) {
	for k, p := range ps {
		for j, w := range p.Value.Data {
			p.Grad.Data[j] = w - T(0.05*math.Sin(float64(j+k+step)))
		}
	}
}

func clone[T tensor.Float](ps []*autodiff.Param[T]) []*autodiff.Param[T] {
	out := make([]*autodiff.Param[T], len(ps))
	for i, p := range ps {
		out[i] = &autodiff.Param[T]{Name: p.Name, Value: p.Value.Clone(), Grad: p.Grad.Clone()}
	}
	return out
}

func testResume[T tensor.Float](t *testing.T, name string, mk func() (Optimizer[T], error)) {
	o, err := mk()
	if err != nil {
		t.Fatal(err)
	}
	ps := mlpParams[T]()
	sched := Warmup{Inner: Cosine{Base: 0.01, Total: 15}, Steps: 5}
	run := func(o Optimizer[T], ps []*autodiff.Param[T], from, to int) {
		for s := from; s < to; s++ {
			o.ZeroGrad(ps)
			setGrads(ps, s)
			o.SetLR(sched.LR(s))
			o.Step(ps)
		}
	}
	run(o, ps, 0, 10)
	doc, err := json.Marshal(o.State())
	if err != nil {
		t.Fatal(err)
	}
	saved := clone(ps)
	run(o, ps, 10, 20)

	var st State
	if err := json.Unmarshal(doc, &st); err != nil {
		t.Fatal(err)
	}
	o2, _ := mk()
	if err := o2.LoadState(saved, &st); err != nil {
		t.Fatalf("%s: LoadState: %v", name, err)
	}
	run(o2, saved, 10, 20)
	for i := range ps {
		for j := range ps[i].Value.Data {
			if a, b := ps[i].Value.Data[j], saved[i].Value.Data[j]; a != b && !(a != a && b != b) {
				t.Fatalf("%s: param %d[%d] after resume %v, uninterrupted %v", name, i, j, b, a)
			}
		}
	}
	// The resumed state equals the uninterrupted one.
	s1, _ := json.Marshal(o.State())
	s2, _ := json.Marshal(o2.State())
	if string(s1) != string(s2) {
		t.Errorf("%s: states differ after resume", name)
	}
}

func TestStateRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		f64  func() (Optimizer[float64], error)
		f32  func() (Optimizer[float32], error)
	}{
		{"adam",
			func() (Optimizer[float64], error) { return NewAdam[float64](DefaultAdam(1)) },
			func() (Optimizer[float32], error) { return NewAdam[float32](DefaultAdam(1)) }},
		{"adamw",
			func() (Optimizer[float64], error) { return NewAdamW[float64](DefaultAdamW(1)) },
			func() (Optimizer[float32], error) { return NewAdamW[float32](DefaultAdamW(1)) }},
		{"sgd nesterov",
			func() (Optimizer[float64], error) {
				return NewSGD[float64](SGDConfig{LR: 1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-3})
			},
			func() (Optimizer[float32], error) {
				return NewSGD[float32](SGDConfig{LR: 1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-3})
			}},
		{"sgd plain",
			func() (Optimizer[float64], error) { return NewSGD[float64](SGDConfig{LR: 1}) },
			func() (Optimizer[float32], error) { return NewSGD[float32](SGDConfig{LR: 1}) }},
	}
	for _, c := range cases {
		testResume(t, c.name+"/float64", c.f64)
		testResume(t, c.name+"/float32", c.f32)
	}
}

func TestLoadStateErrors(t *testing.T) {
	ps := mlpParams[float64]()
	adam, _ := NewAdam[float64](DefaultAdam(1e-3))
	adam.Step(ps)
	st := adam.State()
	if st.Name != "adam" || st.Step != 1 || len(st.Slots["exp_avg"]) != 6 || len(st.Params) != 6 || st.Params[2] != "c" {
		t.Fatalf("unexpected state %+v", st.Params)
	}
	fresh := func() *Adam[float64] { o, _ := NewAdam[float64](DefaultAdam(1e-3)); return o }
	mod := func(f func(s *State)) *State {
		doc, _ := json.Marshal(st)
		var s State
		_ = json.Unmarshal(doc, &s)
		f(&s)
		return &s
	}
	for _, tc := range []struct {
		name   string
		params []*autodiff.Param[float64]
		s      *State
		want   string
	}{
		{"nil", ps, nil, "nil"},
		{"other optimizer", ps, mod(func(s *State) { s.Name = "adamw" }), "adamw"},
		{"fewer params", ps[:5], st, "6 parameters"},
		{"renamed", append(clone(ps[:5]), &autodiff.Param[float64]{Name: "x", Value: ps[5].Value, Grad: ps[5].Grad}), st, `"x"`},
		{"wrong length", ps, mod(func(s *State) { s.Slots["exp_avg_sq"][3] = s.Slots["exp_avg_sq"][3][:7] }), "7 elements"},
		{"missing slot", ps, mod(func(s *State) { delete(s.Slots, "exp_avg") }), "exp_avg"},
		{"extra slot", ps, mod(func(s *State) { s.Slots["momentum_buffer"] = nil }), "momentum_buffer"},
		{"missing hyper", ps, mod(func(s *State) { delete(s.Hyper, "beta2") }), "beta2"},
		{"bad hyper", ps, mod(func(s *State) { s.Hyper["beta1"] = 1 }), "β1"},
		{"negative step", ps, mod(func(s *State) { s.Step = -1 }), "negative"},
	} {
		o := fresh()
		err := o.LoadState(tc.params, tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %s", tc.name, err, tc.want)
		}
		if o.Steps() != 0 || o.slots.allocated() {
			t.Errorf("%s: failed LoadState changed the optimizer", tc.name)
		}
	}
	// A state saved before the first Step loads, and LR 0 (warm-up) is kept.
	o := fresh()
	o.SetLR(0)
	if err := fresh().LoadState(ps, o.State()); err != nil {
		t.Errorf("fresh state: %v", err)
	}
	sgd, _ := NewSGD[float64](SGDConfig{LR: 1})
	if err := sgd.LoadState(ps, st); err == nil {
		t.Error("SGD loaded an Adam state")
	}
}

func TestStepPanicsOnChangedParams(t *testing.T) {
	ps := mlpParams[float32]()
	o, _ := NewAdam[float32](DefaultAdam(1e-3))
	o.Step(ps)
	for _, bad := range [][]*autodiff.Param[float32]{ps[:3], append(ps[:5:5], ps[0])} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("Step with different parameters did not panic")
				}
			}()
			o.Step(bad)
		}()
	}
}

func TestEMA(t *testing.T) {
	p := newParam[float64]("w", 1, 2)
	q := newParam[float64]("b", 10)
	ps := []*autodiff.Param[float64]{p, q}
	e, err := NewEMA(ps, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	p.Value.Data[0], p.Value.Data[1], q.Value.Data[0] = 2, 0, 20
	e.Update(ps) // s = 0.9 s + 0.1 w
	want := []float64{1.1, 1.8, 11}
	got := append(append([]float64(nil), e.Shadow(0)...), e.Shadow(1)...)
	if maxDiff(got, want) > 1e-15 {
		t.Errorf("shadow after one update %v, want %v", got, want)
	}
	e.Update(ps) // 0.9·1.1 + 0.2 = 1.19, 0.9·1.8 = 1.62, 0.9·11 + 2 = 11.9
	want = []float64{1.19, 1.62, 11.9}
	e.Swap(ps)
	if d := maxDiff(append(append([]float64(nil), p.Value.Data...), q.Value.Data...), want); d > 1e-14 {
		t.Errorf("swapped-in values %v %v, want %v", p.Value.Data, q.Value.Data, want)
	}
	e.Swap(ps)
	if p.Value.Data[0] != 2 || p.Value.Data[1] != 0 || q.Value.Data[0] != 20 {
		t.Errorf("swapping back gave %v %v", p.Value.Data, q.Value.Data)
	}
	// State round trip, then CopyTo.
	doc, _ := json.Marshal(e.State())
	var st State
	_ = json.Unmarshal(doc, &st)
	e2, _ := NewEMA(ps, DefaultEMADecay)
	if err := e2.LoadState(ps, &st); err != nil {
		t.Fatal(err)
	}
	if e2.Decay() != 0.9 || e2.Updates() != 2 {
		t.Errorf("loaded decay %v, updates %d", e2.Decay(), e2.Updates())
	}
	e2.CopyTo(ps)
	if d := maxDiff(append(append([]float64(nil), p.Value.Data...), q.Value.Data...), want); d > 1e-14 {
		t.Errorf("CopyTo gave %v %v, want %v", p.Value.Data, q.Value.Data, want)
	}
	if err := e2.LoadState(ps[:1], &st); err == nil {
		t.Error("EMA loaded a state for other parameters")
	}
	// Decay 0 tracks the parameters; decay 1 never moves.
	e0, _ := NewEMA(ps, 0)
	e1, _ := NewEMA(ps, 1)
	p.Value.Data[0] = 7
	e0.Update(ps)
	e1.Update(ps)
	if e0.Shadow(0)[0] != 7 || e1.Shadow(0)[0] != 1.19 {
		t.Errorf("decay 0 → %v, decay 1 → %v", e0.Shadow(0)[0], e1.Shadow(0)[0])
	}
}

func TestZeroAllocs(t *testing.T) {
	ps := mlpParams[float32]()
	adam, _ := NewAdam[float32](DefaultAdam(1e-3))
	adamw, _ := NewAdamW[float32](DefaultAdamW(1e-3))
	sgd, _ := NewSGD[float32](SGDConfig{LR: 1e-3, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4})
	ema, _ := NewEMA(ps, DefaultEMADecay)
	for name, f := range map[string]func(){
		"adam":  func() { adam.Step(ps) },
		"adamw": func() { adamw.Step(ps) },
		"sgd":   func() { sgd.Step(ps) },
		"clip":  func() { ClipGradNorm(ps, 0.5) },
		"zero":  func() { adam.ZeroGrad(ps) },
		"ema":   func() { ema.Update(ps); ema.Swap(ps) },
		"sched": func() { adam.SetLR(Warmup{Inner: Cosine{Base: 1, Total: 9}, Steps: 3}.LR(5)) },
	} {
		f() // first call allocates the slots
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s: %v allocations per call after the first", name, n)
		}
	}
}

func benchStep[T tensor.Float](b *testing.B, o Optimizer[T]) {
	benchStepParams(b, o, mlpParams[T]())
}

func benchStepParams[T tensor.Float](b *testing.B, o Optimizer[T], ps []*autodiff.Param[T]) {
	o.Step(ps)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		o.Step(ps)
	}
}

func BenchmarkAdamStep(b *testing.B) {
	b.Run("float32", func(b *testing.B) {
		o, _ := NewAdam[float32](DefaultAdam(1e-3))
		benchStep(b, o)
	})
	b.Run("float64", func(b *testing.B) {
		o, _ := NewAdam[float64](DefaultAdam(1e-3))
		benchStep(b, o)
	})
	// The MNIST MLP 784-512-512-1 of BENCHMARKS.md (664,065 parameters).
	b.Run("float32/mnist", func(b *testing.B) {
		o, _ := NewAdam[float32](DefaultAdam(1e-4))
		benchStepParams(b, o, mlpParamsShaped[float32]([][2]int{{784, 512}, {1, 512}, {512, 512}, {1, 512}, {512, 1}, {1, 1}}))
	})
}

func BenchmarkAdamWStep(b *testing.B) {
	o, _ := NewAdamW[float32](DefaultAdamW(1e-3))
	benchStep(b, o)
}

func BenchmarkSGDStep(b *testing.B) {
	o, _ := NewSGD[float32](SGDConfig{LR: 1e-3, Momentum: 0.9, Nesterov: true})
	benchStep(b, o)
}

func BenchmarkClipGradNorm(b *testing.B) {
	ps := mlpParams[float32]()
	b.ReportAllocs()
	for range b.N {
		ClipGradNorm(ps, 1e9)
	}
}

// TestAdamSplitSameNumbers: the common update of a parameter large enough to
// be split across cores gives bit for bit the values (and moments) of the
// unsplit update, for float32 and float64, over several steps.
func TestAdamSplitSameNumbers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	testAdamSplit[float32](t)
	testAdamSplit[float64](t)
}

func testAdamSplit[T tensor.Float](t *testing.T) {
	const n = adamParMin + 1003 // not a multiple of 8 or of the chunk
	rng := rand.New(rand.NewPCG(5, 6))
	mk := func() *autodiff.Param[T] {
		p := autodiff.NewParam("w", tensor.New[T](1, n))
		p.Grad = tensor.New[T](1, n)
		return p
	}
	a, b := mk(), mk()
	for j := range a.Value.Data {
		a.Value.Data[j] = T(rng.NormFloat64())
	}
	copy(b.Value.Data, a.Value.Data)
	oa, _ := NewAdam[T](DefaultAdam(1e-3))
	ob, _ := NewAdam[T](DefaultAdam(1e-3))
	for step := 0; step < 4; step++ {
		for j := range a.Grad.Data {
			g := T(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4)))
			a.Grad.Data[j], b.Grad.Data[j] = g, g
		}
		runtime.GOMAXPROCS(1)
		oa.Step([]*autodiff.Param[T]{a})
		runtime.GOMAXPROCS(4)
		ob.Step([]*autodiff.Param[T]{b})
		for j := range a.Value.Data {
			if a.Value.Data[j] != b.Value.Data[j] || oa.slots.data[0][0][j] != ob.slots.data[0][0][j] ||
				oa.slots.data[1][0][j] != ob.slots.data[1][0][j] {
				t.Fatalf("%T step %d element %d: unsplit %v, split %v", a.Value.Data[0], step, j, a.Value.Data[j], b.Value.Data[j])
			}
		}
	}
}
