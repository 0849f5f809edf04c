package ising_test

import (
	"context"
	"fmt"

	"github.com/ebm-go/ebm/ising"
)

// Settings are checked before any work; each refusal names its setting.
func ExampleConfig_Validate() {
	cfg := ising.Config{L: 1, J: 1, T: ising.Tc, Algo: ising.Wolff, Sweeps: 100}
	fmt.Println(cfg.Validate())
	cfg.L, cfg.Algo = 8, "heatbath"
	fmt.Println(cfg.Validate())
	// Output:
	// size 1: lattice side must be in [2, 2048]
	// algo "heatbath": unknown algorithm (valid: gibbs, metropolis, wolff, sw)
}

// Simulate runs the Ising model, or the Potts model with q states.
func ExampleSimulate() {
	cfg := ising.Config{L: 8, J: 1, T: 1, Algo: ising.SW, Sweeps: 200, Burn: 50, Seed: 1, ColdStart: true}
	res, err := ising.Simulate(context.Background(), cfg, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := res.(*ising.PottsResult)
	fmt.Println(p.Q, p.L)
	// Output: 3 8
}
