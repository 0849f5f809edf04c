#!/usr/bin/env bash
# Minimum probability flow against pseudo-likelihood, CD-1, CD-10, PCD and naive
# mean field (scripts/mpfbench), and the Hopfield retrieval curves (ebm hopfield
# capacity). Figures, tables and JSON go to $OUT (default out/mpf-bench).
#
#   scripts/mpf-bench.sh                 # everything (about 10 minutes on one quiet core)
#   WHAT=ising scripts/mpf-bench.sh      # only the inverse-Ising figure
#   WHAT=klc scripts/mpf-bench.sh        # KL contraction (bit flips) against MPF and PL, d = 20
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-out/mpf-bench}
WHAT=${WHAT:-"ising rbm hopfield"}
mkdir -p "$OUT"
for w in $WHAT; do
	case $w in
	ising) go run ./scripts/mpfbench -what ising -d 50 -n 10000 -epochs 60 -batch 500 -out "$OUT" | tee "$OUT/inverse-ising.md" ;;
	klc)
		mkdir -p "$OUT/klc"
		go run ./scripts/mpfbench -what ising -d 20 -n 10000 -epochs 60 -batch 500 \
			-methods mpf,pl,klc-0.1-k1,klc-0.1-k5,klc-0.02-k1,klc-0.1-k1-clean -out "$OUT/klc" | tee "$OUT/klc/inverse-ising-klc.md" ;;
	rbm) go run ./scripts/mpfbench -what rbm -n 10000 -budget 5 -out "$OUT" | tee "$OUT/rbm10.md" ;;
	hopfield)
		go build -o "$OUT/ebm" ./cmd/ebm
		"$OUT/ebm" hopfield capacity --n 500 --trials 5 --force \
			--loads 0.02,0.04,0.06,0.08,0.1,0.11,0.12,0.13,0.14,0.15,0.16,0.18,0.2,0.25,0.3,0.4,0.5,0.6 \
			--plot "$OUT/hopfield-capacity.png" | tee "$OUT/hopfield-capacity.txt"
		"$OUT/ebm" hopfield store --data digits --patterns 10 --rule pinv --out "$OUT/hop-digits" --force
		"$OUT/ebm" hopfield recall --model "$OUT/hop-digits" --corrupt 0.1 --out "$OUT/hopfield-digits.png" --force
		if [ -f /work/shared/data/mnist/train-images-idx3-ubyte.gz ] || [ -n "${MNIST:-}" ]; then
			M=${MNIST:-/work/shared/data/mnist/train-images-idx3-ubyte.gz}
			"$OUT/ebm" hopfield store --data "idx:$M" --patterns 100 --rule modern --beta 0.1 --out "$OUT/mhn-mnist" --force
			"$OUT/ebm" hopfield recall --model "$OUT/mhn-mnist" --corrupt 0.2 --out "$OUT/hopfield-mnist.png" --force
		fi
		;;
	*) echo "unknown WHAT $w" >&2; exit 2 ;;
	esac
done
