// Package sample runs Markov chain Monte Carlo kernels on batches of chains to
// draw from p(x) ∝ exp(−E(x)) (ebm's sign convention: low energy is likely and
// the score is −∇E).
//
// # Kernels
//
// Every kernel moves n chains at once: the points are an n×d tensor.Dense, one
// chain per row, so the energy is evaluated for the whole batch in one call.
// Each chain has its own state, its own step size and its own random stream.
//
//   - RWMH: random-walk Metropolis–Hastings, x' = x + ε·√m ⊙ ξ, accepted with
//     probability min(1, exp(E(x) − E(x'))). Needs only an Energy.
//   - MALA: the Metropolis-adjusted Langevin algorithm with a diagonal
//     preconditioner, x' = x − η m ⊙ ∇E(x) + √(2η)·√m ⊙ ξ, plus the
//     Metropolis–Hastings correction for the asymmetric proposal.
//   - HMC: Hamiltonian Monte Carlo, L leapfrog steps of size ε with a diagonal
//     mass matrix M = diag(1/m), accepted with probability min(1, exp(H − H')),
//     ε jittered per transition, divergences flagged when H' − H > 1000.
//   - ULA: the unadjusted Langevin algorithm, x ← x − η∇E(x) + √(2η)·ξ. There is
//     no accept step; it samples exp(−E) only in the limit η → 0.
//   - SGLDStyle: the decoupled update of IGEBM and JEM, x ← x − a∇E(x) + b·ξ.
//     It samples a colder distribution, exp(−E/T) with T = b²/(2a) (for small a),
//     and is not Langevin unless b² = 2a.
//   - AnnealedLangevin: annealed Langevin dynamics (Song & Ermon 2019, NCSN
//     Algorithm 1), ULA steps on Gaussian-smoothed energies E_σ for a decreasing
//     geometric sequence of noise levels σ₁ > … > σ_L.
//
// Here ξ ~ N(0, I) and m is the diagonal inverse metric (inverse mass matrix);
// m = 1 unless it is set or adapted.
//
// # Kernels, states and info
//
// As in BlackJAX, a Kernel turns an initial position into a State (Init) and
// moves a State by one transition (Step), writing one Info record per chain
// (acceptance probability, accepted or not, divergent or not, gradient
// evaluations). The state keeps every buffer a step needs, so steps allocate
// nothing beyond what the energy itself allocates.
//
// # Running and adapting
//
// Run drives a kernel through a warm-up and a sampling phase and returns the
// draws with their diagnostics (acceptance, adapted step sizes and inverse
// metrics, divergences, split-R̂ and ESS through package diag). During warm-up
// the Metropolis-adjusted kernels (RWMH, MALA, HMC) adapt per chain as Stan
// does, then, by default, calibrate their step sizes together:
//
//   - the step size by dual averaging of its logarithm (Hoffman & Gelman 2014,
//     Stan's constants γ = 0.05, t₀ = 10, κ = 0.75, μ = log(10ε₀)) towards a
//     target mean acceptance probability (RWMH 0.234, MALA 0.574, HMC 0.8),
//     started after Stan's "find a reasonable step size" heuristic (double or
//     halve ε until a one-step trial's acceptance crosses 0.8), with ε₀ the
//     heuristic's result as in BlackJAX; at the end of Stan's adaptation each
//     chain's step size is exp(x̄), the dual-averaging average;
//   - the diagonal inverse metric, as the regularized variance of the chain's
//     positions, (n/(n+5))·var + 10⁻³·(5/(n+5)), over Stan's windows (an initial
//     buffer of 75 steps, slow windows doubling from 25, a terminal buffer of 50,
//     all scaled down to 15%/75%/10% below 150 steps; no metric adaptation
//     below 20). The step-size adaptation (heuristic included) restarts after
//     each window;
//   - then (Config.Calibrate, on by default) a common factor of all the
//     chains' step sizes, calibrated over the last 15% of warm-up (30% for a
//     single chain, 20% for two; Windows.Calibration sets it) so that the
//     mean acceptance probability after warm-up hits the target. Stan's
//     windows are laid out over the warm-up that precedes it; Windows gives
//     the layout.
//
// # Calibration
//
// Calibration departs from Stan, which keeps exp(x̄) as the step size. The
// dual-averaging iterates x_t = μ − (√t/γ)·H̄_t keep fluctuating in log ε,
// driven by the noise of the per-transition acceptance statistic, and a
// longer terminal buffer damps this only slowly; their mean acceptance
// matches the target, and the acceptance being concave in log ε near the
// usual targets, the acceptance at their centre exp(x̄) is higher (Jensen's
// inequality). With Stan's
// windows the acceptance after warm-up overshoots: measured with 8 chains,
// HMC 0.95 on a correlated 2-D Gaussian (0.89 with a 500-step terminal
// buffer) and 0.91 on a 50-D ill-conditioned one for a target of 0.8, MALA
// 0.64 there for 0.574; RWMH undershoots 0.234 by 0.05–0.1 (its acceptance
// is convex there). Calibration brings all of these within about 0.01–0.02
// of the target (with 8 chains and 1000 warm-up steps; about 0.03 with one
// chain).
//
// It solves ā(c) = δ for a factor c applied to every chain's exp(x̄), so the
// chains keep the ratios of their step sizes, where ā(c) is the acceptance
// probability averaged over all chains and over the real transitions of a
// block run at that factor (the chains keep moving; only the step size is
// frozen within a block). A block has ⌈32/n⌉ transitions for n chains (at
// least one, at most a quarter of the calibration), so that each evaluation
// pools about 32 statistics: more transitions per evaluation for small
// batches. The root finder is a stochastic approximation on u = log c
// started at 0: after each block, u ← u + (ā − δ)/(β·k), bounded to ±log 2
// per block and |u| ≤ 3, with β a ridge-regression estimate of the slope
// −dā/du (prior 0.5, the order of the slope at the default targets; the
// regression restarts once the root is bracketed, to drop saturated
// acceptances) and k Kesten's counter, 1 plus the number of sign changes of
// ā − δ so far. While the error keeps its sign the steps are Newton-like
// (the bracketing search); once it alternates they shrink, and the noise of
// the blocks averages out. The factor kept is the average of the iterates
// over the second half of the calibration (from the second crossing on),
// which also tolerates a misestimated slope. There is no early stop: every
// further block reduces the noise, and the chains move during calibration
// anyway. The pooled estimate's noise, about 0.4/√(n·steps) at worst for
// all-or-nothing acceptances, is why fewer than three chains get a larger
// share of warm-up.
//
// Pooling makes the chains' warm-ups interdependent: with calibration on,
// changing one chain changes the common factor and so the other chains' draws
// (their dual-averaging step sizes, Result.StepSize/Result.StepScale, do not
// change). Config.Calibrate = CalibrateOff restores Stan's behaviour, with
// independent chains, over the whole warm-up. On targets where the acceptance
// falls off a cliff (HMC on the correlated 2-D Gaussian, whose narrow
// direction bounds the stable leapfrog step), reaching the target puts part of
// the jittered step sizes beyond the stability limit, and a few percent of
// the transitions diverge where Stan's higher acceptance had none.
//
// # Randomness
//
// One convention holds across ebm: long runs and constructors that draw many
// numbers take a seed (Config.Seed, sample.InitialPoints, energy.BuildModel)
// and derive their own PCG streams from it, one per chain, per iteration or
// per purpose (rand.NewPCG(seed, stream)); single draws take an explicit
// *rand.Rand (energy.ExactSampler.Sample, a Kernel's Step with one generator
// per chain, nn.NewLinear's initialization). Nothing uses the global
// math/rand source, so the same seed and the same GOMAXPROCS give the same
// numbers.
//
// Chain c of a run with seed S draws from its own generator
// rand.New(rand.NewPCG(S, uint64(c))) (math/rand/v2), and each step consumes a
// fixed number of variates per chain whatever the other chains do, so results
// do not depend on GOMAXPROCS, and, except through the pooled step-size
// calibration (see Calibration; off with CalibrateOff), not on the other
// chains of the batch either.
//
// # Non-finite energies and boxes
//
// An energy of +Inf means "outside the support": the Metropolis-adjusted kernels
// reject such proposals. NaN or −Inf energies, and non-finite gradients at points
// of finite energy, stop the run with a *NonFiniteError naming the chain, the
// phase, the step and the value. The unadjusted kernels (ULA, SGLDStyle,
// AnnealedLangevin) also stop on +Inf. A clamp Box confines the chains:
// unadjusted kernels clamp each coordinate after every step; the
// Metropolis-adjusted kernels instead treat points outside the box as +Inf
// energy, because
// clamping a proposal would make the proposal density singular on the box's
// faces and break detailed balance; with the box as part of the support they
// sample the target truncated to the box exactly.
package sample
