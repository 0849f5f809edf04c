// Package restore makes corrupted observations more likely under an energy
// model of clean data: denoising, restoration and inpainting, the jobs that
// need no partition function.
//
// Sign convention as everywhere in ebm: the prior is p(x) ∝ exp(−E(x)).
//
// # Gaussian noise, y = x + σξ
//
//   - Tweedie (one-step empirical Bayes): x̂ = y − σ²∇E_σ(y), where E_σ is the
//     energy of the noisy data p_σ = p * N(0, σ²I) (an energy trained by
//     denoising score matching at σ, a noise-conditional energy at its nearest
//     level, or an analytic energy's exact Smoothed(σ)). It is the posterior
//     mean E[x | y] when E_σ is right (Robbins 1956, Efron 2011).
//   - MAP: argminₓ E(x) + ‖x − y‖²/(2σ²) by batched gradient descent with a
//     per-row Armijo backtracking step ([Minimize]). Without the fidelity term
//     descent would drift to the nearest mode of the prior.
//   - Posterior sampling: the posterior energy E(x) + ‖x − y‖²/(2σ²) is built
//     by composition ([Posterior]: energy.Sum of the prior and [Fidelity]) and
//     sampled by any kernel of package sample (MALA, ULA, annealed Langevin); the
//     draws give the posterior mean and a per-coordinate standard deviation.
//
// # Binary data, bit flips with rate ρ
//
// Under an RBM prior and independent flips, log p(y | v) = Σᵢ vᵢ(2yᵢ − 1)·λ + c
// with λ = log((1−ρ)/ρ), so the posterior is the same RBM with the visible bias
// b + λ(2y − 1) ([RBMPosterior]): block Gibbs sampling of it gives the
// posterior marginals p(vᵢ = 1 | y) (Rao-Blackwellized) and their mode (the
// minimum expected bit error); ICM descends the posterior free energy one
// pixel at a time; annealing runs Gibbs at falling temperatures, then ICM.
// The Ising prior of package ising is the hand-set comparison.
//
// # Inpainting and conditioning
//
// [Conditional] is the energy of the free coordinates of x with the others
// clamped to observed values, for any GradEnergy; sample it or minimize it
// ([InpaintSample], [InpaintMAP]). RBMs clamp visible units in their Gibbs
// sampler ([RBMPosterior] with a mask). [RectMask] and [ReadMaskPNG] make image
// masks.
//
// # Jobs and baselines
//
// [Job] is what ebm denoise and ebm inpaint run: a loaded model, the noise
// ([ParseNoise]), a method (tweedie, map, posterior, gibbs, icm, anneal) and
// optionally a mask and the clean data, checked before any work (Check) and
// reported with MSE, PSNR and bit error. [GaussianBlur] and [PCA] projection
// are the simple baselines of the MNIST benchmark (scripts/denoise-bench.sh).
//
// # Batches of observations
//
// Observations are the rows of an m×d matrix. The batch energies here
// ([Fidelity], [Posterior], [Conditional]) tie chain c to observation c mod m,
// so that K chains per observation are K stacked copies of the m rows; they
// must be evaluated on batches whose row count is a multiple of m.
package restore
