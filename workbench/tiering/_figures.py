"""Plotly figures of the tiering analysis (the notebook only displays them)."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from workbench.tiering._disparity import FOUR_FIFTHS

_NONE = "(none)"
_FLAG = "#c0392b"
_OK = "#2c7fb8"
_GREY = "#7f8c8d"


def tier_distribution(distribution: pl.DataFrame, tier_order: list[str]) -> go.Figure:
    """Stacked bars: share of each subsidiary's customers per current tier."""
    df = distribution.with_columns(pl.col("tier").fill_null(_NONE))
    tiers = [t for t in tier_order if t in set(df["tier"].to_list())]
    tiers += [t for t in df["tier"].unique().sort().to_list() if t not in tiers]
    fig = go.Figure()
    for tier in tiers:
        part = df.filter(pl.col("tier") == tier).sort("subsidiary_id")
        fig.add_bar(
            x=part["subsidiary_id"].to_list(),
            y=part["share"].to_list(),
            name=tier,
            customdata=part["customers"].to_list(),
            hovertemplate="%{x}: %{y:.1%} (%{customdata:,} customers)<extra>" + tier + "</extra>",
        )
    fig.update_layout(
        barmode="stack",
        title="Current tier by subsidiary (share of customers at the period end)",
        xaxis_title="subsidiary",
        yaxis={"title": "share of customers", "tickformat": ".0%"},
        legend_title="tier",
    )
    return fig


def eligibility_heatmap(matrix: pl.DataFrame) -> go.Figure:
    """Customers by eligible tier (rows) × current tier (columns); off-diagonal
    cells are tier mismatches.
    """
    columns = [c for c in matrix.columns if c != "eligible_tier"]
    z = matrix.select(columns).to_numpy()
    rows = matrix["eligible_tier"].to_list()
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=columns,
            y=rows,
            colorscale="Blues",
            text=z,
            texttemplate="%{text:,}",
            hovertemplate="eligible %{y}, holds %{x}: %{z:,} customers<extra></extra>",
            colorbar={"title": "customers"},
        )
    )
    fig.update_layout(
        title="Eligible tier (published criteria) vs tier held at the period end",
        xaxis_title="tier held",
        yaxis={"title": "eligible tier", "autorange": "reversed"},
    )
    return fig


def hidden_by_subsidiary(table: pl.DataFrame) -> go.Figure:
    """Hidden-benefit money per subsidiary, and its share of the hidden money next
    to its share of all grants (concentration).
    """
    df = table.sort("subsidiary_id")
    subs = df["subsidiary_id"].to_list()
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("hidden-benefit money (CNY)", "share of hidden money vs share of grants"),
    )
    fig.add_bar(
        x=subs,
        y=df["hidden_amount_cny"].to_list(),
        name="hidden money (CNY)",
        marker_color=_FLAG,
        customdata=df["hidden_grants"].to_list(),
        hovertemplate="%{x}: %{y:,.0f} CNY in %{customdata:,} grants<extra></extra>",
        row=1,
        col=1,
    )
    fig.add_bar(
        x=subs,
        y=df["share_of_hidden_amount"].to_list(),
        name="share of hidden money",
        marker_color=_FLAG,
        hovertemplate="%{x}: %{y:.1%} of hidden money<extra></extra>",
        row=1,
        col=2,
    )
    fig.add_bar(
        x=subs,
        y=df["share_of_grants"].to_list(),
        name="share of grants",
        marker_color=_GREY,
        hovertemplate="%{x}: %{y:.1%} of grants<extra></extra>",
        row=1,
        col=2,
    )
    fig.update_layout(title="Hidden benefits by subsidiary (grants in the period)", barmode="group")
    fig.update_yaxes(tickformat=",.0f", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    return fig


def _error_bars(
    value: list[float | None], low: list[float | None], high: list[float | None],
    *, scale: float = 1.0,
) -> dict[str, object]:
    """Plotly's asymmetric error bars around ``value`` (None where an end is missing)."""

    def gap(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else (a - b) * scale

    return {
        "type": "data",
        "symmetric": False,
        "array": [gap(h, v) for h, v in zip(high, value, strict=True)],
        "arrayminus": [gap(v, lw) for v, lw in zip(value, low, strict=True)],
    }


def disparity_forest(
    table: pl.DataFrame, *, metric: str, min_difference: float, top: int = 25
) -> go.Figure:
    """Forest plot for one metric: each group's disadvantage (worse-off direction,
    percentage points) with its bootstrap interval, next to its favourable-outcome
    ratio with the four-fifths reference line. Shows the flagged groups and the
    tested groups with the largest disadvantage (at most ``top`` rows).
    """
    tested = table.filter((pl.col("metric") == metric) & pl.col("tested"))
    df = (
        tested.sort(["flagged", "disadvantage"], descending=True, nulls_last=True)
        .head(max(top, int(tested["flagged"].sum())))
        .sort("disadvantage", nulls_last=False)
    )
    adverse = bool(df["adverse"][0]) if df.height else True
    # disadvantage interval: the difference interval, mirrored for favourable metrics
    lo, hi = (
        ("difference_ci_low", "difference_ci_high")
        if adverse
        else ("difference_ci_high", "difference_ci_low")
    )
    sign = 1.0 if adverse else -1.0
    d = df["disadvantage"].fill_nan(None).to_list()
    low = (df[lo] * sign).fill_nan(None).to_list()
    high = (df[hi] * sign).fill_nan(None).to_list()
    groups = df["group"].to_list()
    colours = [_FLAG if f else _OK for f in df["flagged"].to_list()]
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        column_widths=[0.6, 0.4],
        subplot_titles=(
            "disadvantage vs the rest (points), 95% bootstrap CI",
            "favourable-outcome ratio (four-fifths line)",
        ),
    )
    fig.add_scatter(
        x=[v * 100 if v is not None else None for v in d],
        y=groups,
        mode="markers",
        marker={"color": colours, "size": 9},
        error_x=_error_bars(d, low, high, scale=100),
        customdata=list(
            zip(df["n_group"].to_list(), df["q_value"].fill_nan(None).to_list(), strict=True)
        ),
        hovertemplate="%{y}: %{x:.1f} points (n=%{customdata[0]:,}, q=%{customdata[1]:.3g})"
        "<extra></extra>",
        showlegend=False,
        row=1,
        col=1,
    )
    fr = df["favourable_ratio"].fill_nan(None).to_list()
    fr_lo = df["favourable_ratio_ci_low"].fill_nan(None).to_list()
    fr_hi = df["favourable_ratio_ci_high"].fill_nan(None).to_list()
    fig.add_scatter(
        x=fr,
        y=groups,
        mode="markers",
        marker={"color": colours, "size": 9, "symbol": "diamond"},
        error_x=_error_bars(fr, fr_lo, fr_hi),
        hovertemplate="%{y}: ratio %{x:.3f}<extra></extra>",
        showlegend=False,
        row=1,
        col=2,
    )
    fig.add_vline(x=0, line={"color": _GREY}, row=1, col=1)
    fig.add_vline(
        x=min_difference * 100,
        line={"color": _FLAG, "dash": "dash"},
        annotation_text=f"min difference {min_difference:.0%}",
        row=1,
        col=1,
    )
    fig.add_vline(x=1.0, line={"color": _GREY}, row=1, col=2)
    fig.add_vline(
        x=FOUR_FIFTHS,
        line={"color": _FLAG, "dash": "dash"},
        annotation_text="four-fifths",
        row=1,
        col=2,
    )
    fig.update_layout(
        title=f"Group disparity: {metric} (red = flagged: q < alpha and large enough)",
        height=max(420, 24 * len(groups) + 160),
    )
    return fig


def all_figures(
    tables: Mapping[str, pl.DataFrame],
    tier_order: list[str],
    *,
    min_difference: float,
    forest_top: int,
) -> dict[str, go.Figure]:
    """Every figure of the result, by name, from the result's ``tables``."""
    disparity = tables["disparity"]
    return {
        "tier_distribution": tier_distribution(tables["tier_distribution"], tier_order),
        "eligibility_heatmap": eligibility_heatmap(tables["mismatch_matrix"]),
        "hidden_by_subsidiary": hidden_by_subsidiary(tables["hidden_by_subsidiary"]),
        "disparity_forest": disparity_forest(
            disparity, metric="under_tiered_rate", min_difference=min_difference, top=forest_top
        ),
        "disparity_forest_hidden": disparity_forest(
            disparity, metric="hidden_benefit_rate", min_difference=min_difference, top=forest_top
        ),
    }
