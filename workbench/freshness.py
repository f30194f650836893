"""Only ended, fresh periods are reported (contract v1.1 "Freshness").

A report is evidence for a period: a quarter that has not ended yet, or a source
that stopped refreshing before the period's end, would publish a plausible but
wrong report into the permanent chain (the cron job of the next quarter then
refuses with "already exists"). :func:`check_ended` refuses a period that has not
ended in Asia/Shanghai; :func:`stale_tables` names every table an analysis reads
whose latest row is too old for the period, with the dates.

Which table proves that a source reaches the end of P, per analysis (the tables
the contract names): ``orders`` (``ordered_at``) for tiering and pricing,
``complaints`` (``received_at``) for SLA, ``registry_snapshots``
(``snapshot_date``, the latest extract) for credit. Tolerances are parameters:
``tolerance_days`` (7) for orders and complaints, ``registry_days`` (31) for the
registry extract.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import polars as pl

from workbench.contract import TIMEZONE
from workbench.periods import Period

#: table -> (date column, analyses that need it fresh, which tolerance applies).
FRESHNESS_TABLES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "orders": ("ordered_at", ("tiering", "pricing"), "tolerance_days"),
    "complaints": ("received_at", ("sla",), "tolerance_days"),
    "registry_snapshots": ("snapshot_date", ("credit",), "registry_days"),
}
DEFAULT_TOLERANCE_DAYS = 7
DEFAULT_REGISTRY_DAYS = 31


class FreshnessError(ValueError):
    """The period has not ended, or the source does not reach it."""


def now_shanghai() -> dt.datetime:
    """The wall clock in Asia/Shanghai, naive (periods are naive Shanghai times)."""
    return dt.datetime.now(ZoneInfo(TIMEZONE)).replace(tzinfo=None)


def check_ended(period: Period, now: dt.datetime | None = None) -> None:
    """Raise :class:`FreshnessError` unless ``period`` has ended in Asia/Shanghai.

    >>> from workbench.periods import parse_period
    >>> check_ended(parse_period("2026-Q3"), now=dt.datetime(2026, 10, 1, 0, 0))
    >>> try:
    ...     check_ended(parse_period("2026-Q4"), now=dt.datetime(2026, 12, 2, 9, 30))
    ... except FreshnessError as exc:
    ...     print(str(exc)[:78])
    period 2026-Q4 has not ended: it ends 2027-01-01 00:00 Asia/Shanghai and it is
    """
    now = now or now_shanghai()
    if now < period.end:
        raise FreshnessError(
            f"period {period.label} has not ended: it ends {period.end:%Y-%m-%d %H:%M} "
            f"{TIMEZONE} and it is now {now:%Y-%m-%d %H:%M} there; a report is only made "
            'for an ended period (contract v1.1 "Freshness")')


@dataclass(frozen=True)
class Stale:
    """One table that does not reach the period's end."""

    table: str
    column: str
    latest: dt.date | None
    needed: dt.date

    def __str__(self) -> str:
        seen = ("has no rows" if self.latest is None
                else f"ends {self.latest} (latest {self.column})")
        return f"table {self.table} {seen}; the period needs rows up to at least {self.needed}"


def stale_tables(frames: Mapping[str, pl.LazyFrame], period: Period,
                 analyses: Iterable[str], *, tolerance_days: int = DEFAULT_TOLERANCE_DAYS,
                 registry_days: int = DEFAULT_REGISTRY_DAYS) -> list[Stale]:
    """The tables the chosen ``analyses`` need fresh whose latest row is earlier than
    the end of ``period`` less the table's tolerance (empty: the source is fresh).
    """
    chosen = set(analyses)
    days = {"tolerance_days": tolerance_days, "registry_days": registry_days}
    out = []
    for table, (column, users, tolerance) in FRESHNESS_TABLES.items():
        if not chosen & set(users) or table not in frames:
            continue
        latest = frames[table].select(pl.col(column).max()).collect().item()
        if isinstance(latest, dt.datetime):
            latest = latest.date()
        needed = (period.end - dt.timedelta(days=days[tolerance])).date()
        if latest is None or latest < needed:
            out.append(Stale(table, column, latest, needed))
    return out


def check_fresh(frames: Mapping[str, pl.LazyFrame], period: Period, analyses: Iterable[str],
                **tolerances: int) -> None:
    """Raise :class:`FreshnessError` naming every stale table (:func:`stale_tables`)."""
    stale = stale_tables(frames, period, analyses, **tolerances)
    if stale:
        raise FreshnessError(
            f"the source is not fresh for {period.label}, nothing was run: "
            + "; ".join(str(s) for s in stale)
            + ' (contract v1.1 "Freshness"; a source that stopped refreshing would give a '
            "plausible but wrong report)")


#: How far back ``latest`` looks for a fresh quarter (20 years).
_LATEST_QUARTERS = 80


def latest_period(frames: Mapping[str, pl.LazyFrame], analyses: Iterable[str], *,
                  now: dt.datetime | None = None, **tolerances: int) -> Period:
    """The latest ended quarter the source is fresh for (``--period latest``).

    ``last-quarter`` is right for a schedule on live data; a fixed extract (the
    committed sample, an archive) would be asked by it, from January on, for a
    quarter it does not cover. ``latest`` steps back from the last ended quarter
    to the first one every table the ``analyses`` need reaches.
    """
    from workbench.periods import parse_period

    chosen = list(analyses)
    now = now or now_shanghai()
    p = parse_period("last-quarter", today=now.date())
    for _ in range(_LATEST_QUARTERS):
        if not stale_tables(frames, p, chosen, **tolerances):
            return p
        p = p.previous()
    raise FreshnessError(
        f"the source is not fresh for any quarter of the last {_LATEST_QUARTERS // 4} years")
