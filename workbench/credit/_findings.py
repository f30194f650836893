"""Raw findings of each credit rule, one builder per rule code, and the alert lists.

Every builder takes the registry facts of :func:`workbench.credit._registry.registry_facts`
joined with each uscc's customers (:func:`owners`) and its receivables outstanding
(``outstanding_cny``), and returns a raw frame (``rule``, ``severity``,
``entity_type``, ``entity_id``, ``subsidiary_id``, ``amount_cny``, ``detail`` as
JSON) for :func:`workbench.findings.make_findings`. The evidence cites the
registry provision each fact rests on (``registry_basis``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import polars as pl

from workbench.contract import RULES
from workbench.credit._registry import KNOCKOUT_STATUSES
from workbench.credit._uscc import CHECKS, STANDARDS
from workbench.severity import evidence_dict, severity_inputs, severity_value

#: Legal basis of each registry fact, cited in the evidence of the findings.
BASIS = {
    "status": "《企业信息公示暂行条例》第六条、第八条 (registration status publicised by SAMR)",
    "annual_report": "《企业信息公示暂行条例》第八条: 每年1月1日至6月30日报送上一年度年度报告 "
    "(annual report for Y-1 due by 30 June of Y)",
    "abnormal": "《企业经营异常名录管理办法》/《企业信息公示暂行条例》第十七条 "
    "(abnormal-operation list)",
    "serious_illegal": "《市场监督管理严重违法失信名单管理办法》 (serious-illegal list)",
}
RAW_SCHEMA: dict[str, pl.DataType] = {
    "rule": pl.String(),
    "severity": pl.String(),
    "entity_type": pl.String(),
    "entity_id": pl.String(),
    "subsidiary_id": pl.String(),
    "amount_cny": pl.Float64(),
    "detail": pl.String(),
}
#: Keys of a finding's detail that an alert list leaves out (shown in other columns).
_OWNER_KEYS = ("customer_ids", "subsidiary_ids", "outstanding_cny")


def owners(ents: pl.DataFrame) -> pl.DataFrame:
    """Per uscc: its customers and (when unique) its subsidiary."""
    return ents.group_by("uscc").agg(
        pl.col("customer_id").sort().alias("customer_ids"),
        pl.col("subsidiary_id").unique().sort().alias("_subs"),
    ).with_columns(
        pl.when(pl.col("_subs").list.len() == 1).then(pl.col("_subs").list.first()).alias(
            "subsidiary_id"
        ),
        pl.col("_subs").alias("subsidiary_ids"),
    ).drop("_subs")


def _basis(rule: str, *keys: str) -> dict[str, object]:
    return {"legal_basis": RULES[rule].legal_basis, "registry_basis": [BASIS[k] for k in keys]}


def _d(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _row(rule: str, r: dict[str, Any], detail: dict[str, Any], **inputs: Any) -> dict[str, Any]:
    """One raw finding on the enterprise of facts row ``r`` (money: its outstanding).

    Severity from the policy (``workbench/severity_policy.yaml``) with ``inputs``
    plus ``exposure_cny`` (the outstanding) when the rule uses it; the evidence
    states them (``severity_basis``).
    """
    amount = round(r["outstanding_cny"] or 0.0, 2)
    if "exposure_cny" in severity_inputs(rule):
        inputs["exposure_cny"] = amount
    detail = {
        **detail,
        "customer_ids": r["customer_ids"],
        "subsidiary_ids": r["subsidiary_ids"],
        "outstanding_cny": amount,
        "severity_basis": evidence_dict(rule, **inputs),
    }
    return {
        "rule": rule,
        "severity": severity_value(rule, **inputs),
        "entity_type": "enterprise",
        "entity_id": r["uscc"],
        "subsidiary_id": r["subsidiary_id"],
        "amount_cny": amount,
        "detail": json.dumps(detail, ensure_ascii=False, default=str),
    }


def _raw(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=RAW_SCHEMA)


def invalid_uscc(checks: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    """``invalid_uscc`` (high; medium when nothing is owed): the code fails a check of
    :data:`CHECKS` (the first failing one is named, with the standard it rests on and
    whether the registry extract knows the code).
    """
    bad = checks.filter(~pl.col("is_valid")).join(facts, on="uscc", how="left")
    return _raw([
        _row("invalid_uscc", r, {
            "check": r["failed_check"],
            "explanation": CHECKS[r["failed_check"]],
            "in_registry": bool(r["in_registry"]),
            "uscc_as_given": r["uscc"],
            "registry_basis": [STANDARDS[r["failed_check"]]],
        })
        for r in bad.iter_rows(named=True)
    ])


def registry_knockout(facts: pl.DataFrame) -> pl.DataFrame:
    """``registry_knockout`` (high): revoked, cancelled or on the serious-illegal list
    at the latest extract.
    """
    return _raw([
        _row("registry_knockout", r, _knockout_detail(r))
        for r in facts.filter(pl.col("knockout")).iter_rows(named=True)
    ])


def _knockout_detail(r: dict[str, Any]) -> dict[str, object]:
    reasons = []
    if r["status"] in KNOCKOUT_STATUSES:
        reasons.append(f"status {r['status']}")
    if r["serious_illegal"]:
        reasons.append("on the serious-illegal list")
    keys = ["status"] + (["serious_illegal"] if r["serious_illegal"] else [])
    return {
        "check": " and ".join(reasons),
        "extract_date": _d(r["snapshot_date"]),
        "name": r["name"],
        "status": r["status"],
        "serious_illegal": r["serious_illegal"],
        "serious_illegal_since": _d(r["serious_illegal_since"]),
        "serious_illegal_reason": r["serious_illegal_reason"],
        **_basis("registry_knockout", *keys),
    }


def registry_change(facts: pl.DataFrame) -> pl.DataFrame:
    """``registry_change``: status or list membership differs from the extract before
    (before/after of each changed field). Severity: high when the change makes a
    knock-out, medium for a change for the worse, low for an improvement.
    """
    return _raw([
        _row("registry_change", r, _change_detail(r), **_change_inputs(r))
        for r in facts.filter(pl.col("registry_change")).iter_rows(named=True)
    ])


def _change_detail(r: dict[str, Any]) -> dict[str, object]:
    changes = {}
    for key in ("status", "abnormal", "serious_illegal"):
        if r[key] != r[f"{key}_before"]:
            changes[key] = {"before": r[f"{key}_before"], "after": r[key]}
    keys = [k for k in ("status", "abnormal", "serious_illegal") if k in changes]
    return {
        "changes": changes,
        "extract_before": _d(r["snapshot_date_before"]),
        "extract_after": _d(r["snapshot_date"]),
        "name": r["name"],
        "abnormal_reason": r["abnormal_reason"],
        "serious_illegal_reason": r["serious_illegal_reason"],
        **_basis("registry_change", *keys),
    }


def _change_inputs(r: dict[str, Any]) -> dict[str, bool]:
    """Severity inputs of ``registry_change``: a new knock-out; a change for the worse."""
    new_knockout = bool(r["knockout"]) and not (
        r["status_before"] in KNOCKOUT_STATUSES or r["serious_illegal_before"]
    )
    worse = (
        (r["status"] != r["status_before"] and r["status"] != "active")
        or (r["abnormal"] and not r["abnormal_before"])
        or (r["serious_illegal"] and not r["serious_illegal_before"])
    )
    return {"becomes_knockout": new_knockout, "for_the_worse": bool(worse)}


def annual_report_overdue(facts: pl.DataFrame) -> pl.DataFrame:
    """``annual_report_overdue`` (medium; low when nothing is owed): an active
    enterprise without the annual report required at the end of the period.
    """
    return _raw([
        _row("annual_report_overdue", r, {
            "check": "active enterprise without the required annual report",
            "extract_date": _d(r["snapshot_date"]),
            "name": r["name"],
            "status": r["status"],
            "last_annual_report_year": r["last_annual_report_year"],
            "required_year": r["annual_report_required_year"],
            **_basis("annual_report_overdue", "annual_report"),
        })
        for r in facts.filter(pl.col("annual_report_overdue")).iter_rows(named=True)
    ])


def raw_findings(
    ents: pl.DataFrame, checks: pl.DataFrame, facts: pl.DataFrame, current: pl.DataFrame
) -> pl.DataFrame:
    """Raw findings of the four rules for the enterprises ``ents`` (their USCC
    ``checks``, registry ``facts`` and ``current`` features with ``outstanding_cny``).
    """
    at_stake = current.group_by("uscc").agg(pl.col("outstanding_cny").sum())
    facts = facts.join(owners(ents), on="uscc", how="left").join(
        at_stake, on="uscc", how="left"
    )
    return pl.concat([
        invalid_uscc(checks, facts),
        registry_knockout(facts),
        registry_change(facts),
        annual_report_overdue(facts),
    ])


def alerts(findings: pl.DataFrame, rule: str) -> pl.DataFrame:
    """One rule's findings as an alert list: the entity, severity, money at stake,
    the evidence (``detail`` without the basis) and the basis it rests on.

    Parameters
    ----------
    findings
        Contract findings (e.g. ``result.findings``).
    rule
        A credit rule code, e.g. ``"registry_knockout"``.

    Returns
    -------
    pl.DataFrame
        Columns ``entity_id``, ``severity``, ``subsidiary_id``, ``amount_cny``,
        ``evidence`` (JSON), ``legal_basis`` and ``registry_basis`` (the specific
        provisions, "; "-joined).
    """
    part = findings.filter(pl.col("rule") == rule)
    evidence, legal, registry = [], [], []
    for d in part["detail"].to_list():
        detail = json.loads(d)
        legal.append(detail.pop("legal_basis", None))
        registry.append("; ".join(detail.pop("registry_basis", []) or []))
        for key in _OWNER_KEYS:
            detail.pop(key, None)
        evidence.append(json.dumps(detail, ensure_ascii=False, sort_keys=True))
    return part.select("entity_id", "severity", "subsidiary_id", "amount_cny").with_columns(
        pl.Series("evidence", evidence, pl.String),
        pl.Series("legal_basis", legal, pl.String),
        pl.Series("registry_basis", registry, pl.String),
    )
