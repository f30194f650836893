"""Closed loop: root-cause Pareto and ``recurring_cause``.

Input: complaints received in the window whose root cause was established by the
end of P (a ``resolved`` or ``closed`` event by then and ``root_cause`` not blank);
the root cause of a complaint still open at the end of P is not known yet.

Pareto (:func:`pareto`). Per subsidiary, the root causes of the complaints received
in P, largest first, with each cause's share and the cumulative share; ``vital_few``
marks the causes up to and including the one that takes the cumulative share to
80 %.

Rule ``recurring_cause`` (:func:`recurring_causes`) — "a cause whose volume does not
fall after the month it first exceeded a threshold: the rectification did not work".
For every subsidiary *s* and root cause *c*, over the ``months`` calendar months
ending with P (by month of receipt):

* volume ``count_m`` = complaints of *s* with cause *c* received in month *m*;
  ``n_m`` = complaints of *s* with a known cause received in *m*;
* month *m* **exceeds** the threshold when ``count_m ≥ min_count`` and
  ``count_m / n_m ≥ threshold`` (a share, so the rule means the same at every
  company size; ``min_count`` keeps a handful of complaints from counting);
* the **trigger month** is the first month of the window that exceeds;
* the pair is **judged** when at least ``min_months_after`` months of the window
  follow the trigger month (otherwise it is too early to say whether the volume
  fell);
* the volume **did not fall** — flag — when the months after the trigger, taken
  together, still exceed the same threshold: mean monthly count ≥ ``min_count``
  and pooled share (Σ count / Σ n) ≥ ``threshold``.

A rectified cause falls back to its ordinary share (a few per cent) in the months
after; one whose rectification did not work stays above the threshold. A
subsidiary with at least one flagged cause gets one finding; the evidence lists, per
flagged cause, the trigger month and every month of the window with its count and
share.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.periods import Period
from workbench.sla._clocks import complaints_in_period, events_until

__all__ = [
    "RECURRING_SCHEMA",
    "known_root_causes",
    "monthly_volumes",
    "pareto",
    "recurring_causes",
    "window_months",
]

VITAL_FEW = 0.8
_PAIR = ["subsidiary_id", "root_cause"]

RECURRING_SCHEMA: dict[str, pl.DataType] = {
    "subsidiary_id": pl.String(),
    "root_cause": pl.String(),
    "total": pl.Int64(),
    "trigger_month": pl.Date(),
    "trigger_count": pl.Int64(),
    "trigger_share": pl.Float64(),
    "months_after": pl.Int64(),
    "mean_count_after": pl.Float64(),
    "share_after": pl.Float64(),
    "judged": pl.Boolean(),
    "flagged": pl.Boolean(),
}


def known_root_causes(
    complaints: pl.LazyFrame, events: pl.LazyFrame, p: Period, start: dt.datetime | None = None
) -> pl.DataFrame:
    """Complaints received from ``start`` (None: the start of P) to the end of P with a
    root cause established by the end of P (a resolved or closed event by then).
    """
    settled = (
        events_until(events, p.end)
        .filter(pl.col("event").is_in(["resolved", "closed"]))
        .select("complaint_id")
        .unique()
    )
    received = (
        complaints_in_period(complaints, p)
        if start is None
        else complaints.filter(pl.col("received_at").is_between(start, p.end, closed="left"))
    )
    return (
        received.join(settled, on="complaint_id", how="semi")
        .with_columns(pl.col("root_cause").str.strip_chars())
        .filter(pl.col("root_cause").is_not_null() & (pl.col("root_cause") != ""))
        .select("complaint_id", "subsidiary_id", "root_cause", "received_at")
        .collect()
    )


def window_months(last_month: dt.date, months: int) -> list[dt.date]:
    """First days of the ``months`` calendar months ending with the month of ``last_month``."""
    y, m = last_month.year, last_month.month
    out = []
    for _ in range(months):
        out.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def monthly_volumes(known: pl.DataFrame, month_starts: list[dt.date]) -> pl.DataFrame:
    """``subsidiary_id``, ``root_cause``, ``month``, ``count``, ``n``, ``share`` for every
    pair seen in ``known`` and every month in ``month_starts`` (zeros included).

    ``known`` has ``subsidiary_id``, ``root_cause`` and ``received_at``.
    """
    schema = {"subsidiary_id": pl.String, "root_cause": pl.String, "month": pl.Date,
              "count": pl.Int64, "n": pl.Int64, "share": pl.Float64}
    if known.height == 0:
        return pl.DataFrame(schema=schema)
    k = known.with_columns(month=pl.col("received_at").dt.truncate("1mo").dt.date()).filter(
        pl.col("month").is_in(month_starts)
    )
    months = pl.DataFrame({"month": month_starts}, schema={"month": pl.Date})
    pairs = k.select("subsidiary_id", "root_cause").unique()
    counts = k.group_by("subsidiary_id", "root_cause", "month").agg(count=pl.len().cast(pl.Int64))
    n = k.group_by("subsidiary_id", "month").agg(n=pl.len().cast(pl.Int64))
    return (
        pairs.join(months, how="cross")
        .join(counts, on=["subsidiary_id", "root_cause", "month"], how="left")
        .join(n, on=["subsidiary_id", "month"], how="left")
        .with_columns(pl.col("count").fill_null(0), pl.col("n").fill_null(0))
        .with_columns(
            share=pl.when(pl.col("n") > 0).then(pl.col("count") / pl.col("n")).otherwise(0.0)
        )
        .select(list(schema))
        .sort("subsidiary_id", "root_cause", "month")
    )


def recurring_causes(
    volumes: pl.DataFrame,
    *,
    threshold: float,
    min_count: int,
    min_months_after: int,
) -> pl.DataFrame:
    """One row per (subsidiary, root cause) of :func:`monthly_volumes` (see the module
    doc for the rule); columns :data:`RECURRING_SCHEMA`.
    """
    if volumes.height == 0:
        return pl.DataFrame(schema=RECURRING_SCHEMA)
    v = volumes.sort("subsidiary_id", "root_cause", "month").with_columns(
        _exceeds=(pl.col("count") >= min_count) & (pl.col("share") >= threshold)
    )
    trig = (
        v.filter(pl.col("_exceeds"))
        .group_by("subsidiary_id", "root_cause")
        .agg(
            trigger_month=pl.col("month").min(),
            trigger_count=pl.col("count").sort_by("month").first(),
            trigger_share=pl.col("share").sort_by("month").first(),
        )
    )
    after = (
        v.join(trig.select(*_PAIR, "trigger_month"), on=_PAIR)
        .filter(pl.col("month") > pl.col("trigger_month"))
        .group_by("subsidiary_id", "root_cause")
        .agg(
            months_after=pl.len().cast(pl.Int64),
            mean_count_after=pl.col("count").mean(),
            _c=pl.col("count").sum(),
            _n=pl.col("n").sum(),
        )
        .with_columns(share_after=pl.when(pl.col("_n") > 0).then(pl.col("_c") / pl.col("_n")))
        .drop("_c", "_n")
    )
    total = v.group_by(_PAIR).agg(total=pl.col("count").sum().cast(pl.Int64))
    out = (
        total.join(trig, on=["subsidiary_id", "root_cause"], how="left")
        .join(after, on=["subsidiary_id", "root_cause"], how="left")
        .with_columns(pl.col("months_after").fill_null(0))
        .with_columns(
            judged=pl.col("trigger_month").is_not_null()
            & (pl.col("months_after") >= min_months_after)
        )
        .with_columns(
            flagged=pl.col("judged")
            & (pl.col("mean_count_after") >= min_count).fill_null(False)
            & (pl.col("share_after") >= threshold).fill_null(False)
        )
    )
    return out.select([pl.col(c).cast(t) for c, t in RECURRING_SCHEMA.items()]).sort(_PAIR)


def pareto(known_in_period: pl.DataFrame) -> pl.DataFrame:
    """Root causes per subsidiary, largest first: ``rank``, ``count``, ``share``,
    ``cumulative_share``, ``vital_few`` (up to and including the cause reaching 80 %).
    """
    schema = {"subsidiary_id": pl.String, "rank": pl.Int64, "root_cause": pl.String,
              "count": pl.Int64,
              "share": pl.Float64, "cumulative_share": pl.Float64, "vital_few": pl.Boolean}
    if known_in_period.height == 0:
        return pl.DataFrame(schema=schema)
    return (
        known_in_period.group_by("subsidiary_id", "root_cause")
        .agg(count=pl.len().cast(pl.Int64))
        .sort(["subsidiary_id", "count", "root_cause"], descending=[False, True, False])
        .with_columns(
            rank=pl.int_range(1, pl.len() + 1).over("subsidiary_id").cast(pl.Int64),
            share=pl.col("count") / pl.col("count").sum().over("subsidiary_id"),
        )
        .with_columns(cumulative_share=pl.col("share").cum_sum().over("subsidiary_id"))
        .with_columns(
            vital_few=(pl.col("cumulative_share") - pl.col("share")) < VITAL_FEW - 1e-12,
        )
        .select(list(schema))
    )
