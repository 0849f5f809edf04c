package diag_test

import (
	"math"
	"math/rand/v2"
	"os"

	"github.com/ebm-go/ebm/diag"
)

// Summarize two quantities from four chains: a well-mixed AR(1) and a copy in
// which one chain is stuck in a different place, which R̂ flags.
func ExampleSummary() {
	rng := rand.New(rand.NewPCG(1, 2))
	const chains, iters, rho = 4, 1000, 0.5
	good := make([][]float64, chains)
	stuck := make([][]float64, chains)
	for c := range good {
		good[c] = make([]float64, iters)
		stuck[c] = make([]float64, iters)
		v := rng.NormFloat64()
		for i := range good[c] {
			good[c][i] = v
			stuck[c][i] = v
			if c == 0 {
				stuck[c][i] += 3
			}
			v = rho*v + math.Sqrt(1-rho*rho)*rng.NormFloat64()
		}
	}
	table, err := diag.Summary([]string{"x", "x_stuck"}, [][][]float64{good, stuck})
	if err != nil {
		panic(err)
	}
	if err := table.WriteTable(os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	//              Mean      SD      5%      50%    95%     MCSE  ESS_bulk  ESS_tail  R_hat
	//         x  0.0401  0.9835   -1.56  0.04019  1.682  0.02654      1373      2381  1.002
	//   x_stuck  0.7901   1.628  -1.422   0.4634  3.869    0.656         8        30  1.482
}
