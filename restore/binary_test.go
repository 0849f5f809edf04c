package restore

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ebm-go/ebm/rbm"
	"github.com/ebm-go/ebm/tensor"
)

// smallRBM returns a Bernoulli RBM with 6 visible and 4 hidden units and
// weights of order 1, small enough to enumerate.
func smallRBM(t testing.TB) *rbm.RBM {
	t.Helper()
	r, err := rbm.New(rbm.Bernoulli, 6, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range r.W.Data {
		r.W.Data[i] = float32(1.2 * rng.NormFloat64())
	}
	for i := range r.B {
		r.B[i] = float32(0.5 * rng.NormFloat64())
	}
	for i := range r.C {
		r.C[i] = float32(0.5 * rng.NormFloat64())
	}
	return r
}

// exactMarginals enumerates v ∈ {0,1}^V for the observation y (flip rate
// rate, clamped units fixed at y) from the RBM's own free energy and the flip
// likelihood ρ^[vₖ≠yₖ](1−ρ)^[vₖ=yₖ], and returns p(vₖ = 1 | y) and the
// posterior mode.
func exactMarginals(t testing.TB, r *rbm.RBM, y []float64, rate float64, clamp []bool) (marg []float64, mode []float64) {
	nv := r.NumVisible()
	n := 1 << nv
	x := tensor.New[float32](n, nv)
	for s := 0; s < n; s++ {
		for k := 0; k < nv; k++ {
			x.Row(s)[k] = float32((s >> k) & 1)
		}
	}
	F, err := r.FreeEnergy(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	marg = make([]float64, nv)
	tot, best := 0.0, math.Inf(1)
	for s := 0; s < n; s++ {
		nll, ok := F[s], true
		for k := 0; k < nv; k++ {
			v := float64(x.Row(s)[k])
			if clamp != nil && clamp[k] && v != y[k] {
				ok = false
			}
			if v != y[k] {
				nll -= math.Log(rate)
			} else {
				nll -= math.Log(1 - rate)
			}
		}
		if !ok {
			continue
		}
		w := math.Exp(-nll)
		tot += w
		for k := 0; k < nv; k++ {
			marg[k] += w * float64(x.Row(s)[k])
		}
		if nll < best {
			best, mode = nll, make([]float64, nv)
			for k := range mode {
				mode[k] = float64(x.Row(s)[k])
			}
		}
	}
	for k := range marg {
		marg[k] /= tot
	}
	return marg, mode
}

// Gibbs sampling of the RBM posterior with bit flips matches the exact
// marginals by enumeration, within 4 standard errors estimated from 10
// independent runs; with clamped units (λ = 0, rate 0.5) it matches the exact
// conditional marginals.
func TestRBMPosteriorMarginals(t *testing.T) {
	r := smallRBM(t)
	y := tensor.FromSlice(2, 6, []float64{1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1})
	for _, tc := range []struct {
		name  string
		rate  float64
		clamp []bool
	}{
		{"flips", 0.2, nil},
		{"clamped", 0.5, []bool{true, false, true, false, false, true}},
	} {
		p, err := RBMPosterior(r, y, tc.rate, tc.clamp)
		if err != nil {
			t.Fatal(err)
		}
		const runs = 10
		var ests []*BinaryEstimate
		for s := 0; s < runs; s++ {
			e, err := p.Gibbs(context.Background(), GibbsConfig{Chains: 4, Burn: 50, Sweeps: 400, Seed: uint64(100 + s)})
			if err != nil {
				t.Fatal(err)
			}
			ests = append(ests, e)
		}
		for i := 0; i < y.Rows; i++ {
			want, _ := exactMarginals(t, r, y.Row(i), tc.rate, tc.clamp)
			for k := range want {
				var sum, sq float64
				for _, e := range ests {
					v := e.Marginals.Row(i)[k]
					sum += v
					sq += v * v
				}
				mean := sum / runs
				se := math.Sqrt(math.Max(0, sq/runs-mean*mean) / (runs - 1))
				if tc.clamp != nil && tc.clamp[k] {
					if mean != y.Row(i)[k] {
						t.Errorf("%s: clamped unit %d has marginal %v, observed %v", tc.name, k, mean, y.Row(i)[k])
					}
					continue
				}
				if !(math.Abs(mean-want[k]) <= 4*se+1e-12) {
					t.Errorf("%s: observation %d unit %d: marginal %.4f, exact %.4f, 4 SE = %.4f", tc.name, i, k, mean, want[k], 4*se)
				}
			}
		}
	}
}

// ICM ends at a point no single flip improves; annealing finds the exact
// posterior mode of the small RBM.
func TestRBMICMAndAnneal(t *testing.T) {
	r := smallRBM(t)
	y := tensor.FromSlice(2, 6, []float64{1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1})
	p, err := RBMPosterior(r, y, 0.25, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, sweeps, err := p.ICM(context.Background(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sweeps >= 50 {
		t.Errorf("ICM did not converge in %d sweeps", sweeps)
	}
	F := p.FreeEnergy(x)
	for i := 0; i < x.Rows; i++ {
		for k := 0; k < x.Cols; k++ {
			z := x.Clone()
			z.Row(i)[k] = 1 - z.Row(i)[k]
			if Fz := p.FreeEnergy(z); Fz[i] < F[i]-1e-12 {
				t.Errorf("ICM result %d: flipping unit %d lowers F from %.6f to %.6f", i, k, F[i], Fz[i])
			}
		}
	}
	xa, err := p.Anneal(context.Background(), AnnealConfig{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < y.Rows; i++ {
		_, mode := exactMarginals(t, r, y.Row(i), 0.25, nil)
		for k := range mode {
			if xa.Row(i)[k] != mode[k] {
				t.Errorf("anneal result %d = %v, exact mode %v", i, xa.Row(i), mode)
				break
			}
		}
	}
}

func TestRBMPosteriorErrors(t *testing.T) {
	r := smallRBM(t)
	y := tensor.FromSlice(1, 6, []float64{1, 0, 1, 1, 0, 0})
	if _, err := RBMPosterior(r, y, 0, nil); err == nil {
		t.Error("rate 0 accepted")
	}
	if _, err := RBMPosterior(r, tensor.FromSlice(1, 5, []float64{1, 0, 1, 1, 0}), 0.1, nil); err == nil {
		t.Error("5 values for 6 units accepted")
	}
	if _, err := RBMPosterior(r, tensor.FromSlice(1, 6, []float64{1, 0, 0.5, 1, 0, 0}), 0.1, nil); err == nil {
		t.Error("non-binary observation accepted")
	}
	if _, err := RBMPosterior(r, y, 0.1, []bool{true}); err == nil {
		t.Error("short clamp mask accepted")
	}
}
