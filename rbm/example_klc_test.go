package rbm_test

import (
	"context"
	"fmt"

	"github.com/ebm-go/ebm/rbm"
)

// Fit a 4-unit FVBM by minimum KL contraction under the bit-flip channel
// (ε = 0.1, one posterior Gibbs sweep started at the clean data), then evaluate the exact contraction of
// the fit and of the untrained model on the data's empirical distribution.
func ExampleFVBM_KLCObjective() {
	truth, _ := rbm.NewFVBM(4)
	for _, c := range []struct {
		i, j int
		w    float64
	}{{0, 1, 1.2}, {1, 2, -0.9}, {2, 3, 0.8}, {0, 3, 0.6}} {
		truth.W.Set(c.i, c.j, c.w)
		truth.W.Set(c.j, c.i, c.w)
	}
	copy(truth.B, []float64{-0.5, 0, 0.2, -0.3})
	x, _ := truth.ExactSample(20000, 1)

	m, _ := rbm.NewFVBM(4)
	cfg := rbm.FVBMConfig{Method: rbm.FVBMKLC, Eps: 0.1, K: 1, StartClean: true, Epochs: 50, BatchSize: 500, LR: 0.3, Momentum: 0.5, Seed: 1}
	if err := m.Fit(context.Background(), x, cfg, nil); err != nil {
		panic(err)
	}
	p, _ := rbm.StateDistribution(x)
	zero, _ := rbm.NewFVBM(4)
	k0, _, _, _ := zero.KLCObjective(p, 0.1)
	k1, _, _, _ := m.KLCObjective(p, 0.1)
	fmt.Printf("W[0,1]: truth 1.2, KLC %.1f\n", m.W.At(0, 1))
	fmt.Printf("W[1,2]: truth -0.9, KLC %.1f\n", m.W.At(1, 2))
	fmt.Printf("exact KL contraction: untrained %.3f, fitted %.4f\n", k0, k1)
	// Output:
	// W[0,1]: truth 1.2, KLC 1.2
	// W[1,2]: truth -0.9, KLC -0.9
	// exact KL contraction: untrained 0.327, fitted 0.0004
}
