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
// the Metropolis-adjusted kernels (RWMH, MALA, HMC) adapt per chain as Stan does:
//
//   - the step size by dual averaging of its logarithm (Hoffman & Gelman 2014,
//     Stan's constants γ = 0.05, t₀ = 10, κ = 0.75, μ = log(10ε₀)) towards a
//     target mean acceptance probability (RWMH 0.234, MALA 0.574, HMC 0.8),
//     started after Stan's "find a reasonable step size" heuristic (double or
//     halve ε until a one-step trial's acceptance crosses 0.8), with ε₀ the
//     heuristic's result as in BlackJAX; after warm-up the step size is fixed
//     at exp(x̄), the dual-averaging average;
//   - the diagonal inverse metric, as the regularized variance of the chain's
//     positions, (n/(n+5))·var + 10⁻³·(5/(n+5)), over Stan's windows (an initial
//     buffer of 75 steps, slow windows doubling from 25, a terminal buffer of 50,
//     all scaled down to 15%/75%/10% of warm-up below 150 steps; no metric
//     adaptation below 20). The step-size adaptation (heuristic included)
//     restarts after each window.
//
// As in Stan, the acceptance after warm-up usually lands above the target,
// because exp(x̄) comes from the short terminal buffer and the acceptance is
// concave in log ε; Windows explains this and how a longer terminal buffer
// reduces it.
//
// # Randomness
//
// Chain c of a run with seed S draws from its own generator
// rand.New(rand.NewPCG(S, uint64(c))) (math/rand/v2), and each step consumes a
// fixed number of variates per chain whatever the other chains do, so results
// depend neither on GOMAXPROCS nor on how many other chains share the batch.
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
