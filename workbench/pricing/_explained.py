"""The explained price of every order, and the order-level rules.

Contract definition ("Explained price"): list_price × (1 − the published
``discount_pct`` benefit value/100 of the tier held at order time, 0 if none) ×
(1 − promotion ``discount_pct``/100 when ``promo_id`` names a *public* promotion
valid for that sku (promotion sku null = every sku), time (``starts_at`` ≤
``ordered_at`` ≤ ``ends_at``, both ends included) and tier (``eligible_tiers`` null
or listing the held tier)). Discounts multiply.

* The tier held at order time is the latest ``tier_assignments`` row at or before
  ``ordered_at`` (ties: the later row in the file), found with a polars
  ``join_asof`` per customer.
* A tier with several published ``discount_pct`` rows uses the largest (the most
  favourable published reading for the customer).
* Only orders ordered in the period are priced; later rows are never read
  (no look-ahead), and tier rows after the period end cannot match an order in it.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from workbench.periods import Period

#: Default tolerance on charged / explained − 1 (prices are rounded to cents).
DEFAULT_TOLERANCE = 0.005


def tier_at_order(orders: pl.LazyFrame, assignments: pl.LazyFrame, end: object) -> pl.LazyFrame:
    """``orders`` with ``tier``: the tier held at ``ordered_at`` (null before any row).

    Rows with the same customer and ``assigned_at`` keep the later one in the file.
    """
    right = (
        assignments.filter(pl.col("assigned_at") < end)
        .with_row_index("_row")
        .group_by("customer_id", "assigned_at")
        .agg(pl.col("tier").sort_by("_row").last())
        .sort("assigned_at")
    )
    return orders.sort("ordered_at").join_asof(
        right, left_on="ordered_at", right_on="assigned_at", by="customer_id", strategy="backward",
        check_sortedness=False,  # both sides sorted above; polars cannot check within "by" groups
    )


def promotion_applies() -> pl.Expr:
    """True when the order's promotion is public and valid for its sku, time and tier."""
    tiers = pl.col("promo_eligible_tiers").str.split(",").list.eval(pl.element().str.strip_chars())
    return (
        pl.col("promo_id").is_not_null()
        & pl.col("promo_public").fill_null(False)
        & (pl.col("promo_sku").is_null() | (pl.col("promo_sku") == pl.col("sku")))
        & (pl.col("ordered_at") >= pl.col("promo_starts_at"))
        & (pl.col("ordered_at") <= pl.col("promo_ends_at"))
        & (
            pl.col("promo_eligible_tiers").is_null()
            | (pl.col("tier").is_not_null() & tiers.list.contains(pl.col("tier")))
        )
    ).fill_null(False)


def priced_orders(
    frames: Mapping[str, pl.LazyFrame], period: Period, *, tolerance: float = DEFAULT_TOLERANCE
) -> pl.LazyFrame:
    """Orders of ``period`` with their explained price and order-level flags (lazy).

    Added columns: ``tier`` (held at order time), ``tier_discount_pct``,
    ``promo_public``, ``promo_applies``, ``promo_discount_pct`` (applied, else 0),
    ``explained_price``, ``premium`` (charged / explained − 1),
    ``overcharge_cny`` (max(0, charged − explained) × quantity),
    ``is_unexplained`` (premium > ``tolerance``), ``is_unpublished_promo``,
    ``hidden_discount_cny`` (what an unannounced promotion took off the order).
    """
    orders = frames["orders"].filter(
        (pl.col("ordered_at") >= period.start) & (pl.col("ordered_at") < period.end)
    )
    discounts = (
        frames["tier_benefits"]
        .filter(pl.col("published") & (pl.col("benefit_type") == "discount_pct"))
        .group_by("tier")
        .agg(pl.col("value").max().alias("tier_discount_pct"))
    )
    promos = frames["promotions"].select(
        "promo_id",
        pl.col("sku").alias("promo_sku"),
        pl.col("starts_at").alias("promo_starts_at"),
        pl.col("ends_at").alias("promo_ends_at"),
        pl.col("discount_pct").alias("promo_pct"),
        pl.col("eligible_tiers").alias("promo_eligible_tiers"),
        pl.col("public").alias("promo_public"),
    )
    df = (
        tier_at_order(orders, frames["tier_assignments"], period.end)
        .join(discounts, on="tier", how="left")
        .join(promos, on="promo_id", how="left")
        .with_columns(
            pl.col("tier_discount_pct").fill_null(0.0),
            pl.col("coupon_cny").fill_null(0.0),
            promotion_applies().alias("promo_applies"),
        )
        .with_columns(
            pl.when(pl.col("promo_applies")).then(pl.col("promo_pct")).otherwise(0.0)
            .alias("promo_discount_pct"),
        )
        .with_columns(
            (
                pl.col("list_price")
                * (1 - pl.col("tier_discount_pct") / 100)
                * (1 - pl.col("promo_discount_pct") / 100)
            ).alias("explained_price")
        )
    )
    unpublished = pl.col("promo_id").is_not_null() & (pl.col("promo_public") == False)  # noqa: E712
    return df.with_columns(
        (pl.col("charged_price") / pl.col("explained_price") - 1).alias("premium"),
        ((pl.col("charged_price") - pl.col("explained_price")).clip(lower_bound=0)
         * pl.col("quantity")).alias("overcharge_cny"),
        # A price exactly at the tolerance is within it (the epsilon absorbs float error).
        (pl.col("charged_price") / pl.col("explained_price") - 1 > tolerance + 1e-12)
        .alias("is_unexplained"),
        unpublished.fill_null(False).alias("is_unpublished_promo"),
        pl.when(unpublished)
        .then(pl.col("explained_price") * pl.col("promo_pct") / 100 * pl.col("quantity"))
        .otherwise(0.0)
        .alias("hidden_discount_cny"),
    ).drop("assigned_at", "promo_pct")
