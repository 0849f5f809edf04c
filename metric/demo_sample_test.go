package metric

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/data"
	"github.com/ebm-go/ebm/energy"
)

// Sampling the true 8gaussians energy must come close to the data: its MMD²
// is compared with that of samples from a single Gaussian, and the floor with
// a direct computation (an exact oracle); the same seed repeats every figure.
func TestDemoReportSample(t *testing.T) {
	if testing.Short() {
		t.Skip("2000 MALA chains")
	}
	ctx := context.Background()
	var r, r2 DemoReport
	s, ref, err := r.Sample(ctx, energy.EightGaussians(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != DemoChains || s.Cols != 2 || ref.Rows != DemoChains {
		t.Fatalf("shapes %d×%d, ref %d", s.Rows, s.Cols, ref.Rows)
	}
	floor, _ := MMD2(data.EightGaussians(DemoChains, rand.New(rand.NewPCG(789, 0))), ref, DemoBandwidth)
	if r.MMD2Floor != floor {
		t.Fatalf("MMD2Floor %v, want %v", r.MMD2Floor, floor)
	}
	if !(r.AcceptRate > 0 && r.AcceptRate <= 1) {
		t.Fatalf("AcceptRate %v", r.AcceptRate)
	}
	// A wrong model: one broad Gaussian at the origin.
	g, err := energy.NewIsoGaussian([]float64{0, 0}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var bad DemoReport
	if _, _, err := bad.Sample(ctx, g, 3); err != nil {
		t.Fatal(err)
	}
	t.Logf("MMD² true %v, wrong %v, floor %v", r.MMD2, bad.MMD2, r.MMD2Floor)
	if !(r.MMD2 < bad.MMD2/4) {
		t.Errorf("MMD² of the true energy %v, of a wrong one %v", r.MMD2, bad.MMD2)
	}
	if _, _, err := r2.Sample(ctx, energy.EightGaussians(), 3); err != nil || r2 != r {
		t.Fatalf("same seed, different report: %+v vs %+v (%v)", r2, r, err)
	}
}
