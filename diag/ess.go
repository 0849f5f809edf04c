package diag

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// minDraws is the fewest draws per chain any diagnostic accepts (ArviZ's
// min_draws): a split chain then still has two draws.
const minDraws = 4

// prepare truncates every chain to the shortest length and validates the
// result. It returns sub-slices of draws (nothing is copied) and false when
// there is no chain, fewer than minDraws draws per chain, or a non-finite draw.
func prepare(draws [][]float64) ([][]float64, bool) {
	if len(draws) == 0 {
		return nil, false
	}
	n := len(draws[0])
	for _, c := range draws[1:] {
		n = min(n, len(c))
	}
	if n < minDraws {
		return nil, false
	}
	out := make([][]float64, len(draws))
	for i, c := range draws {
		out[i] = c[:n]
		if !allFinite(out[i]) {
			return nil, false
		}
	}
	return out, true
}

// splitChains returns 2m half chains: the first ⌊n/2⌋ and the last ⌊n/2⌋ draws
// of every chain (the middle draw is dropped when n is odd), as sub-slices.
func splitChains(chains [][]float64) [][]float64 {
	n := len(chains[0])
	half := n / 2
	out := make([][]float64, 0, 2*len(chains))
	for _, c := range chains {
		out = append(out, c[:half])
	}
	for _, c := range chains {
		out = append(out, c[n-half:])
	}
	return out
}

// isConstant reports whether every draw equals the first one.
func isConstant(chains [][]float64) bool {
	v0 := chains[0][0]
	for _, c := range chains {
		for _, v := range c {
			if v != v0 {
				return false
			}
		}
	}
	return true
}

// pooled returns all draws of all chains in one new slice.
func pooled(chains [][]float64) []float64 {
	out := make([]float64, 0, len(chains)*len(chains[0]))
	for _, c := range chains {
		out = append(out, c...)
	}
	return out
}

// reshape cuts flat (m·n values) into m rows of n, aliasing flat.
func reshape(flat []float64, m, n int) [][]float64 {
	out := make([][]float64, m)
	for i := range out {
		out[i] = flat[i*n : (i+1)*n]
	}
	return out
}

// essCore is ArviZ's _ess (Stan's compute_effective_sample_size) on equal-length,
// finite chains: Geyer's initial positive then initial monotone sequence applied
// to the combined autocorrelation estimate
//
//	ρ̂_t = 1 − (W − mean_c γ̂_{c,t}) / var⁺,  W = mean_c s²_c,
//	var⁺ = (n−1)/n · W + B/n,  B/n = sample variance of the chain means,
//
// giving ESS = m·n / τ̂ with τ̂ = −1 + 2 Σ_{t≤T} ρ̂_t + ρ̂_{T+1} (the last term
// keeps antithetic chains from being overrated) and τ̂ ≥ 1/log10(m·n).
// Constant input gives NaN.
func essCore(chains [][]float64) float64 {
	m, n := len(chains), len(chains[0])
	if n < 2 || isConstant(chains) {
		return math.NaN()
	}
	ac := newAutocov(n)
	meanAcov := make([]float64, n)
	tmp := make([]float64, n)
	chainMean := make([]float64, m)
	for c, x := range chains {
		ac.compute(x, tmp)
		for k, v := range tmp {
			meanAcov[k] += v
		}
		chainMean[c] = mean(x)
	}
	for k := range meanAcov {
		meanAcov[k] /= float64(m)
	}
	nf := float64(n)
	meanVar := meanAcov[0] * nf / (nf - 1)
	varPlus := meanVar * (nf - 1) / nf
	if m > 1 {
		varPlus += variance(chainMean)
	}

	rho := make([]float64, n)
	rhoEven := 1.0
	rho[0] = rhoEven
	rhoOdd := 1 - (meanVar-meanAcov[1])/varPlus
	rho[1] = rhoOdd

	// Geyer's initial positive sequence: sums of adjacent pairs while positive.
	t := 1
	for t < n-3 && rhoEven+rhoOdd > 0 {
		rhoEven = 1 - (meanVar-meanAcov[t+1])/varPlus
		rhoOdd = 1 - (meanVar-meanAcov[t+2])/varPlus
		if rhoEven+rhoOdd >= 0 {
			rho[t+1] = rhoEven
			rho[t+2] = rhoOdd
		}
		t += 2
	}
	maxT := t - 2
	if rhoEven > 0 {
		rho[maxT+1] = rhoEven
	}
	// Geyer's initial monotone sequence: pair sums must not increase.
	for t = 1; t <= maxT-2; t += 2 {
		if rho[t+1]+rho[t+2] > rho[t-1]+rho[t] {
			rho[t+1] = (rho[t-1] + rho[t]) / 2
			rho[t+2] = rho[t+1]
		}
	}

	total := float64(m * n)
	tau := -1.0
	for _, r := range rho[:maxT+1] {
		tau += 2 * r
	}
	tau += rho[maxT+1]
	tau = math.Max(tau, 1/math.Log10(total))
	for _, r := range rho {
		if math.IsNaN(r) {
			return math.NaN()
		}
	}
	return total / tau
}

// ESS returns the multi-chain effective sample size of the draws without
// splitting and without rank normalization: Stan's
// compute_effective_sample_size, ArviZ's ess(method="identity"). It combines
// within-chain autocovariances (FFT, biased) and between-chain variance into
//
//	ρ̂_t = 1 − (W − mean_c γ̂_{c,t}) / var⁺,  var⁺ = (n−1)/n · W + B/n,
//
// truncates Σ ρ̂_t with Geyer's initial positive sequence, enforces monotone
// pair sums (initial monotone sequence) and returns m·n/τ̂ with
// τ̂ = −1 + 2 Σ_{t≤T} ρ̂_t + ρ̂_{T+1}, floored at 1/log10(m·n), so ESS is at most
// m·n·log10(m·n). For an AR(1) chain with coefficient ρ, ESS ≈ N(1−ρ)/(1+ρ).
//
// NaN for constant draws, fewer than 4 draws per chain, or non-finite draws;
// chains of unequal length are truncated to the shortest (see the package doc).
func ESS(draws [][]float64) float64 {
	chains, ok := prepare(draws)
	if !ok {
		return math.NaN()
	}
	return essCore(chains)
}

// ESSMean returns the split-chain effective sample size for the mean, ArviZ's
// ess(method="mean") and posterior's ess_mean: ESS (see ESS) of the 2m half
// chains, which also penalizes drift within a chain. NaN as for ESS.
func ESSMean(draws [][]float64) float64 {
	chains, ok := prepare(draws)
	if !ok {
		return math.NaN()
	}
	return essCore(splitChains(chains))
}

// ESSBulk returns the bulk effective sample size of Vehtari et al. (2021): the
// ESS (see ESS) of the rank-normalized split chains,
//
//	z = Φ⁻¹((r − 3/8) / (S + 1/4)),
//
// where r is the rank (average rank for ties) of a draw among all S pooled
// split draws and Φ⁻¹ the standard normal quantile (Blom's offset). It is
// ArviZ's ess(method="bulk"). NaN for constant draws, fewer than 4 draws per
// chain, or non-finite draws.
func ESSBulk(draws [][]float64) float64 {
	chains, ok := prepare(draws)
	if !ok {
		return math.NaN()
	}
	return essCore(zScale(splitChains(chains)))
}

// ESSTail returns the tail effective sample size of Vehtari et al. (2021):
//
//	min( ESS(I(x ≤ q₀.₀₅)), ESS(I(x ≤ q₀.₉₅)) )
//
// where q_p are the type-7 quantiles of all draws pooled and each ESS is taken
// over the split chains of the 0/1 indicator (no rank normalization), as ArviZ's
// ess(method="tail"). It measures how well the 5% and 95% quantiles are
// estimated. NaN as for ESS, and also when an indicator is constant (at least
// 5% of the draws tie at an extreme), since the quantile's ESS is then undefined.
func ESSTail(draws [][]float64) float64 {
	chains, ok := prepare(draws)
	if !ok {
		return math.NaN()
	}
	return essTail(chains)
}

func essTail(chains [][]float64) float64 {
	sorted := pooled(chains)
	slices.Sort(sorted)
	lo := math.Inf(1)
	for _, p := range []float64{0.05, 0.95} {
		q := quantileSorted(sorted, p)
		ind := make([]float64, 0, len(sorted))
		for _, c := range chains {
			for _, v := range c {
				if v <= q {
					ind = append(ind, 1)
				} else {
					ind = append(ind, 0)
				}
			}
		}
		e := essCore(splitChains(reshape(ind, len(chains), len(chains[0]))))
		if math.IsNaN(e) {
			return math.NaN()
		}
		lo = math.Min(lo, e)
	}
	return lo
}

// MCSEMean returns the Monte Carlo standard error of the mean of the draws,
//
//	MCSE = sd / √ESS_mean,
//
// with sd the standard deviation of all draws pooled (divisor S−1) and ESS_mean
// the split-chain ESS of ESSMean, as ArviZ's mcse(method="mean") and posterior's
// mcse_mean compute it. NaN when ESSMean is NaN (constant draws give NaN, not 0).
func MCSEMean(draws [][]float64) float64 {
	chains, ok := prepare(draws)
	if !ok {
		return math.NaN()
	}
	return mcseMean(chains)
}

func mcseMean(chains [][]float64) float64 {
	e := essCore(splitChains(chains))
	return math.Sqrt(variance(pooled(chains))) / math.Sqrt(e)
}

// zScale rank-normalizes chains: the rank r (1-based, ties averaged) of every
// value among all S pooled values, mapped to Φ⁻¹((r − 3/8)/(S − 3/4 + 1)). The
// result has the same shape in new storage.
func zScale(chains [][]float64) [][]float64 {
	m, n := len(chains), len(chains[0])
	flat := pooled(chains)
	s := len(flat)
	idx := make([]int, s)
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(flat[a], flat[b]) })
	z := make([]float64, s)
	const c = 3.0 / 8
	denom := float64(s) - 2*c + 1
	for i := 0; i < s; {
		j := i + 1
		for j < s && flat[idx[j]] == flat[idx[i]] {
			j++
		}
		// Positions i..j−1 tie: average 1-based rank (i+1 + j)/2.
		r := float64(i+1+j) / 2
		v := distuv.UnitNormal.Quantile((r - c) / denom)
		for k := i; k < j; k++ {
			z[idx[k]] = v
		}
		i = j
	}
	return reshape(z, m, n)
}

// quantileSorted is R's type-7 quantile of ascending data: linear interpolation
// between order statistics at h = (S−1)p.
func quantileSorted(sorted []float64, p float64) float64 {
	h := float64(len(sorted)-1) * p
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	frac := h - float64(lo)
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// variance is the sample variance with divisor len(x)−1 (NaN for one value),
// exactly 0 when every value is equal (the rounded mean would leave a residue).
func variance(x []float64) float64 {
	if len(x) < 2 {
		return math.NaN()
	}
	if isConstant([][]float64{x}) {
		return 0
	}
	mu := mean(x)
	s := 0.0
	for _, v := range x {
		d := v - mu
		s += d * d
	}
	return s / float64(len(x)-1)
}
