"""Tier status at the end of a period: eligibility by the published criteria, the
tier actually held, and the customer- and policy-level rules built on them.

Everything here is LazyFrame → LazyFrame; nothing is collected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from workbench.analysis import as_period
from workbench.attributes import tenure_months
from workbench.periods import Period

#: Half a cent: spend is a sum of float products, compared with a CNY threshold.
SPEND_EPSILON_CNY = 0.005


# ------------------------------------------------------------------ expressions

def is_blank(text: pl.Expr) -> pl.Expr:
    """True where ``text`` is null or only whitespace (a missing reason)."""
    return text.is_null() | (text.str.strip_chars() == "")


def order_value() -> pl.Expr:
    """An order's spend: ``charged_price × quantity − coupon_cny`` (coupon null = 0)."""
    return pl.col("charged_price") * pl.col("quantity") - pl.col("coupon_cny").fill_null(0.0)


# ----------------------------------------------------------------- tier history
def dedup_assignments(assignments: pl.LazyFrame) -> pl.LazyFrame:
    """Tier history with one row per customer and instant: for equal
    ``assigned_at`` the later row in the file wins (the contract's tie rule).
    """
    return (
        assignments.with_row_index("_row")
        .group_by("customer_id", "assigned_at")
        .agg(pl.all().sort_by("_row").last())
        .drop("_row")
    )


def latest_tiers(assignments: pl.LazyFrame, moment: dt.datetime) -> pl.LazyFrame:
    """Each customer's latest assignment at or before ``moment`` (no look-ahead).

    Columns ``customer_id``, ``tier``, ``assigned_at``, ``method``, ``reason``.
    """
    return (
        dedup_assignments(assignments.filter(pl.col("assigned_at") <= moment))
        .group_by("customer_id")
        .agg(pl.all().sort_by("assigned_at").last())
        .select("customer_id", "tier", "assigned_at", "method", "reason")
    )


def tier_at(
    events: pl.LazyFrame, at: str, assignments: pl.LazyFrame, *, name: str = "held_tier"
) -> pl.LazyFrame:
    """Attach ``name``: the tier each row's customer held at its ``at`` instant
    (latest assignment at or before it; null when the customer had none yet).
    """
    right = (
        dedup_assignments(assignments)
        .select("customer_id", pl.col("assigned_at").alias("_at"), pl.col("tier").alias(name))
        .sort("_at")
    )
    return (
        events.with_columns(pl.col(at).alias("_at"))
        .sort("_at")
        .join_asof(
            right, on="_at", by="customer_id", strategy="backward", check_sortedness=False
        )
        .drop("_at")
    )


def current_tiers(frames: Mapping[str, pl.LazyFrame], period: Period | str) -> pl.LazyFrame:
    """Each customer's tier at the end of ``period``.

    The latest assignment at or before it (ties: the later row in the file).
    Columns ``customer_id``, ``tier``, ``assigned_at``, ``method``, ``reason``.
    """
    return latest_tiers(frames["tier_assignments"], as_period(period).end)


def tier_distribution(frames: Mapping[str, pl.LazyFrame], period: Period) -> pl.LazyFrame:
    """Customers by current tier per subsidiary at the end of ``period`` (lazy)."""
    customers = frames["customers"].filter(pl.col("signup_date") < period.end.date())
    return (
        customers.join(current_tiers(frames, period), on="customer_id", how="left")
        .group_by("subsidiary_id", "tier")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().over("subsidiary_id")).alias("share")
        )
        .sort("subsidiary_id", "tier", nulls_last=True)
    )


def tier_counts(frames: Mapping[str, pl.LazyFrame], period: Period | str) -> pl.DataFrame:
    """Customers by current tier per subsidiary at the end of ``period``.

    Customers without a tier count under ``tier`` null; ``share`` is each tier's
    share of the subsidiary's customers.
    """
    return tier_distribution(frames, as_period(period)).collect()


# --------------------------------------------------------------------- policy
def policy_frame(policy: pl.LazyFrame, period: Period) -> pl.DataFrame:
    """The tier policy with ``is_published`` (published on or before the last day of
    the period) and ``is_criteria`` (the tiers eligibility is judged by), best first.

    Eligibility uses the tiers published by the end of the period: a criterion that
    was not public cannot be "the tier the published criteria give". If no tier is
    published at all, every tier is used so that the analysis still says something
    (each one is then an ``unpublished_policy`` finding anyway).
    """
    df = (
        policy.with_columns(
            is_published=pl.col("published_at").is_not_null()
            & (pl.col("published_at") < period.end.date())
        )
        .sort("rank", descending=True)
        .collect()
    )
    use_all = not df["is_published"].any()
    return df.with_columns(is_criteria=pl.lit(True) if use_all else pl.col("is_published"))


def eligible_tier_expr(criteria: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """``(eligible_tier, eligible_rank)`` expressions over ``spend_12m_cny``,
    ``orders_12m`` and ``tenure_months``: the highest-ranked criteria tier whose
    three minimums are met, else the lowest-ranked one.
    """
    rows = criteria.sort("rank", descending=True).to_dicts()
    tier = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    rank = pl.when(pl.lit(False)).then(pl.lit(None, pl.Int64))
    for t in rows:
        meets = (
            (pl.col("spend_12m_cny") + SPEND_EPSILON_CNY >= t["min_spend_12m"])
            & (pl.col("orders_12m") >= t["min_orders_12m"])
            & (pl.col("tenure_months") >= t["min_tenure_months"])
        )
        tier = tier.when(meets).then(pl.lit(t["tier"]))
        rank = rank.when(meets).then(pl.lit(t["rank"], pl.Int64))
    lowest = rows[-1]
    return (
        tier.otherwise(pl.lit(lowest["tier"])).alias("eligible_tier"),
        rank.otherwise(pl.lit(lowest["rank"], pl.Int64)).alias("eligible_rank"),
    )


# ------------------------------------------------------------------ status table
def customer_status(
    frames: Mapping[str, pl.LazyFrame],
    period: Period,
    policy: pl.DataFrame,
    *,
    dormant_months: int,
) -> pl.LazyFrame:
    """One row per customer signed up before the end of ``period``.

    Columns: ``customer_id``, ``subsidiary_id``, ``customer_type``, ``signup_date``,
    ``tenure_months``, ``spend_12m_cny``, ``orders_12m``, ``last_order_at``,
    ``eligible_tier``/``eligible_rank``, ``current_tier`` (null = never assigned),
    ``held_rank`` (rank of the current tier; the lowest criteria rank when there is
    none), ``assigned_at``, ``method``, ``reason_missing``, ``rank_gap``
    (held − eligible: negative = under-tiered), ``status`` (``under``, ``over``,
    ``match``), ``tier_age_days``, ``review_cycle_days``, ``is_stale``,
    ``is_manual_without_reason``, ``is_dormant_top``, ``qualifies_above_lowest``,
    ``is_under_tiered``.
    """
    end = period.end
    window_start = period.months_back(12)
    dormant_start = period.months_back(dormant_months)
    criteria = policy.filter(pl.col("is_criteria"))
    lowest_rank = int(criteria["rank"].min())  # type: ignore[arg-type]
    top_tier = str(criteria["tier"][0])
    ranks = policy.select("tier", "rank", "review_cycle_days").lazy()

    activity = (
        frames["orders"]
        .filter(pl.col("ordered_at") < end)
        .group_by("customer_id")
        .agg(
            order_value()
            .filter(pl.col("ordered_at") >= window_start)
            .sum()
            .alias("spend_12m_cny"),
            (pl.col("ordered_at") >= window_start).sum().cast(pl.Int64).alias("orders_12m"),
            pl.col("ordered_at").max().alias("last_order_at"),
        )
    )
    eligible_tier, eligible_rank = eligible_tier_expr(criteria)
    current = latest_tiers(frames["tier_assignments"], end).rename({"tier": "current_tier"})
    return (
        frames["customers"]
        .filter(pl.col("signup_date") < end.date())
        .select("customer_id", "subsidiary_id", "customer_type", "signup_date")
        .join(activity, on="customer_id", how="left")
        .with_columns(
            pl.col("spend_12m_cny").fill_null(0.0).round(2),
            pl.col("orders_12m").fill_null(0),
            tenure_months(pl.col("signup_date"), end).alias("tenure_months"),
        )
        .with_columns(eligible_tier, eligible_rank)
        .join(current, on="customer_id", how="left")
        .join(ranks, left_on="current_tier", right_on="tier", how="left")
        .with_columns(
            pl.col("rank").fill_null(lowest_rank).alias("held_rank"),
            is_blank(pl.col("reason")).alias("reason_missing"),
            ((pl.lit(end) - pl.col("assigned_at")).dt.total_seconds() / 86_400.0)
            .floor()
            .cast(pl.Int64)
            .alias("tier_age_days"),
        )
        .drop("rank", "reason")
        .with_columns((pl.col("held_rank") - pl.col("eligible_rank")).alias("rank_gap"))
        .with_columns(
            pl.when(pl.col("rank_gap") < 0)
            .then(pl.lit("under"))
            .when(pl.col("rank_gap") > 0)
            .then(pl.lit("over"))
            .otherwise(pl.lit("match"))
            .alias("status"),
            (
                pl.col("assigned_at").is_not_null()
                & (
                    (pl.lit(end) - pl.col("assigned_at"))
                    > pl.duration(days=pl.col("review_cycle_days"))
                )
            )
            .fill_null(False)
            .alias("is_stale"),
            ((pl.col("method") == "manual") & pl.col("reason_missing"))
            .fill_null(False)
            .alias("is_manual_without_reason"),
            (
                (pl.col("current_tier") == top_tier)
                & (pl.col("last_order_at").is_null() | (pl.col("last_order_at") < dormant_start))
            )
            .fill_null(False)
            .alias("is_dormant_top"),
            (pl.col("eligible_rank") > lowest_rank).alias("qualifies_above_lowest"),
            (pl.col("rank_gap") < 0).alias("is_under_tiered"),
        )
        .sort("customer_id")
    )
