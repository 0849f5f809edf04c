package fit_test

import (
	"context"
	"fmt"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/flow/fit"
)

// Fit a flow to an energy by reverse KL, with no data, and estimate the
// energy's log Z by importance sampling with the fitted flow.
func ExampleFitEnergy() {
	g, _ := energy.NewIsoGaussian([]float64{1, -1}, 0.5) // log Z = log(2π·0.25)
	f, _ := flow.Parse[float32]("realnvp:layers=2,hidden=8", 2, 1)
	r, err := fit.FitEnergy(context.Background(), f, g, fit.Options{Iters: 300, Batch: 128, LR: 3e-3, Seed: 1}, 10000)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("IS log Z %.2f (truth %.2f), ESS above half: %v\n", r.IS.LogZ, g.LogZ(), r.IS.ESSFrac > 0.5)
	// Output:
	// IS log Z 0.45 (truth 0.45), ESS above half: true
}
