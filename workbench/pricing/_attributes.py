"""Audit attributes of an order: who placed it and how (contract "Audit attributes").

Every attribute is taken **at the time of the order** (issue #13): tenure in
whole calendar months from ``signup_date`` to ``ordered_at`` (the contract's
month counting, :func:`workbench.attributes.tenure_months`), age as the order's
year − ``birth_year``, ``tier`` the tier held at ``ordered_at`` (the explained
price's tier, :func:`workbench.pricing._explained.tier_at_order`), ``device_os``
and ``channel`` from the order itself. A customer who crosses 36 months during
the period is in ``24-35m`` for the orders before the anniversary and in
``36m+`` from it on. ``gender``, ``province`` and ``customer_type`` do not
change with time in the contract. Bands are the workbench's (shared with ``workbench.tiering``):
tenure ``0-11m``, ``12-23m``, ``24-35m``, ``36m+``; age ``0-17`` … ``65+``.
"""

from __future__ import annotations

import polars as pl

from workbench.attributes import age_band, tenure_band, tenure_months

#: Every attribute the pricing audit can group by.
SUPPORTED_ATTRIBUTES: tuple[str, ...] = (
    "age_band",
    "channel",
    "customer_type",
    "device_os",
    "gender",
    "province",
    "subsidiary_id",
    "tenure_band",
    "tier",
)
#: Audited by default (issue #4).
DEFAULT_ATTRIBUTES: tuple[str, ...] = (
    "tenure_band",
    "device_os",
    "province",
    "channel",
    "tier",
    "gender",
    "age_band",
)
#: The confirmatory family (Holm); every other hypothesis is exploratory (BH).
CONFIRMATORY_ATTRIBUTES: tuple[str, ...] = ("tenure_band", "device_os", "province")


def customer_attributes(customers: pl.LazyFrame) -> pl.LazyFrame:
    """``customer_id`` with what the audit attributes are made of.

    Columns ``customer_type``, ``gender``, ``province`` (the customer's),
    ``signup_date`` and ``birth_year``. Gender and birth year apply to individuals
    only (null otherwise, so enterprises are outside those groups). The bands are
    made per order by :func:`order_time_attributes`.
    """
    individual = pl.col("customer_type") == "individual"
    return customers.select(
        "customer_id",
        "customer_type",
        pl.when(individual).then(pl.col("gender")).alias("gender"),
        pl.col("province"),
        "signup_date",
        pl.when(individual).then(pl.col("birth_year")).alias("birth_year"),
    )


def order_time_attributes(at: str = "ordered_at") -> list[pl.Expr]:
    """``tenure_months``, ``tenure_band`` and ``age_band`` at the instant in column ``at``.

    A row dated before the customer's signup has no tenure band (null: out of the
    comparison).

    Examples
    --------
    >>> import datetime as dt
    >>> df = pl.DataFrame({"signup_date": [dt.date(2023, 7, 15)] * 2, "birth_year": [2008, 2008],
    ...                    "ordered_at": [dt.datetime(2026, 7, 14), dt.datetime(2026, 7, 15)]})
    >>> df.with_columns(order_time_attributes()).select("tenure_band", "age_band").rows()
    [('24-35m', '18-24'), ('36m+', '18-24')]
    """
    months = tenure_months(pl.col("signup_date"), pl.col(at))
    return [
        months.alias("tenure_months"),
        pl.when(months >= 0).then(tenure_band(months)).alias("tenure_band"),
        age_band(pl.col("birth_year"), pl.col(at).dt.year()).alias("age_band"),
    ]
