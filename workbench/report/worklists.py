"""Remediation worklists: per subsidiary, one Excel workbook of what it must fix.

The people who must fix findings work in spreadsheets, one subsidiary at a time.
:func:`write_worklists` writes ``worklists/<subsidiary_id>.xlsx`` for every
subsidiary of the source (a subsidiary with nothing to fix gets a workbook that
says so: that is evidence too) and ``worklists/group.xlsx`` for the findings that
belong to no single subsidiary (group disparities, unpublished tier policies).

Each workbook has an overview sheet (what to do with the workbook, in words for a
business user; counts and money by rule with the money's kind and legal basis; the
totals: the findings, then the money per kind — never added across kinds, each
order, grant or enterprise once, breakdown rules left out, all from
:mod:`workbench.money`), one sheet per analysis and, for a subsidiary, a refund
sheet. An analysis sheet has one row per thing to fix: the evidence as one plain
sentence (:func:`workbench.evidence.evidence_sentence`), the customer
(pseudonymous id) and the entity, the money and its kind, the days overdue, a
suggested due date (the severity's ``remediation_days`` of the severity policy
after the period's last day; an open complaint predicted to breach no later than
its own deadline), and columns for the owner, the action and a status picked from
a list. Rows are in priority order: severity, then days overdue (an open
complaint's at the end of the period), then money; the rows of one entity (a
complaint with several breaches, an enterprise with several registry alerts) are
kept together where its most urgent row falls.

The refund sheet lists every customer owed an overcharge: the orders of the
``unexplained_premium`` findings, each order once, so its total is the
subsidiary's overcharge total. When the pricing analysis published its refund list
(``refunds.parquet``) the two must agree to the cent, or nothing is written.

What may appear: ids (pseudonymous customer ids, order, complaint, grant ids,
USCCs) and the evidence the analyses write without personal data; the folder is
scanned for personal data with every other export before anything is published.

The files are reproducible: the same findings give byte-identical workbooks (the
document's creation time is the end of the period, not the time of the run; every
sort ends on the finding id).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench.contract import ANALYSES, RULES
from workbench.evidence import customer_ids, entity_label, evidence_sentence, group_label
from workbench.labels import (
    ANALYSIS_TITLES,
    MONEY_KIND_LABELS,
    MONEY_KINDS,
    MONEY_TERMS,
    SEVERITIES,
    SEVERITY_LABELS,
    legal_basis_text,
)
from workbench.money import money_totals, rule_money
from workbench.periods import Period
from workbench.report._worklist_words import TEXT, instructions
from workbench.severity import Policy, remediation_due

WORKLISTS_DIR = "worklists"
GROUP_WORKBOOK = "group"
#: The pricing analysis's published refund list (``refunds.parquet``), checked against
#: the findings when given (:func:`check_refunds`).
REFUNDS_TABLE = "refunds"
SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}
#: Rules whose evidence says how long a committed clock was overrun.
CLOCK_RULES = ("ack_breach", "acceptance_breach", "resolution_breach", "update_gap")
#: Excel's limit of characters in one cell.
CELL_CHARS = 32_767


def _parse(detail: Any) -> Mapping[str, Any]:
    if isinstance(detail, Mapping):
        return detail
    try:
        parsed = json.loads(detail)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, Mapping) else {}


def overdue_days(rule: str, detail: Mapping[str, Any]) -> float | None:
    """Calendar days the finding is overdue (a committed clock overrun; for an open
    complaint, at the end of the period; a late tier review), None when not a delay.

    >>> overdue_days("resolution_breach", {"overrun_hours": 1737.34, "overrun": 72.389})
    72.4
    >>> overdue_days("ack_breach", {"clock": "calendar_hours", "overrun": 36.0})
    1.5
    """
    if rule in CLOCK_RULES or rule == "privacy_request_overdue":
        if detail.get("overrun_hours") is not None:
            return round(float(detail["overrun_hours"]) / 24, 1)
        if detail.get("overdue_days") is not None:
            return round(float(detail["overdue_days"]), 1)
        if detail.get("overrun") is not None:
            hours = detail.get("clock") == "calendar_hours"
            return round(float(detail["overrun"]) / (24 if hours else 1), 1)
        basis = detail.get("severity_basis") or {}
        late = basis.get("overrun_days", basis.get("overrun_working_days"))
        if late is not None:  # on the request's clock: the best the evidence tells
            return round(float(late), 1)
    if rule == "stale_tier" and detail.get("overdue_days") is not None:
        return round(float(detail["overdue_days"]), 1)
    return None


def suggested_due(rule: str, severity: str, detail: Mapping[str, Any], last_day: dt.date,
                  policy: Policy | None = None) -> dt.date | None:
    """The severity's ``remediation_days`` after ``last_day``; an open complaint
    predicted to breach (``breach_risk``) no later than its own deadline.
    """
    due = remediation_due(severity, last_day, policy=policy)
    if due is not None and rule == "breach_risk" and detail.get("deadline"):
        due = min(due, dt.date.fromisoformat(str(detail["deadline"])[:10]))
    return due


def _facts(findings: pl.DataFrame, lang: str, last_day: dt.date | None,
           policy: Policy | None) -> pl.DataFrame:
    """Per finding: the evidence sentence, customers, days overdue and due date (JSON of
    any shape is read in Python, one finding at a time; a worklist holds thousands of
    rows at most).
    """
    sentences, customers, overdue, due = [], [], [], []
    cols = ("rule", "severity", "entity_type", "entity_id", "detail", "amount_cny", "amount_kind")
    for rule, sev, etype, eid, detail, amount, kind in findings.select(cols).iter_rows():
        d = _parse(detail)
        sentences.append(evidence_sentence(rule, etype, eid, d, lang, amount_cny=amount,
                                           amount_kind=kind))
        customers.append("、".join(customer_ids(etype, eid, d)) or None)
        overdue.append(overdue_days(rule, d))
        due.append(None if last_day is None else suggested_due(rule, sev, d, last_day, policy))
    return findings.with_columns(
        pl.Series("_evidence", sentences, pl.String), pl.Series("_customer", customers, pl.String),
        pl.Series("_overdue", overdue, pl.Float64), pl.Series("_due", due, pl.Date),
    )


def kind_labels(lang: str = "zh") -> dict[str, str | None]:
    """Rule code → the kind of its money as a worklist shows it (a breakdown rule's
    marked as not added to totals); ``None`` for a rule that carries no money.

    >>> kind_labels()["price_disparity"], kind_labels("en")["hidden_benefit"]
    ('多收金额（分解，不计入合计）', 'Unpublished benefits')
    """
    out: dict[str, str | None] = {}
    for code, r in RULES.items():
        if r.amount_kind is None:
            out[code] = None
            continue
        text = MONEY_KIND_LABELS[lang][r.amount_kind]
        if not r.in_total:
            mark = MONEY_TERMS[lang]["breakdown"]
            text += f"（{mark}）" if lang == "zh" else f" ({mark})"
        out[code] = text
    return out


def _entity_words(entity_type: str, entity_id: str, lang: str) -> str:
    """A group named in words with its id (``女性（gender=f）``), anything else its id."""
    if entity_type != "group":
        return entity_id
    words = group_label(entity_id, lang)
    return f"{words}（{entity_id}）" if lang == "zh" else f"{words} ({entity_id})"


def priority_order(findings: pl.DataFrame) -> pl.DataFrame:
    """Findings (with ``_overdue``) in priority order: severity, days overdue, money,
    then the rows of one entity moved together to where its most urgent row falls.
    """
    ranked = findings.with_columns(
        pl.col("severity").replace_strict(SEVERITY_ORDER, default=len(SEVERITIES)).alias("_sev"),
        pl.col("_overdue").fill_null(-1.0).alias("_late"),
        pl.col("amount_cny").fill_null(-1.0).alias("_amount"),
    ).sort(["_sev", "_late", "_amount", "rule", "entity_id", "finding_id"],
           descending=[False, True, True, False, False, False])
    return (
        ranked.with_row_index("_i")
        .with_columns(pl.col("_i").min().over("entity_type", "entity_id").alias("_first"))
        .sort("_first", "_i")
        .drop("_sev", "_late", "_amount", "_i", "_first")
    )


def worklist_rows(findings: pl.DataFrame, lang: str = "zh", *, period: Period | None = None,
                  policy: Policy | None = None) -> pl.DataFrame:
    """The rows of a worklist sheet in priority order (:func:`priority_order`): the
    evidence in one sentence, the customer and the entity, money and its kind, days
    overdue, the suggested due date (with ``period``), the columns to fill in, the
    legal basis, the rule code and the finding id.
    """
    t = TEXT[lang]
    titles = {code: (r.title_zh if lang == "zh" else r.title_en) for code, r in RULES.items()}
    basis = {code: legal_basis_text(r.legal_basis, lang) for code, r in RULES.items()}
    ordered = priority_order(_facts(findings, lang, period and period.last_day, policy))
    entities = [_entity_words(e, i, lang)
                for e, i in ordered.select("entity_type", "entity_id").iter_rows()]
    types = [entity_label(e, lang) for e in ordered["entity_type"]]
    return ordered.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(t["priority"]),
        pl.col("severity").replace_strict(SEVERITY_LABELS[lang], default=None)
        .alias(t["severity"]),
        pl.col("rule").replace_strict(titles, default=pl.col("rule")).alias(t["rule_title"]),
        pl.Series(t["entity_type"], types, pl.String),
        pl.Series(t["entity_id"], entities, pl.String),
        pl.col("_customer").alias(t["customer_id"]),
        pl.col("_evidence").alias(t["evidence"]),
        pl.col("amount_cny").round(2).alias(t["amount"]),
        pl.when(pl.col("amount_cny").is_not_null())
        .then(pl.col("rule").replace_strict(kind_labels(lang), default=None,
                                            return_dtype=pl.String))
        .alias(t["kind"]),
        pl.col("_overdue").alias(t["overdue"]),
        pl.col("_due").alias(t["due"]),
        *(pl.lit(None, pl.String).alias(t[c]) for c in ("owner", "action", "status")),
        pl.col("rule").replace_strict(basis, default=None).alias(t["legal_basis"]),
        pl.col("rule").alias(t["rule"]),
        "finding_id",
    )


def refund_rows(findings: pl.DataFrame, lang: str = "zh", *, period: Period | None = None,
                policy: Policy | None = None) -> pl.DataFrame:
    """Customers owed an overcharge, one row per subsidiary and customer: their
    ``unexplained_premium`` orders (each order once), the overcharge, the part flagged
    groups' premiums explain, those groups in words, the earliest suggested due date.
    Columns are codes (``subsidiary_id``, ``customer_id``, ``orders``, ``order_ids``,
    ``excess_cny``, ``attributed_cny``, ``groups``, ``due``); largest refund first.
    """
    orders = findings.filter(pl.col("rule") == "unexplained_premium").sort("finding_id").unique(
        ["subsidiary_id", "entity_id"], keep="first", maintain_order=True)
    recs = []
    last_day = period and period.last_day
    for sub, oid, sev, amount, detail in orders.select(
            "subsidiary_id", "entity_id", "severity", "amount_cny", "detail").iter_rows():
        d = _parse(detail)
        flagged = [g for g in d.get("flagged_groups") or [] if isinstance(g, Mapping)]
        recs.append({
            "subsidiary_id": sub, "customer_id": next(iter(customer_ids("order", oid, d)), None),
            "order_id": oid, "excess": float(amount or 0.0),
            "attributed": sum(float(g.get("attributed_cny") or 0.0) for g in flagged),
            "groups": [str(g["group"]) for g in flagged if g.get("group")],
            "due": None if last_day is None else suggested_due("unexplained_premium", sev, d,
                                                               last_day, policy),
        })
    schema = {"subsidiary_id": pl.String, "customer_id": pl.String, "order_id": pl.String,
              "excess": pl.Float64, "attributed": pl.Float64, "groups": pl.List(pl.String),
              "due": pl.Date}
    per = pl.DataFrame(recs, schema=schema).group_by("subsidiary_id", "customer_id").agg(
        pl.len().cast(pl.Int64).alias("orders"), pl.col("order_id").sort().alias("order_ids"),
        pl.col("excess").sum().round(2).alias("excess_cny"),
        pl.col("attributed").sum().round(2).alias("attributed_cny"),
        pl.col("groups").list.explode(keep_nulls=False, empty_as_null=False).unique().sort()
        .alias("groups"),
        pl.col("due").min().alias("due"),
    )
    sep, gsep = ("、", "；") if lang == "zh" else (", ", "; ")
    words = [gsep.join(group_label(g, lang) for g in gs) or None for gs in per["groups"]]
    return per.with_columns(
        pl.Series("groups", words, pl.String), pl.col("order_ids").list.join(sep),
    ).sort(["subsidiary_id", "excess_cny", "customer_id"], descending=[False, True, False],
           nulls_last=True)


def check_refunds(findings: pl.DataFrame, refunds: pl.DataFrame) -> None:
    """The pricing analysis's refund list must equal the ``unexplained_premium``
    findings per subsidiary (orders and money, to the cent); a clear error otherwise.
    """
    missing = [c for c in ("subsidiary_id", "orders", "excess_cny") if c not in refunds.columns]
    if missing:
        raise ValueError(f"worklists: table refunds lacks column(s) {', '.join(missing)}")
    ours = (findings.filter((pl.col("rule") == "unexplained_premium")
                            & pl.col("subsidiary_id").is_not_null())
            .unique(["subsidiary_id", "entity_id"])
            .group_by("subsidiary_id").agg(pl.len().cast(pl.Int64).alias("n"),
                                           pl.col("amount_cny").sum().alias("cny")))
    theirs = refunds.group_by("subsidiary_id").agg(pl.col("orders").sum().alias("n_r"),
                                                   pl.col("excess_cny").sum().alias("cny_r"))
    both = ours.join(theirs, on="subsidiary_id", how="full", coalesce=True).fill_null(0)
    bad = both.filter((pl.col("n") != pl.col("n_r"))
                      | ((pl.col("cny") - pl.col("cny_r")).abs() >= 0.01)).sort("subsidiary_id")
    if bad.height:
        rows = "; ".join(f"subsidiary {s}: findings {n} orders ¥{c:,.2f}, refunds {nr} orders "
                         f"¥{cr:,.2f}" for s, n, c, nr, cr in
                         bad.select("subsidiary_id", "n", "cny", "n_r", "cny_r").iter_rows())
        raise ValueError("worklists: the refund list (table refunds) and the "
                         f"unexplained_premium findings disagree ({rows})")


def _overview_rows(findings: pl.DataFrame, analyses: Sequence[str], lang: str) -> pl.DataFrame:
    t = TEXT[lang]
    high = SEVERITY_LABELS[lang]["high"]
    titles = {code: (r.title_zh if lang == "zh" else r.title_en) for code, r in RULES.items()}
    rules = [r for a in analyses for r in RULES.values() if r.analysis == a]
    counts = {
        r["rule"]: r
        for r in findings.group_by("rule").agg(
            pl.len().alias("n"), (pl.col("severity") == "high").sum().alias("high"),
        ).iter_rows(named=True)
    }
    money = dict(rule_money(findings).select("rule", "amount_cny").iter_rows())
    kinds = kind_labels(lang)
    return pl.DataFrame(
        {
            t["analysis"]: [ANALYSIS_TITLES[lang].get(r.analysis, r.analysis) for r in rules],
            t["rule_title"]: [titles[r.code] for r in rules],
            t["findings"]: [int(counts.get(r.code, {}).get("n", 0)) for r in rules],
            high: [int(counts.get(r.code, {}).get("high", 0)) for r in rules],
            # a rule with money: its amount, 0 when nothing was found; empty when the rule
            # carries no money or its findings state none
            t["amount"]: [money.get(r.code) if r.code in counts
                          else 0.0 if r.amount_kind else None for r in rules],
            t["kind"]: [kinds[r.code] for r in rules],
            t["legal_basis"]: [legal_basis_text(r.legal_basis, lang) for r in rules],
            t["rule"]: [r.code for r in rules],
        },
        schema={t["analysis"]: pl.String, t["rule_title"]: pl.String, t["findings"]: pl.Int64,
                high: pl.Int64, t["amount"]: pl.Float64, t["kind"]: pl.String,
                t["legal_basis"]: pl.String, t["rule"]: pl.String},
    )


def _formats(wb: Any) -> dict[str, Any]:
    to_fill = {"bg_color": "#fff8e1", "valign": "top", "border": 1, "border_color": "#e0c97f"}
    return {
        "bold": wb.add_format({"bold": True}),
        "big": wb.add_format({"bold": True, "font_size": 14}),
        "head": wb.add_format({"bold": True, "bg_color": "#1f3a5f", "font_color": "#ffffff",
                               "text_wrap": True, "valign": "top", "border": 1}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "money": wb.add_format({"num_format": "#,##0.00", "valign": "top"}),
        "days": wb.add_format({"num_format": "0.0", "valign": "top"}),
        "plain": wb.add_format({"valign": "top"}),
        "todo": wb.add_format(to_fill),
        "due": wb.add_format({**to_fill, "num_format": "yyyy-mm-dd"}),
        "high": wb.add_format({"font_color": "#b3261e", "bold": True, "valign": "top"}),
    }


def _write_table(ws: Any, top: int, df: pl.DataFrame, fmt: Mapping[str, Any],
                 styles: Mapping[str, str], high: str | None = None) -> None:
    """Headers on row ``top``, then the rows; ``styles``: column → format name (a cell
    equal to ``high`` is shown as a high severity).
    """
    for j, name in enumerate(df.columns):
        ws.write_string(top, j, name, fmt["head"])
    names = [styles.get(c, "plain") for c in df.columns]
    for i, row in enumerate(df.iter_rows(), start=top + 1):
        for j, value in enumerate(row):
            style = fmt["high" if high is not None and value == high else names[j]]
            if value is None:
                ws.write_blank(i, j, None, style)
            elif isinstance(value, dt.date):
                ws.write_datetime(i, j, dt.datetime.combine(value, dt.time()), style)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(i, j, value, style)
            else:
                ws.write_string(i, j, str(value)[:CELL_CHARS], style)


def _write_overview(wb: Any, fmt: Mapping[str, Any], findings: pl.DataFrame, title: str,
                    period: Period, analyses: Sequence[str], lang: str,
                    policy: Policy | None, refunds: bool) -> None:
    t = TEXT[lang]
    ov = wb.add_worksheet(t["overview"][:31])
    ov.write(0, 0, f"{t['title']} · {title}", fmt["big"])
    ov.write(1, 0, t["period"], fmt["bold"])
    ov.write(1, 1, f"{period.label} ({period.start.date()} – {period.last_day})")
    ov.write(3, 0, t["how_title"], fmt["bold"])
    steps = instructions(lang, policy, refunds=refunds)
    for i, step in enumerate(steps, start=4):
        ov.merge_range(i, 0, i, 7, f"{i - 3}. {step}", fmt["wrap"])
        ov.set_row(i, 32)
    top = 5 + len(steps)
    summary = _overview_rows(findings, analyses, lang)
    _write_table(ov, top, summary, fmt, {t["amount"]: "money", t["legal_basis"]: "wrap"})
    last = top + 1 + summary.height
    cols = summary.columns
    ov.write(last, 0, t["total"], fmt["bold"])
    ov.write(last, cols.index(t["findings"]), int(findings.height), fmt["bold"])
    ov.write(last, cols.index(SEVERITY_LABELS[lang]["high"]),
             int((findings["severity"] == "high").sum()), fmt["bold"])
    # money: one total per kind, each thing once, breakdowns left out
    totals = money_totals(findings)
    kinds = [k for k in MONEY_KINDS
             if any(r.amount_kind == k and r.in_total and r.analysis in analyses
                    for r in RULES.values())]
    for i, kind in enumerate(kinds, start=last + 1):
        name = MONEY_KIND_LABELS[lang][kind]
        ov.write(i, 0, t["total_kind"].format(kind=name), fmt["bold"])
        ov.write(i, cols.index(t["amount"]), totals[kind], fmt["money"])
        ov.write(i, cols.index(t["kind"]), name, fmt["plain"])
    for j, width in enumerate((14, 30, 9, 7, 16, 26, 60, 26)):
        ov.set_column(j, j, width)
    ov.freeze_panes(top + 1, 0)


def _write_analysis(wb: Any, fmt: Mapping[str, Any], rows: pl.DataFrame, name: str,
                    period: Period, lang: str) -> None:
    t = TEXT[lang]
    ws = wb.add_worksheet(name[:31])
    styles = {t["evidence"]: "wrap", t["legal_basis"]: "wrap", t["amount"]: "money",
              t["overdue"]: "days", t["due"]: "due", t["owner"]: "todo", t["action"]: "todo",
              t["status"]: "todo", t["entity_id"]: "wrap"}
    _write_table(ws, 0, rows, fmt, styles, high=SEVERITY_LABELS[lang]["high"])
    cols = rows.columns
    if rows.height == 0:
        ws.write(1, 0, t["none"])
    else:
        ws.autofilter(0, 0, rows.height, len(cols) - 1)
        status_j, due_j = cols.index(t["status"]), cols.index(t["due"])
        ws.data_validation(1, status_j, rows.height, status_j,
                           {"validate": "list", "source": t["statuses"].split(",")})
        ws.data_validation(1, due_j, rows.height, due_j,
                           {"validate": "date", "criteria": ">=",
                            "value": period.start.date(), "error_message": "YYYY-MM-DD"})
    for j, width in enumerate((7, 8, 20, 10, 22, 12, 70, 12, 16, 9, 12, 12, 30, 10, 40, 22, 18)):
        ws.set_column(j, j, width)
    ws.freeze_panes(1, 2)


def _write_refunds(wb: Any, fmt: Mapping[str, Any], refunds: pl.DataFrame, lang: str) -> None:
    """The refund sheet: one row per customer owed an overcharge, largest first, the
    total (kind ``overcharge``) and a refund status to pick from a list.
    """
    t = TEXT[lang]
    ws = wb.add_worksheet(t["refunds"][:31])
    cols = ["customer_id", "orders", "order_ids", "excess_cny", "attributed_cny", "groups", "due"]
    rows = refunds.select(cols).with_columns(pl.lit(None, pl.String).alias("refund_status"))
    rows = rows.rename({c: t[c] for c in rows.columns})
    ws.merge_range(0, 0, 0, len(rows.columns) - 1, t["refunds_how"], fmt["wrap"])
    ws.set_row(0, 64)
    styles = {t["excess_cny"]: "money", t["attributed_cny"]: "money", t["order_ids"]: "wrap",
              t["groups"]: "wrap", t["due"]: "due", t["refund_status"]: "todo"}
    _write_table(ws, 1, rows, fmt, styles)
    if rows.height == 0:
        ws.write(2, 0, t["no_refunds"])
    else:
        last = 2 + rows.height
        ws.write(last, 0, t["total_kind"].format(kind=MONEY_KIND_LABELS[lang]["overcharge"]),
                 fmt["bold"])
        ws.write(last, 1, int(refunds["orders"].sum()), fmt["bold"])
        for c in ("excess_cny", "attributed_cny"):
            ws.write(last, cols.index(c), round(float(refunds[c].sum()), 2), fmt["money"])
        status_j = len(cols)
        ws.data_validation(2, status_j, last - 1, status_j,
                           {"validate": "list", "source": t["refund_statuses"].split(",")})
        ws.autofilter(1, 0, last - 1, status_j)
    for j, width in enumerate((12, 8, 36, 16, 22, 36, 12, 12)):
        ws.set_column(j, j, width)
    ws.freeze_panes(2, 1)


def write_workbook(
    path: str | Path,
    findings: pl.DataFrame,
    *,
    title: str,
    period: Period,
    analyses: Sequence[str] = ANALYSES,
    lang: str = "zh",
    refunds: bool = False,
    policy: Policy | None = None,
) -> Path:
    """One worklist workbook: an overview sheet, one sheet per analysis and, with
    ``refunds`` (a subsidiary's workbook) and the pricing analysis among ``analyses``,
    the refund sheet built from the ``unexplained_premium`` findings.
    """
    import xlsxwriter

    t = TEXT[lang]
    path = Path(path)
    created = dt.datetime.combine(period.last_day, dt.time(23, 59, 59))
    with_refunds = refunds and "pricing" in analyses
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False})
    try:
        wb.set_properties({"title": f"{t['title']} · {title} · {period.label}", "created": created,
                           "comments": "CRM Compliance Workbench"})
        fmt = _formats(wb)
        _write_overview(wb, fmt, findings, title, period, analyses, lang, policy, with_refunds)
        for analysis in analyses:
            rows = worklist_rows(findings.filter(pl.col("analysis") == analysis), lang,
                                 period=period, policy=policy)
            _write_analysis(wb, fmt, rows, ANALYSIS_TITLES[lang].get(analysis, analysis),
                            period, lang)
        if with_refunds:
            _write_refunds(wb, fmt, refund_rows(findings, lang, period=period, policy=policy),
                           lang)
    finally:
        wb.close()
    return path


def write_worklists(
    findings: pl.DataFrame,
    subsidiaries: pl.DataFrame,
    folder: str | Path,
    period: Period,
    *,
    analyses: Sequence[str] = ANALYSES,
    lang: str = "zh",
    refunds: pl.DataFrame | None = None,
    policy: Policy | None = None,
) -> list[Path]:
    """``folder/<subsidiary_id>.xlsx`` for every subsidiary and ``folder/group.xlsx``
    for findings without a subsidiary. ``subsidiaries`` needs ``subsidiary_id`` and
    ``name`` (an organisation's name, shown in the title). Each subsidiary's workbook
    has a refund sheet when the pricing analysis is among ``analyses``; ``refunds``
    (the pricing analysis's published refund list), when given, must agree with the
    findings (:func:`check_refunds`). ``policy``: the severity policy whose
    ``remediation_days`` give the due dates (default: the packaged one). Returns the
    paths written.
    """
    folder = Path(folder)
    t = TEXT[lang]
    if refunds is not None and "pricing" in analyses:
        check_refunds(findings, refunds)
    folder.mkdir(parents=True, exist_ok=True)
    names = dict(subsidiaries.select("subsidiary_id", "name").iter_rows())
    unknown = sorted(set(findings["subsidiary_id"].drop_nulls().unique().to_list()) - set(names))
    written: list[Path] = []
    for sub in sorted(set(names) | set(unknown)):
        part = findings.filter(pl.col("subsidiary_id") == sub)
        title = f"{t['subsidiary']} {sub} {names.get(sub, '')}".strip()
        written.append(write_workbook(folder / f"{sub}.xlsx", part, title=title, period=period,
                                      analyses=analyses, lang=lang, refunds=True, policy=policy))
    written.append(
        write_workbook(folder / f"{GROUP_WORKBOOK}.xlsx",
                       findings.filter(pl.col("subsidiary_id").is_null()),
                       title=t["group"], period=period, analyses=analyses, lang=lang,
                       policy=policy)
    )
    return written
def read_sheet(path: str | Path, sheet: str) -> list[list[str]]:
    """The cell texts of one sheet of a workbook this module wrote, as rows of strings
    in their column positions (for the tests: no spreadsheet reader is a dependency).
    """
    import html
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        strings = (z.read("xl/sharedStrings.xml").decode("utf-8")
                   if "xl/sharedStrings.xml" in z.namelist() else "")
        shared = [html.unescape(re.sub(r"<[^>]+>", "", si))
                  for si in re.findall(r"<si>(.*?)</si>", strings, re.S)]
        book = z.read("xl/workbook.xml").decode("utf-8")
        names = [html.unescape(n) for n in re.findall(r'<sheet name="([^"]*)"', book)]
        xml = z.read(f"xl/worksheets/sheet{names.index(sheet) + 1}.xml").decode("utf-8")
    def column(ref: str) -> int:
        n = 0
        for ch in re.match(r"[A-Z]+", ref).group(0):  # type: ignore[union-attr]
            n = n * 26 + ord(ch) - 64
        return n - 1

    rows: list[list[str]] = []
    for row in re.findall(r"<row [^>]*>(.*?)</row>", xml, re.S):
        cells: list[str] = []
        for attrs, body in re.findall(r"<c ([^>]*?)(?:/>|>(.*?)</c>)", row, re.S):
            value = re.search(r"<v>(.*?)</v>", body or "")
            text = "" if value is None else value.group(1)
            if 't="s"' in attrs and text:
                text = shared[int(text)]
            j = column(re.search(r'r="([A-Z]+\d+)"', attrs).group(1))  # type: ignore[union-attr]
            cells += [""] * (j - len(cells))
            cells.append(html.unescape(text))
        rows.append(cells)
    return rows


__all__ = [
    "CLOCK_RULES",
    "GROUP_WORKBOOK",
    "REFUNDS_TABLE",
    "TEXT",
    "WORKLISTS_DIR",
    "check_refunds",
    "instructions",
    "kind_labels",
    "overdue_days",
    "priority_order",
    "read_sheet",
    "refund_rows",
    "suggested_due",
    "worklist_rows",
    "write_workbook",
    "write_worklists",
]
