package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// FCE is flow-contrastive estimation (Gao et al. 2020): noise-contrastive
// estimation whose noise q is a learned sampler with an exact density (a
// flow) trained against the energy. The model is log p(x) = −E(x) − c with c
// a learned log Z; with one noise draw y ~ q per data point x and the
// classifier's logit G(u) = log p(u) − log q(u), the value
//
//	V = mean log σ(G(x)) + mean log σ(−G(y))
//
// is maximized by the energy (and c) and minimized by the flow (through
// log q(x), log q(y) and the reparameterized y), alternately: every iteration
// the energy takes one step on −V, then the flow one step on V. At the
// equilibrium q equals the data density, and so does p (with c the true log Z
// of exp(−E)).
//
// Balance: the classifier's accuracy a (data with G > 0 and noise with G < 0,
// over both) is computed on each batch before the energy's step and reported
// as "acc". When a > AccHi the energy already separates the two well and
// skips its step, letting the flow catch up; when a < AccLo the flow already
// fools the energy and skips its step. Between the two both players move.
// The skips are counted in Stats ("skip").
type FCE[T tensor.Float] struct {
	Flow LearnedSampler[T]
	LogZ *autodiff.Param[T]
	// AccLo and AccHi bound the accuracy band in which both players update
	// (defaults of ParseEstimator: 0.5 and 0.9; AccHi ≥ 1 never skips the
	// energy, AccLo ≤ 0 never skips the flow).
	AccLo, AccHi float64
	// FlowLR is the flow's learning rate as a multiple of the energy's
	// (0: 1).
	FlowLR float64
	// Ratio is ν, the number of flow draws per data point (≤ 0: 1).
	Ratio float64

	// acc is the accuracy of this iteration's batch, set by Loss before
	// SamplerLoss runs in the same iteration.
	acc float64
}

// NewFCE returns FCE with flow q and the defaults of ParseEstimator("fce").
func NewFCE[T tensor.Float](q LearnedSampler[T]) *FCE[T] {
	d := estimatorDefs["fce"]
	return &FCE[T]{Flow: q, LogZ: autodiff.NewParam("fce.logz", tensor.New[T](1, 1)),
		AccLo: d.float("acc_lo"), AccHi: d.float("acc_hi"), FlowLR: d.float("flow_lr"), Ratio: d.float("ratio")}
}

// Name returns "fce".
func (e *FCE[T]) Name() string { return "fce" }

// ExtraParams returns the learned log Z (trained with the energy).
func (e *FCE[T]) ExtraParams() []*autodiff.Param[T] { return []*autodiff.Param[T]{e.LogZ} }

// SamplerParams returns the flow's parameters.
func (e *FCE[T]) SamplerParams() []*autodiff.Param[T] { return e.Flow.Params() }

// SamplerLRFactor returns FlowLR (0: 1).
func (e *FCE[T]) SamplerLRFactor() float64 { return e.FlowLR }

// Bind checks the flow's dimension.
func (e *FCE[T]) Bind(d int) error {
	if e.Flow == nil {
		return errors.New("no flow")
	}
	if e.Flow.Dim() != d {
		return fmt.Errorf("the flow has dimension %d, the data %d", e.Flow.Dim(), d)
	}
	return nil
}

// LogZValue returns the current estimate c of log Z.
func (e *FCE[T]) LogZValue() float64 { return float64(e.LogZ.Value.Data[0]) }

// value records −V (the NCE loss) and the accuracy. With detach the flow's
// nodes are constants (the energy's step); otherwise the energy's nodes are
// recorded but only the flow is updated by the caller.
func (e *FCE[T]) value(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand, detach bool) (*autodiff.Var[T], Stats, float64, error) {
	if e.Flow == nil || e.LogZ == nil {
		return nil, Stats{}, 0, errors.New("fce: no flow or log Z (use NewFCE)")
	}
	if e.Flow.Dim() != x.Cols {
		return nil, Stats{}, 0, fmt.Errorf("fce: the flow has dimension %d, the data %d", e.Flow.Dim(), x.Cols)
	}
	n := x.Rows
	nu := e.Ratio
	if nu <= 0 {
		nu = 1
	}
	ny := max(1, int(math.Round(nu*float64(n))))
	logNu := math.Log(float64(ny) / float64(n))
	xv := t.Input(x, false)
	y, lqy, err := e.Flow.Draw(t, ny, rng)
	if err != nil {
		return nil, Stats{}, 0, fmt.Errorf("fce: %w", err)
	}
	lqx, err := e.Flow.LogProb(t, xv)
	if err != nil {
		return nil, Stats{}, 0, fmt.Errorf("fce: %w", err)
	}
	if detach {
		y, lqy, lqx = autodiff.Detach(y), autodiff.Detach(lqy), autodiff.Detach(lqx)
	}
	c := t.Param(e.LogZ)
	ex := m.Build(t, xv)
	ey := m.Build(t, y)
	// G = −E − c − log νq
	cnu := autodiff.AddScalar(c, logNu)
	gx := autodiff.Neg(autodiff.Add(autodiff.Add(ex, cnu), lqx))
	gy := autodiff.Neg(autodiff.Add(autodiff.Add(ey, cnu), lqy))
	loss := autodiff.Add(autodiff.Sum(autodiff.Softplus(autodiff.Neg(gx))), autodiff.Sum(autodiff.Softplus(gy)))
	loss = autodiff.Scale(loss, 1/float64(n))
	right := 0
	for _, v := range gx.Value.Data {
		if v > 0 {
			right++
		}
	}
	for _, v := range gy.Value.Data {
		if v < 0 {
			right++
		}
	}
	acc := float64(right) / float64(n+ny)
	st := Stats{EPos: meanOf(ex), ENeg: meanOf(ey), Extra: map[string]float64{"logz": e.LogZValue(), "acc": acc,
		"logq_data": meanOf(lqx)}}
	return loss, st, acc, nil
}

// Loss records the energy's loss −V (it ascends V) and the batch's accuracy;
// it returns a nil loss, skipping the energy's step, when the accuracy is
// above AccHi.
func (e *FCE[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	loss, st, acc, err := e.value(t, m, x, rng, true)
	if err != nil {
		return nil, st, err
	}
	e.acc = acc
	if acc > e.AccHi && e.AccHi < 1 {
		st.Loss = loss.Item()
		st.Extra["skip"] = 1
		return nil, st, nil
	}
	return loss, st, nil
}

// SamplerLoss records the flow's loss V (it descends V); it returns a nil
// loss, skipping the flow's step, when the accuracy of this iteration's
// batch, measured by Loss before the energy's step, was below AccLo.
func (e *FCE[T]) SamplerLoss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	loss, st, _, err := e.value(t, m, x, rng, false)
	if err != nil {
		return nil, st, err
	}
	st.Extra = map[string]float64{"acc": st.Extra["acc"]}
	v := autodiff.Neg(loss)
	if e.acc < e.AccLo && e.AccLo > 0 {
		st.Loss = v.Item()
		st.Extra["skip"] = 1
		return nil, st, nil
	}
	return v, st, nil
}

// fceCheck reports whether the accuracy band is valid.
func fceCheck(lo, hi float64) error {
	if !(lo <= hi) || math.IsNaN(lo) {
		return fmt.Errorf("need acc_lo <= acc_hi, got %v and %v", lo, hi)
	}
	return nil
}
