package diag

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// ar1 returns a stationary AR(1) series x_{t+1} = ρ x_t + √(1−ρ²) ε_t with
// unit marginal variance, started from its stationary law.
func ar1(rng *rand.Rand, n int, rho float64) []float64 {
	x := make([]float64, n)
	v := rng.NormFloat64()
	s := math.Sqrt(1 - rho*rho)
	for i := range x {
		x[i] = v
		v = rho*v + s*rng.NormFloat64()
	}
	return x
}

func ar1Chains(seed uint64, m, n int, rho float64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	d := make([][]float64, m)
	for c := range d {
		d[c] = ar1(rng, n, rho)
	}
	return d
}

// TestESSAR1 checks the ESS against the AR(1) theory: the integrated
// autocorrelation time is τ = Σ_k ρ^|k| = (1+ρ)/(1−ρ), so ESS = N(1−ρ)/(1+ρ)
// for N = m·n draws.
//
// Tolerance ±15%. Its basis: over 200 independent replicates of each
// configuration below, ESS/theory had mean 0.985–0.993 (the Geyer truncation
// bias is ~1%) and standard deviation 0.025–0.033 (ESSMean and ESSBulk, 100
// replicates: mean 0.990–0.997, sd 0.025–0.034), in line with the
// Bartlett-type approximation sd(τ̂)/τ ≈ √(2(2T+1)/N) for a truncation lag T.
// ±15% is therefore about 5 standard deviations: a correct implementation fails
// with negligible probability, while a wrong autocovariance normalization,
// a missing between-chain term or a broken truncation is off by far more. The
// chain lengths grow with ρ so that the relative spread stays near 3%.
func TestESSAR1(t *testing.T) {
	for _, tc := range []struct {
		rho  float64
		m, n int
	}{
		{0, 4, 2000},     // iid: ESS ≈ N·chains
		{0.5, 4, 10000},  // τ = 3
		{0.9, 4, 50000},  // τ = 19
		{-0.3, 4, 10000}, // antithetic: ESS > N
	} {
		d := ar1Chains(uint64(1000*tc.rho)+7, tc.m, tc.n, tc.rho)
		want := float64(tc.m*tc.n) * (1 - tc.rho) / (1 + tc.rho)
		for name, f := range map[string]func([][]float64) float64{
			"ESS": ESS, "ESSMean": ESSMean, "ESSBulk": ESSBulk,
		} {
			got := f(d)
			if r := got / want; math.Abs(r-1) > 0.15 {
				t.Errorf("ρ=%v %s = %.0f, theory %.0f (ratio %.3f, tolerance ±15%%)", tc.rho, name, got, want, r)
			}
		}
	}
}

// TestESSTailIID: for iid draws the indicator I(x ≤ q) is iid Bernoulli, so
// its ESS is again N·chains. Over 100 replicates of 4×10000 iid draws,
// ESSTail/N had mean 0.983 and sd 0.014, so ±15% is a very safe bound that
// still catches gross errors (e.g. a missing split or a wrong quantile).
func TestESSTailIID(t *testing.T) {
	d := ar1Chains(11, 4, 10000, 0)
	want := 40000.0
	if got := ESSTail(d); math.Abs(got/want-1) > 0.15 {
		t.Errorf("ESSTail iid = %.0f, want %.0f ±15%%", got, want)
	}
}

// TestRhat: iid chains have R̂ close to 1 (worst of 200 replicates of 4×1000
// draws was 1.003, so < 1.01 is a safe bound); shifted chains and chains of a
// different scale are flagged.
func TestRhat(t *testing.T) {
	d := ar1Chains(21, 4, 1000, 0)
	if r := SplitRhat(d); !(r < 1.01) {
		t.Errorf("iid SplitRhat = %.4f, want < 1.01", r)
	}

	// One chain of four shifted by 1 sd: of the 8 split chains 2 have a mean
	// ≈ 0.9 higher in rank-normalized units, so B/n ≈ 1.5·0.9²/7 ≈ 0.17 against
	// W ≈ 0.85 and R̂ ≈ √(1 + 0.17/0.85) ≈ 1.1 (smallest of 100 replicates:
	// 1.08), far above 1.01.
	s := ar1Chains(22, 4, 1000, 0)
	for i := range s[3] {
		s[3][i]++
	}
	if r := SplitRhat(s); !(r > 1.05) {
		t.Errorf("shifted SplitRhat = %.4f, want ≫ 1.01", r)
	}

	// One chain with 3× the scale and the same mean. Bulk R̂ compares locations
	// only and stays near 1 (worst of 200 replicates: 1.002); the folded R̂
	// compares |x − median| and sees it (smallest of 200 replicates: 1.12).
	w := ar1Chains(23, 4, 1000, 0)
	for i := range w[3] {
		w[3][i] *= 3
	}
	if r := RhatBulk(w); !(r < 1.01) {
		t.Errorf("scale: RhatBulk = %.4f, expected bulk R̂ to miss a pure scale difference", r)
	}
	if r := RhatFolded(w); !(r > 1.05) {
		t.Errorf("scale: RhatFolded = %.4f, want > 1.05", r)
	}
	if r := SplitRhat(w); !(r > 1.05) {
		t.Errorf("scale: SplitRhat = %.4f, want > 1.05", r)
	}

	// A single chain that drifts: split-R̂ compares its halves.
	one := [][]float64{make([]float64, 1000)}
	rng := rand.New(rand.NewPCG(24, 0))
	for i := range one[0] {
		one[0][i] = float64(i)/250 + rng.NormFloat64()
	}
	if r := SplitRhat(one); !(r > 1.1) {
		t.Errorf("drifting single chain SplitRhat = %.4f, want > 1.1", r)
	}
}

// TestAutocorrAR1 checks ρ̂_k against ρ^k within 4 standard errors from
// Bartlett's formula for an AR(1):
// var(ρ̂_k) ≈ (1/n)[(1+ρ²)(1−ρ^{2k})/(1−ρ²) − 2kρ^{2k}].
func TestAutocorrAR1(t *testing.T) {
	const n, rho = 100000, 0.5
	x := ar1Chains(31, 1, n, rho)[0]
	ac := Autocorr(x, 200) // FFT path
	if len(ac) != 201 || ac[0] != 1 {
		t.Fatalf("len %d, ρ̂_0 = %v", len(ac), ac[0])
	}
	for k := 1; k <= 10; k++ {
		want := math.Pow(rho, float64(k))
		r2k := math.Pow(rho, 2*float64(k))
		se := math.Sqrt(((1+rho*rho)*(1-r2k)/(1-rho*rho) - 2*float64(k)*r2k) / n)
		if math.Abs(ac[k]-want) > 4*se {
			t.Errorf("ρ̂_%d = %.4f, want %.4f ± %.4f", k, ac[k], want, 4*se)
		}
	}
	// The direct path (few lags) and the FFT path agree to rounding.
	direct := Autocorr(x, 5)
	for k := range direct {
		if math.Abs(direct[k]-ac[k]) > 1e-12 {
			t.Errorf("lag %d: direct %.15g, FFT %.15g", k, direct[k], ac[k])
		}
	}
}

func TestAutocorrEdges(t *testing.T) {
	if got := Autocorr(nil, 3); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
	if got := Autocorr([]float64{1, 2, 3}, -1); len(got) != 3 {
		t.Errorf("maxLag -1 should give n lags, got %d", len(got))
	}
	if got := Autocorr([]float64{1, 2, 3}, 99); len(got) != 3 {
		t.Errorf("maxLag ≥ n should give n lags, got %d", len(got))
	}
	for _, x := range [][]float64{{2, 2, 2, 2}, {1, math.NaN(), 3}, {1, math.Inf(1), 3}} {
		for _, v := range Autocorr(x, -1) {
			if !math.IsNaN(v) {
				t.Errorf("Autocorr(%v) = %v, want all NaN", x, Autocorr(x, -1))
				break
			}
		}
	}
	// Hand-computed: x = 1,2,3,4, mean 2.5, deviations −1.5 −.5 .5 1.5;
	// γ0 = 5/4, γ1 = (.75 −.25 + .75)/4 = 1.25/4, γ2 = (−.75 −.75)/4, γ3 = −2.25/4.
	want := []float64{1, 0.25, -0.3, -0.45}
	for k, v := range Autocorr([]float64{1, 2, 3, 4}, 3) {
		if math.Abs(v-want[k]) > 1e-15 {
			t.Errorf("lag %d: %v, want %v", k, v, want[k])
		}
	}
}

// TestEdgeCases: no panics, NaN where the diagnostic is undefined, truncation
// to the shortest chain.
func TestEdgeCases(t *testing.T) {
	funcs := map[string]func([][]float64) float64{
		"ESS": ESS, "ESSMean": ESSMean, "ESSBulk": ESSBulk, "ESSTail": ESSTail,
		"SplitRhat": SplitRhat, "RhatBulk": RhatBulk, "RhatFolded": RhatFolded,
		"MCSEMean": MCSEMean,
	}
	undefined := map[string][][]float64{
		"nil":       nil,
		"no draws":  {{}, {}},
		"3 draws":   {{1, 2, 3}, {3, 1, 2}},
		"constant":  {{5, 5, 5, 5, 5}, {5, 5, 5, 5, 5}},
		"NaN":       {{1, 2, math.NaN(), 4}, {1, 2, 3, 4}},
		"Inf":       {{1, 2, math.Inf(-1), 4}, {1, 2, 3, 4}},
		"short one": {{1, 2, 3, 4, 5, 6}, {1, 2}},
	}
	for dn, d := range undefined {
		for fn, f := range funcs {
			if v := f(d); !math.IsNaN(v) {
				t.Errorf("%s(%s) = %v, want NaN", fn, dn, v)
			}
		}
	}

	// Each chain constant at its own value: no within-chain variance, so R̂ is +Inf.
	stuck := [][]float64{make([]float64, 100), make([]float64, 100)}
	for i := range stuck[1] {
		stuck[1][i] = 1
	}
	if r := SplitRhat(stuck); !math.IsInf(r, 1) {
		t.Errorf("stuck chains SplitRhat = %v, want +Inf", r)
	}
	if e := ESS(stuck); !(e >= 0 && e < 2) {
		t.Errorf("stuck chains ESS = %v, want tiny", e)
	}

	// Unequal lengths: truncated to the shortest.
	long := ar1Chains(41, 3, 500, 0.3)
	ragged := [][]float64{long[0], long[1][:300], append(long[2][:300:300], 1, 2, 3)}
	trunc := [][]float64{long[0][:300], long[1][:300], long[2][:300]}
	for fn, f := range funcs {
		if a, b := f(ragged), f(trunc); a != b {
			t.Errorf("%s: ragged %v, truncated %v", fn, a, b)
		}
	}

	// Minimal valid input: 4 draws, one chain.
	for fn, f := range funcs {
		v := f([][]float64{{0.3, -1, 2, 0.5}})
		if math.IsNaN(v) || v <= 0 {
			t.Errorf("%s on 4 draws = %v, want a positive number", fn, v)
		}
	}
}

func TestSummary(t *testing.T) {
	d := ar1Chains(51, 4, 2000, 0.5)
	shifted := ar1Chains(52, 4, 2000, 0.5)
	for i := range shifted[0] {
		shifted[0][i] += 2
	}
	tab, err := Summary([]string{"x", "shifted", "constant", "short"}, [][][]float64{
		d, shifted, {{3, 3, 3, 3}, {3, 3, 3, 3}}, {{1, 2}, {3, 4}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := tab[0]
	if r.Name != "x" || r.Mean != mean(pooled(d)) || r.ESSBulk != ESSBulk(d) ||
		r.ESSTail != ESSTail(d) || r.Rhat != SplitRhat(d) || r.MCSE != MCSEMean(d) {
		t.Errorf("row disagrees with the functions: %+v", r)
	}
	// The mean of N(0,1) AR(1) draws is within 4 MCSE of 0, and the quantiles
	// are near ±1.645 and 0.
	if math.Abs(r.Mean) > 4*r.MCSE || math.Abs(r.Q5+1.645) > 0.15 ||
		math.Abs(r.Q95-1.645) > 0.15 || math.Abs(r.Q50) > 0.1 || math.Abs(r.SD-1) > 0.05 {
		t.Errorf("summary of N(0,1) draws off: %+v", r)
	}
	if !(tab[1].Rhat > 1.1) {
		t.Errorf("shifted row R̂ = %v", tab[1].Rhat)
	}
	if c := tab[2]; c.Mean != 3 || c.SD != 0 || !math.IsNaN(c.Rhat) || !math.IsNaN(c.ESSBulk) {
		t.Errorf("constant row: %+v", c)
	}
	if s := tab[3]; s.Mean != 2.5 || !math.IsNaN(s.ESSBulk) {
		t.Errorf("short row: %+v", s)
	}

	var buf bytes.Buffer
	if err := tab.WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 5 || !strings.Contains(lines[0], "ESS_bulk") || !strings.Contains(lines[3], "NaN") {
		t.Errorf("table:\n%s", buf.String())
	}
	// Aligned: every line has the same width (right-aligned columns).
	for _, l := range lines[1:] {
		if len([]rune(l)) != len([]rune(lines[0])) {
			t.Errorf("misaligned table:\n%s", buf.String())
			break
		}
	}
	if tab.String() != buf.String() {
		t.Error("String differs from WriteTable")
	}
	t.Logf("\n%s", buf.String())

	// JSON: snake_case keys, NaN as null, and back.
	js, err := json.Marshal(tab)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"ess_bulk":`, `"ess_tail":`, `"q50":`, `"rhat":null`} {
		if !bytes.Contains(js, []byte(key)) {
			t.Errorf("JSON lacks %s: %s", key, js)
		}
	}
	var back Table
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back[0] != tab[0] || !math.IsNaN(back[2].Rhat) || back[2].Mean != 3 {
		t.Errorf("JSON round trip: %+v", back)
	}

	if _, err := Summary([]string{"a"}, nil); err == nil {
		t.Error("Summary with mismatched names: want an error")
	}
}
