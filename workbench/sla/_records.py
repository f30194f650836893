"""``missing_record``: whether the handling record of a complaint is complete and consistent.

Judged for complaints received in P, as of the end of P, with events up to then.
Each check is a named boolean polars expression (:data:`CHECKS` documents them);
a complaint fails when any check fails, and the evidence lists which.

The complaints table is an extract taken at some moment at or after the end of P,
so its summary columns may already reflect later events. A table value is
therefore compared with the record only where the record up to the end of P can
prove it wrong (no look-ahead):

* ``acknowledged_at`` = first ``acknowledged``; ``accepted_at`` = first
  ``accepted``/``rejected`` ("first" columns): a value at or before the end of P must
  equal the first such event; a later or missing value is wrong when such an event
  exists by the end of P.
* ``resolved_at`` = last ``resolved``; ``closed_at`` = last ``closed`` ("latest"
  columns): a value at or before the end of P must equal the latest such event by
  then; a missing value is wrong when such an event exists; a later value cannot be
  checked (a reopening after P may have produced it).
* ``status`` must equal the state the record gives at the end of P (the latest
  state-changing event; ``open`` before any), unless the table shows activity after
  P (a timestamp after the end of P) or both are open states (waits and resumptions
  after P leave no timestamp).

Timestamps are compared with a tolerance (1 s by default) so that sources that
round to the second agree with themselves.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.periods import Period
from workbench.sla._clocks import complaints_in_period, events_until, lifecycle_rank

__all__ = ["CHECKS", "OPEN_STATUSES", "STATE_AFTER", "derived_status", "record_checks"]

#: The status each event leaves a complaint in (None: unchanged).
STATE_AFTER: dict[str, str | None] = {
    "acknowledged": None,
    "accepted": "in_progress",
    "rejected": "rejected",
    "progress_update": None,
    "waiting_customer": "waiting_customer",
    "resumed": "in_progress",
    "escalated": None,
    "resolved": "resolved",
    "closed": "closed",
    "reopened": "in_progress",
}
OPEN_STATUSES: tuple[str, ...] = ("open", "in_progress", "waiting_customer")

#: check name → what it means (the evidence lists the names that fail).
CHECKS: dict[str, str] = {
    "resolved_without_ack": "resolved or closed with no acknowledged event",
    "closed_without_resolution": "closed with no resolved event and no rejection",
    "closed_without_decision": "closed with no accepted/rejected decision",
    "event_before_receipt": "an event dated before received_at",
    "decision_before_ack": "the first decision precedes the first acknowledgement",
    "resolved_before_decision": "the first resolution precedes the first decision",
    "closed_before_resolved": "the first closure precedes the first resolution",
    "acknowledged_at_mismatch": (
        "complaints.acknowledged_at disagrees with the first acknowledged event"
    ),
    "accepted_at_mismatch": (
        "complaints.accepted_at disagrees with the first accepted/rejected event"
    ),
    "resolved_at_mismatch": "complaints.resolved_at disagrees with the latest resolved event",
    "closed_at_mismatch": "complaints.closed_at disagrees with the latest closed event",
    "status_mismatch": "complaints.status disagrees with the state the events give",
    "status_without_timestamp": (
        "status resolved/closed/rejected without resolved_at/closed_at/accepted_at"
    ),
}


def derived_status(events: pl.LazyFrame) -> pl.LazyFrame:
    """Per complaint, the status its events give.

    The latest state-changing event decides; ``open`` before any.
    """
    return (
        events.with_columns(_rank=lifecycle_rank())
        .sort("complaint_id", "at", "_rank")
        .with_columns(
            _s=pl.col("event").replace_strict(STATE_AFTER, default=None, return_dtype=pl.String)
        )
        .group_by("complaint_id")
        .agg(event_status=pl.col("_s").drop_nulls().last())
        .with_columns(pl.col("event_status").fill_null("open"))
    )


def _first(event: str | list[str]) -> pl.Expr:
    names = [event] if isinstance(event, str) else event
    return pl.col("at").filter(pl.col("event").is_in(names)).min()


def _last(event: str) -> pl.Expr:
    return pl.col("at").filter(pl.col("event") == event).max()


def record_checks(
    complaints: pl.LazyFrame,
    events: pl.LazyFrame,
    period: Period,
    *,
    tolerance: dt.timedelta = dt.timedelta(seconds=1),
) -> pl.DataFrame:
    """One row per complaint received in ``period`` whose record fails a check: ids,
    ``channel``, ``checks`` (:data:`CHECKS` names), statuses and the compared timestamps.
    """
    cutoff = period.end
    c = complaints_in_period(complaints, period)
    ev = events_until(events, cutoff).join(c.select("complaint_id"), on="complaint_id", how="semi")
    agg = ev.group_by("complaint_id").agg(
        ev_ack=_first("acknowledged"),
        ev_decision=_first(["accepted", "rejected"]),
        ev_first_resolved=_first("resolved"),
        ev_resolved=_last("resolved"),
        ev_first_closed=_first("closed"),
        ev_closed=_last("closed"),
        ev_first_at=pl.col("at").min(),
        ev_rejected=(pl.col("event") == "rejected").any(),
    )
    df = (
        c.join(agg, on="complaint_id", how="left")
        .join(derived_status(ev), on="complaint_id", how="left")
        .with_columns(
            pl.col("event_status").fill_null("open"), pl.col("ev_rejected").fill_null(False)
        )
    )
    tol = pl.lit(tolerance)

    def same(a: str, b: str) -> pl.Expr:
        return (pl.col(a) - pl.col(b)).abs() <= tol

    def first_mismatch(table: str, record: str) -> pl.Expr:
        t = pl.col(table)
        return (
            pl.when(t.is_null())
            .then(pl.col(record).is_not_null())
            .when(t <= cutoff)
            .then(pl.col(record).is_null() | ~same(table, record))
            .otherwise(pl.col(record).is_not_null())
        )

    def latest_mismatch(table: str, record: str) -> pl.Expr:
        t = pl.col(table)
        return (
            pl.when(t.is_null())
            .then(pl.col(record).is_not_null())
            .when(t <= cutoff)
            .then(pl.col(record).is_null() | ~same(table, record))
            .otherwise(pl.lit(False))
        )

    later_activity = pl.any_horizontal(
        [
            (pl.col(x) > cutoff).fill_null(False)
            for x in ("acknowledged_at", "accepted_at", "resolved_at", "closed_at")
        ]
    )
    opened = list(OPEN_STATUSES)
    both_open = pl.col("status").is_in(opened) & pl.col("event_status").is_in(opened)
    resolved_or_closed = (
        pl.col("ev_first_resolved").is_not_null() | pl.col("ev_first_closed").is_not_null()
    )
    checks: dict[str, pl.Expr] = {
        "resolved_without_ack": resolved_or_closed & pl.col("ev_ack").is_null(),
        "closed_without_resolution": pl.col("ev_first_closed").is_not_null()
        & pl.col("ev_first_resolved").is_null()
        & ~pl.col("ev_rejected"),
        "closed_without_decision": pl.col("ev_first_closed").is_not_null()
        & pl.col("ev_decision").is_null(),
        "event_before_receipt": pl.col("ev_first_at") < pl.col("received_at"),
        "decision_before_ack": pl.col("ev_decision") < pl.col("ev_ack"),
        "resolved_before_decision": pl.col("ev_first_resolved") < pl.col("ev_decision"),
        "closed_before_resolved": pl.col("ev_first_closed") < pl.col("ev_first_resolved"),
        "acknowledged_at_mismatch": first_mismatch("acknowledged_at", "ev_ack"),
        "accepted_at_mismatch": first_mismatch("accepted_at", "ev_decision"),
        "resolved_at_mismatch": latest_mismatch("resolved_at", "ev_resolved"),
        "closed_at_mismatch": latest_mismatch("closed_at", "ev_closed"),
        "status_mismatch": (pl.col("status") != pl.col("event_status"))
        & ~later_activity
        & ~both_open,
        "status_without_timestamp": ((pl.col("status") == "closed") & pl.col("closed_at").is_null())
        | ((pl.col("status") == "resolved") & pl.col("resolved_at").is_null())
        | ((pl.col("status") == "rejected") & pl.col("accepted_at").is_null()),
    }
    assert list(checks) == list(CHECKS)
    failed = pl.concat_list(
        [
            pl.when(expr.fill_null(False)).then(pl.lit(name)).otherwise(pl.lit(None, pl.String))
            for name, expr in checks.items()
        ]
    ).list.drop_nulls()
    return (
        df.with_columns(checks=failed)
        .filter(pl.col("checks").list.len() > 0)
        .select(
            "complaint_id",
            "subsidiary_id",
            "severity",
            "channel",
            "checks",
            "status",
            "event_status",
            "received_at",
            "acknowledged_at",
            "ev_ack",
            "accepted_at",
            "ev_decision",
            "resolved_at",
            "ev_resolved",
            "closed_at",
            "ev_closed",
        )
        .sort("complaint_id")
        .collect()
    )
