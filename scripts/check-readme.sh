#!/usr/bin/env bash
# Runs every checked example of README.md (the quick ones and the slow ones:
# training runs, the demo, the estimator comparison) and compares the figures
# each command prints with the ones the README quotes. go test runs only the
# quick ones.
set -euo pipefail
cd "$(dirname "$0")/.."
EBM_README=all go test -count=1 -timeout 90m -run '^TestReadme$' -v ./cmd/ebm
