#!/usr/bin/env bash
# Side-by-side training speed: ebm against the PyTorch peers on the same workload
# (MLP 2-128-128-1 SiLU, batch 256, 8gaussians, float32), alternating runs so
# both see the same machine load. Prints iterations/s per run, the medians and
# the ratio ebm/PyTorch, then each run's grid NLL (nats, 300×300 grid over
# [-4,4]², 10,000 held-out points; PyTorch's from the peer's own evaluation).
#
# Usage: scripts/bench-peers.sh [PEERS_DIR] [REPEATS] [ITERS]
# The peers need Debian's python3-torch (see PEERS_DIR/README.md).
set -euo pipefail
peers=${1:-../shared/peers}
reps=${2:-3}
iters=${3:-1000}
cd "$(dirname "$0")/.."
go build -o /tmp/ebm-bench ./cmd/ebm
py=/usr/bin/python3
. scripts/bench-lib.sh
printf '| workload | PyTorch it/s (runs) | ebm it/s (runs) | ratio ebm/PyTorch |\n|---|---|---|---|\n'
nll=()
for w in ssm dsm pcd; do
  case $w in
    ssm) method="ssm" ;;
    dsm) method="dsm:sigma=0.1" ;;
    pcd) method="replay:sampler=sgld,step=0.01,noise=0.005,k=20,alpha=0.1,buffer=10000,reinit=0.05,box=4" ;;
  esac
  tr=(); er=(); tn=(); en=()
  for r in $(seq "$reps"); do
    $py "$peers/ebm_torch_$w.py" --iters "$iters" --eval-steps 1 >/tmp/ebm-bench-peer.json
    tr+=("$(field iters_per_sec </tmp/ebm-bench-peer.json)")
    tn+=("$(field grid_nll_test </tmp/ebm-bench-peer.json)")
    /tmp/ebm-bench train --data 8gaussians --method "$method" --iters "$iters" --ema 0 \
      --checkpoint-every 0 --seed "$r" --out "/tmp/ebm-bench-$w" --force --quiet --json >/tmp/ebm-bench-ebm.json
    er+=("$(field iters_per_sec </tmp/ebm-bench-ebm.json)")
    en+=("$(field nll_grid </tmp/ebm-bench-ebm.json)")
  done
  tm=$(printf '%s\n' "${tr[@]}" | median); em=$(printf '%s\n' "${er[@]}" | median)
  printf '| %s | %.1f (%s) | %.1f (%s) | %.2f |\n' "$w" "$tm" "$(printf '%.0f ' "${tr[@]}")" "$em" "$(printf '%.0f ' "${er[@]}")" \
    "$(python3 -c "print($em/$tm)")"
  nll+=("$(printf '| %s | %s| %s|' "$w" "$(printf '%.3f ' "${tn[@]}")" "$(printf '%.3f ' "${en[@]}")")")
done
printf '\n| workload | PyTorch grid NLL (runs) | ebm grid NLL (runs, seeds 1..%s) |\n|---|---|---|\n' "$reps"
printf '%s\n' "${nll[@]}"
