"""Each tiering detector on tiny hand-made frames, edge cases included."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from tests.tiering.conftest import POLICY, D, T, assignment, customer, of, orders_for
from workbench.params import ParameterError
from workbench.tiering import PARAMETERS, analyze, current_tiers, tenure_months, tier_counts

Q3 = "2026-Q3"
END = T(2026, 10, 1)
FAST = {"n_bootstrap": 0, "min_group_size": 1_000}


def run(frames, **kw):
    return analyze(frames, Q3, **{**FAST, **kw})


def ids(result, rule: str) -> list[str]:
    return sorted(of(result, rule)["entity_id"].to_list())


def detail(result, rule: str, entity_id: str) -> dict:
    row = of(result, rule).filter(pl.col("entity_id") == entity_id)
    assert row.height == 1, f"{rule} {entity_id}: {row.height} rows"
    return json.loads(row["detail"][0])


def core_buyer(cid: str, **kw):
    """8 orders of 700 CNY inside the trailing window: eligible for core."""
    return orders_for(cid, 8, 700.0, T(2026, 1, 5), **kw)


# ------------------------------------------------------------------ eligibility
def test_tenure_counts_whole_months_to_the_period_end() -> None:
    df = pl.DataFrame({"s": [D(2025, 10, 1), D(2025, 10, 2), D(2025, 9, 30), D(2026, 6, 2),
                             D(2026, 9, 30)]})
    got = df.select(tenure_months(pl.col("s"), END))["s"].to_list()
    assert got == [12, 11, 12, 3, 0]


def test_spend_window_coupons_and_quantity(make_frames) -> None:
    orders = (
        # 4 × (2 × 700 − 100) = 5,200 CNY in the window: 4 orders
        orders_for("C1", 4, 700.0, T(2026, 2, 1), quantity=2, coupon=100.0)
        # first instant of the window counts; the second before it does not
        + orders_for("C1", 1, 10.0, T(2025, 10, 1), prefix="in-")
        + orders_for("C1", 1, 99_999.0, T(2025, 9, 30, 23, 59, 59), prefix="before-")
        # after the period end: never used (no look-ahead)
        + orders_for("C1", 5, 99_999.0, T(2026, 10, 1), prefix="after-")
    )
    r = run(make_frames(customers=[customer("C1")], orders=orders,
                        tier_assignments=[assignment("C1", "standard", T(2026, 9, 30))]))
    row = r.tables["eligibility"].row(0, named=True)
    assert row["spend_12m_cny"] == pytest.approx(5_210.0)
    assert row["orders_12m"] == 5
    assert row["eligible_tier"] == "standard"  # 5 orders < 8 needed for core
    assert ids(r, "tier_mismatch") == []


def test_eligible_is_highest_tier_whose_three_minimums_are_met(make_frames) -> None:
    customers = [
        customer("RICH"),  # meets vip
        customer("NEW", signup_date=D(2026, 7, 15)),  # vip spend and orders, 2 months' tenure
        customer("CORE"),
    ]
    orders = (
        orders_for("RICH", 24, 1_000.0, T(2025, 10, 2), step_days=14)
        + orders_for("NEW", 24, 1_000.0, T(2026, 7, 16), step_days=2)
        + core_buyer("CORE")
    )
    assign = [assignment(c["customer_id"], "standard", T(2026, 9, 30)) for c in customers]
    r = run(make_frames(customers=customers, orders=orders, tier_assignments=assign))
    elig = dict(r.tables["eligibility"].select("customer_id", "eligible_tier").iter_rows())
    assert elig == {"RICH": "vip", "NEW": "standard", "CORE": "core"}
    assert ids(r, "tier_mismatch") == ["CORE", "RICH"]
    assert detail(r, "tier_mismatch", "RICH")["rank_gap"] == -2


def test_mismatch_severity_and_direction(make_frames) -> None:
    customers = [customer(c) for c in ("UNDER2", "UNDER1", "OVER", "OK")]
    orders = (
        orders_for("UNDER2", 24, 1_000.0, T(2025, 10, 2), step_days=14)
        + core_buyer("UNDER1")
        + core_buyer("OK")
    )
    assign = [
        assignment("UNDER2", "standard", T(2026, 9, 30)),
        assignment("UNDER1", "standard", T(2026, 9, 30)),
        assignment("OVER", "core", T(2026, 9, 30)),
        assignment("OK", "core", T(2026, 9, 30)),
    ]
    r = run(make_frames(customers=customers, orders=orders, tier_assignments=assign))
    sev = dict(of(r, "tier_mismatch").select("entity_id", "severity").iter_rows())
    assert sev == {"UNDER2": "high", "UNDER1": "medium", "OVER": "high"}
    d = detail(r, "tier_mismatch", "OVER")
    assert (d["direction"], d["current_tier"], d["eligible_tier"]) == ("over", "core", "standard")
    assert d["orders_12m"] == 0 and d["eligible_minimums"]["min_orders_12m"] == 0
    assert "legal_basis" in d


def test_ties_in_assignment_time_later_row_wins(make_frames) -> None:
    at = T(2026, 9, 30, 23, 59, 59)
    frames = make_frames(
        customers=[customer("A"), customer("B")],
        orders=core_buyer("A") + core_buyer("B"),
        tier_assignments=[
            assignment("A", "standard", at),
            assignment("A", "core", at),  # same instant, later row: A holds core
            assignment("B", "core", at),
            assignment("B", "standard", at),  # B holds standard: under-tiered
        ],
    )
    cur = dict(current_tiers(frames, Q3).select("customer_id", "tier").collect().iter_rows())
    assert cur == {"A": "core", "B": "standard"}
    assert ids(run(frames), "tier_mismatch") == ["B"]


def test_assignments_after_the_period_end_are_ignored(make_frames) -> None:
    frames = make_frames(
        customers=[customer("A")],
        orders=core_buyer("A"),
        tier_assignments=[
            assignment("A", "standard", T(2026, 6, 30, 23, 59, 59)),
            assignment("A", "core", T(2026, 10, 1, 0, 0, 1)),  # the fix came too late
        ],
    )
    r = run(frames)
    assert ids(r, "tier_mismatch") == ["A"]
    assert r.tables["eligibility"]["current_tier"].to_list() == ["standard"]


def test_customer_without_tier_is_judged_as_lowest_and_late_signups_are_out(make_frames) -> None:
    customers = [
        customer("NOTIER_CORE"),
        customer("NOTIER_STD"),
        customer("LATE", signup_date=D(2026, 10, 1)),  # signed up after the period
    ]
    r = run(make_frames(customers=customers, orders=core_buyer("NOTIER_CORE")))
    assert r.tables["eligibility"]["customer_id"].to_list() == ["NOTIER_CORE", "NOTIER_STD"]
    assert ids(r, "tier_mismatch") == ["NOTIER_CORE"]
    d = detail(r, "tier_mismatch", "NOTIER_CORE")
    assert d["no_assignment"] is True and d["current_tier"] is None and d["held_rank"] == 1
    assert ids(r, "stale_tier") == []  # no tier, nothing to re-evaluate
    counts = tier_counts(make_frames(customers=customers), Q3)
    assert counts["customers"].to_list() == [2] and counts["tier"].to_list() == [None]


# ---------------------------------------------------------------- manual / stale
def test_manual_without_reason_blank_counts_as_missing(make_frames) -> None:
    at = T(2026, 8, 1)
    assign = [
        assignment("BLANK", "standard", at, "manual", "  "),
        assignment("NULL", "standard", at, "manual", None),
        assignment("OK", "standard", at, "manual", "goodwill after complaint 123"),
        assignment("RULE", "standard", at, "rule", None),
        # an old reasonless manual row superseded by a rule row: not current
        assignment("OLD", "standard", T(2026, 1, 1), "manual", ""),
        assignment("OLD", "standard", at, "rule", None),
    ]
    customers = [customer(c) for c in ("BLANK", "NULL", "OK", "RULE", "OLD")]
    r = run(make_frames(customers=customers, tier_assignments=assign))
    assert ids(r, "manual_tier_without_reason") == ["BLANK", "NULL"]


def test_stale_tier_uses_the_current_tiers_review_cycle(make_frames) -> None:
    assign = [
        assignment("VIP_STALE", "vip", END - dt.timedelta(days=91)),
        assignment("VIP_EXACT", "vip", END - dt.timedelta(days=90)),  # exactly one cycle: fine
        assignment("CORE_OK", "core", END - dt.timedelta(days=150)),
        assignment("STD_VERY", "standard", END - dt.timedelta(days=800)),
        # re-evaluated after the period end: still stale at the end of P
        assignment("LATE_FIX", "standard", END - dt.timedelta(days=400)),
        assignment("LATE_FIX", "standard", END + dt.timedelta(days=3)),
    ]
    customers = [customer(c) for c in ("VIP_STALE", "VIP_EXACT", "CORE_OK", "STD_VERY",
                                       "LATE_FIX")]
    r = run(make_frames(customers=customers, tier_assignments=assign))
    assert ids(r, "stale_tier") == ["LATE_FIX", "STD_VERY", "VIP_STALE"]
    sev = dict(of(r, "stale_tier").select("entity_id", "severity").iter_rows())
    assert sev == {"LATE_FIX": "low", "STD_VERY": "medium", "VIP_STALE": "low"}
    assert detail(r, "stale_tier", "VIP_STALE")["overdue_days"] == 1


def test_dormant_top_tier(make_frames) -> None:
    at = T(2026, 9, 30)
    customers = [customer(c) for c in ("SLEEPY", "AWAKE", "AFTER", "CORE")]
    orders = (
        orders_for("SLEEPY", 1, 100.0, T(2026, 3, 31, 23, 0))  # before 2026-04-01
        + orders_for("AWAKE", 1, 100.0, T(2026, 4, 1))  # first instant of the 6 months
        + orders_for("AFTER", 1, 100.0, T(2026, 10, 5))  # after the period: does not count
    )
    assign = [assignment(c["customer_id"], "vip", at) for c in customers[:3]]
    assign.append(assignment("CORE", "core", at))  # not top-ranked
    frames = make_frames(customers=customers, orders=orders, tier_assignments=assign)
    assert ids(run(frames), "dormant_top_tier") == ["AFTER", "SLEEPY"]
    assert ids(run(frames, dormant_months=7), "dormant_top_tier") == ["AFTER"]


def test_unpublished_policy(make_frames) -> None:
    policy = [dict(p) for p in POLICY]
    policy.append({"tier": "staff", "rank": 0, "min_spend_12m": 0.0, "min_orders_12m": 0,
                   "min_tenure_months": 0, "review_cycle_days": 365, "published_at": None})
    policy.append({"tier": "gold", "rank": 4, "min_spend_12m": 1e9, "min_orders_12m": 0,
                   "min_tenure_months": 0, "review_cycle_days": 365,
                   "published_at": D(2026, 10, 1)})
    policy[1]["published_at"] = D(2026, 9, 30)  # core: published on the last day, fine
    r = run(make_frames(tier_policy=policy, customers=[customer("A")]))
    sev = dict(of(r, "unpublished_policy").select("entity_id", "severity").iter_rows())
    assert sev == {"staff": "high", "gold": "medium"}
    assert set(of(r, "unpublished_policy")["entity_type"]) == {"policy"}
    # eligibility uses published tiers only: nobody is "eligible" for staff (rank 0)
    assert r.tables["eligibility"]["eligible_tier"].to_list() == ["standard"]


# ---------------------------------------------------------------- hidden benefit
def _grant(gid, cid, at, btype, value, amount):
    return {"grant_id": gid, "customer_id": cid, "granted_at": at, "benefit_type": btype,
            "value": value, "amount_cny": amount}


def test_hidden_benefit_judged_against_tier_held_at_grant_time(make_frames) -> None:
    assign = [
        assignment("A", "core", T(2026, 6, 30, 23, 59, 59)),
        assignment("A", "vip", T(2026, 8, 15)),  # promoted in the middle of the period
        assignment("B", "vip", T(2026, 6, 30)),
    ]
    grants = [
        _grant("G1", "A", T(2026, 8, 1), "rebate_pct", 3.0, 90.0),  # core then: not published
        _grant("G2", "A", T(2026, 8, 20), "rebate_pct", 3.0, 90.0),  # vip by then: fine
        _grant("G3", "B", T(2026, 7, 10), "rebate_pct", 5.0, 100.0),  # above published 3 %
        _grant("G4", "B", T(2026, 7, 11), "cash_voucher", 1.0, 50.0),  # no such benefit
        _grant("G5", "B", T(2026, 6, 29), "cash_voucher", 1.0, 50.0),  # before the period
        _grant("G6", "B", T(2026, 10, 1), "cash_voucher", 1.0, 50.0),  # after the period
        _grant("G7", "C", T(2026, 7, 1), "discount_pct", 5.0, 10.0),  # no tier yet: standard
        _grant("G8", "B", T(2026, 8, 1), "discount_pct", 10.0, 20.0),  # vip, exactly published
    ]
    customers = [customer("A"), customer("B", subsidiary_id="S2"), customer("C")]
    r = run(make_frames(customers=customers, tier_assignments=assign, benefit_grants=grants))
    f = of(r, "hidden_benefit")
    assert f["entity_id"].to_list() == ["G1", "G3", "G4", "G7"]
    got = {row["entity_id"]: row for row in f.iter_rows(named=True)}
    assert got["G1"]["severity"] == "high" and got["G1"]["amount_cny"] == pytest.approx(90.0)
    assert got["G3"]["severity"] == "medium"
    assert got["G3"]["amount_cny"] == pytest.approx(40.0)  # the excess share (5 − 3)/5
    assert got["G3"]["subsidiary_id"] == "S2"
    assert detail(r, "hidden_benefit", "G1")["held_tier"] == "core"
    assert detail(r, "hidden_benefit", "G7")["no_tier_at_grant"] is True

    by_sub = {row["subsidiary_id"]: row for row in r.tables["hidden_by_subsidiary"].to_dicts()}
    assert by_sub["S2"]["grants"] == 3 and by_sub["S2"]["hidden_grants"] == 2
    assert by_sub["S2"]["hidden_amount_cny"] == pytest.approx(90.0)
    assert by_sub["S1"]["hidden_amount_cny"] == pytest.approx(100.0)
    assert sum(row["share_of_hidden_amount"] for row in by_sub.values()) == pytest.approx(1.0)
    by_tier = {row["held_tier"]: row["hidden_grants"]
               for row in r.tables["hidden_by_tier"].to_dicts()}
    assert by_tier == {"core": 1, "vip": 2, "standard": 1}


# --------------------------------------------------------------------- the result
def test_result_is_read_only_and_worklist_has_no_personal_data(make_frames) -> None:
    customers = [customer("A"), customer("B")]
    r = run(make_frames(customers=customers, orders=core_buyer("A"),
                        tier_assignments=[assignment("B", "vip", T(2026, 9, 30))]))
    with pytest.raises(TypeError):
        r.tables["x"] = pl.DataFrame()  # type: ignore[index]
    with pytest.raises(AttributeError):
        r.findings = pl.DataFrame()  # type: ignore[misc]
    banned = {"gender", "birth_year", "age_band", "name", "uscc"}
    for name in ("worklist", "eligibility"):
        assert not banned & set(r.tables[name].columns), name
    worklist = r.tables["worklist"]
    assert worklist["priority"].to_list() == list(range(1, worklist.height + 1))
    assert set(r.findings["analysis"]) == {"tiering"}
    assert r.findings["finding_id"].is_unique().all()
    for key in ("tier_distribution", "eligibility_heatmap", "hidden_by_subsidiary",
                "disparity_forest", "disparity_forest_hidden"):
        assert r.figures[key].layout.title.text
    assert r.tables["mismatch_matrix"].columns[0] == "eligible_tier"


@pytest.mark.parametrize(
    ("name", "value"),
    [("dormant_months", 0), ("min_group_size", 0), ("alpha", 1.5), ("min_difference", -0.1),
     ("n_bootstrap", -1), ("seed", -1), ("ci_level", 1.0), ("worklist_size", 2.5),
     ("forest_top", 0), ("intersections", 1), ("attributes", []), ("dormant_months", True)],
)
def test_bad_parameters_are_rejected(make_frames, name, value) -> None:
    with pytest.raises(ParameterError, match=f"^tiering: parameter {name} must be "):
        analyze(make_frames(customers=[customer("A")]), Q3, **{name: value})


def test_unknown_attribute_is_rejected(make_frames) -> None:
    with pytest.raises(ParameterError, match="parameter attributes must be one of"):
        analyze(make_frames(customers=[customer("A")]), Q3, attributes=["shoe_size"])


def test_parameters_record_every_declared_one(make_frames) -> None:
    r = run(make_frames(customers=[customer("A")]), attributes="gender", seed=3)
    assert list(r.parameters) == list(PARAMETERS.names())
    assert r.parameters["attributes"] == ["gender"]  # one name is a list of one
    assert r.parameters["seed"] == 3 and r.parameters["n_bootstrap"] == 0
    assert r.published == () and r.analysis == "tiering"
    # papermill passes a tuple as a JSON list
    run(make_frames(customers=[customer("A")]), attributes=["gender", "province", "gender"])


def test_metrics_are_plain_numbers_counted_from_the_frames(make_frames) -> None:
    customers = [customer(c) for c in ("UNDER2", "UNDER1", "OVER", "OK")]
    customers.append(customer("LATE", signup_date=D(2026, 10, 1)))  # out of scope
    orders = (
        orders_for("UNDER2", 24, 1_000.0, T(2025, 10, 2), step_days=14)
        + core_buyer("UNDER1") + core_buyer("OK")
    )
    assign = [assignment("UNDER2", "standard", T(2026, 9, 30)),
              assignment("UNDER1", "standard", T(2026, 9, 30)),
              assignment("OVER", "core", T(2026, 9, 30)),
              assignment("OK", "core", T(2026, 9, 30))]
    grants = [_grant("G1", "OVER", T(2026, 9, 30, 9), "rebate_pct", 3.0, 90.0),  # core: unpublished
              _grant("G2", "OK", T(2026, 9, 30, 9), "discount_pct", 10.0, 30.0),  # 5 published
              _grant("G3", "OK", T(2026, 9, 30, 10), "discount_pct", 5.0, 20.0)]  # as published
    r = run(make_frames(customers=customers, orders=orders, tier_assignments=assign,
                        benefit_grants=grants))
    m = dict(r.metrics)
    not_judged = m.pop("not_judged")
    assert [set(n["rules"]) for n in not_judged] == [{"tier_disparity"}]
    assert m == {
        "customers_in_scope": 4, "tier_mismatch": 3, "under_tiered": 2, "over_tiered": 1,
        "correctly_tiered_share": 0.25, "hidden_benefit_grants": 2,
        "hidden_benefit_cny": 105.0,  # 90 + 30 × (10 − 5)/10
        "hidden_benefit_customers": 2, "manual_tier_without_reason": 0, "stale_tier": 0,
        "dormant_top_tier": 0, "unpublished_policy": 0, "tier_disparity_groups": 0,
    }
    assert json.loads(json.dumps(m)) == m
    assert all(type(v) in (int, float) for v in m.values())
    empty = run(make_frames())
    assert empty.metrics["customers_in_scope"] == 0
    assert empty.metrics["correctly_tiered_share"] is None
