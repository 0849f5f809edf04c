#!/usr/bin/env python3
"""Summarize scripts/jem-bench.sh outputs as Markdown tables (mean ± sd over seeds)."""
import glob, json, os, statistics as st, sys

out = sys.argv[1]


def load(p):
    with open(p) as f:
        return json.load(f)


def ms(v):
    if not v:
        return "–"
    if len(v) == 1:
        return f"{v[0]:.4f}"
    return f"{st.mean(v):.4f} ± {st.stdev(v):.4f}"


for ds in ("mnist", "fashion"):
    print(f"\n### {ds}\n")
    print("| model | seeds | test accuracy | NLL | ECE | s/epoch | sampling share | rollbacks |")
    print("|---|---|---|---|---|---|---|---|")
    for w, name in (("jem", "JEM (ebm)"), ("base", "baseline (ebm, weight 0)")):
        rs = [load(p) for p in sorted(glob.glob(f"{out}/{ds}-{w}-s*.json"))]
        rs = [r for r in rs if "test_eval" in r]
        if not rs:
            continue
        ev = [r["test_eval"] for r in rs]
        print(f"| {name} | {len(rs)} | {ms([e['accuracy'] for e in ev])} | {ms([e['nll'] for e in ev])} | "
              f"{ms([e['ece'] for e in ev])} | {st.mean(r['seconds_per_epoch'] for r in rs):.1f} | "
              f"{st.mean(r['sampling_share'] for r in rs):.2f} | {sum(r['rollbacks'] for r in rs)} |")
    sk = [load(p) for p in sorted(glob.glob(f"{out}/sk-{ds}-s*.json"))]
    if sk:
        print(f"| scikit-learn MLPClassifier (ReLU) | {len(sk)} | {ms([r['accuracy'] for r in sk])} | "
              f"{ms([r['nll'] for r in sk])} | {ms([r['ece'] for r in sk])} | {st.mean(r['seconds'] for r in sk):.1f} | – | – |")
    print(f"\nOOD AUROC ({ds} test set = in-distribution; higher score = out of distribution)\n")
    print("| model | OOD set | seeds | E(x) = −log p(x) | −max softmax | ‖∇ₓ log p(x)‖ |")
    print("|---|---|---|---|---|---|")
    for w, name in (("jem", "JEM"), ("base", "baseline")):
        rs = [load(p) for p in sorted(glob.glob(f"{out}/ood-{ds}-{w}-s*.json"))]
        names = []
        for r in rs:
            for o in r.get("ood", []):
                if o["name"] not in names:
                    names.append(o["name"])
        for n in names:
            os_ = [o for r in rs for o in r["ood"] if o["name"] == n]
            print(f"| {name} | {os.path.basename(n.split(':', 1)[-1]) or n} | {len(os_)} | {ms([o['auroc_energy'] for o in os_])} | "
                  f"{ms([o['auroc_max_softmax'] for o in os_])} | {ms([o['auroc_grad_norm'] for o in os_])} |")
    p = f"{out}/samples-{ds}.json"
    if os.path.exists(p):
        r = load(p)
        print(f"\nclass-conditional samples ({r['per_class']} per class): assigned to their class by the baseline "
              f"{r.get('baseline_agreement', float('nan')):.3f}, by the JEM itself {r['self_agreement']:.3f}")
    p = f"{out}/uniform-{ds}.json"
    if os.path.exists(p):
        r = load(p)
        print(f"samples from uniform noise (100 steps): baseline {r.get('baseline_agreement', float('nan')):.3f}, "
              f"JEM {r['self_agreement']:.3f}")
    p = f"{out}/starts-{ds}.json"
    if os.path.exists(p):
        r = load(p)
        print(f"control, the class-Gaussian starting points themselves: baseline {r.get('baseline_agreement', float('nan')):.3f}, "
              f"JEM {r['self_agreement']:.3f}")
