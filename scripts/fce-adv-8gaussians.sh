#!/bin/sh
# Flow-contrastive and adversarial training on 8gaussians under the README's
# grid-NLL protocol (batch 256, 2,000 iterations, 10,000 held-out points),
# seeds 1-3. Prints one line per run: method, seed, grid NLL, grid log Z and
# the learned log Z (fce). Takes about a minute per run on a quiet core.
set -eu
EBM=${EBM:-go run ./cmd/ebm}
OUT=${OUT:-$(mktemp -d)}
for m in fce adv adv:sampler=noisy; do
	for s in 1 2 3; do
		d="$OUT/$(echo "$m" | tr ':,=' '___')_s$s"
		$EBM train --data 8gaussians --method "$m" --iters 2000 --batch 256 --seed "$s" \
			--out "$d" --force --quiet --json |
			python3 -c "import sys,json; d=json.load(sys.stdin); print('$m', $s, round(d['nll_grid'],4), round(d['logz_grid'],4), (d.get('extra') or {}).get('fce_logz',''), round(d['iters_per_sec'],1))"
	done
done
