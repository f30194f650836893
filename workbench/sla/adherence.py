"""Adherence rates and the complaint-level findings built from the clocks.

Adherence of a target in a group = met / (met + breached) among complaints received
in P; clocks still running at the end of P are censored (counted in ``running``, not
in the rate). Each rate carries a 95 % Wilson interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from workbench.sla.policy import Policy
from workbench.sla.records import CHECKS
from workbench.stats import wilson_interval

__all__ = [
    "ADHERENCE_DIMENSIONS",
    "adherence",
    "breach_findings",
    "finding_severity",
    "monthly_trend",
    "record_findings",
]

ADHERENCE_DIMENSIONS: tuple[str, ...] = ("subsidiary_id", "channel", "category", "severity")
_ISO = "%Y-%m-%dT%H:%M:%S"


def finding_severity() -> pl.Expr:
    """Finding severity from the complaint: critical/high complaints and 12315 transfers
    (the regulator is watching) are ``high``; medium → ``medium``; low → ``low``."""
    return (
        pl.when(pl.col("severity").is_in(["critical", "high"]) | (pl.col("channel") == "regulator"))
        .then(pl.lit("high"))
        .when(pl.col("severity") == "medium")
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )


def _with_wilson(df: pl.DataFrame, level: float = 0.95) -> pl.DataFrame:
    rate, low, high = wilson_interval(df["met"].to_numpy(), df["judged"].to_numpy(), level)
    return df.with_columns(
        adherence=pl.Series(np.atleast_1d(rate), dtype=pl.Float64).fill_nan(None),
        ci_low=pl.Series(np.atleast_1d(low), dtype=pl.Float64).fill_nan(None),
        ci_high=pl.Series(np.atleast_1d(high), dtype=pl.Float64).fill_nan(None),
    )


def adherence(clocks: pl.DataFrame, by: str | Sequence[str] = (), *, level: float = 0.95) -> pl.DataFrame:
    """Met, breached and running counts and the adherence rate per target and group.

    ``by`` names columns of the clocks frame (e.g. ``"subsidiary_id"``); empty = overall.

    >>> import polars as pl
    >>> clocks = pl.DataFrame({"target": ["ack"] * 4, "state": ["met", "met", "breached", "running"]})
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
            adherence=pl.lit(None, pl.Float64), ci_low=pl.lit(None, pl.Float64), ci_high=pl.lit(None, pl.Float64)
        )
    return _with_wilson(out, level).select("target", *keys, "judged", "met", "breached", "running", "adherence", "ci_low", "ci_high")


def adherence_by_dimension(clocks: pl.DataFrame, dimensions: Sequence[str] = ADHERENCE_DIMENSIONS) -> pl.DataFrame:
    """Adherence per target for each value of each dimension, stacked (``dimension``, ``group``)."""
    parts = [
        adherence(clocks, d).rename({d: "group"}).with_columns(dimension=pl.lit(d), group=pl.col("group").cast(pl.String))
        for d in dimensions
    ]
    overall = adherence(clocks).with_columns(dimension=pl.lit("overall"), group=pl.lit("all"))
    cols = ["dimension", "group", "target", "judged", "met", "breached", "running", "adherence", "ci_low", "ci_high"]
    return pl.concat([p.select(cols) for p in [overall, *parts]])


def monthly_trend(clocks: pl.DataFrame) -> pl.DataFrame:
    """Adherence per target and month of receipt."""
    df = clocks.with_columns(month=pl.col("received_at").dt.truncate("1mo").dt.date())
    return adherence(df, "month")


def breach_findings(clocks: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """One raw finding per complaint and breach rule (the worst breached target is the
    headline; every breached target of that rule is in ``targets``)."""
    basis = {v.version: v.legal_basis for v in policy.versions}
    b = clocks.filter(pl.col("state") == "breached")
    if b.height == 0:
        return pl.DataFrame()
    b = b.with_columns(
        _t=pl.struct(
            target=pl.col("target"),
            clock=pl.col("clock"),
            limit=pl.col("limit"),
            elapsed=pl.col("elapsed").round(3),
            overrun=pl.col("overrun").round(3),
            overrun_hours=pl.col("overrun_h").round(2),
            start=pl.col("start_at").dt.strftime(_ISO),
            stop=pl.col("stop_at").dt.strftime(_ISO),
            deadline=pl.col("deadline_at").dt.strftime(_ISO),
            paused_hours=pl.col("paused_h").round(2),
        )
    )
    worst = (
        b.sort(["complaint_id", "rule", "overrun_h"], descending=[False, False, True])
        .group_by(["complaint_id", "rule"], maintain_order=True)
        .agg(pl.all().first(), _targets=pl.col("_t"))
    )
    return worst.select(
        "rule",
        severity=finding_severity(),
        entity_type=pl.lit("complaint"),
        entity_id=pl.col("complaint_id"),
        subsidiary_id=pl.col("subsidiary_id"),
        detail=pl.struct(
            target=pl.col("target"),
            clock=pl.col("clock"),
            limit=pl.col("limit"),
            elapsed=pl.col("elapsed").round(3),
            overrun=pl.col("overrun").round(3),
            overrun_hours=pl.col("overrun_h").round(2),
            deadline=pl.col("deadline_at").dt.strftime(_ISO),
            received_at=pl.col("received_at").dt.strftime(_ISO),
            stopped_at=pl.col("stop_at").dt.strftime(_ISO),
            still_open_at_period_end=pl.col("stop_at").is_null(),
            paused_hours=pl.col("paused_h").round(2),
            complaint_severity=pl.col("severity"),
            channel=pl.col("channel"),
            policy_version=pl.col("policy_version"),
            legal_basis=pl.col("policy_version").replace_strict(basis, return_dtype=pl.String),
            targets=pl.col("_targets"),
        ),
    )


def record_findings(
    problems: pl.DataFrame, policy_versions: Mapping[str, str], legal_basis: Mapping[str, str]
) -> pl.DataFrame:
    """Raw ``missing_record`` findings from :func:`workbench.sla.records.record_checks`.

    ``policy_versions`` maps complaint id → the policy version in force at receipt,
    ``legal_basis`` maps version → its legal basis.
    """
    if problems.height == 0:
        return pl.DataFrame()
    explain = pl.col("checks").list.eval(pl.element().replace_strict(CHECKS, return_dtype=pl.String))
    ts = {
        c: pl.col(c).dt.strftime(_ISO)
        for c in (
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
    }
    version = pl.col("complaint_id").replace_strict(policy_versions, default=None, return_dtype=pl.String)
    return problems.with_columns(_v=version).select(
        rule=pl.lit("missing_record"),
        severity=pl.when(pl.col("severity").is_in(["critical", "high"]))
        .then(pl.lit("high"))
        .otherwise(pl.lit("medium")),
        entity_type=pl.lit("complaint"),
        entity_id=pl.col("complaint_id"),
        subsidiary_id=pl.col("subsidiary_id"),
        detail=pl.struct(
            checks=pl.col("checks"),
            explanation=explain,
            table_status=pl.col("status"),
            record_status=pl.col("event_status"),
            table=pl.struct(
                received_at=ts["received_at"],
                acknowledged_at=ts["acknowledged_at"],
                accepted_at=ts["accepted_at"],
                resolved_at=ts["resolved_at"],
                closed_at=ts["closed_at"],
            ),
            record=pl.struct(
                first_acknowledged=ts["ev_ack"],
                first_decision=ts["ev_decision"],
                latest_resolved=ts["ev_resolved"],
                latest_closed=ts["ev_closed"],
            ),
            policy_version=pl.col("_v"),
            legal_basis=pl.col("_v").replace_strict(dict(legal_basis), default=None, return_dtype=pl.String),
        ),
    )
