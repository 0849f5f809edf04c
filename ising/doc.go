// Package ising holds lattice spin models and their classic application to binary
// image restoration.
//
// Sign convention (as everywhere in ebm): p(s) ∝ exp(−E(s)/T); low energy is likely.
//
// Ising model. Spins s_i ∈ {−1,+1} live on an L×L square lattice with periodic
// boundaries, and
//
//	E(s) = −J Σ_<ij> s_i s_j − h Σ_i s_i,
//
// where Σ_<ij> runs over each nearest-neighbour bond once: every site is bonded to
// its right and its lower neighbour, 2N bonds for N = L² sites. (For L = 2 the
// right and left neighbours coincide, so each pair is joined by two bonds; this is
// the usual torus convention and the one Kaufman's formula uses.) Four Markov
// chain updates are provided, all exact for p ∝ exp(−E/T): checkerboard heat-bath
// Gibbs, single-site Metropolis, Wolff single-cluster and Swendsen-Wang; Run runs
// one and reports energy, |magnetization|, specific heat and susceptibility with
// standard errors and integrated autocorrelation times. ExactIsing enumerates
// lattices up to 4×4 and KaufmanLogZ gives the exact finite-lattice log Z at h = 0
// for any size.
//
// Potts model. States s_i ∈ {0,…,q−1}, E(s) = −J Σ_<ij> δ(s_i,s_j) − h Σ_i δ(s_i,0),
// sampled by checkerboard heat-bath Gibbs or Swendsen-Wang (RunPotts) and
// enumerated exactly for q^N ≤ 2^20 (ExactPotts). For q = 2 it is the Ising model
// with J_ising = J_potts/2 and h_ising = h_potts/2.
//
// Image restoration (Bishop, Pattern Recognition and Machine Learning, §8.3.3).
// A binary image x ∈ {−1,+1}^(H×W) is observed through noise as y; the posterior is
//
//	E(x) = −β Σ_<ij> x_i x_j − η Σ_i x_i y_i − h Σ_i x_i
//
// on the open (non-periodic) 4-neighbour grid. Restore finds a restoration by
// iterated conditional modes, simulated annealing, the posterior marginal mode from
// Gibbs sampling, or naive mean field. Note Bishop writes +h Σ x_i; here a positive
// h favours +1, as in the Ising model.
//
// Randomness comes only from explicit seeds (math/rand/v2 PCG), so the same seed
// gives the same numbers. Bad input is reported as an error, never a panic.
package ising
