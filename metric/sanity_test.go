package metric

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/tensor"
)

// flat is the energy E(x) = c: the uniform density on any box.
type flat struct{ c float64 }

func (flat) Dim() int { return 2 }
func (f flat) Energy(x *tensor.Dense[float64], e []float64) {
	for i := range e {
		e[i] = f.c
	}
}

// The uniform density's grid NLL is UniformGridNLL exactly (up to rounding),
// whatever its constant, and passes; values beyond the margin and non-finite
// ones fail with an *UnusableError.
func TestCheckGridNLL(t *testing.T) {
	test := data.EightGaussians(500, rand.New(rand.NewPCG(1, 0)))
	for _, c := range []float64{0, 1e3} {
		nll, _, err := GridNLL(flat{c}, test, GridLo, GridHi, GridN)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(nll-math.Log(64)) > 1e-9 || math.Abs(UniformGridNLL()-math.Log(64)) > 1e-15 {
			t.Fatalf("uniform: grid NLL %v, UniformGridNLL %v, want log 64", nll, UniformGridNLL())
		}
		if err := CheckGridNLL(nll); err != nil {
			t.Fatalf("the uniform density fails: %v", err)
		}
	}
	u := UniformGridNLL()
	for _, v := range []float64{-100, 2.83, u + GarbageMargin} {
		if err := CheckGridNLL(v); err != nil {
			t.Errorf("CheckGridNLL(%v) = %v", v, err)
		}
	}
	for _, v := range []float64{math.Nextafter(u+GarbageMargin, math.Inf(1)), 1e9, math.NaN(), math.Inf(1), math.Inf(-1)} {
		var ue *UnusableError
		if err := CheckGridNLL(v); !errors.As(err, &ue) || !(ue.NLL == v || math.IsNaN(v)) {
			t.Errorf("CheckGridNLL(%v) = %v, want an *UnusableError", v, err)
		}
	}
}
