from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import polars as pl
import pytest

from workbench.credit._features import (
    FEATURES,
    build_features,
    default_labels,
    observation_date,
    receivable_features,
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
        inv("d1", "D", LAST - dt.timedelta(days=89), None),  # unpaid, not yet a default
        inv("e1", "E", D(2026, 5, 1), D(2026, 10, 15)),  # paid after the end: unpaid at the end
        inv("f1", "F", D(2025, 9, 30), None),  # due on T0's last day: outside the window
        inv("g1", "G", T0, T0 + dt.timedelta(days=200)),  # first day of the window
    ])
    lab = {r["customer_id"]: r for r in default_labels(rec, T0, END).iter_rows(named=True)}
    assert {c: r["default"] for c, r in lab.items()} == {
        "A": 1, "B": 0, "C": 1, "D": 0, "E": 1, "G": 1}
    assert lab["D"]["censored_invoices"] == 1 and lab["D"]["defaulted_invoices"] == 0


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
