// Package diag computes Markov chain Monte Carlo convergence diagnostics the way
// Stan and ArviZ compute them: autocorrelation, effective sample size (ESS),
// rank-normalized split-R̂, Monte Carlo standard error and a Stan-style
// summary table.
//
// # Input layout
//
// Every diagnostic takes the draws of one scalar quantity as draws[chain][iteration]
// ([][]float64). Typical inputs are a coordinate of the sampler's state, an energy
// E(x) (ebm's convention: p(x) ∝ exp(−E(x))) or any other function of the state.
//
// # Conventions shared by every function
//
//   - Unequal chain lengths: every chain is truncated to the length of the shortest
//     one (its first draws are kept), as Stan does. No error is reported.
//   - Too few draws: fewer than 4 draws per chain (after truncation), or no chain at
//     all, gives NaN, as in ArviZ (min_draws=4).
//   - NaN or ±Inf among the draws gives NaN.
//   - Constant input (every draw identical) gives NaN for ESS and R̂. This follows
//     Stan and the posterior R package; note that ArviZ's internal _ess returns the
//     number of draws for constant input instead, while its R̂ is NaN as here.
//   - Chains that are each constant but at different values have zero within-chain
//     variance: R̂ is +Inf and ESS is tiny, which is the right alarm.
//   - Split chains: a chain of n draws is split into its first ⌊n/2⌋ and its last
//     ⌊n/2⌋ draws; for odd n the middle draw is dropped (Stan, ArviZ).
//   - Quantiles are R's type 7 (linear interpolation between order statistics,
//     numpy's default), computed over all draws pooled.
//
// Nothing here panics on any input of the documented layout.
//
// # References
//
//   - A. Vehtari, A. Gelman, D. Simpson, B. Carpenter, P.-C. Bürkner (2021).
//     Rank-normalization, folding, and localization: an improved R̂ for assessing
//     convergence of MCMC. Bayesian Analysis 16(2), 667–718.
//   - C. J. Geyer (1992). Practical Markov chain Monte Carlo. Statistical Science
//     7(4), 473–483 (initial positive and initial monotone sequence estimators).
//   - Stan Reference Manual, "Effective sample size" and "Potential scale reduction".
//   - ArviZ, arviz/stats/diagnostics.py (_ess, _rhat, _rhat_rank, _ess_bulk,
//     _ess_tail, _mcse_mean), whose numbers the tests reproduce.
package diag
