package rbm_test

import (
	"context"
	"fmt"

	"github.com/ebm-go/ebm/rbm"
)

// Recover the couplings of a 4-unit FVBM from exact samples by minimum
// probability flow, and compare with naive mean field.
func ExampleFVBM_MPFObjective() {
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
	cfg := rbm.FVBMConfig{Method: rbm.FVBMMPF, Epochs: 50, BatchSize: 500, LR: 0.3, Momentum: 0.5, Seed: 1}
	if err := m.Fit(context.Background(), x, cfg, nil); err != nil {
		panic(err)
	}
	mf, _ := rbm.NaiveMeanField(x)
	fmt.Printf("W[0,1]: truth 1.2, MPF %.1f\n", m.W.At(0, 1))
	fmt.Printf("W[1,2]: truth -0.9, MPF %.1f\n", m.W.At(1, 2))
	e, _ := rbm.CouplingRMSE(m, truth)
	emf, _ := rbm.CouplingRMSE(mf, truth)
	fmt.Printf("coupling RMS error: MPF %.2f, naive mean field %.2f\n", e, emf)
	// Output:
	// W[0,1]: truth 1.2, MPF 1.2
	// W[1,2]: truth -0.9, MPF -0.9
	// coupling RMS error: MPF 0.03, naive mean field 0.13
}
