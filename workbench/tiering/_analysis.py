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
            6, Interval(int, 1, None), "dormant_top_tier: no order in this many months"
        ),
        "min_group_size": Param(
            100, Interval(int, 1, None), "groups (and their rest) smaller than this are never "
            "flagged"
        ),
        "alpha": Param(
            0.05, Interval(float, 0, 1, closed="neither"),
            "Benjamini-Hochberg false discovery rate over every (group, metric) tested",
        ),
        "min_difference": Param(
            0.05, Interval(float, 0, 1, closed="left"),
            "a flagged group is worse off by at least this much (rate difference)",
        ),
        "attributes": Param(
            _disparity.DEFAULT_ATTRIBUTES, (_ATTRIBUTE, SequenceOf(_ATTRIBUTE, min_len=1)),
            "audit attributes to group by",
        ),
        "intersections": Param(True, Boolean(), "also judge every pair of attributes"),
        "n_bootstrap": Param(
            1000, Interval(int, 0, None), "bootstrap resamples for the intervals; 0: none"
        ),
        "seed": Param(0, Interval(int, 0, None), "seed of the bootstrap"),
        "ci_level": Param(
            0.95, Interval(float, 0, 1, closed="neither"),
            "confidence level of the bootstrap intervals",
        ),
        "worklist_size": Param(50, Interval(int, 0, None), "rows of the worklist table"),
        "forest_top": Param(
            25, Interval(int, 1, None), "groups shown per disparity forest plot (flagged "
            "groups always are)"
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
        ``hidden_benefit_grants``, ``hidden_benefit_cny``, … see docs/tiering.md);
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
        metrics=_metrics(findings, status, grants),
        timings_s=timings,
        published=PUBLISHED,
    )
