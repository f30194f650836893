"""One builder per SLA rule code, named after it: the raw findings of each rule.

Each builder returns raw findings (``rule``, ``severity``, ``entity_type``,
``entity_id``, ``subsidiary_id``, ``detail`` as a struct) or an empty frame;
:func:`workbench.findings.make_findings` turns them into contract findings.

* :func:`ack_breach`, :func:`acceptance_breach`, :func:`resolution_breach`,
  :func:`update_gap` — from the clocks: one finding per complaint whose target of
  that rule breached by the end of P (the worst breached target is the headline;
  every breached target of that rule is in ``targets``);
* :func:`missing_record` — from :func:`workbench.sla._records.record_checks`;
* :func:`breach_risk` — the worklist of the breach-risk model;
* :func:`recurring_cause` — one per subsidiary with a flagged cause
  (:func:`workbench.sla._recurring.recurring_causes`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import polars as pl

from workbench.severity import severity, severity_evidence
from workbench.sla._policy import Policy
from workbench.sla._records import CHECKS

__all__ = [
    "ack_breach",
    "acceptance_breach",
    "breach_risk",
    "missing_record",
    "recurring_cause",
    "resolution_breach",
    "update_gap",
]

_ISO = "%Y-%m-%dT%H:%M:%S"
_RISK_MODEL = (
    "probability of breaching resolution within 28 days: logistic regression on weekly "
    "landmarks (every complaint at risk, labelled whatever its outcome), calibrated on "
    "folds grouped by complaint"
)


def _complaint_inputs(**more: pl.Expr) -> dict[str, pl.Expr]:
    """Severity inputs every complaint rule shares (policy ``workbench/severity_policy.yaml``):
    the complaint's own severity and whether the regulator (12315) transferred it.
    """
    return {
        "complaint_severity": pl.col("severity"),
        "regulator_channel": pl.col("channel") == "regulator",
        **more,
    }


def _ts(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime(_ISO)


def _clock_breaches(clocks: pl.DataFrame, policy: Policy, rule: str) -> pl.DataFrame:
    """One raw finding per complaint whose target of ``rule`` breached."""
    basis = {v.version: v.legal_basis for v in policy.versions}
    b = clocks.filter((pl.col("state") == "breached") & (pl.col("rule") == rule))
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
            start=_ts("start_at"),
            stop=_ts("stop_at"),
            deadline=_ts("deadline_at"),
            paused_hours=pl.col("paused_h").round(2),
        )
    )
    worst = (
        b.sort(["complaint_id", "overrun_h"], descending=[False, True], maintain_order=True)
        .group_by("complaint_id", maintain_order=True)
        .agg(pl.all().first(), _targets=pl.col("_t"))
    )
    # Severity from the headline (worst) target: overrun / limit, in the clock's units.
    inputs = _complaint_inputs(overrun_ratio=(pl.col("overrun") / pl.col("limit")).round(3))
    return worst.select(
        "rule",
        severity=severity(rule, **inputs),
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
            deadline=_ts("deadline_at"),
            received_at=_ts("received_at"),
            stopped_at=_ts("stop_at"),
            still_open_at_period_end=pl.col("stop_at").is_null(),
            paused_hours=pl.col("paused_h").round(2),
            complaint_severity=pl.col("severity"),
            channel=pl.col("channel"),
            policy_version=pl.col("policy_version"),
            legal_basis=pl.col("policy_version").replace_strict(basis, return_dtype=pl.String),
            targets=pl.col("_targets"),
            severity_basis=severity_evidence(rule, **inputs),
        ),
    )


def ack_breach(clocks: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """``ack_breach``: the first response came (or is still missing) after its limit.

    Parameters
    ----------
    clocks
        The period's clocks (:func:`workbench.sla.judge`).
    policy
        The policy the clocks were judged by (for each version's legal basis).

    Returns
    -------
    pl.DataFrame
        Raw findings, one per complaint.
    """
    return _clock_breaches(clocks, policy, "ack_breach")


def acceptance_breach(clocks: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """``acceptance_breach``: the accept/reject decision came after its working-day limit.

    Parameters
    ----------
    clocks
        The period's clocks (:func:`workbench.sla.judge`).
    policy
        The policy the clocks were judged by.

    Returns
    -------
    pl.DataFrame
        Raw findings, one per complaint.
    """
    return _clock_breaches(clocks, policy, "acceptance_breach")


def resolution_breach(clocks: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """``resolution_breach``: resolution (or the mediation cap) later than its limit.

    Parameters
    ----------
    clocks
        The period's clocks (:func:`workbench.sla.judge`).
    policy
        The policy the clocks were judged by.

    Returns
    -------
    pl.DataFrame
        Raw findings, one per complaint (the worst breached target is the headline).
    """
    return _clock_breaches(clocks, policy, "resolution_breach")


def update_gap(clocks: pl.DataFrame, policy: Policy) -> pl.DataFrame:
    """``update_gap``: too long without any event while the complaint was open.

    Parameters
    ----------
    clocks
        The period's clocks (:func:`workbench.sla.judge`).
    policy
        The policy the clocks were judged by.

    Returns
    -------
    pl.DataFrame
        Raw findings, one per complaint.
    """
    return _clock_breaches(clocks, policy, "update_gap")


def missing_record(
    problems: pl.DataFrame, policy_versions: Mapping[str, str], legal_basis: Mapping[str, str]
) -> pl.DataFrame:
    """``missing_record``: the handling record is incomplete or contradicts the table.

    Parameters
    ----------
    problems
        :func:`workbench.sla.record_checks` (one row per failing complaint).
    policy_versions
        Complaint id → the policy version in force at receipt.
    legal_basis
        Policy version → its legal basis.

    Returns
    -------
    pl.DataFrame
        Raw findings, one per complaint, listing the failed checks.
    """
    if problems.height == 0:
        return pl.DataFrame()
    explain = pl.col("checks").list.eval(
        pl.element().replace_strict(CHECKS, return_dtype=pl.String)
    )
    version = pl.col("complaint_id").replace_strict(
        policy_versions, default=None, return_dtype=pl.String
    )
    inputs = _complaint_inputs()
    return problems.with_columns(_v=version).select(
        rule=pl.lit("missing_record"),
        severity=severity("missing_record", **inputs),
        entity_type=pl.lit("complaint"),
        entity_id=pl.col("complaint_id"),
        subsidiary_id=pl.col("subsidiary_id"),
        detail=pl.struct(
            checks=pl.col("checks"),
            explanation=explain,
            complaint_severity=pl.col("severity"),
            channel=pl.col("channel"),
            table_status=pl.col("status"),
            record_status=pl.col("event_status"),
            table=pl.struct(
                received_at=_ts("received_at"),
                acknowledged_at=_ts("acknowledged_at"),
                accepted_at=_ts("accepted_at"),
                resolved_at=_ts("resolved_at"),
                closed_at=_ts("closed_at"),
            ),
            record=pl.struct(
                first_acknowledged=_ts("ev_ack"),
                first_decision=_ts("ev_decision"),
                latest_resolved=_ts("ev_resolved"),
                latest_closed=_ts("ev_closed"),
            ),
            policy_version=pl.col("_v"),
            legal_basis=pl.col("_v").replace_strict(
                dict(legal_basis), default=None, return_dtype=pl.String
            ),
            severity_basis=severity_evidence("missing_record", **inputs),
        ),
    )


def breach_risk(
    worklist: pl.DataFrame,
    *,
    threshold: float | None,
    model_metrics: Mapping[str, Any],
    policy_versions: Mapping[str, str],
    legal_basis: Mapping[str, str],
    clocks: pl.DataFrame | None = None,
    at: dt.datetime | None = None,
) -> pl.DataFrame:
    """``breach_risk``: open, not yet breached, predicted to breach resolution.

    The evidence states the resolution target's limit, clock, elapsed time, deadline
    and the hours left from ``at`` (the period end) to the deadline; severity (policy
    ``breach_risk``) from the complaint's severity, a 12315 transfer and the hours left.

    Parameters
    ----------
    worklist
        The scored open complaints at or above ``threshold``
        (:func:`workbench.sla._risk.fit_breach_risk` scores).
    threshold
        The cut-off the worklist was taken at (``RiskModel.threshold``).
    model_metrics
        The model's metrics: how the cut-off was set (``threshold_policy``,
        ``min_precision``, ``precision_fit``) and the out-of-time validation
        (``roc_auc_oot``, ``brier_oot``, ``brier_skill_oot``, ``precision_oot``,
        ``recall_oot``).
    policy_versions
        Complaint id → the policy version in force at receipt.
    legal_basis
        Policy version → its legal basis.
    clocks
        The period's clocks (the ``resolution`` target gives limit and deadline);
        None: limit and time left unknown (null).
    at
        When the worklist was scored (the period end), for the hours left.

    Returns
    -------
    pl.DataFrame
        Raw findings, one per listed complaint.
    """
    if worklist.height == 0:
        return pl.DataFrame()
    version = pl.col("complaint_id").replace_strict(
        policy_versions, default=None, return_dtype=pl.String
    )
    worklist = worklist.join(_resolution_clock(clocks, at), on="complaint_id", how="left")
    inputs = _complaint_inputs(hours_left=pl.col("_left"))
    return worklist.with_columns(_v=version).select(
        rule=pl.lit("breach_risk"),
        severity=severity("breach_risk", **inputs),
        entity_type=pl.lit("complaint"),
        entity_id=pl.col("complaint_id"),
        subsidiary_id=pl.col("subsidiary_id"),
        detail=pl.struct(
            probability=pl.col("probability").round(4),
            threshold=pl.lit(threshold),
            age_days=(pl.col("age_h") / 24).round(2),
            target=pl.lit("resolution"),
            clock=pl.col("_clock"),
            limit=pl.col("_limit"),
            elapsed=pl.col("_elapsed").round(3),
            deadline=_ts("_deadline"),
            hours_left=pl.col("_left"),
            complaint_severity=pl.col("severity"),
            channel=pl.col("channel"),
            model=pl.lit(_RISK_MODEL),
            threshold_policy=pl.lit(model_metrics.get("threshold_policy"), pl.String),
            precision_fit=pl.lit(model_metrics.get("precision_fit"), pl.Float64),
            roc_auc_oot=pl.lit(model_metrics.get("roc_auc_oot"), pl.Float64),
            brier_oot=pl.lit(model_metrics.get("brier_oot"), pl.Float64),
            brier_skill_oot=pl.lit(model_metrics.get("brier_skill_oot"), pl.Float64),
            precision_oot=pl.lit(model_metrics.get("precision_oot"), pl.Float64),
            recall_oot=pl.lit(model_metrics.get("recall_oot"), pl.Float64),
            policy_version=pl.col("_v"),
            legal_basis=pl.col("_v").replace_strict(
                dict(legal_basis), default=None, return_dtype=pl.String
            ),
            severity_basis=severity_evidence("breach_risk", **inputs),
        ),
    )


def _resolution_clock(clocks: pl.DataFrame | None, at: dt.datetime | None) -> pl.DataFrame:
    """Per complaint: the resolution target's clock, limit, elapsed, deadline, hours left."""
    schema = {"complaint_id": pl.String(), "_clock": pl.String(), "_limit": pl.Float64(),
              "_elapsed": pl.Float64(), "_deadline": pl.Datetime("us"), "_left": pl.Float64()}
    if clocks is None or clocks.height == 0:
        return pl.DataFrame(schema=schema)
    left = (
        ((pl.col("deadline_at") - pl.lit(at)).dt.total_seconds() / 3600).round(1)
        if at is not None else pl.lit(None, pl.Float64)
    )
    return (
        clocks.filter(pl.col("target") == "resolution")
        .sort("complaint_id", "deadline_at")
        .group_by("complaint_id", maintain_order=True)
        .last()
        .select(
            "complaint_id",
            _clock=pl.col("clock"),
            _limit=pl.col("limit"),
            _elapsed=pl.col("elapsed"),
            _deadline=pl.col("deadline_at"),
            _left=left,
        )
        .cast(schema)  # type: ignore[arg-type]
    )


def recurring_cause(
    causes: pl.DataFrame,
    volumes: pl.DataFrame,
    *,
    threshold: float,
    min_count: int,
    min_months_after: int,
    legal_basis: str,
) -> pl.DataFrame:
    """``recurring_cause``: a root cause whose volume did not fall after its trigger month.

    Parameters
    ----------
    causes
        :func:`workbench.sla._recurring.recurring_causes` (``flagged`` pairs raise).
    volumes
        :func:`workbench.sla._recurring.monthly_volumes` (the evidence months).
    threshold, min_count, min_months_after
        The rule's parameters, stated in the evidence.
    legal_basis
        The legal basis of the policy version in force at the end of P.

    Returns
    -------
    pl.DataFrame
        Raw findings, one per subsidiary with a flagged cause.
    """
    flagged = causes.filter(pl.col("flagged"))
    if flagged.height == 0:
        return pl.DataFrame()
    pairs = flagged.select("subsidiary_id", "root_cause")
    months = (
        volumes.join(pairs, on=["subsidiary_id", "root_cause"], how="semi")
        .sort("month")
        .group_by("subsidiary_id", "root_cause", maintain_order=True)
        .agg(
            months=pl.struct(
                month=pl.col("month").dt.strftime("%Y-%m"),
                count=pl.col("count"),
                complaints_with_known_cause=pl.col("n"),
                share=pl.col("share").round(4),
            )
        )
    )
    rule = (
        f"first month with count >= {min_count} and share >= {threshold:g} of the subsidiary's "
        f"complaints (trigger); flagged when the {min_months_after}+ months after it together "
        f"still have a mean count >= {min_count} and a share >= {threshold:g}: the volume did "
        "not fall"
    )
    return (
        flagged.join(months, on=["subsidiary_id", "root_cause"])
        .sort(["subsidiary_id", "share_after", "root_cause"], descending=[False, True, False])
        .group_by("subsidiary_id", maintain_order=True)
        .agg(
            causes=pl.struct(
                root_cause=pl.col("root_cause"),
                trigger_month=pl.col("trigger_month").dt.strftime("%Y-%m"),
                trigger_count=pl.col("trigger_count"),
                trigger_share=pl.col("trigger_share").round(4),
                months_after=pl.col("months_after"),
                mean_count_after=pl.col("mean_count_after").round(2),
                share_after=pl.col("share_after").round(4),
                months=pl.col("months"),
            ),
            _top=pl.col("root_cause").first(),
            _mean=pl.col("mean_count_after").max(),
        )
        .select(
            rule=pl.lit("recurring_cause"),
            severity=severity("recurring_cause", mean_count_after=pl.col("_mean")),
            entity_type=pl.lit("subsidiary"),
            entity_id=pl.col("subsidiary_id"),
            subsidiary_id=pl.col("subsidiary_id"),
            detail=pl.struct(
                root_cause=pl.col("_top"),
                causes=pl.col("causes"),
                rule=pl.lit(rule),
                threshold=pl.lit(threshold),
                min_count=pl.lit(min_count),
                min_months_after=pl.lit(min_months_after),
                legal_basis=pl.lit(legal_basis),
                severity_basis=severity_evidence(
                    "recurring_cause", mean_count_after=pl.col("_mean").round(2)
                ),
            ),
        )
    )
