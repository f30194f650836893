"""Headline metrics of a report: ``reports/<period>/metrics.json``.

Nothing here computes an analysis's numbers. Each analysis returns its own
headline numbers in ``AnalysisResult.metrics`` and its notebook saves them as
``metrics.json`` (:func:`workbench.analysis.save_result`); :func:`compute_metrics`
puts them, as they are, under ``analyses.<analysis>.headline`` and adds simple
aggregations of the published findings:

* per analysis: findings, findings by severity, money at stake;
* ``rules``: findings and money per analysis and rule;
* ``subsidiaries``: the league table — findings, high-severity findings, money
  and findings per analysis for each subsidiary (``(none)`` for findings that
  belong to no single subsidiary), with the subsidiary's name.

The headline keys each analysis provides (the dashboard reads them):

tiering
    ``customers_in_scope``, ``tier_mismatch``, ``correctly_tiered_share``,
    ``hidden_benefit_grants``, ``hidden_benefit_cny``.
pricing
    ``orders_in_period``, ``price_disparity_groups``, ``group_overcharge_cny``,
    ``unexplained_premium_orders``, ``overcharge_cny``, ``unpublished_promotion_orders``.
sla
    ``complaints_received``; per target ``ack``, ``acceptance``, ``resolution``,
    ``update``: ``breached_<t>`` and ``adherence_<t>`` (the SLA analysis's own
    met / (met + breached)); ``breach_risk``, ``recurring_causes``, ``missing_records``.
credit
    ``enterprises_graded``, ``grades``, ``receivables_outstanding_cny``,
    ``receivables_aa_cny``, ``receivables_aa_share``, ``registry_alerts``,
    ``registry_knockouts``, ``invalid_uscc``.

A share whose denominator is 0 is null. Aggregates only: no customer ids.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench.analysis import METRICS_FILE
from workbench.labels import SEVERITIES
from workbench.periods import Period, parse_period

__all__ = [
    "METRICS_FILE",
    "METRICS_VERSION",
    "NO_SUBSIDIARY",
    "compute_metrics",
    "headline_value",
    "history",
    "read_metrics",
]

#: The league-table row of findings that belong to no single subsidiary.
NO_SUBSIDIARY = "(none)"
METRICS_VERSION = 1


def _money(findings: pl.DataFrame) -> float:
    return round(float(findings["amount_cny"].fill_null(0.0).sum()), 2)


def _summary(findings: pl.DataFrame) -> dict[str, Any]:
    return {
        "findings": findings.height,
        "by_severity": {s: findings.filter(pl.col("severity") == s).height for s in SEVERITIES},
        "amount_cny": _money(findings),
    }


def _league(findings: pl.DataFrame, analyses: Sequence[str],
            names: Mapping[str, str]) -> list[dict[str, Any]]:
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
    return [{**r, "name": names.get(r["subsidiary_id"])} for r in league.iter_rows(named=True)]


def compute_metrics(
    findings: pl.DataFrame,
    period: Period,
    analyses: Sequence[str],
    headlines: Mapping[str, Mapping[str, Any]],
    *,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The metrics of one report (see the module docstring).

    Parameters
    ----------
    findings
        The report's published findings.
    period
        The report's period.
    analyses
        The analyses that ran, in report order.
    headlines
        Each analysis's own ``metrics.json`` (``AnalysisResult.metrics``), by analysis.
    names
        Subsidiary names by ``subsidiary_id``, for the league table.

    Returns
    -------
    dict
        JSON-friendly metrics, written as the report's ``metrics.json``.
    """
    per: dict[str, Any] = {}
    for a in analyses:
        sub = findings.filter(pl.col("analysis") == a)
        per[a] = {**_summary(sub), "headline": dict(headlines.get(a) or {})}
    rules = (
        findings.group_by("analysis", "rule")
        .agg(pl.len().alias("findings"),
             pl.col("amount_cny").fill_null(0.0).sum().round(2).alias("amount_cny"))
        .sort("analysis", "rule")
    )
    return {
        "metrics_version": METRICS_VERSION,
        "period": {"label": period.label, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "analyses": per,
        "rules": list(rules.iter_rows(named=True)),
        "subsidiaries": _league(findings, analyses, names or {}),
    }


def read_metrics(path: str | Path) -> dict[str, Any]:
    """A ``metrics.json`` as written by the report runner."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def headline_value(metrics: Mapping[str, Any], key: str) -> float | None:
    """``"sla.adherence_ack"`` → the value in ``metrics`` (None when absent)."""
    analysis, name = key.split(".", 1)
    value = (metrics.get("analyses", {}).get(analysis) or {}).get("headline", {}).get(name)
    return None if value is None else float(value)


def _kind(label: str) -> str:
    if "-Q" in label:
        return "quarter"
    return "month" if "-" in label else "year"


def history(reports_dir: str | Path, period: Period,
            current: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Metrics of every published report of the same kind of period up to ``period``
    (read from their ``metrics.json``), oldest first, with ``current`` last.
    """
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
