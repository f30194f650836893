"""Recalibrating the scorecard's PDs on the latest outcomes.

The scorecard is fitted on the development sample, whose outcomes end at T0, so
its PDs carry that window's default rate. The out-of-time window (T0, end of P]
holds the latest twelve months of outcomes; the PDs the policy grades on are
recalibrated there: the log-odds of default ``d`` become ``a + b·d``, fitted by
maximum likelihood on the out-of-time outcomes (logistic recalibration, Cox 1958).
With few defaults only ``a`` is fitted (calibration in the large, ``b = 1``). A
monotone map keeps the scorecard's ranking, so discrimination is untouched.

The out-of-time sample cannot then judge the recalibrated PDs as they are: for the
validation the map is *cross-fitted* (:func:`crossfit`): the PD of each customer
comes from a map fitted on the other folds' customers, never on its own outcome.
The map that grades the customers of P is fitted on the whole window.

>>> import numpy as np
>>> r = fit_recalibration(np.array([0, 1, 0, 1]), np.zeros(4), "intercept", min_rows=1)
>>> round(r.intercept, 6), r.slope, r.method
(0.0, 1.0, 'intercept')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

#: Recalibration methods: intercept and slope, intercept only, or none.
METHODS: tuple[str, ...] = ("logistic", "intercept", "none")
_ITER, _TOL = 100, 1e-10


@dataclass(frozen=True)
class Recalibration:
    """The map ``d ↦ intercept + slope·d`` of log-odds of default, with the method
    actually used (a fall-back is recorded), the rows and defaults it was fitted on.
    """

    intercept: float = 0.0
    slope: float = 1.0
    method: str = "none"
    n: int = 0
    defaults: int = 0

    def log_odds(self, d: np.ndarray) -> np.ndarray:
        """Recalibrated log-odds of default."""
        return self.intercept + self.slope * np.asarray(d, dtype=float)

    def pd(self, d: np.ndarray) -> np.ndarray:
        """Recalibrated probability of default from log-odds ``d``."""
        return _expit(self.log_odds(d))

    def points(self, d: np.ndarray, offset: float, factor: float) -> np.ndarray:
        """Scorecard points of the recalibrated PDs (``offset − factor·log-odds``)."""
        return offset - factor * self.log_odds(d)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of ``p``, clipped away from 0 and 1."""
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def _fit_intercept(y: np.ndarray, d: np.ndarray) -> float:
    """The ``a`` with Σ expit(a + d) = Σ y (Newton; the score equation is monotone)."""
    a, k = 0.0, float(y.sum())
    for _ in range(_ITER):
        p = _expit(a + d)
        step = (k - p.sum()) / max(float((p * (1 - p)).sum()), 1e-12)
        a += float(np.clip(step, -5.0, 5.0))
        if abs(step) < _TOL:
            break
    return a


def _fit_logistic(y: np.ndarray, d: np.ndarray) -> tuple[float, float] | None:
    """Maximum-likelihood ``(a, b)`` of ``y ~ expit(a + b·d)`` (Newton–Raphson);
    None when it does not converge (outcomes separated by the score: no finite
    maximum).
    """
    X = np.column_stack([np.ones_like(d), d])
    beta = np.array([_fit_intercept(y, d), 1.0])
    for _ in range(_ITER):
        p = _expit(X @ beta)
        w = p * (1 - p)
        hess = X.T @ (X * w[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, X.T @ (y - p))
        beta += np.clip(step, -5.0, 5.0)
        if float(np.max(np.abs(step))) < 1e-8:
            return float(beta[0]), float(beta[1])
    return None


def fit_recalibration(
    y: np.ndarray, d: np.ndarray, method: str = "logistic", *, min_rows: int = 10
) -> Recalibration:
    """Fit the recalibration of log-odds ``d`` to outcomes ``y`` (1 = default).

    ``logistic`` fits intercept and slope when there are at least ``min_rows``
    defaults and as many non-defaults, and the slope comes out positive (a map that
    reverses the ranking is no recalibration) and finite (the outcomes are not
    separated by the score); otherwise it falls back to
    ``intercept``, which needs one default and one non-default; otherwise ``none``.
    """
    if method not in METHODS:
        raise ValueError(f"recalibration method {method!r} is not one of {list(METHODS)}")
    y = np.asarray(y, dtype=float)
    d = np.asarray(d, dtype=float)
    n, k = len(y), int(y.sum())
    if method == "none" or k == 0 or k == n:
        return Recalibration(n=n, defaults=k)
    if method == "logistic" and min(k, n - k) >= min_rows:
        fitted = _fit_logistic(y, d)
        if fitted is not None and fitted[1] > 0:
            return Recalibration(fitted[0], fitted[1], "logistic", n, k)
    return Recalibration(_fit_intercept(y, d), 1.0, "intercept", n, k)


def crossfit(
    y: np.ndarray, d: np.ndarray, method: str, *, folds: int, seed: int, min_rows: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Out-of-fold recalibrated PDs and, per row, the other folds' default rate (the
    fair constant forecast to judge them against); None when fewer than two
    defaults or non-defaults make folds impossible.

    Folds are stratified by outcome (``folds`` at most, fewer when a class is
    smaller); each row is one customer, so no customer is in two folds.
    """
    y = np.asarray(y, dtype=int)
    k = min(folds, int(y.sum()), int((1 - y).sum()))
    if k < 2:
        return None
    fold_of = np.empty(len(y), dtype=int)
    for i, (_, test) in enumerate(
        StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    ):
        fold_of[test] = i
    return crossfit_folds(y, d, fold_of, method, min_rows=min_rows)


def crossfit_folds(
    y: np.ndarray, d: np.ndarray, fold_of: np.ndarray, method: str, *, min_rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`crossfit` with the folds given (``fold_of[i]`` = row i's fold): row i's
    PD comes from a map fitted on the rows of the other folds only.
    """
    y = np.asarray(y, dtype=int)
    d = np.asarray(d, dtype=float)
    pd_ = np.empty(len(y))
    base = np.empty(len(y))
    for f in np.unique(fold_of):
        test = fold_of == f
        r = fit_recalibration(y[~test], d[~test], method, min_rows=min_rows)
        pd_[test] = r.pd(d[test])
        base[test] = float(y[~test].mean())
    return pd_, base
