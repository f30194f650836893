"""``recurring_cause``: a subsidiary where one root cause keeps coming back.

Rule. Among complaints received in P whose root cause was established by the end
of P (a ``resolved`` or ``closed`` event by then, and ``root_cause`` not blank), for
each subsidiary *s* and root cause *c*:

* ``count`` = complaints of *s* with cause *c*; ``n`` = complaints of *s* with a
  known cause; rate = count / n;
* compared with the rest of the group (the other subsidiaries' complaints with a
  known cause) by a one-sided Fisher exact test (H1: *s*'s rate is higher);
* tested only when ``count ≥ min_count`` (a cause must actually recur); the
  p-values of all tested pairs are adjusted together with Benjamini–Hochberg;
* flagged when ``count ≥ min_count`` and the adjusted p-value < ``alpha``.

A subsidiary with at least one flagged cause gets one finding listing its flagged
causes (count, rate, group rate, rest-of-group rate, p and q).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from workbench.stats import benjamini_hochberg, rate_difference_test

__all__ = ["DEFAULT_MIN_COUNT", "cause_rates", "recurring_findings"]

DEFAULT_MIN_COUNT = 5


def cause_rates(known: pl.DataFrame, *, min_count: int = DEFAULT_MIN_COUNT, alpha: float = 0.05) -> pl.DataFrame:
    """Every (subsidiary, root cause) pair with its counts, rates, test and flag.

    ``known`` has one row per complaint with ``subsidiary_id`` and ``root_cause``.
    """
    schema = {
        "subsidiary_id": pl.String,
        "root_cause": pl.String,
        "count": pl.Int64,
        "n": pl.Int64,
        "rate": pl.Float64,
        "group_rate": pl.Float64,
        "rest_rate": pl.Float64,
        "p_value": pl.Float64,
        "q_value": pl.Float64,
        "flagged": pl.Boolean,
    }
    if known.height == 0:
        return pl.DataFrame(schema=schema)
    pairs = known.group_by("subsidiary_id", "root_cause").agg(count=pl.len().cast(pl.Int64))
    n_sub = known.group_by("subsidiary_id").agg(n=pl.len().cast(pl.Int64))
    n_cause = known.group_by("root_cause").agg(_cause_total=pl.len().cast(pl.Int64))
    total = known.height
    df = (
        pairs.join(n_sub, on="subsidiary_id")
        .join(n_cause, on="root_cause")
        .with_columns(
            rate=pl.col("count") / pl.col("n"),
            group_rate=pl.col("_cause_total") / total,
            _k_rest=pl.col("_cause_total") - pl.col("count"),
            _n_rest=total - pl.col("n"),
        )
        .with_columns(rest_rate=pl.when(pl.col("_n_rest") > 0).then(pl.col("_k_rest") / pl.col("_n_rest")))
        .sort("subsidiary_id", "root_cause")
    )
    tested = (df["count"] >= min_count).to_numpy()
    # One Fisher test per (subsidiary, cause) pair — a handful of pairs, not rows.
    p = np.full(df.height, np.nan)
    for i in np.flatnonzero(tested):
        r = df.row(int(i), named=True)
        p[i] = rate_difference_test(r["count"], r["n"], r["_k_rest"], r["_n_rest"])
    q = np.full(df.height, np.nan)
    if tested.any():
        q[tested] = benjamini_hochberg(p[tested])
    return (
        df.with_columns(
            p_value=pl.Series(p).fill_nan(None),
            q_value=pl.Series(q).fill_nan(None),
        )
        .with_columns(flagged=(pl.col("count") >= min_count) & (pl.col("q_value") < alpha).fill_null(False))
        .select(list(schema))
    )


def recurring_findings(rates: pl.DataFrame, *, min_count: int, alpha: float, legal_basis: str) -> pl.DataFrame:
    """Raw ``recurring_cause`` findings, one per subsidiary with a flagged cause."""
    flagged = rates.filter(pl.col("flagged"))
    if flagged.height == 0:
        return pl.DataFrame()
    return (
        flagged.sort("subsidiary_id", "q_value")
        .group_by("subsidiary_id", maintain_order=True)
        .agg(
            causes=pl.struct(
                root_cause=pl.col("root_cause"),
                count=pl.col("count"),
                complaints_with_known_cause=pl.col("n"),
                rate=pl.col("rate").round(4),
                group_rate=pl.col("group_rate").round(4),
                rest_of_group_rate=pl.col("rest_rate").round(4),
                p_value=pl.col("p_value"),
                q_value_bh=pl.col("q_value"),
            ),
            _top=pl.col("root_cause").first(),
        )
        .select(
            rule=pl.lit("recurring_cause"),
            severity=pl.lit("medium"),
            entity_type=pl.lit("subsidiary"),
            entity_id=pl.col("subsidiary_id"),
            subsidiary_id=pl.col("subsidiary_id"),
            detail=pl.struct(
                root_cause=pl.col("_top"),
                causes=pl.col("causes"),
                rule=pl.lit(
                    f"count >= {min_count} in the period and rate above the rest of the group "
                    f"(one-sided Fisher exact test, Benjamini-Hochberg q < {alpha})"
                ),
                min_count=pl.lit(min_count),
                alpha=pl.lit(alpha),
                legal_basis=pl.lit(legal_basis),
            ),
        )
    )
