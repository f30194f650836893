from __future__ import annotations

import datetime as dt

import pytest

from workbench.periods import parse_period


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-Q3", dt.datetime(2026, 7, 1), dt.datetime(2026, 10, 1)),
        ("2026-Q4", dt.datetime(2026, 10, 1), dt.datetime(2027, 1, 1)),
        ("2026-02", dt.datetime(2026, 2, 1), dt.datetime(2026, 3, 1)),
        ("2026-12", dt.datetime(2026, 12, 1), dt.datetime(2027, 1, 1)),
        ("2025", dt.datetime(2025, 1, 1), dt.datetime(2026, 1, 1)),
    ],
)
def test_parse_absolute_periods(text: str, start: dt.datetime, end: dt.datetime) -> None:
    p = parse_period(text)
    assert (p.start, p.end, p.label) == (start, end, text)


@pytest.mark.parametrize(
    ("today", "text", "label"),
    [
        (dt.date(2026, 11, 23), "last-quarter", "2026-Q3"),
        (dt.date(2026, 10, 1), "last-quarter", "2026-Q3"),
        (dt.date(2026, 9, 30), "last-quarter", "2026-Q2"),
        (dt.date(2026, 1, 2), "last-quarter", "2025-Q4"),
        (dt.date(2026, 1, 2), "last-month", "2025-12"),
        (dt.date(2026, 11, 23), "last-month", "2026-10"),
    ],
)
def test_relative_periods_resolve_against_today(today: dt.date, text: str, label: str) -> None:
    assert parse_period(text, today=today).label == label


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "26-Q1", "Q3", "", "last-year"])
def test_bad_periods_name_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-Qn"):
        parse_period(text)


def test_trailing_window_and_previous() -> None:
    p = parse_period("2026-Q3")
    assert p.months_back(12) == dt.datetime(2025, 10, 1)
    assert p.last_day == dt.date(2026, 9, 30)
    assert p.previous().label == "2026-Q2"
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026-Q1").previous().label == "2025-Q4"
    assert parse_period("2026").previous().label == "2025"


@pytest.mark.parametrize("text", ["２０２６-Q3", "２０２６－Ｑ３", " 2026-Q3 "])
def test_full_width_forms_fold_to_one_label(text):
    """A period typed with a Chinese input method names the same folder and lock."""
    assert parse_period(text).label == "2026-Q3"


@pytest.mark.parametrize("text", ["٢٠٢٦-Q3", "२०२६-Q3", "2026-q3"])
def test_digits_of_other_scripts_are_refused(text):
    with pytest.raises(ValueError, match="is not understood"):
        parse_period(text)
