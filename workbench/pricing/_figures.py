"""Figures of the pricing audit (plotly ``go.Figure``; the notebook only shows them).

Every title, axis, legend, hover text and category is in the report's language
(:mod:`workbench.i18n`, set by :func:`workbench.notebook.setup` before the analysis
runs): groups in words (:func:`workbench.evidence.group_label`), money with ¥,
premiums in %. Titles are short and sit just above the plot area, below plotly's
toolbar, so they never run under it on a phone. Distributions are summarised in
polars (quartiles, fences) before plotting, so a figure stays small however many
orders the period holds.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

from workbench import i18n
from workbench.attributes import group_label as group_id
from workbench.pricing._audit import Disparity
from workbench.pricing._words import ATTRIBUTES, METRIC, words

FLAG_COLOUR = "#d62728"
NEUTRAL_COLOUR = "#1f77b4"
_YUAN = {"tickprefix": "¥", "tickformat": ",.0f"}
_PCT = {"ticksuffix": "%"}
#: The height :func:`workbench.notebook.figure_bundle` gives a figure without its own.
FIGURE_HEIGHT = 480


def _finish(fig: go.Figure, title: str, *, x: str | None = None, y: str | None = None,
            xaxis: dict[str, Any] | None = None, yaxis: dict[str, Any] | None = None,
            **layout: Any) -> go.Figure:
    """Title above the plot area (below the toolbar) from the figure's left edge (long
    axis labels do not push it off a phone's screen), axis titles, legend under the plot.

    The legend sits a fixed ~100 px under the plot area whatever the figure's height
    (paper coordinates scale with it), below the x axis, its title and tick labels
    turned on a phone.
    """
    height = int(layout.get("height") or FIGURE_HEIGHT)
    below = -100 / max(height - 180, 120)
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "xref": "container",
               "y": 1, "yanchor": "bottom", "yref": "paper", "pad": {"b": 12, "l": 10},
               "font": {"size": 16}},
        margin={"t": 80, "l": 10, "r": 10, "b": 10},
        xaxis={"title": {"text": x}, "automargin": True, **(xaxis or {})},
        yaxis={"title": {"text": y}, "automargin": True, **(yaxis or {})},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": below, "yanchor": "top"},
        **layout,
    )
    return fig


def _attribute(attribute: str) -> str:
    """``tenure_band`` / ``a&b`` in words."""
    parts = [ATTRIBUTES.get(a, (a, a)) for a in attribute.split("&")]
    return " × ".join(p[0] if i18n.is_zh() else p[1] for p in parts)


def monthly_orders(monthly: pl.DataFrame) -> go.Figure:
    """Orders per month and channel (:func:`workbench.pricing.orders_by_month`), stacked."""
    fig = go.Figure()
    for (channel,), part in monthly.sort("channel", "month").group_by("channel",
                                                                       maintain_order=True):
        fig.add_trace(go.Bar(
            x=part["month"].to_list(), y=part["orders"].to_list(),
            name=str(i18n.value("channel", channel)),
            hovertemplate=i18n.tr("%{x|%Y-%m}：%{y:,} 笔<extra>%{fullData.name}</extra>",
                                  "%{x|%Y-%m}: %{y:,} orders<extra>%{fullData.name}</extra>"),
        ))
    return _finish(fig, i18n.tr("各渠道月订单量", "Orders per month by channel"),
                   y=i18n.tr("订单（笔）", "orders"),
                   barmode="stack", xaxis={"dtick": "M1", "tickformat": "%Y-%m"},
                   yaxis={"tickformat": ",d"})


def _box_stats(units: pl.DataFrame, attribute: str, y: pl.Expr) -> pl.DataFrame:
    return (
        units.select(group_id(attribute.split("&")).alias("g"), (y * 100).alias("y"))
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


def premium_distribution(units: pl.DataFrame, attribute: str, *, metric: str = "log_premium",
                         adjusted: bool = False) -> go.Figure:
    """Box plot (precomputed quartiles, 1.5 IQR fences) of the premium in % by group.

    Groups are the values of ``attribute`` (``a&b`` for an intersection), in words.
    ``adjusted=True`` plots the mitigated outcome (flagged premiums removed).
    """
    adj = f"adj_{metric}"
    y = pl.col(metric) - (pl.col(adj) if adjusted and adj in units.columns else 0.0)
    s = _box_stats(units, attribute, y)
    fig = go.Figure(
        go.Box(
            x=[words(g) for g in s["g"].to_list()], q1=s["q1"].to_list(),
            median=s["med"].to_list(), q3=s["q3"].to_list(),
            lowerfence=s["lf"].to_list(), upperfence=s["uf"].to_list(), mean=s["mean"].to_list(),
            name=_attribute(attribute), marker_color=NEUTRAL_COLOUR,
            hovertext=[i18n.tr(f"订单 {n:,} 笔", f"{n:,} orders") for n in s["n"].to_list()],
        )
    )
    what = _attribute(attribute)
    title = (i18n.tr(f"按{what}的溢价分布（纠偏后）", f"Premium by {what}, mitigated")
             if adjusted else i18n.tr(f"按{what}的溢价分布", f"Premium by {what}"))
    return _finish(fig, title, y=i18n.tr("溢价（%）", "premium (%)"), yaxis=_PCT,
                   showlegend=False)


def _forest_hover(g: pl.DataFrame) -> list[str]:
    zh = i18n.is_zh()
    out = []
    for r in g.iter_rows(named=True):
        q, n = r["p_adj"], r["orders_matched"]
        out.append(f"校正后 p 值 {q:.3g}；可比订单 {n:,} 笔" if zh
                   else f"adjusted p {q:.3g}; {n:,} matched orders")
    return out


def forest_plot(groups: pl.DataFrame, *, metric: str = "log_premium", top: int = 40) -> go.Figure:
    """Cell fixed-effects premium of each tested group vs the rest, with its 95 %
    interval (standard errors clustered by customer); flagged groups in red. Shows
    the ``top`` groups by z plus every flagged one.
    """
    g = groups.filter((pl.col("metric") == metric) & pl.col("tested"))
    keep = (g.sort("z", descending=True).head(top)["group"].to_list()
            + g.filter(pl.col("flagged"))["group"].to_list())
    g = g.filter(pl.col("group").is_in(keep)).sort("beta")
    fig = go.Figure()
    for flagged, name, colour in ((False, i18n.tr("未标记", "not flagged"), NEUTRAL_COLOUR),
                                  (True, i18n.tr("被标记", "flagged"), FLAG_COLOUR)):
        part = g.filter(pl.col("flagged").fill_null(False) == flagged)
        if part.height == 0:
            continue
        fig.add_trace(go.Scatter(
            x=(part["beta"] * 100).to_list(), y=[words(v) for v in part["group"].to_list()],
            mode="markers", name=name, marker={"color": colour, "size": 8},
            error_x={"type": "data", "symmetric": False,
                     "array": ((part["ci_high"] - part["beta"]) * 100).to_list(),
                     "arrayminus": ((part["beta"] - part["ci_low"]) * 100).to_list()},
            hovertext=_forest_hover(part),
        ))
    fig.add_vline(x=0, line_dash="dot")
    order = [words(v) for v in g["group"].to_list()]
    return _finish(fig, i18n.tr("各群体的溢价及 95% 区间", "Group premium with its 95% interval"),
                   x=i18n.tr("多付比例（%）", "premium (%)"),
                   xaxis=_PCT, yaxis={"categoryorder": "array", "categoryarray": order},
                   height=max(400, 18 * g.height + 160))


def sku_group_heatmap(sku_effects: pl.DataFrame, groups: list[str], *, metric: str = "log_premium",
                      top: int = 40) -> go.Figure:
    """Premium (%) per sku × group for the given groups, on the skus that carry a
    flagged group's premium (``affected``), the ``top`` of them by their largest
    premium; with no such sku, the ``top`` skus by largest premium. Sorting every sku
    by its largest premium put skus with one or two orders, pure noise, first.
    """
    s = sku_effects.filter(pl.col("label").is_in(groups) & (pl.col("metric") == metric))
    if s.height == 0:
        return _finish(go.Figure(), i18n.tr("没有被标记的群体：无商品溢价可显示",
                                            "No flagged group: no SKU premiums to show"))
    carried = s.filter(pl.col("affected").fill_null(False))["sku"].unique()
    if carried.len():
        s = s.filter(pl.col("sku").is_in(carried.implode()))
    wide = s.pivot(on="label", index="sku", values="beta")
    orders = s.pivot(on="label", index="sku", values="n_inf")
    cols = [c for c in groups if c in wide.columns]
    wide = (wide.with_columns(pl.max_horizontal(cols).alias("_m"))
            .sort("_m", descending=True).head(top))
    orders = wide.select("sku").join(orders, on="sku", how="left")
    fig = go.Figure(
        go.Heatmap(z=(wide.select(cols) * 100).to_numpy().T.tolist(), x=wide["sku"].to_list(),
                   y=[words(c) for c in cols], colorscale="RdBu_r", zmid=0,
                   customdata=orders.select(cols).to_numpy().T.tolist(),
                   colorbar={"title": {"text": i18n.tr("溢价 %", "premium %")},
                             "ticksuffix": "%"},
                   hovertemplate=i18n.tr(
                       "%{y}<br>商品 %{x}：溢价 %{z:.2f}%（该群体订单 %{customdata} 笔）"
                       "<extra></extra>",
                       "%{y}<br>SKU %{x}: premium %{z:.2f}% (%{customdata} of the group's "
                       "orders)<extra></extra>")))
    return _finish(fig, i18n.tr("被标记群体在各商品上的溢价", "Premium by SKU and flagged group"),
                   x=i18n.tr("商品", "SKU"), xaxis={"type": "category"})


def overcharge_by_subsidiary(table: pl.DataFrame) -> go.Figure:
    """Overcharge per subsidiary (kind overcharge, each order once), stacked: the part
    attributed to flagged group premiums and the unattributed rest.
    """
    t = table.sort("overcharge_cny", descending=True)
    subs = t["subsidiary_id"].to_list()
    hover = i18n.tr("子公司 %{x}：¥%{y:,.2f}<extra>%{fullData.name}</extra>",
                    "subsidiary %{x}: ¥%{y:,.2f}<extra>%{fullData.name}</extra>")
    fig = go.Figure([
        go.Bar(x=subs, y=t["attributed_cny"].to_list(), hovertemplate=hover,
               name=i18n.tr("归因于被标记群体", "due to flagged groups")),
        go.Bar(x=subs, y=t["unattributed_cny"].to_list(), hovertemplate=hover,
               name=i18n.tr("未归因", "not attributed")),
    ])
    return _finish(fig, i18n.tr("各子公司多收金额", "Overcharge by subsidiary"),
                   x=i18n.tr("子公司", "subsidiary"), y=i18n.tr("金额（¥）", "amount (¥)"),
                   barmode="stack", xaxis={"type": "category"}, yaxis=_YUAN)


def refund_exposure(refunds: pl.DataFrame) -> go.Figure:
    """Cumulative refund (¥) against customers ranked by what they are owed, per subsidiary."""
    fig = go.Figure()
    by_sub = refunds.sort("subsidiary_id").group_by("subsidiary_id", maintain_order=True)
    for (sub,), part in by_sub:
        p = part.sort("excess_cny", descending=True).with_columns(
            pl.col("excess_cny").cum_sum().alias("cum"))
        fig.add_trace(go.Scatter(
            x=list(range(1, p.height + 1)), y=p["cum"].to_list(), mode="lines",
            name=i18n.tr(f"子公司 {sub}", f"subsidiary {sub}"),
            hovertemplate=i18n.tr("前 %{x:,} 位客户：¥%{y:,.2f}<extra>%{fullData.name}</extra>",
                                  "first %{x:,} customers: ¥%{y:,.2f}"
                                  "<extra>%{fullData.name}</extra>")))
    return _finish(fig, i18n.tr("累计应退金额", "Cumulative refunds owed"),
                   x=i18n.tr("客户（按应退金额从高到低）", "customers, owed most first"),
                   y=i18n.tr("累计应退（¥）", "cumulative refund (¥)"), yaxis=_YUAN)


def overcharge_breakdown(table: pl.DataFrame) -> go.Figure:
    """The order-level overcharge by cause (flagged groups, then unattributed), as a
    waterfall ending at the total it reconciles to.
    """
    causes = [words(c) for c in table["cause"].to_list()]
    amounts = table["amount_cny"].to_list()
    fig = go.Figure(
        go.Waterfall(
            x=[*causes, i18n.tr("合计", "total")], y=[*amounts, sum(amounts)],
            measure=["relative"] * len(causes) + ["total"],
            text=[f"¥{a:,.2f}" for a in [*amounts, sum(amounts)]], textposition="outside",
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    return _finish(fig, i18n.tr("多收金额按原因分解", "Overcharge by cause"),
                   y=i18n.tr("金额（¥）", "amount (¥)"), yaxis=_YUAN, showlegend=False)


def mitigation_figure(table: pl.DataFrame) -> go.Figure:
    """Flagged groups' premium before and after removing the estimated group effect."""
    lab = [f"{words(g)} · {i18n.value(METRIC, m)}" for g, m in
           zip(table["group"].to_list(), table["metric"].to_list(), strict=True)]
    hover = "%{x}: %{y:.2f}%<extra>%{fullData.name}</extra>"
    fig = go.Figure([
        go.Bar(x=lab, y=(table["beta_before"] * 100).to_list(), hovertemplate=hover,
               name=i18n.tr("剔除前", "before")),
        go.Bar(x=lab, y=(table["beta_after"] * 100).to_list(), hovertemplate=hover,
               name=i18n.tr("剔除后", "after removal")),
    ])
    return _finish(fig, i18n.tr("剔除群体溢价前后", "Premium before and after removal"),
                   y=i18n.tr("溢价（%）", "premium (%)"), yaxis=_PCT, barmode="group")


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
