package optim

import (
	"errors"
	"fmt"
	"math"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// SGDConfig configures SGD. The zero values of Momentum, WeightDecay and
// Nesterov give plain gradient descent.
type SGDConfig struct {
	LR          float64 // learning rate, > 0
	Momentum    float64 // μ in [0, 1); 0 disables the momentum buffer
	WeightDecay float64 // L2 coefficient λ ≥ 0, added to the gradient
	Nesterov    bool    // Nesterov momentum (needs Momentum > 0)
}

// Validate reports whether c holds usable values.
func (c SGDConfig) Validate() error {
	switch {
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("optim: SGD learning rate %v must be finite and > 0", c.LR)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return fmt.Errorf("optim: SGD momentum %v must be in [0, 1)", c.Momentum)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("optim: SGD weight decay %v must be finite and ≥ 0", c.WeightDecay)
	case c.Nesterov && c.Momentum == 0:
		return errors.New("optim: Nesterov momentum needs momentum > 0")
	}
	return nil
}

// SGD is stochastic gradient descent with optional momentum, Nesterov momentum
// and L2 weight decay, with torch.optim.SGD's update (dampening 0). For each
// parameter p with gradient g:
//
//	g ← g + λ·p                      (if WeightDecay λ > 0)
//	b ← μ·b + g                      (momentum buffer, b = g on the first step)
//	d ← g + μ·b  (Nesterov)   or   d ← b   (otherwise; d ← g when μ = 0)
//	p ← p − lr·d
//
// Arithmetic is in T, as PyTorch does it in the parameter's dtype. float64
// parameters take a scalar loop in which every product is rounded before it
// is added (no fused multiply-add), so results are the same on every
// architecture; float32 parameters take tensor's SIMD kernels (see step32),
// which may fuse multiply-adds where the CPU has them.
type SGD[T tensor.Float] struct {
	cfg   SGDConfig
	step  int64
	slots slotSet[T] // "momentum_buffer" when Momentum > 0
}

// NewSGD returns an SGD optimizer, or an error if c is invalid.
func NewSGD[T tensor.Float](c SGDConfig) (*SGD[T], error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &SGD[T]{cfg: c, slots: sgdSlots[T](c)}, nil
}

func sgdSlots[T tensor.Float](c SGDConfig) slotSet[T] {
	if c.Momentum > 0 {
		return newSlotSet[T]("momentum_buffer")
	}
	return newSlotSet[T]()
}

// Config returns the optimizer's configuration, with the current learning rate.
func (o *SGD[T]) Config() SGDConfig { return o.cfg }

// LR returns the learning rate the next Step uses.
func (o *SGD[T]) LR() float64 { return o.cfg.LR }

// SetLR sets the learning rate for the following Steps. It panics if lr is
// negative, NaN or infinite (0 is allowed).
func (o *SGD[T]) SetLR(lr float64) { checkLR(lr); o.cfg.LR = lr }

// Steps returns the number of Step calls made so far.
func (o *SGD[T]) Steps() int64 { return o.step }

// ZeroGrad sets every parameter's gradient to zero.
func (o *SGD[T]) ZeroGrad(params []*autodiff.Param[T]) { ZeroGrad(params) }

// Step applies one SGD update to params (see SGD for the formula).
func (o *SGD[T]) Step(params []*autodiff.Param[T]) {
	o.slots.ensure("SGD", params)
	o.step++
	lr := T(o.cfg.LR)
	wd := T(o.cfg.WeightDecay)
	mu := T(o.cfg.Momentum)
	decay := o.cfg.WeightDecay != 0
	for i, p := range params {
		if p.Grad == nil {
			continue
		}
		checkGrad("SGD", i, p)
		w, g := p.Value.Data, p.Grad.Data
		g = g[:len(w)]
		if w32, ok := any(w).([]float32); ok {
			var b32 []float32
			if o.cfg.Momentum != 0 {
				b32 = any(o.slots.data[0][i]).([]float32)
			}
			o.step32(w32, any(g).([]float32), b32)
			continue
		}
		if o.cfg.Momentum == 0 {
			for j := range w {
				d := g[j]
				if decay {
					d += T(wd * w[j])
				}
				w[j] -= T(lr * d)
			}
			continue
		}
		b := o.slots.data[0][i]
		b = b[:len(w)]
		for j := range w {
			d := g[j]
			if decay {
				d += T(wd * w[j])
			}
			b[j] = T(mu*b[j]) + d
			if o.cfg.Nesterov {
				d += T(mu * b[j])
			} else {
				d = b[j]
			}
			w[j] -= T(lr * d)
		}
	}
}

// step32 is Step's vectorized float32 update of one parameter w with gradient
// g and momentum buffer b (nil without momentum), in passes of tensor's SIMD
// kernels (tensor.Axpy, tensor.Scale) instead of one scalar loop. The
// formulas are SGD's, regrouped:
//
//	b ← μ·b + g + λ·w                                      (μ > 0)
//	w ← (1 − lr·λ)·w − lr·g − lr·μ·b                       (Nesterov)
//	w ← w − lr·b                                           (momentum)
//	w ← (1 − lr·λ)·w − lr·g                                (μ = 0)
//
// so rounding may differ from the scalar loop in the last bits.
func (o *SGD[T]) step32(w, g, b []float32) {
	lr := float32(o.cfg.LR)
	wd := float32(o.cfg.WeightDecay)
	mu := float32(o.cfg.Momentum)
	n := len(w)
	wv := tensor.Dense[float32]{Rows: 1, Cols: n, Data: w}
	gv := tensor.Dense[float32]{Rows: 1, Cols: n, Data: g}
	if b == nil {
		if wd != 0 {
			tensor.Scale(&wv, &wv, 1-lr*wd)
		}
		tensor.Axpy(-lr, &gv, &wv)
		return
	}
	bv := tensor.Dense[float32]{Rows: 1, Cols: n, Data: b[:n]}
	if mu != 1 {
		tensor.Scale(&bv, &bv, mu)
	}
	tensor.Axpy(1, &gv, &bv)
	if wd != 0 {
		tensor.Axpy(wd, &wv, &bv)
	}
	if !o.cfg.Nesterov {
		tensor.Axpy(-lr, &bv, &wv)
		return
	}
	if wd != 0 {
		tensor.Scale(&wv, &wv, 1-lr*wd)
	}
	tensor.Axpy(-lr, &gv, &wv)
	tensor.Axpy(-lr*mu, &bv, &wv)
}

// State returns a deep copy of the optimizer's state (Name "sgd"; slot
// "momentum_buffer" when Momentum > 0).
func (o *SGD[T]) State() *State {
	st := &State{}
	o.SaveState(st)
	return st
}

// SaveState writes the state State returns into st (see StateSaver).
func (o *SGD[T]) SaveState(st *State) {
	h := hyperInto(st)
	h["momentum"], h["weight_decay"], h["nesterov"] = o.cfg.Momentum, o.cfg.WeightDecay, b2f(o.cfg.Nesterov)
	st.Name, st.Step, st.LR, st.Hyper = "sgd", o.step, o.cfg.LR, h
	o.slots.save(st)
}

// LoadState restores a state saved by SGD.State, including the learning rate
// and hyperparameters (as torch's load_state_dict does), after checking it
// against params. On error the optimizer is unchanged.
func (o *SGD[T]) LoadState(params []*autodiff.Param[T], s *State) error {
	if s == nil || s.Name != "sgd" {
		return fmt.Errorf("optim: SGD cannot load a %q state", stateName(s))
	}
	var c SGDConfig
	var err error
	c.LR = s.LR
	if c.Momentum, err = hyper(s, "momentum"); err != nil {
		return err
	}
	if c.WeightDecay, err = hyper(s, "weight_decay"); err != nil {
		return err
	}
	n, err := hyper(s, "nesterov")
	if err != nil {
		return err
	}
	c.Nesterov = n != 0
	v := c
	if v.LR == 0 { // a warm-up may have set 0, which a constructor refuses
		v.LR = 1
	}
	if err := v.Validate(); err != nil {
		return err
	}
	if s.Step < 0 {
		return fmt.Errorf("optim: negative step count %d", s.Step)
	}
	slots := sgdSlots[T](c)
	if err := slots.load(params, s); err != nil {
		return err
	}
	o.cfg, o.step, o.slots = c, s.Step, slots
	return nil
}

func stateName(s *State) string {
	if s == nil {
		return "nil"
	}
	return s.Name
}
