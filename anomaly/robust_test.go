package anomaly

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/tensor"
	"gonum.org/v1/gonum/mat"
)

// keptAnomalies runs the robust fit with the default trimming and
// reweighting and elemental elemental starts on the robustly standardized
// rows of x, and counts the rows of index ≥ first among the rows it keeps.
func keptAnomalies(t *testing.T, x []float64, n, d, first, elemental int) int {
	t.Helper()
	sc, _ := FitScaler(x, n, d)
	z := make([]float64, n*d)
	sc.Apply(z, x)
	o := DefaultOptions()
	_, kept, err := robustWhitener(z, n, d, -1, o.trimFor(n, d), o.Reweight, 0, elemental, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := 0
	for _, i := range kept {
		if i >= first {
			a++
		}
	}
	return a
}

// plantedCluster returns n inliers in d columns, two correlated Gaussian
// clusters 3 apart along the first column, followed by k anomalies: a
// tighter Gaussian cluster (sd 0.6) between them, shifted by +3.5 and −3.5 on
// the second and third columns, against their positive correlation.
func plantedCluster(seed uint64, n, k, d int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 77))
	x := make([]float64, (n+k)*d)
	for i := 0; i < n; i++ {
		f := rng.NormFloat64()
		for j := 0; j < d; j++ {
			x[i*d+j] = 0.7*f + 0.7*rng.NormFloat64()
		}
		x[i*d] += 3 * float64(i%2)
	}
	for i := n; i < n+k; i++ {
		for j := 0; j < d; j++ {
			x[i*d+j] = 0.6 * rng.NormFloat64()
		}
		x[i*d] += 1.5
		x[i*d+1] += 3.5
		x[i*d+2] -= 3.5
	}
	return x
}

// TestRobustFitExcludesPlantedCluster: 60 inliers and 8 clustered anomalies
// in 12 columns (few rows for the columns, as in wine). For 20 seeds the
// robust fit with its default elemental starts keeps at most 1 of the 8
// planted rows (a straggler of the cluster may be taken back by the
// reweighting). The case is one the deterministic starts alone get wrong:
// without the elemental starts some seed keeps at least half of the cluster
// (measured: seeds 16 and 20 keep 4 and 8 of them; with the former fixed
// Trim 0.3, seeds 2 and 20 kept 7 and 8).
func TestRobustFitExcludesPlantedCluster(t *testing.T) {
	const n, k, d = 60, 8, 12
	worstOff := 0
	for seed := uint64(1); seed <= 20; seed++ {
		x := plantedCluster(seed, n, k, d)
		if a := keptAnomalies(t, x, n+k, d, n, DefaultOptions().Elemental); a > 1 {
			t.Errorf("seed %d: the robust fit keeps %d of the %d planted anomalies", seed, a, k)
		}
		b := keptAnomalies(t, x, n+k, d, n, 0)
		t.Logf("seed %d: without elemental starts %d of %d planted rows kept", seed, b, k)
		worstOff = max(worstOff, b)
	}
	if worstOff < k/2 {
		t.Errorf("without elemental starts at most %d of %d anomalies kept on any seed: the test no longer tells the fits apart", worstOff, k)
	}
}

// TestRobustFitWine: unsupervised wine as in scripts/anomaly_bench.py (half
// the rows of classes 1 and 2, and 7 rows of class 0 as anomalies: 66 rows
// in 13 columns), on 20 splits. With the elemental starts the robust fit
// keeps a class-0 row on at most 4 splits (measured: 3, keeping 1, 1 and 3
// rows); from the deterministic starts alone it keeps some on at least 8
// (measured: 12, up to 6 of the 7; with the former fixed Trim 0.3: 13, up
// to all 7).
func TestRobustFitWine(t *testing.T) {
	ds, err := data.Wine()
	if err != nil {
		t.Fatal(err)
	}
	var in, out []int
	for i, l := range ds.Labels {
		if l == 0 {
			out = append(out, i)
		} else {
			in = append(in, i)
		}
	}
	with, without := 0, 0
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 3))
		pi, po := rng.Perm(len(in)), rng.Perm(len(out))
		var idx []int
		for _, i := range pi[:len(in)/2] {
			idx = append(idx, in[i])
		}
		first := len(idx)
		for _, i := range po[:7] {
			idx = append(idx, out[i])
		}
		x := tensor.GatherRows(nil, ds.X, idx)
		a := keptAnomalies(t, x.Data, x.Rows, x.Cols, first, DefaultOptions().Elemental)
		b := keptAnomalies(t, x.Data, x.Rows, x.Cols, first, 0)
		t.Logf("split %d: class-0 rows kept %d (without elemental starts %d)", seed, a, b)
		if a > 0 {
			with++
		}
		if b > 0 {
			without++
		}
	}
	if with > 4 {
		t.Errorf("the robust fit keeps class-0 rows on %d of 20 splits, want at most 4", with)
	}
	if without < 8 {
		t.Errorf("without elemental starts class-0 rows are kept on only %d of 20 splits: the test no longer tells the fits apart", without)
	}
}

// TestRobustFitNeedsMoreRowsThanColumns: when the h = (1 − Trim)·n rows the
// C-steps keep are no more than the columns, the C-steps are left out and the
// fit is the reweighted fit from all rows, the fit with Trim 0; with more
// rows they run and the fit differs from it (here a planted cluster, which
// the C-steps leave out and the fit to all rows does not).
func TestRobustFitNeedsMoreRowsThanColumns(t *testing.T) {
	o := DefaultOptions()
	for _, c := range []struct {
		n, k, d int
		same    bool
	}{{20, 4, 24, true}, {60, 8, 12, false}} {
		x := plantedCluster(3, c.n, c.k, c.d)
		n := c.n + c.k
		sc, _ := FitScaler(x, n, c.d)
		z := make([]float64, n*c.d)
		sc.Apply(z, x)
		w1, k1, err := robustWhitener(z, n, c.d, -1, o.trimFor(n, c.d), o.Reweight, 0, o.Elemental, nil)
		if err != nil {
			t.Fatal(err)
		}
		w0, k0, err := robustWhitener(z, n, c.d, -1, 0, o.Reweight, 0, o.Elemental, nil)
		if err != nil {
			t.Fatal(err)
		}
		same := slices.Equal(k1, k0) && slices.Equal(w1.Mean, w0.Mean) && mat.Equal(w1.W, w0.W)
		if same != c.same {
			t.Errorf("n %d, d %d: fit with trimming equal to the fit without: %v, want %v", n, c.d, same, c.same)
		}
	}
}

// TestNoveltyFitsEveryRow: with Novelty the Gaussian is the Ledoit–Wolf fit
// to every (standardized) row, exactly, however heavy the rows' tails;
// without it, the robust fit of the same clean rows trims the tails (its
// centre and log det Σ differ), which is what Novelty is for.
func TestNoveltyFitsEveryRow(t *testing.T) {
	const n, d = 300, 5
	rng := rand.New(rand.NewPCG(4, 9))
	x := tensor.New[float64](n, d)
	for i := range x.Data { // Student t with 3 degrees of freedom, plus a shift
		chi2 := sq(rng.NormFloat64()) + sq(rng.NormFloat64()) + sq(rng.NormFloat64())
		x.Data[i] = rng.NormFloat64()/math.Sqrt(chi2/3) + float64(i%d)
	}
	sc, _ := FitScaler(x.Data, n, d)
	z := make([]float64, n*d)
	sc.Apply(z, x.Data)
	all, err := fitWhitener(z, n, d, -1)
	if err != nil {
		t.Fatal(err)
	}
	for _, novelty := range []bool{true, false} {
		det, err := Fit(context.Background(), x, Options{Novelty: novelty, Members: -1, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		diff := 0.0
		for j := range all.Mean {
			diff = math.Max(diff, math.Abs(det.mean[j]-all.Mean[j]))
		}
		if novelty && (diff > 1e-12 || math.Abs(det.shrink-all.Shrinkage) > 1e-12) {
			t.Errorf("novelty: centre off the all-row fit by %.3g, shrinkage %v against %v", diff, det.shrink, all.Shrinkage)
		}
		if !novelty && diff < 1e-3 {
			t.Errorf("robust fit: centre within %.3g of the all-row fit; the test's rows do not exercise trimming", diff)
		}
	}
}

func sq(v float64) float64 { return v * v }
