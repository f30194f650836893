"""Audit attributes at the time of an event (contract "Audit attributes", issue #13).

Tiering judges two kinds of thing. *States* as of the end of P (tier held,
eligibility, under-tiering) are grouped by the attributes at the end of P, as
before. *Events* of P (benefit grants) are grouped by the attributes the customer
had when the event happened: the tier held at ``granted_at`` (that is what
:func:`workbench.tiering._benefits.judged_grants` judges a grant by), the tenure
band at ``granted_at`` and the age band at ``granted_at``.

For the hidden-benefit disparity metric this makes the unit a *customer-spell*:
one row per customer and combination of time-varying attribute values held during
P (a customer who reaches 36 months of tenure in August has a ``24-35m`` spell and
a ``36m+`` spell), with ``has_hidden_benefit`` true for a spell in which a hidden
grant was granted. A grant therefore always counts in the group the customer
belonged to when it was granted, and both spells of a customer who changed group
are at risk, so events and non-events are classified by the same rule (measuring
only the grants at grant time and everybody else at the end of P would push
events towards the lower band and non-events towards the higher one). Periods are
calendar months, quarters or years, so the age band (age = calendar year −
birth_year) never changes inside one; only the tenure band does.

Tenure and age at an instant are :func:`workbench.attributes.tenure_months` and
:func:`workbench.attributes.age_band` with a per-row moment (the same functions
pricing uses at order time). Everything is polars (a cross join with the few band
bounds, no Python loops).
"""

from __future__ import annotations

import polars as pl

from workbench.attributes import TENURE_BANDS, age_band, tenure_band, tenure_months
from workbench.periods import Period

#: The attributes whose value can change during a period; the others are static.
TIME_VARYING: tuple[str, ...] = ("tenure_band", "age_band")

#: An upper bound for the open last tenure band.
_OPEN = 1_000_000


def _tenure_bounds() -> pl.DataFrame:
    lows = [low for low, _ in TENURE_BANDS]
    highs = [_OPEN if high is None else high for _, high in TENURE_BANDS]
    bounds = pl.DataFrame({"_lo": lows, "_hi": highs}, schema={"_lo": pl.Int64, "_hi": pl.Int64})
    return bounds.with_columns(tenure_band(pl.col("_lo")).alias("tenure_band"))


def benefit_spells(
    people: pl.DataFrame,
    hidden_grants: pl.DataFrame,
    period: Period,
    varying: tuple[str, ...] | list[str],
) -> pl.DataFrame:
    """Customer-spells of ``period`` and whether a hidden grant fell in each.

    Parameters
    ----------
    people
        One row per customer in scope: ``customer_id``, ``signup_date``,
        ``birth_year``.
    hidden_grants
        The hidden grants of ``period``: ``customer_id``, ``granted_at``.
    period
        The period judged.
    varying
        The time-varying attributes grouped by (a subset of :data:`TIME_VARYING`);
        spells are distinct only in these (none: one spell per customer).

    Returns
    -------
    pl.DataFrame
        ``customer_id``, the ``varying`` columns and ``has_hidden_benefit``: one row
        per customer and combination of values held at some moment of P from the
        later of the period start and the signup date to the period's last day
        (tenure is non-decreasing in time, so these are the bands between the
        first and the last moment), plus any combination a hidden grant was
        granted in.

    Examples
    --------
    >>> import datetime as dt
    >>> from workbench.periods import parse_period
    >>> people = pl.DataFrame({"customer_id": ["c"], "signup_date": [dt.date(2023, 8, 15)],
    ...                        "birth_year": [1990]})
    >>> grants = pl.DataFrame({"customer_id": ["c"], "granted_at": [dt.datetime(2026, 7, 3)]})
    >>> s = benefit_spells(people, grants, parse_period("2026-Q3"), ["tenure_band"])
    >>> s.sort("tenure_band").rows()
    [('c', '24-35m', True), ('c', '36m+', False)]
    """
    varying = [a for a in TIME_VARYING if a in varying]
    first = pl.max_horizontal(pl.col("signup_date"), pl.lit(period.start_date))
    last = pl.lit(period.last_day)
    spans = (
        people.with_columns(
            tenure_months(pl.col("signup_date"), first).alias("_m0"),
            tenure_months(pl.col("signup_date"), last).alias("_m1"),
            age_band(pl.col("birth_year"), last.dt.year()).alias("age_band"),
        )
        .join(_tenure_bounds(), how="cross")
        .filter((pl.col("_lo") <= pl.col("_m1")) & (pl.col("_hi") >= pl.col("_m0")))
        .select("customer_id", *varying, pl.lit(False).alias("has_hidden_benefit"))
    )
    at = pl.col("granted_at")
    events = hidden_grants.select("customer_id", "granted_at").join(
        people.select("customer_id", "signup_date", "birth_year"), on="customer_id", how="inner"
    ).select(
        "customer_id",
        tenure_band(tenure_months(pl.col("signup_date"), at)).alias("tenure_band"),
        age_band(pl.col("birth_year"), at.dt.year()).alias("age_band"),
        pl.lit(True).alias("has_hidden_benefit"),
    ).select("customer_id", *varying, "has_hidden_benefit")
    return (
        pl.concat([spans, events])
        .group_by("customer_id", *varying)
        .agg(pl.col("has_hidden_benefit").any())
        .sort("customer_id", *varying, nulls_last=True)
    )
