package sample

import (
	"math"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

// countingGrad counts the rows its gradient evaluations see.
type countingGrad struct {
	*indepGauss
	calls int
}

func (c *countingGrad) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	c.calls++
	c.indepGauss.EnergyGrad(x, e, g)
}

// TestMoveSameAsStep: for ULA and SGLDStyle, Move gives the positions Step
// gives (same draws), without evaluating the energy; a Step after a Move
// evaluates the stale state first and then matches Step after Step, and its
// energies and gradients belong to its positions.
func TestMoveSameAsStep(t *testing.T) {
	const n, d = 5, 4
	mk := func(kind string, e *countingGrad) Kernel {
		var k Kernel
		var err error
		if kind == "ula" {
			k, err = NewULA(e, ULAOptions{Step: 0.05})
		} else {
			k, err = NewSGLDStyle(e, SGLDStyleOptions{Step: 0.05, Noise: 0.1, Clip: 0.5})
		}
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	for _, kind := range []string{"ula", "sgld"} {
		ea := &countingGrad{indepGauss: newIndepGauss(nil, illcondVars(d))}
		eb := &countingGrad{indepGauss: newIndepGauss(nil, illcondVars(d))}
		ka, kb := mk(kind, ea), mk(kind, eb)
		x0 := normalStarts(n, d, 1, 3)
		sa, err1 := ka.Init(x0, ScalarBox(-3, 3))
		sb, err2 := kb.Init(x0, ScalarBox(-3, 3))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		ra, rb := newRngs(n, 7), newRngs(n, 7)
		ia, ib := make([]Info, n), make([]Info, n)
		for i := 0; i < 3; i++ {
			if err := ka.Step(sa, ra, ia); err != nil {
				t.Fatal(err)
			}
			if err := kb.Step(sb, rb, ib); err != nil {
				t.Fatal(err)
			}
		}
		calls := eb.calls
		if err := kb.(Mover).Move(sb, rb, ib); err != nil {
			t.Fatal(err)
		}
		if eb.calls != calls {
			t.Fatalf("%s: Move evaluated the energy", kind)
		}
		if err := ka.Step(sa, ra, ia); err != nil {
			t.Fatal(err)
		}
		for i, v := range sa.X.Data {
			if sb.X.Data[i] != v {
				t.Fatalf("%s: Move position %d = %v, Step %v", kind, i, sb.X.Data[i], v)
			}
		}
		for c := range ib {
			if ib[c].AcceptProb != 1 || !ib[c].Accepted || ib[c].NGrad != 0 {
				t.Fatalf("%s: Move info %+v", kind, ib[c])
			}
		}
		if sa.Iter != sb.Iter {
			t.Fatalf("%s: Iter %d after Step, %d after Move", kind, sa.Iter, sb.Iter)
		}
		// A Step after the Move: evaluate at the moved positions, then step.
		if err := ka.Step(sa, ra, ia); err != nil {
			t.Fatal(err)
		}
		if err := kb.Step(sb, rb, ib); err != nil {
			t.Fatal(err)
		}
		if eb.calls != calls+2 {
			t.Fatalf("%s: Step after Move took %d evaluations, want 2", kind, eb.calls-calls)
		}
		for i, v := range sa.X.Data {
			if sb.X.Data[i] != v || sb.G.Data[i] != sa.G.Data[i] {
				t.Fatalf("%s: after Move+Step element %d = %v (grad %v), Step+Step %v (grad %v)", kind, i, sb.X.Data[i], sb.G.Data[i], v, sa.G.Data[i])
			}
		}
		for c := range sa.E {
			if sa.E[c] != sb.E[c] {
				t.Fatalf("%s: energy %d = %v, want %v", kind, c, sb.E[c], sa.E[c])
			}
		}
	}
}

// TestSum4: sum4 is the sum of its input (up to rounding) and non-finite as
// soon as one element is NaN or ±Inf, wherever it sits (tail included).
func TestSum4(t *testing.T) {
	for n := 0; n < 13; n++ {
		v := make([]float64, n)
		want := 0.0
		for i := range v {
			v[i] = float64(i) + 0.5
			want += v[i]
		}
		if got := sum4(v); got != want {
			t.Fatalf("n=%d: sum4 %v, want %v", n, got, want)
		}
		for i := range v {
			for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				old := v[i]
				v[i] = bad
				if finite(sum4(v)) {
					t.Fatalf("n=%d: %v at %d gives a finite sum", n, bad, i)
				}
				v[i] = old
			}
		}
	}
}
