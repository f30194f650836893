"""Plotly figure builders for the SLA report (the notebook only shows them).

No personal identifiers: the worklist shows complaint ids and subsidiaries, never
customer ids or names.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

__all__ = [
    "adherence_bars",
    "adherence_heatmap",
    "km_curves",
    "monthly_trend_figure",
    "recurring_figure",
    "worklist_figure",
]


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def adherence_heatmap(by_subsidiary: pl.DataFrame) -> go.Figure:
    """Adherence per target × subsidiary; each cell shows the rate, its Wilson interval and n."""
    df = by_subsidiary.sort("target", "subsidiary_id")
    targets = df["target"].unique(maintain_order=True).to_list()
    subs = sorted(df["subsidiary_id"].unique().to_list())
    lookup = {(r["target"], r["subsidiary_id"]): r for r in df.iter_rows(named=True)}
    z, text = [], []
    for t in targets:
        zr, tr = [], []
        for s in subs:
            r = lookup.get((t, s))
            zr.append(None if r is None else r["adherence"])
            tr.append(
                ""
                if r is None
                else f"{_pct(r['adherence'])}<br>[{_pct(r['ci_low'])}–{_pct(r['ci_high'])}]<br>n={r['judged']}"
            )
        z.append(zr)
        text.append(tr)
    fig = go.Figure(
        go.Heatmap(
            z=z, x=subs, y=targets, text=text, texttemplate="%{text}", colorscale="RdYlGn", zmin=0.8, zmax=1.0,
            colorbar={"title": "adherence", "tickformat": ".0%"},
            hovertemplate="target %{y}<br>subsidiary %{x}<br>%{text}<extra></extra>",
        )
    )
    fig.update_layout(
        title="各子公司时效达成率 · SLA adherence by target and subsidiary (95% Wilson interval)",
        xaxis={"title": "subsidiary", "type": "category"},
        yaxis={"title": "target"},
    )
    return fig


def adherence_bars(by_dimension: pl.DataFrame, dimension: str) -> go.Figure:
    """Adherence per group of ``dimension`` for each target, with Wilson error bars."""
    df = by_dimension.filter(pl.col("dimension") == dimension).sort("target", "group")
    fig = go.Figure()
    for (target,), part in df.group_by(["target"], maintain_order=True):
        fig.add_bar(
            name=str(target),
            x=part["group"].to_list(),
            y=part["adherence"].to_list(),
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (part["ci_high"] - part["adherence"]).to_list(),
                "arrayminus": (part["adherence"] - part["ci_low"]).to_list(),
            },
            customdata=part.select("judged", "breached").to_numpy(),
            hovertemplate="%{x}: %{y:.1%} (n=%{customdata[0]}, breached %{customdata[1]})<extra>" + str(target) + "</extra>",
        )
    fig.update_layout(
        barmode="group",
        title=f"按{dimension}的时效达成率 · Adherence by {dimension} (95% Wilson interval)",
        yaxis={"title": "adherence", "tickformat": ".0%", "range": [0, 1.02]},
        xaxis={"title": dimension, "type": "category"},
    )
    return fig


def monthly_trend_figure(monthly: pl.DataFrame) -> go.Figure:
    """Adherence per target by month of receipt, with Wilson error bars."""
    fig = go.Figure()
    for (target,), part in monthly.sort("target", "month").group_by(["target"], maintain_order=True):
        fig.add_scatter(
            name=str(target),
            x=part["month"].to_list(),
            y=part["adherence"].to_list(),
            mode="lines+markers",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (part["ci_high"] - part["adherence"]).to_list(),
                "arrayminus": (part["adherence"] - part["ci_low"]).to_list(),
            },
        )
    fig.update_layout(
        title="月度时效达成率 · Monthly adherence by target (month of receipt)",
        yaxis={"title": "adherence", "tickformat": ".0%"},
        xaxis={"title": "month received"},
    )
    return fig


def km_curves(curves: pl.DataFrame, group: str = "severity") -> go.Figure:
    """Kaplan–Meier share of complaints still unresolved vs days on the resolution clock."""
    fig = go.Figure()
    for (value,), part in curves.sort(group, "time").group_by([group], maintain_order=True):
        days = [0.0, *(part["time"] / 24).to_list()]
        surv = [1.0, *part["survival"].to_list()]
        fig.add_scatter(name=str(value), x=days, y=surv, mode="lines", line_shape="hv")
    fig.add_vline(x=15, line_dash="dot", annotation_text="15 days")
    fig.add_vline(x=3, line_dash="dot", annotation_text="72 h (critical)")
    fig.update_layout(
        title="办结时间生存曲线 · Kaplan–Meier: share still unresolved (net of customer waits)",
        xaxis={"title": "days on the resolution clock"},
        yaxis={"title": "share unresolved", "tickformat": ".0%", "range": [0, 1.02]},
    )
    return fig


def worklist_figure(worklist: pl.DataFrame, threshold: float) -> go.Figure:
    """The breach-risk worklist as a table: complaint id, subsidiary, severity, channel, age, probability."""
    df = worklist.sort("probability", descending=True)
    fig = go.Figure(
        go.Table(
            header={"values": ["complaint_id", "subsidiary", "severity", "channel", "age (days)", "P(breach)"]},
            cells={
                "values": [
                    df["complaint_id"].to_list(),
                    df["subsidiary_id"].to_list(),
                    df["severity"].to_list(),
                    df["channel"].to_list(),
                    (df["age_h"] / 24).round(1).to_list(),
                    [f"{p:.0%}" for p in df["probability"].to_list()],
                ]
            },
        )
    )
    fig.update_layout(title=f"预计超时的在办投诉 · Open complaints with P(breach) ≥ {threshold:.0%} ({df.height})")
    return fig


def recurring_figure(rates: pl.DataFrame, top: int = 15) -> go.Figure:
    """Root-cause rate per subsidiary against the rest of the group, flagged pairs highlighted."""
    df = rates.sort(["flagged", "q_value"], descending=[True, False], nulls_last=True).head(top)
    labels = [f"{s} · {c}" for s, c in zip(df["subsidiary_id"].to_list(), df["root_cause"].to_list(), strict=True)]
    fig = go.Figure()
    fig.add_bar(
        name="subsidiary rate",
        x=labels,
        y=df["rate"].to_list(),
        marker_color=["crimson" if f else "steelblue" for f in df["flagged"].to_list()],
        customdata=df.select("count", "n", "q_value").to_numpy(),
        hovertemplate="%{x}: %{y:.1%} (%{customdata[0]}/%{customdata[1]}, q=%{customdata[2]:.3g})<extra></extra>",
    )
    fig.add_scatter(name="rest of group", x=labels, y=df["rest_rate"].to_list(), mode="markers", marker_symbol="line-ew-open", marker_size=24)
    fig.update_layout(
        title="反复出现的根本原因 · Root causes: subsidiary rate vs rest of group (red = flagged)",
        yaxis={"title": "share of complaints with a known cause", "tickformat": ".0%"},
    )
    return fig
