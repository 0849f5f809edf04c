#!/usr/bin/env bash
# Side-by-side RealNVP benchmark: ebm flow train against the PyTorch peer
# (flow_torch_realnvp.py) on 8gaussians, 8 affine couplings with 64x64 ReLU
# conditioners, batch 256, float32, alternating runs so both see the same
# machine load. Prints iterations/s and grid NLL per run.
#
# Usage: scripts/flow-bench.sh [PEERS_DIR] [REPEATS] [ITERS]
#
# Rows: "peer" (Adam 1e-3, constant), "ebm same" (the peer's settings),
# "ebm cosine" (Adam 2e-3 with cosine decay: the recipe that meets the
# 2.95 target at 2,000 iterations).
set -euo pipefail
peers=${1:-../shared/peers}
reps=${2:-2}
iters=${3:-2000}
cd "$(dirname "$0")/.."
go build -o /tmp/ebm-flow-bench ./cmd/ebm
py=/usr/bin/python3
# The peer prints one JSON line (after any warnings); ebm prints one indented JSON object.
get() { python3 -c "
import json, sys
s = sys.stdin.read().strip()
try:
    d = json.loads(s)
except ValueError:
    d = json.loads(s.splitlines()[-1])
print('%.1f %.4f' % (d['iters_per_sec'], d.get('nll_grid', d.get('grid_nll'))))"; }
printf '| run | it/s | grid NLL |\n|---|---|---|\n'
for r in $(seq "$reps"); do
  printf '| peer (seed 0) | %s |\n' "$($py "$peers/flow_torch_realnvp.py" --iters "$iters" | get | sed 's/ / | /')"
  printf '| ebm same settings (seed %s) | %s |\n' "$r" "$(/tmp/ebm-flow-bench flow train --data 8gaussians \
    --flow realnvp:layers=8,hidden=64 --iters "$iters" --lr 1e-3 --seed "$r" --out /tmp/ebm-flow-bench-out --force --quiet --json | get | sed 's/ / | /')"
  printf '| ebm cosine 2e-3 (seed %s) | %s |\n' "$r" "$(/tmp/ebm-flow-bench flow train --data 8gaussians \
    --flow realnvp:layers=8,hidden=64 --iters "$iters" --lr 2e-3 --schedule cosine --seed "$r" --out /tmp/ebm-flow-bench-out --force --quiet --json | get | sed 's/ / | /')"
done
