#!/usr/bin/env bash
# Side-by-side training speed at image scale: ebm against the PyTorch peers
# scripts/peers/ebm_torch_mnist_{dsm,replay}.py (MLP 784-512-512-1 SiLU, MNIST
# pixels in [0,1], batch 128, Adam 1e-4, float32), alternating runs so both see
# the same machine load. Prints iterations/s per run, the medians, the ratio
# ebm/PyTorch and each ebm run's peak RSS.
#
# Usage: scripts/bench-mnist.sh [MNIST_IMAGES] [REPEATS] [ITERS]
# The peers need Debian's python3-torch and python3-threadpoolctl.
set -euo pipefail
images=${1:-/work/shared/data/mnist/train-images-idx3-ubyte.gz}
reps=${2:-3}
iters=${3:-200}
cd "$(dirname "$0")/.."
go build -o /tmp/ebm-bench-mnist ./cmd/ebm
py=/usr/bin/python3
. scripts/bench-lib.sh
printf '| workload | PyTorch it/s (runs) | ebm it/s (runs) | ratio ebm/PyTorch | ebm peak RSS MB |\n|---|---|---|---|---|\n'
for w in dsm replay; do
  case $w in
    dsm) method="dsm:sigma=0.3" ;;
    replay) method="replay:sampler=ula,step=0.001,k=20,box=1,buffer=10000,reinit=0.05,alpha=0.1" ;;
  esac
  tr=(); er=(); rss=()
  for r in $(seq "$reps"); do
    tr+=("$($py "scripts/peers/ebm_torch_mnist_$w.py" "$images" --iters "$iters" | field iters_per_sec)")
    /usr/bin/time -f '%M' -o /tmp/ebm-bench-mnist.rss /tmp/ebm-bench-mnist train --data "idx:$images" \
      --model mlp:hidden=512x512 --method "$method" --batch 128 --lr 1e-4 --iters "$iters" --ema 0 \
      --checkpoint-every 0 --seed "$r" --out "/tmp/ebm-bench-mnist-$w" --force --quiet --json >/tmp/ebm-bench-mnist.json
    er+=("$(field iters_per_sec </tmp/ebm-bench-mnist.json)")
    rss+=("$(( $(tail -1 /tmp/ebm-bench-mnist.rss) / 1024 ))")
  done
  tm=$(printf '%s\n' "${tr[@]}" | median); em=$(printf '%s\n' "${er[@]}" | median)
  printf '| %s | %.2f (%s) | %.2f (%s) | %.2f | %s |\n' "$w" "$tm" "$(printf '%.2f ' "${tr[@]}")" "$em" "$(printf '%.2f ' "${er[@]}")" \
    "$($py -c "print($em/$tm)")" "${rss[*]}"
done
