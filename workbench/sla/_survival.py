"""Kaplan–Meier time to resolution, in numpy.

Complaints still unresolved at the end of P are right-censored at their elapsed
time, so the curve uses every complaint without pretending open ones were resolved.

>>> import numpy as np
>>> km = kaplan_meier(np.array([1.0, 2.0, 2.0, 3.0]), np.array([True, True, False, True]))
>>> km["survival"].round(3).to_list()
[0.75, 0.5, 0.0]
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats as _st

__all__ = [
    "KM_SCHEMA",
    "SUMMARY_SCHEMA",
    "kaplan_meier",
    "km_by_group",
    "km_summary",
    "median_time",
    "resolution_times",
    "survival_quantile",
]

KM_SCHEMA: dict[str, pl.DataType] = {
    "time": pl.Float64(),
    "at_risk": pl.Int64(),
    "events": pl.Int64(),
    "censored": pl.Int64(),
    "survival": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
}


def kaplan_meier(durations: np.ndarray, observed: np.ndarray, level: float = 0.95) -> pl.DataFrame:
    """Kaplan–Meier survival estimate S(t) = Π (1 − d_i / n_i) over event times t_i ≤ t.

    ``observed`` is True for an event (resolution), False for a censored duration.
    At a tie, censored subjects count as at risk at that time. One row per distinct
    time with an event or a censoring (``KM_SCHEMA``); ``ci_low``/``ci_high`` are the
    log(−log) Greenwood interval. Durations that are NaN are ignored.
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    keep = ~np.isnan(t)
    t, e = t[keep], e[keep]
    if t.size == 0:
        return pl.DataFrame(schema=KM_SCHEMA)
    times, inverse = np.unique(t, return_inverse=True)
    events = np.bincount(inverse, weights=e.astype(float), minlength=times.size).astype(np.int64)
    total = np.bincount(inverse, minlength=times.size).astype(np.int64)
    censored = total - events
    # at risk at time i: everyone whose duration is >= times[i]
    at_risk = total[::-1].cumsum()[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = 1.0 - events / at_risk
        surv = np.cumprod(factor)
        green = np.cumsum(np.where(at_risk > events, events / (at_risk * (at_risk - events)), 0.0))
        z = float(_st.norm.ppf(0.5 + level / 2))
        log_s = np.log(surv)
        se = np.sqrt(green) / np.abs(log_s)
        low = np.exp(-np.exp(np.log(-log_s) + z * se))
        high = np.exp(-np.exp(np.log(-log_s) - z * se))
    valid = (surv > 0) & (surv < 1)
    low = np.where(valid, low, surv)
    high = np.where(valid, high, surv)
    return pl.DataFrame(
        {
            "time": times,
            "at_risk": at_risk,
            "events": events,
            "censored": censored,
            "survival": surv,
            "ci_low": low,
            "ci_high": high,
        },
        schema=KM_SCHEMA,
    )


def survival_quantile(
    km: pl.DataFrame, share_resolved: float, column: str = "survival"
) -> float | None:
    """The first time at which ``column`` ≤ 1 − ``share_resolved`` (None if never).

    With ``column="survival"`` this is the time by which ``share_resolved`` of the
    complaints are resolved (0.5: the median, 0.9: the 90th percentile). With
    ``ci_low`` / ``ci_high`` it is the lower / upper end of that time's confidence
    interval: the times at which the pointwise log(−log) Greenwood band crosses the
    level (Brookmeyer–Crowley's construction with the log(−log) transform, the same
    as lifelines' ``qth_survival_time`` on ``confidence_interval_``). None = not
    reached by the end of follow-up (the interval is open to the right).
    """
    level = 1.0 - share_resolved
    # A float tolerance so that 0.9 resolved (S = 1 - 0.9 in floats) hits S = 0.1.
    hit = km.filter(pl.col(column) <= level + 1e-12)
    return float(hit["time"][0]) if hit.height else None


def median_time(km: pl.DataFrame) -> float | None:
    """The first time at which S(t) ≤ 0.5 (None if the curve never gets there)."""
    return survival_quantile(km, 0.5)


def resolution_times(clocks: pl.DataFrame, target: str = "resolution") -> pl.DataFrame:
    """Per complaint: hours on the resolution clock (net of pauses) and whether it was
    resolved by the end of P (else censored there).
    """
    return clocks.filter(pl.col("target") == target).select(
        "complaint_id",
        "severity",
        "subsidiary_id",
        "channel",
        hours=pl.col("elapsed_h"),
        resolved=pl.col("stop_at").is_not_null(),
    )


def km_by_group(
    times: pl.DataFrame, group: str = "severity", *, level: float = 0.95
) -> pl.DataFrame:
    """A Kaplan–Meier curve per value of ``group`` (columns: ``group`` + :data:`KM_SCHEMA`).

    ``group="all"`` (a column absent from ``times``) gives one curve over everything.
    """
    if group not in times.columns:
        times = times.with_columns(pl.lit("all").alias(group))
    parts = []
    for (value,), sub in times.group_by([group], maintain_order=True):
        km = kaplan_meier(sub["hours"].to_numpy(), sub["resolved"].to_numpy(), level)
        parts.append(km.with_columns(pl.lit(str(value)).alias(group)))
    if not parts:
        return pl.DataFrame(schema={group: pl.String(), **KM_SCHEMA})
    return pl.concat(parts).select(group, *KM_SCHEMA).sort(group, "time")


SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "dimension": pl.String(),
    "group": pl.String(),
    "complaints": pl.Int64(),
    "resolved": pl.Int64(),
    "censored": pl.Int64(),
    **{
        f"{q}_{part}": pl.Float64()
        for q in ("median_days", "p90_days")
        for part in ("estimate", "ci_low", "ci_high")
    },
}


def km_summary(curves: pl.DataFrame, group: str) -> pl.DataFrame:
    """Median and 90th percentile of time to resolution (days) per curve of
    :func:`km_by_group`, each with its confidence interval (:func:`survival_quantile`).

    Columns :data:`SUMMARY_SCHEMA`; ``dimension`` = ``group``. A null estimate means
    the curve never reaches that share resolved (too many still open: the quantile is
    beyond the follow-up); a null ``ci_high`` means the interval is open to the right.
    """
    rows = []
    for (value,), km in curves.group_by([group], maintain_order=True):
        km = km.sort("time")
        row: dict[str, object] = {
            "dimension": group,
            "group": str(value),
            "complaints": int(km["events"].sum() + km["censored"].sum()),
            "resolved": int(km["events"].sum()),
            "censored": int(km["censored"].sum()),
        }
        for name, share in (("median_days", 0.5), ("p90_days", 0.9)):
            for part, column in (
                ("estimate", "survival"), ("ci_low", "ci_low"), ("ci_high", "ci_high")
            ):
                hours = survival_quantile(km, share, column)
                row[f"{name}_{part}"] = None if hours is None else hours / 24
        rows.append(row)
    return pl.DataFrame(rows, schema=SUMMARY_SCHEMA).sort("dimension", "group")
