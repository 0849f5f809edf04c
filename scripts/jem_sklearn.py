#!/usr/bin/env python3
"""Outside reference for `ebm jem`: scikit-learn's MLPClassifier with the same
layers (784-256-256-10; ReLU, as scikit-learn has no SiLU), Adam at 1e-3, batch 64,
the same number of epochs, on an MNIST-layout IDX folder. Prints one JSON line with
test accuracy, NLL and ECE (15 equal-width confidence bins, as metric.ECE).

usage: jem_sklearn.py DIR EPOCHS SEED
"""
import gzip, json, os, sys, time, warnings
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier


def idx(path):
    for p in (path + ".gz", path):
        if os.path.exists(p):
            with (gzip.open(p) if p.endswith(".gz") else open(p, "rb")) as f:
                b = f.read()
            nd = b[3]
            dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
            return np.frombuffer(b, np.uint8, offset=4 + 4 * nd).reshape(dims)
    raise SystemExit(f"no {path}[.gz]")


def ece(p, y, bins=15):
    conf, pred = p.max(1), p.argmax(1)
    b = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    e = 0.0
    for k in range(bins):
        m = b == k
        if m.any():
            e += m.sum() / len(y) * abs((pred[m] == y[m]).mean() - conf[m].mean())
    return e


d, epochs, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
xtr = idx(f"{d}/train-images-idx3-ubyte").reshape(-1, 784) / 255.0
ytr = idx(f"{d}/train-labels-idx1-ubyte")
xte = idx(f"{d}/t10k-images-idx3-ubyte").reshape(-1, 784) / 255.0
yte = idx(f"{d}/t10k-labels-idx1-ubyte")
clf = MLPClassifier(hidden_layer_sizes=(256, 256), activation="relu", solver="adam", learning_rate_init=1e-3,
                    batch_size=64, max_iter=epochs, random_state=seed, alpha=0.0)
t0 = time.time()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(xtr, ytr)
sec = time.time() - t0
p = clf.predict_proba(xte)
print(json.dumps({"data": d, "seed": seed, "epochs": epochs, "seconds": sec,
                  "accuracy": float((p.argmax(1) == yte).mean()),
                  "nll": float(-np.log(np.maximum(p[np.arange(len(yte)), yte], 1e-300)).mean()),
                  "ece": float(ece(p, yte))}))
