from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from workbench.workdays import CalendarError, WorkCalendar


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar.official()


def d(s: str) -> np.datetime64:
    return np.datetime64(s, "D")


def test_make_up_saturday_is_a_workday_and_national_day_is_not(cal: WorkCalendar) -> None:
    days = [dt.date(2026, 10, 10), dt.date(2026, 10, 1), dt.date(2026, 10, 9),
            dt.date(2026, 10, 11)]
    assert cal.is_workday(days).tolist() == [True, False, True, False]


def test_acceptance_deadline_over_national_day(cal: WorkCalendar) -> None:
    # Received Tue 2026-09-29: working days after it are 9-30, (10-1..10-7 holiday),
    # 10-8, 10-9, 10-10 (make-up Saturday), 10-12, 10-13, 10-14 -> the 7th is 10-14.
    assert cal.add_workdays([dt.date(2026, 9, 29)], 7)[0] == d("2026-10-14")


def test_day_of_receipt_not_counted_even_on_a_rest_day(cal: WorkCalendar) -> None:
    # Received Saturday 2026-11-21: day 1 is Monday 11-23, day 7 is Tuesday 12-01.
    assert cal.add_workdays([dt.date(2026, 11, 21)], 7)[0] == d("2026-12-01")
    # Received Wednesday 2026-11-18: day 7 is Friday 11-27.
    assert cal.add_workdays([dt.date(2026, 11, 18)], 7)[0] == d("2026-11-27")


def test_workdays_between_counts_after_start_up_to_end(cal: WorkCalendar) -> None:
    n = cal.workdays_between(pl.Series([dt.date(2026, 9, 29)]), pl.Series([dt.date(2026, 10, 14)]))
    assert n.tolist() == [7]


def test_naive_calendar_is_wrong_for_a_large_share_of_pairs(cal: WorkCalendar) -> None:
    rng = np.random.default_rng(0)
    start = d("2025-01-01") + rng.integers(0, 700, 5000)
    end = start + rng.integers(1, 30, 5000)
    official = cal.workdays_between(start, end)
    naive = np.busday_count(start + 1, end + 1)
    assert (official != naive).mean() > 0.15


def test_unknown_year_fails_loudly(cal: WorkCalendar) -> None:
    with pytest.raises(CalendarError, match=r"\[2031\]"):
        cal.is_workday([dt.date(2031, 1, 6)])
    with pytest.raises(CalendarError, match="does not know"):
        cal.add_workdays([dt.date(2026, 12, 28)], 7)  # the deadline falls in 2027


def test_extension_file_adds_a_year(cal: WorkCalendar, tmp_path) -> None:
    path = tmp_path / "2027.yaml"
    path.write_text(
        "year: 2027\nholidays: [2027-01-01, 2027-10-01, 2027-10-04]\nworkdays: [2027-09-26]\n",
        encoding="utf-8",
    )
    ext = cal.extended(path)
    assert 2027 in ext.years
    days = [dt.date(2027, 1, 1), dt.date(2027, 1, 4), dt.date(2027, 9, 26), dt.date(2027, 10, 4)]
    assert ext.is_workday(days).tolist() == [False, True, True, False]
    day = [dt.date(2026, 9, 29)]
    assert cal.add_workdays(day, 7)[0] == ext.add_workdays(day, 7)[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("holidays: []\n", "year"),
        ("year: 2027\nholidays: [2028-01-01]\n", "outside 2027"),
        ("year: 2027\nworkdays: [2027-01-04]\n", "must be weekends"),
        ("year: 2027\nholidays: [not-a-date]\n", "calendar file"),
    ],
)
def test_bad_extension_file(cal: WorkCalendar, tmp_path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarError, match=message):
        cal.extended(path)


def test_table_marks_every_day(cal: WorkCalendar) -> None:
    t = cal.table().filter(pl.col("date").dt.year() == 2026)
    assert t.height == 365
    assert t.filter(pl.col("date") == dt.date(2026, 10, 10))["is_workday"].item() is True
