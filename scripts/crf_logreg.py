#!/usr/bin/env python3
"""Per-token multinomial logistic regression baseline for ebm crf, with scikit-learn.

  crf_logreg.py TRAIN.conll TEST.conll [C [MAX_ITER]]

Extracts the same attributes as crf.DefaultTemplates (bias, word, lower-cased word,
prefixes and suffixes 1-3 of the lower-cased word, collapsed shape, flags, lower-cased
words at ±1; the environment variables AFFIX, WINDOW and BIGRAMS=1 change them as
ebm crf train's --affix, --window and --bigrams do), one-hot encodes them (DictVectorizer) and fits an L2-penalized
multinomial logistic regression (lbfgs; C = 10 and 1000 iterations unless
given). Prints one JSON object with the token accuracy, the training time, and
the mean probability of the predicted tags with its expected calibration error
(ten bins, as ebm crf eval reports them).
"""
import json
import os
import sys
import time

import numpy as np

from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression


def read(path):
    sents, cur = [], []
    for line in open(path, encoding="utf-8"):
        f = line.split()
        if not f:
            if cur:
                sents.append(cur)
            cur = []
            continue
        cur.append((f[0], f[-1]))
    if cur:
        sents.append(cur)
    return sents


def shape(w):
    out, last = [], None
    for ch in w:
        c = "X" if ch.isupper() else "x" if ch.isalpha() else "d" if ch.isdigit() else ch
        if c != last:
            out.append(c)
            last = c
    return "".join(out)


AFFIX = int(os.environ.get("AFFIX", "3"))
WINDOW = int(os.environ.get("WINDOW", "1"))
BIGRAMS = os.environ.get("BIGRAMS", "0") == "1"


def attrs(words, t):
    w = words[t]
    lw = w.lower()
    a = {"b": 1, "w=" + w: 1, "l=" + lw: 1}
    for k in range(1, min(AFFIX, len(lw)) + 1):
        a[f"p{k}=" + lw[:k]] = 1
        a[f"s{k}=" + lw[-k:]] = 1
    a["sh=" + shape(w)] = 1
    up = sum(ch.isupper() for ch in w)
    low = sum(ch.isalpha() and not ch.isupper() for ch in w)
    dig = sum(ch.isdigit() for ch in w)
    if w[:1].isupper():
        a["cap"] = 1
    if up + low > 0 and low == 0:
        a["allcap"] = 1
    if dig:
        a["dig"] = 1
        if dig == len(w):
            a["alldig"] = 1
    if up + low == 0 and dig == 0:
        a["punct"] = 1
    if "-" in w:
        a["hyph"] = 1
    for d in range(1, WINDOW + 1):
        a[f"w-{d}=" + (words[t - d].lower() if t - d >= 0 else "<s>")] = 1
        a[f"w+{d}=" + (words[t + d].lower() if t + d < len(words) else "</s>")] = 1
    if BIGRAMS:
        if t > 0:
            a["w-1|w=" + words[t - 1].lower() + "|" + lw] = 1
        if t + 1 < len(words):
            a["w|w+1=" + lw + "|" + words[t + 1].lower()] = 1
    return a


def ece(conf, right, bins=10):
    """Expected calibration error over equal-width bins (b/bins, (b+1)/bins], as metric.ECEOf."""
    b = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for k in range(bins):
        m = b == k
        if m.any():
            total += abs(right[m].sum() - conf[m].sum())
    return float(total / len(conf))


def featurize(sents):
    X, y = [], []
    for s in sents:
        words = [w for w, _ in s]
        for t, (_, tag) in enumerate(s):
            X.append(attrs(words, t))
            y.append(tag)
    return X, y


def main():
    train, test = read(sys.argv[1]), read(sys.argv[2])
    C = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    max_iter = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    t0 = time.time()
    Xtr, ytr = featurize(train)
    vec = DictVectorizer()
    A = vec.fit_transform(Xtr)
    clf = LogisticRegression(C=C, max_iter=max_iter)
    clf.fit(A, ytr)
    secs = time.time() - t0
    Xte, yte = featurize(test)
    proba = clf.predict_proba(vec.transform(Xte))
    pred = clf.classes_[proba.argmax(axis=1)]
    acc = sum(p == g for p, g in zip(pred, yte)) / len(yte)
    conf = proba.max(axis=1)
    print(json.dumps({"model": "logistic regression (scikit-learn)", "C": C, "accuracy": acc,
                      "mean_confidence": float(conf.mean()), "ece": ece(conf, pred == np.array(yte)),
                      "train_seconds": secs, "features": A.shape[1],
                      "iterations": int(clf.n_iter_.max()), "max_iter": max_iter}))


main()
