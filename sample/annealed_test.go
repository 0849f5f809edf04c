package sample

import (
	"math"
	"testing"
)

// mixtureCase is 0.8·N((5,5), I) + 0.2·N((−5,−5), I).
func mixtureCase() *mixture2 { return newMixture2(0.8, []float64{5, 5}, []float64{-5, -5}) }

// fracPositive returns the fraction of final points with x₀ + x₁ > 0, the
// (5,5) mode's side.
func fracPositive(r *Result) float64 {
	var pos int
	for c := 0; c < r.Chains; c++ {
		x := r.Draw(c, r.Kept-1)
		if x[0]+x[1] > 0 {
			pos++
		}
	}
	return float64(pos) / float64(r.Chains)
}

const annealChains = 2000

// annealOpts: σ from 20 (above the modes' separation, 14.1, as Song & Ermon
// 2020 advise) down to 0.1 over 20 levels (a ratio of 1.32 between neighbours,
// so that consecutive smoothed densities overlap) of 100 steps; ε = 0.002
// gives α_i/(2s_i²) = 0.1·σ_i²/(1+σ_i²) ≤ 0.1 for the smoothed variance
// s_i² = 1+σ_i², a stable, well-mixing step. (With 10 levels the chains lag
// the moving target: 0.763 in the (5,5) mode.)
func annealOpts() AnnealedLangevinOptions {
	return AnnealedLangevinOptions{SigmaMax: 20, SigmaMin: 0.1, Levels: 20, StepsPerLevel: 100, Eps: 0.002}
}

// TestAnnealedLangevinModeWeights: from uniform starts on [−8, 8]², annealed
// Langevin on the exactly smoothed mixture must put 0.80 ± 0.05 of the chains
// on the (5,5) side (the binomial standard error with 2000 chains is 0.009, so
// ±0.05 is over 5 SE), while plain ULA from the same starts keeps the initial
// basin split (≈ 0.5) and must be clearly off (more than 0.15 from 0.8).
func TestAnnealedLangevinModeWeights(t *testing.T) {
	mx := mixtureCase()
	x0 := uniformStarts(annealChains, 2, -8, 8, 31)
	k, err := NewAnnealedLangevin(mx, annealOpts())
	if err != nil {
		t.Fatal(err)
	}
	if k.Temperatures() != nil {
		t.Fatal("a Smoother should not be tempered")
	}
	r := runOK(t, k, x0, Config{Steps: k.Len(), Thin: k.Len(), Seed: 32})
	if r.Kept != 1 {
		t.Fatalf("kept %d draws, want 1", r.Kept)
	}
	f := fracPositive(r)
	se := math.Sqrt(0.8 * 0.2 / annealChains)
	if math.Abs(f-0.8) > 0.05 {
		t.Errorf("annealed Langevin: fraction in the (5,5) mode %.3f, want 0.80 ± 0.05", f)
	}
	t.Logf("annealed Langevin: fraction in the (5,5) mode %.3f (binomial SE %.3f), σ = %.3g", f, se, k.Sigmas())

	u, err := NewULA(mx, ULAOptions{Step: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	ru := runOK(t, u, x0, Config{Steps: k.Len(), Thin: k.Len(), Seed: 32})
	fu := fracPositive(ru)
	if math.Abs(fu-0.8) <= 0.15 {
		t.Errorf("plain ULA: fraction %.3f is not clearly off 0.8", fu)
	}
	t.Logf("plain ULA (η = 0.05, %d steps): fraction in the (5,5) mode %.3f (initial split 0.5)", k.Len(), fu)

	// Tempering fallback, for the record: the same schedule on the energy
	// with its Smoother hidden.
	kt, err := NewAnnealedLangevin(plainGrad{mx}, annealOpts())
	if err != nil {
		t.Fatal(err)
	}
	if kt.Temperatures() == nil {
		t.Fatal("a plain energy should be tempered")
	}
	rt := runOK(t, kt, x0, Config{Steps: kt.Len(), Thin: kt.Len(), Seed: 32})
	t.Logf("tempering fallback (T from %.4g to 1): fraction in the (5,5) mode %.3f", kt.Temperatures()[0], fracPositive(rt))
}
