package sample

import (
	"math"
	"reflect"
	"testing"
)

// TestReinitEqualsInit: every kernel restarts chains in a used state's
// storage exactly as Init starts them in a fresh one (every field, then the
// same transitions), allocates nothing doing so, and builds a new state when
// the used one does not fit.
func TestReinitEqualsInit(t *testing.T) {
	box := ScalarBox(-50, 50)
	for i, k := range allKernels(t) {
		r, ok := k.(Reiniter)
		if !ok {
			t.Fatalf("kernel %d (%T) is not a Reiniter", i, k)
		}
		used, err := k.Init(normalStarts(16, 10, 0.1, 1), box)
		if err != nil {
			t.Fatal(err)
		}
		rngs, info := newRngs(16, 1), make([]Info, 16)
		for j := 0; j < 7; j++ {
			if err := k.Step(used, rngs, info); err != nil {
				t.Fatal(err)
			}
		}
		used.Step[3] *= 2 // as adaptation would
		if used.InvMetric != nil {
			used.InvMetric.Data[5] = 7
		}
		if m, ok := k.(Mover); ok {
			if err := m.Move(used, rngs, info); err != nil { // leaves the state stale
				t.Fatal(err)
			}
		}
		x := normalStarts(16, 10, 0.1, 2)
		got, err := r.Reinit(used, x, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got != used {
			t.Errorf("%T: Reinit did not reuse a state that fits", k)
		}
		want, err := k.Init(x, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%T: the reused state differs from Init's", k)
		}
		r1, r2 := newRngs(16, 9), newRngs(16, 9)
		for j := 0; j < 5; j++ {
			if err := k.Step(got, r1, info); err != nil {
				t.Fatal(err)
			}
			if err := k.Step(want, r2, info); err != nil {
				t.Fatal(err)
			}
		}
		for j, v := range want.X.Data {
			if got.X.Data[j] != v {
				t.Fatalf("%T: after 5 steps element %d = %v, from Init %v", k, j, got.X.Data[j], v)
			}
		}
		if a := testing.AllocsPerRun(20, func() {
			if _, err := r.Reinit(got, x, box); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%T: Reinit of a state that fits allocates %.1f times", k, a)
		}
		// Another number of chains: a new state; nil: a new state.
		x8 := normalStarts(8, 10, 0.1, 3)
		if s, err := r.Reinit(got, x8, box); err != nil || s == got || s.Chains() != 8 {
			t.Errorf("%T: Reinit with 8 chains into a 16-chain state: %v, reused %v", k, err, s == got)
		}
		if s, err := r.Reinit(nil, x8, box); err != nil || s.Chains() != 8 {
			t.Errorf("%T: Reinit(nil): %v", k, err)
		}
		bad := x.Clone()
		bad.Data[17] = math.NaN()
		if _, err := r.Reinit(got, bad, box); err == nil {
			t.Errorf("%T: Reinit accepted a NaN start", k)
		}
	}
}
