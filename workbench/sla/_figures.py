"""Plotly figures of the SLA report, in the report's language (the notebook only shows them).

Every title, axis, legend, hover label and category is in words of the language set
by :func:`workbench.notebook.setup` (:func:`workbench.i18n.tr`; codes through
:mod:`workbench.sla._words`), with units on the axes (%, days, complaints). Titles are
short and sit above the plot, below plotly's toolbar (:func:`_frame`); what a figure
shows in detail is said in the notebook's text. No personal identifiers: complaint
ids and subsidiaries only, never customer ids or names.

The breach-risk and root-cause figures are in :mod:`workbench.sla._figures_more`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
import polars as pl

from workbench.i18n import is_zh, tr
from workbench.sla._words import (
    COMPLAINT_SEVERITY,
    SEVERITY_ORDER,
    TARGETS_SHORT,
    group_word,
    word,
)

__all__ = [
    "KM_MAX_STEPS",
    "adherence_bars",
    "adherence_heatmap",
    "all_figures",
    "complaints_per_month",
    "km_curves",
    "km_steps",
    "monthly_trend_figure",
]

#: Colours of the complaint severities (most severe darkest red) and of the targets.
SEVERITY_COLOURS = {"critical": "#8b0000", "high": "#e4572e", "medium": "#f3a712",
                    "low": "#76b041"}
TARGET_COLOURS = {"ack": "#1f77b4", "acceptance": "#ff7f0e", "resolution": "#2ca02c",
                  "mediation": "#9467bd", "update_gap": "#8c564b"}
_TARGET_ORDER = ("ack", "acceptance", "resolution", "mediation", "update_gap")


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _n(count: Any) -> str:
    """``70 件`` / ``70 complaints``."""
    return tr(f"{int(count):,} 件", f"{int(count):,} complaints")


def _frame(fig: go.Figure, title: str, *, height: int = 440, legend: bool = True,
           bottom: int = 60) -> go.Figure:
    """A short title above the plot area, below plotly's toolbar (which sits at the
    top right of the figure), and the legend under the plot so that it never takes
    the width of a phone screen.
    """
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "xref": "paper", "y": 1,
               "yref": "paper", "yanchor": "bottom", "pad": {"b": 14}, "font": {"size": 16}},
        height=height, margin={"t": 84, "l": 64, "r": 24, "b": bottom},
        showlegend=legend,
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.16, "yanchor": "top"},
        hoverlabel={"align": "left"},
    )
    return fig


#: A month axis: dates, ticks chosen by plotly for the width (fewer on a phone).
_MONTH_AXIS = {"type": "date", "tickformat": "%Y-%m", "hoverformat": "%Y-%m"}


def _targets_in(df: pl.DataFrame) -> list[str]:
    present = set(df["target"].to_list()) if df.height else set()
    return [t for t in _TARGET_ORDER if t in present] + sorted(present - set(_TARGET_ORDER))


def complaints_per_month(monthly: pl.DataFrame) -> go.Figure:
    """Complaints received per month, stacked by complaint severity (most severe at the
    bottom): the workload the limits are judged against.
    """
    fig = go.Figure()
    months = sorted(set(monthly["month"].to_list())) if monthly.height else []
    for sev in [s for s in SEVERITY_ORDER if s in set(monthly["severity"].to_list())]:
        part = dict(monthly.filter(pl.col("severity") == sev)
                    .select("month", "complaints").iter_rows())
        fig.add_bar(name=word(COMPLAINT_SEVERITY, sev), x=months, xperiod="M1",
                    xperiodalignment="middle",
                    y=[part.get(m, 0) for m in months], marker_color=SEVERITY_COLOURS[sev],
                    hovertemplate="%{x|%Y-%m}：%{y:,} 件<extra>%{fullData.name}</extra>"
                    if is_zh() else "%{x|%Y-%m}: %{y:,} complaints<extra>%{fullData.name}</extra>")
    fig.update_layout(barmode="stack", legend_title_text=tr("投诉等级", "Severity"),
                      legend_traceorder="normal",
                      xaxis=_MONTH_AXIS,
                      yaxis={"title": tr("投诉数（件）", "Complaints"), "tickformat": ",d"})
    return _frame(fig, tr("每月收到的投诉", "Complaints received per month"))


def adherence_heatmap(by_subsidiary: pl.DataFrame) -> go.Figure:
    """Adherence per commitment × subsidiary: each cell the rate and how many were
    judged; the Wilson interval and the breaches in the hover.
    """
    df = by_subsidiary
    targets = _targets_in(df)
    subs = sorted(df["subsidiary_id"].unique().to_list()) if df.height else []
    lookup = {(r["target"], r["subsidiary_id"]): r for r in df.iter_rows(named=True)}
    z, text, hover = [], [], []
    for t in targets:
        rows = [lookup.get((t, s)) for s in subs]
        z.append([None if r is None else r["adherence"] for r in rows])
        text.append(["" if r is None or r["adherence"] is None
                     else f"{_pct(r['adherence'])}<br>{_n(r['judged'])}" for r in rows])
        hover.append(["" if r is None else tr(
            f"达成率 {_pct(r['adherence'])}（95% 区间 {_pct(r['ci_low'])}–{_pct(r['ci_high'])}）"
            f"<br>已判定 {r['judged']:,} 件，超时 {r['breached']:,} 件",
            f"adherence {_pct(r['adherence'])} (95% CI {_pct(r['ci_low'])}–"
            f"{_pct(r['ci_high'])})<br>{r['judged']:,} judged, {r['breached']:,} breached")
            for r in rows])
    fig = go.Figure(go.Heatmap(
        z=z, x=subs, y=[word(TARGETS_SHORT, t) for t in targets], text=text,
        customdata=hover, texttemplate="%{text}", colorscale="RdYlGn", zmin=0.8, zmax=1.0,
        colorbar={"title": {"text": tr("达成率", "Adherence")}, "tickformat": ".0%",
                  "thickness": 12},
        hovertemplate=tr("子公司 %{x} · %{y}<br>%{customdata}<extra></extra>",
                         "subsidiary %{x} · %{y}<br>%{customdata}<extra></extra>"),
    ))
    fig.update_layout(xaxis={"title": tr("子公司", "Subsidiary"), "type": "category"},
                      yaxis={"autorange": "reversed"})
    return _frame(fig, tr("各子公司时效达成率", "Adherence by subsidiary"), legend=False,
                  height=120 + 56 * max(1, len(targets)))


def _error(part: pl.DataFrame, rate: str = "adherence") -> dict[str, Any]:
    return {"type": "data", "symmetric": False, "thickness": 1.2, "width": 3,
            "array": (part["ci_high"] - part[rate]).to_list(),
            "arrayminus": (part[rate] - part["ci_low"]).to_list()}


def _rate_axis(df: pl.DataFrame) -> dict[str, Any]:
    """A percentage axis from a little below the lowest interval to 100 %."""
    low = df["ci_low"].drop_nulls().min() if df.height else None
    floor = 0.0 if low is None else max(0.0, float(low) - 0.05)  # type: ignore[arg-type]
    return {"title": tr("达成率（%）", "Adherence (%)"), "tickformat": ".0%",
            "range": [floor, 1.01]}


_DIMENSION_TITLES = {
    "severity": ("按投诉等级的达成率", "Adherence by complaint severity"),
    "channel": ("按投诉渠道的达成率", "Adherence by channel"),
    "category": ("按投诉类别的达成率", "Adherence by category"),
    "subsidiary_id": ("按子公司的达成率", "Adherence by subsidiary"),
}


def adherence_bars(by_dimension: pl.DataFrame, dimension: str) -> go.Figure:
    """Adherence of each commitment per group of ``dimension``: a dot per rate with its
    95 % Wilson interval (a dot, not a bar, so the axis can start near the rates).
    """
    df = by_dimension.filter((pl.col("dimension") == dimension) & (pl.col("judged") > 0))
    order = SEVERITY_ORDER if dimension == "severity" else sorted(set(df["group"].to_list()))
    groups = [g for g in order if g in set(df["group"].to_list())]
    fig = go.Figure()
    for t in _targets_in(df):
        part = df.filter(pl.col("target") == t)
        part = part.sort(pl.col("group").replace_strict(
            {g: i for i, g in enumerate(groups)}, return_dtype=pl.Int64))
        name = word(TARGETS_SHORT, t)
        fig.add_scatter(
            name=name, x=[group_word(dimension, g) for g in part["group"].to_list()],
            y=part["adherence"].to_list(), mode="markers", error_y=_error(part),
            marker={"size": 9, "color": TARGET_COLOURS.get(t)}, offsetgroup=t,
            customdata=part.select("judged", "breached", "ci_low", "ci_high").to_numpy(),
            hovertemplate=tr(
                "%{x} · " + name + "：%{y:.1%}（95% 区间 %{customdata[2]:.1%}–"
                "%{customdata[3]:.1%}）<br>已判定 %{customdata[0]:,} 件，超时 %{customdata[1]:,} 件"
                "<extra></extra>",
                "%{x} · " + name + ": %{y:.1%} (95% CI %{customdata[2]:.1%}–%{customdata[3]:.1%})"
                "<br>%{customdata[0]:,} judged, %{customdata[1]:,} breached<extra></extra>"),
        )
    zh, en = _DIMENSION_TITLES.get(dimension, (f"按{dimension}的达成率", f"Adherence by "
                                                                       f"{dimension}"))
    fig.update_layout(scattermode="group", yaxis=_rate_axis(df),
                      xaxis={"type": "category"})
    return _frame(fig, tr(zh, en), height=420, bottom=70)


def monthly_trend_figure(monthly: pl.DataFrame) -> go.Figure:
    """Adherence of each commitment by month of receipt, with 95 % Wilson intervals."""
    fig = go.Figure()
    df = monthly.filter(pl.col("judged") > 0).sort("month")
    for t in _targets_in(df):
        part = df.filter(pl.col("target") == t)
        name = word(TARGETS_SHORT, t)
        fig.add_scatter(
            name=name, x=part["month"].to_list(),
            y=part["adherence"].to_list(), mode="lines+markers", error_y=_error(part),
            line={"color": TARGET_COLOURS.get(t)},
            customdata=part.select("judged", "breached").to_numpy(),
            hovertemplate=tr("%{x|%Y-%m} · " + name + "：%{y:.1%}（已判定 %{customdata[0]:,} 件，"
                             "超时 %{customdata[1]:,} 件）<extra></extra>",
                             "%{x|%Y-%m} · " + name + ": %{y:.1%} (%{customdata[0]:,} judged, "
                             "%{customdata[1]:,} breached)<extra></extra>"),
        )
    fig.update_layout(yaxis=_rate_axis(df), xaxis=_MONTH_AXIS)
    return _frame(fig, tr("每月时效达成率", "Adherence by month"), height=420, bottom=70)


#: Steps drawn per Kaplan–Meier curve. A curve has a step per distinct resolution
#: time (a million at 1M complaints, which plotly takes a minute to validate and
#: megabytes to embed); at most this many are drawn, see :func:`km_steps`.
KM_MAX_STEPS = 1000


def km_steps(curve: pl.DataFrame, max_steps: int = KM_MAX_STEPS) -> pl.DataFrame:
    """The steps of one Kaplan–Meier curve to draw: all of them when there are at most
    ``max_steps``, else the last step in each of ``max_steps`` equal slices of the
    time axis (the curve's exact value at that time; within a slice, 1/``max_steps``
    of the axis, the drawn line can lag the true one), plus the last step: at most
    ``max_steps`` + 1 rows.

    >>> c = pl.DataFrame({"time": [float(t) for t in range(10)],
    ...                   "survival": [1 - t / 10 for t in range(10)]})
    >>> km_steps(c, 4)["time"].to_list()
    [2.0, 4.0, 6.0, 8.0, 9.0]
    """
    if curve.height <= max_steps:
        return curve
    width = float(curve["time"].max()) / max_steps
    return (
        curve.sort("time")
        .with_columns((pl.col("time") / width).floor().alias("_slice"))
        .group_by("_slice", maintain_order=True)
        .last()
        .drop("_slice")
    )


def _km_order(curves: pl.DataFrame, group: str) -> list[str]:
    values = set(curves[group].to_list()) if curves.height else set()
    if group == "severity":
        return [s for s in SEVERITY_ORDER if s in values] + sorted(values - set(SEVERITY_ORDER))
    return sorted(values)


def _limit_lines(fig: go.Figure, limits: Mapping[str, float] | None) -> None:
    """A dotted line at each distinct resolution limit, labelled with the severities
    it applies to (``办结时限 15 天（高、中、低）``).
    """
    by_days: dict[float, list[str]] = {}
    for sev in SEVERITY_ORDER:
        if limits and sev in limits:
            by_days.setdefault(float(limits[sev]), []).append(word(COMPLAINT_SEVERITY, sev))
    for i, (days, sevs) in enumerate(sorted(by_days.items())):
        who = ("、" if is_zh() else ", ").join(sevs)
        fig.add_vline(x=days, line_dash="dot", line_color="#555",
                      annotation_text=tr(f"时限 {days:g} 天（{who}）",
                                         f"limit {days:g} days ({who})"),
                      annotation_position="top right" if i % 2 == 0 else "bottom right",
                      annotation_font_size=11)


def _km_range(fig: go.Figure, curves: pl.DataFrame,
              limits: Mapping[str, float] | None) -> None:
    """Show the first twice the longest limit, where the curves fall; a long tail of a
    few complaints still open goes on to the right (zoom out to see it, as the note says).
    """
    if not limits or curves.height == 0:
        return
    longest = float(curves["time"].max()) / 24  # type: ignore[arg-type]
    shown = 2 * max(limits.values())
    if longest <= shown * 1.1:
        return
    fig.update_xaxes(range=[0, shown])
    fig.add_annotation(x=1, xref="paper", xanchor="right", y=0.08, yref="paper",
                       showarrow=False, font={"size": 11, "color": "#555"},
                       text=tr(f"最长 {longest:.0f} 天 →（缩小可见）",
                               f"longest {longest:.0f} days → (zoom out)"))


def km_curves(curves: pl.DataFrame, group: str = "severity",
              limits: Mapping[str, float] | None = None) -> go.Figure:
    """Share of complaints still unresolved against days on the resolution clock
    (Kaplan–Meier), one curve per value of ``group`` with its 95 % band (shaded), and
    a dotted line at each resolution limit (``limits``: days per complaint severity);
    at most :data:`KM_MAX_STEPS` steps drawn per curve (:func:`km_steps`).
    """
    from plotly.colors import hex_to_rgb
    from plotly.colors import qualitative as _q

    fig = go.Figure()
    for i, value in enumerate(_km_order(curves, group)):
        part = km_steps(curves.filter(pl.col(group) == value).sort("time"))
        colour = (SEVERITY_COLOURS.get(value) if group == "severity" else None) or \
            _q.Plotly[i % len(_q.Plotly)]
        band = "rgba({},{},{},0.15)".format(*hex_to_rgb(colour))
        days = [0.0, *(part["time"] / 24).to_list()]
        name = group_word(group, value) if group != "subsidiary_id" else str(value)
        for bound, fill in (("ci_high", None), ("ci_low", "tonexty")):
            fig.add_scatter(x=days, y=[1.0, *part[bound].to_list()], mode="lines",
                            line_shape="hv", line={"width": 0, "color": colour}, fill=fill,
                            fillcolor=band if fill else None, showlegend=False,
                            legendgroup=name, hoverinfo="skip")
        fig.add_scatter(
            name=name, x=days, y=[1.0, *part["survival"].to_list()], mode="lines",
            line_shape="hv", legendgroup=name, line={"color": colour},
            hovertemplate=tr("第 %{x:.1f} 天：%{y:.1%} 仍未办结<extra>" + name + "</extra>",
                             "day %{x:.1f}: %{y:.1%} still unresolved<extra>" + name
                             + "</extra>"))
    _limit_lines(fig, limits)
    _km_range(fig, curves, limits)
    title = (tr("按投诉等级：仍未办结的比例", "Still unresolved, by severity")
             if group == "severity"
             else tr("按子公司：仍未办结的比例", "Still unresolved, by subsidiary"))
    fig.update_layout(
        legend_title_text=tr("投诉等级", "Severity") if group == "severity"
        else tr("子公司", "Subsidiary"),
        xaxis={"title": tr("办结计时（天，不含等待客户的时间）",
                           "Days on the resolution clock (customer waits excluded)"),
               "rangemode": "tozero"},
        yaxis={"title": tr("仍未办结（%）", "Still unresolved (%)"), "tickformat": ".0%",
               "range": [0, 1.02]},
    )
    return _frame(fig, title, height=460, bottom=70)


def all_figures(t: Mapping[str, pl.DataFrame], risk: Any,
                params: Mapping[str, Any]) -> dict[str, go.Figure]:
    """Every figure of :func:`workbench.sla.analyze` from its tables (``t``), the
    breach-risk model and the parameters, in the current language.
    """
    from workbench.sla import _figures_more as more
    from workbench.sla._views import resolution_limits

    limits = resolution_limits(t["clocks"]) if "clocks" in t else {}
    figs = {
        "adherence_heatmap": adherence_heatmap(t["adherence_by_subsidiary"]),
        **{f"adherence_by_{d}": adherence_bars(t["adherence"], d)
           for d in ("channel", "category", "severity")},
        "monthly_trend": monthly_trend_figure(t["monthly"]),
        "km": km_curves(t["km"], "severity", limits),
        "km_subsidiary": km_curves(t["km_subsidiary"], "subsidiary_id", limits),
        "calibration": more.calibration_figure(risk.reliability, risk.metrics, risk.holdout),
        "pareto": more.pareto_figure(t["pareto"]),
        "recurring": more.recurring_figure(t["cause_months"], t["recurring"],
                                           params["recurring_threshold"]),
    }
    if t["worklist"].height and risk.threshold is not None:
        figs["worklist"] = more.worklist_figure(t["worklist"], risk.threshold)
    return figs
