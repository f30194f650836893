"""The executive dashboard ``reports/<period>/dashboard.html``.

One self-contained file (plotly.js inline once, no network) in Simplified
Chinese, or English with ``lang="en"``. Every number comes from the report's
``metrics.json`` (:mod:`workbench.report.headlines`) and, for trends, from the
``metrics.json`` of earlier reports in the same folder — nothing is recomputed.

First screen: one panel per analysis with its headline(s), each showing the
value, its change against the previous period and a traffic light against
:data:`THRESHOLDS_FILE` (data, not code). Below: trend charts over every period
found, a subsidiary league table (findings and money), findings by rule with the
legal basis, and links to each analysis report. Aggregates only: no customer ids.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import yaml
from plotly.subplots import make_subplots

from workbench.contract import ANALYSES, RULES
from workbench.notebook import CJK_FONT_STACK
from workbench.periods import Period
from workbench.report.headlines import NO_SUBSIDIARY, headline_value

THRESHOLDS_FILE = Path(__file__).with_name("dashboard_thresholds.yaml")
LANGS = ("zh", "en")

ANALYSIS_TITLES: dict[str, tuple[str, str]] = {
    "tiering": ("会员分级", "Customer tiering"),
    "pricing": ("价格公平", "Price fairness"),
    "sla": ("投诉处理时效", "Complaint SLA"),
    "credit": ("客户信用", "Customer credit"),
}
SEVERITIES: tuple[tuple[str, str, str, str], ...] = (
    ("high", "高", "High", "#c0392b"),
    ("medium", "中", "Medium", "#e67e22"),
    ("low", "低", "Low", "#f1c40f"),
)


@dataclass(frozen=True)
class Headline:
    key: str  # "<analysis>.<metric>" in metrics.json
    zh: str
    en: str
    unit: str  # share | cny | count


HEADLINES: dict[str, tuple[Headline, ...]] = {
    "tiering": (
        Headline("tiering.correctly_tiered_share", "按公布标准正确定级的客户", "Customers tiered by the published criteria", "share"),
        Headline("tiering.hidden_benefit_cny", "未公布权益金额", "Hidden-benefit money", "cny"),
    ),
    "pricing": (
        Headline("pricing.price_disparity_groups", "存在显著溢价的客户群体", "Groups paying a significant premium", "count"),
        Headline("pricing.overcharge_cny", "无法解释的多收金额", "Unexplained overcharge", "cny"),
    ),
    "sla": (
        Headline("sla.adherence_ack", "按时首次响应", "Acknowledged in time", "share"),
        Headline("sla.adherence_acceptance", "按时作出受理决定", "Accepted/rejected in time", "share"),
        Headline("sla.adherence_resolution", "按时办结", "Resolved in time", "share"),
        Headline("sla.adherence_update", "按时告知进展", "Kept updated", "share"),
    ),
    "credit": (
        Headline("credit.receivables_aa_share", "AA级及以上客户的应收账款占比", "Receivables owed by AA-or-better customers", "share"),
        Headline("credit.registry_alerts", "登记信息预警", "Registry alerts", "count"),
    ),
}

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "合规证据仪表板", "period": "报告期", "to": "至", "report": "查看报告 →",
        "green": "达标", "amber": "关注", "red": "超限", "none": "无数据",
        "vs_prev": "较上期", "no_prev": "无上期数据", "flat": "持平", "pp": "个百分点",
        "findings": "发现", "money": "涉及金额", "trends": "历期趋势",
        "trends_note": "本文件夹中所有已发布报告期的 metrics.json。",
        "league": "子公司排行", "league_note": "按涉及金额、发现数排序（前 20 名）。",
        "rank": "排名", "subsidiary": "子公司", "high": "高严重度", "rules": "按规则",
        "rule": "规则", "basis": "法律依据", "analysis": "分析", "reports": "各分析报告",
        "none_found": "本期无发现", "footer": "仅含汇总数据，不含客户身份信息。数字取自本报告的 metrics.json；红黄绿阈值见 dashboard_thresholds.yaml。",
        "status_line": "{g} 项达标 · {a} 项需关注 · {r} 项超限",
        "money_unit": "元",
        "worklist": "下载", "worklist_head": "整改清单", "group_level": "集团层面（不属于单一子公司）", "group_worklist": "集团层面整改清单（Excel）",
    },
    "en": {
        "title": "Compliance evidence dashboard", "period": "Period", "to": "to", "report": "Open report →",
        "green": "on target", "amber": "watch", "red": "off target", "none": "no data",
        "vs_prev": "vs previous period", "no_prev": "no previous period", "flat": "unchanged", "pp": "pp",
        "findings": "findings", "money": "money at stake", "trends": "Trends",
        "trends_note": "From the metrics.json of every published period in this folder.",
        "league": "Subsidiary league table", "league_note": "By money at stake, then findings (top 20).",
        "rank": "Rank", "subsidiary": "Subsidiary", "high": "High severity", "rules": "By rule",
        "rule": "Rule", "basis": "Legal basis", "analysis": "Analysis", "reports": "Analysis reports",
        "none_found": "No findings this period", "footer": "Aggregates only, no customer identifiers. Numbers come from this report's metrics.json; traffic-light thresholds from dashboard_thresholds.yaml.",
        "status_line": "{g} on target · {a} to watch · {r} off target",
        "money_unit": "CNY",
        "worklist": "download", "worklist_head": "Worklist", "group_level": "Group level (no single subsidiary)", "group_worklist": "Group-level worklist (Excel)",
    },
}
LIGHT_COLORS = {"green": "#1e8e3e", "amber": "#f29900", "red": "#d93025", "none": "#9aa0a6"}

_CSS = """
* { box-sizing: border-box; }
body { font-family: FONTS; margin: 0; color: #202124; background: #f6f7f9; }
header { background: #1f3a5f; color: #fff; padding: 14px 28px; display: flex;
         justify-content: space-between; align-items: baseline; flex-wrap: wrap; gap: 8px; }
header h1 { margin: 0; font-size: 1.45em; }
header .sub { opacity: .85; font-size: .95em; }
main { max-width: 1400px; margin: 0 auto; padding: 16px 24px 40px; }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 14px; }
.panel { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
.panel h2 { font-size: 1.05em; margin: 0 0 6px; display: flex; justify-content: space-between; }
.panel h2 a { font-size: .8em; font-weight: normal; color: #1a73e8; text-decoration: none; }
.hl { display: flex; gap: 10px; align-items: flex-start; padding: 6px 0; border-top: 1px solid #eee; }
.hl:first-of-type { border-top: none; }
.dot { width: 14px; height: 14px; border-radius: 50%; flex: none; margin-top: 5px; }
.hl .label { font-size: .85em; color: #5f6368; }
.hl .value { font-size: 1.25em; font-weight: 600; }
.hl.primary .value { font-size: 1.9em; }
.hl .status { font-size: .78em; font-weight: 600; margin-left: 6px; }
.delta { font-size: .8em; color: #5f6368; }
.delta.good { color: #1e8e3e; } .delta.bad { color: #d93025; }
.totals { font-size: .8em; color: #5f6368; margin-top: 6px; border-top: 1px solid #eee; padding-top: 6px; }
h2.section { margin-top: 30px; font-size: 1.2em; }
.note { color: #5f6368; font-size: .85em; margin-top: -6px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .9em; }
th, td { border-bottom: 1px solid #e0e0e0; padding: 6px 10px; text-align: right; }
th.l, td.l { text-align: left; }
th { background: #f1f3f4; }
.figure { background: #fff; border-radius: 8px; padding: 8px; margin-top: 8px; }
footer { margin-top: 30px; color: #80868b; font-size: .82em; }
""".replace("FONTS", CJK_FONT_STACK)


def _e(text: object) -> str:
    return html.escape(str(text))


def load_thresholds(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """The traffic-light thresholds (``dashboard_thresholds.yaml``), checked."""
    data = yaml.safe_load(Path(path or THRESHOLDS_FILE).read_text(encoding="utf-8")) or {}
    for key, rule in data.items():
        if rule.get("better") not in ("higher", "lower") or "green" not in rule or "amber" not in rule:
            raise ValueError(f"threshold {key!r} needs better: higher|lower, green and amber")
        worse_ok = rule["amber"] <= rule["green"] if rule["better"] == "higher" else rule["amber"] >= rule["green"]
        if not worse_ok:
            raise ValueError(f"threshold {key!r}: amber must be on the worse side of green")
    return data


def light(value: float | None, rule: Mapping[str, Any] | None) -> str:
    """``green`` | ``amber`` | ``red`` | ``none`` (no value or no threshold).

    >>> light(0.97, {"better": "higher", "green": 0.98, "amber": 0.95})
    'amber'
    >>> light(0, {"better": "lower", "green": 0, "amber": 5})
    'green'
    """
    if value is None or not rule:
        return "none"
    if rule["better"] == "higher":
        return "green" if value >= rule["green"] else "amber" if value >= rule["amber"] else "red"
    return "green" if value <= rule["green"] else "amber" if value <= rule["amber"] else "red"


def fmt(value: float | None, unit: str, lang: str) -> str:
    if value is None:
        return "–"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if unit == "cny":
        return f"¥{value:,.0f}"
    return f"{value:,.0f}"


def delta_text(value: float | None, prev: float | None, unit: str, better: str | None,
               lang: str) -> tuple[str, str]:
    """(text, css class good|bad|"") of the change against the previous period."""
    t = TEXT[lang]
    if value is None or prev is None:
        return t["no_prev"], ""
    diff = value - prev
    if abs(diff) < 1e-9:
        return f"{t['vs_prev']} {t['flat']}", ""
    arrow = "▲" if diff > 0 else "▼"
    if unit == "share":
        amount = f"{abs(diff) * 100:.1f} {t['pp']}"
    elif unit == "cny":
        amount = f"¥{abs(diff):,.0f}"
    else:
        amount = f"{abs(diff):,.0f}"
    cls = ""
    if better:
        cls = "good" if (diff > 0) == (better == "higher") else "bad"
    return f"{t['vs_prev']} {arrow} {amount}", cls


def _plotly(fig: go.Figure, *, first: bool) -> str:
    return pio.to_html(
        fig, include_plotlyjs=first, include_mathjax=False, full_html=False,
        config={"displaylogo": False, "responsive": True}, default_width="100%",
    )


def _trend_figure(history: Sequence[Mapping[str, Any]], analyses: Sequence[str], lang: str) -> go.Figure:
    heads = [h for a in analyses for h in HEADLINES[a]]
    cols = 4
    rows = max(1, -(-len(heads) // cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[getattr(h, lang) for h in heads],
                        vertical_spacing=0.16, horizontal_spacing=0.06)
    labels = [m["period"]["label"] for m in history]
    for i, h in enumerate(heads):
        values = [headline_value(m, h.key) for m in history]
        if h.unit == "share":
            values = [None if v is None else v * 100 for v in values]
        fig.add_trace(
            go.Scatter(x=labels, y=values, mode="lines+markers", name=getattr(h, lang),
                       line={"color": "#1f3a5f"}, showlegend=False,
                       hovertemplate="%{x}: %{y:,.1f}" + ("%" if h.unit == "share" else "") + "<extra></extra>"),
            row=i // cols + 1, col=i % cols + 1,
        )
        if h.unit == "share":
            fig.update_yaxes(ticksuffix="%", row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(height=260 * rows, template="plotly_white", margin={"t": 40, "l": 40, "r": 10, "b": 30},
                      font={"family": CJK_FONT_STACK, "size": 11})
    fig.update_annotations(font_size=12)
    fig.update_xaxes(type="category")
    return fig


def _league_figure(subs: Sequence[Mapping[str, Any]], lang: str) -> go.Figure:
    top = list(subs)[:20][::-1]
    t = TEXT[lang]
    fig = go.Figure(go.Bar(
        x=[s["amount_cny"] for s in top], y=[s["subsidiary_id"] for s in top], orientation="h",
        marker_color="#1f3a5f", text=[f"{s['findings']} {t['findings']}" for s in top],
        hovertemplate="%{y}: ¥%{x:,.0f}<extra></extra>",
    ))
    fig.update_layout(title=f"{t['money']}（{t['money_unit']}）" if lang == "zh" else f"{t['money'].capitalize()} ({t['money_unit']})",
                      height=max(260, 26 * len(top) + 80), template="plotly_white",
                      font={"family": CJK_FONT_STACK}, margin={"l": 80, "r": 20, "t": 50, "b": 30})
    fig.update_yaxes(type="category")
    return fig


def _panel(analysis: str, metrics: Mapping[str, Any], previous: Mapping[str, Any] | None,
           thresholds: Mapping[str, Any], lang: str, lights: list[str]) -> str:
    t = TEXT[lang]
    zh, en = ANALYSIS_TITLES[analysis]
    rows = []
    for i, h in enumerate(HEADLINES[analysis]):
        rule = thresholds.get(h.key)
        value = headline_value(metrics, h.key)
        prev = headline_value(previous, h.key) if previous else None
        status = light(value, rule)
        lights.append(status)
        dtext, dcls = delta_text(value, prev, h.unit, rule["better"] if rule else None, lang)
        rows.append(
            f"<div class='hl{' primary' if i == 0 else ''}' data-key='{_e(h.key)}' data-status='{status}'>"
            f"<span class='dot' style='background:{LIGHT_COLORS[status]}' title='{_e(t[status])}'></span>"
            f"<div><div class='label'>{_e(getattr(h, lang))}</div>"
            f"<div><span class='value'>{_e(fmt(value, h.unit, lang))}</span>"
            f"<span class='status' style='color:{LIGHT_COLORS[status]}'>{_e(t[status])}</span></div>"
            f"<div class='delta {dcls}'>{_e(dtext)}</div></div></div>"
        )
    a = metrics["analyses"][analysis]
    sev = " · ".join(
        f"{(zh_s if lang == 'zh' else en_s)} {a['by_severity'].get(s, 0)}" for s, zh_s, en_s, _ in SEVERITIES
    )
    totals = (f"{a['findings']:,} 项{t['findings']}（{sev}）· {t['money']} ¥{a['amount_cny']:,.0f}"
              if lang == "zh" else
              f"{a['findings']:,} {t['findings']} ({sev}) · {t['money']} ¥{a['amount_cny']:,.0f}")
    title = zh if lang == "zh" else en
    return (
        f"<section class='panel' id='panel-{analysis}'><h2>{_e(title)}"
        f"<a href='{analysis}.html'>{_e(t['report'])}</a></h2>{''.join(rows)}"
        f"<div class='totals'>{_e(totals)}</div></section>"
    )


def dashboard_html(
    metrics: Mapping[str, Any],
    period: Period,
    analyses: Sequence[str],
    *,
    history: Sequence[Mapping[str, Any]] | None = None,
    lang: str = "zh",
    thresholds: Mapping[str, Any] | None = None,
    worklists: bool = False,
) -> str:
    """The dashboard as one HTML string. ``history``: metrics of this and earlier
    periods, oldest first (default: this period only); the previous period's are
    used for the changes when present. ``worklists``: the report holds the
    remediation worklists (:mod:`workbench.report.worklists`); link them from the
    league table."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    t = TEXT[lang]
    analyses = [a for a in ANALYSES if a in analyses]
    thresholds = load_thresholds() if thresholds is None else thresholds
    history = list(history) if history else [metrics]
    prev_label = period.previous().label
    previous = next((m for m in history if m["period"]["label"] == prev_label), None)

    lights: list[str] = []
    panels = "".join(_panel(a, metrics, previous, thresholds, lang, lights) for a in analyses)
    status_line = t["status_line"].format(g=lights.count("green"), a=lights.count("amber"),
                                          r=lights.count("red"))
    trends = _plotly(_trend_figure(history, analyses, lang), first=True)

    subs = metrics.get("subsidiaries") or []
    league_rows = []
    for i, s in enumerate(subs[:20], 1):
        per = "".join(f"<td>{s.get(a, 0):,}</td>" for a in analyses)
        name = f" {_e(s['name'])}" if s.get("name") else ""
        group_level = s["subsidiary_id"] == NO_SUBSIDIARY
        book = "group" if group_level else s["subsidiary_id"]
        sheet = (f"<td><a href='worklists/{_e(book)}.xlsx'>{_e(t['worklist'])}</a></td>"
                 if worklists else "")
        who = _e(t["group_level"]) if group_level else f"{_e(s['subsidiary_id'])}{name}"
        league_rows.append(
            f"<tr><td>{i}</td><td class='l'>{who}</td>{per}"
            f"<td>{s['high']:,}</td><td>{s['findings']:,}</td><td>¥{s['amount_cny']:,.0f}</td>{sheet}</tr>"
        )
    if not league_rows:
        league_rows.append(f"<tr><td class='l' colspan='{5 + len(analyses) + worklists}'>"
                           f"{_e(t['none_found'])}</td></tr>")
    sheet_head = f"<th>{_e(t['worklist_head'])}</th>" if worklists else ""
    title_of = (lambda a: ANALYSIS_TITLES[a][0 if lang == "zh" else 1])
    league_head = "".join(f"<th>{_e(title_of(a))}</th>" for a in analyses)
    league_fig = _plotly(_league_figure(subs, lang), first=False) if subs else ""

    rule_rows = []
    for r in metrics.get("rules") or []:
        rule = RULES.get(r["rule"])
        name = (rule.title_zh if lang == "zh" else rule.title_en) if rule else r["rule"]
        basis = rule.legal_basis if rule else ""
        rule_rows.append(
            f"<tr><td class='l'>{_e(name)} <code>{_e(r['rule'])}</code></td>"
            f"<td class='l'>{_e(title_of(r['analysis']) if r['analysis'] in ANALYSIS_TITLES else r['analysis'])}</td>"
            f"<td>{r['findings']:,}</td><td>¥{r['amount_cny']:,.0f}</td><td class='l'>{_e(basis)}</td></tr>"
        )
    if not rule_rows:
        rule_rows.append(f"<tr><td class='l' colspan='5'>{_e(t['none_found'])}</td></tr>")
    links = " · ".join(f"<a href='{a}.html'>{_e(title_of(a))}</a>" for a in analyses)
    if worklists:
        links += f" · <a href='worklists/group.xlsx'>{_e(t['group_worklist'])}</a>"
    html_lang = "zh-CN" if lang == "zh" else "en"
    dates = f"{period.start_date.isoformat()} {t['to']} {period.last_day.isoformat()}"
    return f"""<!DOCTYPE html>
<html lang="{html_lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{_e(t['title'])} · {_e(period.label)}</title>
<style>{_CSS}</style>
</head>
<body>
<header><h1>{_e(t['title'])} · {_e(period.label)}</h1>
<div class="sub">{_e(t['period'])} {_e(dates)} · <span id="status-line">{_e(status_line)}</span></div></header>
<main>
<div class="panels">{panels}</div>
<h2 class="section">{_e(t['trends'])}</h2>
<p class="note">{_e(t['trends_note'])}</p>
<div class="figure">{trends}</div>
<h2 class="section">{_e(t['league'])}</h2>
<p class="note">{_e(t['league_note'])}</p>
<table><tr><th>{_e(t['rank'])}</th><th class='l'>{_e(t['subsidiary'])}</th>{league_head}
<th>{_e(t['high'])}</th><th>{_e(t['findings'])}</th><th>{_e(t['money'])}</th>{sheet_head}</tr>
{''.join(league_rows)}</table>
<div class="figure">{league_fig}</div>
<h2 class="section">{_e(t['rules'])}</h2>
<table><tr><th class='l'>{_e(t['rule'])}</th><th class='l'>{_e(t['analysis'])}</th><th>{_e(t['findings'])}</th>
<th>{_e(t['money'])}</th><th class='l'>{_e(t['basis'])}</th></tr>{''.join(rule_rows)}</table>
<h2 class="section">{_e(t['reports'])}</h2>
<p>{links}</p>
<footer>{_e(t['footer'])}</footer>
</main>
</body>
</html>
"""


def write_dashboard(
    metrics: Mapping[str, Any],
    period: Period,
    analyses: Sequence[str],
    path: str | Path,
    *,
    history: Sequence[Mapping[str, Any]] | None = None,
    lang: str = "zh",
    worklists: bool = False,
) -> Path:
    """Write ``dashboard.html`` (UTF-8)."""
    path = Path(path)
    path.write_text(dashboard_html(metrics, period, analyses, history=history, lang=lang, worklists=worklists),
                    encoding="utf-8")
    return path


def summarize(findings: pl.DataFrame, analyses: Sequence[str]) -> pl.DataFrame:
    """Findings per analysis: ``high``, ``medium``, ``low``, ``total``, ``amount_cny``."""
    rows = []
    for a in analyses:
        sub = findings.filter(pl.col("analysis") == a)
        row: dict[str, object] = {"analysis": a}
        for sev, *_ in SEVERITIES:
            row[sev] = sub.filter(pl.col("severity") == sev).height
        row["total"] = sub.height
        row["amount_cny"] = float(sub["amount_cny"].fill_null(0.0).sum())
        rows.append(row)
    schema = {"analysis": pl.String, "high": pl.Int64, "medium": pl.Int64, "low": pl.Int64,
              "total": pl.Int64, "amount_cny": pl.Float64}
    return pl.DataFrame(rows, schema=schema)
