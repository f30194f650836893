"""Scorecard features and the default label (contract "Credit default").

Observation date ``T0`` = the end of P minus 12 months. Features at a date are
computed from rows dated before its exclusive bound (``T0`` for development, the
end of P for scoring): invoices issued before it, payments made before it
(a payment made later is "not paid yet" at that date), extracts and events dated
before it. Behaviour features use the 12 months before the date so development
and scoring windows have the same length.

**Label.** 1 when any invoice due in ``(T0, end of P]`` was paid more than 90 days
after its due date, or is still unpaid (as of the end of P) more than 90 days after
it. An invoice due less than 90 days before the end of P and still unpaid is *not
yet* a default (it is censored: counted in ``censored_invoices``, never as a bad).
A payment dated after the end of P is unknown at the end of P (the invoice counts
as unpaid). ``paid_at`` decides; a partial ``paid_amount_cny`` does not change the
label (the contract speaks of the payment date only). Only enterprises that were
customers at T0 (signup before T0) and have at least one invoice due in the window
are labelled.

**Registry features at T0.** Snapshot facts (status, age, capital, annual report)
come only from extracts dated before the date; when there is none (the samples'
first extract is 2026-06-30) they are missing at T0 and the binner puts them in
the missing bin, so they carry no weight in a model developed at T0. Dated
registry events (penalties, lists, lawsuits, …) are available at any date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from workbench.credit._registry import WEAK_STATUSES, months_before, registry_facts

#: Days after the due date beyond which a late or missing payment is a default.
DEFAULT_DAYS = 90

#: Scorecard features and what each measures (as of the scoring date).
FEATURES: dict[str, str] = {
    "relationship_months": "whole months since the customer signed up",
    "invoices_12m": "invoices issued in the last 12 months",
    "share_paid_late_12m": "share of invoices due in the last 12 months paid late or still overdue",
    "max_days_past_due_12m": "worst days past due on invoices due in the last 12 months",
    "mean_days_past_due_12m": "mean days past due on invoices due in the last 12 months",
    "outstanding_ratio": "amount outstanding / amount invoiced in the last 12 months",
    "overdue_cny": "amount past its due date and unpaid",
    "years_established": "years since establishment (latest extract)",
    "registered_capital_cny": "registered capital (latest extract)",
    "weak_status": "1 when suspended or moved out (latest extract)",
    "annual_report_overdue": "1 when an active enterprise's annual report is overdue",
    "abnormal_days": "days on the abnormal-operation list so far",
    "on_abnormal_list": "1 when on the abnormal-operation list (latest extract)",
    "penalties_36m": "administrative penalties in the last 36 months",
    "spot_check_fails_36m": "failed spot checks in the last 36 months",
    "secured_debts_36m": "equity pledges and chattel mortgages in the last 36 months",
    "lawsuits_36m": "lawsuits in the last 36 months",
}


def observation_date(end: dt.date, months: int = 12) -> dt.date:
    """T0 as an exclusive bound: the end of P minus ``months`` months.

    >>> observation_date(dt.date(2026, 10, 1))
    datetime.date(2025, 10, 1)
    """
    return months_before(end, months)


def enterprises(customers: pl.LazyFrame) -> pl.DataFrame:
    """Enterprise customers: ``customer_id``, ``subsidiary_id``, ``uscc``, ``signup_date``."""
    return (
        customers.filter(pl.col("customer_type") == "enterprise")
        .select("customer_id", "subsidiary_id", "uscc", "signup_date")
        .sort("customer_id")
        .collect()
    )


def _paid_by(end: dt.date) -> pl.Expr:
    return pl.col("paid_at").is_not_null() & (pl.col("paid_at") < end)


def receivable_features(receivables: pl.LazyFrame, end: dt.date) -> pl.LazyFrame:
    """Payment behaviour per customer from invoices issued before ``end``."""
    last_day = end - dt.timedelta(days=1)
    start = months_before(end, 12)
    paid = _paid_by(end)
    dpd = (
        pl.when(paid)
        .then((pl.col("paid_at") - pl.col("due_date")).dt.total_days())
        .otherwise((pl.lit(last_day) - pl.col("due_date")).dt.total_days())
        .clip(lower_bound=0)
    )
    due_12m = (pl.col("due_date") >= start) & (pl.col("due_date") < end)
    received = pl.when(paid).then(pl.col("paid_amount_cny")).otherwise(0.0)
    outstanding = pl.col("amount_cny") - received
    return (
        receivables.filter(pl.col("issued_at") < end)
        .with_columns(dpd.alias("_dpd"), outstanding.clip(lower_bound=0).alias("_out"))
        .group_by("customer_id")
        .agg(
            (pl.col("issued_at") >= start).sum().cast(pl.Float64).alias("invoices_12m"),
            pl.col("amount_cny").filter(pl.col("issued_at") >= start).sum().alias("_amount_12m"),
            (pl.col("_dpd") > 0).filter(due_12m).mean().alias("share_paid_late_12m"),
            pl.col("_dpd").filter(due_12m).max().cast(pl.Float64).alias("max_days_past_due_12m"),
            pl.col("_dpd").filter(due_12m).mean().alias("mean_days_past_due_12m"),
            pl.col("_out").sum().alias("outstanding_cny"),
            pl.col("_out").filter(pl.col("due_date") < end).sum().alias("overdue_cny"),
        )
        .with_columns(
            pl.when(pl.col("_amount_12m") > 0)
            .then(pl.col("outstanding_cny") / pl.col("_amount_12m"))
            .alias("outstanding_ratio")
        )
        .drop("_amount_12m")
    )


def build_features(
    frames: Mapping[str, pl.LazyFrame], end: dt.date, ents: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per enterprise customer who signed up before ``end``: ``customer_id``,
    ``uscc``, ``outstanding_cny`` and the :data:`FEATURES` (floats, null = missing).
    """
    ents = enterprises(frames["customers"]) if ents is None else ents
    ents = ents.filter(pl.col("signup_date") < end)
    facts = registry_facts(
        frames["registry_snapshots"], frames["registry_events"], ents["uscc"], end
    )
    months = (
        (end.year - pl.col("signup_date").dt.year()) * 12
        + (end.month - pl.col("signup_date").dt.month())
        - (pl.col("signup_date").dt.day() > end.day).cast(pl.Int32)
    )
    reg = facts.select(
        "uscc",
        pl.col("years_established"),
        pl.col("registered_capital_cny"),
        pl.when(pl.col("in_registry"))
        .then(pl.col("status").is_in(WEAK_STATUSES).cast(pl.Float64))
        .alias("weak_status"),
        pl.when(pl.col("in_registry"))
        .then(pl.col("annual_report_overdue").cast(pl.Float64))
        .alias("annual_report_overdue"),
        pl.col("abnormal_days").cast(pl.Float64),
        pl.when(pl.col("in_registry"))
        .then(pl.col("abnormal").cast(pl.Float64))
        .alias("on_abnormal_list"),
        pl.col("penalties_36m").cast(pl.Float64),
        pl.col("spot_check_fails_36m").cast(pl.Float64),
        (pl.col("equity_pledges_36m") + pl.col("chattel_mortgages_36m"))
        .cast(pl.Float64)
        .alias("secured_debts_36m"),
        pl.col("lawsuits_36m").cast(pl.Float64),
    )
    rec = receivable_features(frames["receivables"], end).collect()
    df = (
        ents.select("customer_id", "uscc", months.cast(pl.Float64).alias("relationship_months"))
        .join(rec, on="customer_id", how="left")
        .join(reg, on="uscc", how="left")
        .with_columns(
            pl.col("invoices_12m").fill_null(0.0),
            pl.col("outstanding_cny").fill_null(0.0),
            pl.col("overdue_cny").fill_null(0.0),
        )
    )
    return df.select("customer_id", "uscc", "outstanding_cny", *FEATURES).sort("customer_id")


def default_labels(receivables: pl.LazyFrame, t0: dt.date, end: dt.date) -> pl.DataFrame:
    """Per customer with an invoice due in ``[t0, end)``: ``default`` (0/1), the
    number of ``defaulted_invoices`` and of ``censored_invoices`` (unpaid, due less
    than 90 days before the end, not yet a default).
    """
    last_day = end - dt.timedelta(days=1)
    paid = _paid_by(end)
    late_paid = paid & ((pl.col("paid_at") - pl.col("due_date")).dt.total_days() > DEFAULT_DAYS)
    overdue_unpaid = ~paid & (
        (pl.lit(last_day) - pl.col("due_date")).dt.total_days() > DEFAULT_DAYS
    )
    return (
        receivables.filter((pl.col("due_date") >= t0) & (pl.col("due_date") < end))
        .group_by("customer_id")
        .agg(
            (late_paid | overdue_unpaid).sum().cast(pl.Int64).alias("defaulted_invoices"),
            (~paid & ~overdue_unpaid).sum().cast(pl.Int64).alias("censored_invoices"),
            pl.len().cast(pl.Int64).alias("invoices_due"),
        )
        .with_columns((pl.col("defaulted_invoices") > 0).cast(pl.Int64).alias("default"))
        .sort("customer_id")
        .collect()
    )


def development_sample(
    frames: Mapping[str, pl.LazyFrame], end: dt.date, ents: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Features at T0 joined to the label over ``(T0, end]`` for the labelled
    enterprises (customers before T0 with an invoice due in the window).
    """
    t0 = observation_date(end)
    feats = build_features(frames, t0, ents)
    labels = default_labels(frames["receivables"], t0, end)
    return feats.join(labels, on="customer_id", how="inner")
