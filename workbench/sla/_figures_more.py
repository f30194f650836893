"""The SLA report's breach-risk and root-cause figures, in the report's language.

Kept apart from :mod:`workbench.sla._figures` (clocks and adherence) to keep modules
short; the same conventions hold: words via :func:`workbench.i18n.tr` and
:mod:`workbench.sla._words`, units on the axes, a short title below plotly's toolbar.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import plotly.graph_objects as go
import polars as pl

from workbench.i18n import tr
from workbench.sla._figures import _frame, _pct
from workbench.sla._words import (
    CHANNELS,
    COMPLAINT_SEVERITY,
    ROOT_CAUSES,
    word,
)

__all__ = ["calibration_figure", "nice_step", "pareto_figure", "recurring_figure",
           "worklist_figure"]

VITAL, OTHER, CUMULATIVE = "#1f4e79", "#9dc3e6", "crimson"


def nice_step(top: float, ticks: int = 3) -> float:
    """A tick step of 1, 2 or 5 × 10^k that covers ``top`` in about ``ticks`` steps.

    >>> nice_step(165.8), nice_step(7), nice_step(0)
    (100.0, 5.0, 1.0)
    """
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def worklist_figure(worklist: pl.DataFrame, threshold: float) -> go.Figure:
    """The breach-risk worklist as a table: complaint id, subsidiary, severity, channel,
    days open and predicted probability (no personal data), highest probability first.
    """
    df = worklist.sort("probability", descending=True)
    head = [tr("投诉编号", "Complaint"), tr("子公司", "Subsidiary"), tr("投诉等级", "Severity"),
            tr("渠道", "Channel"), tr("已处理天数", "Days open"),
            tr("预计超时概率", "P(breach)")]
    fig = go.Figure(go.Table(
        header={"values": head, "align": "left"},
        cells={"align": "left", "values": [
            df["complaint_id"].to_list(), df["subsidiary_id"].to_list(),
            [word(COMPLAINT_SEVERITY, s) for s in df["severity"].to_list()],
            [word(CHANNELS, c) for c in df["channel"].to_list()],
            (df["age_h"] / 24).round(1).to_list(),
            [f"{p:.0%}" for p in df["probability"].to_list()],
        ]},
    ))
    return _frame(fig, tr(f"预计超时的在办投诉（{df.height} 件）",
                          f"Open complaints likely to breach ({df.height})"),
                  legend=False, height=160 + 28 * min(df.height, 15))


def _histogram(holdout: pl.DataFrame, width: float = 0.05) -> pl.DataFrame:
    """Validation rows per bin of predicted probability (``mid``, ``rows``)."""
    bins = (pl.col("probability") / width).floor().clip(0, round(1 / width) - 1)
    return (holdout.group_by(bins.alias("b")).agg(pl.len().alias("rows")).sort("b")
            .select(((pl.col("b") + 0.5) * width).alias("mid"), "rows"))


def _reliability_trace(fig: go.Figure, g: pl.DataFrame) -> None:
    fig.add_scatter(
        name=tr("实际超时比例（95% 区间）", "Observed share breached (95% CI)"),
        x=g["predicted"].to_list(), y=g["observed"].to_list(), mode="markers+lines",
        marker={"size": 8, "color": "#1f77b4"},
        error_y={"type": "data", "symmetric": False, "thickness": 1.2,
                 "array": (g["upper"] - g["observed"]).to_list(),
                 "arrayminus": (g["observed"] - g["lower"]).to_list()},
        customdata=g.select("n", "breached").to_numpy(),
        hovertemplate=tr("预计 %{x:.1%}，实际 %{y:.1%}（%{customdata[1]:,}/%{customdata[0]:,}）"
                         "<extra></extra>",
                         "predicted %{x:.1%}, observed %{y:.1%} (%{customdata[1]:,}/"
                         "%{customdata[0]:,})<extra></extra>"))


def calibration_figure(
    reliability: pl.DataFrame,
    metrics: Mapping[str, object] | None = None,
    holdout: pl.DataFrame | None = None,
) -> go.Figure:
    """Does "30 % likely to breach" mean 30 % breached? Observed share breached (Wilson
    95 % interval) against mean predicted probability in equal-count bins, for the
    model fitted before the split, on complaints received after it; the diagonal is a
    perfect match. Grey bars (right axis): how many validation rows each probability
    range holds, on an axis whose ticks are round numbers. The model's scores (Brier,
    AUC) are in the report's text and details, not in the title.
    """
    fig = go.Figure()
    fig.add_scatter(name=tr("完全一致", "Perfect match"), x=[0, 1], y=[0, 1], mode="lines",
                    line={"dash": "dot", "color": "grey"}, hoverinfo="skip")
    if holdout is not None and holdout.height and reliability.height:
        h = _histogram(holdout)
        top = float(h["rows"].max())  # type: ignore[arg-type]
        step = nice_step(top)
        ticks = [step * k for k in range(int(top // step) + 2) if step * k <= top + step]
        fig.add_bar(name=tr("检验样本数（右轴）", "Validation rows (right axis)"),
                    x=h["mid"].to_list(), y=h["rows"].to_list(), width=0.045, yaxis="y2",
                    marker_color="rgba(128,128,128,0.3)",
                    hovertemplate=tr("预计 %{x:.0%} 左右：%{y:,} 个样本<extra></extra>",
                                     "predicted about %{x:.0%}: %{y:,} rows<extra></extra>"))
        fig.update_layout(yaxis2={
            "title": tr("检验样本数", "Validation rows"), "overlaying": "y", "side": "right",
            "showgrid": False, "range": [0, ticks[-1] * 3], "tickvals": ticks,
            "tickformat": ",d", "rangemode": "tozero"})
    if reliability.height:
        _reliability_trace(fig, reliability)
    else:
        fig.add_annotation(text=tr("未评估：检验期的结果只有一类",
                                   "Not evaluated: one outcome only"),
                           x=0.5, y=0.5, showarrow=False, font={"size": 14})
    fig.update_layout(
        xaxis={"title": tr("预计超时概率（%）", "Predicted probability of breach (%)"),
               "range": [0, 1], "tickformat": ".0%"},
        yaxis={"title": tr("实际超时比例（%）", "Observed share breached (%)"), "range": [0, 1],
               "tickformat": ".0%"},
        margin_r=70,
    )
    _frame(fig, tr("预测概率与实际结果（检验期）", "Predicted vs observed (validation)"),
           height=460, bottom=70)
    fig.update_layout(margin_r=70)
    return fig


def _pareto_rows(table: pl.DataFrame, subsidiary: str, top: int) -> pl.DataFrame:
    """One subsidiary's causes, largest first; beyond ``top`` pooled as "other causes"."""
    part = table.filter(pl.col("subsidiary_id") == subsidiary).sort("rank")
    if part.height <= top:
        return part
    rest = part.slice(top)
    other = pl.DataFrame({
        "subsidiary_id": [subsidiary], "rank": [top + 1],
        "root_cause": [f"__other__{rest.height}"],
        "count": [int(rest["count"].sum())], "share": [float(rest["share"].sum())],
        "cumulative_share": [1.0], "vital_few": [False],
    }, schema=part.schema)
    return pl.concat([part.head(top), other])


def _cause(code: str) -> str:
    if code.startswith("__other__"):
        k = code.removeprefix("__other__")
        return tr(f"其他 {k} 类", f"{k} others")
    return word(ROOT_CAUSES, code)


def _pareto_panel(fig: go.Figure, part: pl.DataFrame, r: int, c: int, first: bool) -> None:
    names = [_cause(x) for x in part["root_cause"].to_list()]
    custom = part.select("share", "cumulative_share").to_numpy()
    for vital in (True, False):
        mask = [bool(v) == vital for v in part["vital_few"].to_list()]
        fig.add_bar(
            x=[n for n, m in zip(names, mask, strict=True) if m],
            y=[v for v, m in zip(part["count"].to_list(), mask, strict=True) if m],
            customdata=[row for row, m in zip(custom, mask, strict=True) if m],
            marker_color=VITAL if vital else OTHER, row=r, col=c, legendgroup=str(vital),
            name=tr("关键少数（累计至 80%）", "Vital few (to 80%)") if vital
            else tr("其余原因", "Other causes"), showlegend=first,
            hovertemplate=tr("%{x}：%{y:,} 件（%{customdata[0]:.1%}），累计 %{customdata[1]:.0%}"
                             "<extra></extra>",
                             "%{x}: %{y:,} (%{customdata[0]:.1%}), cumulative "
                             "%{customdata[1]:.0%}<extra></extra>"))
    fig.add_scatter(x=names, y=part["cumulative_share"].to_list(), mode="lines+markers",
                    line={"color": CUMULATIVE}, marker={"size": 5}, row=r, col=c,
                    secondary_y=True, name=tr("累计占比（右轴）", "Cumulative share (right axis)"),
                    legendgroup="cum", showlegend=first,
                    hovertemplate=tr("累计 %{y:.0%}<extra></extra>",
                                     "cumulative %{y:.0%}<extra></extra>"))
    fig.add_hline(y=0.8, line_dash="dot", line_color="grey", row=r, col=c, secondary_y=True)
    fig.update_yaxes(range=[0, 1.05], tickvals=[0, 0.25, 0.5, 0.75, 1.0], tickformat=".0%",
                     row=r, col=c, secondary_y=True, showgrid=False)
    fig.update_yaxes(tickformat=",d", row=r, col=c, secondary_y=False, rangemode="tozero")
    fig.update_xaxes(categoryorder="array", categoryarray=names, row=r, col=c)


def pareto_figure(table: pl.DataFrame, cols: int = 2, top: int = 8) -> go.Figure:
    """Pareto chart per subsidiary: its ``top`` root causes of the period (the rest
    pooled), largest first, dark up to the cumulative 80 % ("vital few"), with the
    cumulative share on a right axis that ends at 100 %.
    """
    from plotly.subplots import make_subplots

    subs = table["subsidiary_id"].unique().sort().to_list() if table.height else []
    rows = max(1, -(-len(subs) // cols))
    height = 150 + 330 * rows
    totals = dict(table.group_by("subsidiary_id").agg(pl.col("count").sum()).iter_rows()) \
        if table.height else {}
    titles = [tr(f"子公司 {s}（{totals[s]:,} 件）", f"Subsidiary {s} ({totals[s]:,})")
              for s in subs] or [tr("本期没有已查明根因的投诉", "No root cause known")]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles,
                        specs=[[{"secondary_y": True}] * cols for _ in range(rows)],
                        vertical_spacing=120 / (height - 190), horizontal_spacing=0.12)
    for i, s in enumerate(subs):
        _pareto_panel(fig, _pareto_rows(table, s, top), i // cols + 1, i % cols + 1, i == 0)
    fig.update_xaxes(tickangle=-40, tickfont={"size": 11})
    fig.update_annotations(font_size=13)
    _frame(fig, tr("各子公司投诉的根本原因", "Root causes by subsidiary"), height=height,
           bottom=70)
    # Subplot titles sit on the plot area's top edge: the figure's title and legend go
    # above them, measured from the top of the figure (below plotly's toolbar).
    fig.update_layout(
        title={"yref": "container", "y": 1 - 38 / height, "yanchor": "top", "pad": {"b": 0}},
        legend={"yref": "container", "y": 1 - 70 / height, "yanchor": "top",
                "traceorder": "normal"},
        margin_t=140, bargap=0.25, barmode="overlay")
    return fig


def recurring_figure(
    volumes: pl.DataFrame, causes: pl.DataFrame, threshold: float, top: int = 8
) -> go.Figure:
    """Monthly share of each (subsidiary, root cause) that exceeded the threshold in
    some month: red when the volume did not fall afterwards (flagged), grey when it
    did; the threshold dotted, each first month over it dashed.
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
        colour = "crimson" if r["flagged"] else "#b0b0b0"
        state = tr("（未下降）", " (did not fall)") if r["flagged"] else tr("（已下降）", " (fell)")
        name = f"{r['subsidiary_id']} · {word(ROOT_CAUSES, r['root_cause'])}{state}"
        fig.add_scatter(
            name=name, x=part["month"].to_list(), y=part["share"].to_list(),
            mode="lines+markers", line={"color": colour},
            customdata=part.select("count", "n").to_numpy(),
            hovertemplate=(tr("%{x|%Y-%m}：%{y:.0%}（%{customdata[0]:,}/%{customdata[1]:,} 件）",
                              "%{x|%Y-%m}: %{y:.0%} (%{customdata[0]:,} of "
                              "%{customdata[1]:,})") + f"<extra>{name}</extra>"),
        )
        fig.add_vline(x=r["trigger_month"], line_dash="dash", line_color=colour)
    fig.add_hline(y=threshold, line_dash="dot",
                  annotation_text=tr(f"阈值 {_pct(threshold)}", f"threshold {_pct(threshold)}"),
                  annotation_position="top left")
    if trig.height == 0:
        fig.add_annotation(text=tr("没有哪类原因超过阈值", "No cause exceeded the threshold"),
                           x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False)
    fig.update_layout(
        yaxis={"title": tr("占当月已查明原因投诉（%）",
                           "Share of complaints with a known cause (%)"),
               "tickformat": ".0%", "rangemode": "tozero"},
        xaxis={"type": "date", "tickformat": "%Y-%m", "hoverformat": "%Y-%m"},
    )
    return _frame(fig, tr("反复出现的投诉原因", "Causes that keep recurring"), height=460,
                  bottom=70)
