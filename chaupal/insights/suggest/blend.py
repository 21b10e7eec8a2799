"""A linear blend of candidate features, learned with a listwise (softmax) ranking loss.

Training labels come from a validation split carved out of the training follows, never from
the evaluation holdout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from chaupal.insights.suggest.features import FEATURES


@dataclass(frozen=True)
class BlendModel:
    """score = ((features - mean) / scale) @ weights."""

    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    def score(self, feats: np.ndarray, valid: np.ndarray) -> np.ndarray:
        z = ((feats - self.mean) / self.scale) @ self.weights
        return np.where(valid, z, -np.inf)

    def describe(self) -> dict[str, float]:
        """Weight per feature, in standardised units."""
        return {name: float(w) for name, w in zip(FEATURES, self.weights, strict=True)}


def fit_listwise(
    feats: np.ndarray, valid: np.ndarray, labels: np.ndarray, l2: float = 1e-3
) -> BlendModel:
    """Fit weights so each user's held-out follows get high softmax mass among its candidates.

    feats: users x candidates x features; valid, labels: users x candidates booleans.
    Users without a labelled candidate carry no signal and are dropped.
    """
    keep = (labels & valid).any(axis=1)
    feats, valid, labels = feats[keep], valid[keep], labels[keep] & valid[keep]
    if not len(feats):
        raise ValueError("no user has a held-out follow among its candidates")
    flat = feats[valid]
    mean = flat.mean(axis=0)
    scale = flat.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x = (feats - mean) / scale
    x[~valid] = 0.0
    target = labels / labels.sum(axis=1, keepdims=True)
    users = len(x)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = np.where(valid, x @ w, -np.inf)
        top = z.max(axis=1, keepdims=True)
        e = np.exp(z - top)
        total = e.sum(axis=1, keepdims=True)
        log_p = z - top - np.log(total)
        value = -np.sum(target * np.where(labels, log_p, 0.0)) / users + l2 * w @ w
        p = e / total
        grad = np.einsum("uc,ucf->f", p - target, x) / users + 2 * l2 * w
        return float(value), grad

    result = minimize(
        loss, np.zeros(x.shape[2]), jac=True, method="L-BFGS-B", options={"maxiter": 500}
    )
    return BlendModel(weights=result.x, mean=mean, scale=scale)
