package ising_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ebm-go/ebm/ising"
)

// Sample a 4×4 Ising lattice with Swendsen-Wang and compare with exact
// enumeration.
func ExampleRun() {
	res, err := ising.Run(context.Background(), ising.Config{
		L: 4, J: 1, T: 2.5, Algo: ising.SW, Sweeps: 50000, Burn: 500, Seed: 1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	exact, _ := ising.ExactIsing(4, 1, 0, 2.5)
	fmt.Printf("energy per site %.2f, exact %.4f\n", res.EnergyPerSite, exact.EnergyPerSite)
	fmt.Println("within 4 standard errors:", math.Abs(res.EnergyPerSite-exact.EnergyPerSite) < 4*res.EnergyPerSiteSE)
	// Output:
	// energy per site -1.38, exact -1.3791
	// within 4 standard errors: true
}

// Restore a noisy binary image by iterated conditional modes with Bishop's
// parameters (β = 1, η = 2.1).
func ExampleRestore() {
	clean, _ := ising.NewImage(32, 32)
	for y := 8; y < 24; y++ {
		for x := 8; x < 24; x++ {
			clean.Set(x, y, 1) // a white square on black
		}
	}
	noisy, _ := ising.Corrupt(clean, 0.1, rand.New(rand.NewPCG(1, 2)))
	restored, err := ising.Restore(noisy, ising.DefaultRestoreConfig(ising.ICM))
	if err != nil {
		fmt.Println(err)
		return
	}
	before, _ := ising.ErrorRate(noisy, clean)
	after, _ := ising.ErrorRate(restored, clean)
	fmt.Printf("error rate %.3f → %.3f\n", before, after)
	// Output:
	// error rate 0.092 → 0.037
}
