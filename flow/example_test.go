package flow_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/autodiff"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/tensor"
)

// A flow built from a spec is a normalized energy: E(x) = −log p(x), log Z = 0.
// A fresh RealNVP is the identity map (its conditioners' last layers are
// zero), so its density is the standard Gaussian's.
func ExampleParse() {
	f, err := flow.Parse[float64]("realnvp:layers=4,hidden=16", 2, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := make([]float64, 1)
	f.Energy(tensor.New[float64](1, 2), e)
	fmt.Printf("E(0) = %.4f (log 2π = 1.8379), log Z = %g, %d parameters\n", e[0], f.LogZ(), len(f.Params()))
	_, err = flow.Parse[float64]("realnvp:layers=0", 2, 1)
	fmt.Println(err)
	// Output:
	// E(0) = 1.8379 (log 2π = 1.8379), log Z = 0, 24 parameters
	// flow realnvp: layers=0: want 1..1000
}

// Draw gives reparameterized samples with their log densities on a tape, for
// training a flow as a sampler; Sample gives plain exact samples.
func ExampleFlow_Draw() {
	f, _ := flow.Parse[float64]("planar:layers=4", 2, 1)
	t := autodiff.NewTape[float64]()
	x, logq, _ := f.Draw(t, 3, rand.New(rand.NewPCG(1, 2)))
	lp, _ := f.LogProb(t, t.Const(x.Value))
	for i := 0; i < 3; i++ {
		fmt.Printf("log q = %.6f, LogProb = %.6f\n", logq.Value.Data[i], lp.Value.Data[i])
	}
}

// ImportanceLogZ turns log-weights −E(x) − log q(x) into log Z with its
// standard error and effective sample size.
func ExampleImportanceLogZ() {
	r, _ := flow.ImportanceLogZ([]float64{0.1, -0.2, 0.05, 0.0})
	fmt.Printf("log Z = %.4f ± %.4f, ESS %.2f of %d\n", r.LogZ, r.SE, r.ESS, r.N)
	// Output:
	// log Z = -0.0062 ± 0.0626, ESS 3.95 of 4
}
