package metric_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/metric"
)

// Test exact samples of a Gaussian against the right model and against a
// shifted one.
func ExampleKSDTestEnergy() {
	p, _ := energy.NewIsoGaussian([]float64{0, 0}, 1)
	q, _ := energy.NewIsoGaussian([]float64{0.5, 0}, 1)
	x := p.Sample(300, rand.New(rand.NewPCG(1, 2)))
	for _, e := range []energy.GradEnergy{p, q} {
		r, err := metric.KSDTestEnergy(e, x, metric.KSDTestOptions{Bootstrap: 500, Seed: 1})
		if err != nil {
			panic(err)
		}
		fmt.Printf("reject at 5%%: %v\n", r.PValue <= 0.05)
	}
	// Output:
	// reject at 5%: false
	// reject at 5%: true
}
