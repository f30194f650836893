"""Scorecard features, the default label and the two samples of a credit model
(contract "Credit default").

**Time order.** With ``end`` the end of P (an exclusive bound: the first day after
P) and ``T0`` = ``end`` − 12 months, a model graded for P is developed and
validated on two disjoint outcome windows, each seen only as it was known at its
label date (:func:`as_of`):

* *development*: features as of ``T0 − 12 months``, labels from invoices due in
  ``[T0 − 12m, T0)``, outcomes known before ``T0`` — the only rows the scorecard
  is fitted on;
* *out of time*: features as of ``T0``, labels from invoices due in
  ``[T0, end)``, outcomes known before ``end`` — the only rows the headline
  validation is computed on.

Both samples are built from :func:`as_of` views that drop every row dated at or
after the label date (and forget payments made from it on), so the development
sample cannot contain anything from ``T0`` on; :func:`check_known_before` raises
if a view ever does.

Features at a date are computed from rows dated before that exclusive bound:
invoices issued before it, payments made before it (a payment made later is "not
paid yet" at that date), extracts and events dated before it. Behaviour features
use the 12 months before the date so development and scoring windows have the
same length.

**Label at a label date L** (per invoice due in the window): *bad* when paid more
than 90 days after its due date, or unpaid more than 90 days after it on L's last
day; *good* when paid before L at most 90 days late; otherwise *undetermined*
(unpaid, not yet 90 days past due at L: its outcome is not known at L, so it is
neither good nor bad). A customer is a default (1) with any bad invoice, a
non-default (0) with a good invoice and no bad one, and is left out of the sample
(and counted, :func:`sample_summary`) when its only invoices in the window are
undetermined. ``paid_at`` decides; a partial ``paid_amount_cny`` does not change
the label (the contract speaks of the payment date only). Only enterprises that
were customers at the feature date (signup before it) are labelled; later ones
are counted as ``not_customer_yet``.

**Registry features at T0.** Snapshot facts (status, age, capital, annual report)
come only from extracts dated before the date; when there is none (the samples'
first extract is 2026-06-30) they are missing and the binner puts them in the
missing bin, so they carry no weight in a model developed then. Dated registry
events (penalties, lists, lawsuits, …) are available at any date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from workbench.credit._registry import WEAK_STATUSES, months_before, registry_facts

#: Days after the due date beyond which a late or missing payment is a default.
DEFAULT_DAYS = 90
#: Months of outcome after a feature date (the label horizon of the PD).
HORIZON_MONTHS = 12
#: Label status of a customer in a sample window (:func:`window_labels`).
LABELLED, UNDETERMINED, NOT_CUSTOMER_YET = "labelled", "undetermined", "not_customer_yet"
#: Date columns of each table that say when a row became known (:func:`as_of`).
KNOWN_AT: dict[str, str] = {
    "customers": "signup_date",
    "receivables": "issued_at",
    "registry_snapshots": "snapshot_date",
    "registry_events": "event_date",
}
MSG_LOOK_AHEAD = (
    "{table}.{column}: {n} row(s) dated on or after {date} in a view as of {date} "
    "(look-ahead), e.g. {rows}"
)

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




@dataclass(frozen=True)
class Window:
    """One sample of a model: features as of ``feature_date``, labels from invoices
    due in ``[feature_date, label_date)`` judged with what is known before
    ``label_date`` (both exclusive bounds, month starts).
    """

    name: str
    feature_date: dt.date
    label_date: dt.date


def sample_windows(end: dt.date) -> tuple[Window, Window]:
    """The development and out-of-time windows of a model graded at ``end``.

    >>> dev, oot = sample_windows(dt.date(2026, 10, 1))
    >>> dev.feature_date, dev.label_date, oot.feature_date, oot.label_date
    (datetime.date(2024, 10, 1), datetime.date(2025, 10, 1), \
datetime.date(2025, 10, 1), datetime.date(2026, 10, 1))
    """
    t0 = observation_date(end, HORIZON_MONTHS)
    dev_start = observation_date(t0, HORIZON_MONTHS)
    return Window("development", dev_start, t0), Window("out_of_time", t0, end)


def as_of(frames: Mapping[str, pl.LazyFrame], date: dt.date) -> dict[str, pl.LazyFrame]:
    """The credit tables as they were known before ``date`` (exclusive bound).

    Rows dated on or after it (:data:`KNOWN_AT`) are dropped; a receivable paid on
    or after it is unpaid in the view (``paid_at`` null, ``paid_amount_cny`` 0).
    Tables not in :data:`KNOWN_AT` are passed through.
    """
    view = dict(frames)
    for table, column in KNOWN_AT.items():
        if table in view:
            view[table] = view[table].filter(pl.col(column) < date)
    if "receivables" in view:
        later = pl.col("paid_at").is_not_null() & (pl.col("paid_at") >= date)
        view["receivables"] = view["receivables"].with_columns(
            pl.when(later).then(None).otherwise(pl.col("paid_at")).alias("paid_at"),
            pl.when(later).then(0.0).otherwise(pl.col("paid_amount_cny")).alias(
                "paid_amount_cny"
            ),
        )
    return view


def check_known_before(view: Mapping[str, pl.LazyFrame], date: dt.date) -> None:
    """Raise ``ValueError`` naming the table, column and rows when ``view`` holds a
    row (or a payment) dated on or after ``date``: the guard that makes look-ahead
    into a sample fail loudly instead of flattering the model.
    """
    checks = [(t, c) for t, c in KNOWN_AT.items() if t in view]
    if "receivables" in view:
        checks.append(("receivables", "paid_at"))
    for table, column in checks:
        late = view[table].filter(pl.col(column) >= date).collect()
        if late.height:
            rows = late.head(3).to_dicts()
            raise ValueError(MSG_LOOK_AHEAD.format(
                table=table, column=column, n=late.height, date=date, rows=rows
            ))


def default_labels(receivables: pl.LazyFrame, start: dt.date, label_date: dt.date) -> pl.DataFrame:
    """Per customer with an invoice due in ``[start, label_date)``: the numbers of
    ``defaulted_invoices``, ``good_invoices`` and ``undetermined_invoices`` (unpaid,
    not yet 90 days past due on the last day before ``label_date``) and
    ``default``: 1 with a defaulted invoice, 0 with a good one and none defaulted,
    null when every invoice is undetermined (the outcome is not known yet).
    """
    last_day = label_date - dt.timedelta(days=1)
    paid = _paid_by(label_date)
    days_late = (pl.col("paid_at") - pl.col("due_date")).dt.total_days()
    late_paid = paid & (days_late > DEFAULT_DAYS)
    days_open = (pl.lit(last_day) - pl.col("due_date")).dt.total_days()
    overdue_unpaid = ~paid & (days_open > DEFAULT_DAYS)
    bad = late_paid | overdue_unpaid
    good = paid & ~late_paid
    return (
        receivables.filter((pl.col("due_date") >= start) & (pl.col("due_date") < label_date))
        .group_by("customer_id")
        .agg(
            bad.sum().cast(pl.Int64).alias("defaulted_invoices"),
            good.sum().cast(pl.Int64).alias("good_invoices"),
            (~bad & ~good).sum().cast(pl.Int64).alias("undetermined_invoices"),
            pl.len().cast(pl.Int64).alias("invoices_due"),
        )
        .with_columns(
            pl.when(pl.col("defaulted_invoices") > 0).then(1)
            .when(pl.col("good_invoices") > 0).then(0)
            .otherwise(None)
            .cast(pl.Int64)
            .alias("default")
        )
        .sort("customer_id")
        .collect()
    )


def window_labels(
    frames: Mapping[str, pl.LazyFrame], window: Window, ents: pl.DataFrame | None = None
) -> pl.DataFrame:
    """:func:`default_labels` of ``window`` for the enterprise customers ``ents``,
    from the view as of its label date, with each customer's ``status``:
    ``labelled``, ``undetermined`` (only undetermined invoices: left out) or
    ``not_customer_yet`` (signed up on or after the feature date: left out).
    """
    ents = enterprises(frames["customers"]) if ents is None else ents
    view = as_of(frames, window.label_date)
    check_known_before(view, window.label_date)
    labels = default_labels(view["receivables"], window.feature_date, window.label_date)
    status = (
        pl.when(pl.col("signup_date") >= window.feature_date).then(pl.lit(NOT_CUSTOMER_YET))
        .when(pl.col("default").is_null()).then(pl.lit(UNDETERMINED))
        .otherwise(pl.lit(LABELLED))
    )
    return labels.join(ents.select("customer_id", "signup_date"), on="customer_id").with_columns(
        status.alias("status")
    ).drop("signup_date")


def labelled_sample(
    frames: Mapping[str, pl.LazyFrame], window: Window, ents: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Features as of ``window.feature_date`` joined to the labels of the customers
    whose outcome is known (status ``labelled``), with the window's
    ``feature_date`` and ``label_date`` on every row. Everything comes from the view
    as of the label date, so no row dated on or after it can reach the sample.
    """
    ents = enterprises(frames["customers"]) if ents is None else ents
    view = as_of(frames, window.label_date)
    labels = window_labels(frames, window, ents).filter(pl.col("status") == LABELLED)
    feats = build_features(view, window.feature_date, ents)
    return feats.join(labels.drop("status"), on="customer_id", how="inner").with_columns(
        pl.lit(window.feature_date).alias("feature_date"),
        pl.lit(window.label_date).alias("label_date"),
    )


def development_sample(
    frames: Mapping[str, pl.LazyFrame], end: dt.date, ents: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The sample a model graded at ``end`` is fitted on: features as of
    ``T0 − 12 months``, labels of invoices due in ``[T0 − 12m, T0)`` known before
    ``T0`` (``T0`` = ``end`` − 12 months). Nothing dated from ``T0`` on is read.
    """
    return labelled_sample(frames, sample_windows(end)[0], ents)


def out_of_time_sample(
    frames: Mapping[str, pl.LazyFrame], end: dt.date, ents: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The sample a model graded at ``end`` is validated on: features as of ``T0``,
    labels of invoices due in ``[T0, end)`` known before ``end`` — outcomes later
    than anything in :func:`development_sample`.
    """
    return labelled_sample(frames, sample_windows(end)[1], ents)


SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "sample": pl.String(), "feature_date": pl.Date(), "label_date": pl.Date(),
    "customers_with_invoices_due": pl.Int64(), "not_customer_yet": pl.Int64(),
    "undetermined": pl.Int64(), "labelled": pl.Int64(), "defaults": pl.Int64(),
    "default_rate": pl.Float64(), "undetermined_invoices": pl.Int64(),
}


def sample_summary(
    frames: Mapping[str, pl.LazyFrame], end: dt.date, ents: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Per sample window of a model graded at ``end``: its dates, the enterprise
    customers with an invoice due in it, how many are left out (not yet customers
    at the feature date; only undetermined invoices), how many are labelled, their
    defaults, and the undetermined invoices of the labelled ones.
    """
    rows = []
    for w in sample_windows(end):
        lab = window_labels(frames, w, ents)
        kept = lab.filter(pl.col("status") == LABELLED)
        n = kept.height
        defaults = int(kept["default"].sum()) if n else 0
        rows.append({
            "sample": w.name, "feature_date": w.feature_date, "label_date": w.label_date,
            "customers_with_invoices_due": lab.height,
            "not_customer_yet": int((lab["status"] == NOT_CUSTOMER_YET).sum()),
            "undetermined": int((lab["status"] == UNDETERMINED).sum()),
            "labelled": n, "defaults": defaults,
            "default_rate": defaults / n if n else None,
            "undetermined_invoices": int(kept["undetermined_invoices"].sum()) if n else 0,
        })
    return pl.DataFrame(rows, schema=SUMMARY_SCHEMA)
