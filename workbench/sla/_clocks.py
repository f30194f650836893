"""SLA clocks: for every complaint received in P and every target of its policy, how
long the clock ran and whether the limit was met, breached, or is still running.

Everything is computed from ``complaint_events`` (the service record) up to the end
of P; events after it are never read (no look-ahead). The complaints table gives
only the receipt moment and the attributes that select the limit (severity,
channel). All arithmetic is vectorised polars / numpy; no Python loop over rows.

Clock semantics (the policy file states which applies to each target):

* **elapsed** — from receipt to the first ``stop`` event. ``pause`` events suspend
  the clock until the matching resume event (a pause still open at the stop or at
  the end of P lasts until then). A ``restart_on`` event (``reopened``) starts a new
  cycle with a fresh limit; a complaint breaches the target when any cycle does
  (the worst cycle is reported). A ``void_on`` event (``rejected``) makes the target
  not applicable.
* **gap** — the longest stretch without any event while the complaint is open: from
  receipt (or a ``restart_on`` event) until a ``stop`` event; an open complaint's
  last stretch runs to the end of P.
* Clocks: ``calendar_hours`` and ``calendar_days`` (24-hour days) measure durations;
  ``working_days`` puts the deadline at the end of the n-th official working day
  after the receipt date (the day of receipt not counted), via
  :meth:`workbench.workdays.WorkCalendar.add_workdays`. Met means at or before the
  deadline.
* **State** at the end of P: ``met``; ``breached`` (stopped late, or not stopped and
  the deadline has passed); ``running`` (not stopped, deadline not passed —
  censored, never a breach).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from workbench.periods import Period
from workbench.sla._policy import HOURS_PER_UNIT, MSG_NOT_IN_FORCE, Policy, PolicyError, Target
from workbench.workdays import WorkCalendar

__all__ = [
    "CLOCK_SCHEMA",
    "STATES",
    "complaints_in_period",
    "events_until",
    "judge",
    "judge_at",
]

STATES: tuple[str, ...] = ("met", "breached", "running")
RECEIVED = "__received__"  # synthetic event marking the receipt moment
_H = 3_600_000_000  # microseconds per hour
#: Order of events that share a timestamp: the handling lifecycle.
LIFECYCLE: tuple[str, ...] = (
    RECEIVED,
    "acknowledged",
    "accepted",
    "rejected",
    "progress_update",
    "escalated",
    "waiting_customer",
    "resumed",
    "resolved",
    "closed",
    "reopened",
)


def lifecycle_rank() -> pl.Expr:
    """Tie-break for events at the same moment (unknown events last)."""
    ranks = {e: i for i, e in enumerate(LIFECYCLE)}
    return pl.col("event").replace_strict(ranks, default=len(LIFECYCLE), return_dtype=pl.Int32)

#: One row per complaint × applicable target (see :func:`judge`).
CLOCK_SCHEMA: dict[str, pl.DataType] = {
    "complaint_id": pl.String(),
    "subsidiary_id": pl.String(),
    "channel": pl.String(),
    "category": pl.String(),
    "severity": pl.String(),
    "received_at": pl.Datetime("us"),
    "policy_version": pl.String(),
    "target": pl.String(),
    "rule": pl.String(),
    "clock": pl.String(),
    "limit": pl.Float64(),
    "limit_h": pl.Float64(),
    "start_at": pl.Datetime("us"),
    "stop_at": pl.Datetime("us"),
    "deadline_at": pl.Datetime("us"),
    "elapsed": pl.Float64(),
    "elapsed_h": pl.Float64(),
    "overrun": pl.Float64(),
    "overrun_h": pl.Float64(),
    "paused_h": pl.Float64(),
    "cycles": pl.Int64(),
    "state": pl.String(),
}

_COMPLAINT_COLS = (
    "complaint_id", "subsidiary_id", "channel", "category", "severity", "received_at",
)


# ------------------------------------------------------------------ inputs
def complaints_in_period(complaints: pl.LazyFrame, period: Period) -> pl.LazyFrame:
    """Complaints received in ``[period.start, period.end)``."""
    return complaints.filter(
        pl.col("received_at").is_between(period.start, period.end, closed="left")
    )


def events_until(events: pl.LazyFrame, cutoff: dt.datetime) -> pl.LazyFrame:
    """The service record as known at ``cutoff`` (events at or before it)."""
    return events.filter(pl.col("at") <= cutoff).select("complaint_id", "at", "event")


def _hours(expr: pl.Expr) -> pl.Expr:
    return expr.dt.total_microseconds().cast(pl.Float64) / _H


def _assign_versions(received: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    versions = pl.DataFrame(
        {
            "effective_from": [v.effective_from for v in policy.versions],
            "policy_version": [v.version for v in policy.versions],
        },
        schema={"effective_from": pl.Date, "policy_version": pl.String},
    )
    out = (
        received.with_columns(_day=pl.col("received_at").dt.date())
        .sort("_day")
        .join_asof(versions, left_on="_day", right_on="effective_from", strategy="backward")
        .drop("_day", "effective_from")
    )
    orphans = out.filter(pl.col("policy_version").is_null())
    if orphans.height:
        raise PolicyError(
            MSG_NOT_IN_FORCE.format(
                path=policy.source,
                n=orphans.height,
                first=policy.versions[0].effective_from.isoformat(),
                examples=orphans["complaint_id"].head(5).to_list(),
            )
        )
    return out


def _spec_key(t: Target) -> tuple[Any, ...]:
    """What makes two versions' targets compute the same way (limits aside)."""
    return (t.name, t.rule, t.kind, t.clock, t.start, t.stop, t.pause, t.restart_on, t.void_on)


def _limits_table(policy: Policy, channels: list[str], severities: list[str]) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for v in policy.versions:
        for t in v.targets:
            for ch in channels:
                for sev in severities:
                    lim = t.limit_for(sev, ch)
                    if lim is None:
                        continue
                    rows.append(
                        {
                            "policy_version": v.version,
                            "target": t.name,
                            "channel": ch,
                            "severity": sev,
                            "limit": lim,
                            "spec": repr(_spec_key(t)),
                        }
                    )
    return pl.DataFrame(
        rows,
        schema={
            "policy_version": pl.String,
            "target": pl.String,
            "channel": pl.String,
            "severity": pl.String,
            "limit": pl.Float64,
            "spec": pl.String,
        },
    )


# ------------------------------------------------------------------ clocks
# Every helper works on ``rows``: the service record up to the cutoff plus one
# synthetic receipt row per complaint, keyed by an integer ``_k`` (the complaint's
# position) and sorted by (_k, at, lifecycle rank) once in :func:`judge_at`. Filters
# keep that order; joins do not, so nothing order-dependent follows a join.
def _void(rows: pl.DataFrame, t: Target) -> pl.DataFrame:
    return rows.filter(pl.col("event").is_in(list(t.void_on))).select("_k").unique()


def _state_expr(stopped: pl.Expr, over: pl.Expr, last_cycle: pl.Expr | None = None) -> pl.Expr:
    """Breached if over the limit; met if stopped (or superseded by a later cycle); else running."""
    settled = stopped if last_cycle is None else stopped | ~last_cycle
    return (
        pl.when(over)
        .then(pl.lit("breached"))
        .when(settled)
        .then(pl.lit("met"))
        .otherwise(pl.lit("running"))
    )


def _offset(start: pl.Expr, hours: pl.Expr) -> pl.Expr:
    return start + pl.duration(microseconds=(hours * _H).round(0).cast(pl.Int64))


def _elapsed_simple(
    subjects: pl.DataFrame, rows: pl.DataFrame, t: Target, cutoff: dt.datetime
) -> pl.LazyFrame:
    """Elapsed clock on calendar time, no pause and no restart: receipt to the first stop."""
    unit = HOURS_PER_UNIT[t.clock]
    stops = (
        rows.lazy()
        .filter(pl.col("event").is_in(list(t.stop)))
        .group_by("_k")
        .agg(_stop=pl.col("at").min())
    )
    return (
        subjects.lazy()
        .select("_k", "received_at", "limit")
        .join(stops, on="_k", how="left")
        .with_columns(_limit_h=pl.col("limit") * unit)
        .with_columns(_el_h=_hours(pl.coalesce("_stop", pl.lit(cutoff)) - pl.col("received_at")))
        .with_columns(_over=pl.col("_el_h") > pl.col("_limit_h"))
        .select(
            "_k",
            start_at=pl.col("received_at"),
            stop_at=pl.col("_stop"),
            deadline_at=_offset(pl.col("received_at"), pl.col("_limit_h")),
            elapsed=pl.col("_el_h") / unit,
            elapsed_h=pl.col("_el_h"),
            overrun=pl.when(pl.col("_over")).then((pl.col("_el_h") - pl.col("_limit_h")) / unit),
            overrun_h=pl.when(pl.col("_over")).then(pl.col("_el_h") - pl.col("_limit_h")),
            paused_h=pl.lit(0.0),
            cycles=pl.lit(1, pl.Int64),
            state=_state_expr(pl.col("_stop").is_not_null(), pl.col("_over")),
            limit_h=pl.col("_limit_h"),
        )
    )


def _elapsed_calendar(
    subjects: pl.DataFrame, rows: pl.DataFrame, t: Target, cutoff: dt.datetime
) -> pl.LazyFrame:
    """Elapsed clock on calendar time with optional pause and restart cycles."""
    if t.pause is None and not t.restart_on:
        return _elapsed_simple(subjects, rows, t, cutoff)
    unit = HOURS_PER_UNIT[t.clock]
    stop, restart = list(t.stop), list(t.restart_on)
    pause = list(t.pause or ())
    # Only the events that move this clock (filter keeps the sort order).
    rel = rows.lazy().filter(pl.col("event").is_in([RECEIVED, *stop, *restart, *pause]))
    is_restart = pl.col("event").is_in(restart) if restart else pl.lit(False)
    # Scans over the whole sorted frame (no window per complaint): a complaint's
    # first row resets the running state, so nothing leaks from the previous one.
    first = pl.col("_k") != pl.col("_k").shift(1).fill_null(-1)
    rel = rel.with_columns(_first=first, _rs=is_restart.cast(pl.Int32)).with_columns(
        _cs=pl.col("_rs").cum_sum()
    )
    rel = rel.with_columns(
        _cycle=pl.col("_cs")
        - pl.when(pl.col("_first")).then(pl.col("_cs") - pl.col("_rs")).forward_fill()
    )
    key = ["_k", "_cycle"]
    if t.pause is not None:
        on, off = t.pause
        rel = rel.with_columns(
            _p=pl.when(pl.col("event") == on)
            .then(pl.lit(True))
            .when(pl.col("event").is_in([off, *restart, RECEIVED]) | pl.col("_first"))
            .then(pl.lit(False))
            .otherwise(pl.lit(None, pl.Boolean))
            .forward_fill(),
            _to=pl.when(pl.col("_k").shift(-1) == pl.col("_k")).then(pl.col("at").shift(-1)),
        )
    else:
        rel = rel.with_columns(_p=pl.lit(False), _to=pl.lit(None, pl.Datetime("us")))
    rel = rel.collect().lazy()
    cycles = (
        rel.group_by(key)
        .agg(
            _cstart=pl.col("at").filter(is_restart).min(),
            _stop=pl.col("at").filter(pl.col("event").is_in(stop)).min(),
        )
        .join(subjects.lazy().select("_k", "received_at", "limit"), on="_k", how="left")
        .with_columns(
            _cstart=pl.when(pl.col("_cycle") == 0)
            .then(pl.col("received_at"))
            .otherwise(pl.col("_cstart"))
        )
        .sort(key)
        .with_columns(
            _next=pl.when(pl.col("_k").shift(-1) == pl.col("_k")).then(pl.col("_cstart").shift(-1))
        )
        .with_columns(
            _cend=pl.coalesce(pl.col("_stop"), pl.col("_next"), pl.lit(cutoff)),
            _last=pl.col("_next").is_null(),
        )
    )
    if t.pause is not None:
        seg = (
            rel.filter(pl.col("_p"))
            .join(cycles.select(*key, "_cstart", "_cend"), on=key, how="left")
            .with_columns(
                _a=pl.max_horizontal("at", "_cstart"),
                _b=pl.min_horizontal(pl.coalesce("_to", "_cend"), "_cend"),
            )
            .group_by(key)
            .agg(_paused=_hours(pl.col("_b") - pl.col("_a")).clip(lower_bound=0.0).sum())
        )
        cycles = cycles.join(seg, on=key, how="left").with_columns(pl.col("_paused").fill_null(0.0))
    else:
        cycles = cycles.with_columns(_paused=pl.lit(0.0))

    cycles = (
        cycles.with_columns(_limit_h=pl.col("limit") * unit)
        .with_columns(_el_h=_hours(pl.col("_cend") - pl.col("_cstart")) - pl.col("_paused"))
        .with_columns(
            _over=pl.col("_el_h") > pl.col("_limit_h"),
            _stopped=pl.col("_stop").is_not_null(),
        )
        .with_columns(_state=_state_expr(pl.col("_stopped"), pl.col("_over"), pl.col("_last")))
        .with_columns(_ncycles=pl.len().over("_k"))
    )
    # Report the worst breached cycle, else the last one.
    return (
        cycles.sort(["_k", "_over", "_el_h", "_cycle"], descending=[False, True, True, True])
        .unique(subset="_k", keep="first", maintain_order=True)
        .select(
            "_k",
            start_at=pl.col("_cstart"),
            stop_at=pl.col("_stop"),
            deadline_at=_offset(pl.col("_cstart"), pl.col("_limit_h") + pl.col("_paused")),
            elapsed=pl.col("_el_h") / unit,
            elapsed_h=pl.col("_el_h"),
            overrun=pl.when(pl.col("_over")).then((pl.col("_el_h") - pl.col("_limit_h")) / unit),
            overrun_h=pl.when(pl.col("_over")).then(pl.col("_el_h") - pl.col("_limit_h")),
            paused_h=pl.col("_paused"),
            cycles=pl.col("_ncycles").cast(pl.Int64),
            state=pl.col("_state"),
            limit_h=pl.col("_limit_h"),
        )
    )


def _gap(
    subjects: pl.DataFrame, rows: pl.DataFrame, t: Target, cutoff: dt.datetime
) -> pl.LazyFrame:
    """Longest stretch without an event while open."""
    unit = HOURS_PER_UNIT[t.clock]
    opens = [RECEIVED, *t.restart_on]
    # fill_null: the frame's last row has no next row (a null would drop it below)
    same_next = (pl.col("_k").shift(-1) == pl.col("_k")).fill_null(False)
    first = pl.col("_k") != pl.col("_k").shift(1).fill_null(-1)
    # A forward fill over the whole sorted frame: every complaint's first row sets a
    # state (an event before the receipt row counts as not yet open).
    g = rows.lazy().with_columns(
        _open=pl.when(pl.col("event").is_in(list(t.stop)))
        .then(pl.lit(False))
        .when(pl.col("event").is_in(opens))
        .then(pl.lit(True))
        .when(first)
        .then(pl.lit(False))
        .otherwise(pl.lit(None, pl.Boolean))
        .forward_fill(),
        _to=pl.when(same_next).then(pl.col("at").shift(-1)),
    )
    g = g.with_columns(
        _gap_h=pl.when(pl.col("_open")).then(
            _hours(pl.coalesce("_to", pl.lit(cutoff)) - pl.col("at"))
        )
    )
    # One row per complaint: its longest open stretch (ties: the earliest).
    g = g.collect().lazy()
    worst = (
        g.filter(pl.col("_gap_h").is_not_null())
        .group_by("_k")
        .agg(
            _max=pl.col("_gap_h").max(),
            _from=pl.col("at").get(pl.col("_gap_h").arg_max()),
            _until=pl.col("_to").get(pl.col("_gap_h").arg_max()),
        )
    )
    open_end = g.filter(~same_next).select("_k", _open_end=pl.col("_open"))
    per = (
        subjects.lazy()
        .select("_k", "received_at", "limit")
        .join(worst, on="_k", how="left")
        .join(open_end, on="_k", how="left")
        .with_columns(_limit_h=pl.col("limit") * unit, _max=pl.col("_max").fill_null(0.0))
        .with_columns(
            _over=pl.col("_max") > pl.col("_limit_h"), _start=pl.coalesce("_from", "received_at")
        )
    )
    return per.select(
        "_k",
        start_at=pl.col("_start"),
        stop_at=pl.when(pl.col("_over")).then(pl.col("_until")),
        deadline_at=_offset(pl.col("_start"), pl.col("_limit_h")),
        elapsed=pl.col("_max") / unit,
        elapsed_h=pl.col("_max"),
        overrun=pl.when(pl.col("_over")).then((pl.col("_max") - pl.col("_limit_h")) / unit),
        overrun_h=pl.when(pl.col("_over")).then(pl.col("_max") - pl.col("_limit_h")),
        paused_h=pl.lit(0.0),
        cycles=pl.lit(1, pl.Int64),
        state=pl.when(pl.col("_over"))
        .then(pl.lit("breached"))
        .when(pl.col("_open_end"))
        .then(pl.lit("running"))
        .otherwise(pl.lit("met")),
        limit_h=pl.col("_limit_h"),
    )


def _working_days(
    subjects: pl.DataFrame,
    rows: pl.DataFrame,
    t: Target,
    cutoff: dt.datetime,
    calendar: WorkCalendar,
) -> pl.LazyFrame:
    """Elapsed clock in official working days.

    Deadline = the end of the n-th working day after the receipt date.
    """
    stops = (
        rows.filter(pl.col("event").is_in(list(t.stop)))
        .group_by("_k")
        .agg(stop_at=pl.col("at").min())
    )
    df = subjects.select("_k", "received_at", "limit").join(stops, on="_k", how="left")
    asof_day = (cutoff - dt.timedelta(microseconds=1)).date()
    df = df.with_columns(
        _rday=pl.col("received_at").dt.date(),
        _n=pl.col("limit").round(0).cast(pl.Int64),
        _eday=pl.coalesce(pl.col("stop_at").dt.date(), pl.lit(asof_day)),
    )
    # Deadlines on the unique (receipt date, n) pairs, then joined back.
    pairs = df.select("_rday", "_n").unique()
    deadlines = calendar.add_workdays(
        pairs["_rday"].to_numpy().astype("datetime64[D]"), pairs["_n"].to_numpy()
    )
    pairs = pairs.with_columns(_dday=pl.Series(deadlines.astype("datetime64[D]")).cast(pl.Date))
    df = df.join(pairs, on=["_rday", "_n"], how="left")
    # Working days counted (day of receipt excluded) up to the decision or as-of day.
    spans = pl.concat(
        [
            df.select(_s=pl.col("_rday"), _e=pl.col("_eday")),
            df.select(_s=pl.col("_dday"), _e=pl.col("_eday")),
        ]
    ).unique()
    s = spans["_s"].to_numpy().astype("datetime64[D]")
    e = spans["_e"].to_numpy().astype("datetime64[D]")
    later = e >= s
    counted = np.zeros(len(s), dtype=np.int64)
    if later.any():
        counted[later] = calendar.workdays_between(s[later], e[later])
    spans = spans.with_columns(_wd=pl.Series(counted))
    df = (
        df.join(spans.rename({"_wd": "_el_wd"}), left_on=["_rday", "_eday"],
                right_on=["_s", "_e"], how="left")
        .join(spans.rename({"_wd": "_late_wd"}), left_on=["_dday", "_eday"],
              right_on=["_s", "_e"], how="left")
        .with_columns(deadline_at=pl.col("_dday").cast(pl.Datetime("us")) + pl.duration(days=1))
        .with_columns(
            _stopped=pl.col("stop_at").is_not_null(),
            _end=pl.coalesce("stop_at", pl.lit(cutoff)),
        )
        .with_columns(_over=pl.col("_end") >= pl.col("deadline_at"))
        .with_columns(
            _over=pl.when(pl.col("_stopped"))
            .then(pl.col("stop_at") >= pl.col("deadline_at"))
            .otherwise(pl.col("_over"))
        )
    )
    return df.lazy().select(
        "_k",
        start_at=pl.col("received_at"),
        stop_at=pl.col("stop_at"),
        deadline_at=pl.col("deadline_at"),
        elapsed=pl.col("_el_wd").cast(pl.Float64),
        elapsed_h=_hours(pl.col("_end") - pl.col("received_at")),
        overrun=pl.when(pl.col("_over")).then(pl.col("_late_wd").cast(pl.Float64)),
        overrun_h=pl.when(pl.col("_over")).then(_hours(pl.col("_end") - pl.col("deadline_at"))),
        paused_h=pl.lit(0.0),
        cycles=pl.lit(1, pl.Int64),
        state=_state_expr(pl.col("_stopped"), pl.col("_over")),
        limit_h=pl.lit(None, pl.Float64),
    )


def judge(
    complaints: pl.LazyFrame,
    events: pl.LazyFrame,
    period: Period,
    *,
    policy: Policy,
    calendar: WorkCalendar,
) -> pl.DataFrame:
    """Every SLA clock of every complaint received in ``period``, as of its end.

    Returns one row per complaint × target that applies to it (:data:`CLOCK_SCHEMA`):
    ``limit``/``elapsed``/``overrun`` in the target's clock units, ``*_h`` in hours,
    ``deadline_at`` (extended by pauses), ``state`` in :data:`STATES`. Targets voided
    for a complaint (a resolution target of a rejected complaint) have no row.
    """
    received = complaints_in_period(complaints, period).select(*_COMPLAINT_COLS).collect()
    return judge_at(received, events, period.end, policy=policy, calendar=calendar)


def judge_at(
    received: pl.DataFrame,
    events: pl.LazyFrame,
    cutoff: dt.datetime,
    *,
    policy: Policy,
    calendar: WorkCalendar,
) -> pl.DataFrame:
    """The clocks of the given complaints as of ``cutoff`` (events after it unused).

    :func:`judge` is this for the complaints received in a period, at its end; the
    breach-risk model uses it at earlier landmark moments.
    """
    if received.height == 0:
        return pl.DataFrame(schema=CLOCK_SCHEMA)
    received = _assign_versions(received.select(*_COMPLAINT_COLS), policy).with_row_index("_k")
    channels = received["channel"].unique().to_list()
    severities = received["severity"].unique().to_list()
    limits = _limits_table(policy, channels, severities)
    long = received.join(limits, on=["policy_version", "channel", "severity"], how="inner")
    # The service record up to the cutoff plus a receipt row per complaint, keyed by
    # _k and sorted once (see the note above the clock helpers).
    keys = received.lazy().select("complaint_id", "_k", "received_at")
    rows = (
        pl.concat(
            [
                keys.select("_k", at=pl.col("received_at"), event=pl.lit(RECEIVED)),
                events_until(events, cutoff)
                .join(keys, on="complaint_id", how="inner")
                .select("_k", "at", "event"),
            ]
        )
        .with_columns(_r=lifecycle_rank())
        .sort("_k", "at", "_r")
        .drop("_r")
        .collect()
    )

    targets: dict[str, Target] = {}
    for v in policy.versions:
        for t in v.targets:
            targets.setdefault(repr(_spec_key(t)), t)

    parts: list[pl.LazyFrame] = []
    for spec, t in targets.items():
        subjects = long.filter(pl.col("spec") == spec)
        if subjects.height == 0:
            continue
        mine = (
            rows
            if subjects.height == received.height
            else rows.filter(pl.col("_k").is_in(subjects["_k"].implode()))
        )
        if t.clock == "working_days":
            part = _working_days(subjects, mine, t, cutoff, calendar)
        elif t.kind == "gap":
            part = _gap(subjects, mine, t, cutoff)
        else:
            part = _elapsed_calendar(subjects, mine, t, cutoff)
        if t.void_on:
            part = part.join(_void(mine, t).lazy(), on="_k", how="anti")
        meta = subjects.lazy().select(
            "_k", *_COMPLAINT_COLS, "policy_version", "target", "limit",
            rule=pl.lit(t.rule), clock=pl.lit(t.clock),
        )
        parts.append(meta.join(part, on="_k", how="inner"))
    frames = pl.collect_all(parts)
    out = pl.concat(
        [f.select("_k", *CLOCK_SCHEMA).cast(CLOCK_SCHEMA) for f in frames],  # type: ignore[arg-type]
        how="vertical",
    )
    # Sorted by receipt (the _k order), then target: deterministic and cheaper than by id.
    return out.sort("_k", "target").drop("_k")
