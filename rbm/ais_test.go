package rbm

import (
	"context"
	"errors"
	"math"
	"testing"
)

// TestAISDigits checks AIS and reverse AIS against the exact log Z of the
// digits-protocol model (16 hidden units, trained as the protocol says, seed 0)
// with the default Salakhutdinov-Murray schedule (14500 βs) and 100 runs: AIS
// within 0.1 nat of the exact value, and reverse AIS ≥ exact ≥ AIS within 3
// standard errors of each estimate.
func TestAISDigits(t *testing.T) {
	tr, _ := digits(t)
	r, _ := New(Bernoulli, 64, 16, 0)
	if _, err := r.Fit(context.Background(), tr, protocolConfig(0), nil); err != nil {
		t.Fatal(err)
	}
	exact, err := r.ExactLogZ()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fwd, err := r.AIS(ctx, AISConfig{BaseData: tr, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := r.ReverseAIS(ctx, AISConfig{BaseData: tr, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("log Z: exact %.4f, AIS %.4f ± %.4f (ESS %.1f), reverse AIS %.4f ± %.4f (ESS %.1f, from %s)",
		exact, fwd.LogZ, fwd.SE, fwd.ESS, rev.LogZ, rev.SE, rev.ESS, rev.Start)
	if math.Abs(fwd.LogZ-exact) > 0.1 {
		t.Errorf("AIS log Z %.4f is %.4f from the exact %.4f (> 0.1)", fwd.LogZ, fwd.LogZ-exact, exact)
	}
	if fwd.LogZ > exact+3*fwd.SE {
		t.Errorf("AIS %.4f above exact %.4f by more than 3 SE (%.4f)", fwd.LogZ, exact, fwd.SE)
	}
	if rev.LogZ < exact-3*rev.SE {
		t.Errorf("reverse AIS %.4f below exact %.4f by more than 3 SE (%.4f)", rev.LogZ, exact, rev.SE)
	}
	if rev.Start != "exact samples" || fwd.Runs != 100 || fwd.Betas != 14500 {
		t.Errorf("start %q, %d runs, %d betas", rev.Start, fwd.Runs, fwd.Betas)
	}
}

// TestAISLargeModel runs reverse AIS from data on a model whose layers are too
// large to enumerate (a short schedule; only the mechanics are checked: finite
// results, the start description, errors without start data).
func TestAISLargeModel(t *testing.T) {
	tr, _ := digits(t)
	r := randomRBM(t, Bernoulli, 64, 30, 0.05, 4)
	ctx := context.Background()
	if _, err := r.ReverseAIS(ctx, AISConfig{NumBetas: 100}); err == nil {
		t.Error("reverse AIS without start states on 64×30: no error")
	}
	res, err := r.ReverseAIS(ctx, AISConfig{NumBetas: 200, Runs: 20, Start: tr, StartSweeps: 10, BaseData: tr})
	if err != nil || math.IsNaN(res.LogZ) || res.Start != "data + 10 Gibbs sweeps" {
		t.Errorf("reverse AIS from data: %+v, %v", res, err)
	}
	if _, err := r.ExactLogZ(); err == nil {
		t.Error("ExactLogZ on 64×30: no error")
	}
	g, _ := New(Gaussian, 3, 2, 1)
	if _, err := g.AIS(ctx, AISConfig{}); err == nil {
		t.Error("AIS on a Gaussian RBM: no error")
	}
	if _, err := r.AIS(ctx, AISConfig{Betas: []float64{0, 0.7, 0.5, 1}}); err == nil {
		t.Error("decreasing schedule: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := r.AIS(cctx, AISConfig{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled AIS: %v", err)
	}
}

func TestDefaultBetas(t *testing.T) {
	b := DefaultBetas(14500)
	if len(b) != 14500 || b[0] != 0 || b[len(b)-1] != 1 || b[500] != 0.5 || math.Abs(b[4500]-0.9) > 1e-12 {
		t.Fatalf("schedule: %d values, b[0]=%g b[500]=%g b[4500]=%g last=%g", len(b), b[0], b[500], b[4500], b[len(b)-1])
	}
	for i := 1; i < len(b); i++ {
		if b[i] <= b[i-1] {
			t.Fatalf("not increasing at %d", i)
		}
	}
}
