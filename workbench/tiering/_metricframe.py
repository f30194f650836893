"""fairlearn's view of the disparity metrics: the rate callables and a weighted
:class:`~fairlearn.metrics.MetricFrame` that cross-checks the polars counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from fairlearn.metrics import MetricFrame

if TYPE_CHECKING:
    from workbench.tiering._disparity import Metric


def under_tiered_rate(
    y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    """False negative rate of "was given the tier the criteria give".

    Among customers who qualify for a tier above the lowest (``y_true = 1``), the
    (weighted) share not given the tier the criteria give (``y_pred = 0``). The
    number :func:`fairlearn.metrics.false_negative_rate` gives, but NaN (not 0) for
    a group where nobody qualifies.

    Parameters
    ----------
    y_true
        1 where the customer qualifies for a tier above the lowest.
    y_pred
        1 where the customer holds the tier the criteria give.
    sample_weight
        Optional weight per row (a count of identical customers).

    Returns
    -------
    float
        The weighted rate, NaN when nobody qualifies.

    Examples
    --------
    >>> under_tiered_rate(np.array([1, 1, 1, 0]), np.array([0, 1, 1, 0]))
    0.3333333333333333
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    w = np.ones(y_true.shape) if sample_weight is None else np.asarray(sample_weight, float)
    pos = y_true == 1
    total = w[pos].sum()
    return float(w[pos & (y_pred == 0)].sum() / total) if total > 0 else float("nan")


def hidden_benefit_rate(
    y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    """Selection rate: the (weighted) share with ``y_pred = 1``.

    ``y_pred = 1``: received a hidden benefit; the number
    :func:`fairlearn.metrics.selection_rate` gives.

    Parameters
    ----------
    y_true
        Ignored (fairlearn's metric signature).
    y_pred
        1 where the customer received a hidden benefit.
    sample_weight
        Optional weight per row (a count of identical customers).

    Returns
    -------
    float
        The weighted rate, NaN for no rows.
    """
    y_pred = np.asarray(y_pred)
    w = np.ones(y_pred.shape) if sample_weight is None else np.asarray(sample_weight, float)
    total = w.sum()
    return float(w[y_pred == 1].sum() / total) if total > 0 else float("nan")


def metric_frame(units: pl.DataFrame, metric: Metric, label: pl.Expr) -> MetricFrame | None:
    """Fairlearn's MetricFrame of ``metric`` by the groups ``label`` names.

    Rows with a null label are left out. Customers with the same group, ``y_true``
    and ``y_pred`` are interchangeable for a rate, so polars first collapses them
    into one row each with their count, and MetricFrame receives at most four
    weighted rows per group (``sample_weight``). The numbers are the ones the
    per-customer frame gives (tested).

    Parameters
    ----------
    units
        One row per customer with the metric's boolean columns.
    metric
        The :class:`~workbench.tiering.Metric` to compute.
    label
        An expression naming each customer's group (null = left out).

    Returns
    -------
    MetricFrame or None
        None when no customer has a group.
    """
    if metric.adverse:
        # y_true: could be under-tiered; y_pred: was given the tier the criteria give.
        y_true = pl.col(metric.population).fill_null(False).cast(pl.Int8)
        y_pred = (~pl.col(metric.outcome).fill_null(False)).cast(pl.Int8)
        fn = under_tiered_rate
    else:  # the rows of the metric's population only
        y_pred = pl.col(metric.outcome).fill_null(False).cast(pl.Int8)
        y_true = y_pred
        fn = hidden_benefit_rate
        if metric.population is not None:
            label = pl.when(pl.col(metric.population).fill_null(False)).then(label)
    df = (
        units.select(label.alias("g"), y_true.alias("y_true"), y_pred.alias("y_pred"))
        .filter(pl.col("g").is_not_null())
        .group_by("g", "y_true", "y_pred")
        .agg(pl.len().alias("w"))
        .sort("g", "y_true", "y_pred")
    )
    if df.height == 0:
        return None
    return MetricFrame(
        metrics={metric.name: fn},
        y_true=df["y_true"].to_numpy(),
        y_pred=df["y_pred"].to_numpy(),
        sensitive_features={"group": df["g"].to_numpy()},
        sample_params={metric.name: {"sample_weight": df["w"].to_numpy()}},
    )


def metric_frame_rates(units: pl.DataFrame, metric: Metric, label: pl.Expr) -> dict[str, float]:
    """``{group: rate}`` from :func:`metric_frame` (empty when no group)."""
    mf = metric_frame(units, metric, label)
    if mf is None:
        return {}
    by = mf.by_group[metric.name]
    return dict(zip(by.index.astype(str), by.astype(float), strict=True))
