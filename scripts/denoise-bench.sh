#!/bin/sh
# Denoising benchmark on MNIST (see scripts/denoisebench/main.go):
#   Gaussian noise σ = 0.3: PSNR of ebm's Tweedie, MAP and posterior-mean
#   denoisers (a DSM MLP energy trained here) against the noisy input, Gaussian
#   blur and PCA projection (width and rank chosen on validation images);
#   bit flips ρ = 0.1 on binarized MNIST: bit error of the RBM-prior posterior
#   (Gibbs marginal mode, ICM, annealing) against the Ising prior (ICM, Gibbs).
# Writes OUT/results.json, OUT/gauss-panels.png, OUT/flip-panels.png and the
# trained models OUT/dsm-mnist and OUT/rbm-mnist (usable with ebm denoise).
#
# Usage: scripts/denoise-bench.sh [OUT] [extra flags, e.g. -iters 2000]
# MNIST comes from $MNIST (default /work/shared/data/mnist).
set -eu
OUT=${1:-out/denoise-bench}
[ $# -gt 0 ] && shift
MNIST=${MNIST:-/work/shared/data/mnist}
if [ ! -f "$MNIST/train-images-idx3-ubyte.gz" ]; then
	echo "denoise-bench: no MNIST in $MNIST (set MNIST=folder with the IDX files)" >&2
	exit 2
fi
go build -o /tmp/ebm-denoisebench ./scripts/denoisebench
nice -n 10 /tmp/ebm-denoisebench -mnist "$MNIST" -out "$OUT" "$@"
echo
echo "The same models from the command line, for example:"
echo "  ebm denoise --model $OUT/dsm-mnist --idx $MNIST/t10k-images-idx3-ubyte.gz --limit 16 --clean --noise gauss:sigma=0.3 --method tweedie --out out/dn"
echo "  ebm denoise --model $OUT/rbm-mnist --idx $MNIST/t10k-images-idx3-ubyte.gz --limit 16 --clean --noise flip:rate=0.1 --method gibbs --out out/flip"
