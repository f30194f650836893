"""Plotly figures of the marketing report, in the report's language (the notebook only
shows them). Ids and counts only: never a message's text or a recipient.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from workbench.contract import rules_for
from workbench.i18n import tr
from workbench.marketing._words import BASIS, CHANNELS, CONSENT_STATES, KINDS, PURPOSES, word

__all__ = [
    "absolute_terms_bar",
    "commercial_mix",
    "consent_by_channel",
    "requests_by_kind",
    "rules_by_subsidiary",
]

_STATE_COLOURS = {"in_force": "#76b041", "withdrawn": "#8b0000", "none": "#e4572e",
                  "met": "#76b041", "overdue": "#e4572e", "running": "#9e9e9e"}


def _frame(fig: go.Figure, title: str, *, height: int = 420) -> go.Figure:
    """Title above the plot, legend below it (readable on a phone)."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 1, "yref": "paper",
               "yanchor": "bottom", "pad": {"b": 14}, "font": {"size": 16}},
        height=height, margin={"t": 84, "l": 64, "r": 24, "b": 60}, barmode="stack",
        legend={"orientation": "h", "x": 0, "y": -0.18, "yanchor": "top"},
    )
    return fig


def _rule_title(code: str) -> str:
    rule = next(r for r in rules_for("marketing") if r.code == code)
    return tr(rule.title_zh, rule.title_en)


def rules_by_subsidiary(by_subsidiary: pl.DataFrame) -> go.Figure:
    """Findings per subsidiary, one colour per rule (evidences every rule at once)."""
    fig = go.Figure()
    rules = [r.code for r in rules_for("marketing")]
    for code in rules:
        if code in by_subsidiary.columns:
            fig.add_bar(x=by_subsidiary["subsidiary_id"], y=by_subsidiary[code],
                        name=_rule_title(code))
    fig.update_yaxes(title=tr("发现数", "findings"))
    fig.update_xaxes(title=tr("子公司", "subsidiary"), type="category")
    return _frame(fig, tr("各子公司的营销合规发现", "Marketing findings by subsidiary"))


def commercial_mix(by_channel: pl.DataFrame) -> go.Figure:
    """Messages by the sender's label and why they count as commercial (or not)."""
    fig = go.Figure()
    for basis in ("purpose", "content", "not_commercial"):
        part = by_channel.filter(pl.col("commercial_basis") == basis)
        if part.height:
            fig.add_bar(x=[word(PURPOSES, p) for p in part["purpose"]], y=part["messages"],
                        name=word(BASIS, basis))
    fig.update_yaxes(title=tr("信息数", "messages"))
    return _frame(fig, tr("按发送方标注：哪些信息属于商业信息",
                          "Which messages are commercial, by the sender's label"))


def consent_by_channel(consent: pl.DataFrame) -> go.Figure:
    """Commercial messages per channel by the consent in force when sent."""
    fig = go.Figure()
    for state in ("in_force", "withdrawn", "none"):
        part = consent.filter(pl.col("consent_state") == state)
        if part.height:
            fig.add_bar(x=[word(CHANNELS, c) for c in part["channel"]], y=part["messages"],
                        name=word(CONSENT_STATES, state), marker_color=_STATE_COLOURS[state])
    fig.update_yaxes(title=tr("商业信息数", "commercial messages"))
    return _frame(fig, tr("发送时的营销同意（按渠道）", "Consent in force when sent, by channel"))


def absolute_terms_bar(terms: pl.DataFrame, top: int = 15) -> go.Figure:
    """The absolute terms used most often in commercial messages."""
    head = terms.sort("messages", descending=True).head(top).reverse()
    fig = go.Figure(go.Bar(x=head["messages"], y=head["term"], orientation="h",
                           marker_color="#e4572e"))
    fig.update_xaxes(title=tr("使用该用语的商业信息数", "commercial messages using the term"))
    fig.update_layout(showlegend=False)
    return _frame(fig, tr("绝对化用语", "Absolute terms used"), height=max(300, 40 + 26 * top))


def requests_by_kind(adherence: pl.DataFrame) -> go.Figure:
    """Requests judged in the period by kind: met, overdue, still running."""
    fig = go.Figure()
    for state in ("met", "overdue", "running"):
        if state in adherence.columns:
            fig.add_bar(x=[word(KINDS, k) for k in adherence["kind"]], y=adherence[state],
                        name=tr({"met": "按时办结", "overdue": "逾期",
                                 "running": "办理中（未到期）"}[state], state),
                        marker_color=_STATE_COLOURS[state])
    fig.update_yaxes(title=tr("请求数", "requests"))
    return _frame(fig, tr("个人信息权利请求的办理时限", "Personal-information requests in time"))
