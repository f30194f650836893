"""Hidden benefits: grants outside the published schedule of the tier held at grant time."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from workbench.periods import Period
from workbench.tiering._status import tier_at

#: A grant's value above the published value by more than this is "above schedule".
VALUE_EPSILON = 1e-9


def published_schedule(benefits: pl.LazyFrame) -> pl.LazyFrame:
    """``tier``, ``benefit_type``, ``published_value``: the published rows of
    ``tier_benefits`` (the highest value if a tier lists a type twice).
    """
    return (
        benefits.filter(pl.col("published"))
        .group_by("tier", "benefit_type")
        .agg(pl.col("value").max().alias("published_value"))
    )


def judged_grants(
    frames: Mapping[str, pl.LazyFrame], period: Period, *, lowest_tier: str
) -> pl.LazyFrame:
    """Every grant granted in ``period``, judged against the published schedule.

    A customer with no tier yet at grant time is judged as holding ``lowest_tier``
    (the default every customer starts in). Columns: the grant's own columns,
    ``subsidiary_id`` (the customer's), ``held_tier``, ``published_value``,
    ``hidden_reason`` (``not_in_schedule``, ``above_published_value`` or null),
    ``is_hidden``, ``hidden_amount_cny`` (the whole grant when the type is not in the
    schedule; the share ``(value − published)/value`` of it when only the value is
    above the published one; 0 for a scheduled grant).
    """
    grants = frames["benefit_grants"].filter(
        (pl.col("granted_at") >= period.start) & (pl.col("granted_at") < period.end)
    )
    held = tier_at(grants, "granted_at", frames["tier_assignments"]).with_columns(
        pl.col("held_tier").is_null().alias("no_tier_at_grant"),
        pl.col("held_tier").fill_null(pl.lit(lowest_tier)),
    )
    schedule = published_schedule(frames["tier_benefits"]).rename({"tier": "held_tier"})
    reason = (
        pl.when(pl.col("published_value").is_null())
        .then(pl.lit("not_in_schedule"))
        .when(pl.col("value") > pl.col("published_value") + VALUE_EPSILON)
        .then(pl.lit("above_published_value"))
        .otherwise(pl.lit(None, pl.String))
    )
    excess_share = pl.when(pl.col("value") > 0).then(
        (pl.col("value") - pl.col("published_value")) / pl.col("value")
    ).otherwise(1.0)
    return (
        held.join(schedule, on=["held_tier", "benefit_type"], how="left")
        .join(
            frames["customers"].select("customer_id", "subsidiary_id"), on="customer_id", how="left"
        )
        .with_columns(reason.alias("hidden_reason"))
        .with_columns(
            pl.col("hidden_reason").is_not_null().alias("is_hidden"),
            pl.when(pl.col("hidden_reason") == "not_in_schedule")
            .then(pl.col("amount_cny"))
            .when(pl.col("hidden_reason") == "above_published_value")
            .then(pl.col("amount_cny") * excess_share)
            .otherwise(0.0)
            .round(2)
            .alias("hidden_amount_cny"),
        )
        .sort("grant_id")
    )


def hidden_by(grants: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Grants of the period and their hidden money per ``key`` (``subsidiary_id`` or
    ``held_tier``): counts, money, ``share_of_hidden_amount`` vs ``share_of_grants``
    and their ratio ``concentration`` (> 1: the key holds more of the hidden money
    than of the grants).
    """
    out = (
        grants.group_by(key)
        .agg(
            pl.len().cast(pl.Int64).alias("grants"),
            pl.col("amount_cny").sum().alias("grant_amount_cny"),
            pl.col("is_hidden").sum().cast(pl.Int64).alias("hidden_grants"),
            pl.col("amount_cny").filter(pl.col("is_hidden")).sum().alias("hidden_grant_amount_cny"),
            pl.col("hidden_amount_cny").sum().alias("hidden_amount_cny"),
        )
        .with_columns(
            (pl.col("hidden_grants") / pl.col("grants")).alias("hidden_grant_rate"),
            (pl.col("grants") / pl.col("grants").sum()).alias("share_of_grants"),
            (pl.col("grant_amount_cny") / pl.col("grant_amount_cny").sum()).alias(
                "share_of_grant_amount"
            ),
            (pl.col("hidden_amount_cny") / pl.col("hidden_amount_cny").sum())
            .fill_nan(0.0)
            .alias("share_of_hidden_amount"),
        )
        .with_columns(
            (pl.col("share_of_hidden_amount") / pl.col("share_of_grants")).alias("concentration")
        )
    )
    return out.sort("hidden_amount_cny", key, descending=[True, False])
