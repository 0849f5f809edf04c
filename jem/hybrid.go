package jem

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// Hybrid is JEM's training objective on labelled batches (x⁺, y⁺):
//
//	L = CE + w·(mean E(x⁺) − mean E(x⁻) + α·mean(E(x⁺)² + E(x⁻)²)),
//	CE = mean(logsumexp f(x⁺) − f(x⁺)[y⁺]) = −mean log p(y⁺ | x⁺),
//
// with E(x) = −logsumexp f(x) and negatives x⁻ from the replay buffer
// Negatives. The w term is the stochastic maximum-likelihood gradient of
// log p(x) (its parameter gradient is E[∇θE(x⁺)] − E[∇θE(x⁻)] when x⁻
// follows the model); the α term is the IGEBM energy regularizer. Weight 0
// is the purely discriminative classifier: no negatives are drawn.
//
// Hybrid is a train.Objective over train.Labelled batches and is
// train.Stateful through its buffer, so the train.Loop keeps the buffer in
// its snapshots and re-initializes it after a divergence rollback.
type Hybrid[T tensor.Float] struct {
	Model     *Classifier[T]
	Group     string // the parameter group trained (default "model")
	Weight    float64
	Alpha     float64
	Negatives *Replay

	onehot *tensor.Dense[T]
	timer  *samplingTimer
}

// Groups returns the group the objective updates.
func (h *Hybrid[T]) Groups() []string {
	if h.Group == "" {
		return []string{"model"}
	}
	return []string{h.Group}
}

// Loss records the hybrid loss of batch b. Stats: EPos and ENeg are the mean
// energies of data and negatives; Extra holds "ce" (the cross-entropy) and
// "acc" (the batch accuracy).
func (h *Hybrid[T]) Loss(t *autodiff.Tape[T], b train.Labelled, rng *rand.Rand) (*autodiff.Var[T], train.Stats, error) {
	c := h.Model
	if c == nil {
		return nil, train.Stats{}, errors.New("jem: Hybrid has no model")
	}
	n, k := b.X.Rows, c.Classes()
	if len(b.Y) != n {
		return nil, train.Stats{}, fmt.Errorf("jem: %d labels for a batch of %d", len(b.Y), n)
	}
	h.onehot = tensor.Reuse(h.onehot, n, k)
	clear(h.onehot.Data)
	for i, y := range b.Y {
		if y < 0 || y >= k {
			return nil, train.Stats{}, fmt.Errorf("jem: label %d outside [0, %d)", y, k)
		}
		h.onehot.Data[i*k+y] = 1
	}
	logits := c.Logits(t, t.Input(b.X, false))
	lse := autodiff.RowLogSumExp(logits)
	picked := autodiff.SumCols(autodiff.Mul(logits, t.Const(h.onehot)))
	ce := autodiff.Mean(autodiff.Sub(lse, picked))
	correct := 0
	for i := range n {
		row := logits.Value.Data[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == b.Y[i] {
			correct++
		}
	}
	st := train.Stats{EPos: -meanOf(lse), ENeg: nan()}
	st.Extra = map[string]float64{"ce": ce.Item(), "acc": float64(correct) / float64(n)}
	if h.Weight == 0 {
		return ce, st, nil
	}
	if h.Negatives == nil {
		return nil, st, errors.New("jem: a generative weight needs a replay buffer of negatives")
	}
	t0 := time.Now()
	xn, _, err := h.Negatives.Draw(c, n, rng)
	if h.timer != nil {
		h.timer.total += time.Since(t0)
	}
	if err != nil {
		return nil, st, err
	}
	ep := autodiff.Neg(lse)
	en := c.Build(t, t.Input(xn, false))
	gen := autodiff.Sub(autodiff.Mean(ep), autodiff.Mean(en))
	if h.Alpha > 0 {
		reg := autodiff.Add(autodiff.Mean(autodiff.Square(ep)), autodiff.Mean(autodiff.Square(en)))
		gen = autodiff.Add(gen, autodiff.Scale(reg, h.Alpha))
	}
	st.ENeg = meanOf(en)
	st.Extra["gen"] = gen.Item()
	return autodiff.Add(ce, autodiff.Scale(gen, h.Weight)), st, nil
}

// StateTensors returns the replay buffer (nil without one).
func (h *Hybrid[T]) StateTensors() map[string]*tensor.Dense[float64] {
	if h.Negatives == nil {
		return nil
	}
	return h.Negatives.StateTensors()
}

// LoadStateTensors restores the replay buffer.
func (h *Hybrid[T]) LoadStateTensors(s map[string]*tensor.Dense[float64]) error {
	if h.Negatives == nil {
		return nil
	}
	return h.Negatives.LoadStateTensors(s)
}

// Reseed re-initializes the replay buffer.
func (h *Hybrid[T]) Reseed(rng *rand.Rand) {
	if h.Negatives != nil {
		h.Negatives.Reseed(rng)
	}
}

func meanOf[T tensor.Float](v *autodiff.Var[T]) float64 {
	return tensor.SumAll(v.Value) / float64(v.Value.Len())
}

var (
	_ train.Objective[float32, train.Labelled] = (*Hybrid[float32])(nil)
	_ train.Stateful                           = (*Hybrid[float32])(nil)
)
