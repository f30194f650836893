"""SLA clocks on hand-made complaints."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from tests.sla.sla_helpers import D, build
from workbench.periods import parse_period
from workbench.sla import judge, load_policy
from workbench.workdays import WorkCalendar

Q3 = parse_period("2026-Q3")
Y2026 = parse_period("2026")


def clock(calendar: WorkCalendar, complaints, events, target: str, period=Q3) -> dict:
    f = build(complaints, events)
    out = judge(f["complaints"], f["complaint_events"], period, policy=load_policy(),
                calendar=calendar)
    rows = out.filter(pl.col("target") == target)
    return {r["complaint_id"]: r for r in rows.iter_rows(named=True)}


def c(cid: str, received: dt.datetime, **kw) -> dict:
    return {"complaint_id": cid, "received_at": received, **kw}


# ------------------------------------------------------------------ acknowledgement
def test_ack_exactly_at_the_limit_is_met_one_minute_later_is_breached(calendar) -> None:
    r = D(2026, 8, 3, 10)
    got = clock(
        calendar,
        [c("ON", r, severity="high"), c("LATE", r, severity="high"), c("LOW", r, severity="low")],
        [
            ("ON", r + dt.timedelta(hours=24), "acknowledged"),
            ("LATE", r + dt.timedelta(hours=24, minutes=1), "acknowledged"),
            ("LOW", r + dt.timedelta(hours=71, minutes=59), "acknowledged"),
        ],
        "ack",
    )
    assert got["ON"]["state"] == "met" and got["ON"]["overrun_h"] is None
    assert got["LATE"]["state"] == "breached"
    assert got["LATE"]["overrun_h"] == pytest.approx(1 / 60)
    assert got["LATE"]["deadline_at"] == r + dt.timedelta(hours=24)
    assert got["LOW"]["state"] == "met" and got["LOW"]["limit"] == 72


# ------------------------------------------------------------------ resolution
def test_a_customer_wait_pauses_the_resolution_clock(calendar) -> None:
    r = D(2026, 7, 1, 9)
    events = [
        ("P", r + dt.timedelta(days=2), "waiting_customer"),
        ("P", r + dt.timedelta(days=7), "resumed"),
        ("P", r + dt.timedelta(days=19), "resolved"),  # 19 days, 5 paused: 14 net
        ("N", r + dt.timedelta(days=2), "progress_update"),
        ("N", r + dt.timedelta(days=15, minutes=1), "resolved"),  # no pause: 1 minute late
    ]
    got = clock(calendar, [c("P", r), c("N", r)], events, "resolution")
    assert got["P"]["state"] == "met"
    assert got["P"]["paused_h"] == pytest.approx(120)
    assert got["P"]["elapsed"] == pytest.approx(14)
    assert got["P"]["deadline_at"] == r + dt.timedelta(days=20)
    assert got["N"]["state"] == "breached" and got["N"]["overrun_h"] == pytest.approx(1 / 60)


def test_pause_still_open_at_period_end_is_not_counted_against(calendar) -> None:
    r = D(2026, 9, 1, 9)
    events = [("W", r + dt.timedelta(days=3), "waiting_customer")]  # waiting since 09-04 09:00
    got = clock(calendar, [c("W", r)], events, "resolution")
    assert got["W"]["state"] == "running"
    assert got["W"]["elapsed_h"] == pytest.approx(72)


def test_critical_resolution_is_72_hours(calendar) -> None:
    r = D(2026, 8, 1, 8)
    got = clock(
        calendar,
        [c("K", r, severity="critical"), c("L", r, severity="critical")],
        [("K", r + dt.timedelta(hours=72), "resolved"),
         ("L", r + dt.timedelta(hours=73), "resolved")],
        "resolution",
    )
    assert got["K"]["state"] == "met" and got["L"]["state"] == "breached"
    assert got["L"]["overrun_h"] == pytest.approx(1)


def test_a_reopen_restarts_the_resolution_clock(calendar) -> None:
    r = D(2026, 7, 1, 9)
    events = [
        ("R", r + dt.timedelta(days=5), "resolved"),
        ("R", r + dt.timedelta(days=6), "closed"),
        ("R", r + dt.timedelta(days=20), "reopened"),
        ("R", r + dt.timedelta(days=36), "resolved"),  # 16 days after the reopen
        ("S", r + dt.timedelta(days=5), "resolved"),
        ("S", r + dt.timedelta(days=20), "reopened"),
        ("S", r + dt.timedelta(days=30), "resolved"),  # 10 days: met (31 days from receipt)
    ]
    got = clock(calendar, [c("R", r), c("S", r)], events, "resolution")
    assert got["R"]["state"] == "breached" and got["R"]["cycles"] == 2
    assert got["R"]["start_at"] == r + dt.timedelta(days=20)
    assert got["R"]["overrun"] == pytest.approx(1)
    assert got["S"]["state"] == "met" and got["S"]["cycles"] == 2
    assert got["S"]["elapsed"] == pytest.approx(10)


def test_rejected_complaint_has_no_resolution_target(calendar) -> None:
    r = D(2026, 7, 1, 9)
    got = clock(calendar, [c("X", r)], [("X", r + dt.timedelta(days=1), "rejected")], "resolution")
    assert got == {}


def test_mediation_cap_applies_to_12315_transfers_under_the_2026_policy(calendar) -> None:
    r = D(2026, 5, 4, 9)
    events = [("M", r + dt.timedelta(days=1), "waiting_customer"),
              ("M", r + dt.timedelta(days=55), "resumed"),
              ("M", r + dt.timedelta(days=61), "resolved")]
    got = clock(calendar, [c("M", r, channel="regulator")], events, "mediation", period=Y2026)
    assert got["M"]["state"] == "breached" and got["M"]["overrun"] == pytest.approx(1)
    got = clock(calendar, [c("M", r, channel="regulator")], events, "resolution", period=Y2026)
    assert got["M"]["state"] == "met"  # 61 − 54 days paused = 7 days
    old = clock(calendar, [c("M", D(2026, 4, 14, 9), channel="regulator")], [], "mediation",
                period=parse_period("2026-Q2"))
    assert old == {}  # received before 2026-04-15: the 2019 measures, no cap


# ------------------------------------------------------------------ acceptance (working days)
def naive_deadline(received: dt.date, n: int = 7) -> np.datetime64:
    """Monday–Friday with the official holidays but no make-up days (the naive calendar)."""
    return np.busday_offset(
        np.datetime64(received), n, roll="backward",
        holidays=[f"2026-10-0{i}" for i in range(1, 8)],
    )


def test_calendar_facts_the_acceptance_tests_rely_on(calendar) -> None:
    days = [dt.date(2026, 10, 10), *(dt.date(2026, 10, d) for d in range(1, 8))]
    assert calendar.is_workday(days).tolist() == [True] + [False] * 7


def test_acceptance_over_national_day_met_officially_but_late_on_a_naive_calendar(calendar) -> None:
    # Received Tue 09-29: official working days 09-30, 10-08, 10-09, 10-10 (make-up Sat),
    # 10-12, 10-13, 10-14 -> deadline end of 10-14. The naive calendar (Mon–Fri minus the
    # holidays) counts 09-30, 10-08, 10-09, 10-12, 10-13, 10-14, 10-15: also 10-15; without
    # holidays it would be 10-08. Decided 10-14 17:00: met.
    r = D(2026, 9, 29, 10)
    got = clock(calendar, [c("A", r)], [("A", D(2026, 10, 14, 17), "accepted")], "acceptance",
                period=Y2026)
    assert got["A"]["state"] == "met"
    assert got["A"]["deadline_at"] == D(2026, 10, 15)
    assert got["A"]["elapsed"] == 7
    plain = np.busday_offset(np.datetime64("2026-09-29"), 7, roll="backward")
    assert plain == np.datetime64("2026-10-08")


def test_acceptance_late_only_because_of_the_make_up_saturday(calendar) -> None:
    # Received Fri 10-09: official day 1 is Saturday 10-10 (make-up), day 7 is Mon 10-19.
    # A Mon–Fri calendar puts day 7 on Tue 10-20. Decided 10-20 09:00: breached by one day.
    r = D(2026, 10, 9, 15)
    got = clock(calendar, [c("B", r)], [("B", D(2026, 10, 20, 9), "rejected")], "acceptance",
                period=Y2026)
    assert naive_deadline(dt.date(2026, 10, 9)) == np.datetime64("2026-10-20")
    assert got["B"]["state"] == "breached"
    assert got["B"]["deadline_at"] == D(2026, 10, 20)
    assert got["B"]["overrun"] == 1 and got["B"]["overrun_h"] == pytest.approx(9)


def test_acceptance_decided_on_a_rest_day_after_the_deadline_is_late(calendar) -> None:
    # Received Wed 08-05: day 7 is Fri 08-14; decided Sat 08-15 (a rest day): 0 extra
    # working days but after the end of the 7th.
    got = clock(calendar, [c("S", D(2026, 8, 5, 9))], [("S", D(2026, 8, 15, 10), "accepted")],
                "acceptance")
    assert got["S"]["deadline_at"] == D(2026, 8, 15)
    assert got["S"]["state"] == "breached" and got["S"]["overrun"] == 0
    assert got["S"]["overrun_h"] == pytest.approx(10)


# ------------------------------------------------------------------ censoring and look-ahead
def test_open_complaints_at_period_end_are_running_or_breached(calendar) -> None:
    events = [("LATE_ACK", D(2026, 10, 2, 9), "acknowledged"),
              ("LATE_ACK", D(2026, 10, 3), "resolved")]
    complaints = [
        c("FRESH", D(2026, 9, 29, 12)),  # medium: ack due 10-01 12:00 -> running at 10-01 00:00
        c("STALE", D(2026, 9, 25, 12)),  # ack due 09-27 12:00, none by the end -> breached
        c("LATE_ACK", D(2026, 9, 20, 12)),  # acknowledged only after the period end
    ]
    ack = clock(calendar, complaints, events, "ack")
    assert ack["FRESH"]["state"] == "running" and ack["FRESH"]["overrun"] is None
    assert ack["STALE"]["state"] == "breached" and ack["STALE"]["stop_at"] is None
    assert ack["STALE"]["overrun_h"] == pytest.approx(3 * 24 + 12)
    # the October acknowledgement and resolution are not seen
    assert ack["LATE_ACK"]["state"] == "breached" and ack["LATE_ACK"]["stop_at"] is None
    res = clock(calendar, complaints, events, "resolution")
    assert res["LATE_ACK"]["state"] == "running" and res["LATE_ACK"]["stop_at"] is None
    acc = clock(calendar, complaints, events, "acceptance")
    assert {k: v["state"] for k, v in acc.items()} == {
        "FRESH": "running", "STALE": "running", "LATE_ACK": "breached"
    }


def test_complaints_received_outside_the_period_are_not_judged(calendar) -> None:
    got = clock(calendar, [c("JUNE", D(2026, 6, 30, 23)), c("OCT", D(2026, 10, 1, 0))], [], "ack")
    assert got == {}


# ------------------------------------------------------------------ update gaps
def test_update_gap(calendar) -> None:
    r = D(2026, 8, 3, 9)
    events = [
        ("OK", r + dt.timedelta(hours=72), "acknowledged"),  # exactly 3 days: met
        ("OK", r + dt.timedelta(hours=100), "resolved"),
        ("OK", r + dt.timedelta(days=30), "closed"),  # silence after resolution does not count
        ("GAP", r + dt.timedelta(hours=10), "acknowledged"),
        ("GAP", r + dt.timedelta(hours=82, minutes=1), "progress_update"),  # 72 h 1 min
        ("GAP", r + dt.timedelta(hours=90), "resolved"),
        ("WAIT", r + dt.timedelta(hours=1), "waiting_customer"),  # waiting is still open
        ("WAIT", r + dt.timedelta(days=5), "resumed"),
        ("WAIT", r + dt.timedelta(days=6), "resolved"),
        ("REO", r + dt.timedelta(hours=1), "resolved"),
        ("REO", r + dt.timedelta(days=10), "reopened"),
        ("REO", r + dt.timedelta(days=14), "resolved"),  # 4 days silent after the reopen
    ]
    tail = [c("TAIL", D(2026, 9, 20, 9))]
    got = clock(calendar, [c(x, r) for x in ("OK", "GAP", "WAIT", "REO")] + tail,
                events + [("TAIL", D(2026, 9, 21, 9), "acknowledged")], "update_gap")
    assert got["OK"]["state"] == "met"
    assert got["GAP"]["state"] == "breached" and got["GAP"]["overrun_h"] == pytest.approx(1 / 60)
    assert got["GAP"]["start_at"] == r + dt.timedelta(hours=10)
    assert got["WAIT"]["state"] == "breached"
    assert got["REO"]["state"] == "breached" and got["REO"]["elapsed"] == pytest.approx(4)
    # open, last event 09-21 09:00, period end 10-01: 9 days 15 h silent
    assert got["TAIL"]["state"] == "breached" and got["TAIL"]["stop_at"] is None
    assert got["TAIL"]["elapsed_h"] == pytest.approx(9 * 24 + 15)


def test_policy_path_override_changes_the_limits(tmp_path, calendar) -> None:
    import yaml

    from workbench.sla import DEFAULT_POLICY_PATH

    doc = yaml.safe_load(DEFAULT_POLICY_PATH.read_text(encoding="utf-8"))
    for v in doc["versions"]:
        v["targets"]["ack"]["limits"] = {"default": 4}
    path = tmp_path / "strict.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    f = build([c("A", D(2026, 8, 3, 9))], [("A", D(2026, 8, 3, 14), "acknowledged")])
    out = judge(f["complaints"], f["complaint_events"], Q3, policy=load_policy(path),
                calendar=calendar)
    assert out.filter(pl.col("target") == "ack")["state"].to_list() == ["breached"]


# ------------------------------------------------------------------ hand-computed calendar cases
# Official calendar facts (State Council notices; chinesecalendar agrees, first test):
# 2025: National Day + Mid-Autumn 10-01..10-08 off, make-up workdays Sun 09-28 and Sat 10-11.
# 2026: Mid-Autumn Fri 09-25 off, National Day 10-01..10-07 off, make-up workdays
#       Sun 09-20 and Sat 10-10.
Y2025 = parse_period("2025")


def test_golden_week_calendar_facts(calendar) -> None:
    off = [
        *(dt.date(2025, 10, d) for d in range(1, 9)),
        dt.date(2026, 9, 25),
        *(dt.date(2026, 10, d) for d in range(1, 8)),
    ]
    make_up = [dt.date(2025, 9, 28), dt.date(2025, 10, 11), dt.date(2026, 9, 20),
               dt.date(2026, 10, 10)]
    assert not calendar.is_workday(off).any()
    assert calendar.is_workday(make_up).all()
    assert [d.weekday() for d in make_up] == [6, 5, 6, 5]  # Sun, Sat, Sun, Sat


def test_received_the_afternoon_before_golden_week_2026(calendar) -> None:
    # Received Wed 2026-09-30 15:00 (medium). Acceptance, day of receipt not counted:
    # 10-08 (1), 10-09 (2), Sat 10-10 make-up (3), 10-12 (4), 10-13 (5), 10-14 (6),
    # 10-15 (7) -> deadline = end of Thu 10-15 = 2026-10-16 00:00. A Mon–Fri calendar
    # minus the holidays skips the make-up Saturday and says end of 10-16.
    # Acknowledgement 48 calendar hours straight through the holiday: 10-02 15:00.
    # Resolution 15 calendar days (360 h): 10-15 15:00, moved by a customer wait of
    # 10-02 09:00 .. 10-05 09:00 (72 h) to 10-18 15:00.
    r = D(2026, 9, 30, 15)
    complaints = [c("ON", r), c("LATE", r), c("ACK", r)]
    events = [
        ("ON", D(2026, 10, 1, 10), "acknowledged"),
        ("ON", D(2026, 10, 15, 16), "accepted"),  # 7th official working day: met
        ("ON", D(2026, 10, 2, 9), "waiting_customer"),
        ("ON", D(2026, 10, 5, 9), "resumed"),
        ("ON", D(2026, 10, 18, 14), "resolved"),  # 431 h gross - 72 h paused = 359 h net: met
        ("LATE", D(2026, 10, 1, 10), "acknowledged"),
        ("LATE", D(2026, 10, 16, 9), "accepted"),  # 8th official working day (7th on Mon–Fri)
        ("LATE", D(2026, 10, 15, 16), "resolved"),  # 360 h + 1 h, no pause: breached
        ("ACK", D(2026, 10, 2, 15, 1), "acknowledged"),  # 48 h + 1 min
    ]
    acc = clock(calendar, complaints, events, "acceptance", period=Y2026)
    assert acc["ON"]["deadline_at"] == D(2026, 10, 16)
    assert acc["ON"]["state"] == "met" and acc["ON"]["elapsed"] == 7
    assert acc["LATE"]["deadline_at"] == D(2026, 10, 16) and acc["LATE"]["state"] == "breached"
    assert acc["LATE"]["overrun"] == 1 and acc["LATE"]["overrun_h"] == pytest.approx(9)
    ack = clock(calendar, complaints, events, "ack", period=Y2026)
    assert ack["ACK"]["deadline_at"] == D(2026, 10, 2, 15) and ack["ACK"]["state"] == "breached"
    assert ack["ACK"]["overrun_h"] == pytest.approx(1 / 60)
    res = clock(calendar, complaints, events, "resolution", period=Y2026)
    assert res["ON"]["paused_h"] == pytest.approx(72)
    assert res["ON"]["deadline_at"] == D(2026, 10, 18, 15) and res["ON"]["state"] == "met"
    # 09-30 15:00 -> 10-18 14:00 = 431 h
    assert res["ON"]["elapsed_h"] == pytest.approx(18 * 24 - 1 - 72)
    assert res["LATE"]["deadline_at"] == D(2026, 10, 15, 15) and res["LATE"]["state"] == "breached"
    assert res["LATE"]["overrun_h"] == pytest.approx(1)


def test_received_on_the_make_up_sunday_2026_09_20(calendar) -> None:
    # Received Sun 2026-09-20 10:00, a make-up working day (the day of receipt is not
    # counted even so): 09-21 (1), 09-22 (2), 09-23 (3), 09-24 (4), Fri 09-25 is
    # Mid-Autumn (off), 09-28 (5), 09-29 (6), 09-30 (7) -> deadline 2026-10-01 00:00.
    # A Mon–Fri calendar without holidays would end on Tue 09-29.
    r = D(2026, 9, 20, 10)
    events = [
        ("A", D(2026, 9, 20, 11), "acknowledged"),
        ("A", D(2026, 9, 30, 17), "accepted"),
        ("B", D(2026, 9, 20, 11), "acknowledged"),
        ("B", D(2026, 10, 8, 9), "rejected"),  # after the holiday: 1 working day late
    ]
    got = clock(calendar, [c("A", r), c("B", r)], events, "acceptance", period=Y2026)
    assert got["A"]["deadline_at"] == D(2026, 10, 1)
    assert got["A"]["state"] == "met" and got["A"]["elapsed"] == 7
    assert got["B"]["state"] == "breached" and got["B"]["overrun"] == 1
    plain = np.busday_offset(np.datetime64("2026-09-20"), 7, roll="backward")
    assert plain == np.datetime64("2026-09-29")


def test_received_the_afternoon_before_golden_week_2025(calendar) -> None:
    # Received Tue 2025-09-30 15:00: 10-09 (1), 10-10 (2), Sat 10-11 make-up (3),
    # 10-13 (4), 10-14 (5), 10-15 (6), 10-16 (7) -> deadline 2025-10-17 00:00.
    r = D(2025, 9, 30, 15)
    events = [("A", D(2025, 10, 16, 18), "accepted"), ("B", D(2025, 10, 17, 8), "accepted")]
    got = clock(calendar, [c("A", r), c("B", r)], events, "acceptance", period=Y2025)
    assert got["A"]["deadline_at"] == D(2025, 10, 17) and got["A"]["state"] == "met"
    assert got["B"]["state"] == "breached" and got["B"]["overrun_h"] == pytest.approx(8)


def test_received_on_the_make_up_sunday_2025_09_28(calendar) -> None:
    # Received Sun 2025-09-28 11:00 (make-up workday): 09-29 (1), 09-30 (2), holiday
    # 10-01..10-08, 10-09 (3), 10-10 (4), Sat 10-11 make-up (5), 10-13 (6), 10-14 (7)
    # -> deadline 2025-10-15 00:00.
    r = D(2025, 9, 28, 11)
    events = [("A", D(2025, 10, 14, 17), "accepted"), ("B", D(2025, 10, 15, 10), "rejected")]
    got = clock(calendar, [c("A", r), c("B", r)], events, "acceptance", period=Y2025)
    assert got["A"]["deadline_at"] == D(2025, 10, 15)
    assert got["A"]["state"] == "met" and got["A"]["elapsed"] == 7
    assert got["B"]["deadline_at"] == D(2025, 10, 15) and got["B"]["state"] == "breached"


def test_the_last_complaint_open_at_the_end_is_running_not_met(calendar) -> None:
    """The last complaint of the sorted frame lost its open-at-end state (a null
    compare on the frame's last row), so an open complaint read "met"."""
    early = c("AAA", D(2026, 9, 1, 9))
    late = c("ZZZ", D(2026, 9, 29, 9))  # acknowledged, open, 1 day silent at the end
    events = [("AAA", D(2026, 9, 1, 10), "acknowledged"), ("AAA", D(2026, 9, 2, 9), "resolved"),
              ("ZZZ", D(2026, 9, 30, 0), "acknowledged")]
    got = clock(calendar, [early, late], events, "update_gap")
    assert got["AAA"]["state"] == "met"
    assert got["ZZZ"]["state"] == "running"
