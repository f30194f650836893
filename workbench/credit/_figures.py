"""Plotly figures of the credit analysis (the notebook only displays them)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

from workbench.credit._grades import GRADE_ORDER
from workbench.credit._validation import PSI_SHIFT, PSI_STABLE

_FLAG = "#c0392b"
_WARN = "#e67e22"
_OK = "#2c7fb8"
_GREY = "#7f8c8d"
_STATUS_COLOUR = {
    "active": _OK,
    "suspended": _WARN,
    "moved_out": "#f1c40f",
    "revoked": _FLAG,
    "cancelled": "#8e44ad",
    "not in registry": _GREY,
}


def registry_status(facts: pl.DataFrame) -> go.Figure:
    """Enterprises by registry status at the latest extract, with how many of each
    are on the abnormal / serious-illegal list.
    """
    df = (
        facts.with_columns(pl.col("status").fill_null("not in registry"))
        .group_by("status")
        .agg(
            pl.len().alias("enterprises"),
            pl.col("abnormal").sum().alias("abnormal"),
            pl.col("serious_illegal").sum().alias("serious_illegal"),
        )
        .sort("enterprises", descending=True)
    )
    fig = go.Figure(
        go.Bar(
            x=df["status"].to_list(),
            y=df["enterprises"].to_list(),
            marker_color=[_STATUS_COLOUR.get(s, _GREY) for s in df["status"].to_list()],
            customdata=list(
                zip(df["abnormal"].to_list(), df["serious_illegal"].to_list(), strict=True)
            ),
            hovertemplate="%{x}: %{y:,} enterprises<br>abnormal list %{customdata[0]}, "
            "serious-illegal list %{customdata[1]}<extra></extra>",
            text=df["enterprises"].to_list(),
            textposition="outside",
        )
    )
    fig.update_layout(
        title="企业登记状态 · Enterprises by registry status (latest extract ≤ period end)",
        xaxis_title="status",
        yaxis_title="enterprises",
    )
    return fig


def table_figure(df: pl.DataFrame, title: str, max_rows: int = 200) -> go.Figure:
    """A plotly table of (the first ``max_rows`` rows of) a frame."""
    part = df.head(max_rows)
    cells = []
    for c in part.columns:
        values = part[c]
        if values.dtype in (pl.Float64, pl.Float32):
            values = values.round(4)
        cells.append(["" if v is None else str(v) for v in values.to_list()])
    fig = go.Figure(
        go.Table(
            header={"values": part.columns, "align": "left", "fill_color": "#eaf2f8"},
            cells={"values": cells, "align": "left"},
        )
    )
    more = f" — first {max_rows} of {df.height}" if df.height > max_rows else f" ({df.height})"
    fig.update_layout(title=title + more, height=min(900, 120 + 28 * max(part.height, 1)))
    return fig


def score_by_grade(grades: pl.DataFrame) -> go.Figure:
    """Score distribution per grade (box per grade, best first)."""
    fig = go.Figure()
    for g in GRADE_ORDER:
        part = grades.filter((pl.col("grade") == g) & pl.col("score").is_not_null())
        if part.height == 0:
            continue
        fig.add_box(
            y=part["score"].to_list(),
            name=f"{g} ({part.height})",
            boxpoints="outliers",
            marker_color=_FLAG if g == "reject" else _OK,
        )
    fig.update_layout(
        title="评分分布 · Scorecard points by grade (higher = safer)",
        yaxis_title="points",
        showlegend=False,
    )
    return fig


def roc_plot(curves: dict[str, pl.DataFrame], aucs: dict[str, float]) -> go.Figure:
    """ROC curves (one per validation sample) with their AUC."""
    fig = go.Figure()
    for name, df in curves.items():
        fig.add_scatter(
            x=df["fpr"].to_list(),
            y=df["tpr"].to_list(),
            mode="lines",
            name=f"{name} (AUC {aucs.get(name, float('nan')):.3f})",
        )
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": _GREY},
                    name="chance", hoverinfo="skip")
    fig.update_layout(
        title="ROC · default within 12 months",
        xaxis={"title": "false positive rate (goods flagged)", "range": [0, 1]},
        yaxis={"title": "true positive rate (defaults caught)", "range": [0, 1]},
    )
    return fig


def ks_plot(curve: pl.DataFrame, ks: float, name: str) -> go.Figure:
    """Cumulative share of defaults and goods as the cut-off moves from riskiest."""
    share = curve["population_share"].to_list()
    best = int(pl.Series(curve["gap"]).arg_max() or 0) if curve.height else 0
    fig = go.Figure()
    fig.add_scatter(x=share, y=curve["cum_bad"].to_list(), name="defaults", line={"color": _FLAG})
    fig.add_scatter(x=share, y=curve["cum_good"].to_list(), name="goods", line={"color": _OK})
    if curve.height:
        fig.add_scatter(
            x=[share[best], share[best]],
            y=[curve["cum_good"][best], curve["cum_bad"][best]],
            mode="lines+markers",
            name=f"KS {ks:.3f}",
            line={"color": "black", "dash": "dash"},
        )
    fig.update_layout(
        title=f"KS · {name}",
        xaxis={"title": "share of customers above the cut-off (riskiest first)",
               "tickformat": ".0%"},
        yaxis={"title": "cumulative share", "tickformat": ".0%"},
    )
    return fig


def psi_bars(psi_table: pl.DataFrame) -> go.Figure:
    """PSI of the score and each feature, development (T0 − 12 months) vs current
    (end of P).
    """
    df = psi_table.sort("psi")
    colours = [
        _OK if v < PSI_STABLE else _WARN if v < PSI_SHIFT else _FLAG for v in df["psi"].to_list()
    ]
    fig = go.Figure(
        go.Bar(x=df["psi"].to_list(), y=df["variable"].to_list(), orientation="h",
               marker_color=colours, hovertemplate="%{y}: PSI %{x:.3f}<extra></extra>")
    )
    for x, label in ((PSI_STABLE, "0.10"), (PSI_SHIFT, "0.25")):
        fig.add_vline(x=x, line_dash="dot", line_color=_GREY, annotation_text=label)
    fig.update_layout(
        title="PSI · development (T0 − 12 months) vs current (end of period)",
        xaxis_title="population stability index",
        height=max(360, 26 * df.height + 120),
    )
    return fig


def migration_heatmap(matrix: pl.DataFrame, previous_label: str, current_label: str) -> go.Figure:
    """Customers by previous grade (rows) × current grade (columns)."""
    cols = [c for c in matrix.columns if c != "previous"]
    z = matrix.select(cols).to_numpy()
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=cols,
            y=matrix["previous"].to_list(),
            colorscale="Blues",
            text=z,
            texttemplate="%{text:,}",
            hovertemplate="%{y} → %{x}: %{z:,} customers<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"评级迁移 · Grade migration {previous_label} → {current_label}",
        xaxis_title=f"grade {current_label}",
        yaxis={"title": f"grade {previous_label}", "autorange": "reversed"},
    )
    return fig


def reliability_plot(table: pl.DataFrame, name: str) -> go.Figure:
    """Observed default rate (with 95 % interval) against mean predicted PD per bin."""
    fig = go.Figure()
    top = max([*table["ci_high"].to_list(), *table["mean_pd"].to_list(), 0.01])
    fig.add_scatter(
        x=table["mean_pd"].to_list(),
        y=table["observed_rate"].to_list(),
        mode="markers",
        name="observed",
        error_y={
            "type": "data",
            "symmetric": False,
            "array": (table["ci_high"] - table["observed_rate"]).to_list(),
            "arrayminus": (table["observed_rate"] - table["ci_low"]).to_list(),
        },
    )
    fig.add_scatter(x=[0, top], y=[0, top], mode="lines", line={"dash": "dot", "color": _GREY},
                    name="perfect calibration")
    fig.update_layout(
        title=f"Calibration · {name}",
        xaxis={"title": "mean predicted PD", "tickformat": ".1%"},
        yaxis={"title": "observed default rate", "tickformat": ".1%"},
    )
    return fig


def grade_calibration_plot(table: pl.DataFrame) -> go.Figure:
    """Out of time, per grade: the PD band of the master scale (shaded) and the
    observed default rate with its 95 % Jeffreys interval (red when the whole
    interval lies above the band).
    """
    part = table.filter(pl.col("customers") > 0)
    top = max([*part["ci_high"].to_list(), *part["pd_low"].to_list(), 0.01]) * 1.15
    grades = table["grade"].to_list()
    highs = [min(h, top) for h in table["pd_high"].to_list()]
    fig = go.Figure()
    fig.add_bar(
        x=grades, y=[h - lo for h, lo in zip(highs, table["pd_low"].to_list(), strict=True)],
        base=table["pd_low"].to_list(), marker_color="#d6eaf8", name="PD band (master scale)",
        hovertemplate="%{x}: PD band from %{base:.2%}<extra></extra>",
    )
    colours = [_FLAG if a == "above band" else _OK for a in part["assessment"].to_list()]
    fig.add_scatter(
        x=part["grade"].to_list(), y=part["observed_rate"].to_list(), mode="markers",
        marker={"color": colours, "size": 10}, name="observed default rate (95 % Jeffreys)",
        error_y={
            "type": "data", "symmetric": False,
            "array": (part["ci_high"] - part["observed_rate"]).to_list(),
            "arrayminus": (part["observed_rate"] - part["ci_low"]).to_list(),
        },
        customdata=list(zip(part["customers"].to_list(), part["defaults"].to_list(),
                            strict=True)),
        hovertemplate="%{x}: %{y:.2%} (%{customdata[1]} of %{customdata[0]})<extra></extra>",
    )
    fig.update_layout(
        title="等级违约率 · Default rate by grade, out of time, against the PD bands",
        xaxis={"title": "grade (score band)", "categoryorder": "array", "categoryarray": grades},
        yaxis={"title": "12-month default rate", "tickformat": ".0%", "range": [0, top]},
    )
    return fig


def all_figures(tables: dict[str, pl.DataFrame], meta: dict[str, Any]) -> dict[str, go.Figure]:
    """Every figure of the analysis from its tables (missing tables are skipped)."""
    figs: dict[str, go.Figure] = {}
    if "registry_facts" in tables:
        figs["registry_status"] = registry_status(tables["registry_facts"])
    if "knockouts" in tables:
        figs["knockouts"] = table_figure(tables["knockouts"], "否决名单 · Knock-outs")
    if "changes" in tables:
        figs["changes"] = table_figure(tables["changes"], "变更提醒 · Registry changes")
    if "credit_grades" in tables and tables["credit_grades"].height:
        figs["score_by_grade"] = score_by_grade(tables["credit_grades"])
    curves = {k.removeprefix("roc_"): v for k, v in tables.items() if k.startswith("roc_")}
    if curves:
        figs["roc"] = roc_plot(curves, meta.get("auc", {}))
    if "ks_curve" in tables:
        figs["ks"] = ks_plot(
            tables["ks_curve"], meta.get("ks", float("nan")), meta.get("ks_name", "")
        )
    if "reliability" in tables:
        figs["calibration"] = reliability_plot(tables["reliability"], meta.get("ks_name", ""))
    if "reliability_by_grade" in tables:
        figs["calibration_by_grade"] = grade_calibration_plot(tables["reliability_by_grade"])
    if "psi" in tables and tables["psi"].height:
        figs["psi"] = psi_bars(tables["psi"])
        figs["psi_table"] = table_figure(
            tables["psi"], "PSI · development (T0 − 12 months) vs current"
        )
    if "migration" in tables:
        figs["migration"] = migration_heatmap(
            tables["migration"], meta.get("previous_period", "previous"), meta.get("period", "")
        )
    if "policy" in tables:
        figs["policy"] = table_figure(tables["policy"], "信用政策 · Credit policy")
    return figs
