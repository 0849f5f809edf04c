package nn

import (
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/tensor"
)

// SpectralNorm holds the power-iteration vectors of spectral normalization
// (Miyato et al. 2018): the layer uses W/σ(W), with σ(W) ≈ uᵀWv estimated by
// power iteration v ← Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖. As in PyTorch, u and v are
// constants for differentiation; the gradient flows through W in uᵀWv.
type SpectralNorm[T tensor.Float] struct {
	U, V []float64
}

// EnableSpectralNorm turns spectral normalization on for l, with u drawn from rng,
// and runs a few power iterations so σ starts accurate.
func (l *Linear[T]) EnableSpectralNorm(rng *rand.Rand) {
	sn := &SpectralNorm[T]{U: make([]float64, l.In), V: make([]float64, l.Out)}
	for i := range sn.U {
		sn.U[i] = rng.NormFloat64()
	}
	normalize(sn.U)
	l.SN = sn
	sn.Update(l.W.Value, 5)
}

// Update runs iters power iterations on w (In×Out).
func (s *SpectralNorm[T]) Update(w *tensor.Dense[T], iters int) {
	in, out := w.Rows, w.Cols
	for it := 0; it < iters; it++ {
		for j := 0; j < out; j++ {
			s.V[j] = 0
		}
		for i := 0; i < in; i++ {
			ui := s.U[i]
			row := w.Data[i*out : (i+1)*out]
			for j, v := range row {
				s.V[j] += ui * float64(v)
			}
		}
		normalize(s.V)
		for i := 0; i < in; i++ {
			row := w.Data[i*out : (i+1)*out]
			acc := 0.0
			for j, v := range row {
				acc += float64(v) * s.V[j]
			}
			s.U[i] = acc
		}
		normalize(s.U)
	}
}

// Sigma returns uᵀWv, the current estimate of the largest singular value of w.
func (s *SpectralNorm[T]) Sigma(w *tensor.Dense[T]) float64 {
	out := w.Cols
	sum := 0.0
	for i, ui := range s.U {
		row := w.Data[i*out : (i+1)*out]
		acc := 0.0
		for j, v := range row {
			acc += float64(v) * s.V[j]
		}
		sum += ui * acc
	}
	return sum
}

// normalize records W/(uᵀWv) on the tape.
func (s *SpectralNorm[T]) normalize(t *autodiff.Tape[T], w *autodiff.Var[T]) *autodiff.Var[T] {
	u := tensor.New[T](1, len(s.U))
	for i, v := range s.U {
		u.Data[i] = T(v)
	}
	v := tensor.New[T](1, len(s.V))
	for i, x := range s.V {
		v.Data[i] = T(x)
	}
	sigma := autodiff.Sum(autodiff.Mul(autodiff.MatMul(t.Const(u), false, w, false), t.Const(v)))
	return autodiff.Div(w, sigma)
}

func normalize(x []float64) {
	n := 0.0
	for _, v := range x {
		n += v * v
	}
	n = math.Sqrt(n) + 1e-12
	for i := range x {
		x[i] /= n
	}
}
