"""Registry facts per enterprise as of a moment: what the three registry rules read.

Everything is judged "as of" an exclusive bound ``end`` (the first day after the
period, e.g. ``2026-10-01`` for ``2026-Q3``): only extracts dated before ``end``
and events dated before ``end`` are read, so later rows in a source never leak in
(the contract's no-look-ahead rule).

* **Extract.** Each enterprise's latest ``registry_snapshots`` row dated before
  ``end`` ("the latest extract at or before the end of P"), and the one before it
  for the same uscc (``registry_change``).
* **List membership** (abnormal-operation list, serious-illegal list) at a date is
  decided by the latest ``*_in`` / ``*_out`` event on or before that date (ties on
  one date: the later row of the source). The rules use membership *at the
  extract date*, as the contract defines knock-out and change "at the extract";
  ``abnormal_days`` counts every day on the abnormal list up to the end of P.
* **Annual report** (《企业信息公示暂行条例》 art. 8): after 30 June of year Y the
  report for Y−1 must be filed. At the end of P (the last day of P, 24:00) the
  required year is Y−1 when that last day is 30 June or later, else Y−2. An
  ``active`` enterprise whose ``last_annual_report_year`` is null or earlier is
  overdue; other statuses are not asked to file.
* **Counts** of admin penalties (and their sum), failed spot checks, equity
  pledges, chattel mortgages and lawsuits cover the ``lookback_months`` (36)
  calendar months ending with P.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from workbench.analysis import as_period
from workbench.periods import Period

KNOCKOUT_STATUSES: tuple[str, ...] = ("revoked", "cancelled")
#: Statuses that are not knock-outs but lower the grade (see the credit policy).
WEAK_STATUSES: tuple[str, ...] = ("suspended", "moved_out")
LISTS: dict[str, tuple[str, str]] = {
    "abnormal": ("abnormal_list_in", "abnormal_list_out"),
    "serious_illegal": ("serious_illegal_in", "serious_illegal_out"),
}
COUNTED_EVENTS: dict[str, str] = {
    "admin_penalty": "penalties",
    "spot_check_fail": "spot_check_fails",
    "equity_pledge": "equity_pledges",
    "chattel_mortgage": "chattel_mortgages",
    "lawsuit": "lawsuits",
}


def as_end_date(moment: Period | dt.date | dt.datetime) -> dt.date:
    """The exclusive date bound of ``moment``: a period's end (first day after it),
    a datetime's date if it is midnight (else the next day), a date as given.

    >>> from workbench.periods import parse_period
    >>> as_end_date(parse_period("2026-Q3"))
    datetime.date(2026, 10, 1)
    """
    if isinstance(moment, Period):
        moment = moment.end
    if isinstance(moment, dt.datetime):
        day = moment.date()
        return day if moment.time() == dt.time() else day + dt.timedelta(days=1)
    return moment


def required_report_year(end: dt.date) -> int:
    """The latest annual-report year that must be filed at the bound ``end``.

    >>> required_report_year(dt.date(2026, 7, 1)), required_report_year(dt.date(2026, 6, 30))
    (2025, 2024)
    """
    last_day = end - dt.timedelta(days=1)
    return last_day.year - 1 if last_day >= dt.date(last_day.year, 6, 30) else last_day.year - 2


def extracts(snapshots: pl.LazyFrame, end: dt.date) -> pl.LazyFrame:
    """Every enterprise's latest extract before ``end`` and the one before it.

    One row per uscc; the previous extract's ``status`` and date are suffixed
    ``_before`` (null when there is only one).
    """
    ranked = snapshots.filter(pl.col("snapshot_date") < end).with_columns(
        pl.col("snapshot_date").rank("ordinal", descending=True).over("uscc").alias("_rank")
    )
    latest = ranked.filter(pl.col("_rank") == 1).drop("_rank")
    before = ranked.filter(pl.col("_rank") == 2).select(
        "uscc",
        pl.col("snapshot_date").alias("snapshot_date_before"),
        pl.col("status").alias("status_before"),
    )
    return latest.join(before, on="uscc", how="left")


#: Statutory listing reasons (企业经营异常名录管理办法 art. 8; 严重违法失信名单管理办法),
#: each recognised by keywords in the registry's free-text reason.
STATUTORY_REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("年度报告", "年报"), "未按照规定期限公示年度报告"),
    (("责令",), "未在责令期限内公示有关企业信息"),
    (("隐瞒", "弄虚作假"), "公示企业信息隐瞒真实情况、弄虚作假"),
    (("无法联系",), "通过登记的住所或者经营场所无法联系"),
    (("届满3年", "届满三年"), "列入经营异常名录届满3年仍未履行相关义务"),
    (("虚假材料",), "提交虚假材料取得登记"),
)
OTHER_REASON = "其他（详见国家企业信用信息公示系统）"


def statutory_reason(reason: pl.Expr) -> pl.Expr:
    """The statutory category of a free-text listing reason, never the text itself.

    Registry reasons are free text and may carry names, phone numbers or addresses;
    evidence and exports cite the statutory reason they fall under instead.

    >>> reasons = pl.DataFrame(
    ...     {"r": ["因未按照规定期限公示年度报告被列入", "张三 13812345678", None]})
    >>> reasons.select(statutory_reason(pl.col("r")).alias("r"))["r"].to_list()
    ['未按照规定期限公示年度报告', '其他（详见国家企业信用信息公示系统）', None]
    """
    expr = pl.when(reason.is_null()).then(pl.lit(None, pl.String))  # named after the first branch
    for keywords, label in STATUTORY_REASONS:
        hit = pl.any_horizontal([reason.str.contains(k, literal=True) for k in keywords])
        expr = expr.when(hit).then(pl.lit(label))
    return expr.otherwise(pl.lit(OTHER_REASON))


def list_membership(events: pl.LazyFrame, at: pl.LazyFrame, date_col: str) -> pl.LazyFrame:
    """Abnormal and serious-illegal list membership of each ``(uscc, date_col)`` row of
    ``at``, on that date inclusive: the latest in/out event decides.

    Adds ``<list>`` (bool), ``<list>_since`` (date of the deciding ``_in`` event)
    and ``<list>_reason`` for ``abnormal`` and ``serious_illegal``.
    """
    ev = events.with_row_index("_row")
    out = at
    keys = at.select("uscc", date_col).unique()
    for name, (ins, outs) in LISTS.items():
        last = (
            keys.join(ev.filter(pl.col("event_type").is_in([ins, outs])), on="uscc", how="inner")
            .filter(pl.col("event_date") <= pl.col(date_col))
            .sort("event_date", "_row")
            .group_by("uscc", date_col)
            .agg(
                (pl.col("event_type").last() == ins).alias(name),
                pl.col("event_date").last().alias(f"{name}_since"),
                statutory_reason(pl.col("reason")).last().alias(f"{name}_reason"),
            )
            .with_columns(
                pl.when(pl.col(name)).then(pl.col(f"{name}_since")).alias(f"{name}_since"),
                pl.when(pl.col(name)).then(pl.col(f"{name}_reason")).alias(f"{name}_reason"),
            )
        )
        out = out.join(last, on=["uscc", date_col], how="left").with_columns(
            pl.col(name).fill_null(False)
        )
    return out


def _abnormal_history(events: pl.LazyFrame, end: dt.date) -> pl.LazyFrame:
    """Days on the abnormal list up to ``end`` and every reason it was listed for."""
    ins, outs = LISTS["abnormal"]
    ev = (
        events.with_row_index("_row")
        .filter(pl.col("event_type").is_in([ins, outs]) & (pl.col("event_date") < end))
        .sort("uscc", "event_date", "_row")
        .with_columns(
            pl.col("event_date").shift(-1).over("uscc").fill_null(end).alias("_next"),
        )
    )
    return ev.group_by("uscc").agg(
        pl.when(pl.col("event_type") == ins)
        .then((pl.col("_next") - pl.col("event_date")).dt.total_days())
        .otherwise(0)
        .sum()
        .cast(pl.Int64)
        .alias("abnormal_days"),
        (pl.col("event_type") == ins).sum().cast(pl.Int64).alias("abnormal_listings"),
        statutory_reason(pl.col("reason"))
        .filter((pl.col("event_type") == ins) & pl.col("reason").is_not_null())
        .unique(maintain_order=True)
        .alias("abnormal_reasons"),
    )


def months_before(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` calendar months before ``day``'s month
    (``day`` is a month start in practice: a period's end).

    >>> months_before(dt.date(2026, 10, 1), 36)
    datetime.date(2023, 10, 1)
    """
    index = day.year * 12 + (day.month - 1) - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _event_counts(events: pl.LazyFrame, end: dt.date, lookback_months: int) -> pl.LazyFrame:
    start = months_before(end, lookback_months)
    window = events.filter((pl.col("event_date") >= start) & (pl.col("event_date") < end))
    suffix = f"_{lookback_months}m"
    exprs: list[pl.Expr] = []
    for etype, name in COUNTED_EVENTS.items():
        is_it = pl.col("event_type") == etype
        exprs.append(is_it.sum().cast(pl.Int64).alias(name + suffix))
    exprs += [
        pl.col("amount_cny")
        .filter(pl.col("event_type") == "admin_penalty")
        .sum()
        .alias("penalty_amount_cny" + suffix),
        pl.col("amount_cny")
        .filter(pl.col("event_type") == "lawsuit")
        .sum()
        .alias("lawsuit_amount_cny" + suffix),
    ]
    return window.group_by("uscc").agg(exprs)


def registry_facts(
    snapshots: pl.LazyFrame,
    events: pl.LazyFrame,
    usccs: pl.Series | list[str],
    end: Period | dt.date | dt.datetime,
    *,
    lookback_months: int = 36,
) -> pl.DataFrame:
    """Registry facts of each uscc in ``usccs`` as of ``end`` (exclusive bound).

    One row per distinct uscc; ``in_registry`` is false (and the extract columns
    null) when no extract before ``end`` names it. Columns include ``status``,
    ``years_established``, ``registered_capital_cny``, ``last_annual_report_year``,
    ``annual_report_required_year``, ``annual_report_overdue``, ``abnormal`` and
    ``serious_illegal`` (membership at the extract date) with ``_since`` and
    ``_reason``, ``abnormal_days`` (up to ``end``), ``abnormal_reasons``, the
    ``*_36m`` event counts, the previous extract's ``status_before``,
    ``abnormal_before``, ``serious_illegal_before``, and the rule flags
    ``knockout``, ``registry_change``.
    """
    end_d = as_end_date(end)
    required = required_report_year(end_d)
    base = pl.LazyFrame({"uscc": pl.Series(list(usccs), dtype=pl.String)}).unique().drop_nulls()
    ex = extracts(snapshots, end_d)
    now = list_membership(events, ex.select("uscc", "snapshot_date"), "snapshot_date")
    before = list_membership(
        events,
        ex.filter(pl.col("snapshot_date_before").is_not_null()).select(
            "uscc", "snapshot_date_before"
        ),
        "snapshot_date_before",
    ).select(
        "uscc",
        pl.col("abnormal").alias("abnormal_before"),
        pl.col("serious_illegal").alias("serious_illegal_before"),
    )
    suffix = f"_{lookback_months}m"
    counts = _event_counts(events, end_d, lookback_months)
    count_cols = [name + suffix for name in COUNTED_EVENTS.values()]
    amount_cols = ["penalty_amount_cny" + suffix, "lawsuit_amount_cny" + suffix]
    last_day = end_d - dt.timedelta(days=1)
    df = (
        base.join(ex, on="uscc", how="left")
        .join(now.drop("snapshot_date"), on="uscc", how="left")
        .join(before, on="uscc", how="left")
        .join(_abnormal_history(events, end_d), on="uscc", how="left")
        .join(counts, on="uscc", how="left")
        .with_columns(
            pl.col("snapshot_date").is_not_null().alias("in_registry"),
            ((pl.lit(last_day) - pl.col("established_date")).dt.total_days() / 365.25).alias(
                "years_established"
            ),
            pl.lit(required, pl.Int64).alias("annual_report_required_year"),
            *(pl.col(c).fill_null(0) for c in count_cols),
            *(pl.col(c).fill_null(0.0) for c in amount_cols),
            pl.col("abnormal_days").fill_null(0),
            pl.col("abnormal_listings").fill_null(0),
            pl.col("abnormal_reasons").fill_null([]),
            pl.col("abnormal").fill_null(False),
            pl.col("serious_illegal").fill_null(False),
        )
        .with_columns(
            (
                (pl.col("status") == "active")
                & (
                    pl.col("last_annual_report_year").is_null()
                    | (pl.col("last_annual_report_year") < required)
                )
            )
            .fill_null(False)
            .alias("annual_report_overdue"),
            (pl.col("status").is_in(KNOCKOUT_STATUSES) | pl.col("serious_illegal"))
            .fill_null(False)
            .alias("knockout"),
            (
                pl.col("snapshot_date_before").is_not_null()
                & (
                    (pl.col("status") != pl.col("status_before"))
                    | (pl.col("abnormal") != pl.col("abnormal_before"))
                    | (pl.col("serious_illegal") != pl.col("serious_illegal_before"))
                )
            )
            .fill_null(False)
            .alias("registry_change"),
        )
        .sort("uscc")
    )
    return df.collect()


def registry_status_counts(
    frames: Mapping[str, pl.LazyFrame], period: Period | str
) -> pl.DataFrame:
    """Enterprises by registry status at each one's latest extract on or before the
    end of ``period``. Columns ``status``, ``enterprises``.
    """
    end = as_period(period).end.date()
    return (
        frames["registry_snapshots"]
        .filter(pl.col("snapshot_date") < end)
        .sort("snapshot_date")
        .group_by("uscc")
        .last()
        .group_by("status")
        .agg(pl.len().alias("enterprises"))
        .sort("status")
        .collect()
    )
