package metric

import (
	"fmt"
	"math"
)

// GarbageMargin is how many nats above UniformGridNLL a 2-D model's grid NLL
// may lie before CheckGridNLL calls the model unusable.
const GarbageMargin = 20.0

// UniformGridNLL returns the NLL of the uniform density on the grid box
// [GridLo, GridHi]²: log((GridHi − GridLo)²) = log 64 ≈ 4.159 nats, for any
// points inside the box.
func UniformGridNLL() float64 { return 2 * math.Log(GridHi-GridLo) }

// UnusableError reports a 2-D model whose grid NLL fails CheckGridNLL.
type UnusableError struct {
	// NLL is the model's grid NLL; Uniform is UniformGridNLL().
	NLL, Uniform float64
}

func (e *UnusableError) Error() string {
	return fmt.Sprintf("grid NLL %.6g nats, against %.3f for a uniform density on the grid", e.NLL, e.Uniform)
}

// CheckGridNLL is the sanity check of a trained 2-D model: it returns an
// *UnusableError when nll, the model's grid NLL of held-out points (see
// GridNLL), is not finite or exceeds UniformGridNLL() + GarbageMargin, and
// nil otherwise. A freshly initialized network is close to uniform on the
// box, so a model that fails ended far worse than it started: its training
// diverged or produced garbage.
func CheckGridNLL(nll float64) error {
	u := UniformGridNLL()
	if math.IsNaN(nll) || math.IsInf(nll, 0) || nll > u+GarbageMargin {
		return &UnusableError{NLL: nll, Uniform: u}
	}
	return nil
}
