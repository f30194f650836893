"""Remediation worklists: per subsidiary, one Excel workbook of its findings.

The people who must fix findings work in spreadsheets, one subsidiary at a time.
:func:`write_worklists` writes ``worklists/<subsidiary_id>.xlsx`` for every
subsidiary of the source (a subsidiary with nothing to fix gets a workbook that
says so: that is evidence too) and ``worklists/group.xlsx`` for the findings that
belong to no single subsidiary (group disparities, unpublished tier policies).

Each workbook has an overview sheet (what the workbook is, counts and money by
rule, the legal basis of each rule) and one sheet per analysis, in the report's
order, with one row per finding: its stable ``finding_id``, rule, severity, the
entity to fix, money at stake, the evidence in one line, the legal basis, and
empty columns for the owner, the action, the due date and a status picked from a
list. Rows are sorted by severity, then money at stake.

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
from workbench.labels import ANALYSIS_TITLES, SEVERITIES, SEVERITY_LABELS
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
        "amount": "涉及金额（元）",
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
        "amount": "Money at stake (CNY)",
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


def worklist_rows(findings: pl.DataFrame, lang: str = "zh") -> pl.DataFrame:
    """The rows of a worklist sheet: findings sorted by severity then money, with the
    rule's title and legal basis and the evidence in one line.
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
            pl.col("amount_cny").fill_null(0.0).sum().alias("amount"),
        ).iter_rows(named=True)
    }
    return pl.DataFrame(
        {
            t["analysis"]: [ANALYSIS_TITLES[lang][r.analysis] for r in rules],
            t["rule"]: [r.code for r in rules],
            t["rule_title"]: [titles[r.code] for r in rules],
            t["findings"]: [int(counts.get(r.code, {}).get("n", 0)) for r in rules],
            high: [int(counts.get(r.code, {}).get("high", 0)) for r in rules],
            t["amount"]: [round(float(counts.get(r.code, {}).get("amount", 0.0)), 2)
                          for r in rules],
            t["legal_basis"]: [r.legal_basis for r in rules],
        },
        schema={t["analysis"]: pl.String, t["rule"]: pl.String, t["rule_title"]: pl.String,
                t["findings"]: pl.Int64, high: pl.Int64, t["amount"]: pl.Float64,
                t["legal_basis"]: pl.String},
    )


def write_workbook(
    path: str | Path,
    findings: pl.DataFrame,
    *,
    title: str,
    period: Period,
    analyses: Sequence[str] = ANALYSES,
    lang: str = "zh",
) -> Path:
    """One worklist workbook: an overview sheet and one sheet per analysis."""
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
                ov.write(i, j, value, fmt)
        last = 5 + summary.height
        ov.write(last, 0, t["total"], bold)
        ov.write(last, summary.columns.index(t["findings"]), int(findings.height), bold)
        ov.write(last, summary.columns.index(SEVERITY_LABELS[lang]["high"]),
                 int((findings["severity"] == "high").sum()), bold)
        ov.write(last, summary.columns.index(t["amount"]),
                 round(float(findings["amount_cny"].fill_null(0.0).sum()), 2), money)
        for j, width in enumerate((14, 28, 30, 9, 7, 16, 70)):
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
            for j, width in enumerate((18, 22, 24, 8, 11, 20, 14, 70, 40, 12, 30, 12, 10)):
                ws.set_column(j, j, width)
            ws.freeze_panes(1, 1)
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
) -> list[Path]:
    """``folder/<subsidiary_id>.xlsx`` for every subsidiary and ``folder/group.xlsx``
    for findings without a subsidiary. ``subsidiaries`` needs ``subsidiary_id`` and
    ``name`` (an organisation's name, shown in the title). Returns the paths written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    t = TEXT[lang]
    names = dict(subsidiaries.select("subsidiary_id", "name").iter_rows())
    unknown = sorted(set(findings["subsidiary_id"].drop_nulls().unique().to_list()) - set(names))
    written: list[Path] = []
    for sub in sorted(set(names) | set(unknown)):
        part = findings.filter(pl.col("subsidiary_id") == sub)
        title = f"{t['subsidiary']} {sub} {names.get(sub, '')}".strip()
        written.append(write_workbook(folder / f"{sub}.xlsx", part, title=title, period=period,
                                      analyses=analyses, lang=lang))
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
    "WORKLISTS_DIR",
    "evidence_line",
    "read_sheet",
    "worklist_rows",
    "write_workbook",
    "write_worklists",
]
