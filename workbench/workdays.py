"""China's official working-day calendar: statutory holidays and make-up workdays (调休).

Plain Monday–Friday with a holiday list is wrong for make-up Saturdays and Sundays,
so the calendar is a table of *every rest day* of each known year, and arithmetic
runs on numpy's business-day functions with a seven-day week mask
(``weekmask="1111111"``): a day is a working day exactly when it is not listed as
a rest day. The official dates come from the maintained ``chinesecalendar``
package (the State Council's notices, 2004 onwards); a year it does not know yet
can be added from a small YAML file as soon as the notice is published::

    year: 2027
    holidays: [2027-01-01, 2027-02-06, ...]   # statutory rest days on weekdays or weekends
    workdays: [2027-02-14, ...]               # make-up workdays on weekends

The file is read the one way every workbench config is read
(:func:`workbench.config.read_yaml` and :class:`workbench.config.Reader`), so a bad
one fails naming the file and the key (``calendar file 2027.yaml: holidays[3]: …``).
Any date in a year the calendar does not know raises :class:`CalendarError`
instead of silently being treated as a plain Monday–Friday year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from workbench.config import ConfigError, Reader, read_yaml

UNKNOWN_YEARS = (
    "the working-day calendar does not know the year(s) {years} (it knows {first}–{last}); "
    "add the State Council's holiday notice for them with a calendar file (see workbench.workdays)"
)
WHAT = "calendar"
WEEKMASK = "1111111"


class CalendarError(ConfigError):
    """A date outside the known years, or a malformed calendar extension file."""


def _as_days(values: Iterable[dt.date] | np.ndarray | pl.Series) -> np.ndarray:
    if isinstance(values, pl.Series):
        return values.cast(pl.Date).to_numpy().astype("datetime64[D]")
    return np.asarray(values, dtype="datetime64[D]")


@dataclass(frozen=True)
class WorkCalendar:
    """Rest days of the known years; working days are all other days of those years."""

    rest_days: np.ndarray  # sorted datetime64[D]
    years: frozenset[int]
    sources: tuple[str, ...] = field(default=())

    # ------------------------------------------------------------- construction
    @classmethod
    def official(cls, extra: Iterable[str | Path] = ()) -> WorkCalendar:
        """The official calendar from ``chinesecalendar``, plus extension files."""
        import chinese_calendar as cc

        years = sorted({d.year for d in cc.holidays})
        holidays = set(cc.holidays)
        makeup = set(cc.workdays)
        cal = cls._build(years, holidays, makeup, ("chinesecalendar",))
        for path in extra:
            cal = cal.extended(path)
        return cal

    @classmethod
    def _build(
        cls, years: Iterable[int], holidays: set[dt.date], makeup: set[dt.date],
        sources: tuple[str, ...],
    ) -> WorkCalendar:
        rest: list[dt.date] = []
        for year in years:
            day = dt.date(year, 1, 1)
            while day.year == year:
                weekend = day.weekday() >= 5
                if day in holidays or (weekend and day not in makeup):
                    rest.append(day)
                day += dt.timedelta(days=1)
        return cls(np.array(sorted(rest), dtype="datetime64[D]"), frozenset(years), sources)

    def extended(self, path: str | Path) -> WorkCalendar:
        """A copy of this calendar plus one year from a YAML file (replaces that year if known)."""
        doc, where = read_yaml(path, what=WHAT, error=CalendarError)
        r = Reader(WHAT, where, CalendarError)
        data = r.mapping(doc, required=("year",), optional=("holidays", "workdays"))
        year = r.integer(data, "year", minimum=1)

        def days(name: str) -> set[dt.date]:
            items = r.list(data.get(name) or [], name)
            out = {r.date(items, i, name) for i in range(len(items))}
            wrong = sorted(d.isoformat() for d in out if d.year != year)
            if wrong:
                raise r.fail(name, f"dates outside {year}: {wrong[:5]}")
            return out

        holidays, makeup = days("holidays"), days("workdays")
        weekday_makeup = sorted(d.isoformat() for d in makeup if d.weekday() < 5)
        if weekday_makeup:
            raise r.fail("workdays", f"make-up workdays must be weekends: {weekday_makeup[:5]}")
        added = self._build([year], holidays, makeup, ())
        keep = self.rest_days[self.rest_days.astype("datetime64[Y]").astype(int) + 1970 != year]
        return WorkCalendar(
            np.sort(np.concatenate([keep, added.rest_days])),
            self.years | {year},
            self.sources + (str(path),),
        )

    # ---------------------------------------------------------------- checks
    @property
    def first_year(self) -> int:
        """The earliest known year."""
        return min(self.years)

    @property
    def last_year(self) -> int:
        """The latest known year."""
        return max(self.years)

    def check(self, days: np.ndarray) -> None:
        """Raise :class:`CalendarError` if any (non-NaT) day is in an unknown year."""
        valid = days[~np.isnat(days)]
        if valid.size == 0:
            return
        years = np.unique(valid.astype("datetime64[Y]").astype(int) + 1970)
        unknown = sorted(int(y) for y in years if int(y) not in self.years)
        if unknown:
            raise CalendarError(
                UNKNOWN_YEARS.format(years=unknown, first=self.first_year, last=self.last_year)
            )

    # ------------------------------------------------------------ arithmetic
    def is_workday(self, days: Iterable[dt.date] | np.ndarray | pl.Series) -> np.ndarray:
        """Whether each day is an official working day (make-up weekends included)."""
        d = _as_days(days)
        self.check(d)
        first = np.busday_offset(d, 0, roll="forward", weekmask=WEEKMASK, holidays=self.rest_days)
        return first == d

    def add_workdays(
        self, days: Iterable[dt.date] | np.ndarray | pl.Series, n: int | np.ndarray
    ) -> np.ndarray:
        """The ``n``-th working day after each day, the day itself not counted.

        This is the acceptance deadline rule ("within 7 working days, the day of
        receipt not counted"): a complaint received on a rest day has its first
        working day after it as day 1.
        """
        d = _as_days(days)
        self.check(d)
        out = np.busday_offset(d, n, roll="backward", weekmask=WEEKMASK, holidays=self.rest_days)
        self.check(out)
        return out

    def workdays_between(
        self,
        start: Iterable[dt.date] | np.ndarray | pl.Series,
        end: Iterable[dt.date] | np.ndarray | pl.Series,
    ) -> np.ndarray:
        """Working days in ``(start, end]`` — after the start day, up to and including end."""
        s, e = _as_days(start), _as_days(end)
        self.check(s)
        self.check(e)
        return np.busday_count(s + 1, e + 1, weekmask=WEEKMASK, holidays=self.rest_days)

    def table(self) -> pl.DataFrame:
        """Every day of the known years with ``is_workday`` (for joins and display)."""
        days = np.arange(
            np.datetime64(f"{self.first_year}-01-01"), np.datetime64(f"{self.last_year + 1}-01-01")
        )
        in_known = np.isin(days.astype("datetime64[Y]").astype(int) + 1970, list(self.years))
        days = days[in_known]
        rest = np.isin(days, self.rest_days)
        return pl.DataFrame({"date": days, "is_workday": ~rest}).with_columns(
            pl.col("date").cast(pl.Date)
        )
