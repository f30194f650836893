"""The breach-risk estimator, its grouped cross-fitting, the flag threshold policy and
the validation statistics.

* :func:`fit_calibrated` — logistic regression on one-hot categories, spline terms of
  the share of each limit used and standardised counts; folds grouped by complaint
  (:func:`grouped_folds`: a complaint's landmark rows are all in one fold, so no
  complaint is both fitted and held out); a sigmoid (Platt) calibration fitted on the
  out-of-fold scores; the out-of-fold probabilities are returned for the threshold.
* :func:`precision_threshold` — the lowest cut-off at which the held-out precision
  reaches a stated target (the policy: "at least this share of the flagged complaints
  go on to breach").
* :func:`evaluate`, :func:`reliability_table` — Brier score, Brier skill score
  against the base rate, ROC AUC, precision and recall of the flags, and the
  reliability table (equal-count bins, Wilson intervals).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from workbench.sla._risk_landmarks import CATEGORICAL

__all__ = [
    "MIN_FLAGS",
    "N_FOLDS",
    "CalibratedModel",
    "evaluate",
    "fit_calibrated",
    "grouped_folds",
    "precision_threshold",
    "reliability_table",
]

N_FOLDS = 3
#: A precision is estimated on at least this many held-out flagged rows.
MIN_FLAGS = 10
_Z = 1.959964


def _pipeline(seed: int) -> Any:
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

    prep = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(CATEGORICAL)),
            ("used", SplineTransformer(n_knots=5, degree=2, extrapolation="constant"),
             make_column_selector(pattern="^used_")),
        ],
        remainder=StandardScaler(),
    )
    return make_pipeline(prep, LogisticRegression(C=1.0, max_iter=2000, random_state=seed))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass(frozen=True)
class CalibratedModel:
    """A fitted pipeline and the sigmoid calibration of its scores."""

    pipeline: Any
    features: tuple[str, ...]
    slope: float = 1.0
    intercept: float = 0.0

    def predict(self, x: pl.DataFrame) -> np.ndarray:
        """Calibrated probability of breaching, one per row of ``x`` (missing features 0)."""
        missing = [c for c in self.features if c not in x.columns]
        x = x.with_columns(pl.lit(0.0).alias(c) for c in missing).select(self.features)
        z = self.pipeline.decision_function(x.to_pandas())
        return _sigmoid(self.slope * z + self.intercept)


def grouped_folds(groups: pl.Series, k: int, seed: int) -> np.ndarray:
    """Fold (0..k-1) of every row; all rows of a group (complaint) in the same fold."""
    from sklearn.model_selection import GroupKFold

    # dense ranks of the ids: the same codes whatever else the process has seen
    codes = groups.rank("dense").to_numpy()
    fold = np.empty(len(codes), dtype=np.int64)
    splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for f, (_, test) in enumerate(splitter.split(codes, groups=codes)):
        fold[test] = f
    return fold


def fit_calibrated(
    x: pl.DataFrame, y: np.ndarray, groups: pl.Series, seed: int
) -> tuple[CalibratedModel, np.ndarray | None] | None:
    """Fit on all rows, calibrated on grouped out-of-fold scores.

    Returns the model and the out-of-fold calibrated probabilities (None when too few
    complaints breached for ``N_FOLDS`` grouped folds: then uncalibrated), or None when
    ``y`` has one class only.
    """
    from sklearn.linear_model import LogisticRegression

    if x.height == 0 or len(np.unique(y)) < 2:
        return None
    features = tuple(x.columns)
    xp = x.to_pandas()
    full = _pipeline(seed).fit(xp, y)
    n_pos_groups = groups.filter(pl.Series(y == 1)).n_unique()
    k = min(N_FOLDS, n_pos_groups, groups.n_unique() - n_pos_groups)
    if k < 2:
        return CalibratedModel(full, features), None
    fold = grouped_folds(groups, k, seed)
    z = np.empty(len(y))
    for f in range(k):
        tr, te = fold != f, fold == f
        if len(np.unique(y[tr])) < 2:
            return CalibratedModel(full, features), None
        z[te] = _pipeline(seed).fit(xp[tr], y[tr]).decision_function(xp[te])
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(z.reshape(-1, 1), y)
    slope, intercept = float(platt.coef_[0, 0]), float(platt.intercept_[0])
    model = CalibratedModel(full, features, slope, intercept)
    return model, _sigmoid(slope * z + intercept)


def precision_threshold(
    y: np.ndarray, p: np.ndarray, target: float, min_flags: int = MIN_FLAGS
) -> tuple[float | None, dict[str, Any]]:
    """The lowest cut-off t whose flags (p ≥ t) have precision ≥ ``target`` on
    ``min_flags`` rows or more (the most breaches caught at that precision); None when
    no cut-off reaches it. Also returns the precision and recall at t.
    """
    order = np.argsort(-p, kind="stable")
    ps, ys = p[order], y[order]
    n = np.arange(1, len(ps) + 1)
    tp = np.cumsum(ys)
    precision = tp / n
    # only the last row of a run of equal probabilities is a possible cut-off
    last_of_tie = np.append(ps[1:] != ps[:-1], True)
    ok = last_of_tie & (n >= min_flags) & (precision >= target)
    if not ok.any():
        return None, {"precision_fit": None, "recall_fit": None}
    i = int(np.flatnonzero(ok)[-1])
    total = max(int(ys.sum()), 1)
    return float(ps[i]), {"precision_fit": round(float(precision[i]), 4),
                          "recall_fit": round(float(tp[i] / total), 4)}


def evaluate(
    y: np.ndarray, p: np.ndarray, base_rate: float, threshold: float | None
) -> dict[str, Any]:
    """Out-of-time statistics of probabilities ``p`` against outcomes ``y``.

    ``brier_skill`` = 1 − Brier / Brier of the rows' own breach rate (the constant a
    forecaster who knew the period's rate would give); ``brier_base_rate`` is the
    Brier score of ``base_rate`` (the fitting period's rate, the constant forecast
    available when the model was fitted).
    """
    from sklearn.metrics import roc_auc_score

    y = y.astype(float)
    rate = float(y.mean())
    brier = float(np.mean((p - y) ** 2))
    clim = float(np.mean((rate - y) ** 2))
    out: dict[str, Any] = {
        "n": len(y),
        "positives": int(y.sum()),
        "rate": round(rate, 4),
        "brier": round(brier, 4),
        "brier_base_rate": round(float(np.mean((base_rate - y) ** 2)), 4),
        "brier_climatology": round(clim, 4),
        "brier_skill": round(1 - brier / clim, 4) if clim > 0 else None,
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if 0 < rate < 1 else None,
    }
    if threshold is not None:
        flag = p >= threshold
        tp = float((flag & (y == 1)).sum())
        out |= {
            "flags": int(flag.sum()),
            "precision": round(tp / flag.sum(), 4) if flag.any() else None,
            "recall": round(tp / y.sum(), 4) if y.sum() else None,
        }
    return out


def reliability_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pl.DataFrame:
    """Observed breach rate against mean predicted probability in equal-count bins of
    the prediction (at least 20 rows a bin), with 95 % Wilson intervals.
    """
    schema = {"bin": pl.Int64, "n": pl.Int64, "breached": pl.Int64, "predicted": pl.Float64,
              "observed": pl.Float64, "lower": pl.Float64, "upper": pl.Float64}
    if len(y) == 0:
        return pl.DataFrame(schema=schema)
    bins = max(1, min(bins, len(y) // 20))
    df = pl.DataFrame({"y": y.astype(np.int64), "p": p.astype(float)}).sort("p").with_columns(
        bin=(pl.int_range(0, pl.len()) * bins // pl.len()).cast(pl.Int64)
    )
    g = df.group_by("bin").agg(n=pl.len().cast(pl.Int64), breached=pl.col("y").sum(),
                               predicted=pl.col("p").mean()).sort("bin")
    n = pl.col("n").cast(pl.Float64)
    phat = pl.col("breached") / n
    centre = (phat + _Z**2 / (2 * n)) / (1 + _Z**2 / n)
    half = _Z * (phat * (1 - phat) / n + _Z**2 / (4 * n * n)).sqrt() / (1 + _Z**2 / n)
    return g.with_columns(
        observed=phat, lower=(centre - half).clip(0.0, 1.0), upper=(centre + half).clip(0.0, 1.0)
    ).select(list(schema)).cast(schema)  # type: ignore[arg-type]
