package restore

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/metric"
	"github.com/ebm-go/ebm/model"
	"github.com/ebm-go/ebm/nn"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
)

// train2D fits a 2-32-32-1 SiLU MLP energy by denoising score matching
// (σ = 0.1) to draws of gen.
func train2D(t testing.TB, gen func(int, *rand.Rand) *tensor.Dense[float64], seed uint64) *energy.MLPEnergy[float32] {
	t.Helper()
	act, _ := nn.ActivationByName("silu")
	net, _ := nn.NewMLP[float32]([]int{2, 32, 32, 1}, act, nn.MLPOptions{}, rand.New(rand.NewPCG(seed, 1)))
	m, _ := energy.NewMLPEnergy(net)
	tr := &train.Trainer{Model: m, Estimator: &train.DenoisingSM[float32]{Sigma: 0.1},
		Data:   &train.Generator{D: 2, Gen: gen, Seed: seed},
		Config: train.Config{Iters: 400, Batch: 256, LR: 5e-3, EMA: 0.95, Seed: seed}}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

// gridSamples draws n exact samples of p ∝ exp(−E) restricted to [lo, hi]²
// from a k×k grid of cells: a cell by its mass exp(−E(midpoint)), then a
// uniform point in it.
func gridSamples(e energy.Energy, lo, hi float64, k, n int, rng *rand.Rand) *tensor.Dense[float64] {
	h := (hi - lo) / float64(k)
	mid := tensor.New[float64](k*k, 2)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			mid.Row(i*k + j)[0] = lo + (float64(i)+0.5)*h
			mid.Row(i*k + j)[1] = lo + (float64(j)+0.5)*h
		}
	}
	en := make([]float64, k*k)
	e.Energy(mid, en)
	mn := math.Inf(1)
	for _, v := range en {
		mn = math.Min(mn, v)
	}
	cum := make([]float64, k*k)
	acc := 0.0
	for i, v := range en {
		acc += math.Exp(mn - v)
		cum[i] = acc
	}
	out := tensor.New[float64](n, 2)
	for r := 0; r < n; r++ {
		c := sort.SearchFloat64s(cum, rng.Float64()*acc)
		c = min(c, k*k-1)
		out.Row(r)[0] = mid.Row(c)[0] + (rng.Float64()-0.5)*h
		out.Row(r)[1] = mid.Row(c)[1] + (rng.Float64()-0.5)*h
	}
	return out
}

// The product of two trained 2-D models (8gaussians, and a blob at (2, 2))
// sampled by MALA matches exact samples of the product density computed on a
// grid: its MMD² to them is within 4 null standard deviations (MMD² between
// independent grid sample sets of the same size), while each model's own
// samples are far from the product's.
func TestProductOfTrainedModels(t *testing.T) {
	a := train2D(t, data.EightGaussians, 1)
	blob := func(n int, rng *rand.Rand) *tensor.Dense[float64] {
		x := tensor.New[float64](n, 2)
		for i := range x.Data {
			x.Data[i] = 2 + 0.5*rng.NormFloat64()
		}
		return x
	}
	b := train2D(t, blob, 2)
	// The product through the composition grammar, from saved folders.
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := energy.SaveModel(pa, a, &model.Meta{}); err != nil {
		t.Fatal(err)
	}
	if err := energy.SaveModel(pb, b, &model.Meta{}); err != nil {
		t.Fatal(err)
	}
	c, err := energy.ParseSum("energy", "model:"+pa+" + model:"+pb)
	if err != nil {
		t.Fatal(err)
	}
	prod := c.Energy
	const n = 800
	rng := rand.New(rand.NewPCG(5, 5))
	exact := gridSamples(prod, -4, 4, 200, n, rng)
	// Independent MALA chains started from the blob's data, last draw kept.
	x0 := blob(n, rand.New(rand.NewPCG(6, 6)))
	k, _ := sample.NewMALA(prod, sample.DefaultMALAOptions())
	res, err := sample.Run(context.Background(), k, x0, sample.Config{Warmup: 500, Steps: 1, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	got := res.Last
	var null []float64
	for r := 0; r < 10; r++ {
		v, _ := metric.MMD2(gridSamples(prod, -4, 4, 200, n, rng), gridSamples(prod, -4, 4, 200, n, rng), 0.5)
		null = append(null, v)
	}
	mu, sd := 0.0, 0.0
	for _, v := range null {
		mu += v / 10
	}
	for _, v := range null {
		sd += (v - mu) * (v - mu) / 9
	}
	sd = math.Sqrt(sd)
	mmd, _ := metric.MMD2(got, exact, 0.5)
	fa, _ := metric.MMD2(gridSamples(a, -4, 4, 200, n, rng), exact, 0.5)
	fb, _ := metric.MMD2(gridSamples(b, -4, 4, 200, n, rng), exact, 0.5)
	t.Logf("MMD² product samples vs exact %.5f; null mean %.5f sd %.5f; model A alone %.4f, model B alone %.4f", mmd, mu, sd, fa, fb)
	if !(mmd <= mu+4*sd) {
		t.Errorf("MMD² %.5f above the null's mean + 4 sd = %.5f", mmd, mu+4*sd)
	}
	if !(fa > mu+20*sd && fb > mu+20*sd) {
		t.Errorf("the factors' own samples are not far from the product's (MMD² %.4f, %.4f)", fa, fb)
	}
}
