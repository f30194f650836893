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

The marketing sheet has a row per message or privacy request to fix: the message or
request id as the entity, its recipient or requester as the customer (looked up in
the source by the runner, :mod:`workbench.report._recipients`: the marketing
evidence names no recipient), and for a late request the calendar days past its
last day.

The refund sheet (:mod:`workbench.report._refunds`) lists every customer owed an
overcharge: the orders of the ``unexplained_premium`` findings, each order once, so
its total is the subsidiary's overcharge total. When the pricing analysis published
its refund list (``refunds.parquet``) the two must agree to the cent, or nothing is
written.

What may appear: ids (pseudonymous customer ids, order, complaint, grant ids,
USCCs) and the evidence the analyses write without personal data; the folder is
scanned for personal data with every other export before anything is published.

The files are reproducible: the same findings give byte-identical workbooks (the
document's creation time is the end of the period, not the time of the run; every
sort ends on the finding id).
"""

from __future__ import annotations

import datetime as dt
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
from workbench.report._refunds import check_refunds, refund_rows, write_refunds
from workbench.report._sheets import formats, parse_detail, suggested_due, write_table
from workbench.report._worklist_words import TEXT, instructions
from workbench.severity import Policy

WORKLISTS_DIR = "worklists"
GROUP_WORKBOOK = "group"
#: The pricing analysis's published refund list (``refunds.parquet``), checked against
#: the findings when given (:func:`check_refunds`).
REFUNDS_TABLE = "refunds"
SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}
#: Rules whose evidence says how long a committed clock was overrun.
CLOCK_RULES = ("ack_breach", "acceptance_breach", "resolution_breach", "update_gap")


def _days_past(detail: Mapping[str, Any], last_day: dt.date | None) -> float | None:
    """Calendar days from a privacy request's last day (``deadline``) to its completion
    or, still open, to the period's ``last_day``; None when the evidence cannot say.
    """
    try:
        deadline = dt.date.fromisoformat(str(detail["deadline"])[:10])
        done = detail.get("completed_at")
        end = dt.date.fromisoformat(str(done)[:10]) if done else last_day
    except (KeyError, TypeError, ValueError):
        return None
    return None if end is None else float(max((end - deadline).days, 0))


def overdue_days(rule: str, detail: Mapping[str, Any],
                 last_day: dt.date | None = None) -> float | None:
    """Calendar days the finding is overdue (a committed clock overrun; for an open
    complaint, at the end of the period; a privacy request past its last day, an open
    one at ``last_day``, the period's; a late tier review), None when not a delay.

    >>> overdue_days("resolution_breach", {"overrun_hours": 1737.34, "overrun": 72.389})
    72.4
    >>> overdue_days("ack_breach", {"clock": "calendar_hours", "overrun": 36.0})
    1.5
    >>> overdue_days("privacy_request_overdue", {"deadline": "2026-07-13", "overrun": 57,
    ...     "clock": "working_days", "completed_at": None}, dt.date(2026, 9, 30))
    79.0
    """
    if rule == "privacy_request_overdue" and detail.get("deadline"):
        days = _days_past(detail, last_day)
        if days is not None:
            return days
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


def _facts(findings: pl.DataFrame, lang: str, last_day: dt.date | None,
           policy: Policy | None, lookup: Mapping[str, str]) -> pl.DataFrame:
    """Per finding: the evidence sentence, customers (the evidence's, else ``lookup``'s
    by finding id), days overdue and due date (JSON of any shape is read in Python, one
    finding at a time; a worklist holds thousands of rows at most).
    """
    sentences, customers, overdue, due = [], [], [], []
    cols = ("rule", "severity", "entity_type", "entity_id", "detail", "amount_cny", "amount_kind",
            "finding_id")
    for rule, sev, etype, eid, detail, amount, kind, fid in findings.select(cols).iter_rows():
        d = parse_detail(detail)
        sentences.append(evidence_sentence(rule, etype, eid, d, lang, amount_cny=amount,
                                           amount_kind=kind))
        named = customer_ids(etype, eid, d) or ([lookup[fid]] if fid in lookup else [])
        customers.append("、".join(named) or None)
        overdue.append(overdue_days(rule, d, last_day))
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
                  policy: Policy | None = None,
                  customers: pl.DataFrame | None = None) -> pl.DataFrame:
    """The rows of a worklist sheet in priority order (:func:`priority_order`): the
    evidence in one sentence, the customer and the entity, money and its kind, days
    overdue, the suggested due date (with ``period``), the columns to fill in, the
    legal basis, the rule code and the finding id. ``customers`` (``finding_id`` →
    ``customer_id``) names the customer of a finding whose evidence names none (a
    message's recipient, a request's requester: :mod:`workbench.report._recipients`).
    """
    t = TEXT[lang]
    titles = {code: (r.title_zh if lang == "zh" else r.title_en) for code, r in RULES.items()}
    basis = {code: legal_basis_text(r.legal_basis, lang) for code, r in RULES.items()}
    lookup: dict[str, str] = {}
    if customers is not None and customers.height and findings.height:
        mine = customers.join(findings.select("finding_id"), on="finding_id", how="semi")
        lookup = dict(mine.select("finding_id", "customer_id").iter_rows())
    ordered = priority_order(_facts(findings, lang, period and period.last_day, policy, lookup))
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
    write_table(ov, top, summary, fmt, {t["amount"]: "money", t["legal_basis"]: "wrap"})
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
    write_table(ws, 0, rows, fmt, styles, high=SEVERITY_LABELS[lang]["high"])
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
    customers: pl.DataFrame | None = None,
) -> Path:
    """One worklist workbook: an overview sheet, one sheet per analysis and, with
    ``refunds`` (a subsidiary's workbook) and the pricing analysis among ``analyses``,
    the refund sheet built from the ``unexplained_premium`` findings. ``customers``:
    see :func:`worklist_rows`.
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
        fmt = formats(wb)
        _write_overview(wb, fmt, findings, title, period, analyses, lang, policy, with_refunds)
        for analysis in analyses:
            rows = worklist_rows(findings.filter(pl.col("analysis") == analysis), lang,
                                 period=period, policy=policy, customers=customers)
            _write_analysis(wb, fmt, rows, ANALYSIS_TITLES[lang].get(analysis, analysis),
                            period, lang)
        if with_refunds:
            write_refunds(wb, fmt, refund_rows(findings, lang, period=period, policy=policy),
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
    customers: pl.DataFrame | None = None,
) -> list[Path]:
    """``folder/<subsidiary_id>.xlsx`` for every subsidiary and ``folder/group.xlsx``
    for findings without a subsidiary. ``subsidiaries`` needs ``subsidiary_id`` and
    ``name`` (an organisation's name, shown in the title). Each subsidiary's workbook
    has a refund sheet when the pricing analysis is among ``analyses``; ``refunds``
    (the pricing analysis's published refund list), when given, must agree with the
    findings (:func:`check_refunds`). ``policy``: the severity policy whose
    ``remediation_days`` give the due dates (default: the packaged one).
    ``customers`` (``finding_id`` → ``customer_id``) names the customer of the
    marketing findings, whose evidence names none (:func:`worklist_rows`). Returns the
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
                                      analyses=analyses, lang=lang, refunds=True, policy=policy,
                                      customers=customers))
    written.append(
        write_workbook(folder / f"{GROUP_WORKBOOK}.xlsx",
                       findings.filter(pl.col("subsidiary_id").is_null()),
                       title=t["group"], period=period, analyses=analyses, lang=lang,
                       policy=policy, customers=customers)
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
