"""Plotly figures of the tiering analysis (the notebook only displays them).

Every word a reader sees — titles, axes, legends, hover labels, categories — is in
the report's language (:func:`workbench.i18n.tr`; tiers and groups in words), axes
carry their unit (¥, %, percentage points), and titles are short and sit below
plotly's toolbar (:func:`_titled`); what a chart means is said in the notebook's
text next to it.
"""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from workbench import i18n
from workbench.evidence import group_label
from workbench.tiering._disparity import FOUR_FIFTHS
from workbench.tiering._words import tier_word

_NONE = "(none)"
_FLAG = "#c0392b"
_OVER = "#e67e22"
_MATCH = "#9ecae1"
_ZERO = "#f4f6f7"
_OK = "#2c7fb8"
_EXPLAINED = "#bdc3c7"
_GREY = "#7f8c8d"
#: Tier colours, best tier darkest; a tier beyond the list and "(none)" in grey.
_TIER_COLOURS = ("#08519c", "#4292c6", "#9ecae1", "#c6dbef", "#deebf7")
#: Room above the plot for plotly's toolbar (it shows on hover, top right) and the title.
_TOOLBAR_PX = 34
_TOP_MARGIN = 96


def _titled(fig: go.Figure, title: str, *, legend_below: bool = False) -> go.Figure:
    """A short title, left-aligned below the toolbar, and a top margin that fits both."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "xref": "container",
               "yref": "container", "y": 1, "yanchor": "top",
               "pad": {"t": _TOOLBAR_PX, "l": 12}, "font": {"size": 16}},
        margin={"t": _TOP_MARGIN, "l": 10, "r": 10},
    )
    if legend_below:  # under the x axis, clear of it, on a phone too
        fig.update_layout(legend={"orientation": "h", "yref": "container", "y": 0,
                                  "yanchor": "bottom", "x": 0}, margin={"b": 100})
    return fig


def _subsidiary_axis(fig: go.Figure, **where: int) -> None:
    """Subsidiary ids are categories ("0110" is not the number 110)."""
    fig.update_xaxes(type="category", title_text=i18n.tr("子公司", "subsidiary"), **where)


def tier_distribution(distribution: pl.DataFrame, tier_order: list[str]) -> go.Figure:
    """Stacked bars: share of each subsidiary's customers per current tier."""
    df = distribution.with_columns(pl.col("tier").fill_null(_NONE))
    tiers = [t for t in tier_order if t in set(df["tier"].to_list())]
    tiers += [t for t in df["tier"].unique().sort().to_list() if t not in tiers]
    fig = go.Figure()
    for i, tier in enumerate(tiers):
        part = df.filter(pl.col("tier") == tier).sort("subsidiary_id")
        word = tier_word(tier)
        fig.add_bar(
            x=part["subsidiary_id"].to_list(),
            y=part["share"].to_list(),
            name=word,
            marker_color=(_TIER_COLOURS[i] if tier != _NONE and i < len(_TIER_COLOURS)
                          else _GREY),
            customdata=part["customers"].to_list(),
            hovertemplate=i18n.tr(f"子公司 %{{x}}：{word} %{{y:.1%}}（%{{customdata:,}} 人）",
                                  f"subsidiary %{{x}}: {word} %{{y:.1%}} "
                                  "(%{customdata:,} customers)") + "<extra></extra>",
        )
    fig.update_layout(barmode="stack", legend_title_text=i18n.tr("期末等级", "tier held"),
                      legend_traceorder="reversed")
    _subsidiary_axis(fig)
    fig.update_yaxes(title_text=i18n.tr("客户占比（%）", "share of customers (%)"),
                     tickformat=".0%")
    return _titled(fig, i18n.tr("各子公司期末会员等级分布", "Tier held, by subsidiary"))


def _cell_kind(eligible_rank: int, held_rank: int) -> str:
    return "match" if held_rank == eligible_rank else (
        "under" if held_rank < eligible_rank else "over")


def eligibility_heatmap(matrix: pl.DataFrame, ranks: Mapping[str, int] | None = None) -> go.Figure:
    """Customers by eligible tier (rows) × tier held (columns). Each cell says what it
    is — 相符 (as the criteria give), 评低 (under-tiered: the tier held ranks below the
    one earned) or 评高 (over-tiered) — in its own colour, so where the under-tiered
    customers are is read from the cell, not from the side of a diagonal.

    ``ranks``: tier → rank (higher is better); without it, the matrix' column order
    (best first) is the ranking. ``(none)`` counts as the lowest eligible tier, as
    the analysis judges it.
    """
    columns = [c for c in matrix.columns if c != "eligible_tier"]
    rows = matrix["eligible_tier"].to_list()
    order = {t: -i for i, t in enumerate(columns)}
    rank = dict(ranks) if ranks else order
    rank.setdefault(_NONE, min(rank.get(r, 0) for r in rows) if rows else 0)
    words = {"match": i18n.tr("相符", "as due"), "under": i18n.tr("评低", "under"),
             "over": i18n.tr("评高", "over")}
    colours = {"match": _MATCH, "under": _FLAG, "over": _OVER}
    fig = go.Figure()
    for kind in ("match", "under", "over", "zero"):
        z, text, hover = [], [], []
        for row in matrix.iter_rows(named=True):
            due = row["eligible_tier"]
            zr, tr_, hr = [], [], []
            for held in columns:
                n = int(row[held] or 0)
                k = _cell_kind(rank.get(due, 0), rank.get(held, 0))
                mine = (k == kind and n > 0) or (kind == "zero" and n == 0)
                zr.append(1 if mine else None)
                tr_.append((f"{n:,}<br>{words[k]}" if n and k != "match" else f"{n:,}")
                           if mine else "")
                hr.append(i18n.tr(f"应为{tier_word(due)}、实际为{tier_word(held)}：{n:,} 人"
                                  f"（{words[k]}）",
                                  f"due {tier_word(due)}, holds {tier_word(held)}: {n:,} "
                                  f"customers ({words[k]})"))
            z.append(zr)
            text.append(tr_)
            hover.append(hr)
        colour = colours.get(kind, _ZERO)
        fig.add_heatmap(
            z=z, x=[tier_word(c) for c in columns], y=[tier_word(r) for r in rows],
            text=text, texttemplate="%{text}", customdata=hover,
            hovertemplate="%{customdata}<extra></extra>", showscale=False, xgap=2, ygap=2,
            colorscale=[[0, colour], [1, colour]], zmin=0, zmax=1, hoverongaps=False,
        )
    fig.update_xaxes(title_text=i18n.tr("期末持有等级", "tier held"), type="category")
    fig.update_yaxes(title_text=i18n.tr("按公布标准应得等级", "tier the criteria give"),
                     autorange="reversed", type="category")
    fig.update_layout(height=max(320, 90 * len(rows) + 170), plot_bgcolor="white",
                      margin={"b": 60})
    return _titled(fig, i18n.tr("应得等级与实际等级", "Tier due vs tier held"))


def hidden_by_subsidiary(table: pl.DataFrame) -> go.Figure:
    """Hidden-benefit money per subsidiary, and its share of the hidden money next
    to its share of all grants (concentration).
    """
    df = table.sort("subsidiary_id")
    subs = df["subsidiary_id"].to_list()
    sub = i18n.tr("子公司 ", "subsidiary ")
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=0.14,
        subplot_titles=(i18n.tr("隐性权益金额（¥）", "hidden benefits (¥)"),
                        i18n.tr("隐性金额占比与发放笔数占比",
                                "share of hidden money vs of grants")),
    )
    fig.add_bar(
        x=subs, y=df["hidden_amount_cny"].to_list(),
        name=i18n.tr("隐性权益金额", "hidden money"), marker_color=_FLAG,
        customdata=df["hidden_grants"].to_list(),
        hovertemplate=sub + i18n.tr("%{x}：¥%{y:,.2f}，%{customdata:,} 笔",
                                    "%{x}: ¥%{y:,.2f} in %{customdata:,} grants")
        + "<extra></extra>",
        row=1, col=1, showlegend=False,
    )
    fig.add_bar(
        x=subs, y=df["share_of_hidden_amount"].to_list(),
        name=i18n.tr("占全部隐性金额", "share of the hidden money"), marker_color=_FLAG,
        hovertemplate=sub + i18n.tr("%{x}：占隐性金额 %{y:.1%}", "%{x}: %{y:.1%} of hidden money")
        + "<extra></extra>",
        row=1, col=2,
    )
    fig.add_bar(
        x=subs, y=df["share_of_grants"].to_list(),
        name=i18n.tr("占全部发放笔数", "share of all grants"), marker_color=_GREY,
        hovertemplate=sub + i18n.tr("%{x}：占发放笔数 %{y:.1%}", "%{x}: %{y:.1%} of grants")
        + "<extra></extra>",
        row=1, col=2,
    )
    fig.update_layout(barmode="group")
    _subsidiary_axis(fig, row=1, col=1)
    _subsidiary_axis(fig, row=1, col=2)
    fig.update_yaxes(tickprefix="¥", tickformat=",.0f", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=2)
    return _titled(fig, i18n.tr("各子公司的隐性权益", "Hidden benefits by subsidiary"),
                   legend_below=True)


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


def _forest_rows(table: pl.DataFrame, metric: str, top: int) -> pl.DataFrame:
    """The flagged groups and the tested ones with the largest disadvantage (≤ ``top``)."""
    tested = table.filter((pl.col("metric") == metric) & pl.col("tested"))
    return (
        tested.sort(["flagged", "disadvantage"], descending=True, nulls_last=True)
        .head(max(top, int(tested["flagged"].sum())))
        .sort("disadvantage", nulls_last=False)
    )


_FOREST_COLOURS = {"flagged": _FLAG, "explained": _EXPLAINED, "other": _OK}


def _forest_kinds(df: pl.DataFrame) -> list[str]:
    """Each row's colour: flagged, explained by a flagged group, or neither."""
    return ["flagged" if f else "explained" if e is not None else "other"
            for f, e in zip(df["flagged"].to_list(), df["explained_by"].to_list(), strict=True)]


def _forest_legend(fig: go.Figure, kinds: set[str]) -> None:
    """A legend of the point colours (empty traces: the points carry no legend)."""
    words = {"flagged": i18n.tr("问题群体", "flagged"),
             "explained": i18n.tr("差距可由问题群体解释", "explained by a flagged group"),
             "other": i18n.tr("其他已检验群体", "other groups tested")}
    for kind in ("flagged", "explained", "other"):
        if kind in kinds:
            fig.add_scatter(x=[None], y=[None], mode="markers", name=words[kind],
                            marker={"color": _FOREST_COLOURS[kind], "size": 9}, row=1, col=1)
    fig.update_layout(legend={"orientation": "h", "yref": "container", "y": 0,
                              "yanchor": "bottom", "x": 0})


_FOREST_TITLES = {
    "under_tiered_rate": ("群体差异：符合条件却被评低", "Group gaps: under-tiered"),
    "hidden_benefit_rate": ("群体差异：获得未公布权益", "Group gaps: unpublished benefits"),
}


def disparity_forest(
    table: pl.DataFrame, *, metric: str, min_difference: float, top: int = 25
) -> go.Figure:
    """Forest plot for one metric: each group's disadvantage (worse-off direction,
    percentage points) with its bootstrap interval, next to its favourable-outcome
    ratio with the four-fifths reference line. Shows the flagged groups (red) and
    the tested groups with the largest disadvantage (at most ``top`` rows).
    """
    df = _forest_rows(table, metric, top)
    adverse = bool(df["adverse"][0]) if df.height else True
    # disadvantage interval: the difference interval, mirrored for favourable metrics
    lo, hi = (("difference_ci_low", "difference_ci_high") if adverse
              else ("difference_ci_high", "difference_ci_low"))
    sign = 1.0 if adverse else -1.0
    d = df["disadvantage"].fill_nan(None).to_list()
    low = (df[lo] * sign).fill_nan(None).to_list()
    high = (df[hi] * sign).fill_nan(None).to_list()
    lang = i18n.current_lang()
    groups = [group_label(g, lang) for g in df["group"].to_list()]
    kinds = _forest_kinds(df)
    colours = [_FOREST_COLOURS[k] for k in kinds]
    fig = make_subplots(
        rows=1, cols=2, shared_yaxes=True, column_widths=[0.6, 0.4], horizontal_spacing=0.04,
        subplot_titles=(i18n.tr("差距及区间", "gap and interval"),
                        i18n.tr("有利结果比", "favourable ratio")),
    )
    fig.add_scatter(
        x=[v * 100 if v is not None else None for v in d], y=groups, mode="markers",
        marker={"color": colours, "size": 9}, error_x=_error_bars(d, low, high, scale=100),
        customdata=list(zip(df["n_group"].to_list(), df["q_value"].fill_nan(None).to_list(),
                            strict=True)),
        hovertemplate=i18n.tr(
            "%{y}：差 %{x:.1f} 个百分点<br>%{customdata[0]:,} 人，校正后 p 值 %{customdata[1]:.2g}",
            "%{y}: %{x:.1f} points worse<br>n=%{customdata[0]:,}, adjusted p %{customdata[1]:.2g}",
        ) + "<extra></extra>",
        showlegend=False, row=1, col=1,
    )
    fr = df["favourable_ratio"].fill_nan(None).to_list()
    fig.add_scatter(
        x=fr, y=groups, mode="markers",
        marker={"color": colours, "size": 9, "symbol": "diamond"},
        error_x=_error_bars(fr, df["favourable_ratio_ci_low"].fill_nan(None).to_list(),
                            df["favourable_ratio_ci_high"].fill_nan(None).to_list()),
        hovertemplate=i18n.tr("%{y}：有利结果比 %{x:.2f}", "%{y}: ratio %{x:.2f}")
        + "<extra></extra>",
        showlegend=False, row=1, col=2,
    )
    _forest_legend(fig, set(kinds))
    _forest_lines(fig, min_difference)
    fig.update_xaxes(title_text=i18n.tr("百分点", "percentage points"), row=1, col=1)
    fig.update_xaxes(title_text=i18n.tr("比值", "ratio"), row=1, col=2)
    fig.update_yaxes(automargin=True)
    zh, en = _FOREST_TITLES.get(metric, (metric, metric))
    fig.update_layout(height=max(420, 24 * len(groups) + 230), margin={"b": 100})
    return _titled(fig, i18n.tr(zh, en))


def _forest_lines(fig: go.Figure, min_difference: float) -> None:
    """Zero and the materiality line (points); 1 and the four-fifths line (ratio)."""
    fig.add_vline(x=0, line={"color": _GREY}, row=1, col=1)
    points = f"{min_difference * 100:g}"
    fig.add_vline(
        x=min_difference * 100, line={"color": _FLAG, "dash": "dash"}, row=1, col=1,
        annotation_text=i18n.tr(f"门槛 {points}", f"minimum {points}"),
        annotation_font_size=11,
    )
    fig.add_vline(x=1.0, line={"color": _GREY}, row=1, col=2)
    fig.add_vline(x=FOUR_FIFTHS, line={"color": _FLAG, "dash": "dash"}, row=1, col=2,
                  annotation_text=i18n.tr("五分之四线", "four-fifths"), annotation_font_size=11)


def all_figures(
    tables: Mapping[str, pl.DataFrame],
    tier_order: list[str],
    *,
    min_difference: float,
    forest_top: int,
) -> dict[str, go.Figure]:
    """Every figure of the result, by name, from the result's ``tables``."""
    disparity = tables["disparity"]
    policy = tables.get("policy")
    ranks = (dict(zip(policy["tier"].to_list(), policy["rank"].to_list(), strict=True))
             if policy is not None else None)
    return {
        "tier_distribution": tier_distribution(tables["tier_distribution"], tier_order),
        "eligibility_heatmap": eligibility_heatmap(tables["mismatch_matrix"], ranks),
        "hidden_by_subsidiary": hidden_by_subsidiary(tables["hidden_by_subsidiary"]),
        "disparity_forest": disparity_forest(
            disparity, metric="under_tiered_rate", min_difference=min_difference, top=forest_top
        ),
        "disparity_forest_hidden": disparity_forest(
            disparity, metric="hidden_benefit_rate", min_difference=min_difference, top=forest_top
        ),
    }
