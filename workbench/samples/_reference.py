"""A small reference implementation of the contract's definitions, used for ground truth.

The generator records, for the reference period, exactly what a correct
implementation of the contract would emit: it plants violations, then *computes*
each rule's entity set from the tables it wrote with these functions. They are
deliberately plain (no tuning, no statistics) and favour clarity over speed. Where
the contract leaves a choice open, the choice is stated in the docstring and in the
ground truth's notes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from workbench.periods import Period
from workbench.samples._calendar import nth_workday_after
from workbench.samples._uscc import is_valid_uscc

PRICE_TOLERANCE = 0.005  # contract default: 0.5 %
ACK_LIMIT_H = {"critical": 24, "high": 24, "medium": 48, "low": 72}
RESOLVE_LIMIT_H = {"critical": 72, "high": 360, "medium": 360, "low": 360}
ACCEPT_WORKDAYS = 7
UPDATE_GAP_H = 72
OPEN_STATUSES = ("open", "in_progress", "waiting_customer")
KNOCKOUT_STATUSES = ("revoked", "cancelled")


# ----------------------------------------------------------------------------- tiers
def tenure_months(signup: pl.Expr, end: dt.datetime) -> pl.Expr:
    """Whole calendar months from ``signup`` (a date) to the instant ``end``."""
    months = end.year * 12 + end.month - (signup.dt.year().cast(pl.Int64) * 12 + signup.dt.month())
    return (months - (signup.dt.day() > end.day).cast(pl.Int64)).cast(pl.Int64)


def published_policy(policy: pl.DataFrame) -> pl.DataFrame:
    """The tiers whose criteria were published, best first."""
    return policy.filter(pl.col("published_at").is_not_null()).sort("rank", descending=True)


def eligibility(
    orders: pl.LazyFrame, customers: pl.DataFrame, policy: pl.DataFrame, period: Period
) -> pl.DataFrame:
    """Spend, order count, tenure and eligible tier at the end of ``period``.

    Customers who signed up after the period are out of scope.
    """
    start = period.months_back(12)
    agg = (
        orders.filter((pl.col("ordered_at") >= start) & (pl.col("ordered_at") < period.end))
        .group_by("customer_id")
        .agg(
            spend_12m=(pl.col("charged_price") * pl.col("quantity") - pl.col("coupon_cny")).sum(),
            orders_12m=pl.len().cast(pl.Int64),
        )
        .collect()
    )
    df = (
        customers.filter(pl.col("signup_date") < period.end.date())
        .select("customer_id", "signup_date")
        .join(agg, on="customer_id", how="left")
        .with_columns(
            pl.col("spend_12m").fill_null(0.0),
            pl.col("orders_12m").fill_null(0),
            tenure_months=tenure_months(pl.col("signup_date"), period.end),
        )
    )
    pub = published_policy(policy)
    lowest = pub.row(pub.height - 1, named=True)
    expr = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    for t in pub.iter_rows(named=True):
        expr = expr.when(
            (pl.col("spend_12m") >= t["min_spend_12m"])
            & (pl.col("orders_12m") >= t["min_orders_12m"])
            & (pl.col("tenure_months") >= t["min_tenure_months"])
        ).then(pl.lit(t["tier"]))
    ranks = dict(zip(pub["tier"], pub["rank"], strict=True))
    return df.with_columns(eligible_tier=expr.otherwise(pl.lit(lowest["tier"]))).with_columns(
        eligible_rank=pl.col("eligible_tier").replace_strict(ranks, return_dtype=pl.Int64)
    )


def _dedup_assignments(assignments: pl.DataFrame) -> pl.DataFrame:
    """Assignments sorted by time; for equal times the later row in the file wins."""
    return (
        assignments.with_row_index("_row")
        .sort("customer_id", "assigned_at", "_row")
        .unique(["customer_id", "assigned_at"], keep="last", maintain_order=True)
        .drop("_row")
    )


def current_tiers(assignments: pl.DataFrame, moment: dt.datetime) -> pl.DataFrame:
    """The latest assignment row at or before ``moment`` per customer."""
    return (
        _dedup_assignments(assignments.filter(pl.col("assigned_at") <= moment))
        .group_by("customer_id", maintain_order=True)
        .last()
    )


def tier_at(events: pl.DataFrame, at: str, assignments: pl.DataFrame) -> pl.DataFrame:
    """Attach ``held_tier``: the tier held at each row's ``at`` time (latest row at or before)."""
    right = _dedup_assignments(assignments).select(
        "customer_id", pl.col("assigned_at").alias(at), pl.col("tier").alias("held_tier")
    )
    return (
        events.with_row_index("_ord")
        .sort(at)
        .join_asof(
            right.sort(at), on=at, by="customer_id", strategy="backward", check_sortedness=False
        )
        .sort("_ord")
        .drop("_ord")
    )


@dataclass(frozen=True)
class TierTruth:
    """Tiering outcomes at the end of a period."""

    status: pl.DataFrame  # customer_id, current tier, eligibility, flags
    hidden_grants: pl.DataFrame  # grant_id, customer_id, held_tier, benefit_type, value, amount_cny
    unpublished_tiers: list[str]


def tiering_truth(t: dict[str, pl.LazyFrame], period: Period) -> TierTruth:
    """tier_mismatch, manual_tier_without_reason, stale_tier, dormant_top_tier,
    hidden_benefit and unpublished_policy for ``period``.
    """
    customers = t["customers"].collect()
    policy = t["tier_policy"].collect()
    assignments = t["tier_assignments"].collect()
    elig = eligibility(t["orders"], customers, policy, period)
    cur = current_tiers(assignments, period.end)
    ranks = dict(zip(policy["tier"], policy["rank"], strict=True))
    cycles = dict(zip(policy["tier"], policy["review_cycle_days"], strict=True))
    top = published_policy(policy)["tier"][0]
    recent = (
        t["orders"]
        .filter(
            (pl.col("ordered_at") >= period.months_back(6)) & (pl.col("ordered_at") < period.end)
        )
        .select("customer_id")
        .unique()
        .collect()
        .with_columns(recent_order=pl.lit(True))
    )
    status = (
        elig.join(cur, on="customer_id", how="inner")
        .join(recent, on="customer_id", how="left")
        .with_columns(
            rank=pl.col("tier").replace_strict(ranks, return_dtype=pl.Int64),
            cycle_days=pl.col("tier").replace_strict(cycles, return_dtype=pl.Int64),
            recent_order=pl.col("recent_order").fill_null(False),
        )
        .with_columns(
            mismatch=pl.col("tier") != pl.col("eligible_tier"),
            over=pl.col("rank") > pl.col("eligible_rank"),
            under=pl.col("rank") < pl.col("eligible_rank"),
            manual_no_reason=(pl.col("method") == "manual")
            & (pl.col("reason").is_null() | (pl.col("reason").str.strip_chars() == "")),
            stale=(pl.lit(period.end) - pl.col("assigned_at"))
            > pl.duration(days=pl.col("cycle_days")),
            dormant=(pl.col("tier") == top) & ~pl.col("recent_order"),
        )
        .sort("customer_id")
    )
    grants = (
        t["benefit_grants"]
        .filter((pl.col("granted_at") >= period.start) & (pl.col("granted_at") < period.end))
        .collect()
    )
    benefits = t["tier_benefits"].collect().filter(pl.col("published"))
    held = tier_at(grants, "granted_at", assignments).join(
        benefits.select(
            pl.col("tier").alias("held_tier"),
            "benefit_type",
            pl.col("value").alias("published_value"),
        ),
        on=["held_tier", "benefit_type"],
        how="left",
    )
    hidden = held.filter(
        pl.col("published_value").is_null() | (pl.col("value") > pl.col("published_value") + 1e-9)
    ).sort("grant_id")
    unpublished = sorted(policy.filter(pl.col("published_at").is_null())["tier"].to_list())
    return TierTruth(status, hidden, unpublished)


# --------------------------------------------------------------------------- pricing
def explained_prices(
    orders: pl.DataFrame,
    assignments: pl.DataFrame,
    benefits: pl.DataFrame,
    promotions: pl.DataFrame,
) -> pl.DataFrame:
    """Orders with ``held_tier``, ``promo_applies`` and ``explained_price`` (unrounded)."""
    disc = benefits.filter(pl.col("published") & (pl.col("benefit_type") == "discount_pct")).select(
        pl.col("tier").alias("held_tier"), pl.col("value").alias("tier_discount_pct")
    )
    promos = promotions.select(
        "promo_id",
        pl.col("sku").alias("promo_sku"),
        "starts_at",
        "ends_at",
        pl.col("discount_pct").alias("promo_discount_pct"),
        "eligible_tiers",
        "public",
    )
    df = (
        tier_at(orders, "ordered_at", assignments)
        .join(disc, on="held_tier", how="left")
        .join(promos, on="promo_id", how="left")
        .with_columns(pl.col("tier_discount_pct").fill_null(0.0))
    )
    applies = (
        pl.col("promo_id").is_not_null()
        & pl.col("public").fill_null(False)
        & (pl.col("promo_sku").is_null() | (pl.col("promo_sku") == pl.col("sku")))
        & (pl.col("ordered_at") >= pl.col("starts_at"))
        & (pl.col("ordered_at") <= pl.col("ends_at"))
        & (
            pl.col("eligible_tiers").is_null()
            | pl.col("eligible_tiers")
            .str.split(",")
            .list.eval(pl.element().str.strip_chars())
            .list.contains(pl.col("held_tier"))
        )
    )
    return df.with_columns(promo_applies=applies.fill_null(False)).with_columns(
        explained_price=pl.col("list_price")
        * (1 - pl.col("tier_discount_pct") / 100)
        * (
            1
            - pl.when(pl.col("promo_applies")).then(pl.col("promo_discount_pct")).otherwise(0.0)
            / 100
        )
    )


def pricing_truth(t: dict[str, pl.LazyFrame], period: Period) -> pl.DataFrame:
    """Orders of the period with explained price and the two order-level flags."""
    orders = (
        t["orders"]
        .filter((pl.col("ordered_at") >= period.start) & (pl.col("ordered_at") < period.end))
        .collect()
    )
    df = explained_prices(
        orders,
        t["tier_assignments"].collect(),
        t["tier_benefits"].collect(),
        t["promotions"].collect(),
    )
    return df.with_columns(
        premium=pl.col("charged_price") > pl.col("explained_price") * (1 + PRICE_TOLERANCE),
        unpublished_promo=pl.col("promo_id").is_not_null() & ~pl.col("public").fill_null(True),
    )


# ------------------------------------------------------------------------------- sla
_STATE_AFTER = {
    "acknowledged": None,
    "accepted": "in_progress",
    "rejected": "rejected",
    "progress_update": None,
    "waiting_customer": "waiting_customer",
    "resumed": "in_progress",
    "escalated": None,
    "resolved": "resolved",
    "closed": "closed",
    "reopened": "in_progress",
}
_OPEN_AFTER = {"resolved": False, "rejected": False, "closed": False, "reopened": True}


def derived_status(events: pl.DataFrame) -> pl.DataFrame:
    """Status implied by a complaint's events: the state set by the latest state-changing
    event; ``open`` when none has happened yet (only acknowledgements/updates).
    """
    return (
        events.sort("complaint_id", "at")
        .with_columns(
            s=pl.col("event").replace_strict(_STATE_AFTER, default=None, return_dtype=pl.String)
        )
        .group_by("complaint_id", maintain_order=True)
        .agg(status=pl.col("s").drop_nulls().last())
        .with_columns(pl.col("status").fill_null("open"))
    )


def sla_state(complaints: pl.DataFrame, events: pl.DataFrame, cutoff: dt.datetime) -> pl.DataFrame:
    """Per complaint, the four SLA breaches judged at ``cutoff`` with events up to ``cutoff``.

    Choices: a required step that has not happened by ``cutoff`` is breached once its
    deadline has passed, whatever the status (so a complaint resolved without an
    acknowledgement is also an ack breach); the resolution clock stops at the first
    ``resolved`` event and pauses from ``waiting_customer`` to the next ``resumed``;
    a complaint whose first decision is ``rejected`` has no resolution deadline; the
    update-gap clock runs from receipt while the complaint is open (``resolved``,
    ``rejected`` and ``closed`` stop it, ``reopened`` restarts it) and gaps are
    measured in hours (> 72 h).
    """
    ev = events.filter(pl.col("at") <= cutoff).sort("complaint_id", "at")
    c = complaints.select("complaint_id", "received_at", "severity")
    first = ev.group_by("complaint_id").agg(
        ack=pl.col("at").filter(pl.col("event") == "acknowledged").min(),
        decision=pl.col("at").filter(pl.col("event").is_in(["accepted", "rejected"])).min(),
        decision_event=pl.col("event")
        .filter(pl.col("event").is_in(["accepted", "rejected"]))
        .first(),
        resolved=pl.col("at").filter(pl.col("event") == "resolved").min(),
    )
    df = c.join(first, on="complaint_id", how="left")
    ack_limit = pl.col("severity").replace_strict(ACK_LIMIT_H, return_dtype=pl.Int64)
    res_limit = pl.col("severity").replace_strict(RESOLVE_LIMIT_H, return_dtype=pl.Int64)
    deadline = nth_workday_after(
        df["received_at"].dt.date().to_numpy().astype("datetime64[D]"), ACCEPT_WORKDAYS
    )
    df = df.with_columns(
        ack_deadline=pl.col("received_at") + pl.duration(hours=ack_limit),
        accept_deadline_date=pl.Series(deadline).cast(pl.Date),
    )
    # Pauses: each waiting_customer to the next resumed (or the stop), clipped to the clock.
    waits = ev.filter(pl.col("event") == "waiting_customer").select("complaint_id", w=pl.col("at"))
    resumes = ev.filter(pl.col("event") == "resumed").select(
        "complaint_id", w=pl.col("at"), r=pl.col("at")
    )
    paired = waits.sort("w").join_asof(
        resumes.sort("w"), on="w", by="complaint_id", strategy="forward", check_sortedness=False
    )
    stop = df.select(
        "complaint_id",
        stop=pl.coalesce(pl.col("resolved"), pl.lit(cutoff)),
        received_at=pl.col("received_at"),
    )
    pause = (
        paired.join(stop, on="complaint_id")
        .with_columns(
            a=pl.max_horizontal("w", "received_at"),
            b=pl.min_horizontal(pl.coalesce("r", "stop"), "stop"),
        )
        .with_columns(
            p=pl.when(pl.col("b") > pl.col("a"))
            .then(pl.col("b") - pl.col("a"))
            .otherwise(pl.duration(seconds=0))
        )
        .group_by("complaint_id")
        .agg(paused=pl.col("p").sum())
    )
    df = df.join(pause, on="complaint_id", how="left").with_columns(
        pl.col("paused").fill_null(pl.duration(seconds=0))
    )
    net = pl.coalesce(pl.col("resolved"), pl.lit(cutoff)) - pl.col("received_at") - pl.col("paused")
    rejected = pl.col("decision_event").fill_null("") == "rejected"
    df = df.with_columns(
        ack_breach=pl.when(pl.col("ack").is_not_null())
        .then(pl.col("ack") > pl.col("ack_deadline"))
        .otherwise(pl.col("ack_deadline") < pl.lit(cutoff)),
        acceptance_breach=pl.when(pl.col("decision").is_not_null())
        .then(pl.col("decision").dt.date() > pl.col("accept_deadline_date"))
        .otherwise(pl.col("accept_deadline_date") < pl.lit(cutoff).dt.date()),
        resolution_breach=~rejected & (net > pl.duration(hours=res_limit)),
        net_resolution_h=net.dt.total_seconds() / 3600,
    )
    # Update gaps, while open.
    gaps = (
        ev.join(c.select("complaint_id", "received_at"), on="complaint_id")
        .with_columns(
            prev=pl.col("at").shift(1).over("complaint_id"),
            o=pl.col("event").replace_strict(_OPEN_AFTER, default=None, return_dtype=pl.Boolean),
        )
        .with_columns(
            prev=pl.coalesce("prev", "received_at"),
            open_after=pl.col("o").forward_fill().over("complaint_id").fill_null(True),
        )
        .with_columns(
            open_before=pl.col("open_after").shift(1).over("complaint_id").fill_null(True)
        )
        .with_columns(gap_h=(pl.col("at") - pl.col("prev")).dt.total_seconds() / 3600)
    )
    inner = gaps.group_by("complaint_id").agg(
        max_gap_h=pl.col("gap_h").filter(pl.col("open_before")).max(),
        last_at=pl.col("at").max(),
        open_at_end=pl.col("open_after").last(),
    )
    df = df.join(inner, on="complaint_id", how="left").with_columns(
        pl.col("open_at_end").fill_null(True),
        pl.col("max_gap_h").fill_null(0.0),
        last_at=pl.coalesce("last_at", "received_at"),
    )
    tail_h = (pl.lit(cutoff) - pl.col("last_at")).dt.total_seconds() / 3600
    return df.with_columns(
        update_gap=(pl.col("max_gap_h") > UPDATE_GAP_H)
        | (pl.col("open_at_end") & (tail_h > UPDATE_GAP_H)),
    ).with_columns(
        any_breach=pl.col("ack_breach")
        | pl.col("acceptance_breach")
        | pl.col("resolution_breach")
        | pl.col("update_gap")
    )


def record_problems(complaints: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """``missing_record``: complaint ids whose handling record is incomplete or contradicts
    the complaints table. Structural checks use all events; the table (an extract) is
    compared with everything its events say up to the extract.
    """
    ev = events.sort("complaint_id", "at")
    agg = ev.group_by("complaint_id").agg(
        first_ack=pl.col("at").filter(pl.col("event") == "acknowledged").min(),
        first_decision=pl.col("at").filter(pl.col("event").is_in(["accepted", "rejected"])).min(),
        first_resolved=pl.col("at").filter(pl.col("event") == "resolved").min(),
        last_resolved=pl.col("at").filter(pl.col("event") == "resolved").max(),
        first_closed=pl.col("at").filter(pl.col("event") == "closed").min(),
        last_closed=pl.col("at").filter(pl.col("event") == "closed").max(),
        first_event=pl.col("at").min(),
        has_rejected=(pl.col("event") == "rejected").any(),
    )
    st = derived_status(ev)
    df = (
        complaints.join(agg, on="complaint_id", how="left")
        .join(st.rename({"status": "event_status"}), on="complaint_id", how="left")
        .with_columns(
            pl.col("event_status").fill_null("open"), pl.col("has_rejected").fill_null(False)
        )
    )

    def differs(a: str, b: str) -> pl.Expr:
        return ~(pl.col(a).eq_missing(pl.col(b)))

    problem = (
        # closing or resolving without ever acknowledging
        (
            (pl.col("first_resolved").is_not_null() | pl.col("first_closed").is_not_null())
            & pl.col("first_ack").is_null()
        )
        # closed without a resolution or rejection
        | (
            pl.col("first_closed").is_not_null()
            & pl.col("first_resolved").is_null()
            & ~pl.col("has_rejected")
        )
        # out of order
        | (pl.col("first_event") < pl.col("received_at"))
        | (pl.col("first_decision") < pl.col("first_ack"))
        | (pl.col("first_resolved") < pl.col("first_decision"))
        | (pl.col("first_closed") < pl.col("first_resolved"))
        # the table contradicts its events
        | differs("acknowledged_at", "first_ack")
        | differs("accepted_at", "first_decision")
        | differs("resolved_at", "last_resolved")
        | differs("closed_at", "last_closed")
        | (pl.col("status") != pl.col("event_status"))
    ).fill_null(False)
    return df.with_columns(missing_record=problem).select("complaint_id", "missing_record")


# -------------------------------------------------------------------------- registry
def list_membership(events: pl.DataFrame, on: dt.date) -> pl.DataFrame:
    """Abnormal-list and serious-illegal-list membership per uscc at ``on`` (inclusive):
    the latest in/out event on or before the date decides.
    """
    out = []
    for name, ins, outs in (
        ("abnormal", "abnormal_list_in", "abnormal_list_out"),
        ("serious_illegal", "serious_illegal_in", "serious_illegal_out"),
    ):
        out.append(
            events.filter(pl.col("event_type").is_in([ins, outs]) & (pl.col("event_date") <= on))
            .with_row_index("_row")
            .sort("uscc", "event_date", "_row")
            .group_by("uscc", maintain_order=True)
            .agg(pl.col("event_type").last().eq(ins).alias(name))
        )
    return (
        out[0]
        .join(out[1], on="uscc", how="full", coalesce=True)
        .with_columns(
            pl.col("abnormal").fill_null(False), pl.col("serious_illegal").fill_null(False)
        )
    )


def registry_truth(t: dict[str, pl.LazyFrame], period: Period) -> dict[str, object]:
    """invalid_uscc, registry_knockout, registry_change and annual_report_overdue."""
    customers = t["customers"].collect()
    snaps = t["registry_snapshots"].collect()
    events = t["registry_events"].collect()
    # Only enterprises that are customers by the period end are judged (no look-ahead).
    ent = customers.filter(
        (pl.col("customer_type") == "enterprise") & (pl.col("signup_date") < period.end.date())
    )
    in_scope = ent["uscc"].drop_nulls().unique()
    invalid = sorted({u for u in ent["uscc"].to_list() if not is_valid_uscc(u)})
    dates = sorted(d for d in snaps["snapshot_date"].unique().to_list() if d < period.end.date())
    latest, before = dates[-1], dates[-2] if len(dates) > 1 else None

    def state(d: dt.date) -> pl.DataFrame:
        s = snaps.filter((pl.col("snapshot_date") == d) & pl.col("uscc").is_in(in_scope)).select(
            "uscc", "status", "last_annual_report_year"
        )
        return s.join(list_membership(events, d), on="uscc", how="left").with_columns(
            pl.col("abnormal").fill_null(False), pl.col("serious_illegal").fill_null(False)
        )

    now = state(latest)
    knock = now.filter(pl.col("status").is_in(KNOCKOUT_STATUSES) | pl.col("serious_illegal"))
    year = (
        period.end.year
        if period.end.date() > dt.date(period.end.year, 6, 30)
        else period.end.year - 1
    )
    overdue = now.filter(
        (pl.col("status") == "active")
        & (
            pl.col("last_annual_report_year").is_null()
            | (pl.col("last_annual_report_year") < year - 1)
        )
    )
    changes: dict[str, dict[str, object]] = {}
    if before is not None:
        prev = state(before)
        j = now.join(prev, on="uscc", how="inner", suffix="_before")
        for r in j.iter_rows(named=True):
            diff = {
                k: {"before": r[f"{k}_before"], "after": r[k]}
                for k in ("status", "abnormal", "serious_illegal")
                if r[k] != r[f"{k}_before"]
            }
            if diff:
                changes[r["uscc"]] = diff
    return {
        "invalid_uscc": invalid,
        "registry_knockout": sorted(knock["uscc"].to_list()),
        "registry_change": dict(sorted(changes.items())),
        "annual_report_overdue": sorted(overdue["uscc"].to_list()),
        "extracts": (str(before), str(latest)),
        "knockout_detail": {
            r["uscc"]: {"status": r["status"], "serious_illegal": r["serious_illegal"]}
            for r in knock.sort("uscc").iter_rows(named=True)
        },
    }
