package optim

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// Optimizer updates parameters from their gradients.
//
// Step applies one update to every parameter using p.Grad (a parameter whose
// Grad is nil is left alone); the parameters must be passed in the same order
// on every call. ZeroGrad sets every gradient to zero, as PyTorch's
// optimizer.zero_grad(set_to_none=False) does. SetLR changes the learning rate
// used by the next Step; LR returns it. State returns a deep copy of the
// optimizer's state and LoadState restores one, so that training continues
// bit for bit.
type Optimizer[T tensor.Float] interface {
	Step(params []*autodiff.Param[T])
	ZeroGrad(params []*autodiff.Param[T])
	SetLR(lr float64)
	LR() float64
	State() *State
	LoadState(params []*autodiff.Param[T], s *State) error
}

// StateSaver is an optimizer (or an EMA) that writes its state into an
// existing State: after SaveState(st), st holds what State returns, in the
// slot storage st already had where it fits. A trainer that keeps a good
// state every so many iterations saves it without allocating.
type StateSaver interface {
	SaveState(st *State)
}

var (
	_ StateSaver         = (*Adam[float32])(nil)
	_ StateSaver         = (*SGD[float64])(nil)
	_ StateSaver         = (*EMA[float32])(nil)
	_ Optimizer[float32] = (*SGD[float32])(nil)
	_ Optimizer[float64] = (*Adam[float64])(nil)
)

// State is a serializable snapshot of an optimizer (or of an EMA): everything
// needed to resume exactly. It encodes to JSON as is (encoding/json writes
// float64 values with enough digits to round-trip exactly; values of type
// float32 convert to float64 and back without loss). Non-finite slot values
// cannot be JSON-encoded; a run that produced them has diverged anyway.
//
// To store it beside safetensors weights instead, write each Slots[k][i] as a
// tensor named k + "." + Params[i] (or k + "." + i for an unnamed parameter)
// with the shape of parameter i, and the remaining fields as JSON.
type State struct {
	// Name is the kind of optimizer: "sgd", "adam", "adamw" or "ema".
	Name string `json:"name"`
	// Step is the number of Step (or EMA Update) calls made so far.
	Step int64 `json:"step"`
	// LR is the current learning rate (0 for an EMA).
	LR float64 `json:"lr"`
	// Hyper holds the hyperparameters by name ("momentum", "beta1", "beta2",
	// "eps", "weight_decay", "nesterov" as 0/1, "decay").
	Hyper map[string]float64 `json:"hyper,omitempty"`
	// Params holds the parameter names in order, as seen by the first Step; if
	// both the saved and the loading parameters are named, LoadState checks
	// that they agree.
	Params []string `json:"params,omitempty"`
	// Slots maps a slot name ("momentum_buffer", "exp_avg", "exp_avg_sq",
	// "shadow") to one row-major slice per parameter, in parameter order. It is
	// empty before the first Step.
	Slots map[string][][]float64 `json:"slots,omitempty"`
}

// Clone returns a deep copy of s (nil for nil).
func (s *State) Clone() *State {
	if s == nil {
		return nil
	}
	c := *s
	c.Hyper = maps.Clone(s.Hyper)
	c.Params = slices.Clone(s.Params)
	if s.Slots != nil {
		c.Slots = make(map[string][][]float64, len(s.Slots))
		for k, v := range s.Slots {
			out := make([][]float64, len(v))
			for i, x := range v {
				out[i] = slices.Clone(x)
			}
			c.Slots[k] = out
		}
	}
	return &c
}

// ZeroGrad sets the gradient of every parameter to zero (nil gradients stay nil).
func ZeroGrad[T tensor.Float](params []*autodiff.Param[T]) {
	for _, p := range params {
		if p.Grad != nil {
			p.Grad.Zero()
		}
	}
}

// checkLR panics unless lr is finite and non-negative. SetLR accepts 0, the
// usual first value of a warm-up.
func checkLR(lr float64) {
	if !(lr >= 0) || math.IsInf(lr, 0) {
		panic(fmt.Sprintf("optim: learning rate %v is not a finite non-negative number", lr))
	}
}

// slotSet holds per-parameter buffers, allocated on the first use.
type slotSet[T tensor.Float] struct {
	names []string // slot names, in order
	data  [][][]T  // data[k][i]: slot k of parameter i
	pname []string // parameter names at allocation
}

func newSlotSet[T tensor.Float](names ...string) slotSet[T] {
	return slotSet[T]{names: names}
}

func (s *slotSet[T]) allocated() bool { return s.data != nil }

// ensure allocates zeroed slots for params on the first call and checks, on
// later calls, that params still match them.
func (s *slotSet[T]) ensure(who string, params []*autodiff.Param[T]) {
	if s.data == nil {
		s.data = make([][][]T, len(s.names))
		for k := range s.names {
			s.data[k] = make([][]T, len(params))
			for i, p := range params {
				s.data[k][i] = make([]T, p.Value.Len())
			}
		}
		s.pname = make([]string, len(params))
		for i, p := range params {
			s.pname[i] = p.Name
		}
		return
	}
	if len(s.data) == 0 {
		return
	}
	d := s.data[0]
	if len(params) != len(d) {
		panic(fmt.Sprintf("optim: %s: got %d parameters, the optimizer's state holds %d (pass the same parameters in the same order every step)", who, len(params), len(d)))
	}
	for i, p := range params {
		if p.Value.Len() != len(d[i]) {
			panic(fmt.Sprintf("optim: %s: parameter %d (%q) has %d elements, the optimizer's state holds %d", who, i, p.Name, p.Value.Len(), len(d[i])))
		}
	}
}

// checkGrad panics if p's gradient does not match its value.
func checkGrad[T tensor.Float](who string, i int, p *autodiff.Param[T]) {
	if len(p.Grad.Data) != len(p.Value.Data) {
		panic(fmt.Sprintf("optim: %s: parameter %d (%q) has a %s gradient for a %s value", who, i, p.Name, p.Grad.Shape(), p.Value.Shape()))
	}
}

// save copies the slots into st, reusing the slices st already holds where
// they have the right length.
func (s *slotSet[T]) save(st *State) {
	if s.data == nil {
		st.Params, st.Slots = nil, nil
		return
	}
	st.Params = append(st.Params[:0], s.pname...)
	if len(st.Params) == 0 {
		st.Params = nil
	}
	if len(s.names) == 0 {
		st.Slots = nil
		return
	}
	if st.Slots == nil {
		st.Slots = make(map[string][][]float64, len(s.names))
	}
	for name := range st.Slots {
		if !slices.Contains(s.names, name) {
			delete(st.Slots, name)
		}
	}
	for k, name := range s.names {
		out := st.Slots[name]
		if len(out) != len(s.data[k]) {
			out = make([][]float64, len(s.data[k]))
		}
		for i, v := range s.data[k] {
			o := out[i]
			if len(o) != len(v) {
				o = make([]float64, len(v))
			}
			for j, x := range v {
				o[j] = float64(x)
			}
			out[i] = o
		}
		st.Slots[name] = out
	}
}

// hyperInto returns st's Hyper map emptied, or a new one.
func hyperInto(st *State) map[string]float64 {
	if st.Hyper == nil {
		return make(map[string]float64, 4)
	}
	clear(st.Hyper)
	return st.Hyper
}

// load checks st's slots against params and, if they fit, replaces s with
// them. A state without slots leaves s unallocated (the next Step allocates).
func (s *slotSet[T]) load(params []*autodiff.Param[T], st *State) error {
	if len(st.Params) > 0 {
		if len(st.Params) != len(params) {
			return fmt.Errorf("optim: state is for %d parameters, got %d", len(st.Params), len(params))
		}
		for i, p := range params {
			if st.Params[i] != "" && p.Name != "" && st.Params[i] != p.Name {
				return fmt.Errorf("optim: state's parameter %d is %q, got %q", i, st.Params[i], p.Name)
			}
		}
	}
	for name := range st.Slots {
		known := false
		for _, n := range s.names {
			known = known || n == name
		}
		if !known {
			return fmt.Errorf("optim: unexpected slot %q in %q state", name, st.Name)
		}
	}
	if len(st.Slots) == 0 {
		if len(s.names) > 0 && len(st.Params) > 0 {
			return fmt.Errorf("optim: %q state names %d parameters but holds no slots", st.Name, len(st.Params))
		}
		s.data = nil
		s.pname = nil
		if len(s.names) == 0 && len(st.Params) > 0 {
			// Slot-free optimizer (plain SGD) that has stepped: remember names.
			s.data = [][][]T{}
			s.pname = append([]string(nil), st.Params...)
		}
		return nil
	}
	data := make([][][]T, len(s.names))
	for k, name := range s.names {
		in, ok := st.Slots[name]
		if !ok {
			return fmt.Errorf("optim: %q state lacks slot %q", st.Name, name)
		}
		if len(in) != len(params) {
			return fmt.Errorf("optim: slot %q holds %d parameters, got %d", name, len(in), len(params))
		}
		data[k] = make([][]T, len(params))
		for i, p := range params {
			if len(in[i]) != p.Value.Len() {
				return fmt.Errorf("optim: slot %q of parameter %d (%q) has %d elements, the parameter %d", name, i, p.Name, len(in[i]), p.Value.Len())
			}
			d := make([]T, len(in[i]))
			for j, x := range in[i] {
				d[j] = T(x)
			}
			data[k][i] = d
		}
	}
	s.data = data
	s.pname = make([]string, len(params))
	for i, p := range params {
		s.pname[i] = p.Name
	}
	return nil
}

// hyper reads a hyperparameter from st, reporting a missing one.
func hyper(st *State, name string) (float64, error) {
	v, ok := st.Hyper[name]
	if !ok {
		return 0, fmt.Errorf("optim: %q state lacks hyperparameter %q", st.Name, name)
	}
	return v, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
