"""Scoring the sentiment model on the held-in sets: macro recall, macro F1, accuracy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chaupal.insights.sentiment.classifier import LABELS, Model

EN_VAL = "en-tweeteval-val.tsv"
HI_DEV = "hinglish-sentimix-dev.tsv"


def load_tsv(path: Path) -> tuple[list[str], list[str]]:
    """Read a `label<TAB>text` file with a header row (see shared/data/README.md)."""
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").split("\n")[1:]:
        if line:
            label, text = line.split("\t")
            labels.append(label)
            texts.append(text)
    return texts, labels


def metrics(gold: list[str], pred: list[str]) -> dict[str, float]:
    g, p = np.array(gold), np.array(pred)
    recalls, f1s = [], []
    for label in LABELS:
        tp = float(np.sum((g == label) & (p == label)))
        recall = tp / max(np.sum(g == label), 1)
        precision = tp / max(np.sum(p == label), 1)
        recalls.append(recall)
        f1s.append(0.0 if tp == 0 else 2 * precision * recall / (precision + recall))
    return {
        "macro_recall": 100 * float(np.mean(recalls)),
        "macro_f1": 100 * float(np.mean(f1s)),
        "accuracy": 100 * float(np.mean(g == p)),
    }


def score_sets(model: Model, data: Path) -> dict[str, dict[str, float]]:
    """Score the model, language routing included, on the English val and Hinglish dev sets."""
    out = {}
    for name, hinglish in ((EN_VAL, False), (HI_DEV, True)):
        texts, gold = load_tsv(data / name)
        row = metrics(gold, model.predict(texts))
        _, routed = model.scores(texts)
        row["routed_to_own_head"] = 100 * float(np.mean(routed == hinglish))
        out[name.removesuffix(".tsv")] = row
    return out
