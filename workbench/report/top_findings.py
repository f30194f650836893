"""The worst findings of a report, ranked, as plain values (``metrics.json``: ``top_findings``).

The dashboard opens with a 最需关注 block: what is worst, who it touches, how many
people and how much money of each kind. This module computes it from the published
findings; :mod:`workbench.report.top_text` puts it into words.

**Items.** One item per rule; the four SLA clock rules (first response, acceptance,
resolution, progress updates) are one item, "complaints past a committed limit" (the
same wrong on different clocks). Predictions (:data:`PREDICTION_RULES`: an open
complaint *predicted* to breach) are not violations and never an item: the SLA
panel shows them apart.

**Ranking**, best first:

1. severity — the worst level among the item's findings, as the severity policy
   (``workbench/severity_policy.yaml``) set it per finding;
2. money at stake for consumers — overcharge, then unpublished benefits (compared in
   turn, never added; a breakdown rule's own amount counts here);
3. people — customers touched (distinct customers, complaints, or the people a group
   finding says are affected; for messages and privacy requests, their distinct
   recipients and requesters, looked up by the runner:
   :mod:`workbench.report._recipients`);
4. credit exposure, then unannounced discounts (money owed to the company and money
   customers received: not a loss to anyone), then the number of findings.

**Values only.** An item holds rule codes, group ids (``device_os=ios``), subsidiary
ids and names, counts and money per kind (:mod:`workbench.money`: each thing once,
breakdowns marked) — never a customer, order or complaint id.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import polars as pl

from workbench.contract import RULES
from workbench.labels import SEVERITIES
from workbench.money import money_totals, rule_money

__all__ = [
    "FACTS",
    "FAMILIES",
    "PREDICTION_RULES",
    "TOP_N",
    "rank_key",
    "top_findings",
    "violations",
]

#: Rules whose findings are predictions, not violations (never counted as 问题).
PREDICTION_RULES: frozenset[str] = frozenset({"breach_risk"})
#: Rules reported as one item (the key is the item's ``key``).
FAMILIES: dict[str, str] = {
    "ack_breach": "sla_clock", "acceptance_breach": "sla_clock",
    "resolution_breach": "sla_clock", "update_gap": "sla_clock",
}
#: Items the dashboard names in full; the other high-severity items get one line.
TOP_N = 5
#: Money kinds in ranking order: consumer harm first, then what is not a loss.
_HARM = ("overcharge", "benefit")
_NOT_LOSS = ("exposure", "discount")
_RULE_ORDER = {code: i for i, code in enumerate(RULES)}


def violations(findings: pl.DataFrame) -> pl.DataFrame:
    """The findings that are violations (predictions removed)."""
    return findings.filter(~pl.col("rule").is_in(list(PREDICTION_RULES)))


def _by_severity(sub: pl.DataFrame) -> dict[str, int]:
    counts = dict(sub.group_by("severity").len().iter_rows())
    return {s: int(counts.get(s, 0)) for s in SEVERITIES}


def _money(sub: pl.DataFrame) -> tuple[dict[str, float], bool]:
    """Money per kind (non-zero kinds only) and whether it is a breakdown.

    Rules in totals: :func:`workbench.money.money_totals` (each thing once). A rule
    that only breaks other money down (a group's share): its own amount from
    :func:`workbench.money.rule_money`, marked as a breakdown.
    """
    totals = {k: v for k, v in money_totals(sub).items() if v}
    if totals:
        return totals, False
    own = (rule_money(sub).filter(pl.col("amount_cny").is_not_null(),
                                  pl.col("amount_kind").is_not_null())
           .group_by("amount_kind").agg(pl.col("amount_cny").sum().round(2)))
    breakdown = {k: float(v) for k, v in own.iter_rows() if v}
    return breakdown, bool(breakdown)


def _detail(name: str) -> pl.Expr:
    return pl.col("detail").str.json_path_match(f"$.{name}")


def _customers(sub: pl.DataFrame, customers: pl.DataFrame | None = None) -> int | None:
    """Distinct customers named in the evidence (``customer_id`` or ``customer_ids``)
    or, for a finding whose evidence names none, in ``customers`` (``finding_id`` →
    ``customer_id``); None when neither names any. Counted here, never stored.
    """
    parts = []
    if "detail" in sub.columns and sub["detail"].null_count() < sub.height:
        one = sub.select(_detail("customer_id").alias("c"))["c"]
        many = sub.select(_detail("customer_ids").str.json_decode(pl.List(pl.String))
                          .alias("c")).explode("c")["c"]
        parts += [one.drop_nulls(), many.drop_nulls()]
    if customers is not None and customers.height:
        looked_up = sub.select("finding_id").join(customers, on="finding_id", how="inner")
        parts.append(looked_up["customer_id"].drop_nulls())
    ids = pl.concat(parts) if parts else pl.Series("c", [], pl.String)
    return int(ids.n_unique()) if ids.len() else None


def _group_rows(sub: pl.DataFrame) -> list[dict[str, Any]]:
    """One entry per group finding: the group id, its people, money and rates."""
    out = []
    for r in sub.iter_rows(named=True):
        try:
            d = json.loads(r["detail"]) if r.get("detail") else {}
        except (TypeError, ValueError):
            d = {}
        metrics = d.get("metrics") if isinstance(d.get("metrics"), list) else []
        worst = max(metrics, key=lambda m: float(m.get("difference") or 0), default={})
        people = d.get("customers_overcharged")
        estimate = people is None and worst.get("people_affected") is not None
        if estimate:
            people = round(float(worst["people_affected"]))
        amount = r.get("amount_cny")
        out.append({
            "group": r["entity_id"], "severity": r["severity"],
            "people": None if people is None else int(people), "people_estimate": estimate,
            "amount_cny": None if amount is None or math.isnan(amount) else round(amount, 2),
            "metric": worst.get("metric"),
            "rate_group": worst.get("rate_group"), "rate_rest": worst.get("rate_rest"),
        })
    out.sort(key=lambda g: (-(g["amount_cny"] or 0), -(g["people"] or 0), g["group"]))
    return out


#: The counts :func:`_facts` reports, in order.
FACTS = ("open", "regulator", "legal_cap", "under", "over", "after_withdrawal", "by_content")


def _facts(sub: pl.DataFrame) -> dict[str, int]:
    """Counts the evidence carries that change what the item means (non-zero only):
    still open at the period end, via the regulator (12315), past a legal cap (the
    60-day mediation cap), under- and over-tiered customers, messages sent after the
    person withdrew consent, messages labelled service or transaction that advertise.
    """
    if "detail" not in sub.columns or sub["detail"].null_count() == sub.height:
        return {}
    row = sub.select(
        (_detail("still_open_at_period_end") == "true").sum().alias("open"),
        (_detail("channel") == "regulator").sum().alias("regulator"),
        (_detail("direction") == "under").sum().alias("under"),
        (_detail("direction") == "over").sum().alias("over"),
        (_detail("after_withdrawal") == "true").sum().alias("after_withdrawal"),
        (_detail("commercial_because") == "content").sum().alias("by_content"),
    ).row(0, named=True)
    targets = pl.List(pl.Struct({"target": pl.String, "overrun": pl.Float64}))
    cap = (_detail("targets").str.json_decode(targets)
           .list.eval((pl.element().struct.field("target") == "mediation")
                      & (pl.element().struct.field("overrun") > 0)).list.any())
    try:
        row["legal_cap"] = sub.select(cap.fill_null(False).sum()).item()
    except pl.exceptions.PolarsError:  # ``targets`` of another shape: no cap to count
        row["legal_cap"] = 0
    return {k: int(row[k]) for k in FACTS if row[k]}


def _subsidiaries(sub: pl.DataFrame, names: Mapping[str, str]) -> list[dict[str, Any]]:
    top = (sub.filter(pl.col("subsidiary_id").is_not_null()).group_by("subsidiary_id").len()
           .sort(["len", "subsidiary_id"], descending=[True, False]).head(3))
    return [{"subsidiary_id": s, "name": names.get(s), "findings": int(n)}
            for s, n in top.iter_rows()]


def _people(sub: pl.DataFrame, entity_type: str, groups: list[dict[str, Any]],
            customers: pl.DataFrame | None = None) -> int | None:
    if entity_type in ("customer", "complaint"):
        return int(sub["entity_id"].n_unique())
    if entity_type == "group":
        counted = [g["people"] for g in groups if g["people"] is not None]
        return max(counted) if counted else None
    return _customers(sub, customers)


def _item(key: str, sub: pl.DataFrame, names: Mapping[str, str],
          customers: pl.DataFrame | None = None) -> dict[str, Any]:
    rules = sorted(sub["rule"].unique().to_list(), key=lambda c: _RULE_ORDER.get(c, 999))
    by_severity = _by_severity(sub)
    entity_type = str(sub["entity_type"].mode().sort()[0])
    groups = _group_rows(sub) if entity_type == "group" else []
    money, breakdown = _money(sub)
    return {
        "key": key,
        "analysis": str(sub["analysis"][0]),
        "rules": rules,
        "severity": next(s for s in SEVERITIES if by_severity[s]),
        "findings": sub.height,
        "by_severity": by_severity,
        "entity_type": entity_type,
        "entities": int(sub["entity_id"].n_unique()),
        "people": _people(sub, entity_type, groups, customers),
        "money": money,
        "breakdown": breakdown,
        "groups": groups,
        "subsidiaries": _subsidiaries(sub, names),
        "facts": _facts(sub),
    }


#: Findings about a whole group of people treated worse for who they are (PIPL art.
#: 24, CPL art. 10): within a severity they rank before single instances, which they
#: explain — a pattern is what a regulator looks for first.
SYSTEMIC: tuple[str, ...] = ("price_disparity", "tier_disparity")


def rank_key(item: Mapping[str, Any]) -> tuple[Any, ...]:
    """Sort key of an item (see the module docstring): severity, group disparities
    first (:data:`SYSTEMIC`), consumer harm (overcharge, then benefits), people,
    exposure, discounts, findings.
    """
    m = item.get("money") or {}
    return (SEVERITIES.index(item["severity"]), item["key"] not in SYSTEMIC,
            *(-m.get(k, 0.0) for k in _HARM),
            -(item.get("people") or 0), *(-m.get(k, 0.0) for k in _NOT_LOSS),
            -item["findings"], item["key"])


def top_findings(findings: pl.DataFrame, names: Mapping[str, str] | None = None, *,
                 customers: pl.DataFrame | None = None) -> list[dict[str, Any]]:
    """Every item of the report's violations, ranked (``rank`` 1 = worst).

    Parameters
    ----------
    findings
        The report's published findings (contract ``findings`` columns).
    names
        Subsidiary names by ``subsidiary_id``.
    customers
        ``finding_id`` → ``customer_id`` for findings whose evidence names no customer
        (message recipients, requesters): the people of their items.

    Returns
    -------
    list of dict
        JSON-friendly items (see the module docstring); the dashboard names the
        first :data:`TOP_N`.
    """
    f = violations(findings)
    if f.is_empty():
        return []
    f = f.with_columns(pl.col("rule").replace(FAMILIES).alias("_key"))
    items = [_item(str(key[0]), sub.drop("_key"), names or {}, customers)
             for key, sub in f.partition_by("_key", as_dict=True, maintain_order=True).items()]
    items.sort(key=rank_key)
    return [{"rank": i, **item} for i, item in enumerate(items, 1)]
