"""The period's orders as audit units, collected once: :func:`order_units`.

Also :func:`orders_by_month`, the volume overview the notebook plots.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from workbench.analysis import as_period
from workbench.periods import Period
from workbench.pricing._attributes import customer_attributes, order_time_attributes
from workbench.pricing._explained import DEFAULT_TOLERANCE, priced_orders

_STRIDE = 1 << 12  # windows / days per sku in a cell id: above the days of any period


def day_cells(units: pl.DataFrame) -> dict[str, np.ndarray]:
    """The sku × day cells (``cell``) and sku × day × channel cells (``cell_ch``) of the
    order ``units``, as int64 ids (made from the units' week cells and ``day``).
    """
    cell = units["cell"].to_numpy().astype(np.int64)
    day = (cell // _STRIDE) * _STRIDE + units["day"].to_numpy().astype(np.int64)
    channel = units["cell_ch"].to_numpy().astype(np.int64) % 16
    return {"cell": day, "cell_ch": day * 16 + channel}


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
    tolerance: float = DEFAULT_TOLERANCE, window_days: int = 7,
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
        Length of the time window of a matched cell. Windows are counted from the
        Monday of the ISO week holding the period start, so ``7`` gives ISO weeks
        (Monday to Sunday; the period's first and last weeks are partial) and
        ``1`` calendar days.

    Returns
    -------
    polars.DataFrame
        Explained price and flags (:func:`priced_orders`), the customer's audit
        attributes at order time (:func:`order_time_attributes`: ``tenure_months``,
        ``tenure_band``, ``age_band``; ``tier`` is the tier held at order time),
        ``log_premium``, ``log_net_premium`` (null where not positive), ``day``
        (days since the period start), ``window`` (index of the ``window_days``
        window), integer cell ids ``cell`` (sku × window) and ``cell_ch``
        (× channel) (:func:`day_cells` gives the sku × day (× channel) cells of the
        day-level evidence),
        and ``cust`` (0-based customer index for the clustered standard errors), sorted by
        ``order_id``.
    """
    p = as_period(period)
    attrs = customer_attributes(frames["customers"])
    q = pl.col("quantity")
    net = pl.col("charged_price") * q - pl.col("coupon_cny")
    days = (pl.col("ordered_at") - pl.lit(p.start)).dt.total_days()
    monday = p.start.weekday()  # days from the Monday of the period start's ISO week
    lf = (
        priced_orders(frames, p, tolerance=tolerance)
        .rename({"province": "delivery_province"})
        .join(attrs, on="customer_id", how="left")
        .with_columns(order_time_attributes("ordered_at"))
        .drop("signup_date", "birth_year")
        .with_columns(
            pl.when((pl.col("charged_price") > 0) & (pl.col("explained_price") > 0))
            .then((pl.col("charged_price") / pl.col("explained_price")).log())
            .alias("log_premium"),
            pl.when((net > 0) & (pl.col("explained_price") > 0))
            .then((net / (pl.col("explained_price") * q)).log())
            .alias("log_net_premium"),
            days.alias("day"),
            ((days + monday) // window_days).alias("window"),
        )
        .with_columns(
            pl.col("sku").rank("dense").cast(pl.Int64).alias("_sku"),
            pl.col("channel").cast(pl.String).rank("dense").fill_null(0).cast(pl.Int64)
            .alias("_ch"),
        )
        .with_columns(  # integer cell ids (strides above any window, day or channel count)
            (pl.col("_sku") * _STRIDE + pl.col("window")).alias("cell"),
            ((pl.col("_sku") * _STRIDE + pl.col("window")) * 16 + pl.col("_ch")).alias("cell_ch"),
            (pl.col("customer_id").rank("dense").cast(pl.Int64) - 1).alias("cust"),
        )
        .drop("_sku", "_ch")
        .with_columns(pl.col("day").cast(pl.Int16))
        .sort("order_id")
    )
    return lf.collect()
