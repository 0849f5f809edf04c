#!/usr/bin/env bash
# Out-of-distribution AUROC on images with ebm's anomaly detector: MNIST one
# class against the rest (each class, and the mean), Fashion-MNIST against
# MNIST and MNIST against Fashion-MNIST; for the energy E(x), the score norm
# ‖∇ₓE‖ and the complexity-corrected E(x) − ln2·PNG bits. Prints a Markdown
# table (see TestImagesOOD in anomaly/images_test.go for the protocol).
#
# Usage: scripts/anomaly-images.sh [MNIST_DIR] [FASHION_DIR]
# Fashion-MNIST: apt-get install dataset-fashion-mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
EBM_LONG=1 EBM_MNIST=${1:-/work/shared/data/mnist} EBM_FASHION=${2:-/usr/share/datasets/fashion-mnist} \
  nice -n 10 go test ./anomaly -run '^TestImagesOOD$' -v -timeout 2h | sed -n 's/^ *images_test.go:[0-9]*: //p; s/^ *\(|.*\)/\1/p'
