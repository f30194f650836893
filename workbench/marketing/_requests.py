"""Privacy requests: the handling limits as versioned data, and the clock of each request.

The package ships ``privacy_policy.yaml`` (15 working days for every kind of
request, from PIPL's entry into force); a request is judged by the version in
force on the day it was received. Per-kind limits and calendar-day clocks are
possible in a file of the same shape (``policy_path``). Errors name the file and
the key, the way every workbench config is read (:class:`workbench.config.Reader`).

Which requests a period judges (no request is judged twice, none is never judged):
those received in P, and those received earlier that were still open at the start
of P with a deadline after it. At the end of P a request is ``met`` (completed
before its deadline), ``overdue`` (completed at or after it, or still open with the
deadline passed) or ``running`` (open, deadline not passed: censored, not a
breach). A completion after the end of P is not known at the end of P (no
look-ahead). An overdue request is therefore reported in the period its deadline
falls in.

>>> policy = load_policy()
>>> v = policy.versions[0]
>>> (v.version, v.clock, v.limit_for("delete"))
('2021.1', 'working_days', 15)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from workbench.config import ConfigError, Reader, read_yaml
from workbench.contract import enum_codes
from workbench.periods import Period
from workbench.workdays import WorkCalendar

__all__ = [
    "DEFAULT_POLICY_PATH",
    "JUDGED_SCHEMA",
    "PLACEHOLDER_REASONS",
    "PrivacyPolicy",
    "PrivacyPolicyError",
    "judge_requests",
    "load_policy",
    "policy_table",
    "refusals",
]

DEFAULT_POLICY_PATH = Path(__file__).with_name("privacy_policy.yaml")
WHAT = "privacy request policy"
CLOCKS = ("working_days", "calendar_days")
MSG_NOT_IN_FORCE = (
    "privacy request policy {path}: no version is in force for {n} request(s) received "
    "before {first} (the earliest effective_from), e.g. {examples}"
)
#: A refusal "reason" that states none (PIPL art. 50 asks for the reasons): compared
#: after trimming spaces and punctuation, case-insensitively.
PLACEHOLDER_REASONS: tuple[str, ...] = (
    "无", "空", "暂无", "其他", "其它", "不予处理", "拒绝", "na", "n/a", "none", "null", "-",
)
_DAY = dt.timedelta(days=1)
_TS = pl.Datetime("us")
#: The columns of :func:`judge_requests`.
JUDGED_SCHEMA: dict[str, pl.DataType] = {
    "request_id": pl.String(), "subsidiary_id": pl.String(), "kind": pl.String(),
    "received_at": _TS, "completed_at": _TS, "deadline_at": _TS, "clock": pl.String(),
    "limit": pl.Int64(), "policy_version": pl.String(), "state": pl.String(),
    "elapsed": pl.Int64(), "overrun": pl.Int64(), "received_in_period": pl.Boolean(),
}


class PrivacyPolicyError(ConfigError):
    """A policy file that does not follow the schema, or a request no version covers."""


@dataclass(frozen=True)
class PolicyVersion:
    """The limits in force from ``effective_from`` until the next version."""

    version: str
    effective_from: dt.date
    legal_basis: str
    clock: str
    limits: Mapping[str, int]

    def limit_for(self, kind: str) -> int:
        """The limit (clock units) for a request kind."""
        return int(self.limits[kind])


@dataclass(frozen=True)
class PrivacyPolicy:
    """All versions, sorted by ``effective_from``."""

    name: str
    source: str
    versions: tuple[PolicyVersion, ...]


def _version(r: Reader, value: Any, key: str, kinds: list[str]) -> PolicyVersion:
    data = r.mapping(value, key, required=("version", "effective_from", "legal_basis", "clock",
                                           "limits"), optional=())
    limits_doc = r.mapping(data["limits"], f"{key}.limits", optional=(*kinds, "default"))
    limits = {k: r.integer(limits_doc, k, f"{key}.limits", minimum=1) for k in limits_doc}
    default = limits.pop("default", None)
    missing = [k for k in kinds if k not in limits and default is None]
    if missing:
        raise r.fail(f"{key}.limits", f"no limit for kind(s) {missing} (give them or a "
                     "'default')")
    return PolicyVersion(
        version=r.string(data, "version", key),
        effective_from=r.date(data, "effective_from", key),
        legal_basis=" ".join(r.string(data, "legal_basis", key).split()),
        clock=r.choice(data, "clock", CLOCKS, key),
        limits={k: limits.get(k, default) for k in kinds},  # type: ignore[misc]
    )


def load_policy(path: str | Path | None = None) -> PrivacyPolicy:
    """Read and check a privacy request policy (the packaged one when ``path`` is empty).

    Raises :class:`PrivacyPolicyError` naming the file, the key and the problem.
    """
    doc, where = read_yaml(path, what=WHAT, package="workbench.marketing",
                           default_name=DEFAULT_POLICY_PATH.name, error=PrivacyPolicyError)
    r = Reader(WHAT, where, PrivacyPolicyError)
    data = r.mapping(doc, required=("schema_version", "policy", "versions"), optional=())
    if data["schema_version"] != 1:
        raise r.fail("schema_version", f"{data['schema_version']!r} is not supported "
                     "(expected 1)")
    kinds = enum_codes("privacy_kind")
    raw = r.list(data["versions"], "versions", min_len=1)
    versions = [_version(r, v, f"versions[{i}]", kinds) for i, v in enumerate(raw)]
    for i, v in enumerate(versions):
        if any(w.effective_from == v.effective_from for w in versions[:i]):
            raise r.fail(f"versions[{i}].effective_from",
                         f"effective_from {v.effective_from} is used by more than one version")
        if any(w.version == v.version for w in versions[:i]):
            raise r.fail(f"versions[{i}].version", f"version {v.version!r} is used more than once")
    ordered = tuple(sorted(versions, key=lambda v: v.effective_from))
    return PrivacyPolicy(r.string(data, "policy"), where, ordered)


def policy_table(policy: PrivacyPolicy) -> pl.DataFrame:
    """One row per version and kind: the limits as the report shows them."""
    return pl.DataFrame(
        [{"version": v.version, "effective_from": v.effective_from, "kind": k,
          "clock": v.clock, "limit": n} for v in policy.versions for k, n in v.limits.items()],
        schema={"version": pl.String, "effective_from": pl.Date, "kind": pl.String,
                "clock": pl.String, "limit": pl.Int64},
    )


# ------------------------------------------------------------------ clocks
def _limits(policy: PrivacyPolicy) -> pl.DataFrame:
    return pl.DataFrame(
        [(v.version, v.effective_from, v.clock, k, n)
         for v in policy.versions for k, n in v.limits.items()],
        schema={"policy_version": pl.String, "effective_from": pl.Date, "clock": pl.String,
                "kind": pl.String, "limit": pl.Int64},
        orient="row",
    )


def _with_versions(df: pl.DataFrame, policy: PrivacyPolicy) -> pl.DataFrame:
    """Each request with the version in force on its receipt day, its clock and limit."""
    versions = pl.DataFrame({"effective_from": [v.effective_from for v in policy.versions],
                             "policy_version": [v.version for v in policy.versions]},
                            schema={"effective_from": pl.Date, "policy_version": pl.String})
    out = (df.with_columns(_rday=pl.col("received_at").dt.date()).sort("_rday")
           .join_asof(versions, left_on="_rday", right_on="effective_from", strategy="backward")
           .drop("effective_from"))
    orphans = out.filter(pl.col("policy_version").is_null())
    if orphans.height:
        raise PrivacyPolicyError(MSG_NOT_IN_FORCE.format(
            path=policy.source, n=orphans.height,
            first=policy.versions[0].effective_from.isoformat(),
            examples=orphans["request_id"].head(5).to_list()))
    return out.join(_limits(policy).drop("effective_from"), on=["policy_version", "kind"],
                    how="left")


def _deadlines(df: pl.DataFrame, calendar: WorkCalendar) -> pl.DataFrame:
    """``_dday``: the last day to complete (on the unique receipt day × limit pairs)."""
    pairs = df.select("_rday", "limit", "clock").unique()
    working = pairs["clock"].to_numpy() == "working_days"
    days = pairs["_rday"].to_numpy().astype("datetime64[D]")
    limits = pairs["limit"].to_numpy()
    out = days + limits.astype("timedelta64[D]")
    if working.any():
        out[working] = calendar.add_workdays(days[working], limits[working])
    pairs = pairs.with_columns(_dday=pl.Series(out.astype("datetime64[D]")).cast(pl.Date))
    return df.join(pairs, on=["_rday", "limit", "clock"], how="left")


def _counted(df: pl.DataFrame, calendar: WorkCalendar, start: str, end: str) -> np.ndarray:
    """Days on the request's clock in ``(start, end]`` (0 when end is not after start)."""
    s = df[start].to_numpy().astype("datetime64[D]")
    e = df[end].to_numpy().astype("datetime64[D]")
    out = np.zeros(len(s), dtype=np.int64)
    later = e > s
    working = df["clock"].to_numpy() == "working_days"
    if (later & working).any():
        m = later & working
        out[m] = calendar.workdays_between(s[m], e[m])
    m = later & ~working
    out[m] = (e[m] - s[m]).astype(np.int64)
    return out


def judge_requests(requests: pl.LazyFrame, period: Period, *, policy: PrivacyPolicy,
                   calendar: WorkCalendar) -> pl.DataFrame:
    """The requests period ``period`` judges, each ``met``, ``overdue`` or ``running``.

    Columns: ``request_id``, ``subsidiary_id``, ``kind``, ``received_at``,
    ``completed_at`` (as known at the end of P), ``deadline_at`` (the moment the
    limit passes: midnight after the last day), ``clock``, ``limit``,
    ``policy_version``, ``state``, ``elapsed`` (clock days from the receipt day to the
    completion day or the last day of P), ``overrun`` (clock days past the last
    day, overdue only), ``received_in_period``.
    """
    end, start = period.end, period.start
    known = pl.when(pl.col("completed_at") < end).then(pl.col("completed_at"))
    df = (requests.filter(pl.col("received_at") < end)
          .select("request_id", "subsidiary_id", "kind", "received_at",
                  known.alias("completed_at"))
          .filter((pl.col("received_at") >= start) | pl.col("completed_at").is_null()
                  | (pl.col("completed_at") >= start))
          .collect())
    if df.height == 0:
        return pl.DataFrame(schema=JUDGED_SCHEMA)
    df = _deadlines(_with_versions(df, policy), calendar)
    df = df.with_columns(
        deadline_at=pl.col("_dday").cast(pl.Datetime("us")) + _DAY,
        _eday=pl.coalesce(pl.col("completed_at").dt.date(), pl.lit(period.last_day)),
    )
    df = df.filter((pl.col("received_at") >= start) | (pl.col("deadline_at") > start))
    done = pl.col("completed_at").is_not_null()
    state = (pl.when(done & (pl.col("completed_at") < pl.col("deadline_at"))).then(pl.lit("met"))
             .when(done | (pl.col("deadline_at") <= end)).then(pl.lit("overdue"))
             .otherwise(pl.lit("running")))
    df = df.with_columns(state=state)
    df = df.with_columns(
        elapsed=pl.Series(_counted(df, calendar, "_rday", "_eday")),
        overrun=pl.when(pl.col("state") == "overdue")
        .then(pl.Series(_counted(df, calendar, "_dday", "_eday"))),
        received_in_period=pl.col("received_at") >= start,
    )
    return df.select(list(JUDGED_SCHEMA)).cast(JUDGED_SCHEMA).sort("received_at", "request_id")


def _blank_reason(reason: pl.Expr) -> pl.Expr:
    """Null, blank, punctuation only, or a placeholder that states no reason."""
    bare = reason.str.replace_all(r"[\s\p{P}\p{S}]+", "").str.to_lowercase()
    placeholders = [re.sub(r"[\W_]+", "", r).lower() for r in PLACEHOLDER_REASONS]
    return reason.is_null() | (bare == "") | bare.is_in([p for p in placeholders if p])


def refusals(requests: pl.LazyFrame, period: Period) -> pl.DataFrame:
    """Requests refused in P (``completed_at`` in P), and whether a reason was given.

    Columns: ``request_id``, ``subsidiary_id``, ``kind``, ``received_at``,
    ``refused_at``, ``reason_given`` (False: null, blank or a placeholder such as 无).
    """
    in_p = pl.col("completed_at").is_between(period.start, period.end, closed="left")
    return (requests.filter((pl.col("outcome") == "refused") & in_p)
            .select("request_id", "subsidiary_id", "kind", "received_at",
                    pl.col("completed_at").alias("refused_at"),
                    (~_blank_reason(pl.col("refusal_reason"))).alias("reason_given"))
            .sort("refused_at", "request_id").collect())
