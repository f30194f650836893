"""missing_record: each check on a hand-made complaint, and no look-ahead."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.sla.sla_helpers import D, build
from workbench.periods import parse_period
from workbench.sla import CHECKS, record_checks

Q3 = parse_period("2026-Q3")
R = D(2026, 8, 3, 9)


def h(n: float) -> dt.datetime:
    return R + dt.timedelta(hours=n)


GOOD = [(h(1), "acknowledged"), (h(20), "accepted"), (h(50), "progress_update"),
        (h(100), "resolved"), (h(120), "closed")]


def checks_of(events: list[tuple[dt.datetime, str]], **table) -> list[str]:
    f = build([{"complaint_id": "C", "received_at": R, **table}],
              [("C", at, e) for at, e in events])
    out = record_checks(f["complaints"], f["complaint_events"], Q3)
    return out["checks"].to_list()[0] if out.height else []


def without(name: str) -> list[tuple[dt.datetime, str]]:
    return [(at, e) for at, e in GOOD if e != name]


CASES = {
    "resolved_without_ack": (without("acknowledged"), {}),
    "closed_without_resolution": (without("resolved"), {}),
    "closed_without_decision": (without("accepted"), {}),
    "event_before_receipt": ([(h(-2), "acknowledged"), *GOOD[1:]], {}),
    "decision_before_ack": ([(h(1), "accepted"), (h(2), "acknowledged"), *GOOD[2:]], {}),
    "resolved_before_decision": (
        [GOOD[0], (h(10), "resolved"), (h(20), "accepted"), (h(120), "closed")], {}
    ),
    "closed_before_resolved": ([*GOOD[:3], (h(90), "closed"), (h(100), "resolved")], {}),
    "acknowledged_at_mismatch": (GOOD, {"acknowledged_at": h(0.5)}),
    "accepted_at_mismatch": (GOOD, {"accepted_at": None}),
    "resolved_at_mismatch": (GOOD, {"resolved_at": h(99)}),
    "closed_at_mismatch": (GOOD, {"closed_at": None, "status": "resolved"}),
    "status_mismatch": (GOOD, {"status": "resolved"}),
    "status_without_timestamp": (GOOD[:4], {"status": "closed"}),
}


def test_a_complete_record_passes() -> None:
    assert checks_of(GOOD) == []


@pytest.mark.parametrize("check", list(CHECKS))
def test_each_check(check: str) -> None:
    events, table = CASES[check]
    assert check in checks_of(events, **table)


def test_rejected_then_closed_needs_no_resolution() -> None:
    assert checks_of([(h(1), "acknowledged"), (h(5), "rejected"), (h(30), "closed")]) == []


def test_table_extract_after_the_period_end_is_not_look_ahead() -> None:
    # Received 09-25, resolved and closed in October: the extract says closed with
    # October timestamps, the record up to 09-30 says in progress. Nothing provable.
    r = D(2026, 9, 25, 9)
    events = [(r + dt.timedelta(hours=2), "acknowledged"), (r + dt.timedelta(days=1), "accepted"),
              (D(2026, 10, 3), "resolved"), (D(2026, 10, 4), "closed")]
    f = build([{"complaint_id": "C", "received_at": r}], [("C", at, e) for at, e in events])
    assert record_checks(f["complaints"], f["complaint_events"], Q3).height == 0
    # A waiting_customer after the period leaves no timestamp: open states are compatible.
    events2 = [*events[:2], (D(2026, 10, 2), "waiting_customer")]
    f = build([{"complaint_id": "C", "received_at": r}], [("C", at, e) for at, e in events2])
    assert record_checks(f["complaints"], f["complaint_events"], Q3).height == 0
    # But an acknowledged_at after the period while the record acknowledges in P is provably wrong.
    f = build([{"complaint_id": "C", "received_at": r, "acknowledged_at": D(2026, 10, 2)}],
              [("C", at, e) for at, e in events])
    checks = record_checks(f["complaints"], f["complaint_events"], Q3)["checks"].to_list()
    assert checks == [["acknowledged_at_mismatch"]]


def test_events_after_the_period_do_not_complete_or_break_the_record() -> None:
    # Closed in P without an acknowledgement; the acknowledgement arrives in October.
    r = D(2026, 9, 1, 9)
    events = [(r + dt.timedelta(days=1), "accepted"), (r + dt.timedelta(days=3), "resolved"),
              (r + dt.timedelta(days=4), "closed"), (D(2026, 10, 5), "acknowledged")]
    f = build([{"complaint_id": "C", "received_at": r}], [("C", at, e) for at, e in events])
    got = record_checks(f["complaints"], f["complaint_events"], Q3)["checks"].to_list()[0]
    assert "resolved_without_ack" in got and "decision_before_ack" not in got
