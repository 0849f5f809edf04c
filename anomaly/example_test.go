package anomaly_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/ebm-go/ebm/anomaly"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/tensor"
)

// Fit a detector to a table, then flag rows, scikit-learn style.
func Example() {
	rng := rand.New(rand.NewPCG(1, 1))
	x := tensor.New[float64](500, 3)
	for i := 0; i < 500; i++ {
		a := rng.NormFloat64()
		x.Set(i, 0, 10+a)
		x.Set(i, 1, 2*a+0.1*rng.NormFloat64()) // correlated with column 0
		x.Set(i, 2, 100*rng.NormFloat64())     // another scale
	}
	det, err := anomaly.Fit(context.Background(), x, anomaly.Options{Contamination: 0.02, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	rows := tensor.FromSlice(3, 3, []float64{
		10, 0, 0, // typical
		11, -2, 0, // each value typical, but the correlation is broken
		30, 40, 0, // far away
	})
	p, _ := det.Predict(rows) // +1 inlier, −1 anomaly
	fmt.Println("predictions:", p)
	// Output:
	// predictions: [1 -1 -1]
}

// A saved detector scores new rows like the original; every ebm tool that
// loads energies (energy.LoadEnergy, ebm score) sees its anomaly score.
func ExampleDetector_Save() {
	rng := rand.New(rand.NewPCG(2, 2))
	x := tensor.New[float64](300, 2)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	det, err := anomaly.Fit(context.Background(), x, anomaly.Options{Members: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, _ := os.MkdirTemp("", "detector")
	defer os.RemoveAll(dir)
	if err := det.Save(filepath.Join(dir, "det"), nil); err != nil {
		fmt.Println(err)
		return
	}
	e, meta, err := energy.LoadEnergy(filepath.Join(dir, "det"))
	if err != nil {
		fmt.Println(err)
		return
	}
	row := tensor.FromSlice(1, 2, []float64{5, 5})
	s := make([]float64, 1)
	e.Energy(row, s)
	fmt.Println(meta.Kind, s[0] > e.(interface{ Threshold() float64 }).Threshold())
	// Output:
	// anomaly true
}

// Semi-supervised use: the training rows are known to be normal (novelty
// detection), so the Gaussian keeps their tails instead of trimming them;
// new rows are flagged above the 99% quantile of the training scores.
func ExampleOptions_novelty() {
	rng := rand.New(rand.NewPCG(3, 3))
	x := tensor.New[float64](400, 2)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	det, err := anomaly.Fit(context.Background(), x, anomaly.Options{Novelty: true, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	rows := tensor.FromSlice(2, 2, []float64{0.5, -0.5, 6, 6})
	p, _ := det.Predict(rows)
	fmt.Println("predictions:", p)
	// Output:
	// predictions: [1 -1]
}
