"""Landmark rows of the breach-risk model: who is at risk at each landmark, what was
known about them then, and whether resolution breached within the horizon.

A complaint is *at risk* at a moment L when its resolution clock is running at L (not
resolved, not voided by a rejection, not past its deadline) and none of its SLA
targets has breached yet. Every at-risk complaint of a landmark is a row, and its
label is defined for every row: 1 when the resolution clock, judged at L + horizon
with the record up to then, has breached; 0 otherwise (met, voided, or still running
within its limit at L + horizon — *not breaching within the horizon* is an outcome,
not a missing one). A landmark whose horizon ends after the label cut-off is left out
whole, whatever its complaints' outcomes (administrative censoring by calendar time,
which cannot favour either outcome). The resolution limit is at most 15 days, so a
28-day horizon covers the current cycle of every clock except long customer waits and
reopenings.

Landmarks are a weekly grid ending at an anchor (the period end), so the labels of
landmark L are read off the clocks judged at the grid point L + horizon: one
:func:`~workbench.sla._clocks.judge_at` per grid point, on the complaints that can be
at risk there (received within ``LOOKBACK_DAYS``, resolution not stopped by then —
a cheap filter on the first stop event) and the complaints awaiting a label.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.sla._clocks import events_until, judge_at, lifecycle_rank
from workbench.sla._policy import Policy
from workbench.workdays import WorkCalendar

__all__ = [
    "CATEGORICAL",
    "LOOKBACK_DAYS",
    "RISK_TARGET",
    "at_risk",
    "landmark_grid",
    "landmark_rows",
    "snapshot_features",
    "stratified_sample",
]

#: The target whose breach the model predicts.
RISK_TARGET = "resolution"
#: A complaint at risk at a landmark was received at most this long before it (a quarter:
#: as far back as the complaints scored at the end of a quarter).
LOOKBACK_DAYS = 92
CATEGORICAL: tuple[str, ...] = ("severity", "channel", "category", "subsidiary_id")
POOL_COLS: tuple[str, ...] = (
    "complaint_id", "subsidiary_id", "channel", "category", "severity", "received_at",
)
_EVENT_COUNTS: dict[str, str] = {
    "n_progress": "progress_update",
    "n_escalations": "escalated",
    "n_pauses": "waiting_customer",
}
_H = 3_600_000_000


def _hours(duration: pl.Expr) -> pl.Expr:
    return duration.dt.total_microseconds().cast(pl.Float64) / _H


def at_risk(clocks: pl.DataFrame) -> pl.DataFrame:
    """The complaints of ``clocks`` at risk when judged: resolution running, nothing breached."""
    per = clocks.group_by("complaint_id").agg(
        _run=((pl.col("target") == RISK_TARGET) & (pl.col("state") == "running")).any(),
        _br=(pl.col("state") == "breached").any(),
    )
    return per.filter(pl.col("_run") & ~pl.col("_br")).select("complaint_id")


def snapshot_features(
    clocks: pl.DataFrame, events: pl.LazyFrame, at: dt.datetime, targets: tuple[str, ...]
) -> pl.DataFrame:
    """Features of every complaint of ``clocks`` (judged at ``at``) at risk then.

    One row per complaint, from the record up to ``at`` only: ``complaint_id``,
    ``received_at``, the :data:`CATEGORICAL` columns, ``age_h``, ``used_<target>``
    (elapsed / limit, 0 when the target does not apply), ``done_<target>`` (1 when
    met), the event counts, ``paused_now`` and ``hours_since_event``.
    """
    ids = at_risk(clocks)
    if ids.height == 0:
        return pl.DataFrame()
    mine = clocks.join(ids, on="complaint_id", how="semi")
    base = mine.group_by("complaint_id").agg(
        *[pl.col(c).first() for c in (*CATEGORICAL, "received_at")]
    )
    wide = mine.select(
        "complaint_id",
        "target",
        used=(pl.col("elapsed") / pl.col("limit")).clip(-1.0, 5.0),
        done=(pl.col("state") == "met").cast(pl.Float64),
    )
    aggs = []
    for t in targets:
        sel = pl.col("target") == t
        aggs += [
            pl.col("used").filter(sel).first().fill_null(0.0).alias(f"used_{t}"),
            pl.col("done").filter(sel).first().fill_null(1.0).alias(f"done_{t}"),
        ]
    wide = wide.group_by("complaint_id").agg(aggs)
    ev = _event_features(events, ids, at)
    out = (
        base.join(wide, on="complaint_id", how="left")
        .join(ev, on="complaint_id", how="left")
        .with_columns(
            age_h=_hours(pl.lit(at) - pl.col("received_at")),
            hours_since_event=_hours(pl.lit(at) - pl.coalesce("_last", "received_at")),
        )
        .drop("_last")
    )
    numeric = [c for c in out.columns if c not in ("complaint_id", "received_at", *CATEGORICAL)]
    # Rounded: parallel float sums differ in the last bits from run to run, and the
    # model must give the same probabilities on the same inputs.
    return out.with_columns(
        [pl.col(c).cast(pl.Float64).fill_null(0.0).round(6) for c in numeric]
    ).sort("complaint_id")


def _event_features(events: pl.LazyFrame, ids: pl.DataFrame, at: dt.datetime) -> pl.DataFrame:
    """Per complaint of ``ids``: event counts, paused now, the last event's moment."""
    return (
        events_until(events, at)
        .join(ids.lazy(), on="complaint_id", how="semi")
        .with_columns(_rank=lifecycle_rank())
        .sort("complaint_id", "at", "_rank")
        .group_by("complaint_id")
        .agg(
            pl.len().cast(pl.Float64).alias("n_events"),
            *[
                (pl.col("event") == e).sum().cast(pl.Float64).alias(k)
                for k, e in _EVENT_COUNTS.items()
            ],
            (
                pl.col("event").filter(pl.col("event").is_in(["waiting_customer", "resumed"]))
                .last()
                == "waiting_customer"
            ).cast(pl.Float64).alias("paused_now"),
            pl.col("at").max().alias("_last"),
        )
        .collect()
    )


def landmark_grid(anchor: dt.datetime, first: dt.datetime, every_days: int,
                  last: dt.datetime | None = None) -> list[dt.datetime]:
    """``anchor`` ± multiples of ``every_days``, after ``first`` and up to ``last``
    (default: the anchor), oldest first.
    """
    step = dt.timedelta(days=every_days)
    end = anchor if last is None else last
    back = int((anchor - first) / step)
    ahead = int((end - anchor) / step) if end >= anchor else 0
    grid = [anchor + k * step for k in range(-back, ahead + 1)]
    return [g for g in grid if first < g <= end]


def stratified_sample(pool: pl.DataFrame, cap: int, seed: int) -> pl.DataFrame:
    """At most about ``cap`` whole complaints of ``pool``: the same fraction of every
    month of receipt × severity × channel (proportional allocation, so rates and
    calibration are those of the pool and need no weights), chosen by a seeded hash of
    the complaint id (the same complaints whatever the row order).
    """
    if cap < 1:
        raise ValueError(f"breach-risk sample: the cap must be at least 1 complaint (got {cap})")
    if pool.height <= cap:
        return pool
    frac = cap / pool.height
    strata = [pl.col("received_at").dt.truncate("1mo"), pl.col("severity"), pl.col("channel")]
    rank = pl.col("complaint_id").hash(seed).rank("ordinal").over(strata)
    keep = (pl.len().over(strata) * frac).round(0).cast(pl.UInt32)
    return pool.filter(rank <= keep)


def _first_stops(ev: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """Per complaint: the first event that stops or voids resolution, and whether it
    was ever reopened (a reopened complaint may be at risk again after its first stop).
    """
    stop: set[str] = set()
    restart: set[str] = set()
    for v in policy.versions:
        for t in v.targets:
            if t.name == RISK_TARGET:
                stop |= {*t.stop, *t.void_on}
                restart |= set(t.restart_on)
    return ev.group_by("complaint_id").agg(
        _stop=pl.col("at").filter(pl.col("event").is_in(sorted(stop))).min(),
        _reopen=pl.col("event").is_in(sorted(restart)).any(),
    )


def _labels(clocks: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """Per complaint of ``ids``: 1 when its resolution target is breached in ``clocks``,
    else 0 (met, voided — no resolution row —, or still running within its limit).
    """
    breached = clocks.filter(
        (pl.col("target") == RISK_TARGET) & (pl.col("state") == "breached")
    ).select("complaint_id").unique()
    return pl.DataFrame({"complaint_id": ids}).with_columns(
        y=pl.col("complaint_id").is_in(breached["complaint_id"].implode()).cast(pl.Int8)
    )


def landmark_rows(
    pool: pl.DataFrame,
    events: pl.DataFrame,
    grid: list[dt.datetime],
    *,
    horizon_steps: int,
    policy: Policy,
    calendar: WorkCalendar,
    targets: tuple[str, ...],
) -> pl.DataFrame:
    """Every at-risk complaint of ``pool`` at every grid point that has a label: the
    features (:func:`snapshot_features`), ``_landmark`` and ``y`` (resolution breached
    by the grid point ``horizon_steps`` later, judged with ``events`` up to then).

    ``events`` must hold the record of ``pool``'s complaints up to the label cut-off
    (the last grid point) and nothing later; grid points without a later one
    ``horizon_steps`` on are feature-only (their rows are not returned).
    """
    if horizon_steps < 1:
        raise ValueError(f"breach-risk horizon must be at least one landmark step "
                         f"(got {horizon_steps})")
    pool = pool.select(POOL_COLS).join(_first_stops(events, policy), on="complaint_id",
                                       how="left")
    ev = events.lazy()
    waiting: dict[int, pl.DataFrame] = {}
    rows: list[pl.DataFrame] = []
    for i, g in enumerate(grid):
        cand = pool.filter(
            (pl.col("received_at") < g)
            & (pl.col("received_at") >= g - dt.timedelta(days=LOOKBACK_DAYS))
            & (pl.col("_stop").is_null() | (pl.col("_stop") > g) | pl.col("_reopen"))
        )
        due = waiting.pop(i - horizon_steps, None)
        judged = cand if due is None else pl.concat(
            [cand, pool.join(due.select("complaint_id"), on="complaint_id", how="semi")]
        ).unique("complaint_id")
        # A fixed order: the clocks must not depend on the order unique() left the rows in.
        judged = judged.sort("received_at", "complaint_id")
        if judged.height == 0:
            continue
        clocks = judge_at(judged, ev, g, policy=policy, calendar=calendar)
        if due is not None:
            rows.append(due.join(_labels(clocks, due["complaint_id"]), on="complaint_id"))
        if i + horizon_steps < len(grid):
            feats = snapshot_features(
                clocks.join(cand.select("complaint_id"), on="complaint_id", how="semi"),
                ev, g, targets,
            )
            if feats.height:
                waiting[i] = feats.with_columns(_landmark=pl.lit(g))
    if not rows:
        return pl.DataFrame()
    # Sorted: the folds and the fit must not depend on the order joins left the rows in.
    return pl.concat(rows, how="diagonal_relaxed").sort("_landmark", "complaint_id")
