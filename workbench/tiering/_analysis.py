"""The tiering analysis' entry point :func:`analyze` and its result object."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import polars as pl

from workbench.analysis import AnalysisResult, as_period
from workbench.attributes import age_band, tenure_band
from workbench.findings import empty_findings, make_findings
from workbench.periods import Period
from workbench.tiering import _benefits, _disparity, _figures, _findings, _status

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
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}

MSG_MISSING_TABLES = "the tiering analysis needs the tables {names}; the frames lack {missing}"
MSG_BAD_PARAMETER = "{name} must be {rule} (got {value!r})"
MSG_NO_POLICY = "tier_policy is empty: there are no criteria to judge tiers by"


@dataclass(frozen=True)
class TieringResult(AnalysisResult):
    """What :func:`analyze` returns: findings, tables and figures, computed once.

    ``tables`` and ``figures`` are read-only mappings. The shortcuts
    (:attr:`eligibility`, :attr:`disparity`, :attr:`worklist`) read from
    ``tables``; ``parameters`` records the thresholds used and ``timings_s`` how
    long each step took.
    """

    period: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    timings_s: Mapping[str, float] = field(default_factory=dict)

    @property
    def eligibility(self) -> pl.DataFrame:
        return self.tables["eligibility"]

    @property
    def disparity(self) -> pl.DataFrame:
        return self.tables["disparity"]

    @property
    def worklist(self) -> pl.DataFrame:
        return self.tables["worklist"]

    def findings_of(self, rule: str) -> pl.DataFrame:
        """The findings of one rule."""
        return self.findings.filter(pl.col("rule") == rule)


def current_tiers(frames: Mapping[str, pl.LazyFrame], period: Period | str) -> pl.LazyFrame:
    """Each customer's tier at the end of ``period``: the latest assignment at or
    before it (ties: the later row in the file). Columns ``customer_id``, ``tier``,
    ``assigned_at``, ``method``, ``reason``."""
    return _status.current_tiers(frames["tier_assignments"], as_period(period).end)


def tier_counts(frames: Mapping[str, pl.LazyFrame], period: Period | str) -> pl.DataFrame:
    """Customers by current tier per subsidiary at the end of ``period``
    (customers without a tier count under ``tier`` null), with each tier's
    ``share`` of the subsidiary's customers."""
    end = as_period(period).end
    customers = frames["customers"].filter(pl.col("signup_date") < end.date())
    return (
        customers.join(current_tiers(frames, period), on="customer_id", how="left")
        .group_by("subsidiary_id", "tier")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().over("subsidiary_id")).alias("share")
        )
        .sort("subsidiary_id", "tier", nulls_last=True)
        .collect()
    )


def _check(name: str, ok: bool, rule: str, value: object) -> None:
    if not ok:
        raise ValueError(MSG_BAD_PARAMETER.format(name=name, rule=rule, value=value))


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _units(
    frames: Mapping[str, pl.LazyFrame],
    status: pl.DataFrame,
    grants: pl.DataFrame,
    period: Period,
    attributes: Sequence[str],
) -> pl.DataFrame:
    """One row per customer in scope: audit attributes and the disparity outcomes.
    Personal attributes stay in here; they never reach a table or the worklist."""
    hidden_customers = grants.filter(pl.col("is_hidden")).select("customer_id").unique()
    people = (
        frames["customers"]
        .select("customer_id", "gender", "birth_year", "province")
        .join(status.lazy().select("customer_id"), on="customer_id", how="semi")
        .collect()
    )
    return (
        status.select(
            "customer_id",
            "subsidiary_id",
            "customer_type",
            "tenure_months",
            "qualifies_above_lowest",
            "is_under_tiered",
        )
        .join(people, on="customer_id", how="left")
        .with_columns(
            age_band(pl.col("birth_year"), period.last_day.year).alias("age_band"),
            tenure_band(pl.col("tenure_months")).alias("tenure_band"),
            pl.col("customer_id")
            .is_in(hidden_customers["customer_id"].implode())
            .alias("has_hidden_benefit"),
        )
        .select(*attributes, "qualifies_above_lowest", "is_under_tiered", "has_hidden_benefit")
    )


def _mismatch_matrix(status: pl.DataFrame, policy: pl.DataFrame) -> pl.DataFrame:
    order = policy["tier"].to_list()  # best first
    held = status.with_columns(pl.col("current_tier").fill_null(pl.lit("(none)")))
    present = set(held["current_tier"].to_list())
    columns = [t for t in order if t in present] + (["(none)"] if "(none)" in present else [])
    columns += sorted(present - set(columns))
    rows = [t for t in policy.filter(pl.col("is_criteria"))["tier"].to_list()]
    counts = held.group_by("eligible_tier", "current_tier").agg(pl.len().cast(pl.Int64).alias("n"))
    grid = (
        pl.DataFrame({"eligible_tier": rows})
        .join(pl.DataFrame({"current_tier": columns}), how="cross")
        .join(counts, on=["eligible_tier", "current_tier"], how="left")
        .with_columns(pl.col("n").fill_null(0))
    )
    return grid.pivot(
        on="current_tier", index="eligible_tier", values="n", sort_columns=False
    ).select("eligible_tier", *columns)


#: Worklist order of rules within a severity: systemic findings first.
_RULE_ORDER = {
    "tier_disparity": 0,
    "unpublished_policy": 1,
    "hidden_benefit": 2,
    "tier_mismatch": 3,
    "manual_tier_without_reason": 4,
    "stale_tier": 5,
    "dormant_top_tier": 6,
}


def _worklist(findings: pl.DataFrame, summaries: pl.DataFrame, size: int) -> pl.DataFrame:
    """The top ``size`` findings: by severity, then round-robin over the rules (the
    biggest money first within a rule), so one plentiful rule cannot crowd out the
    others. Ids and a one-line summary only: no personal attributes."""
    return (
        findings.join(summaries, on=["rule", "entity_id"], how="left")
        .with_columns(
            pl.col("severity").replace_strict(_SEVERITY_ORDER, return_dtype=pl.Int8).alias("_s"),
            pl.col("rule").replace_strict(_RULE_ORDER, default=99, return_dtype=pl.Int8).alias(
                "_r"
            ),
        )
        .sort(["amount_cny", "entity_id"], descending=[True, False], nulls_last=True)
        .with_columns(pl.int_range(pl.len()).over("_s", "rule").alias("_k"))
        .sort("_s", "_k", "_r")
        .head(size)
        .select(
            pl.int_range(1, pl.len() + 1).alias("priority"),
            "finding_id",
            "rule",
            "severity",
            "entity_type",
            "entity_id",
            "subsidiary_id",
            "amount_cny",
            "summary",
        )
    )


def analyze(
    frames: Mapping[str, pl.LazyFrame],
    period: Period | str,
    *,
    dormant_months: int = 6,
    min_group_size: int = 100,
    alpha: float = 0.05,
    min_difference: float = 0.05,
    attributes: Sequence[str] = _disparity.DEFAULT_ATTRIBUTES,
    intersections: bool = True,
    n_bootstrap: int = 1000,
    seed: int = 0,
    worklist_size: int = 50,
    forest_top: int = 25,
) -> TieringResult:
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
        Audit attributes to group by (see ``SUPPORTED_ATTRIBUTES``).
    intersections
        Also judge each pair of attributes (``gender=f&province=31``).
    n_bootstrap
        Bootstrap resamples (customers) for the intervals; 0 = no intervals.
    seed
        Seed of the bootstrap, so a re-run gives the same numbers.
    worklist_size
        Rows of the worklist table.
    forest_top
        Groups shown in each disparity forest plot (flagged groups always are).

    Returns
    -------
    TieringResult
        ``findings`` (contract schema), ``tables`` (``eligibility``,
        ``mismatch_matrix``, ``policy``, ``tier_distribution``, ``hidden_benefits``,
        ``hidden_by_subsidiary``, ``hidden_by_tier``, ``disparity``, ``worklist``,
        ``findings_summary``)
        and ``figures`` (``tier_distribution``, ``eligibility_heatmap``,
        ``hidden_by_subsidiary``, ``disparity_forest``,
        ``disparity_forest_hidden``).
    """
    p = as_period(period)
    missing = [t for t in TABLES if t not in frames]
    if missing:
        raise ValueError(MSG_MISSING_TABLES.format(names=list(TABLES), missing=missing))
    _check("dormant_months", _is_int(dormant_months) and dormant_months >= 1, "an integer ≥ 1",
           dormant_months)
    _check("min_group_size", _is_int(min_group_size) and min_group_size >= 1, "an integer ≥ 1",
           min_group_size)
    _check("alpha", 0 < alpha < 1, "in (0, 1)", alpha)
    _check("min_difference", 0 <= min_difference < 1, "in [0, 1)", min_difference)
    _check("n_bootstrap", _is_int(n_bootstrap) and n_bootstrap >= 0, "an integer ≥ 0", n_bootstrap)
    _check("worklist_size", _is_int(worklist_size) and worklist_size >= 0, "an integer ≥ 0",
           worklist_size)
    attrs = _disparity.check_attributes(
        [attributes] if isinstance(attributes, str) else list(attributes)
    )
    params = {
        "dormant_months": dormant_months,
        "min_group_size": min_group_size,
        "alpha": alpha,
        "min_difference": min_difference,
        "attributes": list(attrs),
        "intersections": intersections,
        "n_bootstrap": n_bootstrap,
        "seed": seed,
    }
    timings: dict[str, float] = {}
    t0 = time.perf_counter()

    policy = _status.policy_frame(frames["tier_policy"], p)
    if policy.height == 0:
        raise ValueError(MSG_NO_POLICY)
    criteria = policy.filter(pl.col("is_criteria"))
    lowest_tier = str(criteria["tier"][-1])
    status_lf = _status.customer_status(frames, p, policy, dormant_months=dormant_months)
    grants_lf = _benefits.judged_grants(frames, p, lowest_tier=lowest_tier)
    status, grants, distribution = pl.collect_all(
        [status_lf, grants_lf, _distribution(frames, p)]
    )
    timings["status_and_grants"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    units = _units(frames, status, grants, p, attrs)
    disparity = _disparity.group_disparity(
        units,
        attributes=attrs,
        intersections=intersections,
        min_group_size=min_group_size,
        alpha=alpha,
        min_difference=min_difference,
        n_bootstrap=n_bootstrap,
        seed=seed,
    )
    timings["disparity"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    n_tests = int(disparity["p_value"].is_not_nan().sum())
    thresholds = {
        "alpha": alpha,
        "min_difference": min_difference,
        "min_group_size": min_group_size,
        "n_bootstrap": n_bootstrap,
        "correction": f"Benjamini-Hochberg over {n_tests} (group, metric) tests",
        "test": "one-sided Fisher exact (group worse than the rest)",
        "four_fifths": _disparity.FOUR_FIFTHS,
    }
    raws = [
        _findings.tier_mismatch(status, policy),
        _findings.manual_without_reason(status),
        _findings.stale_tier(status),
        _findings.dormant_top_tier(status, dormant_months, p.months_back(dormant_months)),
        _findings.unpublished_policy(policy, status, p),
        _findings.hidden_benefit(grants),
        _findings.tier_disparity(disparity, thresholds),
    ]
    parts = [make_findings(r.drop("summary"), analysis=ANALYSIS, period=p.label) for r in raws]
    findings = pl.concat([empty_findings(), *parts]).sort("rule", "entity_id")
    summaries = pl.concat([r.select("rule", "entity_id", "summary") for r in raws])
    timings["findings"] = time.perf_counter() - t2

    t3 = time.perf_counter()
    hidden_sub = _benefits.hidden_by(grants.lazy(), "subsidiary_id").collect()
    hidden_tier = _benefits.hidden_by(grants.lazy(), "held_tier").collect()
    matrix = _mismatch_matrix(status, policy)
    holders = status.group_by("current_tier").agg(pl.len().cast(pl.Int64).alias("holders"))
    eligible = status.group_by("eligible_tier").agg(pl.len().cast(pl.Int64).alias("eligible"))
    policy_table = (
        policy.join(holders, left_on="tier", right_on="current_tier", how="left")
        .join(eligible, left_on="tier", right_on="eligible_tier", how="left")
        .with_columns(pl.col("holders", "eligible").fill_null(0))
    )
    tables = {
        "eligibility": status.drop("reason_missing").with_columns(
            pl.col("method").alias("current_method")
        ).drop("method"),
        "mismatch_matrix": matrix,
        "policy": policy_table,
        "tier_distribution": distribution,
        "hidden_benefits": grants.filter(pl.col("is_hidden")).select(
            "grant_id", "customer_id", "subsidiary_id", "granted_at", "held_tier",
            "benefit_type", "value", "published_value", "hidden_reason", "amount_cny",
            "hidden_amount_cny",
        ),
        "hidden_by_subsidiary": hidden_sub,
        "hidden_by_tier": hidden_tier,
        "disparity": disparity,
        "worklist": _worklist(findings, summaries, worklist_size),
        "findings_summary": _summary(findings),
    }
    timings["tables"] = time.perf_counter() - t3

    t4 = time.perf_counter()
    figures = {
        "tier_distribution": _figures.tier_distribution(distribution, policy["tier"].to_list()),
        "eligibility_heatmap": _figures.eligibility_heatmap(matrix),
        "hidden_by_subsidiary": _figures.hidden_by_subsidiary(hidden_sub),
        "disparity_forest": _figures.disparity_forest(
            disparity, metric="under_tiered_rate", min_difference=min_difference, top=forest_top
        ),
        "disparity_forest_hidden": _figures.disparity_forest(
            disparity, metric="hidden_benefit_rate", min_difference=min_difference, top=forest_top
        ),
    }
    timings["figures"] = time.perf_counter() - t4
    timings["total"] = time.perf_counter() - t0
    return TieringResult(
        findings=findings,
        tables=MappingProxyType(tables),  # type: ignore[arg-type]
        figures=MappingProxyType(figures),  # type: ignore[arg-type]
        period=p.label,
        parameters=MappingProxyType(params),
        timings_s=MappingProxyType(timings),
    )


def _summary(findings: pl.DataFrame) -> pl.DataFrame:
    """Findings per rule and severity, with the money at stake."""
    return (
        findings.group_by("rule", "severity")
        .agg(
            pl.len().cast(pl.Int64).alias("findings"),
            pl.when(pl.col("amount_cny").is_not_null().any()).then(pl.col("amount_cny").sum()),
        )
        .with_columns(
            pl.col("rule")
            .replace_strict(_RULE_ORDER, default=99, return_dtype=pl.Int8)
            .alias("_r"),
            pl.col("severity").replace_strict(_SEVERITY_ORDER, return_dtype=pl.Int8).alias("_s"),
        )
        .sort("_r", "_s")
        .drop("_r", "_s")
    )


def _distribution(frames: Mapping[str, pl.LazyFrame], p: Period) -> pl.LazyFrame:
    customers = frames["customers"].filter(pl.col("signup_date") < p.end.date())
    return (
        customers.join(
            _status.current_tiers(frames["tier_assignments"], p.end), on="customer_id", how="left"
        )
        .group_by("subsidiary_id", "tier")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().over("subsidiary_id")).alias("share")
        )
        .sort("subsidiary_id", "tier", nulls_last=True)
    )
