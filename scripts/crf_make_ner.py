#!/usr/bin/env python3
"""Writes the small synthetic named-entity files crf/testdata/ner-{train,test}.conll.

Sentences come from templates filled with person (PER), organization (ORG) and
location (LOC) names; labels are IOB2 (B-X starts an entity, I-X continues it, O
is outside). The test file uses names never seen in training, so a tagger must
rely on capitalization, word shape and context. Fixed seed: the output is the
same on every run.
"""
import os
import random

rng = random.Random(12)

FIRST = ["Anna", "Boris", "Carla", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas",
         "Karim", "Lena", "Marco", "Nadia", "Oskar", "Paula", "Quentin", "Rosa", "Samir", "Tara"]
LAST = ["Novak", "Okafor", "Petrov", "Quinn", "Rossi", "Silva", "Tanaka", "Urban", "Varga", "Weber",
        "Xu", "Young", "Zeller", "Adler", "Brandt", "Costa", "Dahl", "Eriksen", "Fischer", "Garcia"]
ORG1 = ["Acme", "Borealis", "Cobalt", "Delta", "Evergreen", "Fulcrum", "Granite", "Helix", "Ionic",
        "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orbit", "Pioneer"]
ORG2 = ["Corp", "Bank", "Systems", "Labs", "Group", "Airlines", "Motors", "Foods"]
LOC = [["Paris"], ["Berlin"], ["Lagos"], ["Osaka"], ["Lima"], ["Oslo"], ["Cairo"], ["Quito"],
       ["New", "York"], ["San", "Diego"], ["Cape", "Town"], ["Buenos", "Aires"], ["Hong", "Kong"],
       ["Kuala", "Lumpur"], ["Tel", "Aviv"], ["Rio", "de", "Janeiro"], ["Las", "Vegas"], ["Ulm"],
       ["Turin"], ["Perth"], ["Dakar"], ["Hanoi"], ["Kyiv"], ["Porto"]]

TEMPLATES = [
    "PER joined ORG in LOC last year .",
    "PER , the chief executive of ORG , said profits rose .",
    "ORG opened a new office in LOC on Monday .",
    "Shares of ORG fell after PER resigned .",
    "PER flew from LOC to LOC for the summit .",
    "The mayor of LOC met PER and PER at the station .",
    "ORG and ORG agreed to merge , PER told reporters in LOC .",
    "According to PER , ORG will hire 200 people in LOC .",
    "PER visited LOC .",
    "It rained in LOC all week .",
    "ORG reported a loss of 12 million dollars .",
    "PER said the talks with ORG went well .",
    "Fans in LOC cheered as PER scored twice .",
    "The report by ORG was published in LOC on Friday .",
    "Nobody expected the decision .",
    "PER thanked the staff of ORG .",
]


def split_names(items, k):
    items = list(items)
    rng.shuffle(items)
    return items[k:], items[:k]


first_tr, first_te = split_names(FIRST, 6)
last_tr, last_te = split_names(LAST, 6)
org1_tr, org1_te = split_names(ORG1, 5)
loc_tr, loc_te = split_names(LOC, 7)


def entity(kind, test):
    if kind == "PER":
        f, l = (first_te, last_te) if test else (first_tr, last_tr)
        words = [rng.choice(f), rng.choice(l)] if rng.random() < 0.7 else [rng.choice(l)]
    elif kind == "ORG":
        o = org1_te if test else org1_tr
        words = [rng.choice(o), rng.choice(ORG2)] if rng.random() < 0.8 else [rng.choice(o)]
    else:
        words = rng.choice(loc_te if test else loc_tr)
    return [(w, ("B-" if i == 0 else "I-") + kind) for i, w in enumerate(words)]


def sentence(test):
    out = []
    for tok in rng.choice(TEMPLATES).split():
        if tok in ("PER", "ORG", "LOC"):
            out.extend(entity(tok, test))
        else:
            out.append((tok, "O"))
    return out


def write(path, n, test):
    with open(path, "w") as f:
        for _ in range(n):
            for w, y in sentence(test):
                f.write(f"{w}\t{y}\n")
            f.write("\n")


here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crf", "testdata")
write(os.path.join(here, "ner-train.conll"), 300, False)
write(os.path.join(here, "ner-test.conll"), 120, True)
