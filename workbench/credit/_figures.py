"""Plotly figures of the credit analysis (the notebook only displays them).

Every title, axis, legend, hover label and category is in the report's language
(:func:`workbench.i18n.tr`, the words of :mod:`._words`), set before
:func:`all_figures` runs (``wn.setup(period, lang)``). Titles are short and sit
left-aligned below plotly's toolbar; legends go below the plot so that a 390 px
screen keeps the plot area; axes carry their unit (%, points, enterprises).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl

from workbench import i18n
from workbench.credit._grades import GRADE_ORDER
from workbench.credit._validation import PSI_SHIFT, PSI_STABLE
from workbench.credit._words import (
    feature_words,
    grade_words,
    policy_view,
    registry_view,
    status_words,
    words,
)
from workbench.notebook import readable

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
    None: _GREY,
}
#: Room above the plot for plotly's toolbar (top right, on hover) and the title.
_TOOLBAR_PX = 34
_TOP_MARGIN = 96
#: The validation samples' names in ``meta["ks_name"]`` and ROC curves, in words.
_CURVES: dict[str, tuple[str, str]] = {
    "out of time": ("样本外", "out of time"),
    "out_of_time": ("样本外（原模型）", "out of time (as fitted)"),
    "out_of_time_recalibrated": ("样本外（校准后）", "out of time (recalibrated)"),
    "cross_validated": ("开发样本交叉验证", "development, cross-validated"),
    "in_sample": ("开发样本内", "development, in sample"),
}


def _titled(fig: go.Figure, title: str, *, legend_below: bool = False) -> go.Figure:
    """A short title, left-aligned below the toolbar, and a top margin that fits both."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "xref": "paper", "yref": "container",
               "y": 1, "yanchor": "top", "pad": {"t": _TOOLBAR_PX}, "font": {"size": 16}},
        margin={"t": _TOP_MARGIN, "l": 10, "r": 10},
    )
    if legend_below:
        fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0})
    return fig


def _enterprises(n: int) -> str:
    return i18n.tr(f"{n:,} 家", f"{n:,}")


def registry_status(facts: pl.DataFrame) -> go.Figure:
    """Enterprises by registry status at the latest extract, with how many of each
    are on the abnormal / serious-illegal list (hover).
    """
    df = (
        facts.group_by("status")
        .agg(
            pl.len().alias("enterprises"),
            pl.col("abnormal").sum().alias("abnormal"),
            pl.col("serious_illegal").sum().alias("serious_illegal"),
        )
        .sort("enterprises", descending=True)
    )
    statuses = df["status"].to_list()
    fig = go.Figure(
        go.Bar(
            x=[status_words(s) for s in statuses],
            y=df["enterprises"].to_list(),
            marker_color=[_STATUS_COLOUR.get(s, _GREY) for s in statuses],
            customdata=list(
                zip(df["abnormal"].to_list(), df["serious_illegal"].to_list(), strict=True)
            ),
            hovertemplate=i18n.tr(
                "%{x}：%{y:,} 家<br>其中经营异常名录 %{customdata[0]:,} 家，"
                "严重违法失信名单 %{customdata[1]:,} 家<extra></extra>",
                "%{x}: %{y:,} enterprises<br>abnormal-operation list %{customdata[0]:,}, "
                "serious-illegal list %{customdata[1]:,}<extra></extra>",
            ),
            text=df["enterprises"].to_list(),
            texttemplate="%{text:,}",
            textposition="outside",
            cliponaxis=False,
        )
    )
    fig.update_layout(
        xaxis_title=i18n.tr("登记状态（期末最新提取）", "registry status (latest extract)"),
        yaxis_title=i18n.tr("企业数（家）", "enterprises"),
    )
    return _titled(fig, i18n.tr("企业登记状态", "Enterprises by registry status"))


def table_figure(df: pl.DataFrame, title: str, max_rows: int = 200) -> go.Figure:
    """A plotly table of (the first ``max_rows`` rows of) a frame, headers and coded
    values in the report's language, numbers formatted as in the report's tables.
    """
    part = readable(df.head(max_rows))
    yes, no = i18n.tr("是", "yes"), i18n.tr("否", "no")
    cells = [["" if v is None else (yes if v else no) if isinstance(v, bool) else str(v)
              for v in part[c].to_list()] for c in part.columns]
    fig = go.Figure(
        go.Table(
            header={"values": part.columns, "align": "left", "fill_color": "#eaf2f8"},
            cells={"values": cells, "align": "left"},
        )
    )
    more = (i18n.tr(f"（前 {max_rows} 行，共 {df.height:,} 行）",
                    f" (first {max_rows} of {df.height:,})") if df.height > max_rows
            else i18n.tr(f"（{df.height:,} 行）", f" ({df.height:,})"))
    fig.update_layout(height=min(900, 140 + 28 * max(part.height, 1)))
    return _titled(fig, title + more)


def score_by_grade(grades: pl.DataFrame) -> go.Figure:
    """Score distribution per grade (box per grade, best first)."""
    fig = go.Figure()
    for g in GRADE_ORDER:
        part = grades.filter((pl.col("grade") == g) & pl.col("score").is_not_null())
        if part.height == 0:
            continue
        fig.add_box(
            y=part["score"].to_list(),
            name=f"{grade_words(g)}（{_enterprises(part.height)}）" if i18n.is_zh()
            else f"{grade_words(g)} ({part.height:,})",
            boxpoints="outliers",
            marker_color=_FLAG if g == "reject" else _OK,
        )
    fig.update_layout(
        yaxis_title=i18n.tr("评分（分，越高越安全）", "points (higher = safer)"),
        xaxis_title=i18n.tr("信用等级（企业数）", "grade (enterprises)"),
        showlegend=False,
    )
    return _titled(fig, i18n.tr("各等级的评分分布", "Score by grade"))


def roc_plot(curves: dict[str, pl.DataFrame], aucs: dict[str, float]) -> go.Figure:
    """ROC curves (one per validation sample) with their AUC."""
    fig = go.Figure()
    for name, df in curves.items():
        fig.add_scatter(
            x=df["fpr"].to_list(),
            y=df["tpr"].to_list(),
            mode="lines",
            name=f"{words(_CURVES, name)} (AUC {aucs.get(name, float('nan')):.3f})",
            hovertemplate=i18n.tr("误判正常企业 %{x:.0%}，识别违约企业 %{y:.0%}<extra></extra>",
                                  "goods flagged %{x:.0%}, defaults caught %{y:.0%}"
                                  "<extra></extra>"),
        )
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": _GREY},
                    name=i18n.tr("随机排序", "random order"), hoverinfo="skip")
    fig.update_layout(
        xaxis={"title": i18n.tr("被误判为高风险的正常企业占比", "share of goods flagged"),
               "range": [0, 1], "tickformat": ".0%"},
        yaxis={"title": i18n.tr("被识别出的违约企业占比", "share of defaults caught"),
               "range": [0, 1], "tickformat": ".0%"},
    )
    return _titled(fig, i18n.tr("ROC 曲线：违约企业识别能力", "ROC: defaults caught"),
                   legend_below=True)


def ks_plot(curve: pl.DataFrame, ks: float, name: str) -> go.Figure:
    """Cumulative share of defaults and goods as the cut-off moves from riskiest."""
    share = curve["population_share"].to_list()
    best = int(pl.Series(curve["gap"]).arg_max() or 0) if curve.height else 0
    fig = go.Figure()
    fig.add_scatter(x=share, y=curve["cum_bad"].to_list(), name=i18n.tr("违约企业", "defaults"),
                    line={"color": _FLAG})
    fig.add_scatter(x=share, y=curve["cum_good"].to_list(), name=i18n.tr("正常企业", "goods"),
                    line={"color": _OK})
    if curve.height:
        fig.add_scatter(
            x=[share[best], share[best]],
            y=[curve["cum_good"][best], curve["cum_bad"][best]],
            mode="lines+markers",
            name=f"KS {ks:.3f}",
            line={"color": "black", "dash": "dash"},
        )
    fig.update_traces(hovertemplate="%{x:.0%} → %{y:.0%}<extra>%{fullData.name}</extra>")
    fig.update_layout(
        xaxis={"title": i18n.tr("按风险从高到低纳入的企业占比", "customers taken, riskiest first"),
               "tickformat": ".0%"},
        yaxis={"title": i18n.tr("累计占比", "cumulative share"), "tickformat": ".0%"},
    )
    return _titled(fig, i18n.tr(f"KS 曲线（{words(_CURVES, name)}）",
                                f"KS curve ({words(_CURVES, name)})"), legend_below=True)


def psi_bars(psi_table: pl.DataFrame) -> go.Figure:
    """PSI of the score and each feature, development (T0 − 12 months) vs current
    (end of P). The axis stops a little past the major-shift line: a feature with no
    data at development has a PSI in the tens and would flatten every other bar, so
    longer bars are cut at the axis end and carry their value as text.
    """
    df = psi_table.sort("psi")
    values = df["psi"].to_list()
    cap = max(PSI_SHIFT * 4, min(max(values, default=0.0), 1.0))
    colours = [_OK if v < PSI_STABLE else _WARN if v < PSI_SHIFT else _FLAG for v in values]
    fig = go.Figure(
        go.Bar(x=[min(v, cap) for v in values],
               y=[feature_words(v) for v in df["variable"].to_list()],
               orientation="h", marker_color=colours, customdata=values,
               text=[f"{v:.3g}" if v > cap else "" for v in values],
               textposition="inside", insidetextanchor="end",
               hovertemplate="%{y}: PSI %{customdata:.3f}<extra></extra>")
    )
    for x, side in ((PSI_STABLE, "right"), (PSI_SHIFT, "left")):  # labels apart at 390 px
        fig.add_vline(x=x, line_dash="dot", line_color=_GREY)
        fig.add_annotation(x=x, y=1, yref="paper", yanchor="bottom", xanchor=side,
                           showarrow=False, text=f"{x:.2f}", font={"size": 11, "color": _GREY})
    fig.update_layout(
        xaxis={"title": i18n.tr("PSI 值", "PSI"),
               "range": [0, cap * 1.02]},
        yaxis={"automargin": True},
        height=max(360, 26 * df.height + 140),
    )
    return _titled(fig, i18n.tr("特征稳定性（PSI）", "Stability (PSI)"))


def migration_heatmap(matrix: pl.DataFrame, previous_label: str, current_label: str) -> go.Figure:
    """Customers by previous grade (rows) × current grade (columns); previous grades
    nobody had are left out.
    """
    cols = [c for c in matrix.columns if c != "previous"]
    kept = matrix.filter(pl.sum_horizontal(cols) > 0) if matrix.height else matrix
    z = kept.select(cols).to_numpy()
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[grade_words(c) for c in cols],
            y=[grade_words(p) for p in kept["previous"].to_list()],
            colorscale="Blues",
            text=z,
            texttemplate="%{text:,}",
            showscale=False,
            hovertemplate=i18n.tr("%{y} → %{x}：%{z:,} 家<extra></extra>",
                                  "%{y} → %{x}: %{z:,} customers<extra></extra>"),
        )
    )
    fig.update_layout(
        xaxis={"title": i18n.tr(f"{current_label} 等级", f"grade {current_label}"),
               "type": "category"},
        yaxis={"title": i18n.tr(f"{previous_label} 等级", f"grade {previous_label}"),
               "autorange": "reversed", "type": "category"},
    )
    return _titled(fig, i18n.tr(f"评级迁移 {previous_label} → {current_label}",
                                f"Grade migration {previous_label} → {current_label}"))


def _nice_top(value: float) -> float:
    """An axis end a little above ``value``, a round number (ticks stay round)."""
    step = 0.001
    while step * 10 < value:
        step *= 10
    for k in (1, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * k >= value * 1.05:
            return step * k
    return step * 10


def reliability_plot(table: pl.DataFrame, name: str) -> go.Figure:
    """Observed default rate (with 95 % interval) against mean predicted PD per bin."""
    fig = go.Figure()
    top = _nice_top(max([*table["ci_high"].to_list(), *table["mean_pd"].to_list(), 0.01]))
    fig.add_scatter(
        x=table["mean_pd"].to_list(),
        y=table["observed_rate"].to_list(),
        mode="markers",
        name=i18n.tr("实际违约率（95% 区间）", "observed (95% interval)"),
        error_y={
            "type": "data",
            "symmetric": False,
            "array": (table["ci_high"] - table["observed_rate"]).to_list(),
            "arrayminus": (table["observed_rate"] - table["ci_low"]).to_list(),
        },
        customdata=list(zip(table["customers"].to_list(), table["defaults"].to_list(),
                            strict=True)),
        hovertemplate=i18n.tr(
            "预测 %{x:.1%}，实际 %{y:.1%}（%{customdata[0]:,} 家中 %{customdata[1]:,} 家违约）"
            "<extra></extra>",
            "predicted %{x:.1%}, observed %{y:.1%} (%{customdata[1]:,} of "
            "%{customdata[0]:,})<extra></extra>"),
    )
    fig.add_scatter(x=[0, top], y=[0, top], mode="lines", line={"dash": "dot", "color": _GREY},
                    name=i18n.tr("预测与实际一致", "perfect calibration"), hoverinfo="skip")
    fig.update_layout(
        xaxis={"title": i18n.tr("平均预测违约概率", "mean predicted PD"), "tickformat": ".0%",
               "range": [0, top]},
        yaxis={"title": i18n.tr("实际违约率", "observed default rate"), "tickformat": ".0%",
               "range": [0, top]},
    )
    return _titled(fig, i18n.tr(f"预测与实际违约率（{words(_CURVES, name)}）",
                                f"Predicted vs observed ({words(_CURVES, name)})"),
                   legend_below=True)


def grade_calibration_plot(table: pl.DataFrame) -> go.Figure:
    """Out of time, per grade: the PD band of the master scale (shaded) and the
    observed default rate with its 95 % Jeffreys interval (red when the whole
    interval lies above the band).
    """
    part = table.filter(pl.col("customers") > 0)
    top = _nice_top(max([*part["ci_high"].to_list(), *part["pd_low"].to_list(), 0.01]))
    grades = table["grade"].to_list()
    labels = [grade_words(g) for g in grades]
    highs = [min(h, top) for h in table["pd_high"].to_list()]
    fig = go.Figure()
    fig.add_bar(
        x=labels, y=[h - lo for h, lo in zip(highs, table["pd_low"].to_list(), strict=True)],
        base=table["pd_low"].to_list(), marker_color="#d6eaf8",
        name=i18n.tr("主标尺违约概率区间", "PD band (master scale)"),
        customdata=table["pd_high"].to_list(),
        hovertemplate=i18n.tr("%{x}：区间 %{base:.2%} – %{customdata:.2%}<extra></extra>",
                              "%{x}: band %{base:.2%} – %{customdata:.2%}<extra></extra>"),
    )
    colours = [_FLAG if a == "above band" else _OK for a in part["assessment"].to_list()]
    fig.add_scatter(
        x=[grade_words(g) for g in part["grade"].to_list()], y=part["observed_rate"].to_list(),
        mode="markers", marker={"color": colours, "size": 10},
        name=i18n.tr("实际违约率（95% 区间）", "observed default rate (95% interval)"),
        error_y={
            "type": "data", "symmetric": False,
            "array": (part["ci_high"] - part["observed_rate"]).to_list(),
            "arrayminus": (part["observed_rate"] - part["ci_low"]).to_list(),
        },
        customdata=list(zip(part["customers"].to_list(), part["defaults"].to_list(),
                            strict=True)),
        hovertemplate=i18n.tr(
            "%{x}：%{y:.2%}（%{customdata[0]:,} 家中 %{customdata[1]:,} 家违约）<extra></extra>",
            "%{x}: %{y:.2%} (%{customdata[1]:,} of %{customdata[0]:,})<extra></extra>"),
    )
    fig.update_layout(
        xaxis={"title": i18n.tr("信用等级", "grade"), "categoryorder": "array",
               "categoryarray": labels},
        yaxis={"title": i18n.tr("12 个月违约率", "12-month default rate"), "tickformat": ".0%",
               "range": [0, top]},
    )
    return _titled(fig, i18n.tr("各等级违约率与主标尺区间", "Default rate by grade vs band"),
                   legend_below=True)


def policy_figure(policy: pl.DataFrame) -> go.Figure:
    """The credit policy as a table (grades, conditions in words, terms, limits)."""
    return table_figure(policy_view(policy), i18n.tr("信用政策", "Credit policy"))


def all_figures(tables: dict[str, pl.DataFrame], meta: dict[str, Any]) -> dict[str, go.Figure]:
    """Every figure of the analysis from its tables (missing tables are skipped)."""
    figs: dict[str, go.Figure] = {}
    if "registry_facts" in tables:
        figs["registry_status"] = registry_status(tables["registry_facts"])
    if "knockouts" in tables:
        figs["knockouts"] = table_figure(registry_view(tables["knockouts"]),
                                         i18n.tr("否决名单", "Knock-outs"))
    if "changes" in tables:
        figs["changes"] = table_figure(registry_view(tables["changes"]),
                                       i18n.tr("登记信息变更", "Registry changes"))
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
        figs["psi_table"] = table_figure(tables["psi"], i18n.tr("特征稳定性（PSI）明细",
                                                                "Stability (PSI) table"))
    if "migration" in tables:
        figs["migration"] = migration_heatmap(
            tables["migration"], meta.get("previous_period", i18n.tr("上期", "previous")),
            meta.get("period", ""),
        )
    if "policy" in tables:
        figs["policy"] = policy_figure(tables["policy"])
    return figs
