// Package anomaly detects anomalies and out-of-distribution rows with an
// energy-based model that works out of the box on tables, in scikit-learn's
// shape: Fit, then AnomalyScore (higher = more anomalous) or ScoreSamples
// (its negative, higher = more normal), DecisionFunction and Predict with a
// threshold set by a contamination or a quantile of inlier scores.
//
// # The model
//
// A detector's energy over a raw row x (p(x) ∝ exp(−E(x))) is
//
//	z = (x − c) / s                   (robust standardization)
//	u = (z − m)·W,  WWᵀ = Σ⁻¹          (whitening by a robust Gaussian)
//	E(x) = ½‖u‖² + (1/M) Σₖ B·tanh(fₖ(u)/B)
//
// where:
//
//   - c is the column median and s the first positive of MAD·1.4826,
//     IQR/1.349, the standard deviation and 1 (a constant column): medians
//     and quartiles do not move much when a minority of rows are anomalies.
//   - Σ is a Ledoit–Wolf shrunk covariance (Ledoit & Wolf 2004, as
//     scikit-learn computes it), fitted robustly in the manner of the
//     reweighted minimum covariance determinant (Rousseeuw & Van Driessen
//     1999): C-steps refit on the h most central rows, h = ⌈(n + d + 1)/2⌉
//     of n rows in d columns by default (scikit-learn's MinCovDet rule, the
//     MCD's largest breakdown point; Options.Trim fixes another fraction),
//     when h < n and h > d (the MCD needs h > d), from deterministic starts
//     (the fit to all rows and the rows nearest the median, as in DetMCD)
//     and from 100 elemental starts (fits to d + 1 rows drawn from a fixed
//     stream, as in FastMCD, when h ≥ 2(d + 1); on a subsample of 600 rows
//     of a larger table) and keep the fit of least log det Σ; then every row
//     within the χ²_d 97.5% quantile (distances rescaled to the χ² median;
//     from the fit to all rows when there are no C-steps) is taken back.
//     Anomalies among the training rows therefore do not inflate Σ, and the
//     same procedure serves unsupervised fits (all rows, anomalies
//     included) and semi-supervised ones (inliers only). A semi-supervised
//     fit that declares its rows clean (Options.Novelty) skips both robust
//     steps: trimming clean rows only narrows the Gaussian to the inliers'
//     core.
//   - fₖ are M small SiLU networks (default 3 of 64×64), each trained by
//     denoising score matching (train.DenoisingSM through train.Trainer and
//     its train.Loop) on the whitened rows kept by the robust fit, as the
//     correction of the σ-smoothed Gaussian ½‖u‖²/(1 + σ²) (the exact energy
//     of N(0, I) convolved with N(0, σ²I)); different seeds, averaged. Each
//     adds at most B nats (default 8) in absolute value.
//
// Because the correction is bounded, E(x) ≥ ½‖u‖² − B: far from the data the
// score grows quadratically in every direction, so a point well outside the
// training data always scores above the training rows (the networks of an
// unbounded neural energy can assign arbitrary energies there, which is why
// such detectors swing with the seed). Near the data the networks reshape the
// ranking where the data are not elliptical (several modes, curved clouds).
//
// The threshold (Threshold, used by Predict and DecisionFunction and saved
// with the model) is the (1 − Contamination) quantile of the training rows'
// scores, or the Quantile (default 0.99) of the scores of HoldOut rows kept
// out of the fit, or of the training rows.
//
// # Files and tools
//
// Save writes a model folder of kind "anomaly" (package model) with the
// standardization, whitening, networks and threshold; Load, model.Load and
// energy.LoadEnergy read it back, as an energy.GradEnergy over raw rows whose
// energy is the anomaly score, with Threshold() float64. FitFile and
// ScoreFile are the jobs of "ebm anomaly fit" and "ebm anomaly score".
// PNGBits gives the compressed length used by the complexity-corrected
// out-of-distribution score of Serrà et al. (2020).
package anomaly
