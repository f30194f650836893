"""Scorecard validation: discrimination (ROC AUC, Gini, KS), calibration and
stability (population stability index).

Conventions: ``y`` is 1 for a default; ``risk`` is any score where higher means
riskier (the probability of default). Pass ``-points`` for scorecard points.

>>> import numpy as np
>>> y = np.array([0, 0, 1, 1]); risk = np.array([0.1, 0.4, 0.35, 0.8])
>>> roc_auc(y, risk), ks_statistic(y, risk), gini(y, risk)
(0.75, 0.5, 0.5)
"""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score, roc_curve

from workbench.stats import wilson_interval

#: PSI rule of thumb (each threshold with its reason).
PSI_STABLE = 0.10  # below: no meaningful shift
PSI_SHIFT = 0.25  # above: a major shift, the model needs review
PSI_EPS = 1e-4  # floor on a bin share so an empty bin gives a finite PSI


def roc_auc(y: np.ndarray, risk: np.ndarray) -> float:
    """Area under the ROC curve (sklearn); NaN when ``y`` has one class."""
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, risk))


def gini(y: np.ndarray, risk: np.ndarray) -> float:
    """Accuracy ratio: 2·AUC − 1."""
    return 2.0 * roc_auc(y, risk) - 1.0


def ks_statistic(y: np.ndarray, risk: np.ndarray) -> float:
    """Kolmogorov–Smirnov: the largest gap between the cumulative distributions of
    bads and goods over the score (max |TPR − FPR| over thresholds)."""
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return float("nan")
    fpr, tpr, _ = roc_curve(y, risk)
    return float(np.max(np.abs(tpr - fpr)))


def ks_curve(y: np.ndarray, risk: np.ndarray) -> pl.DataFrame:
    """Cumulative share of bads and goods by threshold (riskiest first), with the
    share of the population at or above each threshold."""
    y = np.asarray(y)
    fpr, tpr, thr = roc_curve(y, risk)
    bads = float(y.sum())
    share = (tpr * bads + fpr * (len(y) - bads)) / max(len(y), 1)
    return pl.DataFrame(
        {"threshold": thr, "population_share": share, "cum_bad": tpr, "cum_good": fpr,
         "gap": tpr - fpr}
    )


def roc_table(y: np.ndarray, risk: np.ndarray) -> pl.DataFrame:
    """False and true positive rates by threshold (for the ROC plot)."""
    fpr, tpr, thr = roc_curve(np.asarray(y), risk)
    return pl.DataFrame({"threshold": thr, "fpr": fpr, "tpr": tpr})


def reliability_table(y: np.ndarray, pd_: np.ndarray, n_bins: int = 10) -> pl.DataFrame:
    """Calibration: rows of equal-count bins of predicted PD with the mean PD, the
    observed default rate and its Wilson 95 % interval."""
    y = np.asarray(y, dtype=float)
    pd_ = np.asarray(pd_, dtype=float)
    order = np.argsort(pd_, kind="stable")
    bins = np.array_split(order, min(n_bins, len(order))) if len(order) else []
    rows = []
    for i, idx in enumerate(bins):
        k, n = int(y[idx].sum()), len(idx)
        rate, lo, hi = wilson_interval(k, n)
        rows.append(
            {
                "bin": i + 1,
                "customers": n,
                "mean_pd": float(pd_[idx].mean()),
                "observed_rate": rate,
                "ci_low": lo,
                "ci_high": hi,
                "defaults": k,
            }
        )
    schema = {
        "bin": pl.Int64, "customers": pl.Int64, "mean_pd": pl.Float64, "observed_rate": pl.Float64,
        "ci_low": pl.Float64, "ci_high": pl.Float64, "defaults": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


def psi(expected: np.ndarray, actual: np.ndarray, n_bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected``.

    Bins are the deciles (``n_bins`` quantiles) of ``expected``; missing values
    form a bin of their own. PSI = Σ (a − e) · ln(a / e) over bin shares, each
    share floored at :data:`PSI_EPS`.

    >>> round(psi(np.arange(100.0), np.arange(100.0)), 6)
    0.0
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    ev = e[~np.isnan(e)]
    edges = np.unique(np.quantile(ev, np.linspace(0, 1, n_bins + 1)[1:-1])) if ev.size else []
    return psi_from_bins(_bin_ids(e, edges), _bin_ids(a, edges), len(edges) + 2)


def _bin_ids(x: np.ndarray, edges: np.ndarray | list[float]) -> np.ndarray:
    idx = np.searchsorted(np.asarray(edges, dtype=float), x, side="left")
    return np.where(np.isnan(x), len(edges) + 1, idx)


def psi_from_bins(expected_bins: np.ndarray, actual_bins: np.ndarray, n_bins: int) -> float:
    """PSI of two arrays of bin numbers ``0 … n_bins-1``."""
    e = np.bincount(np.asarray(expected_bins), minlength=n_bins) / max(len(expected_bins), 1)
    a = np.bincount(np.asarray(actual_bins), minlength=n_bins) / max(len(actual_bins), 1)
    e, a = np.maximum(e, PSI_EPS), np.maximum(a, PSI_EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_label(value: float) -> str:
    """``stable`` (< 0.10), ``shift`` (< 0.25) or ``major shift``."""
    if np.isnan(value):
        return "n/a"
    return "stable" if value < PSI_STABLE else "shift" if value < PSI_SHIFT else "major shift"


def discrimination(y: np.ndarray, risk: np.ndarray) -> dict[str, float]:
    """AUC, Gini and KS with the number of rows and defaults."""
    y = np.asarray(y)
    return {
        "n": int(len(y)),
        "defaults": int(np.sum(y)),
        "default_rate": float(np.mean(y)) if len(y) else float("nan"),
        "auc": roc_auc(y, risk),
        "gini": gini(y, risk),
        "ks": ks_statistic(y, risk),
    }


def raw_logistic_baseline(train: pl.DataFrame, test: pl.DataFrame, features: list[str],
                          target: str = "default") -> np.ndarray:
    """Benchmark: a plain logistic regression on the raw features (no binning):
    median-imputed, standardised, default L2 penalty. Columns without a single
    value in ``train`` are left out. Returns the default probability of each row
    of ``test``."""
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    cols = [c for c in features if train[c].null_count() < train.height]
    model = make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=1000)
    ).fit(train.select(cols).to_numpy().astype(np.float64), train[target].to_numpy())
    return model.predict_proba(test.select(cols).to_numpy().astype(np.float64))[:, 1]
