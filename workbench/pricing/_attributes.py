"""Audit attributes of an order: who placed it and how (contract "Audit attributes").

Customer attributes are taken as of the end of the period (the contract's
definition of tenure; age from ``birth_year`` in the period's last year), order
attributes (``device_os``, ``channel``, ``tier`` held at order time) from the
order itself. Bands are the workbench's (shared with ``workbench.tiering``):
tenure ``0-11m``, ``12-23m``, ``24-35m``, ``36m+``; age ``0-17`` … ``65+``.
"""

from __future__ import annotations

import datetime as dt

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


def customer_attributes(customers: pl.LazyFrame, end: dt.datetime, last_year: int) -> pl.LazyFrame:
    """``customer_id`` with the customer-level audit attributes as of ``end``.

    Columns ``customer_type``, ``gender``, ``age_band``, ``province`` (the
    customer's), ``tenure_months`` and ``tenure_band``. Gender and age apply to
    individuals only (null otherwise, so enterprises are outside those groups).
    """
    individual = pl.col("customer_type") == "individual"
    return customers.select(
        "customer_id",
        "customer_type",
        pl.when(individual).then(pl.col("gender")).alias("gender"),
        pl.when(individual).then(age_band(pl.col("birth_year"), last_year)).alias("age_band"),
        pl.col("province"),
        tenure_months(pl.col("signup_date"), end).alias("tenure_months"),
    ).with_columns(
        # Signed up after the period end: no tenure band (out of scope).
        pl.when(pl.col("tenure_months") >= 0).then(tenure_band(pl.col("tenure_months")))
        .alias("tenure_band")
    )
