"""Adherence rates from the clocks, and the monthly volume they are judged against.

Adherence of a target in a group = met / (met + breached) among complaints received
in P; clocks still running at the end of P are censored (counted in ``running``, not
in the rate). Each rate carries a 95 % Wilson interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from workbench.analysis import as_period
from workbench.periods import Period
from workbench.stats import wilson_interval

__all__ = [
    "ADHERENCE_DIMENSIONS",
    "adherence",
    "adherence_by_dimension",
    "complaints_by_month",
    "monthly_trend",
]

ADHERENCE_DIMENSIONS: tuple[str, ...] = ("subsidiary_id", "channel", "category", "severity")
_COUNTS = ("judged", "met", "breached", "running", "adherence", "ci_low", "ci_high")


def _with_wilson(df: pl.DataFrame, level: float = 0.95) -> pl.DataFrame:
    rate, low, high = wilson_interval(df["met"].to_numpy(), df["judged"].to_numpy(), level)
    return df.with_columns(
        adherence=pl.Series(np.atleast_1d(rate), dtype=pl.Float64).fill_nan(None),
        ci_low=pl.Series(np.atleast_1d(low), dtype=pl.Float64).fill_nan(None),
        ci_high=pl.Series(np.atleast_1d(high), dtype=pl.Float64).fill_nan(None),
    )


def adherence(
    clocks: pl.DataFrame, by: str | Sequence[str] = (), *, level: float = 0.95
) -> pl.DataFrame:
    """Met, breached and running counts and the adherence rate per target and group.

    ``by`` names columns of the clocks frame (e.g. ``"subsidiary_id"``); empty = overall.

    >>> import polars as pl
    >>> states = ["met", "met", "breached", "running"]
    >>> clocks = pl.DataFrame({"target": ["ack"] * 4, "state": states})
    >>> adherence(clocks).select("judged", "met", "running", "adherence").row(0)
    (3, 2, 1, 0.6666666666666666)
    """
    keys = [by] if isinstance(by, str) else list(by)
    out = (
        clocks.group_by(["target", *keys])
        .agg(
            met=(pl.col("state") == "met").sum().cast(pl.Int64),
            breached=(pl.col("state") == "breached").sum().cast(pl.Int64),
            running=(pl.col("state") == "running").sum().cast(pl.Int64),
        )
        .with_columns(judged=pl.col("met") + pl.col("breached"))
        .sort(["target", *keys])
    )
    if out.height == 0:
        return out.with_columns(
            adherence=pl.lit(None, pl.Float64),
            ci_low=pl.lit(None, pl.Float64),
            ci_high=pl.lit(None, pl.Float64),
        )
    return _with_wilson(out, level).select("target", *keys, *_COUNTS)


def adherence_by_dimension(
    clocks: pl.DataFrame, dimensions: Sequence[str] = ADHERENCE_DIMENSIONS
) -> pl.DataFrame:
    """Adherence per target for each value of each dimension, stacked (``dimension``, ``group``)."""
    parts = [
        adherence(clocks, d)
        .rename({d: "group"})
        .with_columns(dimension=pl.lit(d), group=pl.col("group").cast(pl.String))
        for d in dimensions
    ]
    overall = adherence(clocks).with_columns(dimension=pl.lit("overall"), group=pl.lit("all"))
    cols = ["dimension", "group", "target", *_COUNTS]
    return pl.concat([p.select(cols) for p in [overall, *parts]])


def monthly_trend(clocks: pl.DataFrame) -> pl.DataFrame:
    """Adherence per target and month of receipt."""
    df = clocks.with_columns(month=pl.col("received_at").dt.truncate("1mo").dt.date())
    return adherence(df, "month")


def complaints_by_month(
    frames: Mapping[str, pl.LazyFrame], period: Period | str, *, months: int = 12
) -> pl.DataFrame:
    """Complaints received per calendar month and severity over the ``months``
    months ending with ``period``. Columns ``month`` (first day), ``severity``,
    ``complaints``.
    """
    p = as_period(period)
    return (
        frames["complaints"]
        .filter(pl.col("received_at").is_between(p.months_back(months), p.end, closed="left"))
        .group_by(pl.col("received_at").dt.truncate("1mo").dt.date().alias("month"), "severity")
        .agg(pl.len().alias("complaints"))
        .sort("month", "severity")
        .collect()
    )
