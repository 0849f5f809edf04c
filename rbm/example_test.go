package rbm_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/tensor"
)

// toyData returns n binary rows of two 6-pixel patterns (with both halves
// switched on or off together).
func toyData(n int) *tensor.Dense[float32] {
	x := tensor.New[float32](n, 6)
	for i := 0; i < n; i++ {
		for k := 0; k < 6; k++ {
			if (i%2 == 0) == (k < 3) {
				x.Set(i, k, 1)
			}
		}
	}
	return x
}

// Train a small Bernoulli RBM by PCD and compute its exact log-likelihood.
func Example() {
	x := toyData(200)
	r, _ := rbm.New(rbm.Bernoulli, 6, 2, 1)
	cfg := rbm.Config{Method: rbm.PCD, K: 1, Epochs: 300, BatchSize: 10, LR: 0.1, Seed: 1,
		Schedule: rbm.LinearDecay(0.1, 0, 300*rbm.Batches(200, 10))}
	if _, err := r.Fit(context.Background(), x, cfg, nil); err != nil {
		fmt.Println(err)
		return
	}
	ll, _, err := r.ExactLogLik(x)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Two equally likely patterns: the best possible is log(1/2) = −0.69 nats.
	fmt.Printf("log-likelihood above −1.5 nats: %v\n", ll > -1.5)
	// Output: log-likelihood above −1.5 nats: true
}

// Exact log Z by enumerating the smaller layer, and the AIS estimate.
func ExampleRBM_AIS() {
	r, _ := rbm.New(rbm.Bernoulli, 20, 8, 3)
	exact, _ := r.ExactLogZ()
	est, err := r.AIS(context.Background(), rbm.AISConfig{Runs: 50, NumBetas: 1000, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("exact %.3f, AIS within 0.05: %v\n", exact, est.LogZ-exact < 0.05 && exact-est.LogZ < 0.05)
	// Output: exact 19.330, AIS within 0.05: true
}

// Block Gibbs sampling of many chains at once.
func ExampleRBM_NewGibbsRandom() {
	r, _ := rbm.New(rbm.Bernoulli, 784, 64, 1)
	g, _ := r.NewGibbsRandom(100, 7)
	g.Step(10)
	fmt.Println(g.V.Rows, g.V.Cols, g.MV.Rows)
	// Output: 100 784 100
}

// The two pseudo-likelihoods: exact (all flips) and scikit-learn's one-flip
// estimate.
func ExampleRBM_PseudoLogLik() {
	r, _ := rbm.New(rbm.Bernoulli, 6, 2, 1)
	x := toyData(4)
	exact, _ := r.PseudoLogLik(x)
	one, _ := r.PseudoLogLikOneFlip(x, 1)
	// A nearly uniform model: every conditional is about 1/2.
	fmt.Printf("%.2f %.2f\n", exact[0], one[0])
	// Output: -4.15 -4.18
}

// A fully visible Boltzmann machine: exact log Z by enumeration.
func ExampleFVBM() {
	m, _ := rbm.NewFVBM(3)
	m.B[0] = 1
	m.W.Set(0, 1, 0.5)
	m.W.Set(1, 0, 0.5) // coupling 2·0.5 between units 0 and 1
	// Z = 2·(1 + 1 + e + e²): unit 2 is free.
	logZ, _ := m.ExactLogZ()
	fmt.Printf("%.4f\n", logZ)
	// Output: 3.1870
}

// Save an RBM as a model folder and load it back, with the data description
// saved beside the weights.
func ExampleLoad() {
	r, _ := rbm.New(rbm.Bernoulli, 6, 2, 1)
	r.Data = &rbm.DataInfo{Image: [2]int{2, 3}, Preprocessing: "value >= 0.5 -> 1"}
	dir, _ := os.MkdirTemp("", "rbm-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model")
	if err := r.Save(path, &model.Meta{Seed: 1}); err != nil {
		fmt.Println(err)
		return
	}
	got, meta, err := rbm.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(meta.Kind, got.NumVisible(), got.NumHidden(), got.Data.Image, got.W.At(0, 1) == r.W.At(0, 1))
	// Output: rbm 6 2 [2 3] true
}
