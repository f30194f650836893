from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import polars as pl
import pytest

from workbench.credit._features import (
    FEATURES,
    as_of,
    build_features,
    check_known_before,
    default_labels,
    development_sample,
    observation_date,
    out_of_time_sample,
    receivable_features,
    sample_summary,
    sample_windows,
)

D = dt.date
END = D(2026, 10, 1)  # 2026-Q3
LAST = D(2026, 9, 30)
T0 = D(2025, 10, 1)


def inv(i: str, cust: str, due: dt.date, paid: dt.date | None, amount: float = 100.0,
        paid_amount: float | None = None) -> dict:
    return {
        "invoice_id": i, "customer_id": cust, "issued_at": due - dt.timedelta(days=30),
        "due_date": due, "amount_cny": amount, "paid_at": paid,
        "paid_amount_cny": (amount if paid else 0.0) if paid_amount is None else paid_amount,
    }


def test_observation_date() -> None:
    assert observation_date(END) == T0


def test_default_label_edges(rf: SimpleNamespace) -> None:
    rec = rf.frame("receivables", [
        inv("a1", "A", D(2026, 1, 10), D(2026, 1, 10) + dt.timedelta(days=91)),  # paid 91 late
        inv("b1", "B", D(2026, 1, 10), D(2026, 1, 10) + dt.timedelta(days=90)),  # exactly 90: ok
        inv("c1", "C", LAST - dt.timedelta(days=91), None),  # unpaid 91 days after due
        inv("d1", "D", LAST - dt.timedelta(days=90), None),  # unpaid 90 days: not yet known
        inv("e1", "E", D(2026, 5, 1), D(2026, 10, 15)),  # paid after the end: unpaid at the end
        inv("f1", "F", D(2025, 9, 30), None),  # due on T0's last day: outside the window
        inv("g1", "G", T0, T0 + dt.timedelta(days=200)),  # first day of the window
        inv("h1", "H", LAST - dt.timedelta(days=10), LAST),  # due lately but paid: good
    ])
    lab = {r["customer_id"]: r for r in default_labels(rec, T0, END).iter_rows(named=True)}
    assert {c: r["default"] for c, r in lab.items()} == {
        "A": 1, "B": 0, "C": 1, "D": None, "E": 1, "G": 1, "H": 0}
    assert lab["D"]["undetermined_invoices"] == 1 and lab["D"]["defaulted_invoices"] == 0
    assert lab["H"]["good_invoices"] == 1 and lab["H"]["undetermined_invoices"] == 0


def test_an_undetermined_invoice_is_not_good(rf: SimpleNamespace) -> None:
    """An unpaid invoice not yet 90 days past due says nothing: a customer with only
    such invoices has no label (the old rule called it good, biasing PDs down); one
    with a good invoice as well is good; a default elsewhere still makes a default.
    """
    soon = LAST - dt.timedelta(days=30)
    rec = rf.frame("receivables", [
        inv("u1", "U", soon, None),
        inv("v1", "V", soon, None), inv("v2", "V", D(2026, 2, 1), D(2026, 2, 5)),
        inv("w1", "W", soon, None), inv("w2", "W", D(2026, 2, 1), None),
    ])
    lab = {r["customer_id"]: r["default"] for r in default_labels(rec, T0, END).iter_rows(
        named=True)}
    assert lab == {"U": None, "V": 0, "W": 1}


def _customers(rf: SimpleNamespace, signups: dict[str, dt.date]) -> pl.LazyFrame:
    return rf.frame("customers", [
        {"customer_id": c, "subsidiary_id": "S", "customer_type": "enterprise",
         "uscc": f"U{c}", "signup_date": day} for c, day in signups.items()
    ])


def test_sample_windows_follow_the_contract() -> None:
    dev, oot = sample_windows(END)
    assert (dev.feature_date, dev.label_date) == (D(2024, 10, 1), T0)
    assert (oot.feature_date, oot.label_date) == (T0, END)
    assert dev.label_date <= oot.feature_date  # no outcome month is shared


def test_samples_leave_out_and_count_undetermined_and_late_customers(
    rf: SimpleNamespace,
) -> None:
    dev_last = T0 - dt.timedelta(days=1)
    frames = {
        "customers": _customers(rf, {"A": D(2023, 1, 1), "B": D(2023, 1, 1),
                                     "C": D(2025, 1, 1), "Z": D(2023, 1, 1)}),
        "registry_snapshots": rf.frame("registry_snapshots", []),
        "registry_events": rf.frame("registry_events", []),
        "receivables": rf.frame("receivables", [
            inv("a1", "A", D(2025, 1, 10), D(2025, 1, 12)),  # dev: good
            inv("a2", "A", D(2026, 1, 10), None),  # oot: default
            inv("b1", "B", dev_last - dt.timedelta(days=20), None),  # dev: undetermined only
            inv("b2", "B", D(2026, 3, 1), D(2026, 3, 1)),  # oot: good
            inv("c1", "C", D(2025, 3, 1), D(2025, 3, 1)),  # dev: signed up after 2024-10
            inv("c2", "C", LAST - dt.timedelta(days=5), None),  # oot: undetermined only
        ]),
    }
    dev = development_sample(frames, END)
    oot = out_of_time_sample(frames, END)
    assert dict(zip(dev["customer_id"], dev["default"], strict=True)) == {"A": 0}
    assert dict(zip(oot["customer_id"], oot["default"], strict=True)) == {"A": 1, "B": 0}
    assert (dev["label_date"] == T0).all() and (oot["feature_date"] == T0).all()
    summary = {r["sample"]: r for r in sample_summary(frames, END).iter_rows(named=True)}
    assert {k: (v["labelled"], v["undetermined"], v["not_customer_yet"])
            for k, v in summary.items()} == {"development": (1, 1, 1), "out_of_time": (2, 1, 0)}
    assert summary["out_of_time"]["defaults"] == 1


def test_development_sample_cannot_see_anything_from_t0_on(rf: SimpleNamespace) -> None:
    """By construction: change every row dated T0 or later and the development sample
    (features and labels) is the same, while the out-of-time sample changes."""
    frames = {
        "customers": _customers(rf, {"A": D(2023, 1, 1), "B": D(2023, 6, 1)}),
        "registry_snapshots": rf.frame("registry_snapshots", []),
        "registry_events": rf.frame("registry_events", [rf.event("UA", D(2024, 5, 1),
                                                                 "lawsuit")]),
        "receivables": rf.frame("receivables", [
            inv("a0", "A", D(2024, 6, 1), D(2024, 6, 20)),
            inv("a1", "A", D(2025, 6, 1), D(2025, 10, 20)),  # paid after T0: bad at T0
            inv("b1", "B", D(2025, 1, 1), D(2025, 1, 1)),
            inv("b2", "B", D(2025, 9, 1), D(2025, 9, 2)),
            inv("a2", "A", D(2026, 1, 1), D(2026, 1, 5)),
            inv("b3", "B", D(2026, 2, 1), D(2026, 2, 1)),
        ]),
    }
    changed = rf.perturb_from(frames, T0)
    assert development_sample(frames, END).equals(development_sample(changed, END))
    assert not out_of_time_sample(frames, END).equals(out_of_time_sample(changed, END))
    dev = development_sample(frames, END)
    assert dict(zip(dev["customer_id"], dev["default"], strict=True)) == {"A": 1, "B": 0}


def test_as_of_forgets_later_rows_and_payments(rf: SimpleNamespace) -> None:
    frames = {
        "customers": _customers(rf, {"A": D(2023, 1, 1), "B": T0}),
        "receivables": rf.frame("receivables", [
            inv("a1", "A", D(2025, 9, 1), D(2025, 10, 2)), inv("a2", "A", D(2025, 12, 1), None),
        ]),
        "registry_events": rf.frame("registry_events", [rf.event("UA", T0, "lawsuit")]),
        "registry_snapshots": rf.frame("registry_snapshots", [rf.snap("UA", T0)]),
    }
    view = as_of(frames, T0)
    rec = view["receivables"].collect()
    assert rec["invoice_id"].to_list() == ["a1"]
    assert rec["paid_at"].to_list() == [None] and rec["paid_amount_cny"].to_list() == [0.0]
    assert view["customers"].collect()["customer_id"].to_list() == ["A"]
    assert view["registry_events"].collect().height == 0
    assert view["registry_snapshots"].collect().height == 0
    check_known_before(view, T0)
    with pytest.raises(ValueError, match=r"receivables\.paid_at: 1 row\(s\) dated on or after"):
        check_known_before({**view, "receivables": frames["receivables"].filter(
            pl.col("invoice_id") == "a1")}, T0)
    with pytest.raises(ValueError, match=r"registry_events\.event_date"):
        check_known_before({**view, "registry_events": frames["registry_events"]}, T0)


def test_behaviour_features_ignore_later_rows(rf: SimpleNamespace) -> None:
    rec = rf.frame("receivables", [
        inv("a1", "A", D(2025, 8, 1), D(2025, 8, 21)),  # 20 days late
        inv("a2", "A", D(2025, 9, 1), D(2025, 12, 1)),  # paid after T0: 29 days past due at T0
        inv("a3", "A", D(2025, 6, 1), D(2025, 6, 1)),  # on time
        inv("a4", "A", D(2025, 12, 1), None),  # issued after T0: unseen
    ])
    f = receivable_features(rec, T0).collect().row(0, named=True)
    assert f["invoices_12m"] == 3
    assert f["max_days_past_due_12m"] == 29  # Sep 1 → Sep 30
    assert f["share_paid_late_12m"] == pytest.approx(2 / 3)
    assert f["outstanding_cny"] == 100.0 and f["overdue_cny"] == 100.0
    assert f["outstanding_ratio"] == pytest.approx(100 / 300)


def test_build_features_one_row_per_enterprise_before_the_date(rf: SimpleNamespace) -> None:
    cust = rf.frame("customers", [
        {"customer_id": "A", "subsidiary_id": "S", "customer_type": "enterprise",
         "uscc": "U1", "signup_date": D(2024, 1, 15)},
        {"customer_id": "B", "subsidiary_id": "S", "customer_type": "enterprise",
         "uscc": "U2", "signup_date": D(2026, 10, 5)},  # after the period: not a customer yet
        {"customer_id": "P", "subsidiary_id": "S", "customer_type": "individual",
         "signup_date": D(2024, 1, 1)},
    ])
    frames = {
        "customers": cust,
        "registry_snapshots": rf.frame("registry_snapshots", [rf.snap("U1", D(2026, 6, 30))]),
        "registry_events": rf.frame("registry_events", []),
        "receivables": rf.frame("receivables", []),
    }
    f = build_features(frames, END)
    assert f["customer_id"].to_list() == ["A"]
    assert set(FEATURES) <= set(f.columns)
    row = f.row(0, named=True)
    assert row["relationship_months"] == 32  # 2024-01-15 → 2026-09-30
    assert row["years_established"] == pytest.approx((LAST - D(2015, 3, 1)).days / 365.25)
    # At T0 there is no extract yet: registry snapshot facts are missing, not guessed.
    at_t0 = build_features(frames, T0).row(0, named=True)
    assert at_t0["years_established"] is None and at_t0["weak_status"] is None
    assert f.schema["invoices_12m"] == pl.Float64
