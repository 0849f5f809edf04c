package train

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
)

// naiveCV is CV(h) + (d/2)·log 2π summed over every pair, without the window.
func naiveCV(x *tensor.Dense[float64], h float64) float64 {
	n, d := x.Rows, x.Cols
	tot := 0.0
	lw := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		lw = lw[:0]
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			dd := 0.0
			for k := 0; k < d; k++ {
				v := x.Data[i*d+k] - x.Data[j*d+k]
				dd += v * v
			}
			lw = append(lw, -dd/(2*h*h))
		}
		tot += tensor.LogSumExp(lw)
	}
	return tot/float64(n) - math.Log(float64(n-1)) - float64(d)*math.Log(h)
}

// TestLCVWindowMatchesFullSum: the windowed leave-one-out likelihood equals
// the full double sum (to rounding) at bandwidths from far below to above
// the optimum, where the window holds from almost no points to all of them.
func TestLCVWindowMatchesFullSum(t *testing.T) {
	x := data.EightGaussians(600, rand.New(rand.NewPCG(3, 0)))
	k := &KDESM[float64]{Ref: x}
	k.sortRef()
	for _, h := range []float64{0.002, 0.02, 0.1, 0.3, 1, 3} {
		got, want := k.looLogLik(h), naiveCV(x, h)
		if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("h=%v: windowed CV %.12f, full sum %.12f", h, got, want)
		}
	}
}

// TestLCVBandwidth checks the search against the full double sum: the
// returned h must maximize the naive CV(h) to within the search precision
// (CV at h·(1 ± 2%) is not higher), and on 8gaussians it must sit well
// below Scott's rule, which over-smooths the eight modes (the modes have
// standard deviation 0.354, the whole sample about 2).
func TestLCVBandwidth(t *testing.T) {
	x := data.EightGaussians(800, rand.New(rand.NewPCG(7, 0)))
	h, err := LCVBandwidth(x)
	if err != nil {
		t.Fatal(err)
	}
	f := naiveCV(x, h)
	for _, r := range []float64{0.98, 1.02} {
		if g := naiveCV(x, h*r); g > f+1e-9 {
			t.Errorf("CV(%.4f) = %.6f exceeds CV(%.4f) = %.6f: not the maximizer", h*r, g, h, f)
		}
	}
	if s := ScottBandwidth(x); !(h < 0.5*s) {
		t.Errorf("LCV bandwidth %.4f not below half of Scott's %.4f on 8gaussians", h, s)
	}
}

// TestLCVGaussian: for a large sample of one standard normal in d = 1 the
// likelihood-cross-validated bandwidth is close to the bandwidth that
// minimizes the expected KL divergence, which for a Gaussian is of the order
// of Silverman's 1.06·N^(−1/5); within a factor 1.5 of it.
func TestLCVGaussian(t *testing.T) {
	const n = 4000
	rng := rand.New(rand.NewPCG(11, 0))
	x := tensor.New[float64](n, 1)
	for i := range x.Data {
		x.Data[i] = rng.NormFloat64()
	}
	h, err := LCVBandwidth(x)
	if err != nil {
		t.Fatal(err)
	}
	ref := 1.06 * math.Pow(n, -0.2)
	if h < ref/1.5 || h > ref*1.5 {
		t.Errorf("LCV bandwidth %.4f, want within a factor 1.5 of %.4f", h, ref)
	}
}

// TestLCVErrors: too few points, no spread, non-finite values and a sample
// of exact duplicates are errors, not panics.
func TestLCVErrors(t *testing.T) {
	dup := tensor.FromSlice(4, 2, []float64{0, 0, 0, 0, 1, 1, 1, 1})
	if _, err := LCVBandwidth(dup); !errors.Is(err, ErrLCVDegenerate) {
		t.Errorf("duplicate points: want ErrLCVDegenerate, got %v", err)
	}
	for name, x := range map[string]*tensor.Dense[float64]{
		"one point": tensor.New[float64](1, 2),
		"constant":  tensor.FromSlice(3, 1, []float64{2, 2, 2}),
		"NaN":       tensor.FromSlice(3, 1, []float64{0, math.NaN(), 1}),
	} {
		if _, err := LCVBandwidth(x); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

// TestPersistentReinit: with a sampler that barely moves the chains, the
// number of chains re-drawn at a draw is Binomial(n, Reinit); it must lie
// within 4 standard deviations of n·Reinit, and Reinit = 0 must re-draw none.
func TestPersistentReinit(t *testing.T) {
	g, err := energy.NewIsoGaussian([]float64{0, 0}, 1)
	if err != nil {
		t.Fatal(err)
	}
	const n, sentinel = 4000, 3.99
	batch := tensor.New[float64](8, 2)
	for _, p := range []float64{0, 0.05, 0.3} {
		pc := &Persistent{Sampler: NegSampler{Kind: "ula", Step: 1e-12, Steps: 1, Clamp: sample.ScalarBox(-4, 4)},
			Init: Init{Lo: -4, Hi: 4}, Chains: n, Reinit: p}
		rng := rand.New(rand.NewPCG(5, 0))
		if _, _, err := pc.Draw(g, batch, rng); err != nil {
			t.Fatal(err)
		}
		for i := range pc.Chain().Data {
			pc.Chain().Data[i] = sentinel
		}
		x, _, err := pc.Draw(g, batch, rng)
		if err != nil {
			t.Fatal(err)
		}
		moved := 0
		for i := 0; i < n; i++ {
			r := x.Row(i)
			if math.Abs(r[0]-sentinel) > 1e-3 || math.Abs(r[1]-sentinel) > 1e-3 {
				moved++
			}
		}
		mean, sd := n*p, math.Sqrt(n*p*(1-p))
		if math.Abs(float64(moved)-mean) > 4*sd+1e-9 {
			t.Errorf("reinit=%v: %d of %d chains re-drawn, want %.0f ± %.0f", p, moved, n, mean, 4*sd)
		}
	}
	bad := &Persistent{Sampler: NegSampler{Kind: "ula", Step: 0.01, Steps: 1}, Init: Init{Lo: -1, Hi: 1}, Reinit: 1.5}
	if _, _, err := bad.Draw(g, batch, rand.New(rand.NewPCG(1, 0))); err == nil {
		t.Error("reinit=1.5: want an error")
	}
}

// BenchmarkLCVBandwidth: the bandwidth search on the 5000 reference points
// that ebm train's kde uses by default.
func BenchmarkLCVBandwidth(b *testing.B) {
	x := data.EightGaussians(5000, rand.New(rand.NewPCG(456, 0)))
	for b.Loop() {
		if _, err := LCVBandwidth(x); err != nil {
			b.Fatal(err)
		}
	}
}
