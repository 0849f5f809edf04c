package optim

import (
	"fmt"
	"math"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// AdamConfig configures Adam and AdamW. Start from DefaultAdam or
// DefaultAdamW: a zero Beta1 is a legitimate value, not "use the default".
type AdamConfig struct {
	LR          float64 // learning rate, > 0
	Beta1       float64 // first-moment decay β1 in [0, 1)
	Beta2       float64 // second-moment decay β2 in [0, 1)
	Eps         float64 // ε ≥ 0, added to the denominator
	WeightDecay float64 // λ ≥ 0: L2 added to the gradient (Adam) or decoupled decay (AdamW)
}

// DefaultAdam returns torch.optim.Adam's defaults with learning rate lr:
// β1 = 0.9, β2 = 0.999, ε = 1e-8, no weight decay.
func DefaultAdam(lr float64) AdamConfig {
	return AdamConfig{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// DefaultAdamW returns torch.optim.AdamW's defaults with learning rate lr:
// β1 = 0.9, β2 = 0.999, ε = 1e-8, weight decay 0.01.
func DefaultAdamW(lr float64) AdamConfig {
	c := DefaultAdam(lr)
	c.WeightDecay = 0.01
	return c
}

// Validate reports whether c holds usable values.
func (c AdamConfig) Validate() error {
	switch {
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return fmt.Errorf("optim: Adam learning rate %v must be finite and > 0", c.LR)
	case !(c.Beta1 >= 0 && c.Beta1 < 1):
		return fmt.Errorf("optim: Adam β1 %v must be in [0, 1)", c.Beta1)
	case !(c.Beta2 >= 0 && c.Beta2 < 1):
		return fmt.Errorf("optim: Adam β2 %v must be in [0, 1)", c.Beta2)
	case !(c.Eps >= 0) || math.IsInf(c.Eps, 0):
		return fmt.Errorf("optim: Adam ε %v must be finite and ≥ 0", c.Eps)
	case !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0):
		return fmt.Errorf("optim: Adam weight decay %v must be finite and ≥ 0", c.WeightDecay)
	}
	return nil
}

// Adam is the Adam optimizer (Kingma and Ba, 2015) with the update of
// torch.optim.Adam, or, built by NewAdamW, AdamW (Loshchilov and Hutter,
// 2019) with the update of torch.optim.AdamW. At step t = 1, 2, … for each
// parameter p with gradient g:
//
//	g ← g + λ·p                 (Adam with WeightDecay λ > 0: L2 penalty)
//	p ← p·(1 − lr·λ)            (AdamW: decoupled weight decay)
//	m ← m + (1 − β1)·(g − m)    (= β1·m + (1 − β1)·g, computed as torch's lerp)
//	v ← β2·v + (1 − β2)·g²
//	p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
//
// The moments m and v are stored in T and updated in T (as PyTorch keeps them
// in the parameter's dtype), with torch's order of operations; the bias
// corrections 1 − β1ᵗ and √(1 − β2ᵗ) and the step size lr/(1 − β1ᵗ) are
// computed in float64. Products are rounded before they are added (no fused
// multiply-add), so results are the same on every architecture; they agree
// with PyTorch's to rounding (PyTorch's vectorised CPU kernels may fuse).
type Adam[T tensor.Float] struct {
	cfg       AdamConfig
	decoupled bool
	step      int64
	slots     slotSet[T] // "exp_avg", "exp_avg_sq"
	job       adamJob[T] // the common update of a large parameter, split across cores
}

// NewAdam returns an Adam optimizer (weight decay, if any, as an L2 term added
// to the gradient), or an error if c is invalid.
func NewAdam[T tensor.Float](c AdamConfig) (*Adam[T], error) {
	return newAdam[T](c, false)
}

// NewAdamW returns an AdamW optimizer (decoupled weight decay p ← p·(1 − lr·λ)),
// or an error if c is invalid. Start from DefaultAdamW for torch's λ = 0.01.
func NewAdamW[T tensor.Float](c AdamConfig) (*Adam[T], error) {
	return newAdam[T](c, true)
}

func newAdam[T tensor.Float](c AdamConfig, decoupled bool) (*Adam[T], error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &Adam[T]{cfg: c, decoupled: decoupled, slots: newSlotSet[T]("exp_avg", "exp_avg_sq")}, nil
}

// Decoupled reports whether o is AdamW (decoupled weight decay).
func (o *Adam[T]) Decoupled() bool { return o.decoupled }

// Config returns the optimizer's configuration, with the current learning rate.
func (o *Adam[T]) Config() AdamConfig { return o.cfg }

// LR returns the learning rate the next Step uses.
func (o *Adam[T]) LR() float64 { return o.cfg.LR }

// SetLR sets the learning rate for the following Steps. It panics if lr is
// negative, NaN or infinite (0 is allowed).
func (o *Adam[T]) SetLR(lr float64) { checkLR(lr); o.cfg.LR = lr }

// Steps returns the number of Step calls made so far (t of the last update).
func (o *Adam[T]) Steps() int64 { return o.step }

// ZeroGrad sets every parameter's gradient to zero.
func (o *Adam[T]) ZeroGrad(params []*autodiff.Param[T]) { ZeroGrad(params) }

// Step applies one Adam (or AdamW) update to params (see Adam for the formula).
// The step count t is shared by all parameters. A parameter with a nil Grad is
// skipped (its moments do not decay) but t still advances; PyTorch keeps a t
// per parameter, so runs that skip parameters differ from PyTorch's.
func (o *Adam[T]) Step(params []*autodiff.Param[T]) {
	o.slots.ensure(o.name(), params)
	o.step++
	c := &o.cfg
	t := float64(o.step)
	bc1 := 1 - math.Pow(c.Beta1, t)
	bc2 := 1 - math.Pow(c.Beta2, t)
	var (
		nstep = T(-(c.LR / bc1))
		bc2s  = T(math.Sqrt(bc2))
		eps   = T(c.Eps)
		b2    = T(c.Beta2)
		omb2  = T(1 - c.Beta2)
		w1    = T(1 - c.Beta1) // lerp weight
		small = math.Abs(float64(w1)) < 0.5
		omw1  = 1 - w1
		l2    = !o.decoupled && c.WeightDecay != 0
		wd    = T(c.WeightDecay)
		dec   = o.decoupled && c.WeightDecay != 0
		decF  = T(1 - c.LR*c.WeightDecay)
	)
	for i, p := range params {
		if p.Grad == nil {
			continue
		}
		checkGrad(o.name(), i, p)
		w := p.Value.Data
		g := p.Grad.Data[:len(w)]
		m := o.slots.data[0][i][:len(w)]
		v := o.slots.data[1][i][:len(w)]
		if small && !l2 && !dec {
			// The common case (Adam without weight decay, β₁ > 0.5), with
			// the loop-invariant branches hoisted (adamJob.Run); large
			// parameters are split across cores (elementwise: the same
			// numbers).
			j := &o.job
			*j = adamJob[T]{w: w, g: g, m: m, v: v, w1: w1, b2: b2, omb2: omb2, bc2s: bc2s, eps: eps, nstep: nstep}
			if len(w) >= adamParMin {
				tensor.ParallelRows(j, len(w), adamParMin/2)
			} else {
				j.Run(0, len(w))
			}
			*j = adamJob[T]{}
			continue
		}
		for j := range w {
			gj := g[j]
			if l2 {
				gj += T(wd * w[j])
			}
			if dec {
				w[j] *= decF
			}
			// torch's lerp(m, g, w1), which switches formula at weight 0.5.
			if small {
				m[j] += T(w1 * (gj - m[j]))
			} else {
				m[j] = gj - T((gj-m[j])*omw1)
			}
			v[j] = T(b2*v[j]) + T(omb2*gj*gj)
			den := T(T(math.Sqrt(float64(v[j])))/bc2s) + eps
			w[j] += T(nstep*m[j]) / den
		}
	}
}

func (o *Adam[T]) name() string {
	if o.decoupled {
		return "adamw"
	}
	return "adam"
}

// State returns a deep copy of the optimizer's state (Name "adam" or "adamw";
// slots "exp_avg" and "exp_avg_sq", torch's names for m and v).
func (o *Adam[T]) State() *State {
	st := &State{}
	o.SaveState(st)
	return st
}

// SaveState writes the state State returns into st (see StateSaver).
func (o *Adam[T]) SaveState(st *State) {
	h := hyperInto(st)
	h["beta1"], h["beta2"], h["eps"], h["weight_decay"] = o.cfg.Beta1, o.cfg.Beta2, o.cfg.Eps, o.cfg.WeightDecay
	st.Name, st.Step, st.LR, st.Hyper = o.name(), o.step, o.cfg.LR, h
	o.slots.save(st)
}

// LoadState restores a state saved by the same kind of optimizer (Adam or
// AdamW), including the learning rate and hyperparameters (as torch's
// load_state_dict does), after checking it against params. On error the
// optimizer is unchanged.
func (o *Adam[T]) LoadState(params []*autodiff.Param[T], s *State) error {
	if s == nil || s.Name != o.name() {
		return fmt.Errorf("optim: %s cannot load a %q state", o.name(), stateName(s))
	}
	c := AdamConfig{LR: s.LR}
	for _, h := range []struct {
		name string
		dst  *float64
	}{{"beta1", &c.Beta1}, {"beta2", &c.Beta2}, {"eps", &c.Eps}, {"weight_decay", &c.WeightDecay}} {
		var err error
		if *h.dst, err = hyper(s, h.name); err != nil {
			return err
		}
	}
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
	slots := newSlotSet[T]("exp_avg", "exp_avg_sq")
	if err := slots.load(params, s); err != nil {
		return err
	}
	o.cfg, o.step, o.slots = c, s.Step, slots
	return nil
}

// adamParMin is the parameter size from which the common Adam update is split
// across cores.
const adamParMin = 1 << 16

// adamJob is the common Adam update (no weight decay, β₁ > 0.5) of one
// parameter, as a parallel body (tensor.RowJob) kept in the optimizer so that
// handing it out does not allocate.
type adamJob[T tensor.Float] struct {
	w, g, m, v                     []T
	w1, b2, omb2, bc2s, eps, nstep T
}

// Run updates elements lo ≤ j < hi: the same operations as Step's general
// loop, so the same rounding. For float32 a SIMD kernel (adam_amd64.s) does
// them eight elements at a time and the loop finishes the tail.
func (o *adamJob[T]) Run(lo, hi int) {
	w, g, m, v := o.w[lo:hi], o.g[lo:hi], o.m[lo:hi], o.v[lo:hi]
	w1, b2, omb2, bc2s, eps, nstep := o.w1, o.b2, o.omb2, o.bc2s, o.eps, o.nstep
	j0 := 0
	if w32, ok := any(w).([]float32); ok {
		c := adamConsts{float32(w1), float32(b2), float32(omb2), float32(bc2s), float32(eps), float32(nstep)}
		j0 = adam32(w32, any(g).([]float32), any(m).([]float32), any(v).([]float32), &c)
	}
	for j := j0; j < len(w); j++ {
		gj := g[j]
		mj := m[j] + T(w1*(gj-m[j]))
		vj := T(b2*v[j]) + T(omb2*gj*gj)
		m[j], v[j] = mj, vj
		den := T(T(math.Sqrt(float64(vj)))/bc2s) + eps
		w[j] += T(nstep*mj) / den
	}
}
