package sample_test

import (
	"context"
	"fmt"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
)

// Build a sampler and initial points from specs, as the command line does,
// run it and read the warnings.
func ExampleParse() {
	e, err := energy.FromSpec("gauss", map[string]string{"dim": "2", "rho": "0.5"})
	if err != nil {
		panic(err)
	}
	sp, err := sample.Parse("mala:step=0.2", e)
	if err != nil {
		panic(err)
	}
	x0, err := sample.InitialPoints("normal:sd=1", 4, e.Dim(), 1)
	if err != nil {
		panic(err)
	}
	cfg := sample.Config{Warmup: 500, Steps: 1000, Seed: 1}
	sp.Configure(&cfg)
	res, err := sample.Run(context.Background(), sp.Kernel, x0, cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println(sp.Name, sp.Target, res.Chains*res.Kept, "draws")
	_, err = sample.Parse("mala:target=1.5", e)
	fmt.Println(err)
	// Output:
	// mala 0.574 4000 draws
	// sampler mala: setting target=1.5 must be in (0, 1)
}
