"""The period's orders as audit units, collected once: :func:`order_units`.

Also :func:`orders_by_month`, the volume overview the notebook plots.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from workbench.analysis import as_period
from workbench.periods import Period
from workbench.pricing._attributes import customer_attributes
from workbench.pricing._explained import DEFAULT_TOLERANCE, priced_orders


def orders_by_month(
    frames: Mapping[str, pl.LazyFrame], period: Period | str, *, months: int = 12
) -> pl.DataFrame:
    """Orders per calendar month and channel over the ``months`` months ending with ``period``.

    Parameters
    ----------
    frames
        Contract LazyFrames with ``orders``.
    period
        A :class:`~workbench.periods.Period` or its label.
    months
        How many months to count, the period's last month included.

    Returns
    -------
    polars.DataFrame
        Columns ``month`` (first day), ``channel``, ``orders``.
    """
    p = as_period(period)
    return (
        frames["orders"]
        .filter(pl.col("ordered_at").is_between(p.months_back(months), p.end, closed="left"))
        .group_by(pl.col("ordered_at").dt.truncate("1mo").dt.date().alias("month"), "channel")
        .agg(pl.len().alias("orders"))
        .sort("month", "channel")
        .collect()
    )


def order_units(
    frames: Mapping[str, pl.LazyFrame], period: Period | str, *,
    tolerance: float = DEFAULT_TOLERANCE, window_days: int = 1,
) -> pl.DataFrame:
    """Orders of the period ready for the matched audit (collected once, here).

    Parameters
    ----------
    frames
        Contract LazyFrames (the pricing ``TABLES``).
    period
        A :class:`~workbench.periods.Period` or its label.
    tolerance
        Relative tolerance on charged vs explained price.
    window_days
        Length of the time window of a matched cell.

    Returns
    -------
    polars.DataFrame
        Explained price and flags (:func:`priced_orders`), the customer's audit
        attributes, ``log_premium``, ``log_net_premium`` (null where not positive),
        ``window`` (index of the ``window_days`` window since the period start),
        integer cell ids ``cell`` (sku × window) and ``cell_ch`` (× channel), and
        ``cust`` (0-based customer index for the bootstrap), sorted by ``order_id``.
    """
    p = as_period(period)
    attrs = customer_attributes(frames["customers"], p.end, p.last_day.year)
    q = pl.col("quantity")
    net = pl.col("charged_price") * q - pl.col("coupon_cny")
    days = (pl.col("ordered_at") - pl.lit(p.start)).dt.total_days()
    lf = (
        priced_orders(frames, p, tolerance=tolerance)
        .rename({"province": "delivery_province"})
        .join(attrs, on="customer_id", how="left")
        .with_columns(
            pl.when((pl.col("charged_price") > 0) & (pl.col("explained_price") > 0))
            .then((pl.col("charged_price") / pl.col("explained_price")).log())
            .alias("log_premium"),
            pl.when((net > 0) & (pl.col("explained_price") > 0))
            .then((net / (pl.col("explained_price") * q)).log())
            .alias("log_net_premium"),
            (days // window_days).alias("window"),
        )
        .with_columns(
            pl.concat_str("sku", pl.col("window").cast(pl.String), separator="|")
            .rank("dense").cast(pl.Int64).alias("cell"),
            pl.concat_str("sku", pl.col("window").cast(pl.String), "channel", separator="|")
            .rank("dense").cast(pl.Int64).alias("cell_ch"),
            (pl.col("customer_id").rank("dense").cast(pl.Int64) - 1).alias("cust"),
        )
        .sort("order_id")
    )
    return lf.collect()
