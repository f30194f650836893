"""The pricing analysis' entry point: :data:`PARAMETERS` and :func:`analyze`."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import polars as pl

from workbench.analysis import AnalysisResult, as_period
from workbench.attributes import attribute_sets
from workbench.findings import empty_findings, make_findings
from workbench.params import (
    Boolean,
    Interval,
    Options,
    Param,
    ParameterSet,
    SequenceOf,
    declared,
)
from workbench.periods import Period
from workbench.pricing import _figures, _money
from workbench.pricing._attributes import DEFAULT_ATTRIBUTES, SUPPORTED_ATTRIBUTES
from workbench.pricing._audit import Disparity, audit
from workbench.pricing._estimator import Settings
from workbench.pricing._explained import DEFAULT_TOLERANCE
from workbench.pricing._findings import (
    price_disparity,
    unexplained_premium,
    unpublished_promotion,
)
from workbench.pricing._tables import evidence_tables
from workbench.pricing._units import order_units

ANALYSIS = "pricing"
#: The contract tables this analysis reads.
TABLES: tuple[str, ...] = (
    "subsidiaries",
    "customers",
    "tier_policy",
    "tier_benefits",
    "tier_assignments",
    "promotions",
    "orders",
)
#: Tables the report publishes beside the findings: the per-customer refund list.
PUBLISHED: tuple[str, ...] = ("refunds",)

_COUNT = Interval(int, 0, None)
#: The declared parameters of :func:`analyze` (a scheduled run may set any of them).
PARAMETERS = ParameterSet(ANALYSIS, {
    "tolerance": Param(DEFAULT_TOLERANCE, Interval(float, 0, 1, closed="left"),
                       "relative tolerance on charged vs explained price (rounding to cents)",
                       doc_zh="实收价高出可解释价格的相对幅度在此以内不算多收（吸收四舍五入到分的误差）"),
    "window_days": Param(7, Interval(int, 1, None),
                         "days in the time window of a matched cell (7: ISO weeks, 1: days)",
                         doc_zh="同品同时对比的时间窗天数（7 为按自然周，1 为按天）"),
    "cell_includes_channel": Param(True, Boolean(),
                                   "split cells by channel too (never when auditing channel)",
                                   doc_zh="对比时是否再按下单渠道细分（审计渠道本身时不细分）"),
    "min_group_orders": Param(200, Interval(int, 1, None),
                              "orders a group (and its rest) needs in matched cells to be tested",
                              doc_zh="群体（及其对照组）在可比订单中至少要有的订单数，达到才检验"),
    "min_group_customers": Param(50, Interval(int, 1, None),
                                 "customers a group needs in matched cells to be tested",
                                 doc_zh="群体在可比订单中至少要有的客户数，达到才检验"),
    "min_cell_orders": Param(2, Interval(int, 2, None),
                             "orders a matched cell needs to be informative",
                             doc_zh="一个对比单元（同一商品、同一时间窗）至少要有的订单数"),
    "min_cell_customers": Param(2, Interval(int, 1, None),
                                "distinct customers a matched cell needs to be informative",
                                doc_zh="一个对比单元至少要有的不同客户数"),
    "alpha": Param(0.05, Interval(float, 0, 1, closed="neither"),
                   "probability of any false price_disparity flag in a run",
                   doc_zh="一次运行中误标任何群体（price_disparity）的概率上限，即显著性水平"),
    "min_premium": Param(0.01, Interval(float, 0, None),
                         "practical threshold on the premium (log points ≈ relative)",
                         doc_zh="溢价的实质性门槛（对数点，约等于百分比），低于它不标记"),
    "n_permutations": Param(200, _COUNT, "Monte Carlo within-cell permutations",
                            doc_zh="置换检验的随机打乱次数（在同一对比单元内打乱群体标签）"),
    "n_placebo": Param(20, _COUNT, "random A/A splits of the placebo floor",
                       doc_zh="安慰剂检验的随机分组次数（随机分组本应无差异，用来估计噪声门槛）"),
    "max_rounds": Param(8, Interval(int, 1, None),
                        "rounds of the stepwise audit (at most one group flagged per round)",
                        doc_zh="逐步审计的最多轮数（每轮最多标记一个群体）"),
    "intersections": Param(True, Boolean(), "also audit every pair of attributes",
                           doc_zh="是否同时审计两两组合的群体（如女性 × 上海市）"),
    "attributes": Param(DEFAULT_ATTRIBUTES, SequenceOf(Options(SUPPORTED_ATTRIBUTES), min_len=1),
                        "the audit attributes", doc_zh="受审计的客户属性（个人特征）"),
    "model_check": Param(True, Boolean(), "fit the gradient-boosting model check",
                         doc_zh="是否做模型核验（梯度提升模型，仅作佐证）"),
    "model_max_rows": Param(200_000, Interval(int, 1, None), "orders sampled for the model check",
                            doc_zh="模型核验最多抽取的订单数"),
    "seed": Param(0, Interval(int, 0, None),
                  "seed of every random draw (permutation, placebo, folds, model)",
                  doc_zh="所有随机抽样的种子（置换、安慰剂、交叉拟合、模型），保证结果可复现"),
})


@declared(PARAMETERS)
def analyze(
    frames: Mapping[str, pl.LazyFrame],
    period: Period | str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    window_days: int = 7,
    cell_includes_channel: bool = True,
    min_group_orders: int = 200,
    min_group_customers: int = 50,
    min_cell_orders: int = 2,
    min_cell_customers: int = 2,
    alpha: float = 0.05,
    min_premium: float = 0.01,
    n_permutations: int = 200,
    n_placebo: int = 20,
    max_rounds: int = 8,
    intersections: bool = True,
    attributes: tuple[str, ...] = DEFAULT_ATTRIBUTES,
    model_check: bool = True,
    model_max_rows: int = 200_000,
    seed: int = 0,
) -> AnalysisResult:
    """Audit the period's prices: unexplained premiums, unannounced promotions, and
    groups that pay more for the same sku at the same time (大数据杀熟).

    Parameters
    ----------
    frames
        Contract LazyFrames (:func:`workbench.sources.load` with :data:`TABLES`).
    period
        A :class:`~workbench.periods.Period` or its label.
    tolerance
        Relative tolerance on charged vs explained price (rounding to cents).
    window_days
        Length of the time window of a matched cell, counted from the Monday of
        the period start's ISO week: 7 (default) gives sku × ISO week (× channel)
        cells, 1 calendar days (see ``docs/pricing.md`` for the choice).
    cell_includes_channel
        Whether a cell is also split by channel (never when auditing channel).
    min_group_orders, min_group_customers
        Minimum size of a group (and orders of its rest) in matched cells.
    min_cell_orders, min_cell_customers
        Minimum orders and distinct customers of an informative matched cell.
    alpha
        Level after Holm (confirmatory: tenure_band, device_os, province) or
        Benjamini–Hochberg (everything else), Bonferroni across the two families.
    min_premium
        Practical threshold on the premium (log points ≈ relative).
    n_permutations, n_placebo
        Monte Carlo within-cell permutations, random A/A splits. (Standard errors
        are clustered by customer analytically: there is no bootstrap to size.)
    max_rounds
        Rounds of the stepwise audit; each flags at most one group.
    intersections
        Also audit every pair of attributes (``a=x&b=y``, alphabetical).
    attributes
        The audit attributes (:data:`DEFAULT_ATTRIBUTES`; a list is accepted).
    model_check
        Fit the gradient-boosting check (legitimate features vs + audited ones).
    model_max_rows
        Rows sampled for the model check.
    seed
        Seed of every random draw (permutation, placebo, folds, model).

    Returns
    -------
    AnalysisResult
        ``findings``; ``tables`` (:func:`workbench.pricing._tables.evidence_tables`);
        ``figures``; ``parameters``; ``metrics`` (:func:`_metrics`: ``overcharge_cny`` counts
        each order once, ``attributed_overcharge_cny`` + ``unattributed_overcharge_cny`` break it
        down; ``not_judged``: what the data could not judge, zh and en); ``published``:
        ``refunds``.

    Examples
    --------
    >>> from workbench.pricing._synthetic import synthetic_frames
    >>> res = analyze(synthetic_frames(seed=1, ios_premium=0.04), "2026-Q3",
    ...               intersections=False, n_permutations=50, n_placebo=5,
    ...               model_check=False)
    >>> sorted(res.findings.filter(pl.col("rule") == "price_disparity")["entity_id"])
    ['device_os=ios']
    >>> res.metrics["price_disparity_groups"]
    1
    """
    parameters = PARAMETERS.check({k: v for k, v in locals().items() if k in PARAMETERS})
    p = as_period(period)
    attrs = tuple(dict.fromkeys(attributes))
    settings = Settings(
        cell_includes_channel=cell_includes_channel, min_group_orders=min_group_orders,
        min_group_customers=min_group_customers, min_cell_orders=min_cell_orders,
        min_cell_customers=min_cell_customers, alpha=alpha, min_premium=min_premium,
        n_permutations=n_permutations, n_placebo=n_placebo,
        max_rounds=max_rounds, seed=seed,
    )
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    units = order_units(frames, p, tolerance=tolerance, window_days=window_days)
    timings["order_units"] = time.perf_counter() - t0
    t = time.perf_counter()
    sets = attribute_sets(attrs, intersections)
    disparity = audit(units, sets, settings)
    timings["audit"] = time.perf_counter() - t
    t = time.perf_counter()
    money = _money.money(units, disparity.flagged)
    findings = _findings(units, disparity, money, settings, p, tolerance=tolerance,
                         window_days=window_days)
    timings["findings"] = time.perf_counter() - t
    t = time.perf_counter()
    tables = evidence_tables(units, disparity, money, settings, attrs, tolerance=tolerance,
                             model_check=model_check, model_max_rows=model_max_rows)
    timings["tables"] = time.perf_counter() - t
    t = time.perf_counter()
    figures = _figures.all_figures(units, disparity, tables)
    timings["figures"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return AnalysisResult(
        analysis=ANALYSIS, findings=findings, tables=tables, figures=figures, parameters=parameters,
        metrics=_metrics(findings, units, disparity.groups, tables, settings),
        timings_s=timings, published=PUBLISHED,
    )


def _findings(units: pl.DataFrame, disparity: Disparity, money: _money.Money,
              settings: Settings, p: Period, *, tolerance: float,
              window_days: int) -> pl.DataFrame:
    """Contract findings of every rule (order rules first, then the groups)."""
    raw = [
        unexplained_premium(units, tolerance=tolerance, parts=money.parts),
        unpublished_promotion(units),
        price_disparity(disparity, money.groups, settings, tolerance=tolerance,
                        window_days=window_days),
    ]
    raw = [r for r in raw if r.height]
    if not raw:
        return empty_findings()
    return make_findings(pl.concat(raw, how="diagonal_relaxed"), analysis=ANALYSIS, period=p.label)


def _not_judged(units: pl.DataFrame, groups: pl.DataFrame,
                settings: Settings) -> list[dict[str, Any]]:
    """What the period's data could not judge, said plainly (``metrics["not_judged"]``):
    a period without orders must never read as "no problems found".
    """
    if units.height == 0:
        return [{"rules": ["price_disparity", "unexplained_premium", "unpublished_promotion"],
                 "zh": ("本期没有订单（orders）：价格是否可解释、促销是否公开、"
                        "群体价格差异均无从评估"),
                 "en": "there are no orders in the period (orders): prices, promotions and "
                       "group price differences could not be judged"}]
    if not bool(groups["tested"].any()):
        return [{"rules": ["price_disparity"],
                 "zh": (f"没有达到检验规模的群体（每组至少 {settings.min_group_orders} 笔订单、"
                        f"{settings.min_group_customers} 位客户）：群体价格差异（price_disparity）"
                        "无法评估"),
                 "en": (f"no group reached the size to be tested ({settings.min_group_orders} "
                        f"orders and {settings.min_group_customers} customers): "
                        "price_disparity could not be judged")}]
    return []


def _count(findings: pl.DataFrame, rule: str) -> int:
    return findings.filter(pl.col("rule") == rule).height


def _money_of(findings: pl.DataFrame, rule: str) -> float:
    amounts = findings.filter(pl.col("rule") == rule)["amount_cny"].fill_null(0.0)
    return round(float(amounts.sum()), 2)


def _metrics(findings: pl.DataFrame, units: pl.DataFrame, groups: pl.DataFrame,
             tables: Mapping[str, pl.DataFrame], settings: Settings) -> dict[str, Any]:
    """The headline numbers, from the findings and the analysis's own tables.

    Money is of one kind per metric (contract "Money kinds"): ``overcharge_cny``
    (kind overcharge: Σ ``unexplained_premium`` amounts, each order once) breaks down
    into ``attributed_overcharge_cny`` (to flagged groups) and
    ``unattributed_overcharge_cny``; ``group_overcharge_cny`` is Σ of the
    ``price_disparity`` amounts (= the attributed part, a breakdown, never added to
    ``overcharge_cny``); ``unpublished_promotion_cny`` is of kind discount.
    Also ``orders_in_period``, ``customers_in_period``, ``price_disparity_groups``,
    ``unexplained_premium_orders``, ``unpublished_promotion_orders``,
    ``groups_tested`` (distinct groups tested on either outcome), ``echo_groups``,
    ``refund_customers`` and ``refund_cny`` (the refund list: = ``overcharge_cny``), and
    ``not_judged`` (:func:`_not_judged`).
    """
    tested = groups.filter(pl.col("tested"))
    echoes = groups.filter(pl.col("echo_of").is_not_null())
    refund_table = tables["refunds"]
    breakdown = tables["overcharge_breakdown"]
    unattributed = breakdown.filter(pl.col("cause") == _money.UNATTRIBUTED)["amount_cny"]
    attributed = breakdown.filter(pl.col("cause") != _money.UNATTRIBUTED)["amount_cny"]
    return {
        "orders_in_period": int(units.height),
        "customers_in_period": int(units["customer_id"].n_unique()),
        "price_disparity_groups": _count(findings, "price_disparity"),
        "group_overcharge_cny": _money_of(findings, "price_disparity"),
        "unexplained_premium_orders": _count(findings, "unexplained_premium"),
        "overcharge_cny": _money_of(findings, "unexplained_premium"),
        "attributed_overcharge_cny": round(float(attributed.sum()), 2),
        "unattributed_overcharge_cny": round(float(unattributed.sum()), 2),
        "unpublished_promotion_orders": _count(findings, "unpublished_promotion"),
        "unpublished_promotion_cny": _money_of(findings, "unpublished_promotion"),
        "groups_tested": int(tested["label"].n_unique()),
        "echo_groups": int(echoes["label"].n_unique()),
        "refund_customers": int(refund_table["customer_id"].n_unique()),
        "refund_cny": round(float(refund_table["excess_cny"].sum()), 2),
        "not_judged": _not_judged(units, groups, settings),
    }
