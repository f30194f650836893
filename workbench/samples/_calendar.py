"""China's official working-day calendar as arrays, for vectorised deadline arithmetic.

The acceptance SLA counts working days on the State Council calendar, with its
make-up workdays (调休). ``chinese_calendar`` answers one date at a time, so the
range the samples touch is tabulated once; years it does not know yet fall back
to Monday–Friday.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np

CAL_START = dt.date(2016, 1, 1)
CAL_END = dt.date(2027, 12, 31)


@lru_cache(maxsize=1)
def workday_table() -> tuple[np.ndarray, np.ndarray]:
    """(is_workday, cumulative workday count) indexed by days since CAL_START."""
    import chinese_calendar

    n = (CAL_END - CAL_START).days + 1
    work = np.zeros(n, dtype=bool)
    for i in range(n):
        d = CAL_START + dt.timedelta(days=i)
        try:
            work[i] = chinese_calendar.is_workday(d)
        except NotImplementedError:
            work[i] = d.weekday() < 5
    return work, np.cumsum(work)


def day_index(days: np.ndarray) -> np.ndarray:
    """datetime64[D] → index into the workday table."""
    return (days.astype("datetime64[D]") - np.datetime64(CAL_START, "D")).astype(np.int64)


def nth_workday_after(days: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """The n-th official working day strictly after each date (the date itself not counted)."""
    work, cum = workday_table()
    idx = day_index(days)
    target = cum[idx] + np.asarray(n)
    pos = np.searchsorted(cum, target, side="left")
    return np.datetime64(CAL_START, "D") + pos.astype("timedelta64[D]")


def nth_weekday_after(days: np.ndarray, n: int, holidays_known: bool) -> np.ndarray:
    """The same count on a naive calendar: Monday–Friday, optionally minus official holidays.

    Used only to construct near-misses that a naive calendar gets wrong.
    """
    work, _ = workday_table()
    base = np.datetime64(CAL_START, "D")
    total = (CAL_END - CAL_START).days + 1
    weekday = ((np.arange(total) + CAL_START.weekday()) % 7) < 5
    naive = weekday.copy()
    if holidays_known:
        naive &= ~(weekday & ~work)  # drop official holidays, ignore make-up days
    cum = np.cumsum(naive)
    idx = day_index(days)
    pos = np.searchsorted(cum, cum[idx] + n, side="left")
    return base + pos.astype("timedelta64[D]")
