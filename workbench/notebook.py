"""Helpers the analysis notebooks import: display set-up, figures, tables, data quality.

A notebook calls :func:`setup` once, then :func:`show` for each plotly figure and
:func:`table` for each frame. Figures are displayed as one bundle that works in
both places a report is read:

* ``application/vnd.plotly.v1+json`` — JupyterLab renders it with its plotly
  extension (interactive, no HTML needed);
* ``text/html`` — what nbconvert picks for the exported report (its display
  priority ignores the plotly mimetype). The first figure after :func:`setup`
  carries plotly.js inline (``include_plotlyjs=True``); later figures use the
  global ``Plotly`` it defines. No CDN, no require.js, no MathJax: the exported
  HTML opens offline. :mod:`workbench.report.render` keeps the nbconvert template
  from adding CDN scripts of its own.

``fig.show()`` goes through the same path: :func:`setup` registers the bundle as
the plotly renderer ``"workbench"`` and makes it the default.

:func:`data_quality` is plain library code (unit-tested), not display code.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.io.base_renderers import MimetypeRenderer

from workbench import i18n
from workbench.contract import TABLES
from workbench.labels import SEVERITIES
from workbench.periods import Period, parse_period

#: Font stack that renders Simplified Chinese on Windows, macOS and Linux.
CJK_FONT_STACK = (
    '"Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", '
    "Helvetica, Arial, sans-serif"
)
RENDERER = "workbench"
PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"

#: The column that dates a table's rows ("rows in period"); tables not listed
#: (subsidiaries, tier_benefits) are undated.
DATE_COLUMNS: dict[str, str] = {
    "customers": "signup_date",
    "tier_policy": "published_at",
    "tier_assignments": "assigned_at",
    "benefit_grants": "granted_at",
    "orders": "ordered_at",
    "promotions": "starts_at",
    "complaints": "received_at",
    "complaint_events": "at",
    "registry_snapshots": "snapshot_date",
    "registry_events": "event_date",
    "receivables": "issued_at",
    "marketing_messages": "sent_at",
    "consents": "granted_at",
    "privacy_requests": "received_at",
}

_state: dict[str, Any] = {"plotlyjs_sent": False}


# ----------------------------------------------------------------------- display
def setup(period_label: str, lang: str = "zh") -> None:
    """Prepare a notebook kernel for a report of ``period_label`` in ``lang``.

    Sets the language of every figure, table and text that follows
    (:mod:`workbench.i18n`). Registers and selects the ``"workbench"`` plotly
    renderer (offline HTML + JupyterLab), a plotly template with a CJK-capable
    font, and polars display settings. Resets the "plotly.js already embedded"
    flag, so that re-running a notebook from the top embeds plotly.js again in its
    first figure.
    """
    parse_period(period_label)  # a bad label fails here, before any figure
    i18n.set_lang(lang)
    _state["plotlyjs_sent"] = False
    pio.renderers[RENDERER] = _WorkbenchRenderer()
    pio.renderers.default = RENDERER
    pio.templates["workbench"] = go.layout.Template(
        layout={"font": {"family": CJK_FONT_STACK}, "margin": {"t": 60}}
    )
    pio.templates.default = "plotly_white+workbench"
    pl.Config.set_tbl_rows(20)
    pl.Config.set_tbl_cols(-1)
    pl.Config.set_fmt_str_lengths(80)
    pl.Config.set_tbl_hide_column_data_types(True)


def figure_bundle(fig: Any, *, include_plotlyjs: bool) -> dict[str, Any]:
    """The display bundle for a plotly figure (or figure dict).

    ``include_plotlyjs=True`` inlines the plotly.js bundle in the HTML part; only
    the first figure of a notebook needs it.
    """
    fig_json = pio.to_json(fig, validate=False, remove_uids=False)
    fig_dict = json.loads(fig_json)
    fig_dict.setdefault("config", {}).update({"displaylogo": False, "responsive": True})
    html = pio.to_html(
        fig,
        config={"displaylogo": False, "responsive": True},
        include_plotlyjs=include_plotlyjs,
        include_mathjax=False,
        full_html=False,
        default_width="100%",
        default_height=480,
        validate=False,
    )
    title = (fig_dict.get("layout", {}).get("title") or {}).get("text") or "figure"
    return {
        PLOTLY_MIMETYPE: fig_dict,
        "text/html": html,
        "text/plain": f"<plotly figure: {title}>",
    }


def _next_bundle(fig: Any) -> dict[str, Any]:
    first = not _state["plotlyjs_sent"]
    bundle = figure_bundle(fig, include_plotlyjs=first)
    _state["plotlyjs_sent"] = True
    return bundle


def show(fig: Any) -> None:
    """Display a plotly figure for JupyterLab and for the offline HTML report."""
    from IPython.display import display

    display(_next_bundle(fig), raw=True)


class _WorkbenchRenderer(MimetypeRenderer):
    """plotly renderer so that ``fig.show()`` behaves like :func:`show`."""

    def to_mimebundle(self, fig_dict: dict[str, Any]) -> dict[str, Any]:
        return _next_bundle(fig_dict)


_PERCENT_SUFFIXES = ("_rate", "_share", "share", "rate", "_rate_group", "_rate_rest")


def _is_pd(column: str) -> bool:
    """A probability-of-default column (``pd``, ``mean_pd``, ``pd_low`` …)."""
    return column == "pd" or column.endswith("_pd") or column.startswith("pd_")


def _cell(value: Any, column: str = "") -> str:
    """A cell as a reader wants it: money with ¥ and thousands separators, shares as
    percentages, counts with separators, other numbers to 4 significant digits (no
    float noise), booleans and nulls in words or empty.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return i18n.tr("是", "yes") if value else i18n.tr("否", "no")
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if column.endswith("_cny"):
            return f"¥{value:,.2f}"
        if (column.endswith(_PERCENT_SUFFIXES) or _is_pd(column)) and -1.0 <= value <= 1.0:
            return f"{value * 100:.1f}%"
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return "、".join(_cell(v) for v in value) if i18n.is_zh() else ", ".join(
            _cell(v) for v in value)
    return str(value)


def _td(value: object, numeric: bool, max_chars: int, column: str = "") -> str:
    text = _cell(value, column)
    style = ' style="text-align:right"' if numeric else ""
    if len(text) <= 12:  # a short value on one line: the table scrolls, words don't break
        style = (' style="text-align:right;white-space:nowrap"' if numeric
                 else ' style="white-space:nowrap"')
    if len(text) <= max_chars:
        return f"<td{style}>{html.escape(text)}</td>"
    # Long text stays readable: the start is shown, the whole is a tooltip.
    short = text[: max_chars - 1] + "…"
    return f'<td{style} title="{html.escape(text)}">{html.escape(short)}</td>'


def frame_html(df: pl.DataFrame, max_chars: int = 160) -> str:
    """A plain HTML table of ``df``: no quotes around strings, nulls empty, numbers
    right-aligned and formatted by :func:`_cell` (polars' own HTML repr quotes
    strings and prints ``null``); text longer than ``max_chars`` is cut, with the
    whole text as the cell's tooltip. Headers are as given (see :func:`readable`).

    >>> row = frame_html(pl.DataFrame({"名称": ["客户"], "n": [1200], "p": [None]}))
    >>> row.split("<tbody>")[1].split("</tr>")[0].replace("white-space:nowrap", "")
    '<tr><td style="">客户</td><td style="text-align:right;">1,200</td><td style=""></td>'
    """
    numeric = [dtype.is_numeric() for dtype in df.dtypes]
    cols = df.columns
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    rows = [
        "<tr>"
        + "".join(_td(v, num, max_chars, c)
                  for v, num, c in zip(row, numeric, cols, strict=True))
        + "</tr>"
        for row in df.iter_rows()
    ]
    body = "".join(rows)
    return (f'<div class="wb-table-wrap"><table class="wb-table"><thead><tr>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table></div>")


def readable(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` for a reader: coded values in words (:func:`workbench.i18n.value`) and
    numbers formatted by column (money ``*_cny`` with ¥, shares as %), then headers
    in the current language. Columns keep their order.
    """
    coded = i18n.translated_columns()
    out = df
    for c in df.columns:
        if c in coded and df[c].dtype in (pl.String, pl.Boolean, pl.Categorical, pl.Enum):
            out = out.with_columns(
                pl.col(c).map_elements(lambda v, c=c: i18n.value(c, v),
                                       return_dtype=pl.String).alias(c)
            )
    numeric = [c for c in out.columns if out[c].dtype.is_numeric() and c not in coded]
    out = out.with_columns(
        pl.Series(c, [_cell(v, c) for v in out[c].to_list()], pl.String) for c in numeric
    )
    names = [i18n.header(c) for c in out.columns]
    seen: dict[str, int] = {}
    unique = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        unique.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out.rename(dict(zip(out.columns, unique, strict=True)))


def _rows_note(height: int, n: int) -> str:
    if height == 0:
        return i18n.tr("没有行", "no rows")
    if height <= n:
        return i18n.tr(f"共 {height:,} 行", f"{height:,} rows")
    return i18n.tr(f"前 {n} 行，共 {height:,} 行", f"first {n} of {height:,} rows")


def table(df: pl.DataFrame | pl.LazyFrame, n: int = 20, max_chars: int = 160,
          *, raw: bool = False) -> None:
    """Display the first ``n`` rows of a polars frame (with the total row count),
    headers and coded values in the report's language (``raw=True``: as they are).
    """
    from IPython.display import display

    frame = df.collect() if isinstance(df, pl.LazyFrame) else df
    shown = frame.head(n)
    note = _rows_note(frame.height, n)
    html_table = frame_html(shown if raw else readable(shown), max_chars)
    display(
        {
            "text/html": f'{html_table}<p style="color:#666"><em>{note}</em></p>',
            "text/plain": f"{shown}\n{note}",
        },
        raw=True,
    )


def _severity_rank() -> pl.Expr:
    return pl.col("severity").replace_strict(
        {s: i for i, s in enumerate(SEVERITIES)}, default=len(SEVERITIES), return_dtype=pl.Int64
    )


def findings_view(findings: pl.DataFrame) -> pl.DataFrame:
    """Findings as a reader wants them: worst first (severity, then money), with a
    plain evidence sentence (:func:`workbench.evidence.evidence_sentence`) instead
    of the JSON detail.
    """
    from workbench.evidence import evidence_sentence

    lang = i18n.current_lang()
    ordered = findings.sort(
        [_severity_rank(), pl.col("amount_cny").fill_null(0.0), "rule", "entity_id"],
        descending=[False, True, False, False],
    )
    sentences = [
        evidence_sentence(r["rule"], r["entity_type"], r["entity_id"], r["detail"], lang,
                          amount_cny=r["amount_cny"], amount_kind=r["amount_kind"])
        for r in ordered.iter_rows(named=True)
    ]
    view = ordered.select(
        "severity", "rule", "entity_id", "subsidiary_id", "amount_cny", "amount_kind"
    ).with_columns(pl.Series("evidence", sentences, pl.String))
    # a column that says the same on every row (one rule, no money) says nothing
    same = [c for c in ("rule", "amount_kind")
            if view.height > 1 and view[c].n_unique() == 1]
    if view["amount_cny"].null_count() == view.height:
        same += ["amount_cny", "amount_kind"]
    return view.drop(list(dict.fromkeys(same)))


def findings_table(findings: pl.DataFrame, n: int = 20) -> None:
    """Display the worst ``n`` findings (:func:`findings_view`); the rest are in
    ``findings.csv`` and the worklists.
    """
    table(findings_view(findings), n=n, max_chars=400)


def details(summary: str, body: Any) -> None:
    """A collapsed block (``<details>``): the exact figures a statistician needs,
    out of the reader's way. ``body`` is a frame (shown as a table) or HTML text.
    """
    from IPython.display import display

    inner = frame_html(readable(body), 400) if isinstance(body, pl.DataFrame) else str(body)
    display({"text/html": f'<details class="wb-details"><summary>{html.escape(summary)}'
                          f"</summary>{inner}</details>",
             "text/plain": summary}, raw=True)


def conclusion(finding: str, action: str | None = None) -> None:
    """A section's conclusion in words (结论) and what to do next (整改建议)."""
    from IPython.display import display

    head, todo = i18n.tr("结论", "Conclusion"), i18n.tr("整改建议", "What to do")
    parts = [f"<p><strong>{head}：</strong>{html.escape(finding)}</p>" if i18n.is_zh()
             else f"<p><strong>{head}:</strong> {html.escape(finding)}</p>"]
    if action:
        parts.append(f"<p><strong>{todo}：</strong>{html.escape(action)}</p>" if i18n.is_zh()
                     else f"<p><strong>{todo}:</strong> {html.escape(action)}</p>")
    display({"text/html": f'<div class="wb-conclusion">{"".join(parts)}</div>',
             "text/plain": "\n".join([finding, action or ""])}, raw=True)


# ------------------------------------------------------------------ data quality
DATA_QUALITY_SCHEMA: dict[str, pl.DataType] = {
    "table": pl.String(),
    "rows": pl.Int64(),
    "date_column": pl.String(),
    "rows_in_period": pl.Int64(),
    "rows_after_period": pl.Int64(),
    "min_date": pl.Date(),
    "max_date": pl.Date(),
    "null_share": pl.String(),
    "max_null_share": pl.Float64(),
}


def _nullable_columns(name: str, schema: Mapping[str, pl.DataType]) -> list[str]:
    if name in TABLES:
        return [c.name for c in TABLES[name].columns if c.nullable and c.name in schema]
    return list(schema)


def data_quality(frames: Mapping[str, pl.LazyFrame], period: Period | str) -> pl.DataFrame:
    """One row per table: how much data there is and how complete it is.

    Columns: ``table``, ``rows``, ``date_column`` (see :data:`DATE_COLUMNS`),
    ``rows_in_period`` and ``rows_after_period`` (dated on or after the end of the
    period: present in the source, never used), ``min_date``/``max_date``,
    ``null_share`` (``"col 12.5%"`` for each nullable column, contract order) and
    ``max_null_share`` (0–1). Undated tables have nulls in the date columns.

    >>> import datetime as dt
    >>> frames = {"orders": pl.LazyFrame({"ordered_at": [dt.datetime(2026, 7, 2),
    ...     dt.datetime(2026, 10, 2)], "device_os": ["ios", None]})}
    >>> data_quality(frames, "2026-Q3").select("rows", "rows_in_period", "null_share").row(0)
    (2, 1, 'device_os 50.0%')
    """
    p = period if isinstance(period, Period) else parse_period(period)
    names = list(frames)
    queries: list[pl.LazyFrame] = []
    meta: list[tuple[str, str | None, list[str]]] = []
    for name in names:
        lf = frames[name]
        schema = lf.collect_schema()
        date_col = DATE_COLUMNS.get(name)
        if date_col not in schema:
            date_col = None
        nullable = _nullable_columns(name, schema)
        exprs: list[pl.Expr] = [pl.len().cast(pl.Int64).alias("rows")]
        if date_col is not None:
            col = pl.col(date_col)
            if schema[date_col] == pl.Date:
                start, end = p.start.date(), p.end.date()
            else:
                start, end = p.start, p.end  # type: ignore[assignment]
            exprs += [
                ((col >= start) & (col < end)).sum().cast(pl.Int64).alias("rows_in_period"),
                (col >= end).sum().cast(pl.Int64).alias("rows_after_period"),
                col.min().cast(pl.Date).alias("min_date"),
                col.max().cast(pl.Date).alias("max_date"),
            ]
        exprs += [pl.col(c).null_count().cast(pl.Int64).alias(f"_null_{c}") for c in nullable]
        queries.append(lf.select(exprs))
        meta.append((name, date_col, nullable))

    rows: list[dict[str, Any]] = []
    for (name, date_col, nullable), result in zip(meta, pl.collect_all(queries), strict=True):
        r = result.row(0, named=True)
        n = r["rows"]
        shares = {c: (r[f"_null_{c}"] / n if n else 0.0) for c in nullable}
        rows.append(
            {
                "table": name,
                "rows": n,
                "date_column": date_col,
                "rows_in_period": r.get("rows_in_period"),
                "rows_after_period": r.get("rows_after_period"),
                "min_date": r.get("min_date"),
                "max_date": r.get("max_date"),
                "null_share": ", ".join(f"{c} {s:.1%}" for c, s in shares.items()),
                "max_null_share": max(shares.values(), default=0.0),
            }
        )
    return pl.DataFrame(rows, schema=DATA_QUALITY_SCHEMA)
