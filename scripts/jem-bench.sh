#!/usr/bin/env bash
# Long measurements of `ebm jem` (figures in BENCHMARKS.md): JEM against the
# discriminative baseline (ebm's own, --weight 0, same network and budget) and
# scikit-learn's MLPClassifier with the same layers, on MNIST and Fashion-MNIST;
# OOD AUROC of three scores; class-conditional samples checked by the baseline.
#
# usage: scripts/jem-bench.sh [OUTDIR] [SEEDS] [EPOCHS] [EXTRA JEM FLAGS...]
#   defaults: OUTDIR=jem-bench SEEDS="1 2 3 4 5" EPOCHS=1; W=w sets JEM's generative weight
#   (default 1); PAR=N runs N trainings at once (default 1: for timings, run with PAR=1 on a
#   quiet machine); SKSEEDS lists the seeds of the scikit-learn runs (default SEEDS).
#   EXTRA flags go to the JEM runs only.
# Needs MNIST in $MNIST (default /work/shared/data/mnist) and Fashion-MNIST in
# $FASHION (default /usr/share/datasets/fashion-mnist, Debian dataset-fashion-mnist).
set -euo pipefail
OUT=${1:-jem-bench}
SEEDS=${2:-1 2 3 4 5}
EPOCHS=${3:-1}
shift $(( $# < 3 ? $# : 3 ))
EXTRA="$*"
PAR=${PAR:-1}
W=${W:-1}
SKSEEDS=${SKSEEDS:-$SEEDS}
MNIST=${MNIST:-/work/shared/data/mnist}
FASHION=${FASHION:-/usr/share/datasets/fashion-mnist}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
EBM=${EBM:-$OUT/ebm}
[ -x "$EBM" ] || (cd "$HERE/.." && go build -o "$EBM" ./cmd/ebm)
NICE="nice -n 10"
dir() { if [ "$1" = mnist ]; then echo "$MNIST"; else echo "$FASHION"; fi; }

# Training: JEM, scikit-learn and the ebm baseline (weight 0) for every data set and seed, the
# longest runs first.
{
  for m in jem sk base; do
    for ds in mnist fashion; do
      D=$(dir $ds)
      seeds=$SEEDS
      [ $m = sk ] && seeds=$SKSEEDS
      for s in $seeds; do
        if [ $m = sk ]; then
          [ -f "$OUT/sk-$ds-s$s.json" ] || echo "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $NICE /usr/bin/python3 $HERE/jem_sklearn.py $D $EPOCHS $s > $OUT/sk-$ds-s$s.json.tmp && mv $OUT/sk-$ds-s$s.json.tmp $OUT/sk-$ds-s$s.json"
          continue
        fi
        name=$ds-$m-s$s
        if [ $m = jem ]; then flags="--weight $W $EXTRA"; else flags="--weight 0"; fi
        [ -f "$OUT/$name.json" ] || echo "$NICE $EBM jem train --data idx:$D --test idx:$D --epochs $EPOCHS $flags --seed $s --samples-per-class 0 --out $OUT/$name --force --quiet --json > $OUT/$name.json.tmp && mv $OUT/$name.json.tmp $OUT/$name.json"
      done
    done
  done
} | xargs -d '\n' -P "$PAR" -I{} bash -c {}

for ds in mnist fashion; do
  if [ $ds = mnist ]; then D=$MNIST; O=$FASHION; else D=$FASHION; O=$MNIST; fi
  # OOD: every seed's JEM and baseline against the other data set (and uniform noise for Fashion-MNIST).
  for s in $SEEDS; do
    for m in jem base; do
      name=$ds-$m-s$s
      [ -f "$OUT/ood-$name.json" ] && continue
      extra=()
      [ $ds = fashion ] && extra=(--ood-uniform 10000)
      $NICE "$EBM" jem eval --model "$OUT/$name" --data idx:$D --ood idx:$O "${extra[@]}" --json > "$OUT/ood-$name.json"
    done
  done
  # Class-conditional samples of the first seed's JEM (100 SGLD-style steps on E(x, y) from the
  # class Gaussians), checked by the first seed's baseline; the control is the starting points
  # themselves (one step of size 1e-9 without noise), to show what the sampling adds.
  s1=${SEEDS%% *}
  $NICE "$EBM" jem sample --model "$OUT/$ds-jem-s$s1" --data idx:$D --init class-gaussian --baseline "$OUT/$ds-base-s$s1" \
    --per-class 10 --out "$OUT/samples-$ds.png" --force --json > "$OUT/samples-$ds.json"
  $NICE "$EBM" jem sample --model "$OUT/$ds-jem-s$s1" --data idx:$D --init class-gaussian --baseline "$OUT/$ds-base-s$s1" \
    --per-class 10 --sampler sgld:step=1e-9,noise=0,steps=1 --out "$OUT/starts-$ds.png" --force --json > "$OUT/starts-$ds.json"
  # The same from uniform noise (no data-shaped start).
  $NICE "$EBM" jem sample --model "$OUT/$ds-jem-s$s1" --data idx:$D --init uniform --baseline "$OUT/$ds-base-s$s1" \
    --per-class 10 --out "$OUT/uniform-$ds.png" --force --json > "$OUT/uniform-$ds.json"
done
/usr/bin/python3 "$HERE/jem_summary.py" "$OUT" | tee "$OUT/summary.md"
