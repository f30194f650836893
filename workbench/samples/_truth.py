"""The ground truth of a written sample: each contract rule's findings, recomputed from
the written tables by :mod:`._reference`, with the planted group effects and notes.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from workbench.contract import RULES
from workbench.periods import Period, parse_period
from workbench.samples import _config as C
from workbench.samples import _reference as R
from workbench.samples._calendar import nth_weekday_after
from workbench.samples._marketing_truth import (
    MARKETING_NOTES,
    MARKETING_RATES,
    marketing_truth,
)

Rules = dict[str, dict[str, Any]]  # rule -> ground-truth entry
Groups = dict[str, list[dict[str, Any]]]  # rule -> planted group effects

NOTES: dict[str, str] = {
    "tier_mismatch": "Computed: current tier (latest row at or before 2026-10-01 00:00, ties → "
    "later row) differs from the "
    "eligible tier (published tiers only; trailing spend and orders over 2025-10-01..2026-09-30 "
    "inclusive; tenure = whole "
    "months from signup_date to 2026-10-01). Planted by random ±1 rule rows at quarter ends, by "
    "the gender=f disparity, "
    "and as side effects of stale and reasonless manual rows. details.over / details.under split "
    "the ids.",
    "manual_tier_without_reason": "Computed: the current row is method=manual with a null or "
    "blank reason. Reasonless manual "
    "rows in 2026-02 (superseded) and 2026-10 (after the period) are traps and are not findings.",
    "hidden_benefit": "Computed over grants in 2026-Q3: no published tier_benefits row for (tier "
    "held at granted_at, "
    "benefit_type), or value above the published value. Planted: vip rebates at 5 % (published 3 "
    "%), the internal-only core "
    "rebate_pct and free shipping for standard-tier orders concentrated in subsidiary 0440, and "
    "unscheduled cash_voucher grants.",
    "stale_tier": "Computed: 2026-10-01 00:00 minus the current row's assigned_at exceeds the "
    "current tier's review_cycle_days. "
    "Planted: re-evaluations stop after 2025-Q2 for some customers and after 2026-Q1 for some vip "
    "customers.",
    "unpublished_policy": "The tier 'staff' (rank 0, zero minimums, published_at null) is in "
    "tier_policy with an unpublished "
    "discount. It is below 'standard', so it is never anybody's eligible tier, nobody holds it, "
    "and 'vip' stays the top tier.",
    "dormant_top_tier": "Computed: current tier is the top-ranked published tier (vip) and the "
    "customer has no order in the six "
    "calendar months 2026-04-01..2026-09-30. Planted: heavy buyers who stop ordering from March "
    "2026.",
    "tier_disparity": "Planted: female individuals eligible for core or vip are written one tier "
    "lower at every quarter-end "
    "evaluation with probability 'rate'. Correlated groups (customer_type=individual, "
    "intersections with gender=f) may show "
    "a weaker echo of the same effect.",
    "price_disparity": "Planted: orders placed from iOS on a third of skus pay +4 %; customers "
    "with 36+ whole months of tenure "
    "at order time pay +3 % on a tenth of skus. channel=app/web echo the iOS effect. See "
    "groups.price_disparity.",
    "unexplained_premium": "Computed over orders in 2026-Q3: charged_price > explained price × "
    "1.005, with the tier held at "
    "ordered_at and the promotion applied only when public and valid for sku, time (inclusive) "
    "and tier. Includes every "
    "group-premium order and random 3–25 % markups.",
    "unpublished_promotion": "Computed over orders in 2026-Q3 whose promo_id names a promotion "
    "with public=false.",
    "ack_breach": "Computed over complaints received in 2026-Q3 with events up to 2026-10-01 "
    "00:00: first acknowledged more "
    "than 24/24/48/72 h (critical/high/medium/low) after receipt, or none yet and that deadline "
    "has passed. A complaint "
    "resolved without any acknowledgement (missing_record) therefore also counts.",
    "acceptance_breach": "Computed: the first accepted/rejected event falls on a date after the "
    "7th official working day "
    "after the receipt date (chinese_calendar, make-up days count), or none yet and that day has "
    "ended. details.official_only "
    "lists breaches a Monday–Friday calendar misses; details.naive_false_alarms lists on-time "
    "decisions it would flag "
    "(these are not findings).",
    "resolution_breach": "Computed: first resolved event minus receipt minus "
    "waiting_customer→resumed pauses exceeds 15 days "
    "(72 h critical); unresolved complaints count elapsed time to the period end. Rejected "
    "complaints have no resolution "
    "deadline. A complaint closed without a resolved event (missing_record) is judged as "
    "unresolved.",
    "update_gap": "Computed: while open (from receipt until resolved/rejected/closed, again after "
    "reopened) two consecutive "
    "events, or the last event and the period end, are more than 72 hours apart.",
    "missing_record": "Computed over complaints received in 2026-Q3: resolved/closed with no "
    "acknowledged event; closed with "
    "no resolved or rejected event; events out of order (decision before acknowledgement, "
    "resolved before decision, closed "
    "before resolved); or the complaints table (an extract at 2026-11-15 23:59:59) disagrees with "
    "what its events say "
    "(acknowledged_at = first acknowledged, accepted_at = first accepted/rejected, resolved_at = "
    "last resolved, "
    "closed_at = last closed, status = state after the latest state-changing event). "
    "details.variants names the damage.",
    "breach_risk": "Predictive, so the truth is hindsight: complaints received in 2026-Q3, still "
    "open at the period end and "
    "not yet breached then, that do breach an SLA once later events (to 2026-11-15) are seen. A "
    "model is not expected to "
    "find all of them; planted ones are old, escalated and far into their resolution clock.",
    "recurring_cause": "Planted: in subsidiary 0510, 'damaged_in_transit' (category delivery) is "
    "the root cause of a large "
    "share of complaints from 2026-04 on. Clean data spreads root causes evenly.",
    "invalid_uscc": "Computed: enterprise customers whose uscc fails the structure, the GB 32100 "
    "final check or the embedded "
    "GB 11714 organisation-code check. Half are planted with a correct final character over a "
    "broken organisation code, "
    "which python-stdnum alone accepts. They are absent from the registry.",
    "registry_knockout": "Computed at the 2026-09-30 extract: status revoked/cancelled, or on the "
    "serious-illegal list "
    "(latest serious_illegal_in/out event on or before the extract date). Later changes "
    "(2026-11-15 extract, October events) are traps.",
    "registry_change": "Computed between the 2026-06-30 and 2026-09-30 extracts: status, "
    "abnormal-list or serious-illegal-list "
    "membership (from registry_events on or before each extract date) differs. details.changes "
    "gives before/after.",
    "annual_report_overdue": "Computed at the 2026-09-30 extract: status active and "
    "last_annual_report_year null or < 2025. "
    "Half of the planted ones file in October (visible only in the 2026-11-15 extract: a "
    "look-ahead trap).",
}
NOTES.update(MARKETING_NOTES)
RATES: dict[str, float] = {**MARKETING_RATES,
    "tier_mismatch": C.TIER_MISMATCH_RATE,
    "manual_tier_without_reason": C.MANUAL_NO_REASON_RATE,
    "hidden_benefit": C.HIDDEN_OVER_REBATE_RATE,
    "stale_tier": C.STALE_RATE,
    "unpublished_policy": 1.0,
    "dormant_top_tier": C.DORMANT_RATE,
    "tier_disparity": C.TIER_DISPARITY_RATE,
    "price_disparity": C.IOS_PREMIUM,
    "unexplained_premium": C.UNEXPLAINED_PREMIUM_RATE,
    "unpublished_promotion": C.UNPUBLISHED_PROMO_RATE,
    "ack_breach": C.SLA_BREACH_RATE,
    "acceptance_breach": C.SLA_BREACH_RATE,
    "resolution_breach": C.SLA_BREACH_RATE,
    "update_gap": C.SLA_BREACH_RATE,
    "missing_record": C.MISSING_RECORD_RATE,
    "breach_risk": C.BREACH_RISK_RATE,
    "recurring_cause": C.RECURRING_SHARE,
    "invalid_uscc": C.INVALID_USCC_RATE,
    "registry_knockout": C.KNOCKOUT_RATE,
    "registry_change": C.REGISTRY_CHANGE_RATE,
    "annual_report_overdue": C.ANNUAL_REPORT_OVERDUE_RATE,
}
INTERPRETATIONS: list[str] = [
    "Tier re-evaluations are written at 23:59:59 on a quarter's last day; no order falls on that "
    "second.",
    "Tenure: whole calendar months from signup_date to the period end instant (2026-10-01 00:00). "
    "Signup days are 2–28 so "
    "counting to the last day of the period gives the same result.",
    "Customers who signed up on or after the period end are out of scope for tiering.",
    "Eligibility uses published tiers only; the unpublished 'staff' tier (rank 0) cannot change "
    "it either way.",
    "Post-period rows exist in every table (orders to 2026-11-15, tier rows and grants in "
    "October/November, complaint "
    "events, the 2026-11-15 registry extract) to catch look-ahead.",
    "SLA rules judge complaints received in the period, with events up to the period end; a step "
    "not yet taken whose "
    "deadline has passed is a breach, one whose deadline has not passed is censored.",
]


def _entry(
    entity_type: str, ids: list[str], rule: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One rule's ground-truth entry: sorted ids, the planted rate, notes, details."""
    out: dict[str, Any] = {
        "entity_type": entity_type,
        "entity_ids": sorted(ids),
        "rate": RATES[rule],
        "notes": NOTES[rule],
    }
    if details:
        out["details"] = details
    return out


def _naive_calendar_view(state: pl.DataFrame) -> dict[str, list[str]]:
    """Where a Monday–Friday calendar (no holidays, no make-up days) disagrees with the
    official one on acceptance: breaches it misses and on-time decisions it flags.
    """
    received = state["received_at"].dt.date().to_numpy().astype("datetime64[D]")
    naive = pl.Series(nth_weekday_after(received, R.ACCEPT_WORKDAYS, holidays_known=False)).cast(
        pl.Date
    )
    df = state.with_columns(naive_deadline=naive).filter(pl.col("decision").is_not_null())
    late_naive = pl.col("decision").dt.date() > pl.col("naive_deadline")
    return {
        "official_only": sorted(
            df.filter(pl.col("acceptance_breach") & ~late_naive)["complaint_id"].to_list()
        ),
        "naive_false_alarms": sorted(
            df.filter(~pl.col("acceptance_breach") & late_naive)["complaint_id"].to_list()
        ),
    }


def ground_truth(
    t: dict[str, pl.LazyFrame],
    *,
    seed: int,
    scale: str,
    clean: bool,
    row_counts: dict[str, int],
    plan: Any,
    skus: Any,
    comp: Any,
    registry: Any,
    marketing: Any,
) -> dict[str, Any]:
    """The ground truth file: every contract rule's findings, planted groups, and notes."""
    period = parse_period(C.REFERENCE_PERIOD)
    rules: Rules = {}
    groups: Groups = {}
    _tiering_truth(t, period, clean, rules, groups)
    _pricing_truth(t, period, clean, plan, skus, rules, groups)
    _sla_truth(t, period, clean, comp, rules, groups)
    _credit_truth(t, period, rules)
    for rule, (entity, ids, details) in marketing_truth(t, period, marketing.texts).items():
        rules[rule] = _entry(entity, ids, rule, details)
    missing = set(RULES) - set(rules)
    if missing:  # pragma: no cover - a new contract rule must get a truth here
        raise RuntimeError(f"ground truth has no entry for rules {sorted(missing)}")
    return {
        "seed": seed,
        "scale": scale,
        "clean": clean,
        "reference_period": C.REFERENCE_PERIOD,
        "row_counts": row_counts,
        "rules": {k: rules[k] for k in RULES},
        "groups": groups,
        "interpretations": INTERPRETATIONS,
        "registry_lookahead_traps": registry.planted.get("lookahead", []),
    }


def _tiering_truth(
    t: dict[str, pl.LazyFrame], period: Period, clean: bool, rules: Rules, groups: Groups
) -> None:
    """Tier rules, recomputed from the written tables, and the planted gender disparity."""
    tier = R.tiering_truth(t, period)
    st = tier.status

    def ids(mask: str) -> list[str]:
        return st.filter(pl.col(mask))["customer_id"].to_list()

    rules["tier_mismatch"] = _entry(
        "customer", ids("mismatch"), "tier_mismatch", {"over": ids("over"), "under": ids("under")}
    )
    rules["manual_tier_without_reason"] = _entry(
        "customer", ids("manual_no_reason"), "manual_tier_without_reason"
    )
    rules["stale_tier"] = _entry("customer", ids("stale"), "stale_tier")
    rules["dormant_top_tier"] = _entry("customer", ids("dormant"), "dormant_top_tier")
    hg = tier.hidden_grants
    rules["hidden_benefit"] = _entry(
        "grant",
        hg["grant_id"].to_list(),
        "hidden_benefit",
        {
            "amounts": dict(zip(hg["grant_id"], hg["amount_cny"], strict=True)),
            "total_amount_cny": round(float(hg["amount_cny"].sum()), 2),
            "concentrated_in_subsidiary": None if clean else C.HIDDEN_SUBSIDIARY,
        },
    )
    rules["unpublished_policy"] = _entry("policy", tier.unpublished_tiers, "unpublished_policy")
    cust = t["customers"].select("customer_id", "gender", "customer_type").collect()
    el = st.filter(pl.col("eligible_rank") >= 2).join(cust, on="customer_id")
    female = el.filter(pl.col("gender") == "f")
    rest = el.filter(pl.col("gender").ne_missing("f"))
    rate_f = float(female["under"].mean() or 0.0) if female.height else 0.0
    rate_r = float(rest["under"].mean() or 0.0) if rest.height else 0.0
    rules["tier_disparity"] = _entry("group", [] if clean else ["gender=f"], "tier_disparity")
    groups["tier_disparity"] = (
        []
        if clean
        else [
            {
                "entity_id": "gender=f",
                "effect": C.TIER_DISPARITY_RATE,
                "eligible": female.height,
                "under_tiered_rate": round(rate_f, 4),
                "rest_eligible": rest.height,
                "rest_under_tiered_rate": round(rate_r, 4),
            }
        ]
    )


def _pricing_truth(
    t: dict[str, pl.LazyFrame],
    period: Period,
    clean: bool,
    plan: Any,
    skus: Any,
    rules: Rules,
    groups: Groups,
) -> None:
    """Pricing rules from the written orders, and the planted iOS and tenure premiums."""
    pr = R.pricing_truth(t, period)
    prem = pr.filter(pl.col("premium"))
    rules["unexplained_premium"] = _entry(
        "order",
        prem["order_id"].to_list(),
        "unexplained_premium",
        {
            "overcharge_cny": round(
                float(((prem["charged_price"] - prem["explained_price"]) * prem["quantity"]).sum()),
                2,
            )
        },
    )
    rules["unpublished_promotion"] = _entry(
        "order",
        pr.filter(pl.col("unpublished_promo"))["order_id"].to_list(),
        "unpublished_promotion",
    )
    rules["price_disparity"] = _entry(
        "group", [] if clean else ["device_os=ios", "tenure_band=36m+"], "price_disparity"
    )
    groups["price_disparity"] = (
        []
        if clean
        else [
            {
                "entity_id": "device_os=ios",
                "effect": C.IOS_PREMIUM,
                "skus": sorted(skus.ids[plan.ios_skus].tolist()),
                "orders_in_period": int(pr.filter(pl.col("device_os") == "ios").height),
            },
            {
                "entity_id": "tenure_band=36m+",
                "effect": C.TENURE_PREMIUM,
                "min_tenure_months": C.TENURE_PREMIUM_MONTHS,
                "tenure_measured": "at order time",
                "skus": sorted(skus.ids[plan.tenure_skus].tolist()),
            },
        ]
    )


def _sla_truth(
    t: dict[str, pl.LazyFrame],
    period: Period,
    clean: bool,
    comp: Any,
    rules: Rules,
    groups: Groups,
) -> None:
    """Complaint SLA rules at the period end, hindsight breach risk, the recurring cause."""
    complaints = t["complaints"].collect()
    events = t["complaint_events"].collect()
    in_p = complaints.filter(
        (pl.col("received_at") >= period.start) & (pl.col("received_at") < period.end)
    )
    at_end = R.sla_state(in_p, events, period.end)
    later = R.sla_state(in_p, events, C.DATA_END)
    status_end = R.derived_status(events.filter(pl.col("at") <= period.end))
    open_end = (
        in_p.select("complaint_id")
        .join(status_end, on="complaint_id", how="left")
        .filter(pl.col("status").fill_null("open").is_in(R.OPEN_STATUSES))["complaint_id"]
    )
    for rule in ("ack_breach", "acceptance_breach", "resolution_breach", "update_gap"):
        details = None
        if rule == "acceptance_breach":
            details = _naive_calendar_view(at_end)
        rules[rule] = _entry(
            "complaint", at_end.filter(pl.col(rule))["complaint_id"].to_list(), rule, details
        )
    mr = R.record_problems(in_p, events).filter(pl.col("missing_record"))["complaint_id"].to_list()
    rules["missing_record"] = _entry(
        "complaint",
        mr,
        "missing_record",
        {"variants": {k: v for k, v in sorted(comp.missing_variants.items())}},
    )
    risk = (
        at_end.select("complaint_id", now=pl.col("any_breach"))
        .join(later.select("complaint_id", then=pl.col("any_breach")), on="complaint_id")
        .filter(pl.col("complaint_id").is_in(open_end.implode()) & ~pl.col("now") & pl.col("then"))
    )["complaint_id"].to_list()
    rules["breach_risk"] = _entry(
        "complaint", risk, "breach_risk", {"open_at_period_end": int(open_end.len())}
    )
    rc = in_p.filter(pl.col("subsidiary_id") == C.RECURRING_SUBSIDIARY)
    share = float((rc["root_cause"] == C.RECURRING_ROOT_CAUSE).mean() or 0.0) if rc.height else 0.0
    rules["recurring_cause"] = _entry(
        "subsidiary", [] if clean else [C.RECURRING_SUBSIDIARY], "recurring_cause"
    )
    groups["recurring_cause"] = (
        []
        if clean
        else [
            {
                "entity_id": C.RECURRING_SUBSIDIARY,
                "root_cause": C.RECURRING_ROOT_CAUSE,
                "effect": C.RECURRING_SHARE,
                "share_in_period": round(share, 4),
                "complaints_in_period": rc.height,
            }
        ]
    )


def _credit_truth(t: dict[str, pl.LazyFrame], period: Period, rules: Rules) -> None:
    """Registry rules from the written extracts and events."""
    reg = R.registry_truth(t, period)
    rules["invalid_uscc"] = _entry("enterprise", reg["invalid_uscc"], "invalid_uscc")
    rules["registry_knockout"] = _entry(
        "enterprise",
        reg["registry_knockout"],
        "registry_knockout",
        {"at_extract": reg["knockout_detail"]},
    )
    rules["registry_change"] = _entry(
        "enterprise",
        list(reg["registry_change"]),
        "registry_change",
        {"extracts": list(reg["extracts"]), "changes": reg["registry_change"]},
    )
    rules["annual_report_overdue"] = _entry(
        "enterprise", reg["annual_report_overdue"], "annual_report_overdue"
    )
