// Package metric evaluates energy-based models and their samplers: grid log Z
// and negative log-likelihood for 2-D energies, the maximum mean discrepancy
// (MMD²) between two samples, the kernel Stein discrepancy (KSD²) of a sample
// against a score and its goodness-of-fit test (KSDTest, a wild-bootstrap
// p-value), the area under the ROC curve and the expected calibration
// error.
//
// Sign convention (shared with the whole library): p(x) = exp(−E(x))/Z, and the
// score is s(x) = ∇ₓ log p(x) = −∇ₓE(x).
//
// Samples are n×d tensors, one point per row.
//
// # Errors and non-finite values
//
// Every function that takes tensors or slices with a shape returns an error —
// never panics — for nil or mismatched shapes, too few points, invalid
// parameters, and for NaN or ±Inf in its inputs (including energies and scores
// computed on the way). AUROC, which takes two plain score lists, returns NaN
// instead: for an empty list or a NaN score (±Inf scores are ordered normally).
//
// # Determinism
//
// The O(n²) pair sums of MMD2 and KSD are split into fixed blocks of rows that
// run on up to GOMAXPROCS goroutines and are added in block order, so the result
// is bit-for-bit the same for any number of cores.
package metric
