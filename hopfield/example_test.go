package hopfield_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/ebm-go/ebm/hopfield"
)

// Store 5 random patterns of 100 units by the Hebbian rule, flip 10% of the
// bits of one and recall it by asynchronous energy descent.
func ExampleStore() {
	rng := rand.New(rand.NewPCG(1, 2))
	x := hopfield.RandomPatterns(5, 100, rng)
	net, err := hopfield.Store(hopfield.Hebbian, x)
	if err != nil {
		panic(err)
	}
	cue, _ := hopfield.Corrupt(x, 0.1, rng)
	fmt.Printf("cue: %.2f of the bits right\n", hopfield.BitAccuracy(cue, x))
	for mu := 0; mu < x.Rows; mu++ {
		if _, err := net.Recall(cue.Row(mu), 100, rng, nil); err != nil {
			panic(err)
		}
	}
	fmt.Printf("recalled: %.2f of the bits right\n", hopfield.BitAccuracy(cue, x))
	// Output:
	// cue: 0.90 of the bits right
	// recalled: 1.00 of the bits right
}

// One update of the modern network retrieves a pattern among 1,000 of 64
// units from a cue with 10% of its bits flipped.
func ExampleModern_Update() {
	rng := rand.New(rand.NewPCG(3, 4))
	x := hopfield.RandomPatterns(1000, 64, rng)
	m, err := hopfield.NewModern(x, 1)
	if err != nil {
		panic(err)
	}
	cue, _ := hopfield.Corrupt(x, 0.1, rng)
	out, err := m.Update(cue)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.3f of the bits right after one update\n", hopfield.BitAccuracy(hopfield.Sign(out), x))
	// Output: 1.000 of the bits right after one update
}
