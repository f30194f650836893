"""Pieces every worklist sheet shares (split out of :mod:`workbench.report.worklists`):
reading a finding's evidence, the suggested due date, the cell formats and writing a
table of rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import polars as pl

from workbench.severity import Policy, remediation_due

__all__ = ["CELL_CHARS", "formats", "parse_detail", "suggested_due", "write_table"]

#: Excel's limit of characters in one cell.
CELL_CHARS = 32_767


def parse_detail(detail: Any) -> Mapping[str, Any]:
    if isinstance(detail, Mapping):
        return detail
    try:
        parsed = json.loads(detail)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, Mapping) else {}


def suggested_due(rule: str, severity: str, detail: Mapping[str, Any], last_day: dt.date,
                  policy: Policy | None = None) -> dt.date | None:
    """The severity's ``remediation_days`` after ``last_day``; an open complaint
    predicted to breach (``breach_risk``) no later than its own deadline.
    """
    due = remediation_due(severity, last_day, policy=policy)
    if due is not None and rule == "breach_risk" and detail.get("deadline"):
        due = min(due, dt.date.fromisoformat(str(detail["deadline"])[:10]))
    return due


def formats(wb: Any) -> dict[str, Any]:
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


def write_table(ws: Any, top: int, df: pl.DataFrame, fmt: Mapping[str, Any],
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
