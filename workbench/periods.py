"""Reporting periods: ``2026-Q3``, ``2026-07``, ``2026``, ``last-quarter``, ``last-month``.

A period is the half-open interval ``[start, end)`` of naive Asia/Shanghai local
datetimes; ``end`` is midnight after the last day (``2026-Q3`` ends at
``2026-10-01 00:00``, the contract's "2026-09-30 24:00"). Relative names resolve
against *today* in Asia/Shanghai so that a cron run on 1 October reports Q3.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from workbench.contract import TIMEZONE

# ASCII digits only: ``\d`` would also match other scripts' digits (and keep them in
# the label, making a second folder for the same period).
_QUARTER = re.compile(r"^([0-9]{4})-Q([1-4])$")
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^([0-9]{4})$")

BAD_PERIOD = (
    "period {text!r} is not understood: use YYYY-Qn (2026-Q3), YYYY-MM (2026-07), "
    "YYYY (2026), last-quarter or last-month"
)


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period ``[start, end)``; ``label`` is its canonical name."""

    start: dt.datetime
    end: dt.datetime
    label: str

    @property
    def last_day(self) -> dt.date:
        """The last calendar day inside the period."""
        return (self.end - dt.timedelta(days=1)).date()

    @property
    def start_date(self) -> dt.date:
        """The first day of the period."""
        return self.start.date()

    @property
    def end_date(self) -> dt.date:
        """The first day *after* the period (exclusive bound)."""
        return self.end.date()

    def months_back(self, months: int) -> dt.datetime:
        """Midnight starting the calendar month ``months`` before ``end``.

        ``months_back(12)`` is the start of the trailing-12-month window that
        ends with this period.
        """
        return _add_months(self.end, -months)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if _QUARTER.match(self.label):
            return parse_period(_quarter_label(_add_months(self.start, -3)))
        if _MONTH.match(self.label):
            return parse_period(_add_months(self.start, -1).strftime("%Y-%m"))
        return parse_period(str(self.start.year - 1))


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    index = moment.year * 12 + (moment.month - 1) + months
    return moment.replace(year=index // 12, month=index % 12 + 1, day=1)


def _quarter_label(moment: dt.datetime) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def today_shanghai() -> dt.date:
    """Today in Asia/Shanghai, the contract's time zone (periods are judged there)."""
    return dt.datetime.now(ZoneInfo(TIMEZONE)).date()


def parse_period(text: str, today: dt.date | None = None) -> Period:
    """Parse a period name.

    >>> p = parse_period("2026-Q3")
    >>> (p.start.isoformat(), p.end.isoformat(), p.last_day.isoformat())
    ('2026-07-01T00:00:00', '2026-10-01T00:00:00', '2026-09-30')
    >>> parse_period("last-quarter", today=dt.date(2026, 11, 23)).label
    '2026-Q3'
    >>> parse_period("last-month", today=dt.date(2026, 1, 5)).label
    '2025-12'

    Full-width forms (typed with a Chinese input method) are folded to ASCII, so a
    period has one label; digits of other scripts are refused:

    >>> parse_period("２０２６－Ｑ３").label
    '2026-Q3'
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if text in ("last-quarter", "last-month"):
        now = dt.datetime.combine(today or today_shanghai(), dt.time())
        if text == "last-quarter":
            this_quarter = now.replace(month=(now.month - 1) // 3 * 3 + 1, day=1)
            return parse_period(_quarter_label(_add_months(this_quarter, -3)))
        return parse_period(_add_months(now.replace(day=1), -1).strftime("%Y-%m"))
    if m := _QUARTER.match(text):
        start = dt.datetime(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1)
        return Period(start, _add_months(start, 3), text)
    if m := _MONTH.match(text):
        start = dt.datetime(int(m[1]), int(m[2]), 1)
        return Period(start, _add_months(start, 1), text)
    if m := _YEAR.match(text):
        start = dt.datetime(int(m[1]), 1, 1)
        return Period(start, _add_months(start, 12), text)
    raise ValueError(BAD_PERIOD.format(text=text))
