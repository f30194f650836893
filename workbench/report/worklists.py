"""Remediation worklists: per subsidiary, one Excel workbook of its findings.

The people who must fix findings work in spreadsheets, one subsidiary at a time.
:func:`write_worklists` writes ``worklists/<subsidiary_id>.xlsx`` for every
subsidiary of the source (a subsidiary with nothing to fix gets a workbook that
says so: that is evidence too) and ``worklists/group.xlsx`` for the findings that
belong to no single subsidiary (group disparities, unpublished tier policies).

Each workbook has an overview sheet (what the workbook is, counts and money by
rule with the money's kind, the legal basis of each rule, and the totals: the
findings, then the money per kind — never added across kinds, each order, grant
or enterprise once, breakdown rules marked and left out, all from
:mod:`workbench.money`) and one sheet per analysis, in the report's order, with
one row per finding: its stable ``finding_id``, rule, severity, the entity to
fix, the money and its kind, the evidence in one line, the legal basis, and
empty columns for the owner, the action, the due date and a status picked from a
list. Rows are sorted by severity, then money.

What may appear: the finding's entity id (a customer, order, complaint or grant
id is what the worklist needs to act on) and the evidence of the finding, which
the analyses write without personal data; the folder is scanned for personal data
with every other export before anything is published.

The files are reproducible: the same findings give byte-identical workbooks (the
document's creation time is the end of the period, not the time of the run).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench.contract import ANALYSES, RULES
from workbench.labels import (
    ANALYSIS_TITLES,
    MONEY_KIND_LABELS,
    MONEY_KINDS,
    MONEY_TERMS,
    SEVERITIES,
    SEVERITY_LABELS,
)
from workbench.money import money_totals, rule_money
from workbench.periods import Period

WORKLISTS_DIR = "worklists"
GROUP_WORKBOOK = "group"
#: Characters of the one-line evidence (Excel allows 32,767 per cell; a worklist row
#: must stay readable; the full evidence is in ``findings.parquet`` by finding_id).
EVIDENCE_CHARS = 600
SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "overview": "概览",
        "title": "整改清单",
        "group": "集团层面（不属于单一子公司）",
        "period": "报告期",
        "subsidiary": "子公司",
        "generated_from": "来源",
        "how": "每个分析一个工作表，每行一项发现。请填写责任人、整改措施、完成期限和状态；"
               "finding_id 在各期报告中保持不变，可据此在 findings.parquet 中查到完整证据。",
        "none": "本期无需整改的发现。",
        "analysis": "分析",
        "rule": "规则",
        "rule_title": "内容",
        "findings": "发现数",
        "amount": "金额（元）",
        "kind": "金额类别",
        "legal_basis": "法律依据",
        "severity": "严重程度",
        "entity_type": "对象类型",
        "entity_id": "对象编号",
        "evidence": "证据摘要",
        "owner": "责任人",
        "action": "整改措施",
        "due": "完成期限",
        "status": "状态",
        "statuses": "待处理,处理中,已整改,不适用",
        "total": "合计",
        "total_kind": "合计：{kind}",
        "refunds": "退款清单",
        "refunds_how": "本子公司应向客户退还的多收金额（每位客户一行，订单价格高于公布价格、"
                       "会员折扣与公开促销所能解释的部分）。“其中归因于群体溢价”是该客户多收金额中"
                       "由被标记群体溢价解释的部分，不另计。",
        "customer_id": "客户编号",
        "orders": "订单数",
        "excess_cny": "多收金额（元）",
        "attributed_cny": "其中归因于群体溢价（元）",
        "groups": "所属被标记群体",
        "refund_status": "退款状态",
        "refund_statuses": "待退款,已退款,不适用",
        "no_refunds": "本期无应退款的客户。",
    },
    "en": {
        "overview": "Overview",
        "title": "Remediation worklist",
        "group": "Group level (no single subsidiary)",
        "period": "Period",
        "subsidiary": "Subsidiary",
        "generated_from": "Source",
        "how": "One sheet per analysis, one row per finding. Fill in the owner, the action, "
               "the due date and the status; finding_id stays the same across reports and finds "
               "the full evidence in findings.parquet.",
        "none": "Nothing to remediate this period.",
        "analysis": "Analysis",
        "rule": "Rule",
        "rule_title": "What",
        "findings": "Findings",
        "amount": "Money (CNY)",
        "kind": "Money kind",
        "legal_basis": "Legal basis",
        "severity": "Severity",
        "entity_type": "Entity type",
        "entity_id": "Entity id",
        "evidence": "Evidence",
        "owner": "Owner",
        "action": "Action",
        "due": "Due date",
        "status": "Status",
        "statuses": "open,in progress,fixed,not applicable",
        "total": "Total",
        "total_kind": "Total: {kind}",
        "refunds": "Refunds",
        "refunds_how": "What this subsidiary owes its customers back (one row per customer: "
                       "the part of their orders' prices that published prices, tier discounts "
                       "and public promotions do not explain). \"Of which attributed to group "
                       "premiums\" is the part of a customer's overcharge that flagged groups' "
                       "premiums explain, not an extra amount.",
        "customer_id": "Customer id",
        "orders": "Orders",
        "excess_cny": "Overcharge (CNY)",
        "attributed_cny": "Of which attributed to group premiums (CNY)",
        "groups": "Flagged groups",
        "refund_status": "Refund status",
        "refund_statuses": "to refund,refunded,not applicable",
        "no_refunds": "No customer is owed a refund this period.",
    },
}
def _flatten(value: Any, prefix: str = "") -> list[str]:
    """``key=value`` parts of a finding's evidence, nested keys joined with ``.``."""
    if isinstance(value, Mapping):
        out: list[str] = []
        for k, v in value.items():
            if k != "legal_basis":
                out += _flatten(v, f"{prefix}{k}.")
        return out
    key = prefix[:-1]
    if value is None:
        return []
    if isinstance(value, list):
        if value and all(not isinstance(v, (Mapping, list)) for v in value):
            more = f" … (+{len(value) - 5})" if len(value) > 5 else ""
            shown = ", ".join(str(v) for v in value[:5]) + more
            return [f"{key}=[{shown}]"]
        return [f"{key}=[{len(value)} items]"]
    if isinstance(value, float):
        value = round(value, 4)
    return [f"{key}={value}"]


def evidence_line(detail: str, max_chars: int = EVIDENCE_CHARS) -> str:
    """The evidence JSON of a finding as one readable line (legal basis left out: it
    has its own column).

    >>> evidence_line('{"limit": 7.0, "elapsed": 8.0, "legal_basis": "x", "record": {"a": 1}}')
    'limit=7.0; elapsed=8.0; record.a=1'
    """
    try:
        parsed = json.loads(detail)
    except (TypeError, ValueError):
        return str(detail)[:max_chars]
    text = "; ".join(_flatten(parsed)) if isinstance(parsed, Mapping) else str(parsed)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


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


def worklist_rows(findings: pl.DataFrame, lang: str = "zh") -> pl.DataFrame:
    """The rows of a worklist sheet: findings sorted by severity then money, with the
    rule's title and legal basis, the money's kind and the evidence in one line.
    """
    titles = {code: (r.title_zh if lang == "zh" else r.title_en) for code, r in RULES.items()}
    basis = {code: r.legal_basis for code, r in RULES.items()}
    sev = SEVERITY_LABELS[lang]
    t = TEXT[lang]
    ordered = findings.with_columns(
        pl.col("severity").replace_strict(SEVERITY_ORDER, default=3).alias("_sev"),
        pl.col("amount_cny").fill_null(0.0).alias("_amount"),
    ).sort(["_sev", "_amount", "rule", "entity_id"], descending=[False, True, False, False])
    # JSON of any shape: parsed in Python, one finding at a time (a worklist holds
    # thousands of rows at most).
    sorted_details = ordered["detail"].to_list()
    return (
        ordered.select(
            "finding_id",
            pl.col("rule").alias(t["rule"]),
            pl.col("rule").replace_strict(titles, default=None).alias(t["rule_title"]),
            pl.col("severity").replace_strict(sev, default=None).alias(t["severity"]),
            pl.col("entity_type").alias(t["entity_type"]),
            pl.col("entity_id").alias(t["entity_id"]),
            pl.col("amount_cny").alias(t["amount"]),
            pl.when(pl.col("amount_cny").is_not_null())
            .then(pl.col("rule").replace_strict(kind_labels(lang), default=None,
                                                return_dtype=pl.String))
            .alias(t["kind"]),
            pl.Series(t["evidence"], [evidence_line(d) for d in sorted_details], dtype=pl.String),
            pl.col("rule").replace_strict(basis, default=None).alias(t["legal_basis"]),
        )
        .with_columns(pl.lit(None, pl.String).alias(t[c])
                      for c in ("owner", "action", "due", "status"))
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
            t["analysis"]: [ANALYSIS_TITLES[lang][r.analysis] for r in rules],
            t["rule"]: [r.code for r in rules],
            t["rule_title"]: [titles[r.code] for r in rules],
            t["findings"]: [int(counts.get(r.code, {}).get("n", 0)) for r in rules],
            high: [int(counts.get(r.code, {}).get("high", 0)) for r in rules],
            # a rule with money: its amount, 0 when nothing was found; empty when the rule
            # carries no money or its findings state none
            t["amount"]: [money.get(r.code) if r.code in counts
                          else 0.0 if r.amount_kind else None for r in rules],
            t["kind"]: [kinds[r.code] for r in rules],
            t["legal_basis"]: [r.legal_basis for r in rules],
        },
        schema={t["analysis"]: pl.String, t["rule"]: pl.String, t["rule_title"]: pl.String,
                t["findings"]: pl.Int64, high: pl.Int64, t["amount"]: pl.Float64,
                t["kind"]: pl.String, t["legal_basis"]: pl.String},
    )


#: The published pricing table of customers owed a refund (``refunds.parquet``).
REFUNDS_TABLE = "refunds"
#: Its columns a worklist shows, in order (any other column is left out).
REFUND_SHEET_COLUMNS = ("customer_id", "orders", "excess_cny", "attributed_cny", "groups")


def _refund_sheet(wb: Any, refunds: pl.DataFrame, lang: str, fmt: Mapping[str, Any]) -> None:
    """The refund sheet: one row per customer owed a refund, largest first, the
    overcharge total (kind ``overcharge``) and a refund status to pick from a list.
    """
    t = TEXT[lang]
    ws = wb.add_worksheet(t["refunds"][:31])
    ws.merge_range(0, 0, 0, len(REFUND_SHEET_COLUMNS), t["refunds_how"], fmt["wrap"])
    ws.set_row(0, 64)
    cols = [c for c in REFUND_SHEET_COLUMNS if c in refunds.columns]
    rows = refunds.sort(["excess_cny", "customer_id"], descending=[True, False]).select(cols)
    for j, name in enumerate([*cols, "refund_status"]):
        ws.write(1, j, t[name], fmt["head"])
    if rows.height == 0:
        ws.write(2, 0, t["no_refunds"])
    for i, row in enumerate(rows.iter_rows(), start=2):
        for j, value in enumerate(row):
            if value is None:
                ws.write_blank(i, j, None, fmt["plain"])
            elif cols[j].endswith("_cny"):
                ws.write_number(i, j, value, fmt["money"])
            elif cols[j] == "orders":
                ws.write_number(i, j, value, fmt["plain"])
            else:
                ws.write_string(i, j, str(value), fmt["plain"])
        ws.write_blank(i, len(cols), None, fmt["todo"])
    if rows.height:
        last = 2 + rows.height
        kind = MONEY_KIND_LABELS[lang]["overcharge"]
        ws.write(last, 0, t["total_kind"].format(kind=kind), fmt["bold"])
        for j, c in enumerate(cols):
            if c.endswith("_cny"):
                ws.write(last, j, round(float(rows[c].sum()), 2), fmt["money"])
        ws.data_validation(2, len(cols), last - 1, len(cols),
                           {"validate": "list", "source": t["refund_statuses"].split(",")})
        ws.autofilter(1, 0, last - 1, len(cols))
    for j, width in enumerate((20, 9, 16, 22, 40, 12)):
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
    refunds: pl.DataFrame | None = None,
) -> Path:
    """One worklist workbook: an overview sheet, one sheet per analysis and, with
    ``refunds`` (the published refund list, rows of this workbook's subsidiary), a
    refund sheet.
    """
    import xlsxwriter

    t = TEXT[lang]
    path = Path(path)
    created = dt.datetime.combine(period.last_day, dt.time(23, 59, 59))
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False})
    try:
        wb.set_properties({"title": f"{t['title']} · {title} · {period.label}", "created": created,
                           "comments": "CRM Compliance Workbench"})
        bold = wb.add_format({"bold": True})
        head = wb.add_format({"bold": True, "bg_color": "#1f3a5f", "font_color": "#ffffff",
                              "text_wrap": True, "valign": "top", "border": 1})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        money = wb.add_format({"num_format": "#,##0.00", "valign": "top"})
        plain = wb.add_format({"valign": "top"})
        to_fill = {"bg_color": "#fff8e1", "valign": "top", "border": 1, "border_color": "#e0c97f"}
        todo = wb.add_format(to_fill)
        due = wb.add_format({**to_fill, "num_format": "yyyy-mm-dd"})
        high = wb.add_format({"font_color": "#b3261e", "bold": True, "valign": "top"})

        ov = wb.add_worksheet(t["overview"][:31])
        ov.write(0, 0, f"{t['title']} · {title}", wb.add_format({"bold": True, "font_size": 14}))
        ov.write(1, 0, t["period"], bold)
        ov.write(1, 1, f"{period.label} ({period.start.date()} – {period.last_day})")
        ov.write(2, 0, t["how"], wrap)
        ov.set_row(2, 48)
        summary = _overview_rows(findings, analyses, lang)
        for j, name in enumerate(summary.columns):
            ov.write(4, j, name, head)
        for i, row in enumerate(summary.iter_rows(), start=5):
            for j, value in enumerate(row):
                fmt = (money if summary.columns[j] == t["amount"]
                       else wrap if j == len(row) - 1 else plain)
                if value is None:
                    ov.write_blank(i, j, None, fmt)
                else:
                    ov.write(i, j, value, fmt)
        last = 5 + summary.height
        ov.write(last, 0, t["total"], bold)
        ov.write(last, summary.columns.index(t["findings"]), int(findings.height), bold)
        ov.write(last, summary.columns.index(SEVERITY_LABELS[lang]["high"]),
                 int((findings["severity"] == "high").sum()), bold)
        # money: one total per kind, each thing once, breakdowns left out
        totals = money_totals(findings)
        kinds = [k for k in MONEY_KINDS
                 if any(r.amount_kind == k and r.in_total and r.analysis in analyses
                        for r in RULES.values())]
        for i, kind in enumerate(kinds, start=last + 1):
            name = MONEY_KIND_LABELS[lang][kind]
            ov.write(i, 0, t["total_kind"].format(kind=name), bold)
            ov.write(i, summary.columns.index(t["amount"]), totals[kind], money)
            ov.write(i, summary.columns.index(t["kind"]), name, plain)
        for j, width in enumerate((14, 28, 30, 9, 7, 16, 26, 70)):
            ov.set_column(j, j, width)
        ov.freeze_panes(5, 0)

        statuses = t["statuses"].split(",")
        for analysis in analyses:
            ws = wb.add_worksheet(ANALYSIS_TITLES[lang][analysis][:31])
            rows = worklist_rows(findings.filter(pl.col("analysis") == analysis), lang)
            for j, name in enumerate(rows.columns):
                ws.write(0, j, name, head)
            if rows.height == 0:
                ws.write(1, 0, t["none"])
            cols = rows.columns
            amount_j = cols.index(t["amount"])
            sev_j = cols.index(t["severity"])
            todo_j = {cols.index(t[c]) for c in ("owner", "action", "status")}
            due_j = cols.index(t["due"])
            wrap_j = {cols.index(t["evidence"]), cols.index(t["legal_basis"])}
            for i, row in enumerate(rows.iter_rows(), start=1):
                for j, value in enumerate(row):
                    if j in todo_j:
                        ws.write_blank(i, j, None, todo)
                    elif j == due_j:
                        ws.write_blank(i, j, None, due)
                    elif value is None:
                        ws.write_blank(i, j, None, plain)
                    elif j == amount_j:
                        ws.write_number(i, j, value, money)
                    elif j == sev_j and value == SEVERITY_LABELS[lang]["high"]:
                        ws.write_string(i, j, value, high)
                    else:
                        ws.write_string(i, j, str(value), wrap if j in wrap_j else plain)
            if rows.height:
                ws.autofilter(0, 0, rows.height, len(cols) - 1)
                status_j = cols.index(t["status"])
                ws.data_validation(1, status_j, rows.height, status_j,
                                   {"validate": "list", "source": statuses})
                ws.data_validation(1, due_j, rows.height, due_j,
                                   {"validate": "date", "criteria": ">=",
                                    "value": period.start.date(), "error_message": "YYYY-MM-DD"})
            for j, width in enumerate((18, 22, 24, 8, 11, 20, 14, 16, 70, 40, 12, 30, 12, 10)):
                ws.set_column(j, j, width)
            ws.freeze_panes(1, 1)
        if refunds is not None:
            _refund_sheet(wb, refunds, lang, {"head": head, "wrap": wrap, "money": money,
                                              "plain": plain, "todo": todo, "bold": bold})
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
) -> list[Path]:
    """``folder/<subsidiary_id>.xlsx`` for every subsidiary and ``folder/group.xlsx``
    for findings without a subsidiary. ``subsidiaries`` needs ``subsidiary_id`` and
    ``name`` (an organisation's name, shown in the title). With ``refunds`` (the
    pricing analysis's published refund list: ``subsidiary_id`` and
    :data:`REFUND_SHEET_COLUMNS`), each subsidiary's workbook gets a refund sheet
    with its customers. Returns the paths written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    t = TEXT[lang]
    names = dict(subsidiaries.select("subsidiary_id", "name").iter_rows())
    unknown = sorted(set(findings["subsidiary_id"].drop_nulls().unique().to_list()) - set(names))
    written: list[Path] = []
    if refunds is not None:
        owed = set(refunds["subsidiary_id"].drop_nulls().unique().to_list())
        unknown = sorted(set(unknown) | (owed - set(names)))
    for sub in sorted(set(names) | set(unknown)):
        part = findings.filter(pl.col("subsidiary_id") == sub)
        title = f"{t['subsidiary']} {sub} {names.get(sub, '')}".strip()
        mine = None if refunds is None else refunds.filter(pl.col("subsidiary_id") == sub)
        written.append(write_workbook(folder / f"{sub}.xlsx", part, title=title, period=period,
                                      analyses=analyses, lang=lang, refunds=mine))
    written.append(
        write_workbook(folder / f"{GROUP_WORKBOOK}.xlsx",
                       findings.filter(pl.col("subsidiary_id").is_null()),
                       title=t["group"], period=period, analyses=analyses, lang=lang)
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
    "EVIDENCE_CHARS",
    "GROUP_WORKBOOK",
    "REFUNDS_TABLE",
    "REFUND_SHEET_COLUMNS",
    "WORKLISTS_DIR",
    "evidence_line",
    "kind_labels",
    "read_sheet",
    "worklist_rows",
    "write_workbook",
    "write_worklists",
]
