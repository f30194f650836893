"""Executed notebook → report HTML with no code that opens offline.

nbconvert's ``lab`` template is used with a small override
(:data:`OFFLINE_TEMPLATE`) that drops everything it would fetch from a CDN —
require.js, MathJax, mermaid.js and the jupyter-widgets manager — and adds a
``zh`` language tag plus a CJK-capable font stack. CSS is inlined by the lab
template itself. Charts come with their own plotly.js, embedded once per
notebook by :func:`workbench.notebook.show`. After export,
:func:`external_references` double-checks that no script or stylesheet still
points at the network; :func:`notebook_to_html` refuses to return such HTML.
"""

from __future__ import annotations

import html as _html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
import polars as pl

from workbench.contract import rules_for
from workbench.labels import (
    ANALYSIS_TITLES,
    MONEY_KIND_LABELS,
    MONEY_TERMS,
    SEVERITIES,
    SEVERITY_LABELS,
    legal_basis_text,
)
from workbench.money import money_text, money_totals, rule_money
from workbench.notebook import CJK_FONT_STACK
from workbench.report.headlines import analysis_kinds

_TEMPLATE_KEY = "workbench_offline.html.j2"

OFFLINE_TEMPLATE = (
    """\
{%- extends 'index.html.j2' -%}
{#- workbench: an offline report. Nothing here may load from the network. -#}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">
:root {
  --jp-ui-font-family: FONTS;
  --jp-content-font-family: FONTS;
}
body { font-family: FONTS; max-width: 1200px; margin: 0 auto; }
.jp-Cell.jp-mod-noOutputs.jp-mod-noInput { display: none; }
.wb-summary { background: #f1f5fb; border-left: 4px solid #1f3a5f; padding: 12px 16px;
              margin: 16px 0; line-height: 1.6; }
.wb-rules { border-collapse: collapse; width: 100%; font-size: .9em; }
.wb-rules th, .wb-rules td { border-bottom: 1px solid #ddd; padding: 5px 8px; text-align: left;
                             vertical-align: top; }
.wb-rules td.n { text-align: right; white-space: nowrap; }
/* the rules and parameters tables scroll inside their section; long codes break */
.wb-rules-section { overflow-x: auto; }
.wb-rules td code { overflow-wrap: anywhere; }
/* wide tables scroll inside their own box, never the page */
.wb-table-wrap { overflow-x: auto; max-width: 100%; }
/* beats the lab template's right-aligned cells; numbers align right inline */
.jp-RenderedHTMLCommon table.wb-table th, .jp-RenderedHTMLCommon table.wb-table td,
table.wb-table th, table.wb-table td { text-align: left; }
.wb-table td { min-width: 4em; max-width: 26em; }
/* a table keeps its natural width (long text wraps at 26em) and scrolls in its box */
.wb-table-wrap > table.wb-table { width: max-content; max-width: none; }
.wb-conclusion { background: #fff8e6; border-left: 4px solid #c98a00; padding: 8px 14px;
                 margin: 12px 0; line-height: 1.6; }
.wb-details { margin: 8px 0; }
.wb-details > summary { cursor: pointer; color: #1f3a5f; }
.wb-toc { background: #fafafa; border: 1px solid #e3e3e3; padding: 8px 16px; margin: 12px 0; }
.wb-toc ol { margin: 4px 0; padding-left: 22px; }
.wb-downloads { margin: 8px 0; }
/* printed notes wrap instead of widening the page (390 px phones) */
.jp-OutputArea-output pre { white-space: pre-wrap; overflow-wrap: anywhere; }
</style>
{%- endblock extra_css -%}
"""
).replace("FONTS", CJK_FONT_STACK)

# A <script src=…>, <link href=…>, CSS @import or ES-module import that reaches
# the network (http:, https: or protocol-relative //).
_EXTERNAL = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?((?:https?:)?//[^"'\s>]+)"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?((?:https?:)?//[^"'\s>]+)"""
    r"""|@import\s+(?:url\()?\s*["']?((?:https?:)?//[^"'\s)]+)"""
    r"""|\bimport\s*\(?\s*["']((?:https?:)?//[^"']+)["']""",
    re.IGNORECASE,
)


class RenderError(Exception):
    """An executed notebook could not be turned into an offline report."""


def external_references(html: str) -> list[str]:
    """URLs of scripts, stylesheets and imports in ``html`` that need the network.

    >>> external_references('<script src="https://cdn.plot.ly/plotly.js"></script>')
    ['https://cdn.plot.ly/plotly.js']
    >>> external_references('<a href="https://samr.gov.cn">SAMR</a><script>var x=1</script>')
    []
    """
    return [next(g for g in m.groups() if g) for m in _EXTERNAL.finditer(html)]


def _exporter():  # type: ignore[no-untyped-def]
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({_TEMPLATE_KEY: OFFLINE_TEMPLATE})],
        template_file=_TEMPLATE_KEY,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code="zh",
        embed_images=True,
    )


def _by_rule(findings: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Per rule: ``n``, findings per severity and the rule's own money
    (:func:`workbench.money.rule_money`: ``amount_cny``, ``amount_kind``, ``in_total``).
    """
    if not findings.height:
        return {}
    money = {r["rule"]: r for r in rule_money(findings).iter_rows(named=True)}
    out: dict[str, dict[str, Any]] = {}
    for r in (
        findings.group_by("rule")
        .agg(pl.len().alias("n"), *[(pl.col("severity") == s).sum().alias(s) for s in SEVERITIES])
        .iter_rows(named=True)
    ):
        m = money[r["rule"]]
        out[r["rule"]] = {**r, **{k: m[k] for k in ("amount_cny", "amount_kind", "in_total")}}
    return out


def _money_phrase(findings: pl.DataFrame, analysis: str, lang: str) -> str:
    """The analysis's money per kind (each kind on its own, never added), or "";
    saying so when a thing found by several rules makes the rules' amounts add up to
    more than the total.
    """
    kinds = analysis_kinds(analysis)
    if not kinds:
        return ""
    totals = money_totals(findings)
    labels, terms = MONEY_KIND_LABELS[lang], MONEY_TERMS[lang]
    sep = "、" if lang == "zh" else ", "
    amounts = sep.join(f"{labels[k]} <b>¥{totals[k]:,.2f}</b>" for k in kinds)
    notes = [terms["per_kind"]] if len(kinds) > 1 else []
    if findings.height:
        per_rule = rule_money(findings).filter(pl.col("in_total"))
        for kind in kinds:
            summed = per_rule.filter(pl.col("amount_kind") == kind)["amount_cny"].sum() or 0.0
            if round(summed, 2) > totals[kind]:
                notes.append(terms["counted_once"])
                break
    if not notes:
        return amounts
    return (f"{amounts}（{'；'.join(notes)}）" if lang == "zh"
            else f"{amounts} ({'; '.join(notes)})")


def _rule_parts(by_rule: dict[str, dict[str, Any]], titles: dict[str, str],
                lang: str) -> str:
    e = _html.escape
    rules = sorted(by_rule.values(), key=lambda r: (-r["n"], r["rule"]))
    parts = []
    for r in rules:
        code = str(r["rule"])
        money = ("" if r["amount_cny"] is None else
                 ("，" if lang == "zh" else ", ")
                 + e(money_text(r["amount_cny"], r["amount_kind"], in_total=r["in_total"],
                                lang=lang)))
        count = f"{r['n']:,} 项" if lang == "zh" else f"{r['n']:,}"
        open_, close = ("（", "）") if lang == "zh" else (" (", ")")
        parts.append(f"{e(titles.get(code, code))}{open_}<code>{e(code)}</code>{close}"
                     f"{'' if lang == 'zh' else ' '}{count}{money}")
    return ("；" if lang == "zh" else "; ").join(parts)


#: analysis → (its metric counting what it judged, why there is nothing, zh / en): a
#: period with none of it is said plainly, never "no problems found".
NOTHING_TO_JUDGE: dict[str, tuple[str, str, str]] = {
    "tiering": ("customers_in_scope", "本期没有需评估的客户", "there are no customers to judge"),
    "pricing": ("orders_in_period", "本期没有订单", "there are no orders in the period"),
    "sla": ("complaints_received", "本期没有收到投诉", "no complaints were received in the period"),
    "credit": ("enterprises_graded", "本期没有需评级的企业客户",
               "there are no enterprise customers to grade"),
}


def summary_html(findings: pl.DataFrame, analysis: str, period: str, *, lang: str = "zh",
                 metrics: Mapping[str, Any] | None = None) -> str:
    """One paragraph: how many findings by severity and rule, and the money per kind
    (never added across kinds; a breakdown rule's money marked as such). With the
    analysis's ``metrics``, a period in which it had nothing to judge says so instead.
    """
    e = _html.escape
    name = ANALYSIS_TITLES[lang].get(analysis, analysis)
    sev = SEVERITY_LABELS[lang]
    counts = {s: findings.filter(pl.col("severity") == s).height for s in SEVERITIES}
    titles = {r.code: (r.title_zh if lang == "zh" else r.title_en) for r in rules_for(analysis)}
    parts = _rule_parts(_by_rule(findings), titles, lang)
    money = _money_phrase(findings, analysis, lang)
    key, why_zh, why_en = NOTHING_TO_JUDGE.get(analysis, ("", "", ""))
    empty = bool(key) and metrics is not None and metrics.get(key) == 0
    if metrics is not None and metrics.get("evaluated") is False:
        note = metrics.get("note") or {}
        why = note.get(lang) if isinstance(note, dict) else None
        if why:  # the note may say "not evaluated" itself, and end its sentence
            why = re.sub(r"^(未评估[：:]\s*|Not evaluated:\s*)", "", str(why)).rstrip("。.")
        text = (f"本期（{e(period)}）<b>未评估</b>{e(name)}：{e(why or '数据源没有所需的数据表')}。"
                "这不是“未发现问题”的结论。" if lang == "zh" else
                f"{e(name)}, {e(period)}: <b>not evaluated</b>: "
                f"{e(why or 'the source lacks the tables it needs')}. This is not a clean result.")
        empty = True
    elif empty:
        text = (f"本期（{e(period)}）{e(name)}分析<b>无可评估的内容</b>：{why_zh}，"
                "因此这不是“未发现问题”的结论。" if lang == "zh" else
                f"{e(name)}, {e(period)}: <b>nothing could be judged</b>: {why_en}; this is "
                "not a clean result.")
    elif lang == "zh":
        if not findings.height:
            text = f"本期（{e(period)}）{e(name)}分析未发现问题。"
        else:
            text = (f"本期（{e(period)}）{e(name)}分析共发现 <b>{findings.height:,}</b> 项问题"
                    f"（{'、'.join(f'{sev[s]} {counts[s]:,}' for s in SEVERITIES)}）"
                    + (f"，{money}" if money else "") + f"。按规则：{parts}。"
                    "详见下文及文末规则与法律依据表。")
    else:
        if not findings.height:
            text = f"{e(name)}, {e(period)}: nothing to report."
        else:
            text = (f"{e(name)}, {e(period)}: <b>{findings.height:,}</b> findings "
                    f"({', '.join(f'{sev[s]} {counts[s]:,}' for s in SEVERITIES)})"
                    + (f"; {money}" if money else "") + f". By rule: {parts}. The rules and "
                    "their legal basis are listed at the end.")
    unjudged = [] if empty else [e(str(n["en" if lang == "en" else "zh"]))
                                 for n in (metrics or {}).get("not_judged") or []]
    if unjudged:
        text += ("无法评估：" + "；".join(unjudged) + "。") if lang == "zh" else \
                (" Not judged: " + "; ".join(unjudged) + ".")
    heading = "摘要" if lang == "zh" else "Summary"
    return f'<section class="wb-summary" id="wb-summary"><b>{heading}</b> · {text}</section>'


def rules_table_html(findings: pl.DataFrame, analysis: str, *, lang: str = "zh") -> str:
    """Every rule of ``analysis`` with its legal basis and this period's counts, worst
    first (most high-severity findings, then medium, low, money); rules with nothing
    found last.
    """
    e = _html.escape
    by_rule = _by_rule(findings)
    zh = lang == "zh"
    head = ("规则", "内容", "法律依据", "发现", "高/中/低", "金额（类别）") if zh else (
        "Rule", "What", "Legal basis", "Findings", "High/medium/low", "Money (kind)")
    rows = []
    empty = {"n": 0, "high": 0, "medium": 0, "low": 0}

    def worst_first(rule: Any) -> tuple[Any, ...]:
        r = by_rule.get(rule.code) or empty
        return (*(-r[s] for s in SEVERITIES), -(r.get("amount_cny") or 0.0), rule.code)

    for rule in sorted(rules_for(analysis), key=worst_first):
        r: dict[str, Any] = by_rule.get(rule.code) or {**empty,
                                       "amount_cny": 0.0 if rule.amount_kind else None}
        money = money_text(r["amount_cny"], rule.amount_kind, in_total=rule.in_total,
                           lang=lang)
        rows.append(
            f"<tr><td><code>{e(rule.code)}</code></td>"
            f"<td>{e(rule.title_zh if zh else rule.title_en)}</td>"
            f"<td>{e(legal_basis_text(rule.legal_basis, lang))}</td>"
            f"<td class='n'>{r['n']:,}</td>"
            f"<td class='n'>{r['high']:,}/{r['medium']:,}/{r['low']:,}</td>"
            f"<td class='n'>{e(money)}</td></tr>"
        )
    title = "规则与法律依据" if zh else "Rules and their legal basis"
    cells = "".join(f"<th>{h}</th>" for h in head)
    return (f'<section class="wb-rules-section" id="wb-rules"><h2>{title}</h2>'
            f'<table class="wb-rules"><tr>{cells}</tr>{"".join(rows)}</table></section>')


def parameters_html(parameters: Mapping[str, Any], analysis: str, *, lang: str = "zh") -> str:
    """The parameters this run actually used (``workbench report --params`` or the
    declared defaults), each with its meaning and whether it differs from the default:
    a threshold tuned for a scheduled run is visible in the report it produced.
    """
    from workbench.report.parameters import declared_parameters

    e = _html.escape
    zh = lang == "zh"
    declared = declared_parameters(analysis)
    rows = []
    def shown(v: Any) -> str:  # JSON, as a parameters file writes it (tuples = lists)
        return json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)

    for name, value in parameters.items():
        param = declared[name] if name in declared else None
        changed = param is not None and shown(value) != shown(param.default)
        mark = ("（非默认）" if zh else " (not the default)") if changed else ""
        rows.append(f"<tr><td><code>{e(name)}</code></td><td>{e(shown(value))}{mark}</td>"
                    f"<td>{e(_param_doc(param, zh))}</td></tr>")
    title = "本次运行参数（实际生效）" if zh else "Parameters in force in this run"
    head = ("参数", "取值", "含义") if zh else ("Parameter", "Value", "Meaning")
    cells = "".join(f"<th>{h}</th>" for h in head)
    return (f'<section class="wb-rules-section" id="wb-parameters"><h2>{title}</h2>'
            f'<table class="wb-rules"><tr>{cells}</tr>{"".join(rows)}</table></section>')


def _param_doc(param: Any, zh: bool) -> str:
    """A parameter's meaning in the report's language (English when no Chinese)."""
    if param is None:
        return ""
    return (getattr(param, "doc_zh", "") or param.doc) if zh else param.doc


#: Cells shown only when the analysis could evaluate anything (``metrics.evaluated``).
EVALUATED_TAG = "if-evaluated"
#: Cells tagged ``lang-<code>`` are shown only in a report of that language.
LANG_TAG = "lang-"


def select_language(nb: nbformat.NotebookNode, lang: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` without the cells tagged for another language."""
    out = nbformat.from_dict(nb)
    keep = []
    for cell in out.cells:
        tags = [t for t in cell.get("metadata", {}).get("tags", []) if t.startswith(LANG_TAG)]
        if not tags or f"{LANG_TAG}{lang}" in tags:
            keep.append(cell)
    out.cells = keep
    return out


_H2 = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', re.S)


def contents_html(html: str, lang: str, *, extra: tuple[tuple[str, str], ...] = ()) -> str:
    """A table of contents of the report's sections (its ``<h2>`` headings) with the
    downloads a reader needs next: every finding (``findings.csv``) and the
    worklists of the subsidiaries.
    """
    e = _html.escape
    items = []
    for anchor, inner in [*_H2.findall(html), *extra]:
        text = re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip()
        if text:
            items.append(f'<li><a href="#{e(anchor, quote=True)}">{e(text)}</a></li>')
    zh = lang == "zh"
    head = "目录" if zh else "Contents"
    downloads = (
        '下载：<a href="findings.csv">全部发现（findings.csv，可用 Excel 打开）</a> · '
        '<a href="worklists/">各子公司整改清单（worklists 文件夹）</a>' if zh else
        'Downloads: <a href="findings.csv">every finding (findings.csv, opens in Excel)</a> · '
        '<a href="worklists/">each subsidiary\'s worklist (worklists folder)</a>')
    return (f'<nav class="wb-toc" id="wb-toc"><b>{head}</b><ol>{"".join(items)}</ol>'
            f'<p class="wb-downloads">{downloads}</p></nav>')


def _insert(html: str, top: str, bottom: str) -> str:
    """``top`` after the report's title (its first ``<h1>``), ``bottom`` at the end."""
    m = re.search(r"</h1>", html) or re.search(r"<main[^>]*>", html) or re.search(
        r"<body[^>]*>", html)
    if m is None:
        raise RenderError("the exported HTML has no <body>")
    html = html[: m.end()] + "\n" + top + html[m.end():]
    close = html.rfind("</main>") if "</main>" in html else html.rfind("</body>")
    return html[:close] + bottom + "\n" + html[close:]


def notebook_to_html(
    nb: nbformat.NotebookNode | str | Path,
    *,
    title: str | None = None,
    findings: pl.DataFrame | None = None,
    analysis: str | None = None,
    period: str = "",
    lang: str = "zh",
    metrics: Mapping[str, Any] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> str:
    """Export an executed notebook (node or path) to offline HTML without code.

    With ``findings`` and ``analysis``, the report opens with :func:`summary_html`
    and ends with :func:`rules_table_html`. Raises :class:`RenderError` if the
    result would still load anything from the network.
    """
    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.read(str(nb), as_version=4)
    nb = select_language(nb, lang)
    if metrics is not None and metrics.get("evaluated") is False:
        # nothing was evaluated: the sections that would judge the data are left out
        nb.cells = [c for c in nb.cells
                    if EVALUATED_TAG not in c.get("metadata", {}).get("tags", [])]
    if title:
        nb.metadata["title"] = title
    html, _ = _exporter().from_notebook_node(nb)
    if lang != "zh":
        html = html.replace('<html lang="zh"', f'<html lang="{lang}"', 1)
    if findings is not None and analysis:
        mine = findings.filter(pl.col("analysis") == analysis)
        bottom = rules_table_html(mine, analysis, lang=lang)
        extra = [("wb-rules", "规则与法律依据" if lang == "zh" else "Rules and their legal basis")]
        if parameters:
            bottom += parameters_html(parameters, analysis, lang=lang)
            extra.append(("wb-parameters", "本次运行参数" if lang == "zh" else "Parameters"))
        top = (summary_html(mine, analysis, period, lang=lang, metrics=metrics)
               + contents_html(html, lang, extra=tuple(extra)))
        html = _insert(html, top, bottom)
    refs = external_references(html)
    if refs:
        raise RenderError(f"the HTML would load from the network: {sorted(set(refs))[:5]}")
    return html


def render_notebook(
    notebook: str | Path,
    html_path: str | Path,
    *,
    title: str | None = None,
    findings: pl.DataFrame | None = None,
    analysis: str | None = None,
    period: str = "",
    lang: str = "zh",
    metrics: Mapping[str, Any] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``notebook`` (executed) as offline HTML to ``html_path`` (UTF-8)."""
    html_path = Path(html_path)
    html_path.write_text(
        notebook_to_html(notebook, title=title, findings=findings, analysis=analysis,
                         period=period, lang=lang, metrics=metrics, parameters=parameters),
        encoding="utf-8",
    )
    return html_path
