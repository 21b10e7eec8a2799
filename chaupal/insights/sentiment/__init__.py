"""Sentiment of posts in English, Hindi (Devanagari) and Hinglish: negative, neutral, positive.

The model ships in `model/` and is loaded on first use; importing this package does no I/O.
"""

from __future__ import annotations

import threading

from chaupal.insights.sentiment.classifier import LABELS, Model, load

_model: Model | None = None
_lock = threading.Lock()


def get_model() -> Model:
    """Return the shipped model, loading it once."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = load()
    return _model


def classify(texts: list[str]) -> list[str]:
    """Return one label per text: "negative", "neutral" or "positive"."""
    return get_model().predict(list(texts))


def classify_one(text: str) -> str:
    return classify([text])[0]


__all__ = ["LABELS", "classify", "classify_one", "get_model"]
