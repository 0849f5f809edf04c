package optim

import (
	"fmt"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// DefaultEMADecay is the usual decay of a parameter average.
const DefaultEMADecay = 0.999

// EMA keeps an exponential moving average ("shadow") of parameter values,
// which often evaluates better than the raw parameters. Each Update does, for
// every parameter p and its shadow s,
//
//	s ← s + (1 − decay)·(p − s)   (= decay·s + (1 − decay)·p)
//
// computed in float64 and stored in T. The shadow starts as a copy of the
// parameters. For evaluation, Swap exchanges shadow and parameter values (call
// it again to swap back, with no extra memory), or CopyTo overwrites the
// parameters with the shadow.
type EMA[T tensor.Float] struct {
	decay  float64
	steps  int64
	shadow slotSet[T] // "shadow"
}

// NewEMA returns an average of params starting at their current values, or an
// error if decay is not in [0, 1].
func NewEMA[T tensor.Float](params []*autodiff.Param[T], decay float64) (*EMA[T], error) {
	if !(decay >= 0 && decay <= 1) {
		return nil, fmt.Errorf("optim: EMA decay %v must be in [0, 1]", decay)
	}
	e := &EMA[T]{decay: decay, shadow: newSlotSet[T]("shadow")}
	e.shadow.ensure("EMA", params)
	for i, p := range params {
		copy(e.shadow.data[0][i], p.Value.Data)
	}
	return e, nil
}

// Decay returns the decay.
func (e *EMA[T]) Decay() float64 { return e.decay }

// Updates returns the number of Update calls made so far.
func (e *EMA[T]) Updates() int64 { return e.steps }

// Update moves the shadow towards the current parameter values. It allocates
// nothing.
func (e *EMA[T]) Update(params []*autodiff.Param[T]) {
	e.shadow.ensure("EMA", params)
	e.steps++
	a := 1 - e.decay
	for i, p := range params {
		s := e.shadow.data[0][i]
		w := p.Value.Data[:len(s)]
		for j := range s {
			x := float64(s[j])
			s[j] = T(x + float64(a*(float64(w[j])-x)))
		}
	}
}

// CopyTo overwrites the parameter values with the shadow.
func (e *EMA[T]) CopyTo(params []*autodiff.Param[T]) {
	e.shadow.ensure("EMA", params)
	for i, p := range params {
		copy(p.Value.Data, e.shadow.data[0][i])
	}
}

// Swap exchanges the parameter values and the shadow: call it before
// evaluating with the averaged weights and again afterwards to restore the
// training weights.
func (e *EMA[T]) Swap(params []*autodiff.Param[T]) {
	e.shadow.ensure("EMA", params)
	for i, p := range params {
		s := e.shadow.data[0][i]
		w := p.Value.Data[:len(s)]
		for j := range s {
			s[j], w[j] = w[j], s[j]
		}
	}
}

// Shadow returns the averaged values of parameter i (the EMA's own storage,
// not a copy).
func (e *EMA[T]) Shadow(i int) []T { return e.shadow.data[0][i] }

// State returns a deep copy of the average (Name "ema", Hyper "decay", slot
// "shadow"), for checkpoints.
func (e *EMA[T]) State() *State {
	st := &State{}
	e.SaveState(st)
	return st
}

// SaveState writes the state State returns into st (see StateSaver).
func (e *EMA[T]) SaveState(st *State) {
	h := hyperInto(st)
	h["decay"] = e.decay
	st.Name, st.Step, st.LR, st.Hyper = "ema", e.steps, 0, h
	e.shadow.save(st)
}

// LoadState restores a state saved by EMA.State after checking it against
// params. On error the average is unchanged.
func (e *EMA[T]) LoadState(params []*autodiff.Param[T], s *State) error {
	if s == nil || s.Name != "ema" {
		return fmt.Errorf("optim: EMA cannot load a %q state", stateName(s))
	}
	d, err := hyper(s, "decay")
	if err != nil {
		return err
	}
	if !(d >= 0 && d <= 1) {
		return fmt.Errorf("optim: EMA decay %v must be in [0, 1]", d)
	}
	if s.Step < 0 {
		return fmt.Errorf("optim: negative step count %d", s.Step)
	}
	if len(s.Slots) == 0 {
		return fmt.Errorf("optim: EMA state holds no shadow")
	}
	sh := newSlotSet[T]("shadow")
	if err := sh.load(params, s); err != nil {
		return err
	}
	e.decay, e.steps, e.shadow = d, s.Step, sh
	return nil
}
