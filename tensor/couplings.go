package tensor

import (
	"fmt"
	"math"
)

// CheckCouplings checks the parameters of a pairwise binary model with
// energy −½ xᵀWx − bᵀx (fully visible Boltzmann machines, Hopfield networks):
// W is a finite symmetric len(b)×len(b) matrix with a zero diagonal and b is
// finite. The error names the first offending entry; callers prefix their
// package and model.
func CheckCouplings(w *Dense[float64], b []float64) error {
	if w == nil {
		return fmt.Errorf("no weights")
	}
	n := len(b)
	if n < 1 || w.Rows != n || w.Cols != n || len(w.Data) != n*n {
		return fmt.Errorf("weights %s for %d biases", w.Shape(), n)
	}
	for i := 0; i < n; i++ {
		if w.At(i, i) != 0 {
			return fmt.Errorf("W[%d,%d] = %g; the diagonal must be 0", i, i, w.At(i, i))
		}
		if math.IsNaN(b[i]) || math.IsInf(b[i], 0) {
			return fmt.Errorf("b[%d] = %g", i, b[i])
		}
		for j := i + 1; j < n; j++ {
			a := w.At(i, j)
			if math.IsNaN(a) || math.IsInf(a, 0) {
				return fmt.Errorf("W[%d,%d] = %g", i, j, a)
			}
			if a != w.At(j, i) {
				return fmt.Errorf("W is not symmetric: W[%d,%d] = %g, W[%d,%d] = %g", i, j, a, j, i, w.At(j, i))
			}
		}
	}
	return nil
}
