"""The dashboard's charts: one small trend chart per headline, and the league chart.

Titles are HTML headings above each chart (not plotly titles, which run under the
toolbar on a narrow screen) and the toolbar is off: the dashboard is read, not
explored. Axes carry their unit: %, ¥ with thousands separators, whole counts —
never plotly's SI suffixes ("11.2095k").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from markupsafe import Markup

from workbench.labels import MONEY_KIND_LABELS
from workbench.notebook import CJK_FONT_STACK

__all__ = ["AXIS_FORMATS", "KIND_COLORS", "league_figure", "plotly_html", "short_name",
           "trend_figure"]

KIND_COLORS = {"overcharge": "#1f3a5f", "benefit": "#c5862b", "exposure": "#5f6368",
               "discount": "#80868b"}
#: Axis and hover formats per headline unit (d3 formats: thousands separators, no SI).
AXIS_FORMATS: dict[str, dict[str, str]] = {
    "share": {"tickformat": ".1f", "ticksuffix": "%", "hover": "%{y:.1f}%"},
    "cny": {"tickformat": ",.0f", "tickprefix": "¥", "hover": "¥%{y:,.0f}"},
    "count": {"tickformat": ",d", "hover": "%{y:,.0f}"},
}
_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司")


def plotly_html(fig: go.Figure, *, first: bool) -> Markup:
    """A figure as an HTML fragment (plotly.js inline with the first figure only)."""
    return Markup(pio.to_html(
        fig, include_plotlyjs=first, include_mathjax=False, full_html=False,
        config={"displaylogo": False, "displayModeBar": False, "responsive": True},
        default_width="100%",
    ))


def trend_figure(labels: Sequence[str], values: Sequence[float | None], unit: str,
                 name: str) -> go.Figure:
    """One headline over the periods, its axis in the headline's unit."""
    fmt = AXIS_FORMATS[unit]
    ys = [None if v is None else v * 100 for v in values] if unit == "share" else list(values)
    fig = go.Figure(go.Scatter(
        x=list(labels), y=ys, mode="lines+markers", name=name, line={"color": "#1f3a5f"},
        hovertemplate="%{x}: " + fmt["hover"] + "<extra></extra>", showlegend=False))
    fig.update_layout(height=190, template="plotly_white",
                      margin={"t": 10, "l": 10, "r": 10, "b": 30},
                      font={"family": CJK_FONT_STACK, "size": 11})
    fig.update_xaxes(type="category", range=[-0.4, len(labels) - 0.6])
    known = [v for v in ys if v is not None]
    if unit == "count" and (max(known, default=0) < 10):  # whole numbers: one per tick
        fig.update_yaxes(dtick=1)
    fig.update_yaxes(automargin=True, tickformat=fmt["tickformat"],
                     ticksuffix=fmt.get("ticksuffix", ""), tickprefix=fmt.get("tickprefix", ""),
                     rangemode="tozero" if unit != "share" else "normal")
    return fig


def short_name(name: str | None, fallback: str) -> str:
    """A subsidiary's name without its legal-form suffix (for chart labels)."""
    if not name:
        return fallback
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def league_figure(subs: Sequence[Mapping[str, Any]], kinds: Sequence[str],
                  lang: str, group_level: str) -> go.Figure:
    """Consumer harm per subsidiary in league order: one bar per kind, side by side
    (grouped, never stacked: the kinds are not added).
    """
    top = [s for s in subs[:20] if s["subsidiary_id"] != group_level][::-1]
    names = [short_name(s.get("name"), s["subsidiary_id"]) for s in top]
    fig = go.Figure([
        go.Bar(x=[(s.get("money") or {}).get(k, 0.0) for s in top], y=names,
               orientation="h", name=MONEY_KIND_LABELS[lang][k], marker_color=KIND_COLORS[k],
               hovertemplate="%{y}: ¥%{x:,.0f}<extra>" + MONEY_KIND_LABELS[lang][k] + "</extra>")
        for k in ("overcharge", "benefit") if k in kinds
    ])
    fig.update_layout(height=max(260, 40 * len(top) + 90), template="plotly_white",
                      font={"family": CJK_FONT_STACK}, barmode="group",
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
                      margin={"l": 10, "r": 10, "t": 30, "b": 30})
    fig.update_xaxes(tickformat=",.0f", tickprefix="¥")
    fig.update_yaxes(type="category", automargin=True)
    return fig
