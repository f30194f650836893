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

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from workbench.credit._features import FEATURES
from workbench.credit._scorecard import Scorecard
from workbench.credit._scoring import Graded, new_scorecard
from workbench.stats import wilson_interval

#: PSI rule of thumb (each threshold with its reason).
PSI_STABLE = 0.10  # below: no meaningful shift
PSI_SHIFT = 0.25  # above: a major shift, the model needs review
PSI_EPS = 1e-4  # floor on a bin share so an empty bin gives a finite PSI
#: The validation samples, most telling first (the headline is the first available).
SAMPLES: tuple[str, ...] = ("out_of_time", "cross_validated", "in_sample")
VALIDATION_SCHEMA: dict[str, pl.DataType] = {
    "sample": pl.String(), "n": pl.Int64(), "defaults": pl.Int64(),
    "default_rate": pl.Float64(), "auc": pl.Float64(), "gini": pl.Float64(),
    "ks": pl.Float64(),
}
MSG_NO_OUT_OF_TIME = (
    "out-of-time check skipped: no scorecard could be developed for the previous period"
)


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
    bads and goods over the score (max |TPR − FPR| over thresholds).
    """
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return float("nan")
    fpr, tpr, _ = roc_curve(y, risk)
    return float(np.max(np.abs(tpr - fpr)))


def ks_curve(y: np.ndarray, risk: np.ndarray) -> pl.DataFrame:
    """Cumulative share of bads and goods by threshold (riskiest first), with the
    share of the population at or above each threshold.
    """
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
    observed default rate and its Wilson 95 % interval.
    """
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
    of ``test``.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    cols = [c for c in features if train[c].null_count() < train.height]
    model = make_pipeline(
        SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=1000)
    ).fit(train.select(cols).to_numpy().astype(np.float64), train[target].to_numpy())
    return model.predict_proba(test.select(cols).to_numpy().astype(np.float64))[:, 1]


def _stability(model: Scorecard, X: pl.DataFrame, Xc: pl.DataFrame) -> pl.DataFrame:
    """PSI of the score and of each feature's bins: development ``X`` vs current ``Xc``."""
    rows = [{
        "variable": "score",
        "psi": psi(-model.predict_points(X), -model.predict_points(Xc)),
    }]
    dev_idx = model.binner_._bin_index(X.to_numpy().astype(np.float64))
    cur_idx = model.binner_._bin_index(Xc.to_numpy().astype(np.float64))
    for j, name in enumerate(model.feature_names_out()):
        n_bins = len(model.binner_.bin_edges_[j]) + 2
        rows.append({"variable": name, "psi": psi_from_bins(dev_idx[:, j], cur_idx[:, j], n_bins)})
    used = [n for n, s in zip(model.feature_names_out(), model.selected_, strict=True) if s]
    return pl.DataFrame(rows).with_columns(
        pl.col("psi").map_elements(psi_label, return_dtype=pl.String).alias("assessment"),
        pl.col("variable").is_in(["score", *used]).alias("in_model"),
    )


def validate(
    g: Graded, prev: Graded | None, params: Mapping[str, Any]
) -> tuple[dict[str, pl.DataFrame], dict[str, Any], list[str]]:
    """Validate the period's scorecard: discrimination in sample, cross-validated
    (``cv_folds`` folds, ``seed``) and out of time (the previous period's scorecard
    on this cohort), calibration and stability.

    Returns the tables (``validation``, ``roc_<sample>``, ``ks_curve``,
    ``reliability``, ``psi``), what the figures need (``auc`` by sample, ``ks``,
    ``ks_name``) and notes on checks that could not run.
    """
    tables: dict[str, pl.DataFrame] = {"validation": pl.DataFrame(schema=VALIDATION_SCHEMA)}
    meta: dict[str, Any] = {"auc": {}}
    notes: list[str] = []
    model = g.model
    if model is None:
        return tables, meta, notes
    X = g.dev.select(list(FEATURES))
    y = g.dev["default"].to_numpy()
    risks: dict[str, tuple[np.ndarray, np.ndarray]] = {
        "in_sample": (y, model.predict_proba(X)[:, 1])
    }
    folds = params["cv_folds"]
    if int(y.sum()) >= folds and int((1 - y).sum()) >= folds:
        cv = StratifiedKFold(folds, shuffle=True, random_state=params["seed"])
        oof = cross_val_predict(new_scorecard(params), X, y, cv=cv, method="predict_proba")
        risks["cross_validated"] = (y, oof[:, 1])
    if prev is not None and prev.model is not None:
        risks["out_of_time"] = (y, prev.model.predict_proba(X)[:, 1])
    else:
        notes.append(MSG_NO_OUT_OF_TIME)
    found: dict[str, dict[str, float]] = {}
    for name, (yy, risk) in risks.items():
        found[name] = discrimination(yy, risk)
        tables[f"roc_{name}"] = roc_table(yy, risk)
        meta["auc"][name] = found[name]["auc"]
    headline = next(s for s in SAMPLES if s in risks)
    yy, risk = risks[headline]
    tables["ks_curve"] = ks_curve(yy, risk)
    tables["reliability"] = reliability_table(yy, risk)
    meta.update(ks=found[headline]["ks"], ks_name=headline.replace("_", " "), headline=headline)
    tables["validation"] = pl.DataFrame(
        [{"sample": k, **v} for k, v in found.items()], schema=VALIDATION_SCHEMA
    )
    tables["psi"] = _stability(model, X, g.current.select(list(FEATURES)))
    return tables, meta, notes
