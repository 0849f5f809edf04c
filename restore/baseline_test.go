package restore

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/tensor"
)

// Blurring keeps a constant image constant and spreads a point into a
// symmetric bump.
func TestGaussianBlur(t *testing.T) {
	x := tensor.New[float64](2, 25)
	for j := range x.Row(0) {
		x.Row(0)[j] = 0.7
	}
	x.Row(1)[12] = 1
	b, err := GaussianBlur(x, 5, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range b.Row(0) {
		if math.Abs(v-0.7) > 1e-12 {
			t.Fatalf("constant pixel %d became %v", j, v)
		}
	}
	r := b.Row(1)
	if !(r[12] < 1 && r[12] > r[11] && math.Abs(r[11]-r[13]) < 1e-12 && math.Abs(r[7]-r[17]) < 1e-12 && math.Abs(r[11]-r[7]) < 1e-12) {
		t.Errorf("blurred point not a symmetric bump: %v", r)
	}
	if _, err := GaussianBlur(x, 4, 5, 1); err == nil {
		t.Error("wrong image size accepted")
	}
}

// Points in the span of the first k components project onto themselves; the
// full rank reproduces any point; variances come out decreasing.
func TestPCAProject(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, d := 500, 6
	x := tensor.New[float64](n, d)
	for i := 0; i < n; i++ {
		a, b := 3*rng.NormFloat64(), rng.NormFloat64()
		for j := 0; j < d; j++ {
			x.Row(i)[j] = 1 + a*float64(j) + b*float64(j%2) + 0.01*rng.NormFloat64()
		}
	}
	p, err := FitPCA(x)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < d; i++ {
		if p.Variances[i] > p.Variances[i-1] {
			t.Fatalf("variances not decreasing: %v", p.Variances)
		}
	}
	full, _ := p.Project(x, d)
	two, _ := p.Project(x, 2)
	for i, v := range x.Data {
		if math.Abs(full.Data[i]-v) > 1e-9 {
			t.Fatalf("full-rank projection moved a point by %v", full.Data[i]-v)
		}
		if math.Abs(two.Data[i]-v) > 0.1 {
			t.Fatalf("rank-2 projection of rank-2 data off by %v", two.Data[i]-v)
		}
	}
}
