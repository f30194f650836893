"""Audit attributes shared by every fairness analysis (contract "Audit attributes").

Band labels show their bounds (``age_band=25-34``, ``tenure_band=36m+``) and
intersections join attributes in alphabetical order with ``&``
(``gender=f&province=31``). Tiering and pricing both group by these, so they are
defined once here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

import polars as pl

#: Age bands (inclusive bounds; None = open). Labels show the bounds: ``25-34``, ``65+``.
AGE_BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 17),
    (18, 24),
    (25, 34),
    (35, 44),
    (45, 54),
    (55, 64),
    (65, None),
)
#: Tenure bands in whole months: ``0-11m`` … ``36m+``.
TENURE_BANDS: tuple[tuple[int, int | None], ...] = ((0, 11), (12, 23), (24, 35), (36, None))


def _band_expr(value: pl.Expr, bands: Sequence[tuple[int, int | None]], suffix: str) -> pl.Expr:
    expr = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    for low, high in bands:
        if high is None:
            expr = expr.when(value >= low).then(pl.lit(f"{low}{suffix}+"))
        else:
            expr = expr.when(value.is_between(low, high)).then(pl.lit(f"{low}-{high}{suffix}"))
    return expr.otherwise(pl.lit(None, pl.String))


def age_band(birth_year: pl.Expr, year: int | pl.Expr) -> pl.Expr:
    """Age band label from a birth year, age taken as ``year − birth_year``.

    ``year`` is a calendar year, or an expression of one per row (the year of the
    order or grant, for an age at the time of the event).

    >>> df = pl.DataFrame({"b": [2000, 1990, 1950, None]})
    >>> df.select(age_band(pl.col("b"), 2026).alias("band"))["band"].to_list()
    ['25-34', '35-44', '65+', None]
    >>> df = pl.DataFrame({"b": [2001, 2001], "at": [dt.date(2018, 1, 1), dt.date(2019, 1, 1)]})
    >>> df.select(age_band(pl.col("b"), pl.col("at").dt.year()).alias("band"))["band"].to_list()
    ['0-17', '18-24']
    """
    return _band_expr(birth_year.mul(-1).add(year), AGE_BANDS, "")  # keeps the input name


def tenure_band(months: pl.Expr) -> pl.Expr:
    """Tenure band label from whole months.

    >>> df = pl.DataFrame({"m": [0, 23, 24, 36, 90]})
    >>> df.select(tenure_band(pl.col("m"))).to_series().to_list()
    ['0-11m', '12-23m', '24-35m', '36m+', '36m+']
    """
    return _band_expr(months, TENURE_BANDS, "m")


def tenure_months(signup: pl.Expr, end: dt.datetime | pl.Expr) -> pl.Expr:
    """Whole calendar months from ``signup`` (a date) to the instant ``end``.

    A month counts once its anniversary day has been reached; ``end`` of a period
    is midnight after its last day, so signing up on 2025-10-01 gives 12 months at
    the end of 2026-Q3 and signing up on 2025-10-02 gives 11. ``end`` may be an
    expression (a datetime or date per row): tenure at the time of each event, e.g.
    ``pl.col("ordered_at")`` — an order placed any time on 2026-07-15 by a customer
    who signed up on 2023-07-15 is at 36 months, one placed on 2026-07-14 at 35.

    >>> df = pl.DataFrame({"s": [dt.date(2025, 10, 1), dt.date(2025, 10, 2), dt.date(2025, 9, 30)]})
    >>> df.select(tenure_months(pl.col("s"), dt.datetime(2026, 10, 1)))["s"].to_list()
    [12, 11, 12]
    >>> df = pl.DataFrame({"s": [dt.date(2023, 7, 15)] * 2,
    ...                    "at": [dt.datetime(2026, 7, 14, 23), dt.datetime(2026, 7, 15, 9)]})
    >>> df.select(tenure_months(pl.col("s"), pl.col("at")))["s"].to_list()
    [35, 36]
    """
    index = signup.dt.year().cast(pl.Int64) * 12 + signup.dt.month().cast(pl.Int64)
    if isinstance(end, pl.Expr):
        end_index = end.dt.year().cast(pl.Int64) * 12 + end.dt.month().cast(pl.Int64)
        months = (index - end_index) * -1  # keeps the name of ``signup``
        return (months - (signup.dt.day() > end.dt.day()).cast(pl.Int64)).cast(pl.Int64)
    months = (index - (end.year * 12 + end.month)) * -1  # keeps the name of ``signup``
    return (months - (signup.dt.day() > end.day).cast(pl.Int64)).cast(pl.Int64)


def attribute_sets(attributes: Sequence[str], intersections: bool) -> list[tuple[str, ...]]:
    """Single attributes, then each pair in alphabetical order (contract naming).

    >>> attribute_sets(["tier", "gender"], True)
    [('tier',), ('gender',), ('gender', 'tier')]
    """
    singles = [(a,) for a in attributes]
    if not intersections:
        return singles
    return singles + [tuple(sorted(p)) for p in itertools.combinations(attributes, 2)]


def group_label(attrs: Sequence[str]) -> pl.Expr:
    """``attr=value`` joined with ``&`` (null when any value is null).

    >>> pl.DataFrame({"a": ["x"], "b": ["1"]}).select(group_label(["a", "b"])).item()
    'a=x&b=1'
    """
    parts: list[pl.Expr] = []
    for i, a in enumerate(attrs):
        parts += [pl.lit(("&" if i else "") + f"{a}="), pl.col(a).cast(pl.String)]
    return pl.concat_str(parts)
