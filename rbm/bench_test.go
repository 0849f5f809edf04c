package rbm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/tensor"
)

// mnistDir is where the MNIST IDX files live; benchmarks that need them skip
// when they are absent. EBM_MNIST overrides it.
func mnistDir() string {
	if d := os.Getenv("EBM_MNIST"); d != "" {
		return d
	}
	return "/work/shared/data/mnist"
}

var (
	mnistOnce             sync.Once
	mnistTrain, mnistTest *tensor.Dense[float32]
	mnistErr              error
)

// mnist returns MNIST binarized as pixel > 127 (the peer's protocol): 60,000
// training and 10,000 test images. It skips the benchmark when the files are
// absent.
func mnist(b testing.TB) (train, test *tensor.Dense[float32]) {
	b.Helper()
	tr := filepath.Join(mnistDir(), "train-images-idx3-ubyte.gz")
	te := filepath.Join(mnistDir(), "t10k-images-idx3-ubyte.gz")
	if _, err := os.Stat(tr); err != nil {
		b.Skipf("MNIST not found (%v); set EBM_MNIST to its folder", err)
	}
	mnistOnce.Do(func() {
		var x, y *tensor.Dense[float32]
		if x, mnistErr = data.LoadMNISTImages(tr, 0); mnistErr != nil {
			return
		}
		if y, mnistErr = data.LoadMNISTImages(te, 0); mnistErr != nil {
			return
		}
		// v/255 ≥ 0.5 ⇔ pixel ≥ 128 ⇔ pixel > 127.
		mnistTrain, mnistTest = data.Binarize(x, 0.5), data.Binarize(y, 0.5)
	})
	if mnistErr != nil {
		b.Fatal(mnistErr)
	}
	return mnistTrain, mnistTest
}

// BenchmarkEpochMNIST measures one training epoch on the 60,000 MNIST images
// with the peer's settings (PCD-1, learning rate 0.05, batches of 20). One
// iteration is one epoch of a single b.N-epoch Fit (run with -benchtime 10x to
// match the peer's 10 epochs); s/epoch is the mean epoch time measured inside
// Fit, as the peer measures it. At the end it reports the exact pseudo-likelihood
// per example on the test set (pl_test) and sklearn's one-flip estimate
// (pl1_test).
func BenchmarkEpochMNIST(b *testing.B) {
	for _, h := range []int{64, 256} {
		b.Run(fmt.Sprintf("H=%d", h), func(b *testing.B) {
			train, test := mnist(b)
			r, _ := New(Bernoulli, 784, h, 0)
			cfg := Config{Method: PCD, K: 1, Epochs: b.N, BatchSize: 20, LR: 0.05}
			b.ResetTimer()
			res, err := r.Fit(context.Background(), train, cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			// The epochs' own time, as the peer measures it (data checks excluded).
			b.ReportMetric(res.SecPerEpoch, "s/epoch")
			if pl, err := r.PseudoLogLik(test); err == nil {
				b.ReportMetric(meanOf(pl), "pl_test")
			}
			if pl, err := r.PseudoLogLikOneFlip(test, 0); err == nil {
				b.ReportMetric(meanOf(pl), "pl1_test")
			}
		})
	}
}

// BenchmarkGibbs measures block Gibbs sampling (one full v→h→v sweep per chain)
// on an MNIST-sized Bernoulli RBM (784 visible); samples/s counts chain sweeps.
func BenchmarkGibbs(b *testing.B) {
	for _, c := range []struct{ h, chains int }{{64, 100}, {256, 100}, {64, 1}, {256, 1}} {
		b.Run(fmt.Sprintf("H=%d/chains=%d", c.h, c.chains), func(b *testing.B) {
			r := benchRBM(b, c.h)
			g, err := r.NewGibbsRandom(c.chains, 1)
			if err != nil {
				b.Fatal(err)
			}
			g.Step(10)
			b.ResetTimer()
			g.Step(b.N)
			b.ReportMetric(float64(b.N*c.chains)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// benchRBM returns an MNIST-like RBM: trained for one epoch on MNIST when it is
// available (so the hidden and visible activity is realistic), random otherwise.
func benchRBM(b *testing.B, h int) *RBM {
	r, _ := New(Bernoulli, 784, h, 0)
	if _, err := os.Stat(filepath.Join(mnistDir(), "train-images-idx3-ubyte.gz")); err == nil {
		train, _ := mnist(b)
		if _, err := r.Fit(context.Background(), train, Config{BatchSize: 20, LR: 0.05, Epochs: 1}, nil); err != nil {
			b.Fatal(err)
		}
	}
	return r
}
