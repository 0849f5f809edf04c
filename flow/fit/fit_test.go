package fit

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ebm-go/ebm/diag"
	"github.com/ebm-go/ebm/energy"
	"github.com/ebm-go/ebm/flow"
	"github.com/ebm-go/ebm/sample"
	"github.com/ebm-go/ebm/tensor"
	"github.com/ebm-go/ebm/train"
	"gonum.org/v1/gonum/mat"
)

func long() bool { return os.Getenv("EBM_LONG") == "1" }

type target struct {
	name  string
	e     energy.GradEnergy
	logZ  float64
	flow  string
	iters int
}

func targets(t *testing.T) []target {
	t.Helper()
	cov := mat.NewSymDense(2, []float64{1, 0.8 * math.Sqrt(2), 0.8 * math.Sqrt(2), 2})
	g, err := energy.NewGaussian([]float64{0.5, -1}, cov)
	if err != nil {
		t.Fatal(err)
	}
	gmm, err := energy.NewIsoGMM([]float64{0.4, 0.6}, [][]float64{{-1, -0.5}, {1, 0.5}}, []float64{0.6, 0.7})
	if err != nil {
		t.Fatal(err)
	}
	ban, err := energy.NewBanana(2, 0.03)
	if err != nil {
		t.Fatal(err)
	}
	return []target{
		{"gauss", g, g.LogZ(), "realnvp:layers=4,hidden=16", 500},
		{"gmm", gmm, gmm.LogZ(), "realnvp:layers=4,hidden=16", 800},
		{"banana", ban, ban.LogZ(), "realnvp:layers=4,hidden=16", 800},
	}
}

// TestReverseKL fits flows to three targets with known log Z by reverse KL
// and checks the importance-sampling estimate of log Z within 0.02 of the
// truth, and within 4 of its own standard errors.
func TestReverseKL(t *testing.T) {
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			f, err := flow.Parse[float32](tg.flow, 2, 1)
			if err != nil {
				t.Fatal(err)
			}
			res, err := FitEnergy(context.Background(), f, tg.e, Options{Iters: tg.iters, Batch: 256, LR: 3e-3, Seed: 2}, 20000)
			if err != nil {
				t.Fatal(err)
			}
			is := res.IS
			// The banana's tails (x₁ falling as −b·x₀²) lie beyond what
			// coupling nets with piecewise-linear conditioners extrapolate,
			// so the fitted flow under-covers them, and independence MH
			// with it proposes too few tail points to recover the variance
			// of x₁ in a short run (12.9 against 19 over 4×20,000 steps; a
			// defensive mixture recovers it: TestIMHDefensiveBanana). Its
			// log Z estimate above is still accurate.
			if tg.name != "banana" {
				p := &flow.Proposal[float32]{Flow: f}
				r, err := flow.IndependenceMHWith(context.Background(), p, tg.e, 4, 2500, 3)
				if err != nil {
					t.Fatal(err)
				}
				checkMoments(t, "IndependenceMH", r.Coord, r.AcceptRate, tg.e)
				// The same chain as a sample.Kernel under sample.Run.
				k, err := flow.NewIMHKernel(p, tg.e)
				if err != nil {
					t.Fatal(err)
				}
				x0 := f.Sample(4, rand.New(rand.NewPCG(5, 5)))
				res, err := sample.Run(context.Background(), k, x0, sample.Config{Steps: 2500, Seed: 6})
				if err != nil {
					t.Fatal(err)
				}
				checkMoments(t, "sample.Run", res.Draws, mean(res.AcceptRate), tg.e)
			}
			t.Logf("%s: IS log Z %.4f ± %.4f (truth %.4f), ESS %.0f/%d, final loss %.4f, %.0f it/s",
				tg.name, is.LogZ, is.SE, tg.logZ, is.ESS, is.N, res.Train.FinalLoss, res.Train.ItersPerSec)
			// 1e-4 allows for the float32 rounding of log q.
			if d := math.Abs(is.LogZ - tg.logZ); d > 0.02 || d > 4*is.SE+1e-4 {
				t.Errorf("IS log Z %.4f ± %.4f, truth %.4f", is.LogZ, is.SE, tg.logZ)
			}
		})
	}
}

// checkMoments checks each coordinate's mean and variance of the chains
// (coord(j): chains × draws) against the target's within 4 Monte Carlo
// standard errors (from the split-chain ESS).
func checkMoments(t *testing.T, what string, coord func(int) [][]float64, accept float64, e energy.GradEnergy) {
	t.Helper()
	mo := e.(energy.Moments)
	mu, cov := mo.Mean(), mo.Cov()
	for j := range mu {
		x := coord(j)
		m, se := pooledMean(x), diag.MCSEMean(x)
		if math.Abs(m-mu[j]) > 4*se {
			t.Errorf("%s: coordinate %d: mean %.4f ± %.4f, target %.4f", what, j, m, se, mu[j])
		}
		sq := make([][]float64, len(x))
		for c := range x {
			for _, v := range x[c] {
				sq[c] = append(sq[c], (v-mu[j])*(v-mu[j]))
			}
		}
		v, vse := pooledMean(sq), diag.MCSEMean(sq)
		if math.Abs(v-cov.At(j, j)) > 4*vse {
			t.Errorf("%s: coordinate %d: variance %.4f ± %.4f, target %.4f", what, j, v, vse, cov.At(j, j))
		}
		t.Logf("%s: coordinate %d: mean %.4f ± %.4f (target %.4f), variance %.4f ± %.4f (target %.4f), acceptance %.3f",
			what, j, m, se, mu[j], v, vse, cov.At(j, j), accept)
	}
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func pooledMean(x [][]float64) float64 {
	s, n := 0.0, 0
	for _, c := range x {
		for _, v := range c {
			s += v
			n++
		}
	}
	return s / float64(n)
}

// nanAfter is an energy whose values turn NaN on one call, to check that a
// fit rolls back instead of failing or going on with NaN weights.
type nanAfter struct {
	energy.GradEnergy
	calls, at atomic.Int64
}

func (n *nanAfter) EnergyGrad(x *tensor.Dense[float64], e []float64, g *tensor.Dense[float64]) {
	n.GradEnergy.EnergyGrad(x, e, g)
	if n.calls.Add(1) == n.at.Load() {
		for i := range e {
			e[i] = math.NaN()
		}
		for i := range g.Data {
			g.Data[i] = math.NaN()
		}
	}
}

func TestNaNRollsBack(t *testing.T) {
	g, _ := energy.NewIsoGaussian([]float64{0, 0}, 1)
	e := &nanAfter{GradEnergy: g}
	e.at.Store(150)
	f, err := flow.Parse[float32]("realnvp:layers=2,hidden=8", 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	l, err := EnergyLoop(f, e, Options{Iters: 300, Batch: 64, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	l.Metrics = func(m train.Metrics) {
		if m.Event != "" {
			events = append(events, m.Event)
		}
	}
	res, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Retries != 1 || len(events) == 0 {
		t.Fatalf("retries %d, events %v", res.Retries, events)
	}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestMaximumLikelihood fits flows of several kinds to correlated Gaussian
// data and checks KL(p ‖ q) = E_p[log p − log q] < 0.02 nats on 20,000 fresh
// points (estimated with its standard error).
func TestMaximumLikelihood(t *testing.T) {
	cov := mat.NewSymDense(2, []float64{1, 0.9, 0.9, 1.5})
	g, err := energy.NewGaussian([]float64{1, -1}, cov)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"realnvp:layers=4,hidden=16,actnorm", "maf:layers=2,hidden=16,actnorm", "planar:layers=4"} {
		t.Run(s, func(t *testing.T) {
			f, err := flow.Parse[float32](s, 2, 1)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(s, "planar") {
				// Planar layers cannot shift or scale alone: start them
				// from the data's standardization, as ActNorm would.
				a := flow.NewActNorm[float32]("norm", 2)
				if f, err = flow.New(2, append(f.Layers, a)...); err != nil {
					t.Fatal(err)
				}
			}
			src := &train.Generator{D: 2, Gen: g.Sample, Seed: 9}
			res, err := FitData(context.Background(), f, src, Options{Iters: 800, Batch: 256, LR: 3e-3, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			x := g.Sample(20000, rand.New(rand.NewPCG(7, 7)))
			eq, ep := make([]float64, x.Rows), make([]float64, x.Rows)
			f.Energy(x, eq)
			g.Energy(x, ep)
			var kl, kl2 float64
			for i := range eq {
				d := (-ep[i] - g.LogZ()) + eq[i]
				kl += d
				kl2 += d * d
			}
			kl /= float64(x.Rows)
			se := math.Sqrt((kl2/float64(x.Rows) - kl*kl) / float64(x.Rows))
			t.Logf("%s: KL(p‖q) = %.4f ± %.4f after %d iterations (%.0f it/s)", s, kl, se, res.Iters, res.ItersPerSec)
			if kl > 0.02 {
				t.Errorf("KL(p‖q) = %.4f ± %.4f, want < 0.02", kl, se)
			}
		})
	}
}

func TestDimensionMismatch(t *testing.T) {
	f, err := flow.Parse[float32]("realnvp:layers=2,hidden=8", 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := energy.NewIsoGaussian([]float64{0, 0, 0}, 1)
	if _, err := EnergyLoop(f, g, Options{}); err == nil || !strings.Contains(err.Error(), "dimension 3") {
		t.Errorf("EnergyLoop: %v", err)
	}
	src := &train.Generator{D: 3, Gen: g.Sample}
	if _, err := DataLoop(f, src, Options{}); err == nil || !strings.Contains(err.Error(), "dimension 3") {
		t.Errorf("DataLoop: %v", err)
	}
}

// TestIMHDefensiveBanana fits a flow to the banana by reverse KL, as in
// TestReverseKL, and checks that independence MH with the defensive mixture
// of that flow and a widened Gaussian (flow.NewDefensive) recovers the
// banana's means and variances within 4 Monte Carlo standard errors (from
// the chains' split ESS). The flow alone under-covers the banana's tails
// (see TestReverseKL); the Gaussian component keeps the importance weights
// bounded there, and the mixture's density is exact, so the chain still
// targets the banana.
func TestIMHDefensiveBanana(t *testing.T) {
	var tg target
	for _, c := range targets(t) {
		if c.name == "banana" {
			tg = c
		}
	}
	f, err := flow.Parse[float32](tg.flow, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FitEnergy(context.Background(), f, tg.e, Options{Iters: tg.iters, Batch: 256, LR: 3e-3, Seed: 2}, 1000); err != nil {
		t.Fatal(err)
	}
	// Mixture weight 0.3, the Gaussian 3 times as wide as the flow.
	p, err := flow.NewDefensive(f, 0.3, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := flow.IndependenceMHWith(context.Background(), p, tg.e, 4, 20000, 3)
	if err != nil {
		t.Fatal(err)
	}
	checkMoments(t, "defensive IMH", r.Coord, r.AcceptRate, tg.e)
}

// TestEvaluateOutsideBox: a held-out point outside a boxed flow's support is
// named in the error (the NLL is infinite), not reported as a number.
func TestEvaluateOutsideBox(t *testing.T) {
	f, err := flow.Parse[float64]("realnvp:layers=2,hidden=8,box=2", 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	in := tensor.FromSlice(3, 2, []float64{0, 0, 1, -1, 0.5, 0.5})
	if err := r.EvaluateData(f, in); err != nil || r.TestNLL == nil {
		t.Fatalf("inside points: %v", err)
	}
	out := tensor.FromSlice(3, 2, []float64{0, 0, 2.5, 0, 0.5, 0.5})
	if err := r.EvaluateData(f, out); err == nil || !strings.Contains(err.Error(), "point 1") || !strings.Contains(err.Error(), "density 0") {
		t.Fatalf("outside point: %v", err)
	}
}
