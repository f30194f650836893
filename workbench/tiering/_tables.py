"""The evidence tables of the tiering result (everything in ``result.tables`` that is
not built by a topic module): the disparity units, the mismatch matrix, the policy
table, the worklist and the findings summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from workbench.attributes import age_band, tenure_band
from workbench.labels import SEVERITIES
from workbench.periods import Period
from workbench.tiering._benefits import hidden_by
from workbench.tiering._event_time import TIME_VARYING, benefit_spells

_SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}

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


def units(
    frames: Mapping[str, pl.LazyFrame],
    status: pl.DataFrame,
    grants: pl.DataFrame,
    period: Period,
    attributes: Sequence[str],
) -> pl.DataFrame:
    """The disparity units: the attribute columns and the metrics' boolean columns.

    Two kinds of row (see :mod:`workbench.tiering._event_time`):

    * one per customer in scope, attributes at the end of P, for the state metric
      ``under_tiered_rate`` (``qualifies_above_lowest``, ``is_under_tiered``;
      ``benefit_spell`` false);
    * one per customer-spell, attributes at the time of the grant, for the event
      metric ``hidden_benefit_rate`` (``benefit_spell`` true,
      ``has_hidden_benefit``; ``qualifies_above_lowest`` false).

    Personal attributes stay in here; they never reach a table or the worklist.
    """
    people = (
        frames["customers"]
        .select("customer_id", "gender", "birth_year", "province", "signup_date")
        .join(status.lazy().select("customer_id"), on="customer_id", how="semi")
        .collect()
    )
    static = status.select("customer_id", "subsidiary_id", "customer_type").join(
        people.select("customer_id", "gender", "province"), on="customer_id", how="left"
    )
    at_end = (
        status.select("customer_id", "tenure_months", "qualifies_above_lowest", "is_under_tiered")
        .join(static, on="customer_id", how="left")
        .join(people.select("customer_id", "birth_year"), on="customer_id", how="left")
        .with_columns(
            age_band(pl.col("birth_year"), period.last_day.year).alias("age_band"),
            tenure_band(pl.col("tenure_months")).alias("tenure_band"),
            pl.lit(False).alias("benefit_spell"),
            pl.lit(False).alias("has_hidden_benefit"),
        )
    )
    varying = [a for a in TIME_VARYING if a in attributes]
    at_grant = (
        benefit_spells(people, grants.filter(pl.col("is_hidden")), period, varying)
        .join(static, on="customer_id", how="left")
        .with_columns(
            pl.lit(False).alias("qualifies_above_lowest"),
            pl.lit(False).alias("is_under_tiered"),
            pl.lit(True).alias("benefit_spell"),
        )
    )
    columns = [*attributes, "qualifies_above_lowest", "is_under_tiered", "benefit_spell",
               "has_hidden_benefit"]
    return pl.concat(
        [at_end.select(columns), at_grant.select(columns)], how="vertical_relaxed"
    )


def eligibility(status: pl.DataFrame) -> pl.DataFrame:
    """Per customer: spend, orders, tenure, eligible and held tier, and the rule flags."""
    return (
        status.drop("reason_missing")
        .with_columns(pl.col("method").alias("current_method"))
        .drop("method")
    )


def mismatch_matrix(status: pl.DataFrame, policy: pl.DataFrame) -> pl.DataFrame:
    """Customers by eligible tier (rows, criteria tiers best first) × tier held
    (columns; ``(none)`` = never assigned).
    """
    order = policy["tier"].to_list()  # best first
    held = status.with_columns(pl.col("current_tier").fill_null(pl.lit("(none)")))
    present = set(held["current_tier"].to_list())
    columns = [t for t in order if t in present] + (["(none)"] if "(none)" in present else [])
    columns += sorted(present - set(columns))
    rows = policy.filter(pl.col("is_criteria"))["tier"].to_list()
    counts = held.group_by("eligible_tier", "current_tier").agg(pl.len().cast(pl.Int64).alias("n"))
    grid = (
        pl.DataFrame({"eligible_tier": rows}, schema={"eligible_tier": pl.String})
        .join(pl.DataFrame({"current_tier": columns}, schema={"current_tier": pl.String}),
              how="cross")
        .join(counts, on=["eligible_tier", "current_tier"], how="left")
        .with_columns(pl.col("n").fill_null(0))
    )
    return grid.pivot(
        on="current_tier", index="eligible_tier", values="n", sort_columns=False
    ).select("eligible_tier", *columns)


def policy_table(policy: pl.DataFrame, status: pl.DataFrame) -> pl.DataFrame:
    """The tier policy with how many customers hold each tier and how many the
    criteria make eligible for it.
    """
    holders = status.group_by("current_tier").agg(pl.len().cast(pl.Int64).alias("holders"))
    eligible = status.group_by("eligible_tier").agg(pl.len().cast(pl.Int64).alias("eligible"))
    return (
        policy.join(holders, left_on="tier", right_on="current_tier", how="left")
        .join(eligible, left_on="tier", right_on="eligible_tier", how="left")
        .with_columns(pl.col("holders", "eligible").fill_null(0))
    )


def hidden_benefits(grants: pl.DataFrame) -> pl.DataFrame:
    """The hidden grants of the period with what makes them hidden and their money."""
    return grants.filter(pl.col("is_hidden")).select(
        "grant_id", "customer_id", "subsidiary_id", "granted_at", "held_tier",
        "benefit_type", "value", "published_value", "hidden_reason", "amount_cny",
        "hidden_amount_cny",
    )


def worklist(findings: pl.DataFrame, summaries: pl.DataFrame, size: int) -> pl.DataFrame:
    """The top ``size`` findings to act on.

    By severity, then round-robin over the rules (the biggest money first within a
    rule), so one plentiful rule cannot crowd out the others. Ids and a one-line
    summary only: no personal attributes.
    """
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


def findings_summary(findings: pl.DataFrame) -> pl.DataFrame:
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


def all_tables(
    policy: pl.DataFrame,
    status: pl.DataFrame,
    grants: pl.DataFrame,
    distribution: pl.DataFrame,
    disparity: pl.DataFrame,
    findings: pl.DataFrame,
    summaries: pl.DataFrame,
    *,
    worklist_size: int,
) -> dict[str, pl.DataFrame]:
    """Every table of the result, by name (docs/tiering.md, "Result")."""
    return {
        "eligibility": eligibility(status),
        "mismatch_matrix": mismatch_matrix(status, policy),
        "policy": policy_table(policy, status),
        "tier_distribution": distribution,
        "hidden_benefits": hidden_benefits(grants),
        "hidden_by_subsidiary": hidden_by(grants.lazy(), "subsidiary_id").collect(),
        "hidden_by_tier": hidden_by(grants.lazy(), "held_tier").collect(),
        "disparity": disparity,
        "worklist": worklist(findings, summaries, worklist_size),
        "findings_summary": findings_summary(findings),
    }
