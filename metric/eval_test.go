package metric

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
)

// The protocol on the true 8gaussians density: the grid NLL equals the exact
// mean −log p of the held-out points (up to the grid's discretization), and
// exact-energy samples are as close to the data as data is to itself.
func TestEvaluateTrueDensity(t *testing.T) {
	e := energy.EightGaussians()
	test := data.EightGaussians(2000, rand.New(rand.NewPCG(1, 0)))
	ref := data.EightGaussians(2000, rand.New(rand.NewPCG(2, 0)))
	k, err := sample.NewMALA(e, sample.MALAOptions{Step: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Evaluate(context.Background(), e, test, ref, EvalConfig{Kernel: k, Adapt: sample.AdaptStepSize, Samples: 1000, Steps: 300, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	exact := 0.0
	for i := 0; i < test.Rows; i++ {
		exact -= data.EightGaussiansLogPDF(test.Row(i))
	}
	exact /= float64(test.Rows)
	if r.NLLGrid == nil || math.Abs(*r.NLLGrid-exact) > 0.01 {
		t.Fatalf("grid NLL %v, exact mean −log p %v", r.NLLGrid, exact)
	}
	floor, _ := MMD2(data.EightGaussians(1000, rand.New(rand.NewPCG(4, 0))), ref, 0.5)
	// Unbiased MMD² of two samples of one law has sd ≈ a few 1e-4 at n = 1000.
	if math.Abs(r.MMD2) > math.Abs(floor)+0.003 {
		t.Fatalf("MMD² of exact samples %v, data vs data %v", r.MMD2, floor)
	}
	if r.Samples.Rows != 1000 || math.IsNaN(r.KSD) {
		t.Fatalf("samples %d, KSD %v", r.Samples.Rows, r.KSD)
	}
}

func TestEvaluateErrors(t *testing.T) {
	e := energy.EightGaussians()
	x := data.EightGaussians(10, rand.New(rand.NewPCG(1, 0)))
	if _, err := Evaluate(context.Background(), e, x, x, EvalConfig{}); err == nil {
		t.Fatal("no kernel: want an error")
	}
	k, _ := sample.NewULA(e, sample.ULAOptions{Step: 0.01})
	if _, err := Evaluate(context.Background(), e, x, x, EvalConfig{Kernel: k, Samples: -1}); err == nil {
		t.Fatal("negative samples: want an error")
	}
	if _, err := ModelSamples(context.Background(), k, sample.AdaptOff, 10, 5, 1, 1, 0, nil); err == nil {
		t.Fatal("empty box: want an error")
	}
}
