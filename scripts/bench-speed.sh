#!/usr/bin/env bash
# Every speed comparison of BENCHMARKS.md in one run, printed as its Markdown
# tables: training speed side by side with the PyTorch peers on the 2-D
# workloads (scripts/bench-peers.sh, with grid NLLs) and at image scale
# (scripts/bench-mnist.sh, with peak RSS), then scaling with batch size, chains
# and cores and peak memory (scripts/bench-scaling.sh), then the Go benchmarks
# of the hot paths with their allocation counts.
#
# Usage: scripts/bench-speed.sh [PEERS_DIR] [MNIST_IMAGES] [REPEATS]
# Needs Debian's python3-torch and python3-threadpoolctl for the peers.
set -euo pipefail
peers=${1:-../shared/peers}
images=${2:-/work/shared/data/mnist/train-images-idx3-ubyte.gz}
reps=${3:-3}
peers=$(cd "$peers" && pwd)
images=$(cd "$(dirname "$images")" && pwd)/$(basename "$images")
cd "$(dirname "$0")/.."
echo "# Speed, $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo
echo "## 2-D workloads against PyTorch (1,000 iterations, runs interleaved)"
echo
scripts/bench-peers.sh "$peers" "$reps" 1000
echo
echo "## MNIST against PyTorch (100 iterations, runs interleaved)"
echo
scripts/bench-mnist.sh "$images" "$reps" 100
echo
scripts/bench-scaling.sh "$images" 100
echo
echo "## Hot paths (go test -bench, allocations per operation)"
echo
go test ./tensor -run XXX -bench 'ActDerivSiLU|Elementwise32' -benchmem -cpu 1 | grep '^Benchmark' || true
go test ./optim -run XXX -bench 'AdamStep' -benchmem -cpu 1 | grep '^Benchmark' || true
# each SIMD kernel this CPU has (avx512, avx2); gonum, vek and pure Go are in BenchmarkGemm32's full output
go test ./internal/gemm -run XXX -bench 'Gemm32/(256x128x128|128x784x512)/' -cpu 1,2 | grep '^Benchmark' | grep -E 'avx' || true
# PyTorch's product on the same machine, one and two threads (torch's and OpenBLAS's pools both capped)
/usr/bin/python3 scripts/peers/gemm_torch.py 1 || true
/usr/bin/python3 scripts/peers/gemm_torch.py 2 || true
go test ./train -run XXX -bench 'LangevinStep|IterSSM|IterDSM|IterReplay$' -benchtime 200x -benchmem | grep '^Benchmark' || true
go test ./train -run XXX -bench 'IterMNIST' -benchtime 10x -benchmem | grep '^Benchmark' || true
go test ./sample -run XXX -bench 'MALAStep|HMCStep' -benchmem | grep '^Benchmark' || true
