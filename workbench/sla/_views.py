"""The SLA tables as a reader sees them: worst first, empty groups last, words not codes.

The analysis tables keep codes and fractions (they are data); these views pick the
columns a report shows, put groups in words (:func:`workbench.sla._words.group_word`)
and name rate columns ``*_rate`` so that :func:`workbench.notebook.table` prints them
as percentages. Headers come from :mod:`workbench.sla._words`. Nothing here
recomputes a statistic.
"""

from __future__ import annotations

import polars as pl

from workbench import i18n
from workbench.labels import SEVERITIES
from workbench.sla._words import (
    CHANNELS,
    CLOCKS,
    COMPLAINT_SEVERITY,
    EVENTS,
    RECORD_CHECKS,
    SEVERITY_ORDER,
    group_word,
    word,
)

__all__ = [
    "adherence_groups",
    "count_by_rule",
    "adherence_overall",
    "km_view",
    "km_intervals",
    "pareto_top",
    "pareto_view",
    "policy_view",
    "record_view",
    "recurring_view",
    "reliability_view",
    "resolution_limits",
    "risk_metrics_view",
]

_RATES = {"adherence": "adherence_rate", "ci_low": "ci_low_rate", "ci_high": "ci_high_rate"}


def _sep() -> str:
    return "；" if i18n.is_zh() else "; "


def _limit_text(limits: str, clock: str) -> str:
    """``critical 24, high 24, …`` of :func:`workbench.sla._policy.policy_table` in words:
    ``特急 24 小时；高 24 小时；…`` (one limit for every level: ``所有投诉 7 工作日``).
    """
    pairs = [p.rsplit(" ", 1) for p in limits.split(", ") if " " in p]
    unit = word(CLOCKS, clock)
    if pairs and len({v for _, v in pairs}) == 1:
        return i18n.tr(f"所有投诉 {pairs[0][1]} {unit}", f"every complaint {pairs[0][1]} {unit}")
    return _sep().join(f"{word(COMPLAINT_SEVERITY, s)} {v} {unit}" for s, v in pairs)


def _scope(channels: str) -> str:
    if channels in ("", "all"):
        return i18n.tr("所有渠道", "every channel")
    return ("、" if i18n.is_zh() else ", ").join(word(CHANNELS, c) for c in channels.split(", "))


def _clock_text(pause: str, restart_on: str, void_on: str) -> str:
    """The clock's pause, restart and void events in one plain phrase."""
    parts = []
    if pause:
        start, _, end = pause.partition("…")
        parts.append(i18n.tr(f"“{word(EVENTS, start)}”至“{word(EVENTS, end)}”期间暂停计时",
                             f"paused from “{word(EVENTS, start)}” to “{word(EVENTS, end)}”"))
    if restart_on:
        names = "、".join(word(EVENTS, e) for e in restart_on.split(", "))
        parts.append(i18n.tr(f"“{names}”后重新计时", f"restarts on “{names}”"))
    if void_on:
        names = "、".join(word(EVENTS, e) for e in void_on.split(", "))
        parts.append(i18n.tr(f"“{names}”的投诉不适用", f"not applicable once “{names}”"))
    return _sep().join(parts)


def policy_view(policy: pl.DataFrame, clocks: pl.DataFrame | None = None) -> pl.DataFrame:
    """The committed limits (``tables["policy"]``) in words, newest version first; with
    the period's ``clocks``, only the versions that judged its complaints (all when none).
    """
    if policy.height == 0:
        return policy
    used = set(clocks["policy_version"].to_list()) if clocks is not None and clocks.height \
        else set(policy["version"].to_list())
    rows = [
        {
            "version": i18n.tr(f"{r['version']}（{r['effective_from']} 起）",
                               f"{r['version']} (from {r['effective_from']})"),
            "target": r["target"], "limits_text": _limit_text(r["limits"], r["clock"]),
            "scope": _scope(r["channels"]),
            "clock_text": _clock_text(r["pause"], r["restart_on"], r["void_on"]),
            "_from": r["effective_from"],
        }
        for r in policy.iter_rows(named=True) if r["version"] in used
    ]
    return (pl.DataFrame(rows).sort("_from", descending=True, maintain_order=True)
            .drop("_from"))


def adherence_overall(adherence: pl.DataFrame) -> pl.DataFrame:
    """The overall adherence of each commitment (rate and counts; intervals in the details)."""
    return (adherence.filter(pl.col("dimension") == "overall")
            .select("target", "judged", "met", "breached", "running", "adherence")
            .rename({"adherence": "adherence_rate"}))


def adherence_groups(adherence: pl.DataFrame) -> pl.DataFrame:
    """Every group judged, worst first (lowest adherence, then most breaches); groups
    with nothing judged (no rate) at the end.
    """
    df = adherence.filter(pl.col("dimension") != "overall")
    groups = [group_word(d, g) for d, g in zip(df["dimension"], df["group"], strict=True)]
    return (
        df.with_columns(pl.Series("group_name", groups, pl.String))
        .sort([pl.col("judged") == 0, "adherence", "breached"],
              descending=[False, False, True], nulls_last=True, maintain_order=True)
        .select("dimension", "group_name", "target", "judged", "breached", "running",
                *_RATES)
        .rename(_RATES)
    )


def resolution_limits(clocks: pl.DataFrame) -> dict[str, float]:
    """The resolution limit (days) of each complaint severity in the period's clocks
    (the most common one when versions differ).
    """
    res = clocks.filter((pl.col("target") == "resolution") & pl.col("limit").is_not_null())
    if res.height == 0:
        return {}
    lim = res.group_by("severity").agg(pl.col("limit").mode().first())
    return {str(s): float(v) for s, v in lim.iter_rows()}


def _km_order(df: pl.DataFrame) -> pl.DataFrame:
    rank = {"all": 0, "severity": 1, "subsidiary_id": 2}
    sev = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    return df.with_columns(
        pl.col("dimension").replace_strict(rank, default=3, return_dtype=pl.Int64).alias("_d"),
        pl.col("group").replace_strict(sev, default=None, return_dtype=pl.Int64).alias("_s"),
    ).sort(["_d", "_s", "p90_days_estimate"], descending=[False, False, True],
           nulls_last=True).drop("_d", "_s")


def km_view(summary: pl.DataFrame, limits: dict[str, float] | None = None) -> pl.DataFrame:
    """Time to resolution per group: complaints, resolved, still open, median and 90th
    percentile in days, and each severity's limit; overall first, then severities
    (most severe first), then subsidiaries slowest first.
    """
    limits = limits or {}
    df = _km_order(summary)
    lim = [limits.get(g) if d == "severity" else None
           for d, g in zip(df["dimension"], df["group"], strict=True)]
    groups = [group_word(d, g) for d, g in zip(df["dimension"], df["group"], strict=True)]
    return df.select(
        pl.col("dimension"), pl.Series("group_name", groups, pl.String), "complaints", "resolved",
        "censored", pl.col("median_days_estimate").round(1).alias("median_days"),
        pl.col("p90_days_estimate").round(1).alias("p90_days"),
        pl.Series("limit_days", lim, pl.Float64),
    )


def km_intervals(summary: pl.DataFrame) -> pl.DataFrame:
    """The exact median / 90th percentile estimates with their 95 % intervals (details)."""
    df = _km_order(summary)
    groups = [group_word(d, g) for d, g in zip(df["dimension"], df["group"], strict=True)]
    cols = [c for c in df.columns if c.startswith(("median_days_", "p90_days_"))]
    return df.select("dimension", pl.Series("group_name", groups, pl.String),
                     *[pl.col(c).round(2) for c in cols])


def _metric_value(metric: str, value: str) -> str:
    if metric == "threshold_policy":
        return i18n.tr("建模期留出样本（按投诉分组）中命中率达到要求的最低概率", value)
    if metric == "oot_split":
        return value[:16]
    try:
        number = float(value)
    except ValueError:
        return value
    return f"{number:,.0f}" if number.is_integer() else f"{number:.4g}"


def risk_metrics_view(metrics: pl.DataFrame) -> pl.DataFrame:
    """The breach-risk model's metrics (``tables["risk_metrics"]``), named in words,
    numbers to four significant digits.
    """
    if metrics.height == 0:
        return metrics.rename({"metric": "risk_metric"})
    values = [_metric_value(m, v) for m, v in metrics.iter_rows()]
    return metrics.rename({"metric": "risk_metric"}).with_columns(
        pl.Series("value", values, pl.String))


def reliability_view(reliability: pl.DataFrame) -> pl.DataFrame:
    """The reliability table: mean predicted against observed share breached per bin."""
    if reliability.height == 0:
        return reliability
    return reliability.select(
        (pl.col("bin") + 1).alias("bin"), pl.col("n").alias("sample_rows"), "breached",
        pl.col("predicted").alias("predicted_rate"), pl.col("observed").alias("observed_rate"),
        pl.col("lower").alias("lower_rate"), pl.col("upper").alias("upper_rate"))


def record_view(problems: pl.DataFrame) -> pl.DataFrame:
    """The incomplete handling records, the failed checks in words, with the table's
    and the record's timestamps side by side (for the details).
    """
    if problems.height == 0:
        return problems
    sep = "；" if i18n.is_zh() else "; "
    checks = [sep.join(word(RECORD_CHECKS, c) for c in (cs or []))
              for cs in problems["checks"].to_list()]
    stamps = [c for c in ("received_at", "acknowledged_at", "ev_ack", "accepted_at",
                          "ev_decision", "resolved_at", "ev_resolved", "closed_at", "ev_closed")
              if c in problems.columns]
    return problems.select(
        "complaint_id", "subsidiary_id", pl.Series("checks", checks, pl.String),
        pl.col("status").alias("table_status"), "event_status",
        *[pl.col(c).dt.strftime("%Y-%m-%d %H:%M") for c in stamps])


def pareto_view(pareto: pl.DataFrame) -> pl.DataFrame:
    """The vital few root causes of each subsidiary (up to the cumulative 80 %)."""
    return pareto.filter(pl.col("vital_few")).select(
        "subsidiary_id", "rank", "root_cause", "count", "share", "cumulative_share")


def recurring_view(recurring: pl.DataFrame) -> pl.DataFrame:
    """The causes that exceeded the threshold in some month, flagged (did not fall) first."""
    return (recurring.filter(pl.col("trigger_month").is_not_null())
            .sort(["flagged", "share_after"], descending=True, nulls_last=True)
            .select("subsidiary_id", "root_cause", "trigger_month", "trigger_count",
                    "trigger_share", "months_after", "mean_count_after",
                    pl.col("share_after").alias("after_share"), "flagged")
            .with_columns(pl.col("trigger_month").dt.strftime("%Y-%m"),
                          pl.col("mean_count_after").round(1)))


def pareto_top(pareto: pl.DataFrame, k: int = 3) -> pl.DataFrame:
    """Each subsidiary's ``k`` largest root causes of the period."""
    return pareto.filter(pl.col("rank") <= k).select(
        "subsidiary_id", "rank", "root_cause", "count", "share", "cumulative_share")


def count_by_rule(findings: pl.DataFrame) -> pl.DataFrame:
    """Findings per rule and severity (``high``, ``medium``, ``low``, ``findings``),
    worst first: most high-severity findings, then medium, low.
    """
    if findings.height == 0:
        return pl.DataFrame(schema={"rule": pl.String, **{s: pl.Int64 for s in SEVERITIES},
                                    "findings": pl.Int64})
    wide = findings.group_by("rule").agg(
        *[(pl.col("severity") == s).sum().cast(pl.Int64).alias(s) for s in SEVERITIES],
        pl.len().cast(pl.Int64).alias("findings"))
    return wide.sort([*SEVERITIES, "rule"], descending=[True] * len(SEVERITIES) + [False])
