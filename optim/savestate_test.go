package optim

import (
	"reflect"
	"testing"

	"github.com/ebm-go/ebm/autodiff"
)

// TestSaveStateReusesStorage: SaveState into a used State (another
// optimizer's, or an older one of the same) leaves exactly what State returns,
// and saving again into a State that fits allocates nothing.
func TestSaveStateReusesStorage(t *testing.T) {
	params := func() []*autodiff.Param[float32] {
		return []*autodiff.Param[float32]{newParam[float32]("a", 1, 2, 3), newParam[float32]("b", 4, 5)}
	}
	step := func(ps []*autodiff.Param[float32], f func()) {
		for _, p := range ps {
			for i := range p.Grad.Data {
				p.Grad.Data[i] = p.Value.Data[i] * 0.5
			}
		}
		f()
	}
	adam, _ := NewAdam[float32](DefaultAdam(0.01))
	adamw, _ := NewAdamW[float32](DefaultAdamW(0.01))
	mom, _ := NewSGD[float32](SGDConfig{LR: 0.1, Momentum: 0.9, Nesterov: true})
	plain, _ := NewSGD[float32](SGDConfig{LR: 0.1})
	ps := params()
	ema, _ := NewEMA(ps, 0.9)
	type saver interface {
		State() *State
		StateSaver
	}
	opts := []struct {
		o    saver
		step func()
	}{
		{adam, func() { adam.Step(ps) }}, {adamw, func() { adamw.Step(ps) }},
		{mom, func() { mom.Step(ps) }}, {plain, func() { plain.Step(ps) }},
		{ema, func() { ema.Update(ps) }},
	}
	// A used state with slots of other names and lengths.
	other, _ := NewSGD[float32](SGDConfig{LR: 0.3, Momentum: 0.5})
	op := []*autodiff.Param[float32]{newParam[float32]("z", 1, 2, 3, 4, 5, 6, 7)}
	step(op, func() { other.Step(op) })
	for _, c := range opts {
		old := c.o.State() // before any step: no slots
		for k := 0; k < 3; k++ {
			step(ps, c.step)
		}
		used := other.State()
		used.Hyper["stale"] = 1
		c.o.SaveState(used)
		c.o.SaveState(old)
		want := c.o.State()
		if !reflect.DeepEqual(used, want) || !reflect.DeepEqual(old, want) {
			t.Errorf("%T: SaveState gave %+v and %+v, State %+v", c.o, used, old, want)
		}
		if a := testing.AllocsPerRun(10, func() { c.o.SaveState(used) }); a != 0 {
			t.Errorf("%T: SaveState into a state that fits allocates %.1f times", c.o, a)
		}
	}
}
