"""Headline metrics of a report: ``reports/<period>/metrics.json``.

The dashboard's numbers come from data the report wrote, never from re-running an
analysis. :func:`compute_metrics` reads the published findings and credit grades
and does a few light counts on the validated source frames (denominators only):

tiering
    ``customers_in_scope`` (signed up before the period end), ``tier_mismatch``,
    ``correctly_tiered_share`` = 1 − mismatches / customers in scope,
    ``hidden_benefit_grants``, ``hidden_benefit_cny``.
pricing
    ``orders_in_period``, ``price_disparity_groups`` (groups with a significant
    unexplained premium), ``group_overcharge_cny`` (what their members lost),
    ``unexplained_premium_orders``, ``overcharge_cny`` (order-level excess),
    ``unpublished_promotion_orders``.
sla
    ``complaints_received`` (received in P), per target ``ack``, ``acceptance``,
    ``resolution``, ``update``: ``breached_<t>`` (complaints received in P with
    that breach finding) and ``adherence_<t>`` = 1 − breached / received;
    ``breach_risk`` (open complaints predicted to breach), ``recurring_causes``.
credit
    ``enterprises_graded``, ``receivables_outstanding_cny`` (issued before the
    period end and not paid by then), ``receivables_aa_share`` (share of it owed
    by customers graded AA or AAA), ``registry_alerts`` (knock-outs, changes,
    overdue annual reports), ``registry_knockouts``, ``invalid_uscc``.

Plus, for every analysis, findings by severity and money at stake, per rule
counts, and per subsidiary counts and money (the league table). A share whose
denominator is 0 is null. Aggregates only: no customer ids.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench.periods import Period

METRICS_FILE = "metrics.json"
#: The league-table row of findings that belong to no single subsidiary.
NO_SUBSIDIARY = "(none)"
METRICS_VERSION = 1
SLA_TARGETS: dict[str, str] = {
    "ack": "ack_breach",
    "acceptance": "acceptance_breach",
    "resolution": "resolution_breach",
    "update": "update_gap",
}
REGISTRY_ALERT_RULES = ("registry_knockout", "registry_change", "annual_report_overdue")
GOOD_GRADES = ("AAA", "AA")


def _count(findings: pl.DataFrame, rule: str) -> int:
    return findings.filter(pl.col("rule") == rule).height


def _money(findings: pl.DataFrame, *rules: str) -> float:
    sub = findings.filter(pl.col("rule").is_in(list(rules)))
    return round(float(sub["amount_cny"].fill_null(0.0).sum()), 2)


def _share(num: float, den: float) -> float | None:
    return round(num / den, 6) if den else None


def _collect(lf: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    return lf.collect() if isinstance(lf, pl.LazyFrame) else lf


def tiering_metrics(findings: pl.DataFrame, frames: Mapping[str, Any], p: Period) -> dict[str, Any]:
    in_scope = _collect(
        frames["customers"].filter(pl.col("signup_date") < p.end_date).select(pl.len())
    ).item()
    mismatch = _count(findings, "tier_mismatch")
    return {
        "customers_in_scope": int(in_scope),
        "tier_mismatch": mismatch,
        "correctly_tiered_share": _share(in_scope - mismatch, in_scope),
        "hidden_benefit_grants": _count(findings, "hidden_benefit"),
        "hidden_benefit_cny": _money(findings, "hidden_benefit"),
    }


def pricing_metrics(findings: pl.DataFrame, frames: Mapping[str, Any], p: Period) -> dict[str, Any]:
    orders = _collect(
        frames["orders"]
        .filter((pl.col("ordered_at") >= p.start) & (pl.col("ordered_at") < p.end))
        .select(pl.len())
    ).item()
    return {
        "orders_in_period": int(orders),
        "price_disparity_groups": _count(findings, "price_disparity"),
        "group_overcharge_cny": _money(findings, "price_disparity"),
        "unexplained_premium_orders": _count(findings, "unexplained_premium"),
        "overcharge_cny": _money(findings, "unexplained_premium"),
        "unpublished_promotion_orders": _count(findings, "unpublished_promotion"),
    }


def sla_metrics(findings: pl.DataFrame, frames: Mapping[str, Any], p: Period) -> dict[str, Any]:
    received = _collect(
        frames["complaints"]
        .filter((pl.col("received_at") >= p.start) & (pl.col("received_at") < p.end))
        .select("complaint_id")
    )["complaint_id"]
    out: dict[str, Any] = {"complaints_received": received.len()}
    for target, rule in SLA_TARGETS.items():
        ids = findings.filter(
            (pl.col("rule") == rule) & pl.col("entity_id").is_in(received.implode())
        )["entity_id"].n_unique()
        out[f"breached_{target}"] = int(ids)
        out[f"adherence_{target}"] = _share(received.len() - ids, received.len())
    out["breach_risk"] = _count(findings, "breach_risk")
    out["recurring_causes"] = _count(findings, "recurring_cause")
    out["missing_records"] = _count(findings, "missing_record")
    return out


def credit_metrics(
    findings: pl.DataFrame, grades: pl.DataFrame, frames: Mapping[str, Any], p: Period
) -> dict[str, Any]:
    end = p.end_date
    recv = _collect(
        frames["receivables"]
        .filter(pl.col("issued_at") < end)
        .with_columns(
            pl.when(pl.col("paid_at").is_null() | (pl.col("paid_at") >= end))
            .then(pl.col("amount_cny"))
            .otherwise((pl.col("amount_cny") - pl.col("paid_amount_cny")).clip(lower_bound=0.0))
            .alias("outstanding")
        )
        .filter(pl.col("outstanding") > 0)
        .select("customer_id", "outstanding")
    )
    good = grades.filter(pl.col("grade").is_in(list(GOOD_GRADES)))["customer_id"].unique()
    total = float(recv["outstanding"].sum())
    good_amount = float(recv.filter(pl.col("customer_id").is_in(good.implode()))["outstanding"].sum())
    return {
        "enterprises_graded": grades.height,
        "grades": {g: grades.filter(pl.col("grade") == g).height
                   for g in ("AAA", "AA", "A", "BBB", "BB", "reject")},
        "receivables_outstanding_cny": round(total, 2),
        "receivables_aa_cny": round(good_amount, 2),
        "receivables_aa_share": _share(good_amount, total),
        "registry_alerts": sum(_count(findings, r) for r in REGISTRY_ALERT_RULES),
        "registry_knockouts": _count(findings, "registry_knockout"),
        "invalid_uscc": _count(findings, "invalid_uscc"),
    }


def _summary(findings: pl.DataFrame) -> dict[str, Any]:
    return {
        "findings": findings.height,
        "by_severity": {s: findings.filter(pl.col("severity") == s).height
                        for s in ("high", "medium", "low")},
        "amount_cny": round(float(findings["amount_cny"].fill_null(0.0).sum()), 2),
    }


def compute_metrics(
    findings: pl.DataFrame,
    credit_grades: pl.DataFrame,
    frames: Mapping[str, Any],
    period: Period,
    analyses: Sequence[str],
) -> dict[str, Any]:
    """The headline metrics of one report (see the module docstring)."""
    per: dict[str, Any] = {}
    for a in analyses:
        sub = findings.filter(pl.col("analysis") == a)
        if a == "tiering":
            head = tiering_metrics(sub, frames, period)
        elif a == "pricing":
            head = pricing_metrics(sub, frames, period)
        elif a == "sla":
            head = sla_metrics(sub, frames, period)
        elif a == "credit":
            head = credit_metrics(sub, credit_grades, frames, period)
        else:  # pragma: no cover - ANALYSES is closed
            head = {}
        per[a] = {**_summary(sub), "headline": head}
    rules = (
        findings.group_by("analysis", "rule")
        .agg(pl.len().alias("findings"),
             pl.col("amount_cny").fill_null(0.0).sum().round(2).alias("amount_cny"))
        .sort("analysis", "rule")
    )
    names: dict[str, str] = {}
    if "subsidiaries" in frames:
        subs = _collect(frames["subsidiaries"].select("subsidiary_id", "name"))
        names = dict(zip(subs["subsidiary_id"].to_list(), subs["name"].to_list(), strict=True))
    league = (
        findings.with_columns(pl.col("subsidiary_id").fill_null(NO_SUBSIDIARY))
        .group_by("subsidiary_id")
        .agg(
            pl.len().alias("findings"),
            (pl.col("severity") == "high").sum().alias("high"),
            pl.col("amount_cny").fill_null(0.0).sum().round(2).alias("amount_cny"),
            *[(pl.col("analysis") == a).sum().alias(a) for a in analyses],
        )
        .sort(["amount_cny", "findings", "subsidiary_id"], descending=[True, True, False])
    )
    return {
        "metrics_version": METRICS_VERSION,
        "period": {"label": period.label, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "analyses": per,
        "rules": [r for r in rules.iter_rows(named=True)],
        "subsidiaries": [
            {**r, "name": names.get(r["subsidiary_id"])} for r in league.iter_rows(named=True)
        ],
    }


def write_metrics(metrics: Mapping[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def read_metrics(path: str | Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def headline_value(metrics: Mapping[str, Any], key: str) -> float | None:
    """``"sla.adherence_ack"`` → the value in ``metrics`` (None when absent)."""
    analysis, name = key.split(".", 1)
    value = (metrics.get("analyses", {}).get(analysis) or {}).get("headline", {}).get(name)
    return None if value is None else float(value)


def history(reports_dir: str | Path, period: Period, current: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Metrics of every published report of the same kind of period up to ``period``
    (read from their ``metrics.json``), oldest first, with ``current`` last."""
    from workbench.periods import parse_period

    kind = _kind(period.label)
    found: dict[str, dict[str, Any]] = {}
    reports_dir = Path(reports_dir)
    if reports_dir.is_dir():
        for child in reports_dir.iterdir():
            mpath = child / METRICS_FILE
            if child.name.startswith(".") or not mpath.is_file() or _kind(child.name) != kind:
                continue
            try:
                q = parse_period(child.name)
                if q.label != child.name or q.start >= period.start:
                    continue
                found[q.label] = read_metrics(mpath)
            except (ValueError, OSError):
                continue
    ordered = [found[k] for k in sorted(found, key=lambda label: parse_period(label).start)]
    return [*ordered, dict(current)]


def _kind(label: str) -> str:
    if "-Q" in label:
        return "quarter"
    return "month" if "-" in label else "year"
