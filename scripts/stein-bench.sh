#!/usr/bin/env bash
# Stein-discrepancy and KL-contraction benchmarks (docs/estimators-stein.md):
#  1. the KSD test's level under the null (4,000 replications, IMQ and RBF);
#  2. its power against a Gaussian-Bernoulli RBM with perturbed weights
#     (dx = 50, dh = 10, n = 500; Liu et al. 2016), table + ksd-power.png;
#  3. exact test NLL per dimension of a Gaussian with a learned precision matrix
#     in d = 10 for the closed-form MLE, sm, ssm, nce, ksd, lsd and klc;
#  4. the 8gaussians grid NLL of ksd, lsd and klc over seeds 1-3 (ebm compare).
# Figures go to OUT (default out/stein-bench). Takes tens of minutes; timings depend
# on the machine's load.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/stein-bench}
mkdir -p "$OUT"
export EBM_LONG=1 EBM_STEIN_OUT="$(cd "$OUT" && pwd)"
go test ./metric -run 'KSDTestNullLevel|KSDTestPowerGBRBM' -v -timeout 120m | tee "$OUT/ksd-test.txt"
go test ./train -run SteinTractableTable -v -timeout 120m | tee "$OUT/tractable.txt"
go run ./cmd/ebm compare --methods "ksd;ksd:c=0.3;lsd;klc" --seeds 1,2,3 | tee "$OUT/8gaussians.txt"
