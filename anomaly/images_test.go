package anomaly

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/tensor"
)

// Image out-of-distribution figures (scripts/anomaly-images.sh): a long
// measurement, run with EBM_LONG=1. MNIST is read from EBM_MNIST (default
// /work/shared/data/mnist) and Fashion-MNIST from EBM_FASHION (default
// /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist); the test
// skips when they are absent.

func imageDir(env, def string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return def
}

func loadImages(t *testing.T, dir, split string) (*tensor.Dense[float64], []int) {
	t.Helper()
	prefix := map[string]string{"train": "train", "test": "t10k"}[split]
	x32, err := data.LoadMNISTImages(filepath.Join(dir, prefix+"-images-idx3-ubyte.gz"), 0)
	if err != nil {
		t.Skipf("images absent: %v", err)
	}
	y, err := data.LoadIDXLabels(filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz"))
	if err != nil {
		t.Skipf("labels absent: %v", err)
	}
	return tensor.Convert[float64](nil, x32), y
}

// pick returns up to k rows of x whose label satisfies keep, in an order
// drawn from rng.
func pick(x *tensor.Dense[float64], y []int, keep func(int) bool, k int, rng *rand.Rand) *tensor.Dense[float64] {
	var idx []int
	for _, i := range rng.Perm(len(y)) {
		if keep(y[i]) {
			idx = append(idx, i)
			if len(idx) == k {
				break
			}
		}
	}
	return tensor.GatherRows(nil, x, idx)
}

// oodScores are the three scores of a row: the energy E(x), the score norm
// ‖∇ₓE‖ and the complexity-corrected E(x) − ln2·L(x) with L the PNG length.
func oodScores(t *testing.T, det *Detector, x *tensor.Dense[float64]) (e, norm, corr []float64) {
	t.Helper()
	e, err := det.Score(x)
	if err != nil {
		t.Fatal(err)
	}
	norm, err = det.ScoreNorms(x)
	if err != nil {
		t.Fatal(err)
	}
	corr = make([]float64, len(e))
	for i := range e {
		bits, err := PNGBits(x.Row(i), 28, 28, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		corr[i] = e[i] - 0.6931471805599453*bits
	}
	return e, norm, corr
}

func aurocs(t *testing.T, det *Detector, in, out *tensor.Dense[float64]) [3]float64 {
	ei, ni, ci := oodScores(t, det, in)
	eo, no, co := oodScores(t, det, out)
	return [3]float64{metric.AUROC(eo, ei), metric.AUROC(no, ni), metric.AUROC(co, ci)}
}

func TestImagesOOD(t *testing.T) {
	if os.Getenv("EBM_LONG") == "" {
		t.Skip("long measurement: set EBM_LONG=1 (scripts/anomaly-images.sh)")
	}
	mdir := imageDir("EBM_MNIST", "/work/shared/data/mnist")
	fdir := imageDir("EBM_FASHION", "/usr/share/datasets/fashion-mnist")
	mtr, mytr := loadImages(t, mdir, "train")
	mte, myte := loadImages(t, mdir, "test")
	nTrain, nTest := 1000, 500
	var b strings.Builder
	fmt.Fprintf(&b, "\n| inliers (fit on %d training images) | outliers (%d test images each side) | AUROC energy E(x) | AUROC score norm ‖∇ₓE‖ | AUROC E(x) − ln2·PNG bits |\n|---|---|---|---|---|\n", nTrain, nTest)
	var mean [3]float64
	for c := 0; c < 10; c++ {
		rng := rand.New(rand.NewPCG(uint64(c), 7))
		cls := func(l int) bool { return l == c }
		rest := func(l int) bool { return l != c }
		det, err := Fit(context.Background(), pick(mtr, mytr, cls, nTrain, rng), Options{Seed: uint64(c)})
		if err != nil {
			t.Fatal(err)
		}
		a := aurocs(t, det, pick(mte, myte, cls, nTest, rng), pick(mte, myte, rest, nTest, rng))
		for k := range a {
			mean[k] += a[k] / 10
		}
		fmt.Fprintf(&b, "| MNIST digit %d | other MNIST digits | %.3f | %.3f | %.3f |\n", c, a[0], a[1], a[2])
	}
	fmt.Fprintf(&b, "| **MNIST, mean of the 10 classes** | | **%.3f** | **%.3f** | **%.3f** |\n", mean[0], mean[1], mean[2])
	ftr, fytr := loadImages(t, fdir, "train")
	fte, fyte := loadImages(t, fdir, "test")
	all := func(int) bool { return true }
	rng := rand.New(rand.NewPCG(11, 7))
	det, err := Fit(context.Background(), pick(ftr, fytr, all, 2*nTrain, rng), Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a := aurocs(t, det, pick(fte, fyte, all, 2*nTest, rng), pick(mte, myte, all, 2*nTest, rng))
	fmt.Fprintf(&b, "| Fashion-MNIST (%d) | MNIST digits (%d each side) | %.3f | %.3f | %.3f |\n", 2*nTrain, 2*nTest, a[0], a[1], a[2])
	det, err = Fit(context.Background(), pick(mtr, mytr, all, 2*nTrain, rng), Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	a = aurocs(t, det, pick(mte, myte, all, 2*nTest, rng), pick(fte, fyte, all, 2*nTest, rng))
	fmt.Fprintf(&b, "| MNIST (%d) | Fashion-MNIST (%d each side) | %.3f | %.3f | %.3f |\n", 2*nTrain, 2*nTest, a[0], a[1], a[2])
	t.Log(b.String())
}
