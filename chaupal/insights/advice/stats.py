"""The statistics behind advice: a log-linear Poisson regression (quasi-likelihood) with an
offset, fitted by IRLS in numpy, robust (sandwich) standard errors, and Holm's correction."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

Z95 = float(norm.ppf(0.975))


@dataclass
class Ratio:
    """exp(coefficient) of one indicator: the ratio of expected engagement per post."""

    ratio: float
    low: float
    high: float
    p: float


def fit_poisson(y: np.ndarray, x: np.ndarray, offset: np.ndarray, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of log E[y] = offset + x @ b and their HC1 sandwich covariance.

    The Poisson score equations stay unbiased when counts are overdispersed (as engagement
    is); the sandwich covariance makes the intervals honest without assuming a variance
    function (Zou 2004, 'modified Poisson'; Cameron & Trivedi ch. 3)."""
    n, k = x.shape
    mu = y + 0.5
    eta = np.log(mu)
    beta = np.zeros(k)
    for _ in range(max_iter):
        z = eta - offset + (y - mu) / mu
        w = mu
        xtw = x.T * w
        new = np.linalg.solve(xtw @ x, xtw @ z)
        eta = np.clip(offset + x @ new, -700, 700)
        mu = np.exp(eta)
        done = np.max(np.abs(new - beta)) < 1e-10
        beta = new
        if done:
            break
    bread = np.linalg.inv((x.T * mu) @ x)
    resid = y - mu
    meat = (x.T * resid**2) @ x
    cov = bread @ meat @ bread * (n / max(1, n - k))
    return beta, cov


def indicator_ratio(y: np.ndarray, arm: np.ndarray, covariates: np.ndarray, offset: np.ndarray) -> Ratio | None:
    """The engagement ratio of posts in `arm` against the rest, holding `covariates` (which
    include the intercept) fixed; None when one side has no engagement at all (no estimate)."""
    if y[arm].sum() <= 0 or y[~arm].sum() <= 0:
        return None
    x = np.column_stack([arm.astype(float), covariates])
    try:
        beta, cov = fit_poisson(y, x, offset)
    except np.linalg.LinAlgError:
        return None
    se = math.sqrt(max(cov[0, 0], 0.0))
    b = float(beta[0])
    if not math.isfinite(b) or not math.isfinite(se) or se == 0.0:
        return None
    p = float(2 * norm.sf(abs(b) / se))
    return Ratio(math.exp(b), math.exp(b - Z95 * se), math.exp(b + Z95 * se), p)


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error rate across all tests)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted
