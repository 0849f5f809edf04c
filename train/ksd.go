package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/internal/stein"
	"github.com/ebm-go/ebm/tensor"
)

// KSD minimizes the squared kernel Stein discrepancy between the data and the
// model (Liu, Lee & Jordan 2016; Chwialkowski et al. 2016; as a training
// objective e.g. Barp et al. 2019): with the model's score
// s_θ(x) = −∇ₓE_θ(x) and a radial kernel k(a, b) = φ(‖a − b‖²),
//
//	KSD² = E_{a,b∼data} [φ s(a)·s(b) + 2φ′(s(b) − s(a))·(a − b) − 2dφ′ − 4φ″‖a − b‖²],
//
// estimated on each batch by the U-statistic (pairs i ≠ j, unbiased) or the
// V-statistic (all pairs, which adds the diagonal terms φ(0)‖sᵢ‖² and so
// shrinks the scores). Like score matching it needs no samples and no
// partition function, only the score on the tape (double backprop for the
// parameter gradient); unlike it, no second derivative of E: the kernel
// carries the derivatives. The kernel parts depend on the batch only, so the
// loss is (Σᵢⱼ Kᵢⱼ sᵢ·sⱼ + Σⱼ sⱼ·Cⱼ + const)/N: one n×n product per batch.
//
// Kernels: "imq", φ(q) = (c² + q)^β (default c = 1, β = −1/2, Gorham &
// Mackey 2017), and "rbf", φ(q) = exp(−q/(2h²)) with h fixed or the median
// distance of each batch (Bandwidth 0).
type KSD[T tensor.Float] struct {
	Kernel    string  // "imq" (default) or "rbf"
	C, Beta   float64 // IMQ parameters (0: 1 and −1/2)
	Bandwidth float64 // RBF h (0: median heuristic per batch)
	V         bool    // V-statistic instead of the U-statistic
}

// Name returns "ksd".
func (s *KSD[T]) Name() string { return "ksd" }

func (s *KSD[T]) kernel(x *tensor.Dense[float64]) (stein.Kernel, error) {
	k := stein.Kernel{Kind: s.Kernel, C: s.C, Beta: s.Beta, H: s.Bandwidth}
	switch k.Kind {
	case "", stein.IMQ:
		k.Kind = stein.IMQ
		if k.C == 0 {
			k.C = 1
		}
		if k.Beta == 0 {
			k.Beta = -0.5
		}
	case stein.RBF:
		if k.H == 0 {
			k.H = stein.MedianBandwidth(x)
		}
	}
	if err := k.Validate(); err != nil {
		return k, fmt.Errorf("ksd: %w", err)
	}
	return k, nil
}

// Loss records the KSD² estimate of the batch.
func (s *KSD[T]) Loss(t *autodiff.Tape[T], m energy.Model[T], x *tensor.Dense[float64], rng *rand.Rand) (*autodiff.Var[T], Stats, error) {
	if x.Rows < 2 {
		return nil, Stats{}, fmt.Errorf("ksd: needs batches of at least 2 points, got %d", x.Rows)
	}
	k, err := s.kernel(x)
	if err != nil {
		return nil, Stats{}, err
	}
	p := stein.NewParts(x, k, !s.V)
	xv := t.Input(x, true)
	e, g := gradX(t, m, xv) // g = −s
	K := t.Const(tensor.Convert(tensor.New[T](p.K.Rows, p.K.Cols), p.K))
	C := t.Const(tensor.Convert(tensor.New[T](p.C.Rows, p.C.Cols), p.C))
	// Σᵢⱼ Kᵢⱼ sᵢ·sⱼ = Σ g ⊙ (K g);  Σⱼ sⱼ·Cⱼ = −Σ g ⊙ C
	quad := autodiff.Sum(autodiff.Mul(g, autodiff.MatMul(K, false, g, false)))
	lin := autodiff.Sum(autodiff.Mul(g, C))
	loss := autodiff.Scale(autodiff.AddScalar(autodiff.Sub(quad, lin), p.Trace), 1/p.Norm)
	st := Stats{EPos: meanOf(e), ENeg: math.NaN()}
	if k.Kind == stein.RBF {
		st.Extra = map[string]float64{"bandwidth": k.H}
	}
	return loss, st, nil
}
