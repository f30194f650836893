"""The executive dashboard ``reports/<period>/dashboard.html``.

One self-contained file (plotly.js inline once, no network) in Simplified Chinese,
or English with ``lang="en"``, rendered from the packaged Jinja2 template
``templates/dashboard.html.j2`` (autoescaped). Every number comes from the
report's ``metrics.json`` (:mod:`workbench.report.headlines`) and, for trends, from
the ``metrics.json`` of earlier reports in the same folder — nothing is
recomputed. The dashboard's words are :data:`TEXT`
(:mod:`workbench.report.dashboard_text`); analysis titles, severities and money
kinds come from :mod:`workbench.labels`.

First screen: **最需关注** — the worst findings (``metrics.json``: ``top_findings``,
:mod:`workbench.report.top_findings`) in plain words: who, what, how many people,
money per kind — beside the money of the period per kind (consumer harm as
overcharge and unpublished benefits side by side, credit exposure apart,
unannounced discounts as what customers received; never added across kinds).

Then one panel per analysis of :data:`workbench.contract.ANALYSES` (an analysis
that did not run, or ran and judged nothing — marketing on a source without its
tables — reads 未评估 with the reason): each headline with its value, its target,
its breaches (count, high-severity count) and a traffic light; the marketing panel
has the shares of commercial messages labelled as advertisements, giving a way to
refuse and sent with consent in force, the messages using absolute terms, the share
of privacy requests completed in time and the refusals without a reason. **Light rule**: the
value against the thresholds file (``dashboard_thresholds.yaml``: data, not code),
and any high-severity finding of the headline's rules makes it amber at best — a
rate on target never shows green beside high-severity breaches of a committed
limit. Predictions (an open complaint predicted to breach) are said apart and
never counted as problems. Below: trends (only with two or more periods; units on
every axis), the subsidiary league table, findings by rule sorted by severity then
money ("—" for a rule with no money), links to each analysis report. Tables turn
into cards on a narrow screen (no horizontal scrolling at 390 px). Aggregates only:
no customer ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from workbench.config import Reader, read_yaml
from workbench.contract import ANALYSES, RULES
from workbench.labels import (
    ANALYSIS_TITLES,
    MONEY_KIND_LABELS,
    SEVERITIES,
    SEVERITY_LABELS,
    check_lang,
    label,
    legal_basis_text,
)
from workbench.money import money_text
from workbench.notebook import CJK_FONT_STACK
from workbench.periods import Period
from workbench.report import top_text
from workbench.report.dashboard_figures import (
    league_figure,
    plotly_html,
    trend_figure,
)
from workbench.report.dashboard_text import ANALYSIS_FALLBACK, TEXT
from workbench.report.headlines import NO_SUBSIDIARY, analysis_kinds, headline_value
from workbench.report.top_findings import PREDICTION_RULES, TOP_N

__all__ = [
    "CONSUMER_HARM",
    "HEADLINES",
    "TEXT",
    "dashboard_html",
    "delta_text",
    "evaluated",
    "fmt",
    "legal_basis",
    "light",
    "load_thresholds",
    "money_kinds",
    "target_text",
    "write_dashboard",
]

THRESHOLDS_FILE = "dashboard_thresholds.yaml"
TEMPLATE = "dashboard.html.j2"
LIGHT_COLORS = {"green": "#1e8e3e", "amber": "#f29900", "red": "#d93025", "none": "#9aa0a6"}
#: The pricing headline of the overcharge no flagged group explains (the rest of the
#: breakdown of the order-level overcharge by group).
UNATTRIBUTED = "pricing.unattributed_overcharge_cny"
#: The two faces of consumer harm, shown side by side and never added.
CONSUMER_HARM = ("overcharge", "benefit")


@dataclass(frozen=True)
class Headline:
    """A number of the first screen: ``key`` in metrics.json, shown as ``unit``.

    ``count`` is the headline key of the breaches behind the value (e.g. the
    complaints that missed the limit), ``rules`` the rules whose findings they are
    (their high-severity findings hold the light at amber at best), ``groups`` a
    rule whose flagged groups the row names.
    """

    key: str  # "<analysis>.<metric>"
    unit: str  # share | cny | count
    count: str | None = None
    rules: tuple[str, ...] = ()
    groups: str | None = None


_SLA_RULES = {"ack": "ack_breach", "acceptance": "acceptance_breach",
              "resolution": "resolution_breach", "update": "update_gap"}
HEADLINES: dict[str, tuple[Headline, ...]] = {
    "tiering": (Headline("tiering.correctly_tiered_share", "share", "tiering.tier_mismatch",
                         ("tier_mismatch",)),
                Headline("tiering.hidden_benefit_cny", "cny", "tiering.hidden_benefit_grants",
                         ("hidden_benefit",))),
    "pricing": (Headline("pricing.price_disparity_groups", "count", None, ("price_disparity",),
                         groups="price_disparity"),
                Headline("pricing.overcharge_cny", "cny", "pricing.unexplained_premium_orders",
                         ("unexplained_premium",))),
    "sla": tuple(Headline(f"sla.adherence_{t}", "share", f"sla.breached_{t}", (rule,))
                 for t, rule in _SLA_RULES.items()),
    "credit": (Headline("credit.receivables_aa_share", "share"),
               Headline("credit.registry_alerts", "count", None,
                        ("registry_knockout", "registry_change", "annual_report_overdue"))),
    # the two label/opt-out shares are derived (workbench.report.headlines.DERIVED)
    "marketing": (Headline("marketing.ad_label_share", "share", "marketing.ad_unlabelled",
                           ("ad_unlabelled",)),
                  Headline("marketing.opt_out_share", "share", "marketing.no_opt_out",
                           ("no_opt_out",)),
                  Headline("marketing.absolute_term", "count", None, ("absolute_term",)),
                  Headline("marketing.consent_coverage", "share",
                           "marketing.marketing_without_consent",
                           ("marketing_without_consent",)),
                  Headline("marketing.on_time_share", "share", "marketing.requests_overdue",
                           ("privacy_request_overdue",)),
                  Headline("marketing.refusals_without_reason", "count", None,
                           ("refusal_without_reason",))),
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


def light(value: float | None, rule: Mapping[str, Any] | None, high: int = 0) -> str:
    """``green`` | ``amber`` | ``red`` | ``none`` (no value or no threshold).

    ``high``: high-severity findings behind the headline; any makes green amber.

    >>> light(0.97, {"better": "higher", "green": 0.98, "amber": 0.95})
    'amber'
    >>> light(0, {"better": "lower", "green": 0, "amber": 5})
    'green'
    >>> light(0.965, {"better": "higher", "green": 0.95, "amber": 0.9}, high=9)
    'amber'
    """
    if value is None or not rule:
        return "none"
    if rule["better"] == "higher":
        status = ("green" if value >= rule["green"] else "amber" if value >= rule["amber"]
                  else "red")
    else:
        status = ("green" if value <= rule["green"] else "amber" if value <= rule["amber"]
                  else "red")
    return "amber" if status == "green" and high > 0 else status


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


def target_text(rule: Mapping[str, Any] | None, unit: str, lang: str) -> str:
    """The green threshold as a target: ``目标 ≥ 95.0%``, ``目标 ¥0``; "" without one.

    >>> target_text({"better": "higher", "green": 0.95, "amber": 0.9}, "share", "zh")
    '目标 ≥ 95.0%'
    >>> target_text({"better": "lower", "green": 0, "amber": 1}, "count", "en")
    'target 0'
    """
    if not rule:
        return ""
    word = TEXT[lang]["target"]
    if rule["better"] == "lower" and rule["green"] == 0:
        return f"{word} {fmt(0, unit)}"
    if rule["better"] == "higher" and unit == "share" and rule["green"] >= 1:
        return f"{word} 100%"  # every one: "≥ 100.0%" would read as a typo
    op = "≥" if rule["better"] == "higher" else "≤"
    return f"{word} {op} {fmt(rule['green'], unit)}"


def delta_text(value: float | None, prev: float | None, unit: str, better: str | None,
               lang: str) -> tuple[str, str]:
    """(text, css class good|bad|"") of the change against the previous period; ("", "")
    without a previous value (one "trends start next period" line says so instead).
    """
    t = TEXT[lang]
    if value is None or prev is None:
        return "", ""
    diff = value - prev
    if abs(diff) < 1e-9:
        return f"{t['vs_prev']} {t['flat']}", ""
    arrow = "▲" if diff > 0 else "▼"
    amount = f"{abs(diff) * 100:.1f} {t['pp']}" if unit == "share" else fmt(abs(diff), unit)
    cls = ""
    if better:
        cls = "good" if (diff > 0) == (better == "higher") else "bad"
    return f"{t['vs_prev']} {arrow} {amount}", cls


def legal_basis(text: str, lang: str) -> str:
    """A rule's legal basis as shown (:func:`workbench.labels.legal_basis_text`).

    >>> legal_basis("《广告法》第九条第（三）项 (Advertising Law arts. 9(3), 57)", "zh")
    '《广告法》第九条第（三）项'
    """
    return legal_basis_text(text, lang)


def _title(analysis: str, lang: str) -> str:
    return ANALYSIS_TITLES[lang].get(analysis) or ANALYSIS_FALLBACK[lang].get(
        analysis, label("analysis", analysis, lang))


# ------------------------------------------------------------------ panels
def _rule_counts(metrics: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Findings by severity per rule code (from metrics.json ``rules``)."""
    out: dict[str, dict[str, int]] = {}
    for r in metrics.get("rules") or []:
        by = r.get("by_severity") or {}
        out[r["rule"]] = {s: int(by.get(s, 0)) for s in SEVERITIES}
    return out


def _group_names(metrics: Mapping[str, Any], rule: str, lang: str) -> str:
    for item in metrics.get("top_findings") or []:
        if rule in item.get("rules", ()):
            names = [top_text.group_name(g["group"], lang) for g in item.get("groups") or []]
            return TEXT[lang]["groups"] + ("、" if lang == "zh" else "; ").join(names)
    return ""


def _breaches(h: Headline, metrics: Mapping[str, Any], counts: Mapping[str, Mapping[str, int]],
              lang: str) -> tuple[str, int]:
    """(text, high-severity findings) of the breaches behind a headline."""
    t = TEXT[lang]
    high = sum(counts.get(r, {}).get("high", 0) for r in h.rules)
    high_text = f"{t['high']} {high:,}" if lang == "zh" else f"{high:,} {t['high'].lower()}"
    n = headline_value(metrics, h.count) if h.count else None
    if n is None:
        return (high_text if high else ""), high
    entity = RULES[h.rules[0]].entity_type if h.rules and h.rules[0] in RULES else ""
    text = f"{t[h.key + '.breach']} {top_text.unit(entity, int(n), lang)}".strip()
    if high:
        text += f"（{high_text}）" if lang == "zh" else f" ({high_text})"
    return text, high


def _headline_row(h: Headline, metrics: Mapping[str, Any], previous: Mapping[str, Any] | None,
                  thresholds: Mapping[str, Any], lang: str) -> dict[str, Any]:
    rule = thresholds.get(h.key)
    value = headline_value(metrics, h.key)
    prev = headline_value(previous, h.key) if previous else None
    delta, delta_class = delta_text(value, prev, h.unit, rule["better"] if rule else None, lang)
    breaches, high = _breaches(h, metrics, _rule_counts(metrics), lang)
    return {"key": h.key, "label": TEXT[lang][h.key], "value": fmt(value, h.unit),
            "status": light(value, rule, high), "target": target_text(rule, h.unit, lang),
            "breaches": breaches, "high": high,
            "groups": _group_names(metrics, h.groups, lang) if h.groups else "",
            "delta": delta, "delta_class": delta_class}


def _predicted(a: Mapping[str, Any], lang: str) -> str:
    """The analysis's predictions, said apart from its findings ("" without any)."""
    pred = a.get("predictions") or {}
    n = int(pred.get("findings") or 0)
    if not n:
        return ""
    rules = [RULES[r] for r in pred.get("rules") or [] if r in RULES]
    what = ("、" if lang == "zh" else ", ").join(
        (r.title_zh if lang == "zh" else r.title_en.lower()) for r in rules)
    return TEXT[lang]["predicted"].format(n=f"{n:,}", what=what)


def evaluated(metrics: Mapping[str, Any], analysis: str) -> bool:
    """Whether ``analysis`` ran and judged something: not when it did not run, nor when
    its own metrics say ``evaluated: false`` (marketing on a source without its tables).
    """
    a = (metrics.get("analyses") or {}).get(analysis)
    return a is not None and (a.get("headline") or {}).get("evaluated") is not False


def _why_not(headline: Mapping[str, Any], lang: str) -> str:
    """The analysis's own note on why it was not evaluated, without a leading
    "未评估：" (the panel says that already), or the dashboard's generic one.
    """
    note = headline.get("note")
    text = str(note.get(lang) or "") if isinstance(note, Mapping) else str(note or "")
    text = re.sub(r"^(未评估[：:]\s*|not evaluated[:：]\s*)", "", text, flags=re.I).strip()
    return text[:1].upper() + text[1:] if text else TEXT[lang]["not_evaluated_source"]


def _panel(analysis: str, metrics: Mapping[str, Any], previous: Mapping[str, Any] | None,
           thresholds: Mapping[str, Any], lang: str) -> dict[str, Any]:
    t = TEXT[lang]
    a = (metrics.get("analyses") or {}).get(analysis)
    off = {"analysis": analysis, "title": _title(analysis, lang), "evaluated": False}
    if a is None:  # not run: no conclusion, and no link to a report that does not exist
        return {**off, "report": False, "note": t["not_evaluated_note"]}
    if not evaluated(metrics, analysis):  # ran, judged nothing: its report says why
        return {**off, "report": True, "note": _why_not(a.get("headline") or {}, lang)}
    heads = [_headline_row(h, metrics, previous, thresholds, lang)
             for h in HEADLINES.get(analysis, ())]
    problems = a.get("violations") or {"findings": a["findings"], "by_severity": a["by_severity"]}
    severities = " · ".join(f"{SEVERITY_LABELS[lang][s]} {problems['by_severity'].get(s, 0):,}"
                            for s in SEVERITIES)
    totals = t["totals"].format(n=f"{problems['findings']:,}", severities=severities)
    amounts = a.get("money") or {}
    money = [f"{MONEY_KIND_LABELS[lang][k]} {fmt(amounts[k], 'cny')}"
             for k in money_kinds([analysis]) if k in amounts]
    return {"analysis": analysis, "title": _title(analysis, lang), "evaluated": True,
            "headlines": heads, "totals": " · ".join([totals, *money]),
            "predicted": _predicted(a, lang), "note": t.get(f"{analysis}.note", "")}


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


# ------------------------------------------------------------------ tables
def _league_rows(subs: Sequence[Mapping[str, Any]], analyses: Sequence[str],
                 kinds: Sequence[str], lang: str) -> list[dict[str, Any]]:
    rows = []
    for s in subs[:20]:
        group_level = s["subsidiary_id"] == NO_SUBSIDIARY
        who = (TEXT[lang]["group_level"] if group_level
               else " ".join(x for x in (s.get("name"), s["subsidiary_id"]) if x))
        money = s.get("money") or {}
        rows.append({**s, "who": who, "book": "group" if group_level else s["subsidiary_id"],
                     "counts": {a: s.get(a, 0) for a in analyses},
                     "amounts": [fmt(money.get(k, 0.0), "cny") for k in kinds]})
    return rows


def _rule_key(r: Mapping[str, Any]) -> tuple[Any, ...]:
    """Rules table order: violations before predictions; worst severity; money
    (overcharge, benefit, exposure, discount in turn: never added); high-severity
    findings; findings; code.
    """
    by = r.get("by_severity") or {}
    worst = next((i for i, s in enumerate(SEVERITIES) if by.get(s)), len(SEVERITIES))
    money = [-(r.get("amount_cny") or 0.0) if r.get("amount_kind") == k else 0.0
             for k in (*CONSUMER_HARM, "exposure", "discount")]
    return (r["rule"] in PREDICTION_RULES, worst, *money, -int(by.get("high", 0)),
            -r["findings"], r["rule"])


def _rule_rows(rules: Sequence[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    rows = []
    for r in sorted(rules, key=_rule_key):
        rule = RULES.get(r["rule"])
        by = r.get("by_severity") or {}
        rows.append({
            **r,
            "title": (rule.title_zh if lang == "zh" else rule.title_en) if rule else r["rule"],
            "analysis": _title(r["analysis"], lang),
            "basis": legal_basis(rule.legal_basis, lang) if rule else "",
            "money": money_text(r.get("amount_cny"), r.get("amount_kind"),
                                in_total=r.get("in_total", True), lang=lang, decimals=0),
            "severities": " · ".join(f"{SEVERITY_LABELS[lang][s]} {int(by.get(s, 0)):,}"
                                     for s in SEVERITIES if by.get(s)),
            "prediction": r["rule"] in PREDICTION_RULES,
        })
    return rows


# ------------------------------------------------------------------ rendering
def _trends(history: Sequence[Mapping[str, Any]], analyses: Sequence[str],
            lang: str) -> list[dict[str, Any]]:
    """One small chart per headline of the analyses that ran; none with one period."""
    if len(history) < 2:
        return []
    labels = [m["period"]["label"] for m in history]
    out = []
    for h in (h for a in analyses for h in HEADLINES.get(a, ())):
        fig = trend_figure(labels, [headline_value(m, h.key) for m in history], h.unit,
                           TEXT[lang][h.key])
        out.append({"key": h.key, "title": TEXT[lang][h.key],
                    "html": plotly_html(fig, first=not out)})
    return out


@cache
def _template() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("workbench.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, keep_trailing_newline=True)
    env.filters["num"] = lambda v: f"{v:,}"
    env.filters["cny"] = lambda v: fmt(v, "cny")
    return env.get_template(TEMPLATE)


def _top(metrics: Mapping[str, Any], lang: str) -> dict[str, Any]:
    items = metrics.get("top_findings") or []
    return {"items": [top_text.describe(i, lang) for i in items[:TOP_N]],
            "others": top_text.others(items, lang)}


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
        The analyses that ran (shown in report order; the others of
        :data:`workbench.contract.ANALYSES`, and one whose metrics say
        ``evaluated: false``, read "not evaluated": no lights, no league column, no
        trend).
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
    ran = [a for a in ANALYSES if a in analyses]
    thresholds = load_thresholds() if thresholds is None else thresholds
    history = list(history) if history else [metrics]
    prev_label = period.previous().label
    previous = next((m for m in history if m["period"]["label"] == prev_label), None)
    shown = {**metrics, "analyses": {a: v for a, v in (metrics.get("analyses") or {}).items()
                                     if a in ran}}
    judged = [a for a in ran if evaluated(shown, a)]  # league columns and trends
    panels = [_panel(a, shown, previous, thresholds, lang) for a in ANALYSES]
    lights = [h["status"] for p in panels if p["evaluated"] for h in p["headlines"]]
    subs = metrics.get("subsidiaries") or []
    kinds = money_kinds(ran)
    rules = _rule_rows(metrics.get("rules") or [], lang)
    trends = _trends(history, judged, lang)
    league_fig = (plotly_html(league_figure(subs, kinds, lang, NO_SUBSIDIARY), first=not trends)
                  if subs and set(CONSUMER_HARM) & set(kinds) else "")
    return _template().render(
        t=t, lang=lang, fonts=Markup(CJK_FONT_STACK), colors=LIGHT_COLORS, period=period,
        dates=f"{period.start_date.isoformat()} {t['to']} {period.last_day.isoformat()}",
        status_line=t["status_line"].format(g=lights.count("green"), a=lights.count("amber"),
                                            r=lights.count("red")),
        top=_top(metrics, lang), panels=panels, trends=trends, analyses=ran, judged=judged,
        titles={a: _title(a, lang) for a in ran},
        money=_money_cards(metrics, rules, kinds, lang),
        kinds=[MONEY_KIND_LABELS[lang][k] for k in kinds],
        league=_league_rows(subs, judged, kinds, lang), league_figure=league_fig,
        rules=rules, worklists=worklists,
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
