#!/usr/bin/python3
"""AUROC of ebm's anomaly detector against scikit-learn on the same splits.

For every data set and seed the script draws one split, writes it as CSV files,
fits `ebm anomaly fit` on them (through the binary given by --ebm) and
scikit-learn's IsolationForest, LocalOutlierFactor (novelty=True), OneClassSVM
(RBF, gamma="scale", nu=0.1) and a full-covariance Gaussian (Ledoit-Wolf
shrunk empirical covariance, Mahalanobis distance) on the same training rows,
and scores the same test rows. The scikit-learn baselines other than
IsolationForest see the rows standardized (StandardScaler fitted on the
training rows), as their distances need.

Splits (seed s draws everything with numpy's default_rng(s)):
  breast_cancer: benign rows are inliers, malignant ones outliers; the inliers
    are split in halves (train, test); the training outliers are malignant rows
    drawn to make 10% of the training set; the test outliers are all the other
    malignant rows.
  wine: classes 1 and 2 are inliers, class 0 the outliers; as breast_cancer.
  digits, mnist: one class against the rest, for each of the 10 classes
    (averaged): inliers the class; training outliers drawn from the other
    classes to make 10% of the training set; test: the held-out inliers and as
    many rows of the other classes (disjoint from the training rows). MNIST
    uses --mnist-train rows of the class from its training file (pixels / 255)
    and --mnist-test of each side from its test file.
Modes: unsupervised (fit on the training inliers and outliers) and
semi-supervised (fit on the training inliers only, which ebm is told with
`--novelty` as LocalOutlierFactor runs with novelty=True; --no-novelty leaves
it out); same test rows.
The AUROC ranks the test outliers above the test inliers by anomaly score.

Output: a Markdown table of mean ± standard deviation over the seeds per set,
mode and method, the suite means, and (with --model-seeds) the standard
deviation of ebm over model seeds on the split of seed 0 alone.
"""
import argparse, gzip, json, os, subprocess, sys, tempfile, time
import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor
from sklearn.svm import OneClassSVM
from sklearn.covariance import LedoitWolf
from sklearn.preprocessing import StandardScaler
from sklearn.metrics import roc_auc_score

METHODS = ["ebm", "iforest", "lof", "ocsvm", "gauss"]


def load_sklearn_csv(path):
    with gzip.open(path, "rt") as f:
        first = f.readline()
        rows = np.loadtxt(f, delimiter=",")
    if len(first.split(",")) < 3 or not first.split(",")[0].isdigit():  # digits: no header line
        rows = np.vstack([np.array(first.split(","), float), rows])
    return rows[:, :-1], rows[:, -1].astype(int)


def load_idx(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(dims)


def splits(name, seed, data, args):
    """Yields (train_in, train_out, test_in, test_out) arrays."""
    rng = np.random.default_rng(seed)
    if name in ("breast_cancer", "wine"):
        X, y = data
        inl = (y == 1) if name == "breast_cancer" else (y != 0)
        I, O = rng.permutation(np.where(inl)[0]), rng.permutation(np.where(~inl)[0])
        h = len(I) // 2
        k = int(round(h / 9))
        yield X[I[:h]], X[O[:k]], X[I[h:]], X[O[k:]]
        return
    if name == "digits":
        X, y = data
        for c in range(10):
            I, O = rng.permutation(np.where(y == c)[0]), rng.permutation(np.where(y != c)[0])
            h = len(I) // 2
            k = int(round(h / 9))
            m = len(I) - h
            yield X[I[:h]], X[O[:k]], X[I[h:]], X[O[k:k + m]]
        return
    (Xtr, ytr), (Xte, yte) = data
    for c in range(10):
        I = rng.permutation(np.where(ytr == c)[0])[:args.mnist_train]
        k = int(round(len(I) / 9))
        O = rng.permutation(np.where(ytr != c)[0])[:k]
        TI = rng.permutation(np.where(yte == c)[0])[:args.mnist_test]
        TO = rng.permutation(np.where(yte != c)[0])[:args.mnist_test]
        yield Xtr[I], Xtr[O], Xte[TI], Xte[TO]


def run_ebm(args, tmp, train, test, seed, novelty=False):
    trf, tef, out = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv"), os.path.join(tmp, "det")
    np.savetxt(trf, train, delimiter=",", fmt="%.9g")
    np.savetxt(tef, test, delimiter=",", fmt="%.9g")
    subprocess.run([args.ebm, "anomaly", "fit", "--data", trf, "--out", out, "--force", "--seed", str(seed)]
                   + (["--novelty"] if novelty else []) + args.ebm_flags.split(), check=True, stdout=subprocess.DEVNULL)
    r = subprocess.run([args.ebm, "anomaly", "score", "--model", out, "--data", tef],
                       check=True, capture_output=True, text=True)
    lines = r.stdout.strip().split("\n")[1:]
    return np.array([float(l.split(",")[1]) for l in lines])


def run_sklearn(method, train, test, seed):
    if method == "iforest":
        return -IsolationForest(random_state=seed).fit(train).score_samples(test)
    sc = StandardScaler().fit(train)
    a, b = sc.transform(train), sc.transform(test)
    if method == "lof":
        return -LocalOutlierFactor(novelty=True).fit(a).score_samples(b)
    if method == "ocsvm":
        return -OneClassSVM(gamma="scale", nu=0.1).fit(a).score_samples(b)
    if method == "gauss":
        return LedoitWolf().fit(a).mahalanobis(b)
    raise ValueError(method)


def evaluate(args, tmp, name, data, seed, methods, model_seed=None):
    res = {m: [] for m in methods}
    secs = {m: 0.0 for m in methods}
    for mode in ("unsupervised", "semi-supervised"):
        per = {m: [] for m in methods}
        for tr_in, tr_out, te_in, te_out in splits(name, seed, data, args):
            train = np.vstack([tr_in, tr_out]) if mode == "unsupervised" else tr_in
            test = np.vstack([te_in, te_out])
            y = np.r_[np.zeros(len(te_in)), np.ones(len(te_out))]
            for m in methods:
                t0 = time.time()
                ms = seed if model_seed is None else model_seed
                if m == "ebm":
                    s = run_ebm(args, tmp, train, test, ms, novelty=mode == "semi-supervised" and not args.no_novelty)
                else:
                    s = run_sklearn(m, train, test, ms)
                secs[m] += time.time() - t0
                per[m].append(roc_auc_score(y, s))
        for m in methods:
            res[m].append((mode, float(np.mean(per[m]))))
    return res, secs


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ebm", default="/tmp/ebm-anomaly-bench")
    p.add_argument("--ebm-flags", default="", help="extra flags for ebm anomaly fit")
    p.add_argument("--no-novelty", action="store_true",
                   help="semi-supervised fits without --novelty (by default ebm is told its rows are inliers, "
                        "as LocalOutlierFactor runs with novelty=True)")
    p.add_argument("--data", default="/work/shared/data")
    p.add_argument("--sets", default="breast_cancer,wine,digits,mnist")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--mnist-train", type=int, default=1000)
    p.add_argument("--mnist-test", type=int, default=500)
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--model-seeds", action="store_true", help="also ebm's sd over model seeds on split 0")
    p.add_argument("--json", help="write all figures to this JSON file")
    args = p.parse_args()
    methods = args.methods.split(",")
    sets = args.sets.split(",")
    data = {}
    for s in sets:
        if s == "mnist":
            d = os.path.join(args.data, "mnist")
            if not os.path.exists(os.path.join(d, "train-images-idx3-ubyte.gz")):
                print("mnist: files absent, skipped", file=sys.stderr)
                continue
            f = lambda n: load_idx(os.path.join(d, n))
            data[s] = ((f("train-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0, f("train-labels-idx1-ubyte.gz")),
                       (f("t10k-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0, f("t10k-labels-idx1-ubyte.gz")))
        else:
            data[s] = load_sklearn_csv(os.path.join(args.data, s + ".csv.gz"))
    table = {}  # (set, mode, method) -> [auroc per seed]
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for s in data:
            for seed in range(args.seeds):
                res, secs = evaluate(args, tmp, s, data[s], seed, methods)
                for m, vals in res.items():
                    for mode, v in vals:
                        table.setdefault((s, mode, m), []).append(v)
                    times[(s, m)] = times.get((s, m), 0) + secs[m]
                print(f"{s} seed {seed}: " + ", ".join(f"{m} {res[m][0][1]:.3f}/{res[m][1][1]:.3f}" for m in methods),
                      file=sys.stderr, flush=True)
        stab = {}
        if args.model_seeds and "ebm" in methods:
            for s in data:
                for ms in range(args.seeds):
                    res, _ = evaluate(args, tmp, s, data[s], 0, ["ebm"], model_seed=100 + ms)
                    for mode, v in res["ebm"]:
                        stab.setdefault((s, mode), []).append(v)
    print("| data set | mode | " + " | ".join(methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    for s in data:
        for mode in ("unsupervised", "semi-supervised"):
            cells = []
            for m in methods:
                v = np.array(table[(s, mode, m)])
                cells.append(f"{v.mean():.3f} ± {v.std(ddof=1):.3f}" if len(v) > 1 else f"{v.mean():.3f} (1 seed)")
            print(f"| {s} | {mode} | " + " | ".join(cells) + " |")
    means = {m: np.mean([np.mean(v) for (s, mo, mm), v in table.items() if mm == m]) for m in methods}
    print("| **suite mean** | both | " + " | ".join(f"**{means[m]:.3f}**" for m in methods) + " |")
    print()
    print("Seconds per seed (fit + score, all splits and both modes): " + "; ".join(
        f"{s}: " + ", ".join(f"{m} {times[(s, m)] / args.seeds:.1f}" for m in methods) for s in data))
    if stab:
        print()
        print("| data set | mode | ebm AUROC over model seeds 100-%d on split 0 (mean ± sd) |" % (99 + args.seeds))
        print("|---|---|---|")
        for (s, mode), v in stab.items():
            v = np.array(v)
            print(f"| {s} | {mode} | {v.mean():.4f} ± {v.std(ddof=1):.4f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"table": {"|".join(k): v for k, v in table.items()},
                       "model_seeds": {"|".join(k): v for k, v in stab.items()}}, f, indent=1)


if __name__ == "__main__":
    main()
