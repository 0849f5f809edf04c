package sample

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// ar1Result builds a Result of AR(1) draws x_t = φx_{t−1} + √(1−φ²)ξ (unit
// stationary variance) in every coordinate, chain c shifted by shift[c].
func ar1Result(chains, kept, d int, phi float64, shift []float64, seed uint64) *Result {
	r := &Result{Chains: chains, Kept: kept, Dim: d, Data: make([]float64, chains*kept*d), Divergences: make([]int, chains)}
	rng := rand.New(rand.NewPCG(seed, 1))
	s := math.Sqrt(1 - phi*phi)
	for c := 0; c < chains; c++ {
		for j := 0; j < d; j++ {
			x := rng.NormFloat64()
			for t := 0; t < kept; t++ {
				x = phi*x + s*rng.NormFloat64()
				r.Data[(c*kept+t)*d+j] = x + shift[c]
			}
		}
	}
	return r
}

func TestWarnings(t *testing.T) {
	zero := make([]float64, 4)
	// Independent draws: split-R̂ is within about 0.002 of 1 and the ESS near
	// 4000, far from the thresholds 1.01 and 400.
	if w := ar1Result(4, 1000, 3, 0, zero, 1).Warnings(); len(w) != 0 {
		t.Errorf("iid draws: warnings %q", w)
	}
	// One chain displaced by 1 sd: R̂ ≈ 1.09.
	w := ar1Result(4, 1000, 2, 0, []float64{0, 0, 0, 1}, 2).Warnings()
	if len(w) == 0 || !strings.Contains(w[0], "R-hat") || !strings.Contains(w[0], "more warm-up") {
		t.Errorf("displaced chain: warnings %q", w)
	}
	// φ = 0.99: ESS ≈ 4000·(1−φ)/(1+φ) ≈ 20 < 400.
	w = ar1Result(4, 1000, 2, 0.99, zero, 3).Warnings()
	found := false
	for _, s := range w {
		found = found || strings.Contains(s, "bulk ESS") && strings.Contains(s, "below 400")
	}
	if !found {
		t.Errorf("slow chains: warnings %q", w)
	}
	r := ar1Result(4, 1000, 2, 0, zero, 4)
	r.Divergences[2] = 3
	if w := r.Warnings(); len(w) != 1 || !strings.Contains(w[0], "3 transitions") || !strings.Contains(w[0], "smaller step") {
		t.Errorf("divergences: warnings %q", w)
	}
	if w := ar1Result(2, 2, 2, 0, zero, 5).Warnings(); len(w) == 0 || !strings.Contains(w[0], "too few") {
		t.Errorf("2 draws: warnings %q", w)
	}
}

func TestVarAndCovLimit(t *testing.T) {
	r := ar1Result(2, 3, 2, 0, []float64{0, 0}, 6)
	v, c := r.Var(), r.Cov()
	for j := range v {
		if math.Abs(v[j]-c[j][j]) > 1e-12*(1+v[j]) {
			t.Errorf("Var[%d] = %v, Cov diagonal %v", j, v[j], c[j][j])
		}
	}
	big := &Result{Chains: 1, Kept: 1, Dim: MaxCovDim + 1, Data: make([]float64, MaxCovDim+1)}
	if big.Cov() != nil {
		t.Error("Cov above MaxCovDim is not nil")
	}
	if len(big.Var()) != MaxCovDim+1 {
		t.Error("Var length")
	}
}
