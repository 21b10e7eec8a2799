"""The shipped sentiment model: loading the weight file and scoring a batch of texts.

One feature pass per batch feeds three linear heads: a language head (English or Hinglish)
and one sentiment head per language. Devanagari text is romanised first and always goes to
the Hinglish head.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from chaupal.insights.sentiment.devanagari import has_devanagari, romanise
from chaupal.insights.sentiment.features import FeatureConfig, Lexicon, tf_triples

LABELS = ("negative", "neutral", "positive")
MODEL_FILE = "sentiment.npz"


@dataclass(frozen=True)
class Model:
    """Weights as saved by training: columns are en(3), hinglish(3), language(1)."""

    config: FeatureConfig
    idf: np.ndarray  # float32 [n_features]
    weights: np.ndarray  # float32 [n_features, 7], C order
    bias: np.ndarray  # float32 [7]
    lexicon: Lexicon
    meta: dict

    def features(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (row, column, value) of the tf-idf matrix, rows sorted, unit length."""
        row, col, tf = tf_triples(texts, self.config, self.lexicon)
        value = tf * self.idf[col]
        norm = np.sqrt(np.bincount(row, weights=value * value, minlength=len(texts)))
        norm[norm == 0] = 1.0
        return row, col, value / norm[row]

    def outputs(self, texts: list[str]) -> np.ndarray:
        """Raw linear outputs [n, 7]."""
        row, col, value = self.features(texts)
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=len(texts)), out=indptr[1:])
        x = sp.csr_matrix(
            (value.astype(np.float32), col, indptr), shape=(len(texts), self.config.n_features)
        )
        return np.asarray(x @ self.weights) + self.bias

    def scores(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Return (sentiment scores [n, 3], is_hinglish [n]) for `texts`."""
        devanagari = np.zeros(len(texts), dtype=bool)
        if has_devanagari("".join(texts)):
            devanagari[:] = [has_devanagari(t) for t in texts]
            texts = [romanise(t) if d else t for t, d in zip(texts, devanagari)]
        out = self.outputs(texts)
        hinglish = devanagari | (out[:, 6] > 0)
        return np.where(hinglish[:, None], out[:, 3:6], out[:, 0:3]), hinglish

    def predict(self, texts: list[str]) -> list[str]:
        if not texts:
            return []
        scores, _ = self.scores(texts)
        labels = np.array(LABELS)[scores.argmax(axis=1)]
        empty = np.array([not t.strip() for t in texts], dtype=bool)
        labels[empty] = "neutral"
        return labels.tolist()


def save(
    path: Path, config: FeatureConfig, idf, weights, bias, lexicon: Lexicon, meta: dict
) -> None:
    """Write the model as int8 weights and uint8 idf, each with a float scale."""
    w_scale = np.abs(weights).max(axis=0) / 127.0
    w_scale[w_scale == 0] = 1.0
    idf_scale = float(idf.max()) / 255.0
    np.savez_compressed(
        path,
        config=np.array(json.dumps(config.__dict__)),
        meta=np.array(json.dumps(meta)),
        idf=np.round(idf / idf_scale).astype(np.uint8),
        idf_scale=np.float32(idf_scale),
        weights=np.round(weights / w_scale).astype(np.int8),
        weight_scale=w_scale.astype(np.float32),
        bias=np.asarray(bias, dtype=np.float32),
        lexicon_hashes=lexicon.hashes,
        lexicon_classes=lexicon.classes,
    )


def load(path: Path | None = None) -> Model:
    """Load the model shipped in chaupal/insights/sentiment/model/ (or one at `path`)."""
    if path is None:
        ref = resources.files("chaupal.insights.sentiment") / "model" / MODEL_FILE
        with resources.as_file(ref) as real:
            return load(real)
    with np.load(path, allow_pickle=False) as z:
        return Model(
            config=FeatureConfig(**json.loads(str(z["config"]))),
            idf=z["idf"].astype(np.float32) * z["idf_scale"],
            # C order: scipy's sparse product would otherwise copy the weights on every call.
            weights=np.ascontiguousarray(z["weights"].astype(np.float32) * z["weight_scale"]),
            bias=z["bias"],
            lexicon=Lexicon(hashes=z["lexicon_hashes"], classes=z["lexicon_classes"]),
            meta=json.loads(str(z["meta"])),
        )
