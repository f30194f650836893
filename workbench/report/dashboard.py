"""The executive dashboard ``reports/<period>/dashboard.html``.

One self-contained file (plotly.js inline once, no network) in Simplified
Chinese, or English with ``lang="en"``, rendered from the packaged Jinja2 template
``templates/dashboard.html.j2`` (autoescaped). Every number comes from the
report's ``metrics.json`` (:mod:`workbench.report.headlines`) and, for trends,
from the ``metrics.json`` of earlier reports in the same folder — nothing is
recomputed. Analysis titles, severities and languages come from
:mod:`workbench.labels`; the dashboard's own words are :data:`TEXT`, one table
per language.

First screen: one panel per analysis with its headline(s), each showing the
value, its change against the previous period and a traffic light against the
thresholds file (``dashboard_thresholds.yaml``: data, not code); then the money
of the period per kind (contract v1.1 ``amount_kind``, never added across kinds):
consumer harm as overcharge and unpublished benefits side by side, credit
exposure apart, and discounts given through unannounced promotions shown as what
customers received, not as money at stake. Below: trend charts over every period
found, a subsidiary league table (findings, high severity, one money column per
kind; sorted by high-severity findings then consumer harm), findings by rule with
the rule's money and kind (a breakdown rule marked as such; "—" for a rule that
carries no money) and the legal basis, and links to each analysis report.
Aggregates only: no customer ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from markupsafe import Markup
from plotly.subplots import make_subplots

from workbench.config import Reader, read_yaml
from workbench.contract import ANALYSES, RULES
from workbench.labels import (
    ANALYSIS_TITLES,
    MONEY_KIND_LABELS,
    SEVERITIES,
    SEVERITY_LABELS,
    check_lang,
    label,
)
from workbench.money import money_text
from workbench.notebook import CJK_FONT_STACK
from workbench.periods import Period
from workbench.report.headlines import NO_SUBSIDIARY, analysis_kinds, headline_value

__all__ = [
    "CONSUMER_HARM",
    "HEADLINES",
    "TEXT",
    "delta_text",
    "fmt",
    "light",
    "load_thresholds",
    "money_kinds",
    "dashboard_html",
    "write_dashboard",
]

THRESHOLDS_FILE = "dashboard_thresholds.yaml"
TEMPLATE = "dashboard.html.j2"
LIGHT_COLORS = {"green": "#1e8e3e", "amber": "#f29900", "red": "#d93025", "none": "#9aa0a6"}
#: The pricing headline of the overcharge no flagged group explains (the rest of the
#: breakdown of the order-level overcharge by group).
UNATTRIBUTED = "pricing.unattributed_overcharge_cny"
#: The two faces of consumer harm, shown side by side and never added; and their colours.
CONSUMER_HARM = ("overcharge", "benefit")
KIND_COLORS = {"overcharge": "#1f3a5f", "benefit": "#c5862b", "exposure": "#5f6368",
               "discount": "#80868b"}


@dataclass(frozen=True)
class Headline:
    """A number of the first screen: ``key`` in metrics.json, shown as ``unit``."""

    key: str  # "<analysis>.<metric>"
    unit: str  # share | cny | count


HEADLINES: dict[str, tuple[Headline, ...]] = {
    "tiering": (Headline("tiering.correctly_tiered_share", "share"),
                Headline("tiering.hidden_benefit_cny", "cny")),
    "pricing": (Headline("pricing.price_disparity_groups", "count"),
                Headline("pricing.overcharge_cny", "cny")),
    "sla": tuple(Headline(f"sla.adherence_{t}", "share")
                 for t in ("ack", "acceptance", "resolution", "update")),
    "credit": (Headline("credit.receivables_aa_share", "share"),
               Headline("credit.registry_alerts", "count")),
}

#: The dashboard's own words, one table per language (headline labels keyed as in
#: :data:`HEADLINES`).
TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "html_lang": "zh-CN",
        "title": "合规证据仪表板", "period": "报告期", "to": "至", "report": "查看报告 →",
        "green": "达标", "amber": "关注", "red": "超限", "none": "无数据",
        "vs_prev": "较上期", "no_prev": "无上期数据", "flat": "持平", "pp": "个百分点",
        "findings": "发现", "money": "金额", "trends": "历期趋势",
        "trends_note": "本文件夹中所有已发布报告期的 metrics.json。",
        "money_head": "本期金额（按类别）",
        "money_note": "各类金额分别合计，不跨类别相加；每笔订单、每项权益、每家企业只计一次。"
                      "群体金额是上面合计的分解，不另计入。",
        "not_run": "未运行",
        "unattributed": "未归因于任何被标记群体",
        "league": "子公司排行",
        "league_note": "按高严重度发现数排序，其次按消费者损害（先比多收金额，再比未公示权益，"
                       "两者不相加），再按发现数（前 20 名）。",
        "league_axis": "消费者损害（元）：多收金额与未公示权益并列",
        "rank": "排名", "subsidiary": "子公司", "high": "高严重度", "rules": "按规则",
        "rule": "规则", "basis": "法律依据", "analysis": "分析", "reports": "各分析报告",
        "none_found": "本期无发现",
        "footer": "仅含汇总数据，不含客户身份信息。数字取自本报告的 metrics.json；"
                  "红黄绿阈值见 dashboard_thresholds.yaml。",
        "status_line": "{g} 项达标 · {a} 项需关注 · {r} 项超限",
        "totals": "{n} 项发现（{severities}）",
        "predicted": "，其中 {n} 项为超时风险预测（尚未违规）",
        "worklist": "下载", "worklist_head": "整改清单",
        "group_level": "集团层面（不属于单一子公司）",
        "group_worklist": "集团层面整改清单（Excel）",
        "tiering.correctly_tiered_share": "按公布标准正确定级的客户",
        "tiering.hidden_benefit_cny": "未公示权益金额",
        "pricing.price_disparity_groups": "存在显著溢价的客户群体",
        "pricing.overcharge_cny": "无法解释的多收金额",
        "sla.adherence_ack": "按时首次响应",
        "sla.adherence_acceptance": "按时作出受理决定",
        "sla.adherence_resolution": "按时办结",
        "sla.adherence_update": "按时告知进展",
        "credit.receivables_aa_share": "AA级及以上客户的应收账款占比",
        "credit.registry_alerts": "登记信息预警",
    },
    "en": {
        "html_lang": "en",
        "title": "Compliance evidence dashboard", "period": "Period", "to": "to",
        "report": "Open report →",
        "green": "on target", "amber": "watch", "red": "off target", "none": "no data",
        "vs_prev": "vs previous period", "no_prev": "no previous period", "flat": "unchanged",
        "pp": "pp", "findings": "findings", "money": "Money", "trends": "Trends",
        "trends_note": "From the metrics.json of every published period in this folder.",
        "money_head": "Money this period, by kind",
        "money_note": "Each kind is totalled on its own, never added across kinds; every order, "
                      "grant and enterprise counts once. Group amounts break the totals above "
                      "down and are not added to them.",
        "not_run": "not run",
        "unattributed": "not attributed to any flagged group",
        "league": "Subsidiary league table",
        "league_note": "By high-severity findings, then consumer harm (overcharge first, then "
                       "unpublished benefits, never added), then findings (top 20).",
        "league_axis": "Consumer harm (CNY): overcharge and unpublished benefits side by side",
        "rank": "Rank", "subsidiary": "Subsidiary", "high": "High severity", "rules": "By rule",
        "rule": "Rule", "basis": "Legal basis", "analysis": "Analysis",
        "reports": "Analysis reports", "none_found": "No findings this period",
        "footer": "Aggregates only, no customer identifiers. Numbers come from this report's "
                  "metrics.json; traffic-light thresholds from dashboard_thresholds.yaml.",
        "status_line": "{g} on target · {a} to watch · {r} off target",
        "totals": "{n} findings ({severities})",
        "predicted": "; {n} of them predicted risks (not yet breaches)",
        "worklist": "download", "worklist_head": "Worklist",
        "group_level": "Group level (no single subsidiary)",
        "group_worklist": "Group-level worklist (Excel)",
        "tiering.correctly_tiered_share": "Customers tiered by the published criteria",
        "tiering.hidden_benefit_cny": "Unpublished benefits",
        "pricing.price_disparity_groups": "Groups paying a significant premium",
        "pricing.overcharge_cny": "Unexplained overcharge",
        "sla.adherence_ack": "Acknowledged in time",
        "sla.adherence_acceptance": "Accepted/rejected in time",
        "sla.adherence_resolution": "Resolved in time",
        "sla.adherence_update": "Kept updated",
        "credit.receivables_aa_share": "Receivables owed by AA-or-better customers",
        "credit.registry_alerts": "Registry alerts",
    },
}


# ------------------------------------------------------------------ thresholds
def load_thresholds(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """The traffic-light thresholds, checked (default: the packaged file).

    Each key is a headline of :data:`HEADLINES` with ``better`` (``higher`` or
    ``lower``), ``green`` and ``amber``; amber must be on the worse side of green.
    A bad file raises :class:`workbench.config.ConfigError` naming file and key.
    """
    doc, where = read_yaml(path, what="dashboard thresholds", package="workbench.report",
                           default_name=THRESHOLDS_FILE)
    r = Reader("dashboard thresholds", where)
    known = [h.key for hs in HEADLINES.values() for h in hs]
    out: dict[str, dict[str, Any]] = {}
    for key, value in r.mapping(doc or {}).items():
        if key not in known:
            raise r.fail(str(key), f"not a dashboard headline (known: {known})")
        rule = r.mapping(value, key, required=("better", "green", "amber"), optional=())
        better = r.choice(rule, "better", ("higher", "lower"), key)
        green, amber = r.number(rule, "green", key), r.number(rule, "amber", key)
        if (amber > green) if better == "higher" else (amber < green):
            raise r.fail(key, "amber must be on the worse side of green")
        out[key] = {"better": better, "green": green, "amber": amber}
    return out


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


# ------------------------------------------------------------------ numbers
def fmt(value: float | None, unit: str) -> str:
    """A headline value as shown: ``93.7%``, ``¥11,209``, ``88``, or ``–`` for none."""
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
    amount = f"{abs(diff) * 100:.1f} {t['pp']}" if unit == "share" else fmt(abs(diff), unit)
    cls = ""
    if better:
        cls = "good" if (diff > 0) == (better == "higher") else "bad"
    return f"{t['vs_prev']} {arrow} {amount}", cls


# ------------------------------------------------------------------ figures
def _plotly(fig: go.Figure, *, first: bool) -> Markup:
    return Markup(pio.to_html(
        fig, include_plotlyjs=first, include_mathjax=False, full_html=False,
        config={"displaylogo": False, "responsive": True}, default_width="100%",
    ))


def _trend_figure(history: Sequence[Mapping[str, Any]], analyses: Sequence[str],
                  lang: str) -> go.Figure:
    t = TEXT[lang]
    heads = [h for a in analyses for h in HEADLINES[a]]
    cols = 4
    rows = max(1, -(-len(heads) // cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[t[h.key] for h in heads],
                        vertical_spacing=0.16, horizontal_spacing=0.06)
    labels = [m["period"]["label"] for m in history]
    for i, h in enumerate(heads):
        values = [headline_value(m, h.key) for m in history]
        suffix = "%" if h.unit == "share" else ""
        if h.unit == "share":
            values = [None if v is None else v * 100 for v in values]
        fig.add_trace(
            go.Scatter(x=labels, y=values, mode="lines+markers", name=t[h.key],
                       line={"color": "#1f3a5f"}, showlegend=False,
                       hovertemplate="%{x}: %{y:,.1f}" + suffix + "<extra></extra>"),
            row=i // cols + 1, col=i % cols + 1,
        )
        if h.unit == "share":
            fig.update_yaxes(ticksuffix="%", row=i // cols + 1, col=i % cols + 1)
    fig.update_layout(height=260 * rows, template="plotly_white",
                      margin={"t": 40, "l": 40, "r": 10, "b": 30},
                      font={"family": CJK_FONT_STACK, "size": 11})
    fig.update_annotations(font_size=12)
    fig.update_xaxes(type="category")
    return fig


def _league_figure(subs: Sequence[Mapping[str, Any]], kinds: Sequence[str],
                   lang: str) -> go.Figure:
    """Consumer harm per subsidiary in league order: one bar per kind, side by side
    (grouped, never stacked: the kinds are not added).
    """
    top = [s for s in subs[:20] if s["subsidiary_id"] != NO_SUBSIDIARY][::-1]
    t = TEXT[lang]
    fig = go.Figure([
        go.Bar(x=[(s.get("money") or {}).get(k, 0.0) for s in top],
               y=[s["subsidiary_id"] for s in top], orientation="h",
               name=MONEY_KIND_LABELS[lang][k], marker_color=KIND_COLORS[k],
               hovertemplate="%{y}: ¥%{x:,.0f}<extra>" + MONEY_KIND_LABELS[lang][k] + "</extra>")
        for k in CONSUMER_HARM if k in kinds
    ])
    fig.update_layout(title=t["league_axis"], height=max(260, 40 * len(top) + 90),
                      template="plotly_white", font={"family": CJK_FONT_STACK},
                      barmode="group", legend={"orientation": "h", "y": -0.08},
                      margin={"l": 80, "r": 20, "t": 50, "b": 40})
    fig.update_yaxes(type="category")
    return fig


# ------------------------------------------------------------------ view model
def _panel(analysis: str, metrics: Mapping[str, Any], previous: Mapping[str, Any] | None,
           thresholds: Mapping[str, Any], lang: str) -> dict[str, Any]:
    t = TEXT[lang]
    heads = []
    for h in HEADLINES[analysis]:
        rule = thresholds.get(h.key)
        value = headline_value(metrics, h.key)
        prev = headline_value(previous, h.key) if previous else None
        delta, delta_class = delta_text(value, prev, h.unit, rule["better"] if rule else None,
                                        lang)
        heads.append({"key": h.key, "label": t[h.key], "value": fmt(value, h.unit),
                      "status": light(value, rule), "delta": delta, "delta_class": delta_class})
    a = metrics["analyses"][analysis]
    severities = " · ".join(f"{SEVERITY_LABELS[lang][s]} {a['by_severity'].get(s, 0):,}"
                            for s in SEVERITIES)
    totals = t["totals"].format(n=f"{a['findings']:,}", severities=severities)
    predicted = int((a.get("headline") or {}).get("breach_risk") or 0) if analysis == "sla" else 0
    if predicted:  # a prediction is not a breach: say how many of the findings are
        totals += t["predicted"].format(n=f"{predicted:,}")
    amounts = a.get("money") or {}
    money = [f"{MONEY_KIND_LABELS[lang][k]} {fmt(amounts[k], 'cny')}"
             for k in money_kinds([analysis]) if k in amounts]
    return {"analysis": analysis, "title": ANALYSIS_TITLES[lang][analysis], "headlines": heads,
            "totals": " · ".join([totals, *money])}


def money_kinds(analyses: Sequence[str]) -> list[str]:
    """The money kinds the analyses that ran can carry, in the dashboard's order:
    consumer harm (overcharge, unpublished benefits), credit exposure, then the
    discounts customers received.

    >>> money_kinds(["tiering", "sla"]), money_kinds(["pricing", "credit"])
    (['benefit'], ['overcharge', 'exposure', 'discount'])
    """
    kinds = {k for a in analyses for k in analysis_kinds(a)}
    return [k for k in (*CONSUMER_HARM, "exposure", "discount") if k in kinds]


def _money_cards(metrics: Mapping[str, Any], rules: Sequence[Mapping[str, Any]],
                 kinds: Sequence[str], lang: str) -> list[dict[str, Any]]:
    """The money of the period, per kind, in three cards: consumer harm (overcharge
    and unpublished benefits side by side), credit exposure, discounts given. A kind
    no analysis that ran can carry shows "not run"; each breakdown rule is listed
    under its kind, marked as not added.
    """
    t = TEXT[lang]
    totals = metrics.get("money") or {}

    def value(kind: str) -> dict[str, Any]:
        shown = fmt(totals.get(kind, 0.0), "cny") if kind in kinds else t["not_run"]
        sep = "：" if lang == "zh" else ": "
        parts = [f"{r['title']}{sep}{r['money']}" for r in rules
                 if r["amount_kind"] == kind and not r["in_total"] and r["amount_cny"]]
        rest = headline_value(metrics, UNATTRIBUTED) if kind == "overcharge" and parts else None
        if rest is not None:
            parts.append(f"{t['unattributed']}{sep}{fmt(rest, 'cny')}")
        return {"kind": kind, "label": MONEY_KIND_LABELS[lang][kind], "value": shown,
                "breakdowns": parts}

    return [
        {"id": "consumer-harm", "title": label("money", "consumer_harm", lang),
         "values": [value(k) for k in CONSUMER_HARM]},
        {"id": "credit-exposure", "title": label("money", "credit_exposure", lang),
         "values": [value("exposure")]},
        {"id": "discount-given", "title": label("money", "discount_given", lang),
         "values": [value("discount")]},
    ]


def _league_rows(subs: Sequence[Mapping[str, Any]], analyses: Sequence[str],
                 kinds: Sequence[str], lang: str) -> list[dict[str, Any]]:
    rows = []
    for s in subs[:20]:
        group_level = s["subsidiary_id"] == NO_SUBSIDIARY
        who = (TEXT[lang]["group_level"] if group_level
               else " ".join(x for x in (s["subsidiary_id"], s.get("name")) if x))
        money = s.get("money") or {}
        rows.append({**s, "who": who, "book": "group" if group_level else s["subsidiary_id"],
                     "counts": {a: s.get(a, 0) for a in analyses},
                     "amounts": [fmt(money.get(k, 0.0), "cny") for k in kinds]})
    return rows


def _rule_money(r: Mapping[str, Any], lang: str) -> str:
    """A rule's money as the rules table shows it: "—" when the rule carries none,
    else the amount with its kind, a breakdown marked as not added to totals.
    """
    return money_text(r.get("amount_cny"), r.get("amount_kind"), in_total=r.get("in_total", True),
                      lang=lang, decimals=0)


def _rule_rows(rules: Sequence[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    rows = []
    for r in rules:
        rule = RULES.get(r["rule"])
        rows.append({
            **r,
            "title": (rule.title_zh if lang == "zh" else rule.title_en) if rule else r["rule"],
            "analysis": ANALYSIS_TITLES[lang].get(r["analysis"], r["analysis"]),
            "basis": rule.legal_basis if rule else "",
            "money": _rule_money(r, lang),
        })
    return rows


@cache
def _template() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("workbench.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters["num"] = lambda v: f"{v:,}"
    env.filters["cny"] = lambda v: fmt(v, "cny")
    return env.get_template(TEMPLATE)


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
    """The dashboard as one HTML string.

    Parameters
    ----------
    metrics
        This report's metrics (:func:`workbench.report.headlines.compute_metrics`).
    period
        The report's period.
    analyses
        The analyses that ran (shown in report order).
    history
        Metrics of this and earlier periods, oldest first (default: this period
        only); the previous period's are used for the changes when present.
    lang
        A language of :data:`workbench.labels.LANGS`.
    thresholds
        Traffic-light thresholds (default: :func:`load_thresholds`).
    worklists
        The report holds the remediation worklists; link them from the league table.

    Returns
    -------
    str
        A self-contained HTML document.
    """
    t = TEXT[check_lang(lang)]
    analyses = [a for a in ANALYSES if a in analyses]
    thresholds = load_thresholds() if thresholds is None else thresholds
    history = list(history) if history else [metrics]
    prev_label = period.previous().label
    previous = next((m for m in history if m["period"]["label"] == prev_label), None)
    panels = [_panel(a, metrics, previous, thresholds, lang) for a in analyses]
    lights = [h["status"] for p in panels for h in p["headlines"]]
    subs = metrics.get("subsidiaries") or []
    kinds = money_kinds(analyses)
    rules = _rule_rows(metrics.get("rules") or [], lang)
    return _template().render(
        t=t,
        fonts=Markup(CJK_FONT_STACK),
        colors=LIGHT_COLORS,
        period=period,
        dates=f"{period.start_date.isoformat()} {t['to']} {period.last_day.isoformat()}",
        status_line=t["status_line"].format(g=lights.count("green"), a=lights.count("amber"),
                                            r=lights.count("red")),
        panels=panels,
        trends=_plotly(_trend_figure(history, analyses, lang), first=True),
        analyses=analyses,
        titles=ANALYSIS_TITLES[lang],
        money=_money_cards(metrics, rules, kinds, lang),
        money_note=t["money_note"],
        kinds=[MONEY_KIND_LABELS[lang][k] for k in kinds],
        league=_league_rows(subs, analyses, kinds, lang),
        league_figure=(_plotly(_league_figure(subs, kinds, lang), first=False)
                       if subs and set(CONSUMER_HARM) & set(kinds) else ""),
        rules=rules,
        worklists=worklists,
    )


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
    """Write ``dashboard.html`` (UTF-8); the arguments are those of :func:`dashboard_html`."""
    path = Path(path)
    html = dashboard_html(metrics, period, analyses, history=history, lang=lang,
                          worklists=worklists)
    path.write_text(html, encoding="utf-8")
    return path
