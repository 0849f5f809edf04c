package diag

import (
	"math"
	"slices"
)

// rhatBasic is the classic potential scale reduction of m ≥ 2 equal-length
// chains of n draws (ArviZ's _rhat):
//
//	R̂ = √( ((n−1)/n · W + B/n) / W ),  W = mean_c s²_c,  B = n · var(chain means).
//
// W = 0 gives +Inf (or NaN when B = 0 too).
func rhatBasic(chains [][]float64) float64 {
	m, n := len(chains), len(chains[0])
	if m < 2 || n < 2 {
		return math.NaN()
	}
	means := make([]float64, m)
	w := 0.0
	for c, x := range chains {
		means[c] = mean(x)
		w += variance(x)
	}
	w /= float64(m)
	nf := float64(n)
	b := nf * variance(means)
	return math.Sqrt((b/w + nf - 1) / nf)
}

// RhatBulk returns the bulk R̂ of Vehtari et al. (2021): the classic R̂
//
//	R̂ = √( ((n−1)/n · W + B/n) / W )
//
// (W mean within-chain variance, B/n variance of the chain means) of the
// rank-normalized split chains (see ESSBulk for the normalization). It detects
// chains whose locations differ but can miss chains that differ only in scale;
// SplitRhat adds the folded R̂ for that.
//
// A single chain is accepted (its two halves are compared), as in Stan and the
// posterior R package; ArviZ requires two chains and returns NaN for one. NaN for
// constant draws, fewer than 4 draws per chain, or non-finite draws; +Inf when
// every split chain is constant but they are not all equal.
func RhatBulk(draws [][]float64) float64 {
	chains, ok := prepare(draws)
	if !ok || isConstant(chains) {
		return math.NaN()
	}
	return rhatBasic(zScale(splitChains(chains)))
}

// RhatFolded returns the folded (tail) R̂ of Vehtari et al. (2021): the R̂ of
// RhatBulk applied to the folded split draws |x − median|, with the median of
// all split draws pooled, rank-normalized. Chains that share a location but not
// a scale have folded values of different sizes, which this R̂ exposes. NaN as
// for RhatBulk, and also when every folded value is equal.
func RhatFolded(draws [][]float64) float64 {
	chains, ok := prepare(draws)
	if !ok || isConstant(chains) {
		return math.NaN()
	}
	return rhatFolded(splitChains(chains))
}

func rhatFolded(split [][]float64) float64 {
	all := pooled(split)
	slices.Sort(all)
	med := quantileSorted(all, 0.5)
	folded := make([]float64, 0, len(all))
	for _, c := range split {
		for _, v := range c {
			folded = append(folded, math.Abs(v-med))
		}
	}
	f := reshape(folded, len(split), len(split[0]))
	if isConstant(f) {
		return math.NaN()
	}
	return rhatBasic(zScale(f))
}

// SplitRhat returns the rank-normalized split-R̂ of Vehtari et al. (2021), ArviZ's
// rhat(method="rank"), the R̂ Stan reports:
//
//	R̂ = max(RhatBulk, RhatFolded).
//
// Values above 1.01 suggest the chains have not mixed. When the folded R̂ alone
// is NaN (every folded value equal, e.g. draws taking two values symmetric about
// the median) the bulk R̂ is returned, as ArviZ's max does. A single chain is
// accepted (see RhatBulk). NaN for constant draws, fewer than 4 draws per chain,
// or non-finite draws.
func SplitRhat(draws [][]float64) float64 {
	chains, ok := prepare(draws)
	if !ok || isConstant(chains) {
		return math.NaN()
	}
	return splitRhat(chains)
}

func splitRhat(chains [][]float64) float64 {
	split := splitChains(chains)
	bulk := rhatBasic(zScale(split))
	tail := rhatFolded(split)
	switch {
	case math.IsNaN(tail):
		return bulk
	case math.IsNaN(bulk):
		return tail
	}
	return math.Max(bulk, tail)
}
