"""Plotly figure builders for the SLA report (the notebook only shows them).

No personal identifiers: the worklist shows complaint ids and subsidiaries, never
customer ids or names.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
import polars as pl

__all__ = [
    "adherence_bars",
    "adherence_heatmap",
    "calibration_figure",
    "km_curves",
    "monthly_trend_figure",
    "pareto_figure",
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
                else f"{_pct(r['adherence'])}<br>[{_pct(r['ci_low'])}–{_pct(r['ci_high'])}]"
                f"<br>n={r['judged']}"
            )
        z.append(zr)
        text.append(tr)
    fig = go.Figure(
        go.Heatmap(
            z=z, x=subs, y=targets, text=text, texttemplate="%{text}", colorscale="RdYlGn",
            zmin=0.8, zmax=1.0,
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
            hovertemplate="%{x}: %{y:.1%} (n=%{customdata[0]}, breached %{customdata[1]})"
            f"<extra>{target}</extra>",
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
    by_target = monthly.sort("target", "month").group_by(["target"], maintain_order=True)
    for (target,), part in by_target:
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


def km_curves(curves: pl.DataFrame, group: str = "severity") -> go.Figure:
    """Kaplan–Meier share of complaints still unresolved vs days on the resolution clock,
    one curve per value of ``group`` with its log(−log) Greenwood 95 % band (shaded);
    at most :data:`KM_MAX_STEPS` steps drawn per curve (:func:`km_steps`).
    """
    fig = go.Figure()
    from plotly.colors import hex_to_rgb
    from plotly.colors import qualitative as _q

    by_group = curves.sort(group, "time").group_by([group], maintain_order=True)
    for i, ((value,), full) in enumerate(by_group):
        part = km_steps(full)
        colour = _q.Plotly[i % len(_q.Plotly)]
        band = "rgba({},{},{},0.15)".format(*hex_to_rgb(colour))
        days = [0.0, *(part["time"] / 24).to_list()]
        surv = [1.0, *part["survival"].to_list()]
        fig.add_scatter(x=days, y=[1.0, *part["ci_high"].to_list()], mode="lines",
                        line_shape="hv", line={"width": 0, "color": colour}, showlegend=False,
                        legendgroup=str(value), hoverinfo="skip")
        fig.add_scatter(x=days, y=[1.0, *part["ci_low"].to_list()], mode="lines",
                        line_shape="hv", fill="tonexty", fillcolor=band,
                        line={"width": 0, "color": colour}, showlegend=False,
                        legendgroup=str(value), hoverinfo="skip")
        fig.add_scatter(name=str(value), x=days, y=surv, mode="lines", line_shape="hv",
                        legendgroup=str(value), line={"color": colour})
    fig.add_vline(x=15, line_dash="dot", annotation_text="15 days")
    fig.add_vline(x=3, line_dash="dot", annotation_text="72 h (critical)")
    fig.update_layout(
        title=f"办结时间生存曲线 · Kaplan–Meier by {group}: share still unresolved "
        "(net of customer waits; open = censored)",
        xaxis={"title": "days on the resolution clock"},
        yaxis={"title": "share unresolved", "tickformat": ".0%", "range": [0, 1.02]},
    )
    return fig


def worklist_figure(worklist: pl.DataFrame, threshold: float) -> go.Figure:
    """The breach-risk worklist as a table.

    Complaint id, subsidiary, severity, channel, age and probability (no personal data).
    """
    df = worklist.sort("probability", descending=True)
    fig = go.Figure(
        go.Table(
            header={"values": ["complaint_id", "subsidiary", "severity", "channel",
                               "age (days)", "P(breach)"]},
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
    fig.update_layout(
        title=f"预计超时的在办投诉 · Open complaints with P(breach) ≥ {threshold:.0%} ({df.height})"
    )
    return fig


def calibration_figure(
    reliability: pl.DataFrame,
    metrics: Mapping[str, object] | None = None,
    holdout: pl.DataFrame | None = None,
) -> go.Figure:
    """Reliability diagram of the breach-risk model out of time: observed breach rate
    (Wilson 95 % interval) against mean predicted probability in equal-count bins of the
    prediction (:func:`workbench.sla._risk_model.reliability_table`), for the model
    fitted before the split on the complaints received after it; the diagonal is perfect
    calibration. The title gives the Brier skill score against the base rate.
    """
    fig = go.Figure()
    fig.add_scatter(name="perfect calibration", x=[0, 1], y=[0, 1], mode="lines",
                    line={"dash": "dot", "color": "grey"})
    m = metrics or {}
    title = "校准图 · Calibration of P(breach resolution) on a later period than the fit"
    if m.get("brier_oot") is not None:
        title += (f" — Brier {m['brier_oot']} vs {m.get('brier_climatology_oot')} for the base "
                  f"rate (skill {m.get('brier_skill_oot')}), ROC AUC {m.get('roc_auc_oot')}")
    if reliability.height:
        g = reliability
        fig.add_scatter(
            name="observed (Wilson 95 %)",
            x=g["predicted"].to_list(),
            y=g["observed"].to_list(),
            mode="markers+lines",
            error_y={"type": "data", "symmetric": False,
                     "array": (g["upper"] - g["observed"]).to_list(),
                     "arrayminus": (g["observed"] - g["lower"]).to_list()},
            customdata=np.stack([g["n"].to_numpy(), g["breached"].to_numpy()], axis=1),
            hovertemplate="predicted %{x:.1%}, observed %{y:.1%} "
            "(%{customdata[1]:.0f}/%{customdata[0]:.0f})<extra></extra>",
        )
        if holdout is not None and holdout.height:
            fig.add_histogram(name="predictions", x=holdout["probability"].to_list(),
                              yaxis="y2", opacity=0.3,
                              xbins={"start": 0, "end": 1, "size": 0.05}, marker_color="grey")
    else:
        title += " — not evaluated (one class only)"
    fig.update_layout(
        title=title,
        xaxis={"title": "predicted probability", "range": [0, 1], "tickformat": ".0%"},
        yaxis={"title": "observed share breached", "range": [0, 1], "tickformat": ".0%"},
        yaxis2={"title": "landmark rows", "overlaying": "y", "side": "right",
                "showgrid": False},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def pareto_figure(table: pl.DataFrame, cols: int = 3) -> go.Figure:
    """Pareto chart per subsidiary: root-cause counts (bars, vital few darker) and the
    cumulative share (line, right axis) with the 80 % line.
    """
    from plotly.subplots import make_subplots

    subs = table["subsidiary_id"].unique().sort().to_list() if table.height else []
    rows = max(1, -(-len(subs) // cols))
    fig = make_subplots(
        rows=rows, cols=cols, subplot_titles=subs or ["no root cause known"],
        specs=[[{"secondary_y": True}] * cols for _ in range(rows)], vertical_spacing=0.25,
        horizontal_spacing=0.08,
    )
    for i, s in enumerate(subs):
        r, c = i // cols + 1, i % cols + 1
        part = table.filter(pl.col("subsidiary_id") == s).sort("rank")
        fig.add_bar(
            x=part["root_cause"].to_list(), y=part["count"].to_list(), showlegend=False,
            row=r, col=c,
            marker_color=["#1f4e79" if v else "#9dc3e6" for v in part["vital_few"].to_list()],
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
        fig.add_scatter(
            x=part["root_cause"].to_list(), y=part["cumulative_share"].to_list(),
            mode="lines+markers",
            showlegend=False, line={"color": "crimson"}, row=r, col=c, secondary_y=True,
            hovertemplate="cumulative %{y:.0%}<extra></extra>",
        )
        fig.add_hline(y=0.8, line_dash="dot", line_color="grey", row=r, col=c, secondary_y=True)
        fig.update_yaxes(range=[0, 1.02], tickformat=".0%", row=r, col=c, secondary_y=True)
    fig.update_xaxes(tickangle=45, tickfont={"size": 8})
    fig.update_layout(
        title="根本原因帕累托图 · Pareto of root causes by subsidiary (complaints received in the "
        "period, cause known; dark = vital few to 80 %)",
        height=380 * rows,
    )
    return fig


def recurring_figure(
    volumes: pl.DataFrame, causes: pl.DataFrame, threshold: float, top: int = 8
) -> go.Figure:
    """Monthly share of each (subsidiary, root cause) that exceeded the threshold at some
    month: flagged pairs (volume did not fall) in red, others grey; threshold dotted.
    """
    fig = go.Figure()
    trig = causes.filter(pl.col("trigger_month").is_not_null()).sort(
        ["flagged", "share_after"], descending=[True, True], nulls_last=True
    ).head(top)
    for r in trig.iter_rows(named=True):
        part = volumes.filter(
            (pl.col("subsidiary_id") == r["subsidiary_id"])
            & (pl.col("root_cause") == r["root_cause"])
        ).sort("month")
        fig.add_scatter(
            name=f"{r['subsidiary_id']} · {r['root_cause']}"
            + (" (flagged)" if r["flagged"] else ""),
            x=part["month"].to_list(), y=part["share"].to_list(), mode="lines+markers",
            line={"color": "crimson" if r["flagged"] else "lightgrey"},
            customdata=part.select("count", "n").to_numpy(),
            hovertemplate="%{x|%Y-%m}: %{y:.0%} (%{customdata[0]}/%{customdata[1]})<extra></extra>",
        )
        fig.add_vline(x=r["trigger_month"], line_dash="dash",
                      line_color="crimson" if r["flagged"] else "lightgrey")
    fig.add_hline(y=threshold, line_dash="dot", annotation_text=f"threshold {threshold:.0%}")
    fig.update_layout(
        title="反复出现的根本原因 · Causes that exceeded the threshold: monthly share of the "
        "subsidiary's complaints (dashed = trigger month)",
        yaxis={"title": "share of complaints with a known cause", "tickformat": ".0%"},
        xaxis={"title": "month received"},
    )
    return fig
