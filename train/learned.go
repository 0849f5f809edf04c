package train

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/optim"
	"github.com/ebm-go/ebm/tensor"
)

// LearnedSampler is a sampler network with an exact density: a normalizing
// flow x = f(z), z ~ N(0, I), is the intended implementation. Flow-contrastive
// estimation uses it as NCE's noise and adversarial training as its sampler
// (entropy H(q) = −E_q[log q(x)] from log q exactly).
type LearnedSampler[T tensor.Float] interface {
	Dim() int
	Params() []*autodiff.Param[T]
	// Draw records n reparameterized draws x = f(z), z ~ N(0, I), on t (n×d)
	// and their log densities log q(x) (n×1).
	Draw(t *autodiff.Tape[T], n int, rng *rand.Rand) (x, logq *autodiff.Var[T], err error)
	// LogProb records log q(x) (n×1) of the rows of x on t.
	LogProb(t *autodiff.Tape[T], x *autodiff.Var[T]) (*autodiff.Var[T], error)
}

// EntropySampler is a sampler network whose entropy H(q) is known only
// through an estimate of its gradient: the noisy sampler x = g(z) + σε of
// package gen is one. Adversarial training needs nothing more.
type EntropySampler[T tensor.Float] interface {
	Dim() int
	Params() []*autodiff.Param[T]
	// DrawNegEntropy records n reparameterized draws x (n×d) on t and a 1×1
	// node whose gradient with respect to Params estimates −∇H(q). Its value
	// is an estimate of −H(q) only when exact is true (otherwise it is a
	// surrogate whose value carries no meaning).
	DrawNegEntropy(t *autodiff.Tape[T], n int, rng *rand.Rand) (x, negH *autodiff.Var[T], exact bool, err error)
	// DrawPoints returns n draws as float64 rows, with no tape and no
	// entropy estimate (the negatives of the energy's step).
	DrawPoints(n int, rng *rand.Rand) (*tensor.Dense[float64], error)
}

// FlowEntropy adapts a LearnedSampler to an EntropySampler: −H(q) is
// estimated by mean log q(x) over the draws, whose reparameterized gradient
// is an unbiased estimate of −∇H(q).
type FlowEntropy[T tensor.Float] struct{ LearnedSampler[T] }

// DrawNegEntropy draws n points and returns mean log q(x).
func (f FlowEntropy[T]) DrawNegEntropy(t *autodiff.Tape[T], n int, rng *rand.Rand) (x, negH *autodiff.Var[T], exact bool, err error) {
	x, lq, err := f.Draw(t, n, rng)
	if err != nil {
		return nil, nil, false, err
	}
	return x, autodiff.Mean(lq), true, nil
}

// DrawPoints draws n points on a scratch tape.
func (f FlowEntropy[T]) DrawPoints(n int, rng *rand.Rand) (*tensor.Dense[float64], error) {
	x, _, err := f.Draw(autodiff.NewTape[T](), n, rng)
	if err != nil {
		return nil, err
	}
	return tensor.Convert(tensor.New[float64](x.Rows(), x.Cols()), x.Value), nil
}

// DrawPointsLogQ draws n points on a scratch tape and returns them with
// their exact log densities.
func (f FlowEntropy[T]) DrawPointsLogQ(n int, rng *rand.Rand) (*tensor.Dense[float64], []float64, error) {
	x, lq, err := f.Draw(autodiff.NewTape[T](), n, rng)
	if err != nil {
		return nil, nil, err
	}
	logq := make([]float64, n)
	for i := range logq {
		logq[i] = float64(lq.Value.Data[i])
	}
	return tensor.Convert(tensor.New[float64](x.Rows(), x.Cols()), x.Value), logq, nil
}

// SamplerFactory builds a sampler network for data of dimension d from a
// spec such as "realnvp:layers=8,hidden=64" or "noisy:hidden=128x128", with
// its initial weights drawn from seed. It returns a LearnedSampler[float32]
// or an EntropySampler[float32] (the CLI's trainer is float32). Package train
// cannot import the families that provide samplers (flows, generators), so a
// caller that wants FCE or adversarial training passes one in
// EstimatorContext.
type SamplerFactory func(spec string, d int, seed uint64) (any, error)

// TwoPlayer is an estimator that trains a sampler network beside the energy:
// FCE and Adversarial. A Trainer gives the sampler its own parameter group,
// SamplerGroup, and runs two objectives every iteration, the estimator's Loss
// on the energy group first and then SamplerLoss on the sampler group
// (alternating updates). Either loss may be nil (with a nil error) to skip
// its player's update for this iteration.
type TwoPlayer[T tensor.Float] interface {
	Estimator[T]
	// SamplerParams returns the sampler's parameters.
	SamplerParams() []*autodiff.Param[T]
	// SamplerLRFactor is the sampler's learning rate as a multiple of the
	// energy's (schedule included).
	SamplerLRFactor() float64
	// SamplerLoss records the sampler's loss for the data batch x.
	SamplerLoss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error)
	// Bind checks the sampler against data of dimension d before training.
	Bind(d int) error
}

// SamplerGroup is the name of the parameter group of a TwoPlayer estimator's
// sampler in a Trainer.
const SamplerGroup = "sampler"

// samplerObjective is a TwoPlayer's SamplerLoss as an Objective.
type samplerObjective[T tensor.Float] struct {
	model energy.Model[T]
	est   TwoPlayer[T]
}

func (o *samplerObjective[T]) Groups() []string { return []string{SamplerGroup} }

func (o *samplerObjective[T]) Loss(t *autodiff.Tape[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	return o.est.SamplerLoss(t, o.model, x, rng)
}

// scaledSchedule multiplies a schedule by a constant factor.
type scaledSchedule struct {
	s optim.Schedule
	f float64
}

func (s scaledSchedule) LR(step int) float64 { return s.f * s.s.LR(step) }

// twoPlayerSetup adds the sampler group and objective of a TwoPlayer
// estimator to the trainer's loop (once) and copies the energy group's
// settings into the sampler group (rate times SamplerLRFactor, same
// schedule shape and clipping, no average). An estimator with a method
// EnergyLRFactor() float64 (Adversarial) also scales the energy group's
// rate by it, and the sampler's with it.
func (tr *TrainerOf[T]) twoPlayerSetup() error {
	tp, ok := tr.Estimator.(TwoPlayer[T])
	if !ok {
		return nil
	}
	l := tr.loop
	if len(l.Groups) == 1 {
		if err := tp.Bind(tr.Model.Dim()); err != nil {
			return fmt.Errorf("train: %s: %w", tp.Name(), err)
		}
		ps := tp.SamplerParams()
		if len(ps) == 0 {
			return errors.New("train: " + tp.Name() + ": the sampler has no parameters")
		}
		l.Groups = append(l.Groups, Group[T]{Name: SamplerGroup, Params: ps})
		k := 1
		if ms, ok := tp.(interface{ SamplerStepsPerIter() int }); ok {
			k = max(ms.SamplerStepsPerIter(), 1)
		}
		for range k {
			l.Objectives = append(l.Objectives, &samplerObjective[T]{model: tr.Model, est: tp})
		}
	}
	c := &tr.Config
	fe := 1.0
	if ef, ok := tp.(interface{ EnergyLRFactor() float64 }); ok && ef.EnergyLRFactor() > 0 {
		fe = ef.EnergyLRFactor()
		e := &l.Groups[0]
		e.LR = c.LR * fe
		if c.Schedule != nil {
			e.Schedule = scaledSchedule{c.Schedule, fe}
		}
	}
	f := tp.SamplerLRFactor()
	if !(f > 0) {
		f = 1
	}
	f *= fe
	g := &l.Groups[1]
	g.LR, g.ClipNorm, g.Schedule = c.LR*f, c.ClipNorm, nil
	if c.Schedule != nil {
		g.Schedule = scaledSchedule{c.Schedule, f}
	}
	return nil
}

// LearnedLogZ returns the estimate of log Z that an estimator learns beside
// the energy (NCE's and FCE's c), and whether it has one.
func LearnedLogZ[T tensor.Float](e Estimator[T]) (float64, bool) {
	switch e := e.(type) {
	case *NCE[T]:
		return e.LogZValue(), true
	case *FCE[T]:
		return e.LogZValue(), true
	}
	return 0, false
}
