package sample

import (
	"fmt"
	"math"
)

// Thresholds of Diagnostics.Warnings, Stan's: split-R̂ above RhatWarn, or a
// bulk or tail ESS below ESSWarnPerChain times the number of chains.
const (
	RhatWarn        = 1.01
	ESSWarnPerChain = 100
)

// Warnings returns the run's convergence problems as sentences that say what
// happened and what to try, in the manner of Stan's sampler warnings, or nil
// when there are none:
//
//   - split-R̂ > RhatWarn for some coordinate: the chains disagree;
//   - bulk ESS < ESSWarnPerChain·chains: means and medians are unreliable;
//   - tail ESS < ESSWarnPerChain·chains: quantiles and intervals are;
//   - divergent transitions after warm-up: the draws are biased;
//   - fewer than 4 draws per chain: R̂ and ESS cannot be computed.
//
// Coordinates are named x0, x1, … as in the command-line summary.
func (d Diagnostics) Warnings() []string {
	var w []string
	if d.Kept < 4 || math.IsNaN(d.MaxRhat) {
		w = append(w, fmt.Sprintf("%d draws per chain are too few for R-hat and ESS (at least 4 are needed): run more sampling steps.", d.Kept))
	}
	if j := argWorst(d.Rhat, func(a, b float64) bool { return a > b }); j >= 0 && d.Rhat[j] > RhatWarn {
		w = append(w, fmt.Sprintf("R-hat is %.3f for x%d (above %.2f): the chains have not mixed and their draws disagree. "+
			"Run more warm-up and sampling steps, use more chains started further apart, or reparameterize; "+
			"if the acceptance rate is low, a smaller step size may help.", d.Rhat[j], j, RhatWarn))
	}
	min := float64(ESSWarnPerChain * max(d.Chains, 1))
	if j := argWorst(d.ESSBulk, func(a, b float64) bool { return a < b }); j >= 0 && d.ESSBulk[j] < min {
		w = append(w, fmt.Sprintf("bulk ESS is %.0f for x%d (below %.0f, %d per chain): means and medians are unreliable. "+
			"Run more sampling steps or more chains; if the chains move slowly, more warm-up or a better-adapted step size may help.",
			d.ESSBulk[j], j, min, ESSWarnPerChain))
	}
	if j := argWorst(d.ESSTail, func(a, b float64) bool { return a < b }); j >= 0 && d.ESSTail[j] < min {
		w = append(w, fmt.Sprintf("tail ESS is %.0f for x%d (below %.0f, %d per chain): quantiles and intervals are unreliable. "+
			"Run more sampling steps or more chains.", d.ESSTail[j], j, min, ESSWarnPerChain))
	}
	if d.Divergences > 0 {
		w = append(w, fmt.Sprintf("%d transitions after warm-up diverged: the sampler cannot follow the energy's curvature there, "+
			"and the draws are biased. Use a smaller step size (a higher target acceptance) or reparameterize.", d.Divergences))
	}
	return w
}

// Warnings returns r.Diagnostics().Warnings().
func (r *Result) Warnings() []string { return r.Diagnostics().Warnings() }

// argWorst returns the index of the worst non-NaN value (worse(a, b): a is
// worse than b), or −1.
func argWorst(v []float64, worse func(a, b float64) bool) int {
	k := -1
	for j, x := range v {
		if math.IsNaN(x) {
			continue
		}
		if k < 0 || worse(x, v[k]) {
			k = j
		}
	}
	return k
}
