"""Raw findings of each tiering rule (before :func:`workbench.findings.make_findings`).

Each builder returns a frame with ``rule``, ``severity``, ``entity_type``,
``entity_id``, ``subsidiary_id``, ``amount_cny``, ``detail`` (a struct: the
evidence) and ``summary`` (one line for the worklist; dropped from the findings).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from workbench.periods import Period
from workbench.severity import severity, severity_evidence
from workbench.tiering._disparity import FOUR_FIFTHS

RAW_SCHEMA: dict[str, pl.DataType] = {
    "rule": pl.String(),
    "severity": pl.String(),
    "entity_type": pl.String(),
    "entity_id": pl.String(),
    "subsidiary_id": pl.String(),
    "amount_cny": pl.Float64(),
    "summary": pl.String(),
}


def _raw(df: pl.DataFrame, rule: str, entity_type: str) -> pl.DataFrame:
    return df.with_columns(
        pl.lit(rule).alias("rule"), pl.lit(entity_type).alias("entity_type")
    ).select(*RAW_SCHEMA, "detail")


def _minimums(policy: pl.DataFrame, tier_col: str, prefix: str) -> pl.DataFrame:
    return policy.select(
        pl.col("tier").alias(tier_col),
        pl.struct(
            pl.col("min_spend_12m").alias("min_spend_12m_cny"),
            "min_orders_12m",
            "min_tenure_months",
        ).alias(f"{prefix}_minimums"),
    )


def tier_mismatch(status: pl.DataFrame, policy: pl.DataFrame) -> pl.DataFrame:
    """Current tier (no tier = the lowest criteria tier) differs from the eligible one.

    Severity (policy ``tier_mismatch``): ``high`` when under-tiered by two ranks or
    more, or over-tiered at all (an undisclosed favour); ``medium`` when under-tiered
    by one rank.
    """
    df = (
        status.filter(pl.col("status") != "match")
        .join(_minimums(policy, "eligible_tier", "eligible"), on="eligible_tier", how="left")
        .join(_minimums(policy, "current_tier", "current"), on="current_tier", how="left")
    )
    direction = pl.col("status")
    held = pl.col("current_tier").fill_null(pl.lit("(none)"))
    inputs = {
        "ranks_under": pl.when(direction == "under").then(-pl.col("rank_gap")),
        "over_tiered": direction == "over",
    }
    return _raw(
        df.with_columns(
            severity("tier_mismatch", **inputs).alias("severity"),
            pl.col("customer_id").alias("entity_id"),
            pl.lit(None, pl.Float64).alias("amount_cny"),
            pl.format(
                "{}-tiered: holds {}, published criteria give {} "
                "(spend {} CNY, {} orders, {} months)",
                direction,
                held,
                pl.col("eligible_tier"),
                pl.col("spend_12m_cny").round(0),
                pl.col("orders_12m"),
                pl.col("tenure_months"),
            ).alias("summary"),
            pl.struct(
                direction.alias("direction"),
                "rank_gap",
                "current_tier",
                "held_rank",
                pl.col("current_tier").is_null().alias("no_assignment"),
                "eligible_tier",
                "eligible_rank",
                "spend_12m_cny",
                "orders_12m",
                "tenure_months",
                "assigned_at",
                "method",
                "eligible_minimums",
                "current_minimums",
                severity_evidence("tier_mismatch", **inputs).alias("severity_basis"),
            ).alias("detail"),
        ),
        "tier_mismatch",
        "customer",
    )


def manual_tier_without_reason(status: pl.DataFrame) -> pl.DataFrame:
    """The current row is a manual assignment with a null or blank reason (medium)."""
    df = status.filter(pl.col("is_manual_without_reason"))
    return _raw(
        df.with_columns(
            severity("manual_tier_without_reason").alias("severity"),
            pl.col("customer_id").alias("entity_id"),
            pl.lit(None, pl.Float64).alias("amount_cny"),
            pl.format("manual {} assignment on {} has no reason", pl.col("current_tier"),
                      pl.col("assigned_at").dt.date()).alias("summary"),
            pl.struct("current_tier", "assigned_at", "method", "status", "eligible_tier").alias(
                "detail"
            ),
        ),
        "manual_tier_without_reason",
        "customer",
    )


def stale_tier(status: pl.DataFrame) -> pl.DataFrame:
    """The current tier is older than its ``review_cycle_days`` at the period end.

    Severity (policy ``stale_tier``): ``low``; ``medium`` from two full cycles old.
    """
    df = status.filter(pl.col("is_stale")).with_columns(
        (pl.col("tier_age_days") - pl.col("review_cycle_days")).alias("overdue_days")
    )
    inputs = {"cycles_elapsed": pl.col("tier_age_days") / pl.col("review_cycle_days")}
    return _raw(
        df.with_columns(
            severity("stale_tier", **inputs).alias("severity"),
            pl.col("customer_id").alias("entity_id"),
            pl.lit(None, pl.Float64).alias("amount_cny"),
            pl.format("{} tier last evaluated {} days ago (cycle {} days)", pl.col("current_tier"),
                      pl.col("tier_age_days"), pl.col("review_cycle_days")).alias("summary"),
            pl.struct(
                "current_tier", "assigned_at", "tier_age_days", "review_cycle_days", "overdue_days",
                severity_evidence("stale_tier", **inputs).alias("severity_basis"),
            ).alias("detail"),
        ),
        "stale_tier",
        "customer",
    )


def dormant_top_tier(status: pl.DataFrame, months: int, since: dt.datetime) -> pl.DataFrame:
    """Top-ranked customers with no order in the last ``months`` months (low)."""
    df = status.filter(pl.col("is_dormant_top"))
    return _raw(
        df.with_columns(
            severity("dormant_top_tier").alias("severity"),
            pl.col("customer_id").alias("entity_id"),
            pl.lit(None, pl.Float64).alias("amount_cny"),
            pl.format("{} customer, last order {}", pl.col("current_tier"),
                      pl.col("last_order_at").dt.date().cast(pl.String).fill_null("never")).alias(
                "summary"
            ),
            pl.struct(
                "current_tier",
                "last_order_at",
                pl.lit(months).alias("dormant_months"),
                pl.lit(since).alias("no_order_since"),
                "orders_12m",
                "spend_12m_cny",
                "eligible_tier",
            ).alias("detail"),
        ),
        "dormant_top_tier",
        "customer",
    )


def unpublished_policy(policy: pl.DataFrame, status: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Tiers whose criteria were never published (high) or only after the period
    ended (medium); entity ``policy``, id the tier.
    """
    holders = status.group_by("current_tier").agg(pl.len().cast(pl.Int64).alias("holders"))
    df = policy.filter(~pl.col("is_published")).join(
        holders, left_on="tier", right_on="current_tier", how="left"
    )
    inputs = {"published_late": pl.col("published_at").is_not_null()}
    return _raw(
        df.with_columns(
            severity("unpublished_policy", **inputs).alias("severity"),
            pl.col("tier").alias("entity_id"),
            pl.lit(None, pl.String).alias("subsidiary_id"),
            pl.lit(None, pl.Float64).alias("amount_cny"),
            pl.format("criteria of tier {} not published by {}", pl.col("tier"),
                      pl.lit(period.last_day.isoformat())).alias("summary"),
            pl.struct(
                "rank",
                "published_at",
                pl.lit(period.last_day).alias("period_last_day"),
                pl.col("min_spend_12m").alias("min_spend_12m_cny"),
                "min_orders_12m",
                "min_tenure_months",
                "review_cycle_days",
                pl.col("holders").fill_null(0).alias("holders_at_period_end"),
                severity_evidence("unpublished_policy", **inputs).alias("severity_basis"),
            ).alias("detail"),
        ),
        "unpublished_policy",
        "policy",
    )


def hidden_benefit(grants: pl.DataFrame) -> pl.DataFrame:
    """Grants of the period outside the published schedule of the tier held at grant
    time. Severity (policy ``hidden_benefit``): ``high`` for a benefit type the tier
    does not publish at all, ``medium`` for a published type paid above its published
    value, one level lower under ¥5 and higher from ¥500. ``amount_cny``: the whole
    grant, or the excess share of it.
    """
    df = grants.filter(pl.col("is_hidden"))
    inputs = {
        "not_in_schedule": pl.col("hidden_reason") == "not_in_schedule",
        "benefit_cny": pl.col("hidden_amount_cny"),
    }
    return _raw(
        df.with_columns(
            severity("hidden_benefit", **inputs).alias("severity"),
            pl.col("grant_id").alias("entity_id"),
            pl.col("hidden_amount_cny").alias("amount_cny"),
            pl.format("{} {} for a {} customer: {}", pl.col("benefit_type"), pl.col("value"),
                      pl.col("held_tier"), pl.col("hidden_reason")).alias("summary"),
            pl.struct(
                "customer_id",
                "granted_at",
                "held_tier",
                "no_tier_at_grant",
                "benefit_type",
                "value",
                "published_value",
                "hidden_reason",
                pl.col("amount_cny").alias("grant_amount_cny"),
                "hidden_amount_cny",
                severity_evidence("hidden_benefit", **inputs).alias("severity_basis"),
            ).alias("detail"),
        ),
        "hidden_benefit",
        "grant",
    )


def tier_disparity(table: pl.DataFrame, thresholds: dict[str, object]) -> pl.DataFrame:
    """One finding per group flagged on at least one metric; the evidence lists each
    flagged metric. Severity (policy ``tier_disparity``) from the flagged metric that
    rates worst: its ``disparity_ratio`` (how many times more often the group has the
    worse outcome: the rate ratio of an adverse metric, rest / group rate of a
    favourable one; the four-fifths reference is 1 / 0.8 = 1.25), its
    ``difference`` (the disadvantage in rate points) and ``people_affected`` (group
    members beyond the rest's rate with the worse outcome); ``severity_basis`` in
    the evidence holds those inputs. Each metric states its ``favourable_ratio`` and
    ``favourable_four_fifths_breach`` (the classic test on favourable outcomes) and
    its ``disparity_ratio`` with ``reference_breach`` (≥ 1.25, the test the policy
    uses). ``subsidiary_id`` is set for groups defined by one.
    """
    flagged = table.filter(pl.col("flagged")).with_columns(
        pl.col(pl.Float64).fill_nan(None)  # JSON has no NaN
    )
    if flagged.height == 0:
        return pl.DataFrame(schema={**RAW_SCHEMA, "detail": pl.String()})
    adverse = pl.col("adverse")
    flagged = flagged.with_columns(
        pl.when(adverse).then(pl.col("ratio")).otherwise(1 / pl.col("ratio"))
        .alias("disparity_ratio"),
        pl.when(adverse)
        .then(pl.col("k_group") - pl.col("n_group") * pl.col("rate_rest"))
        .otherwise(pl.col("n_group") * pl.col("rate_rest") - pl.col("k_group"))
        .round(1)
        .alias("people_affected"),
    )
    inputs = {
        "disparity_ratio": pl.col("disparity_ratio"),
        "difference": pl.col("disadvantage"),
        "people_affected": pl.col("people_affected"),
    }
    flagged = flagged.with_columns(
        severity("tier_disparity", **inputs).alias("severity"),
        severity_evidence("tier_disparity", **inputs).alias("severity_basis"),
        pl.col("four_fifths_breach").alias("favourable_four_fifths_breach"),
        (pl.col("disparity_ratio") >= 1 / FOUR_FIFTHS).alias("reference_breach"),
    )
    metric = pl.struct(
        "metric",
        "n_group",
        "k_group",
        "rate_group",
        "n_rest",
        "k_rest",
        "rate_rest",
        "difference",
        "difference_ci_low",
        "difference_ci_high",
        "ratio",
        "ratio_ci_low",
        "ratio_ci_high",
        "favourable_ratio",
        "favourable_four_fifths_breach",
        "disparity_ratio",
        "reference_breach",
        "people_affected",
        "p_value",
        "q_value",
    )
    rank = pl.col("severity").replace_strict({"high": 0, "medium": 1, "low": 2},
                                             return_dtype=pl.Int8)
    df = (
        flagged.sort("metric", descending=True)
        .group_by("group", maintain_order=True)
        .agg(
            metric.alias("metrics"),
            pl.col("severity").sort_by(rank, -pl.col("disadvantage")).first(),
            pl.col("severity_basis").sort_by(rank, -pl.col("disadvantage")).first(),
            pl.col("disadvantage").max().alias("max_disadvantage"),
            pl.col("metric").str.join(", ").alias("metric_names"),
        )
    )
    return _raw(
        df.with_columns(
            pl.col("group").alias("entity_id"),
            pl.col("group").str.extract(r"(?:^|&)subsidiary_id=([^&]+)", 1).alias("subsidiary_id"),
            pl.lit(None, pl.Float64).alias("amount_cny"),
            pl.format("group worse off on {} by {} points", pl.col("metric_names"),
                      (pl.col("max_disadvantage") * 100).round(1)).alias("summary"),
            pl.struct(
                "metrics",
                "severity_basis",
                *[pl.lit(v).alias(k) for k, v in thresholds.items()],
            ).alias("detail"),
        ),
        "tier_disparity",
        "group",
    )
