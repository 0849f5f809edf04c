#!/usr/bin/env bash
# AUROC of ebm's anomaly detector against scikit-learn's IsolationForest,
# LocalOutlierFactor, OneClassSVM and a Ledoit-Wolf Gaussian, unsupervised and
# semi-supervised, on the same splits of breast_cancer, wine, digits and MNIST
# (one class against the rest). See scripts/anomaly_bench.py for the protocol.
#
# Usage: scripts/anomaly-bench.sh [DATA_DIR] [extra flags for anomaly_bench.py]
# Needs Debian's python3-sklearn (it runs /usr/bin/python3). MNIST is skipped
# when DATA_DIR/mnist is absent.
set -euo pipefail
data=${1:-/work/shared/data}
shift || true
cd "$(dirname "$0")/.."
go build -o /tmp/ebm-anomaly-bench ./cmd/ebm
exec nice -n 10 /usr/bin/python3 scripts/anomaly_bench.py --ebm /tmp/ebm-anomaly-bench --data "$data" --model-seeds "$@"
