package restore_test

import (
	"context"
	"fmt"

	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/restore"
	"github.com/ebm-go/ebm/tensor"
)

// Denoise two observations of a 1-D Gaussian mixture at σ = 0.5 by Tweedie's
// formula with the exact smoothed energy (the posterior mean) and by MAP.
func ExampleTweedie() {
	prior, _ := energy.NewIsoGMM([]float64{0.5, 0.5}, [][]float64{{-2}, {2}}, []float64{0.5, 0.5})
	const sigma = 0.5
	y := tensor.FromSlice(2, 1, []float64{1.5, -0.3})
	mean, _ := restore.Tweedie(prior.Smoothed(sigma), y, sigma)
	mode, _, _ := restore.MAP(context.Background(), prior, y, sigma, restore.MinimizeConfig{})
	for i := 0; i < 2; i++ {
		fmt.Printf("y = %+.2f  posterior mean %+.4f  MAP %+.4f\n", y.Data[i], mean.Data[i], mode.Data[i])
	}
	// Output:
	// y = +1.50  posterior mean +1.7500  MAP +1.7500
	// y = -0.30  posterior mean -0.9837  MAP -1.1500
}

// Inpaint the second coordinate of a correlated Gaussian given the first: the
// conditional mode is the conditional mean ρ·x₀.
func ExampleInpaintMAP() {
	g, _ := energy.FromSpec("gauss", map[string]string{"rho": "0.8"})
	obs := tensor.FromSlice(1, 2, []float64{1.5, 0})
	x, _, _ := restore.InpaintMAP(context.Background(), g, obs, []bool{false, true}, restore.MinimizeConfig{})
	fmt.Printf("%.4f\n", x.Data[1])
	// Output: 1.2000
}
