"""Figures of the pricing audit (plotly ``go.Figure``; the notebook only shows them).

Distributions are summarised in polars (quartiles, fences) before plotting, so a
figure stays small however many orders the period holds.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from workbench.attributes import group_label
from workbench.pricing._audit import Disparity

FLAG_COLOUR = "#d62728"
NEUTRAL_COLOUR = "#1f77b4"


def premium_distribution(units: pl.DataFrame, attribute: str, *, metric: str = "log_premium",
                         adjusted: bool = False) -> go.Figure:
    """Box plot (precomputed quartiles, 1.5 IQR fences) of the premium in % by group.

    Groups are the values of ``attribute`` (``a&b`` for an intersection).

    ``adjusted=True`` plots the mitigated outcome (flagged premiums removed).
    """
    adj = f"adj_{metric}"
    y = pl.col(metric) - (pl.col(adj) if adjusted and adj in units.columns else 0.0)
    attrs = attribute.split("&")
    s = (
        units.select(group_label(attrs).alias("g"), (y * 100).alias("y"))
        .filter(pl.col("g").is_not_null() & pl.col("y").is_not_null())
        .group_by("g")
        .agg(
            pl.len().alias("n"),
            pl.col("y").quantile(0.25).alias("q1"),
            pl.col("y").median().alias("med"),
            pl.col("y").quantile(0.75).alias("q3"),
            pl.col("y").mean().alias("mean"),
            pl.col("y").min().alias("lo"),
            pl.col("y").max().alias("hi"),
        )
        .sort("g")
        .with_columns((pl.col("q3") - pl.col("q1")).alias("iqr"))
        .with_columns(
            pl.max_horizontal(pl.col("lo"), pl.col("q1") - 1.5 * pl.col("iqr")).alias("lf"),
            pl.min_horizontal(pl.col("hi"), pl.col("q3") + 1.5 * pl.col("iqr")).alias("uf"),
        )
    )
    fig = go.Figure(
        go.Box(
            x=s["g"].to_list(), q1=s["q1"].to_list(), median=s["med"].to_list(),
            q3=s["q3"].to_list(),
            lowerfence=s["lf"].to_list(), upperfence=s["uf"].to_list(), mean=s["mean"].to_list(),
            name=attribute, marker_color=NEUTRAL_COLOUR,
            hovertext=[f"{n:,} orders" for n in s["n"].to_list()],
        )
    )
    title = ("溢价分布" + ("（剔除群体溢价后）" if adjusted else "")
             + f" · Premium over explained price by {attribute}")
    fig.update_layout(title=title, yaxis_title="log premium (%)", xaxis_title=None,
                      showlegend=False)
    return fig


def forest_plot(groups: pl.DataFrame, *, metric: str = "log_premium", top: int = 40) -> go.Figure:
    """Cell fixed-effects premium of each tested group vs the rest, with its 95 %
    interval (standard errors clustered by customer); flagged groups in red. Shows
    the ``top`` groups by z plus every flagged one.
    """
    g = groups.filter((pl.col("metric") == metric) & pl.col("tested"))
    keep = (g.sort("z", descending=True).head(top)["group"].to_list()
            + g.filter(pl.col("flagged"))["group"].to_list())
    g = g.filter(pl.col("group").is_in(keep)).sort("beta")
    colours = [FLAG_COLOUR if f else NEUTRAL_COLOUR for f in g["flagged"].to_list()]
    fig = go.Figure(
        go.Scatter(
            x=(g["beta"] * 100).to_list(), y=g["group"].to_list(), mode="markers",
            marker={"color": colours, "size": 8},
            error_x={
                "type": "data", "symmetric": False,
                "array": ((g["ci_high"] - g["beta"]) * 100).to_list(),
                "arrayminus": ((g["beta"] - g["ci_low"]) * 100).to_list(),
            },
            hovertext=[f"p_adj={p:.3g}, orders={n:,}" for p, n in
                       zip(g["p_adj"].to_list(), g["orders_matched"].to_list(), strict=True)],
        )
    )
    fig.add_vline(x=0, line_dash="dot")
    fig.update_layout(title="群体溢价（同品同日对比）· Group premium vs the rest, "
                            "same sku same day (95% CI)",
                      xaxis_title="premium (log points, %)", height=max(400, 18 * g.height + 120))
    return fig


def sku_group_heatmap(sku_effects: pl.DataFrame, groups: list[str], *, metric: str = "log_premium",
                      top: int = 40) -> go.Figure:
    """Premium (%) per sku × group for the given groups; the ``top`` skus by their
    largest premium.
    """
    s = sku_effects.filter(pl.col("label").is_in(groups) & (pl.col("metric") == metric))
    if s.height == 0:
        return go.Figure().update_layout(title="No flagged group: no sku × group premiums to show")
    wide = s.pivot(on="label", index="sku", values="beta")
    cols = [c for c in groups if c in wide.columns]
    wide = (wide.with_columns(pl.max_horizontal(cols).alias("_m"))
            .sort("_m", descending=True).head(top))
    fig = go.Figure(
        go.Heatmap(z=(wide.select(cols) * 100).to_numpy().T.tolist(), x=wide["sku"].to_list(),
                   y=cols,
                   colorscale="RdBu_r", zmid=0, colorbar={"title": "%"})
    )
    fig.update_layout(title="各商品群体溢价 · Premium by sku and group (%)",
                      xaxis_title="sku")
    return fig


def overcharge_by_subsidiary(table: pl.DataFrame) -> go.Figure:
    """Overcharge per subsidiary (kind overcharge, each order once), stacked: the part
    attributed to flagged group premiums and the unattributed rest.
    """
    fig = go.Figure(
        [
            go.Bar(x=table["subsidiary_id"].to_list(), y=table["attributed_cny"].to_list(),
                   name="归因于被标记群体 · attributed to flagged groups"),
            go.Bar(x=table["subsidiary_id"].to_list(), y=table["unattributed_cny"].to_list(),
                   name="未归因 · unattributed"),
        ]
    )
    fig.update_layout(barmode="stack",
                      title="各子公司多收金额 · Overcharge by subsidiary (CNY)",
                      xaxis_title="subsidiary", yaxis_title="CNY", xaxis_type="category")
    return fig


def refund_exposure(refunds: pl.DataFrame) -> go.Figure:
    """Cumulative refund (CNY) against customers ranked by what they are owed, per subsidiary."""
    fig = go.Figure()
    by_sub = refunds.sort("subsidiary_id").group_by("subsidiary_id", maintain_order=True)
    for (sub,), part in by_sub:
        p = part.sort("excess_cny", descending=True).with_columns(
            pl.col("excess_cny").cum_sum().alias("cum"))
        fig.add_trace(go.Scatter(x=list(range(1, p.height + 1)), y=p["cum"].to_list(),
                                 mode="lines", name=str(sub)))
    fig.update_layout(title="退款敞口 · Refund exposure: cumulative CNY by customers "
                            "owed most",
                      xaxis_title="customers (ranked)", yaxis_title="CNY")
    return fig


def overcharge_breakdown(table: pl.DataFrame) -> go.Figure:
    """The order-level overcharge by cause (flagged groups, then unattributed), as a
    waterfall ending at the total it reconciles to.
    """
    causes = table["cause"].to_list()
    amounts = table["amount_cny"].to_list()
    fig = go.Figure(
        go.Waterfall(
            x=[*causes, "合计 · total"], y=[*amounts, sum(amounts)],
            measure=["relative"] * len(causes) + ["total"],
            text=[f"¥{a:,.2f}" for a in [*amounts, sum(amounts)]], textposition="outside",
        )
    )
    fig.update_layout(title="多收金额按原因分解 · Overcharge by cause (CNY, kind overcharge)",
                      yaxis_title="CNY", showlegend=False)
    return fig


def mitigation_figure(table: pl.DataFrame) -> go.Figure:
    """Flagged groups' premium before and after removing the estimated group effect."""
    lab = [f"{g} · {m}" for g, m in
           zip(table["group"].to_list(), table["metric"].to_list(), strict=True)]
    fig = go.Figure(
        [
            go.Bar(x=lab, y=(table["beta_before"] * 100).to_list(), name="before"),
            go.Bar(x=lab, y=(table["beta_after"] * 100).to_list(), name="after removal"),
        ]
    )
    fig.update_layout(barmode="group",
                      title="剔除群体溢价前后 · Premium before / after removing the group "
                            "effect (%)",
                      yaxis_title="log points (%)")
    return fig


def all_figures(units: pl.DataFrame, disparity: Disparity,
                tables: dict[str, pl.DataFrame]) -> dict[str, go.Figure]:
    """The notebook's figures, by name."""
    flagged = disparity.flagged
    labels = flagged["label"].unique(maintain_order=True).to_list() if flagged.height else []
    attribute = flagged["attribute"][0] if flagged.height else "device_os"
    figs = {
        "premium_distribution": premium_distribution(units, attribute),
        "forest": forest_plot(tables["groups"]),
        "sku_heatmap": sku_group_heatmap(disparity.flagged_sku_effects, labels),
        "overcharge_by_subsidiary": overcharge_by_subsidiary(tables["overcharge_by_subsidiary"]),
        "overcharge_breakdown": overcharge_breakdown(tables["overcharge_breakdown"]),
        "refund_exposure": refund_exposure(tables["refunds"]),
    }
    if flagged.height:
        figs["premium_distribution_mitigated"] = premium_distribution(
            disparity.adjusted_units, attribute, adjusted=True)
        figs["mitigation"] = mitigation_figure(tables["mitigation"])
    return figs
