"""Headline metrics of a report: ``reports/<period>/metrics.json``.

Nothing here computes an analysis's numbers. Each analysis returns its own
headline numbers in ``AnalysisResult.metrics`` and its notebook saves them as
``metrics.json`` (:func:`workbench.analysis.save_result`); :func:`compute_metrics`
puts them, as they are, under ``analyses.<analysis>.headline`` and adds simple
aggregations of the published findings. Money is never added across kinds
(contract v1.1 ``amount_kind``): every total is per kind and is computed by
:mod:`workbench.money` (each order, grant or enterprise once; breakdown rules
never in a total):

* ``money``: the report's total per kind (every kind of the contract);
* per analysis: findings, findings by severity, ``money`` per kind (the kinds its
  rules add into totals); ``violations`` and ``predictions`` split the findings
  (a prediction — an open complaint predicted to breach — is never counted as a
  problem), each with its findings and findings by severity (``predictions`` also
  its rules);
* ``rules``: per analysis and rule, the findings (and by severity) and the rule's
  own money with its ``amount_kind`` and ``in_total`` (false: a breakdown of
  another rule's money, e.g. ``price_disparity`` groups); ``amount_cny`` null for
  a rule that carries no money;
* ``subsidiaries``: the league table — violations, high-severity violations,
  ``money`` per kind, violations per analysis and predictions (``predicted``) for
  each subsidiary (``(none)`` for findings that belong to no single subsidiary),
  with the subsidiary's name; sorted by high-severity violations, then consumer
  harm (overcharge, then unpublished benefits: compared in turn, never added),
  then violations;
* ``top_findings``: every rule's violations as one ranked item — who (group ids,
  subsidiaries), what, how many people, money per kind — worst first
  (:mod:`workbench.report.top_findings`); the dashboard's 最需关注 block.

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
marketing
    ``evaluated`` (false, with a ``note``, on a source without the marketing tables:
    nothing else), ``messages``, ``commercial``, ``commercial_by_content``,
    ``consent_coverage``, ``requests_received``, ``requests_judged``,
    ``requests_met``, ``requests_overdue``, ``requests_running``,
    ``on_time_share``, ``refusals``, ``refusals_without_reason`` and the findings of
    each rule under its code.

:data:`DERIVED` shares are computed from two of an analysis's own counts when read
(:func:`headline_value`), never stored: the share of commercial messages that meet
the advertisement-label and the opt-out rules (outbound calls, outside both rules,
count as meeting them).

A share whose denominator is 0 is null. Aggregates only: no customer ids (people are
counted, :mod:`workbench.report.top_findings`, never listed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench.analysis import METRICS_FILE
from workbench.contract import AMOUNT_KINDS, rules_for
from workbench.labels import SEVERITIES
from workbench.money import money_by, money_totals, rule_money
from workbench.periods import Period, parse_period
from workbench.report.top_findings import PREDICTION_RULES, top_findings, violations

__all__ = [
    "DERIVED",
    "METRICS_FILE",
    "analysis_kinds",
    "METRICS_VERSION",
    "NO_SUBSIDIARY",
    "compute_metrics",
    "headline_value",
    "history",
    "read_metrics",
]

#: The league-table row of findings that belong to no single subsidiary.
NO_SUBSIDIARY = "(none)"
#: 2: money per kind (``money``) instead of one ``amount_cny`` summed across kinds.
#: 3: ``top_findings``; violations and predictions apart; rules by severity.
METRICS_VERSION = 3
#: Headline key → (its analysis's count of breaches, the count they are out of): the
#: share of the second that is not among the first, 1 − breaches / total.
DERIVED: dict[str, tuple[str, str]] = {
    "marketing.ad_label_share": ("ad_unlabelled", "commercial"),
    "marketing.opt_out_share": ("no_opt_out", "commercial"),
}


def analysis_kinds(analysis: str) -> list[str]:
    """The money kinds an analysis's rules add into totals, in contract order.

    >>> analysis_kinds("pricing"), analysis_kinds("sla")
    (['overcharge', 'discount'], [])
    """
    kinds = {r.amount_kind for r in rules_for(analysis) if r.in_total}
    return [k for k in AMOUNT_KINDS if k in kinds]


def _by_severity(findings: pl.DataFrame) -> dict[str, int]:
    return {s: findings.filter(pl.col("severity") == s).height for s in SEVERITIES}


def _summary(findings: pl.DataFrame, analysis: str) -> dict[str, Any]:
    totals = money_totals(findings)
    real = violations(findings)
    predicted = findings.filter(pl.col("rule").is_in(list(PREDICTION_RULES)))
    return {
        "findings": findings.height,
        "by_severity": _by_severity(findings),
        "money": {k: totals[k] for k in analysis_kinds(analysis)},
        "violations": {"findings": real.height, "by_severity": _by_severity(real)},
        "predictions": {"findings": predicted.height, "by_severity": _by_severity(predicted),
                        "rules": sorted(predicted["rule"].unique().to_list())},
    }


def _rules(findings: pl.DataFrame) -> list[dict[str, Any]]:
    """Each rule's money (:func:`workbench.money.rule_money`) and findings by severity."""
    counts = findings.group_by("analysis", "rule", "severity").len()
    out = []
    for r in rule_money(findings).iter_rows(named=True):
        mine = counts.filter(pl.col("analysis") == r["analysis"], pl.col("rule") == r["rule"])
        by = dict(mine.select("severity", "len").iter_rows())
        out.append({**r, "by_severity": {s: int(by.get(s, 0)) for s in SEVERITIES}})
    return out


def _league(findings: pl.DataFrame, analyses: Sequence[str],
            names: Mapping[str, str]) -> list[dict[str, Any]]:
    subs = findings.with_columns(pl.col("subsidiary_id").fill_null(NO_SUBSIDIARY),
                                 pl.col("rule").is_in(list(PREDICTION_RULES)).alias("_pred"))
    real = ~pl.col("_pred")
    league = (
        subs.group_by("subsidiary_id")
        .agg(
            real.sum().alias("findings"),
            ((pl.col("severity") == "high") & real).sum().alias("high"),
            *[((pl.col("analysis") == a) & real).sum().alias(a) for a in analyses],
            pl.col("_pred").sum().alias("predicted"),
        )
        .join(money_by(subs, ["subsidiary_id"]), on="subsidiary_id", how="left")
        .sort(["high", "overcharge", "benefit", "findings", "subsidiary_id"],
              descending=[True, True, True, True, False])
    )
    out = []
    for r in league.iter_rows(named=True):
        money = {k: r.pop(k) for k in AMOUNT_KINDS}
        out.append({**r, "money": money, "name": names.get(r["subsidiary_id"])})
    return out


def compute_metrics(
    findings: pl.DataFrame,
    period: Period,
    analyses: Sequence[str],
    headlines: Mapping[str, Mapping[str, Any]],
    *,
    names: Mapping[str, str] | None = None,
    customers: pl.DataFrame | None = None,
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
    customers
        ``finding_id`` → ``customer_id`` of findings whose evidence names no
        customer (:mod:`workbench.report._recipients`): people are counted with them.

    Returns
    -------
    dict
        JSON-friendly metrics, written as the report's ``metrics.json``.
    """
    per: dict[str, Any] = {}
    for a in analyses:
        sub = findings.filter(pl.col("analysis") == a)
        per[a] = {**_summary(sub, a), "headline": dict(headlines.get(a) or {})}
    return {
        "metrics_version": METRICS_VERSION,
        "period": {"label": period.label, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "money": money_totals(findings),
        "analyses": per,
        "rules": _rules(findings),
        "subsidiaries": _league(findings, analyses, names or {}),
        "top_findings": top_findings(findings, names, customers=customers),
    }


def read_metrics(path: str | Path) -> dict[str, Any]:
    """A ``metrics.json`` as written by the report runner."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def headline_value(metrics: Mapping[str, Any], key: str) -> float | None:
    """``"sla.adherence_ack"`` → the value in ``metrics`` (None when absent); a
    :data:`DERIVED` share from its two counts (None without them or when out of 0).

    >>> m = {"analyses": {"marketing": {"headline": {"commercial": 200, "ad_unlabelled": 5}}}}
    >>> headline_value(m, "marketing.ad_label_share"), headline_value(m, "sla.adherence_ack")
    (0.975, None)
    """
    analysis, name = key.split(".", 1)
    headline = (metrics.get("analyses", {}).get(analysis) or {}).get("headline") or {}
    value = headline.get(name)
    if value is None and key in DERIVED:
        breaches, total = (headline.get(k) for k in DERIVED[key])
        if breaches is None or not total:
            return None
        return 1 - float(breaches) / float(total)
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
