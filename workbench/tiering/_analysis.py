"""The tiering analysis' declared parameters and its entry point :func:`analyze`."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from workbench.analysis import AnalysisResult, as_period
from workbench.findings import empty_findings, make_findings
from workbench.params import (
    Boolean,
    Interval,
    Options,
    Param,
    ParameterSet,
    SequenceOf,
    as_tuple,
    declared,
)
from workbench.periods import Period
from workbench.tiering import _benefits, _disparity, _figures, _findings, _status, _tables

ANALYSIS = "tiering"
#: The contract tables this analysis reads.
TABLES: tuple[str, ...] = (
    "subsidiaries",
    "customers",
    "tier_policy",
    "tier_benefits",
    "tier_assignments",
    "benefit_grants",
    "orders",
)
#: Tables the report publishes beside the findings: none.
PUBLISHED: tuple[str, ...] = ()

_ATTRIBUTE = Options(_disparity.SUPPORTED_ATTRIBUTES)
#: The user-facing knobs of :func:`analyze` (a scheduled run may set any of them).
PARAMETERS = ParameterSet(
    ANALYSIS,
    {
        "dormant_months": Param(
            6, Interval(int, 1, None), "dormant_top_tier: no order in this many months",
            doc_zh="最高等级会员连续这么多个月没有订单，即为“顶级会员长期无交易”",
        ),
        "min_group_size": Param(
            100, Interval(int, 1, None), "groups (and their rest) smaller than this are never "
            "flagged",
            doc_zh="群体及其他客户各自的最少人数；人数不足的群体只展示，不认定为问题",
        ),
        "alpha": Param(
            0.05, Interval(float, 0, 1, closed="neither"),
            "Benjamini-Hochberg false discovery rate over every (group, metric) tested",
            doc_zh="误报率上限：对全部检验的群体与指标组合做 Benjamini–Hochberg 校正后，"
            "q 值须低于此值才认定",
        ),
        "min_difference": Param(
            0.05, Interval(float, 0, 1, closed="left"),
            "a flagged group is worse off by at least this much (rate difference)",
            doc_zh="认定为问题群体所需的最小差距（两个比例之差，以小数表示）",
        ),
        "attributes": Param(
            _disparity.DEFAULT_ATTRIBUTES, (_ATTRIBUTE, SequenceOf(_ATTRIBUTE, min_len=1)),
            "audit attributes to group by",
            doc_zh="用于分组比较的客户属性",
        ),
        "intersections": Param(True, Boolean(), "also judge every pair of attributes",
                               doc_zh="是否同时比较两两属性组合（如性别与省份）"),
        "n_bootstrap": Param(
            1000, Interval(int, 0, None), "bootstrap resamples for the intervals; 0: none",
            doc_zh="计算区间时重新抽样（bootstrap）的次数；0 表示不计算区间",
        ),
        "seed": Param(0, Interval(int, 0, None), "seed of the bootstrap",
                      doc_zh="重新抽样的随机种子，保证重跑结果相同"),
        "ci_level": Param(
            0.95, Interval(float, 0, 1, closed="neither"),
            "confidence level of the bootstrap intervals",
            doc_zh="区间的置信水平",
        ),
        "worklist_size": Param(50, Interval(int, 0, None), "rows of the worklist table",
                               doc_zh="工作清单显示的行数"),
        "forest_top": Param(
            25, Interval(int, 1, None), "groups shown per disparity forest plot (flagged "
            "groups always are)",
            doc_zh="每张群体差异图最多显示的群体数（问题群体总会显示）",
        ),
    },
)

MSG_MISSING_TABLES = "the tiering analysis needs the tables {names}; the frames lack {missing}"
MSG_NO_POLICY = "tier_policy is empty: there are no criteria to judge tiers by"


def _share(num: float, den: float) -> float | None:
    return round(num / den, 6) if den else None


def _metrics(findings: pl.DataFrame, status: pl.DataFrame, grants: pl.DataFrame) -> dict[str, Any]:
    """The headline numbers of one run (plain Python scalars; see docs/tiering.md)."""
    counts = {rule: int(n) for rule, n in findings.group_by("rule").len().iter_rows()}
    in_scope = status.height
    mismatch = counts.get("tier_mismatch", 0)
    hidden = findings.filter(pl.col("rule") == "hidden_benefit")
    return {
        "customers_in_scope": in_scope,
        "tier_mismatch": mismatch,
        "under_tiered": int((status["status"] == "under").sum()),
        "over_tiered": int((status["status"] == "over").sum()),
        "correctly_tiered_share": _share(in_scope - mismatch, in_scope),
        "hidden_benefit_grants": hidden.height,
        "hidden_benefit_cny": round(float(hidden["amount_cny"].fill_null(0.0).sum()), 2),
        "hidden_benefit_customers": grants.filter(pl.col("is_hidden"))["customer_id"].n_unique(),
        "manual_tier_without_reason": counts.get("manual_tier_without_reason", 0),
        "stale_tier": counts.get("stale_tier", 0),
        "dormant_top_tier": counts.get("dormant_top_tier", 0),
        "unpublished_policy": counts.get("unpublished_policy", 0),
        "tier_disparity_groups": counts.get("tier_disparity", 0),
    }


def _note(rules: Sequence[str], zh: str, en: str) -> dict[str, Any]:
    return {"rules": list(rules), "zh": zh, "en": en}


def _not_judged(
    frames: Mapping[str, pl.LazyFrame], p: Period, status: pl.DataFrame, grants: pl.DataFrame,
    disparity: pl.DataFrame, min_group_size: int,
) -> list[dict[str, Any]]:
    """What the period's data could not judge, said plainly (``metrics["not_judged"]``):
    an empty input must never read as "no problems found".
    """
    per_customer = ["tier_mismatch", "manual_tier_without_reason", "stale_tier",
                    "dormant_top_tier", "tier_disparity"]
    notes: list[dict[str, Any]] = []
    if status.height == 0:
        notes.append(_note(per_customer, "本期没有需评估的客户（customers 中没有期末前注册的客户）",
                           "there are no customers to judge (none signed up before the "
                           "period end)"))
    if grants.height == 0:
        notes.append(_note(["hidden_benefit"],
                           "本期没有权益发放记录（benefit_grants）：无法判断是否发放了未公布的权益"
                           "（hidden_benefit），也无法比较各群体获得隐性权益的比例",
                           "no benefit was granted in the period (benefit_grants): whether "
                           "unpublished benefits were given (hidden_benefit), and to which "
                           "groups, could not be judged"))
    if status.height == 0:
        return notes
    if status["assigned_at"].null_count() == status.height:
        notes.append(_note(["manual_tier_without_reason", "stale_tier", "dormant_top_tier"],
                           "截至期末没有任何会员等级记录（tier_assignments）：所有客户按最低等级评判；"
                           "人工调级理由、复核周期和顶级会员活跃度无从评估",
                           "no tier was ever assigned by the period end (tier_assignments): "
                           "every customer is judged as holding the lowest tier; manual "
                           "changes, review cycles and dormant top-tier customers could not "
                           "be judged"))
    else:
        in_p = pl.col("assigned_at").is_between(p.start, p.end, closed="left")
        if frames["tier_assignments"].filter(in_p).select(pl.len()).collect().item() == 0:
            notes.append(_note(["stale_tier"],
                               "本期没有任何等级评定或复核记录（tier_assignments）：本期是否复核无从"
                               "核实，复核周期（stale_tier）按期初以前的记录评判",
                               "no tier was assigned or reviewed in the period "
                               "(tier_assignments): reviews in the period could not be "
                               "confirmed; review cycles (stale_tier) are judged on earlier "
                               "records"))
    if int(status["orders_12m"].sum()) == 0:
        notes.append(_note(["tier_mismatch", "dormant_top_tier", "tier_disparity"],
                           "近 12 个月没有订单（orders）：消费额与订单数标准无从计算，"
                           "等级只按注册时长评判",
                           "no order in the 12 months to the period end (orders): spend and "
                           "order criteria could not be computed; tiers are judged on tenure "
                           "only"))
    under = disparity.filter(pl.col("metric") == "under_tiered_rate")
    if not bool(under["tested"].any()):
        notes.append(_note(["tier_disparity"],
                           f"没有达到检验规模的群体（群体及其余客户中符合较高等级者各至少 "
                           f"{min_group_size} 人）：群体定级差异（tier_disparity）无法评估",
                           f"no group reached the size to be tested ({min_group_size} customers "
                           "eligible above the lowest tier in the group and in the rest): "
                           "under-tiering by group (tier_disparity) could not be judged"))
    return notes


def _judge(
    frames: Mapping[str, pl.LazyFrame], p: Period, *, dormant_months: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Policy, customer status, judged grants and the tier distribution, collected once."""
    policy = _status.policy_frame(frames["tier_policy"], p)
    if policy.height == 0:
        raise ValueError(MSG_NO_POLICY)
    lowest_tier = str(policy.filter(pl.col("is_criteria"))["tier"][-1])
    status, grants, distribution = pl.collect_all([
        _status.customer_status(frames, p, policy, dormant_months=dormant_months),
        _benefits.judged_grants(frames, p, lowest_tier=lowest_tier),
        _status.tier_distribution(frames, p),
    ])
    return policy, status, grants, distribution


def _findings_of(
    p: Period,
    policy: pl.DataFrame,
    status: pl.DataFrame,
    grants: pl.DataFrame,
    disparity: pl.DataFrame,
    params: Mapping[str, Any],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Contract findings of every rule, and each finding's one-line worklist summary."""
    months = params["dormant_months"]
    n_tests = int(disparity["p_value"].is_not_nan().sum())
    thresholds = {
        "alpha": params["alpha"],
        "min_difference": params["min_difference"],
        "min_group_size": params["min_group_size"],
        "n_bootstrap": params["n_bootstrap"],
        "correction": f"Benjamini-Hochberg over {n_tests} (group, metric) tests",
        "test": "one-sided Fisher exact (group worse than the rest)",
        "four_fifths": _disparity.FOUR_FIFTHS,
        "units": {
            "under_tiered_rate": "customers, attributes at the period end",
            "hidden_benefit_rate": "customer-spells, attributes at grant time",
        },
    }
    raws = [
        _findings.tier_mismatch(status, policy),
        _findings.manual_tier_without_reason(status),
        _findings.stale_tier(status),
        _findings.dormant_top_tier(status, months, p.months_back(months)),
        _findings.unpublished_policy(policy, status, p),
        _findings.hidden_benefit(grants),
        _findings.tier_disparity(disparity, thresholds),
    ]
    parts = [make_findings(r.drop("summary"), analysis=ANALYSIS, period=p.label) for r in raws]
    findings = pl.concat([empty_findings(), *parts]).sort("rule", "entity_id")
    summaries = pl.concat([r.select("rule", "entity_id", "summary") for r in raws])
    return findings, summaries


@declared(PARAMETERS)
def analyze(
    frames: Mapping[str, pl.LazyFrame],
    period: Period | str,
    *,
    dormant_months: int = 6,
    min_group_size: int = 100,
    alpha: float = 0.05,
    min_difference: float = 0.05,
    attributes: str | Sequence[str] = _disparity.DEFAULT_ATTRIBUTES,
    intersections: bool = True,
    n_bootstrap: int = 1000,
    seed: int = 0,
    ci_level: float = 0.95,
    worklist_size: int = 50,
    forest_top: int = 25,
) -> AnalysisResult:
    """Judge tiering for ``period``: eligibility, hidden benefits, group disparity.

    Parameters
    ----------
    frames
        Contract LazyFrames (:func:`workbench.sources.load`); needs :data:`TABLES`.
    period
        A :class:`~workbench.periods.Period` or its label (``"2026-Q3"``).
    dormant_months
        ``dormant_top_tier``: top-tier customers with no order in this many months.
    min_group_size
        A group (and its rest) needs this many customers in a metric's population to
        be tested; smaller groups are shown but never flagged.
    alpha
        False discovery rate: Benjamini–Hochberg q-values over every (group,
        metric) tested must be below it.
    min_difference
        A flagged group is worse off by at least this much (rate difference).
    attributes
        Audit attributes to group by (one of ``SUPPORTED_ATTRIBUTES``, or a list).
    intersections
        Also judge each pair of attributes (``gender=f&province=31``).
    n_bootstrap
        Bootstrap resamples (customers) for the intervals; 0 = no intervals.
    seed
        Seed of the bootstrap, so a re-run gives the same numbers.
    ci_level
        Confidence level of the bootstrap intervals.
    worklist_size
        Rows of the worklist table.
    forest_top
        Groups shown in each disparity forest plot (flagged groups always are).

    Returns
    -------
    AnalysisResult
        ``findings`` (contract schema); ``tables`` ``eligibility``,
        ``mismatch_matrix``, ``policy``, ``tier_distribution``, ``hidden_benefits``,
        ``hidden_by_subsidiary``, ``hidden_by_tier``, ``disparity``, ``worklist``,
        ``findings_summary``; ``figures`` ``tier_distribution``,
        ``eligibility_heatmap``, ``hidden_by_subsidiary``, ``disparity_forest``,
        ``disparity_forest_hidden``; ``metrics`` the headline numbers
        (``customers_in_scope``, ``tier_mismatch``, ``correctly_tiered_share``,
        ``hidden_benefit_grants``, ``hidden_benefit_cny``, … see docs/tiering.md) and
        ``not_judged`` (:func:`_not_judged`: what the data could not judge, zh and en);
        ``parameters`` every declared parameter as used.
    """
    p = as_period(period)
    missing = [t for t in TABLES if t not in frames]
    if missing:
        raise ValueError(MSG_MISSING_TABLES.format(names=list(TABLES), missing=missing))
    params = PARAMETERS.check({k: v for k, v in locals().items() if k in PARAMETERS})
    attrs = tuple(dict.fromkeys(as_tuple(attributes)))
    params["attributes"] = list(attrs)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    policy, status, grants, distribution = _judge(frames, p, dormant_months=dormant_months)
    timings["status_and_grants"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    disparity = _disparity.group_disparity(
        _tables.units(frames, status, grants, p, attrs),
        attributes=attrs,
        intersections=intersections,
        min_group_size=min_group_size,
        alpha=alpha,
        min_difference=min_difference,
        n_bootstrap=n_bootstrap,
        seed=seed,
        level=ci_level,
    )
    timings["disparity"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    findings, summaries = _findings_of(p, policy, status, grants, disparity, params)
    timings["findings"] = time.perf_counter() - t2

    t3 = time.perf_counter()
    tables = _tables.all_tables(
        policy, status, grants, distribution, disparity, findings, summaries,
        worklist_size=worklist_size,
    )
    timings["tables"] = time.perf_counter() - t3

    t4 = time.perf_counter()
    figures = _figures.all_figures(
        tables, policy["tier"].to_list(), min_difference=min_difference, forest_top=forest_top
    )
    timings["figures"] = time.perf_counter() - t4
    timings["total"] = time.perf_counter() - t0
    return AnalysisResult(
        analysis=ANALYSIS,
        findings=findings,
        tables=tables,
        figures=figures,
        parameters=params,
        metrics=_metrics(findings, status, grants) | {"not_judged": _not_judged(
            frames, p, status, grants, disparity, min_group_size)},
        timings_s=timings,
        published=PUBLISHED,
    )
