package rbm

import (
	"fmt"
	"strings"
)

// MaxWeights bounds the number of weights of one layer (the rows times the
// columns of one weight matrix): 2²⁸, which is 1 GiB as float32. Training keeps
// about four matrices of that size (the weights, their transpose, the gradient
// and the momentum buffer), so the limit keeps a model within a few GiB. The
// constructors and loaders check it before they allocate anything.
const MaxWeights = 1 << 28

// SizeError reports layer sizes that are not positive or whose weight matrix
// exceeds MaxWeights.
type SizeError struct {
	// What names the model ("RBM", "DBM", …).
	What string
	// Sizes are the layer sizes asked for.
	Sizes []int
	// Weights is the number of weights of the largest layer (0 when a size is
	// not positive).
	Weights float64
	// Limit is MaxWeights.
	Limit int
}

func (e *SizeError) Error() string {
	s := make([]string, len(e.Sizes))
	for i, n := range e.Sizes {
		s[i] = fmt.Sprint(n)
	}
	sizes := strings.Join(s, "×")
	if e.Weights == 0 {
		return fmt.Sprintf("rbm: %s layer sizes %s: every layer needs at least one unit", e.What, sizes)
	}
	return fmt.Sprintf("rbm: %s layer sizes %s need %.4g weights in one layer (%.3g GB as float32), above the limit of %d (2^28)",
		e.What, sizes, e.Weights, 4*e.Weights/1e9, e.Limit)
}

// checkSize returns a *SizeError unless every size is ≥ 1 and every product of
// consecutive sizes is at most MaxWeights.
func checkSize(what string, sizes ...int) error {
	for _, n := range sizes {
		if n < 1 {
			return &SizeError{What: what, Sizes: sizes, Limit: MaxWeights}
		}
	}
	worst := 0.0
	for i := 0; i+1 < len(sizes); i++ {
		worst = max(worst, float64(sizes[i])*float64(sizes[i+1]))
	}
	if worst > MaxWeights {
		return &SizeError{What: what, Sizes: sizes, Weights: worst, Limit: MaxWeights}
	}
	return nil
}
