#!/usr/bin/env bash
# Scaling and memory of ebm's training and sampling:
#  1. cost against batch size (DSM, 2-D, batch 64 … 4,096) and number of chains
#     (one ULA step, 8 … 4,096 chains), on 1 and 2 cores (go test -bench -cpu 1,2;
#     ns/op is wall time, cpu-ns/op the process CPU time per iteration);
#  2. 1- vs 2-core speed of the MNIST workloads (GOMAXPROCS=1 and 2);
#  3. peak RSS (/usr/bin/time) of the MNIST workloads at ITERS and 10×ITERS
#     iterations, and of ebm eval (grid NLL and 2,000 ULA samples) on a 2-D model,
#     with 1,000 and 10,000 sampler steps.
#
# Usage: scripts/bench-scaling.sh [MNIST_IMAGES] [ITERS]
set -euo pipefail
images=${1:-/work/shared/data/mnist/train-images-idx3-ubyte.gz}
iters=${2:-20}
cd "$(dirname "$0")/.."
go build -o /tmp/ebm-bench-scaling ./cmd/ebm
ebm=/tmp/ebm-bench-scaling
py=/usr/bin/python3
. scripts/bench-lib.sh

echo "## Batch and chain scaling (go test -bench, -cpu 1,2)"
go test ./train -run XXX -bench 'DSMBatch|ULAChains' -benchtime 20x -cpu 1,2 | grep '^Benchmark'

mnist() { # mnist WORKLOAD ITERS -> "it/s peakRSS_MB"
  local method
  case $1 in
    dsm) method="dsm:sigma=0.3" ;;
    replay) method="replay:sampler=ula,step=0.001,k=20,box=1,buffer=10000,reinit=0.05,alpha=0.1" ;;
  esac
  /usr/bin/time -f '%M' -o /tmp/ebm-bench-scaling.rss $ebm train --data "idx:$images" --model mlp:hidden=512x512 \
    --method "$method" --batch 128 --lr 1e-4 --iters "$2" --ema 0 --checkpoint-every 0 --seed 1 \
    --out /tmp/ebm-bench-scaling-out --force --quiet --json >/tmp/ebm-bench-scaling.json
  echo "$(field iters_per_sec </tmp/ebm-bench-scaling.json) $(( $(tail -1 /tmp/ebm-bench-scaling.rss) / 1024 ))"
}

echo
echo "## MNIST: 1 vs 2 cores ($iters iterations)"
printf '| workload | it/s GOMAXPROCS=1 | it/s GOMAXPROCS=2 | speed-up |\n|---|---|---|---|\n'
for w in dsm replay; do
  a=$(GOMAXPROCS=1 mnist $w "$iters" | cut -d' ' -f1)
  b=$(GOMAXPROCS=2 mnist $w "$iters" | cut -d' ' -f1)
  printf '| %s | %.2f | %.2f | %.2f |\n' $w "$a" "$b" "$($py -c "print($b/$a)")"
done

echo
echo "## Peak RSS"
printf '| run | peak RSS MB |\n|---|---|\n'
for w in dsm replay; do
  for n in "$iters" $((10 * iters)); do
    printf '| ebm train MNIST %s, %d iterations | %s |\n' $w "$n" "$(mnist $w "$n" | cut -d' ' -f2)"
  done
done
$ebm train --data 8gaussians --method dsm:sigma=0.1 --iters 200 --out /tmp/ebm-bench-scaling-2d --force --quiet >/dev/null
/usr/bin/time -f '%M' -o /tmp/ebm-bench-scaling.rss $ebm eval --model /tmp/ebm-bench-scaling-2d --quiet --json >/dev/null
printf '| ebm eval, 2-D model (grid NLL on 10,000 points, 2,000 ULA samples × 1,000 steps) | %s |\n' \
  "$(( $(tail -1 /tmp/ebm-bench-scaling.rss) / 1024 ))"
/usr/bin/time -f '%M' -o /tmp/ebm-bench-scaling.rss $ebm eval --model /tmp/ebm-bench-scaling-2d --steps 10000 --quiet --json >/dev/null
printf '| ebm eval, 2-D model, 10× longer sampling (2,000 ULA samples × 10,000 steps) | %s |\n' \
  "$(( $(tail -1 /tmp/ebm-bench-scaling.rss) / 1024 ))"
