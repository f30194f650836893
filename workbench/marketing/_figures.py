"""Plotly figures and the tables of the marketing report, in the report's language (the
notebook only shows them). Ids and counts only: never a message's text or a recipient.

Figures: titles, axes (with their unit), legends and hover labels via
:func:`workbench.i18n.tr` and the words of :mod:`workbench.marketing._words`; a figure
with nothing to show says so in words instead of drawing empty axes. Tables
(``*_view``): what a reader scans, the groups with findings first.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from workbench.contract import rules_for
from workbench.i18n import join_list, tr
from workbench.labels import SEVERITIES
from workbench.marketing._rules import ContentRules, Lexicon
from workbench.marketing._words import (
    BASIS,
    CHANNELS,
    CONSENT_STATES,
    KINDS,
    PURPOSES,
    REQUEST_STATES,
    word,
)

__all__ = [
    "MESSAGE_RULES",
    "absolute_terms_bar",
    "adherence_view",
    "commercial_mix",
    "consent_by_channel",
    "consent_view",
    "content_rules_view",
    "lexicon_view",
    "policy_view",
    "refusals_view",
    "requests_by_kind",
    "requests_view",
    "rules_by_subsidiary",
    "signals_view",
    "subsidiary_view",
    "worst_per_rule",
]

#: The four rules judged on each message, in the report's order.
MESSAGE_RULES: tuple[str, ...] = ("ad_unlabelled", "no_opt_out", "absolute_term",
                                  "marketing_without_consent")
_STATE_COLOURS = {"in_force": "#76b041", "withdrawn": "#8b0000", "none": "#e4572e",
                  "met": "#76b041", "overdue": "#e4572e", "running": "#9e9e9e"}


# ---------------------------------------------------------------------- figures
def _frame(fig: go.Figure, title: str, *, height: int = 420) -> go.Figure:
    """Title above the plot and clear of the toolbar, legend below it (readable on a
    phone).
    """
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 1, "yref": "paper",
               "yanchor": "bottom", "pad": {"b": 14}, "font": {"size": 16}},
        height=height, margin={"t": 84, "l": 64, "r": 24, "b": 60}, barmode="stack",
        legend={"orientation": "h", "x": 0, "y": -0.18, "yanchor": "top"},
    )
    return fig


def _nothing(fig: go.Figure, text: str) -> go.Figure:
    """Say in the plot what there is not, instead of empty axes."""
    fig.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper",
                       showarrow=False, font={"size": 14, "color": "#666"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _rule_title(code: str) -> str:
    rule = next(r for r in rules_for("marketing") if r.code == code)
    return tr(rule.title_zh, rule.title_en)


def rules_by_subsidiary(by_subsidiary: pl.DataFrame) -> go.Figure:
    """Findings per subsidiary, one colour per rule (evidences every rule at once)."""
    fig = go.Figure()
    for code in MESSAGE_RULES:
        if code in by_subsidiary.columns and by_subsidiary[code].sum():
            name = _rule_title(code)
            fig.add_bar(x=by_subsidiary["subsidiary_id"], y=by_subsidiary[code], name=name,
                        hovertemplate=tr(f"子公司 %{{x}}<br>{name}：%{{y:,}} 条<extra></extra>",
                                         f"subsidiary %{{x}}<br>{name}: %{{y:,}}<extra></extra>"))
    fig.update_yaxes(title=tr("发现数（条信息）", "findings (messages)"), tickformat=",d")
    fig.update_xaxes(title=tr("子公司", "subsidiary"), type="category")
    title = tr("各子公司的信息类发现", "Message findings by subsidiary")
    if not fig.data:
        _nothing(fig, tr("本期没有信息类发现", "No message finding in the period"))
    return _frame(fig, title)


def commercial_mix(by_channel: pl.DataFrame) -> go.Figure:
    """Messages by the sender's label and why they count as commercial (or not): bars
    side by side with their counts, so that the few service or transaction messages
    that advertise stay visible next to thousands.
    """
    fig = go.Figure()
    for basis in ("purpose", "content", "not_commercial"):
        part = (by_channel.filter(pl.col("commercial_basis") == basis)
                .group_by("purpose").agg(pl.col("messages").sum()).sort("purpose"))
        if part.height:
            name = word(BASIS, basis)
            fig.add_bar(x=[word(PURPOSES, p) for p in part["purpose"]], y=part["messages"],
                        name=name, texttemplate="%{y:,}", textposition="outside",
                        cliponaxis=False,
                        hovertemplate=tr(f"发送方标注：%{{x}}<br>{name}：%{{y:,}} 条"
                                         "<extra></extra>",
                                         f"sender's label: %{{x}}<br>{name}: %{{y:,}}"
                                         "<extra></extra>"))
    fig.update_yaxes(title=tr("信息数（条）", "messages"), tickformat=",d")
    fig.update_xaxes(title=tr("发送方的标注", "sender's label"))
    if not fig.data:
        _nothing(fig, tr("本期没有发出信息", "No message was sent in the period"))
    _frame(fig, tr("按发送方标注：哪些是商业信息", "Which messages are commercial"))
    fig.update_layout(barmode="group")
    return fig


def consent_by_channel(consent: pl.DataFrame) -> go.Figure:
    """Commercial messages per channel by the consent in force when sent."""
    fig = go.Figure()
    for state in ("in_force", "withdrawn", "none"):
        part = consent.filter(pl.col("consent_state") == state)
        if part.height:
            name = word(CONSENT_STATES, state)
            fig.add_bar(x=[word(CHANNELS, c) for c in part["channel"]], y=part["messages"],
                        name=name, marker_color=_STATE_COLOURS[state],
                        hovertemplate=tr(f"%{{x}}：{name} %{{y:,}} 条<extra></extra>",
                                         f"%{{x}}: {name} %{{y:,}}<extra></extra>"))
    fig.update_yaxes(title=tr("商业信息数（条）", "commercial messages"), tickformat=",d")
    fig.update_xaxes(title=tr("渠道", "channel"))
    if not fig.data:
        _nothing(fig, tr("本期没有商业信息", "No commercial message in the period"))
    return _frame(fig, tr("发送时的营销同意（按渠道）", "Consent when sent, by channel"))


def absolute_terms_bar(terms: pl.DataFrame, top: int = 15) -> go.Figure:
    """The absolute terms used most often in commercial messages (the terms are quoted
    as written, in Chinese, in either language).
    """
    head = terms.sort("messages", descending=True).head(top).reverse()
    fig = go.Figure()
    if head.height:
        fig.add_bar(x=head["messages"], y=head["term"], orientation="h", marker_color="#e4572e",
                    hovertemplate=tr("“%{y}”：%{x:,} 条商业信息<extra></extra>",
                                     "%{y}: %{x:,} commercial messages<extra></extra>"))
    fig.update_xaxes(title=tr("使用该用语的商业信息（条）", "commercial messages using it"),
                     tickformat=",d")
    fig.update_layout(showlegend=False)
    if not head.height:
        _nothing(fig, tr("本期商业信息没有使用绝对化用语",
                         "No commercial message used an absolute term"))
    return _frame(fig, tr("使用最多的绝对化用语", "Absolute terms used most"),
                  height=max(300, 140 + 26 * head.height))


def requests_by_kind(adherence: pl.DataFrame) -> go.Figure:
    """Requests judged in the period by kind: met, overdue, still running."""
    fig = go.Figure()
    for state in ("met", "overdue", "running"):
        if state in adherence.columns and adherence[state].sum():
            name = word(REQUEST_STATES, state)
            fig.add_bar(x=[word(KINDS, k) for k in adherence["kind"]], y=adherence[state],
                        name=name, marker_color=_STATE_COLOURS[state],
                        hovertemplate=tr(f"%{{x}}：{name} %{{y:,}} 件<extra></extra>",
                                         f"%{{x}}: {name} %{{y:,}}<extra></extra>"))
    fig.update_yaxes(title=tr("请求数（件）", "requests"), tickformat=",d")
    fig.update_xaxes(title=tr("请求类型", "kind of request"))
    if not fig.data:
        _nothing(fig, tr("本期没有需判定的请求", "No request to judge in the period"))
    return _frame(fig, tr("个人信息权利请求是否按时办结", "Requests handled in time"))


# ----------------------------------------------------------------------- tables
def subsidiary_view(by_subsidiary: pl.DataFrame) -> pl.DataFrame:
    """Per subsidiary: messages, commercial ones and each message rule's findings, the
    subsidiaries with most findings first.
    """
    rules = [c for c in MESSAGE_RULES if c in by_subsidiary.columns]
    return (by_subsidiary.select("subsidiary_id", "messages", "commercial", *rules)
            .with_columns(pl.sum_horizontal(rules).alias("findings"))
            .sort(["findings", "subsidiary_id"], descending=[True, False]))


def consent_view(consent: pl.DataFrame) -> pl.DataFrame:
    """Per channel: commercial messages by the consent in force when sent and the share
    covered by one, the channels with most messages without consent first.
    """
    counts = {s: pl.col("messages").filter(pl.col("consent_state") == s).sum()
              for s in ("in_force", "withdrawn", "none")}
    out = (consent.group_by("channel")
           .agg(pl.col("messages").sum().alias("commercial"),
                counts["in_force"].alias("in_force"), counts["withdrawn"].alias("withdrawn"),
                counts["none"].alias("never"))
           .with_columns(without_consent=pl.col("withdrawn") + pl.col("never"),
                         consent_share=pl.col("in_force") / pl.col("commercial")))
    return (out.sort(["without_consent", "channel"], descending=[True, False])
            .select("channel", "commercial", "in_force", "withdrawn", "never",
                    "consent_share"))


def signals_view(signals: pl.DataFrame, rules: ContentRules) -> pl.DataFrame:
    """The signals found in service or transaction messages judged commercial, with the
    weight each adds to a message's score (most frequent first).
    """
    weights = {s.name: s.weight for s in rules.signals} | dict(rules.derived)
    return signals.with_columns(
        pl.col("signal").replace_strict(weights, default=None, return_dtype=pl.Int64)
        .alias("weight")).select("signal", "weight", "messages")


def content_rules_view(rules: ContentRules) -> pl.DataFrame:
    """Every signal of the content rules with its weight (heaviest first)."""
    rows = [{"signal": s.name, "weight": s.weight} for s in rules.signals]
    rows += [{"signal": k, "weight": v} for k, v in rules.derived.items()]
    return (pl.DataFrame(rows, schema={"signal": pl.String, "weight": pl.Int64})
            .sort(["weight", "signal"], descending=[True, False]))


def lexicon_view(lexicon: Lexicon) -> pl.DataFrame:
    """The lexicon's entries and the source of each."""
    return pl.DataFrame([{"lexicon_entry": t.name, "source": t.why} for t in lexicon.terms],
                        schema={"lexicon_entry": pl.String, "source": pl.String})


def policy_view(policy: pl.DataFrame, requests: pl.DataFrame | None = None) -> pl.DataFrame:
    """The limits of the versions that judged the period's requests (every version
    without ``requests`` or when none was judged): one row per version and limit, the
    kinds it applies to in words (every kind: said so).
    """
    if requests is not None and requests.height:
        used = requests["policy_version"].unique().to_list()
        policy = policy.filter(pl.col("version").is_in(used))
    rows = []
    for (version, since), part in policy.group_by("version", "effective_from",
                                                  maintain_order=True):
        groups = part.group_by("clock", "limit", maintain_order=True).agg("kind")
        for clock, limit, kinds in groups.iter_rows():
            every = groups.height == 1
            rows.append({"kinds": tr("全部类型", "every kind") if every else
                         join_list(word(KINDS, k) for k in kinds),
                         "limit": limit, "clock": clock, "version": version,
                         "effective_from": since})
    schema = {"kinds": pl.String, "limit": pl.Int64, "clock": pl.String,
              "version": pl.String, "effective_from": pl.Date}
    return pl.DataFrame(rows, schema=schema).sort("effective_from", descending=True)


def adherence_view(adherence: pl.DataFrame) -> pl.DataFrame:
    """Per kind of request: due in the period (met + overdue), met, overdue, running and
    the on-time share, the kinds with most overdue first.
    """
    return (adherence.with_columns(due=pl.col("met") + pl.col("overdue"))
            .sort(["overdue", "on_time_share", "kind"], descending=[True, False, False],
                  nulls_last=True)
            .select("kind", "due", "met", "overdue", "running", "on_time_share"))


def refusals_view(refusals: pl.DataFrame) -> pl.DataFrame:
    """Refusals per kind of request, those without a reason first."""
    return refusals.sort(["without_reason", "refused", "kind"], descending=[True, True, False])


def worst_per_rule(findings: pl.DataFrame, n: int = 5) -> pl.DataFrame:
    """The ``n`` most severe findings of every rule (ties: by entity id), so that a short
    list shows every kind of problem rather than the first rule's many.
    """
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return (findings.with_columns(_rank=pl.col("severity").replace_strict(
        rank, default=len(rank), return_dtype=pl.Int64))
        .sort("_rank", "entity_id").group_by("rule", maintain_order=True).head(n)
        .drop("_rank"))


def requests_view(requests: pl.DataFrame) -> pl.DataFrame:
    """Each request judged: overdue first (most overrun first), then running, then met;
    the deadline as its last day.
    """
    rank = {"overdue": 0, "running": 1, "met": 2}
    return (requests.with_columns(
        deadline=(pl.col("deadline_at") - dt.timedelta(microseconds=1)).dt.date(),
        _rank=pl.col("state").replace_strict(rank, default=3, return_dtype=pl.Int64))
        .sort(["_rank", "overrun", "request_id"], descending=[False, True, False],
              nulls_last=True)
        .select("request_id", "subsidiary_id", "kind", "state", "received_at", "deadline",
                "completed_at", "limit", "clock", "elapsed", "overrun"))
