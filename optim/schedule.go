package optim

import (
	"errors"
	"fmt"
	"math"
)

// Schedule gives the learning rate for each step. step counts the optimizer
// updates made before the one the rate is for: LR(0) is the rate of the first
// Step. Negative steps are treated as 0. A trainer calls
// opt.SetLR(s.LR(step)) before each opt.Step.
//
// The schedules here are plain structs; Validate reports bad fields, and LR on
// an invalid schedule returns whatever its formula gives.
type Schedule interface {
	LR(step int) float64
}

// Validator is implemented by schedules that can check their fields.
type Validator interface {
	Validate() error
}

func positive(what string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return fmt.Errorf("optim: %s %v must be finite and > 0", what, v)
	}
	return nil
}

func nonNegative(what string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 0) {
		return fmt.Errorf("optim: %s %v must be finite and ≥ 0", what, v)
	}
	return nil
}

// Constant is a fixed learning rate: LR(step) = Base.
type Constant struct {
	Base float64
}

// LR returns c.Base.
func (c Constant) LR(int) float64 { return c.Base }

// Validate reports an error unless Base > 0.
func (c Constant) Validate() error { return positive("Constant.Base", c.Base) }

// Step decays the rate by Gamma every Every steps, as torch's StepLR:
//
//	LR(step) = Base · Gamma^⌊step / Every⌋
type Step struct {
	Base  float64
	Every int
	Gamma float64
}

// LR returns Base · Gamma^⌊step/Every⌋.
func (s Step) LR(step int) float64 {
	step = max(step, 0)
	if s.Every <= 0 {
		return s.Base
	}
	return s.Base * math.Pow(s.Gamma, float64(step/s.Every))
}

// Validate reports an error unless Base > 0, Every > 0 and Gamma > 0.
func (s Step) Validate() error {
	if err := positive("Step.Base", s.Base); err != nil {
		return err
	}
	if s.Every <= 0 {
		return fmt.Errorf("optim: Step.Every %d must be > 0", s.Every)
	}
	return positive("Step.Gamma", s.Gamma)
}

// Cosine anneals the rate from Base to Min over Total steps along a half
// cosine, as torch's CosineAnnealingLR (without restarts), then stays at Min:
//
//	LR(step) = Min + (Base − Min) · (1 + cos(π · min(step, Total) / Total)) / 2
//
// so LR(0) = Base, LR(Total/2) = (Base + Min)/2 and LR(Total) = Min.
type Cosine struct {
	Base, Min float64
	Total     int
}

// LR returns the annealed rate at step.
func (c Cosine) LR(step int) float64 {
	if c.Total <= 0 {
		return c.Min
	}
	s := min(max(step, 0), c.Total)
	return c.Min + (c.Base-c.Min)*(1+math.Cos(math.Pi*float64(s)/float64(c.Total)))/2
}

// Validate reports an error unless Base > 0, 0 ≤ Min ≤ Base and Total > 0.
func (c Cosine) Validate() error {
	if err := positive("Cosine.Base", c.Base); err != nil {
		return err
	}
	if err := nonNegative("Cosine.Min", c.Min); err != nil {
		return err
	}
	if c.Min > c.Base {
		return fmt.Errorf("optim: Cosine.Min %v exceeds Base %v", c.Min, c.Base)
	}
	if c.Total <= 0 {
		return fmt.Errorf("optim: Cosine.Total %d must be > 0", c.Total)
	}
	return nil
}

// Linear changes the rate linearly from Base to End over Total steps, then
// stays at End:
//
//	LR(step) = Base + (End − Base) · min(step, Total) / Total
type Linear struct {
	Base, End float64
	Total     int
}

// LR returns the interpolated rate at step.
func (l Linear) LR(step int) float64 {
	if l.Total <= 0 {
		return l.End
	}
	s := min(max(step, 0), l.Total)
	return l.Base + (l.End-l.Base)*float64(s)/float64(l.Total)
}

// Validate reports an error unless Base > 0, End ≥ 0 and Total > 0.
func (l Linear) Validate() error {
	if err := positive("Linear.Base", l.Base); err != nil {
		return err
	}
	if err := nonNegative("Linear.End", l.End); err != nil {
		return err
	}
	if l.Total <= 0 {
		return fmt.Errorf("optim: Linear.Total %d must be > 0", l.Total)
	}
	return nil
}

// Warmup ramps the rate up linearly over the first Steps steps, from
// From·Inner.LR(0) towards Inner.LR(0), then follows Inner, whose own step
// count starts when the warm-up ends:
//
//	LR(step) = Inner.LR(0) · (From + (1 − From) · step / Steps)   for step < Steps
//	LR(step) = Inner.LR(step − Steps)                               otherwise
//
// With From = 0 (the zero value) the first update has rate 0, as in the common
// "linear warm-up from zero"; set From (for example 1/Steps) to avoid it.
type Warmup struct {
	Inner Schedule
	Steps int
	From  float64 // starting fraction in [0, 1]
}

// LR returns the warmed-up rate at step.
func (w Warmup) LR(step int) float64 {
	step = max(step, 0)
	if step >= w.Steps {
		return w.Inner.LR(step - w.Steps)
	}
	return w.Inner.LR(0) * (w.From + (1-w.From)*float64(step)/float64(w.Steps))
}

// Validate reports an error unless Inner is set (and valid, if it is a
// Validator), Steps ≥ 0 and 0 ≤ From ≤ 1.
func (w Warmup) Validate() error {
	if w.Inner == nil {
		return errors.New("optim: Warmup.Inner is nil")
	}
	if w.Steps < 0 {
		return fmt.Errorf("optim: Warmup.Steps %d must be ≥ 0", w.Steps)
	}
	if !(w.From >= 0 && w.From <= 1) {
		return fmt.Errorf("optim: Warmup.From %v must be in [0, 1]", w.From)
	}
	if v, ok := w.Inner.(Validator); ok {
		return v.Validate()
	}
	return nil
}
