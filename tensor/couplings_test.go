package tensor

import (
	"math"
	"testing"
)

func TestCheckCouplings(t *testing.T) {
	good := func() (*Dense[float64], []float64) {
		w := New[float64](3, 3)
		w.Set(0, 1, 0.5)
		w.Set(1, 0, 0.5)
		w.Set(1, 2, -1)
		w.Set(2, 1, -1)
		return w, []float64{0.1, 0, -0.2}
	}
	w, b := good()
	if err := CheckCouplings(w, b); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(w *Dense[float64], b []float64) (*Dense[float64], []float64){
		"nil":      func(w *Dense[float64], b []float64) (*Dense[float64], []float64) { return nil, b },
		"shape":    func(w *Dense[float64], b []float64) (*Dense[float64], []float64) { return w, b[:2] },
		"diagonal": func(w *Dense[float64], b []float64) (*Dense[float64], []float64) { w.Set(1, 1, 1); return w, b },
		"bias NaN": func(w *Dense[float64], b []float64) (*Dense[float64], []float64) { b[2] = math.NaN(); return w, b },
		"weight Inf": func(w *Dense[float64], b []float64) (*Dense[float64], []float64) {
			w.Set(0, 2, math.Inf(1))
			w.Set(2, 0, math.Inf(1))
			return w, b
		},
		"asymmetric": func(w *Dense[float64], b []float64) (*Dense[float64], []float64) { w.Set(0, 1, 0.6); return w, b },
	}
	for name, f := range bad {
		w, b := good()
		if err := CheckCouplings(f(w, b)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
