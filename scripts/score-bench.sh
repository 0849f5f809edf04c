#!/bin/sh
# Measures ebm score on a generated CSV of about 1 GB (peak RSS and rows/s)
# and ebm serve under a bounded loopback load (requests/s, p50/p99 at batch 1
# and 256, memory over a 60-s soak, graceful shutdown under load).
# Everything is written under $WORK (default /tmp/ebm-score-bench); nothing
# in the repository. Usage: scripts/score-bench.sh [csv|serve|all]
set -eu
WORK=${WORK:-/tmp/ebm-score-bench}
ROWS=${ROWS:-45000000}      # about 1 GB at ~22 bytes per row
SOAK=${SOAK:-60}
mkdir -p "$WORK"
cd "$(dirname "$0")/.."
go build -o "$WORK/ebm" ./cmd/ebm
go build -o "$WORK/loadgen" ./scripts/loadgen
EBM="$WORK/ebm"

if [ ! -f "$WORK/model/model/model.json" ]; then
  "$EBM" train --data 8gaussians --method dsm --model mlp:hidden=64x64 --iters 500 --seed 1 --quiet --out "$WORK/model" --force > /dev/null
fi
MODEL="$WORK/model"

what=${1:-all}
if [ "$what" = csv ] || [ "$what" = all ]; then
  if [ ! -f "$WORK/big.csv" ]; then
    # x, y ~ 8gaussians-sized normals; label 1 beyond radius 3.
    awk -v n="$ROWS" 'BEGIN { srand(1); print "x,y,label";
      for (i = 0; i < n; i++) { u = rand(); v = rand(); r = sqrt(-2*log(1-u)) * 2;
        x = r*cos(6.283185307*v); y = r*sin(6.283185307*v);
        printf "%.6f,%.6f,%d\n", x, y, (x*x + y*y > 9) } }' > "$WORK/big.csv"
  fi
  ls -l "$WORK/big.csv"
  # Without labels everything streams; with labels the energies and labels
  # are kept for AUROC/AP/best F1 (9 bytes per row).
  echo "without labels:"
  /usr/bin/time -v "$EBM" score --model "$MODEL" --data "$WORK/big.csv" --columns x,y \
      --out "$WORK/scores.parquet" --force --json 2> "$WORK/time.txt" > "$WORK/score.json"
  cat "$WORK/score.json"
  grep -E "Maximum resident|Elapsed" "$WORK/time.txt"
  echo "with --labels label:"
  /usr/bin/time -v "$EBM" score --model "$MODEL" --data "$WORK/big.csv" --labels label \
      --out "$WORK/scores-labelled.csv" --force --json 2> "$WORK/time-labels.txt" > "$WORK/score-labels.json"
  cat "$WORK/score-labels.json"
  grep -E "Maximum resident|Elapsed" "$WORK/time-labels.txt"
fi

if [ "$what" = serve ] || [ "$what" = all ]; then
  "$EBM" serve --model m="$MODEL" --addr 127.0.0.1:18080 2> "$WORK/serve.log" &
  SPID=$!
  sleep 2
  URL=http://127.0.0.1:18080/v1/models/m/score
  for b in 1 256; do
    "$WORK/loadgen" -url "$URL" -dim 2 -batch $b -c 8 -d 20s
  done
  echo "soak ${SOAK}s, batch 64:"
  "$WORK/loadgen" -url "$URL" -dim 2 -batch 64 -c 8 -d "${SOAK}s" -rss-pid $SPID
  echo "graceful shutdown under load (SIGTERM after 5 s):"
  "$WORK/loadgen" -url "$URL" -dim 2 -batch 256 -c 8 -d 30s > "$WORK/shutdown.json" &
  LPID=$!
  sleep 5
  kill -TERM $SPID
  wait $SPID; echo "server exit status $?"
  wait $LPID
  cat "$WORK/shutdown.json"
  tail -2 "$WORK/serve.log"
fi
