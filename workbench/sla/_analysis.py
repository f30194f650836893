"""The SLA analysis entry point: declared parameters, :func:`analyze` and its metrics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from workbench.analysis import AnalysisResult, Laps, as_period
from workbench.findings import empty_findings, make_findings
from workbench.params import (
    Boolean,
    Interval,
    Options,
    Param,
    ParameterSet,
    PathOrNone,
    SequenceOf,
    declared,
)
from workbench.periods import Period
from workbench.sla import _figures as figures
from workbench.sla import _findings as rules
from workbench.sla._adherence import adherence, adherence_by_dimension, monthly_trend
from workbench.sla._clocks import judge_at
from workbench.sla._policy import Policy, load_policy, policy_table
from workbench.sla._records import record_checks
from workbench.sla._recurring import (
    known_root_causes,
    monthly_volumes,
    pareto,
    recurring_causes,
    window_months,
)
from workbench.sla._risk import RiskModel, fit_breach_risk
from workbench.sla._survival import km_by_group, km_summary, resolution_times
from workbench.workdays import WorkCalendar

__all__ = [
    "ANALYSIS",
    "HEADLINE_TARGETS",
    "PARAMETERS",
    "PUBLISHED",
    "TABLES",
    "analyze",
    "headline_metrics",
]

ANALYSIS = "sla"
#: The contract tables this analysis reads.
TABLES: tuple[str, ...] = ("subsidiaries", "customers", "complaints", "complaint_events")
#: Tables the report publishes beside the findings (none: the findings say it all).
PUBLISHED: tuple[str, ...] = ()
#: The adherence trend covers the months ending with the period.
MONTHS_OF_TREND = 12
#: Headline metric suffix → the policy target whose overall adherence it reports.
HEADLINE_TARGETS: dict[str, str] = {
    "ack": "ack",
    "acceptance": "acceptance",
    "resolution": "resolution",
    "update": "update_gap",
}

_SHARE = Interval(float, 0, 1, closed="both")
PARAMETERS = ParameterSet(
    ANALYSIS,
    {
        "policy_path": Param(
            None, PathOrNone(),
            "SLA policy YAML; empty: the packaged default (workbench/sla/default_policy.yaml)",
            doc_zh="投诉处理时效承诺文件（YAML）；留空则使用内置的默认承诺"
                   "（workbench/sla/default_policy.yaml）",
        ),
        "calendar_files": Param(
            (), SequenceOf(PathOrNone()),
            "working-day calendar extension files for years chinesecalendar does not know",
            doc_zh="工作日日历补充文件：chinesecalendar 尚未收录年份的法定节假日与调休安排",
        ),
        # The worklist's cut-off is a stated policy, never read off the outcomes it is
        # judged by: by default the lowest predicted probability at which at least
        # risk_min_precision of the flagged complaints went on to breach, estimated on
        # held-out folds (grouped by complaint) of the period the validated model was
        # fitted on, before the reported period (workbench/sla/_risk.py).
        "risk_threshold": Param(
            None, (_SHARE, Options((None,))),
            "breach_risk: a fixed cut-off on the predicted probability of breaching "
            "resolution; empty (default): set by risk_min_precision",
            doc_zh="超时风险：对预计超时概率使用的固定标记门槛；留空（默认）则按 "
                   "risk_min_precision 设定",
        ),
        "risk_min_precision": Param(
            0.5, Interval(float, 0, 1, closed="right"),
            "breach_risk: flag from the lowest probability at which at least this share of "
            "flagged complaints breached, on held-out folds of the fitting period",
            doc_zh="超时风险：标记门槛取这样的最低概率——在建模期的留出样本中，被标记投诉"
                   "实际超时的比例不低于此值",
        ),
        "risk_max_flags": Param(
            0, Interval(int, 0, None),
            "breach_risk: at most this many findings, highest probability first (what the "
            "team can work); 0: no cap",
            doc_zh="超时风险：最多列出的投诉件数（按预计超时概率从高到低，依团队处理能力设定）；"
                   "0 表示不设上限",
        ),
        "recurring_threshold": Param(
            0.3, Interval(float, 0, 1, closed="right"),
            "recurring_cause: a month exceeds when the cause is at least this share of the "
            "subsidiary's complaints with a known cause that month",
            doc_zh="同类问题反复发生：某类原因占该子公司当月已查明原因投诉的比例达到此值，"
                   "该月即为超标",
        ),
        "recurring_min_count": Param(
            4, Interval(int, 1, None),
            "recurring_cause: … and occurs at least this many times in that month",
            doc_zh="同类问题反复发生：……且该类投诉当月至少达到此件数",
        ),
        "recurring_months": Param(
            12, Interval(int, 1, None),
            "recurring_cause: the window, in calendar months ending with the period",
            doc_zh="同类问题反复发生：观察窗口，截至报告期末的自然月数",
        ),
        "recurring_min_months_after": Param(
            2, Interval(int, 1, None),
            "recurring_cause: months needed after the trigger month to judge a cause",
            doc_zh="同类问题反复发生：首次超标月之后至少需要的月数，不足则不作判断",
        ),
        "seed": Param(0, Interval(int, 0, None), "seed of the breach-risk model",
                      doc_zh="超时风险模型的随机种子"),
        "with_risk": Param(
            True, Boolean(), "fit the breach-risk model (false: no breach_risk findings)",
            doc_zh="是否运行超时风险模型（false：不产生超时风险发现）",
        ),
    },
)


def _judge(
    frames: Mapping[str, pl.LazyFrame], p: Period, policy: Policy, calendar: WorkCalendar
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The period's clocks, the monthly adherence trend and the complaints received in P.

    Every clock of the complaints received in the 12 months ending with P, judged at
    the end of P, is the trend; the period's own clocks are its rows received in P
    (judge() on P gives the same rows in the same order; judging once saves a pass
    over the service record, a quarter of the analysis at 1M complaints).
    """
    in_p = pl.col("received_at").is_between(p.start, p.end, closed="left")
    received = (
        frames["complaints"]
        .filter(pl.col("received_at").is_between(p.months_back(MONTHS_OF_TREND), p.end,
                                                 closed="left"))
        .select("complaint_id", "subsidiary_id", "channel", "category", "severity", "received_at")
        .collect()
    )
    trend = judge_at(received, frames["complaint_events"], p.end, policy=policy, calendar=calendar)
    return trend.filter(in_p), monthly_trend(trend), received.filter(in_p).height


def _time_to_resolution(clocks: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Kaplan–Meier curves by severity and subsidiary and their median / p90 summary."""
    times = resolution_times(clocks)
    km = km_by_group(times, "severity")
    km_sub = km_by_group(times, "subsidiary_id")
    summary = pl.concat([
        km_summary(km_by_group(times, "all"), "all"),
        km_summary(km, "severity"),
        km_summary(km_sub, "subsidiary_id"),
    ])
    return {"km": km, "km_subsidiary": km_sub, "km_summary": summary}


def _recurring(
    frames: Mapping[str, pl.LazyFrame], p: Period, policy: Policy, rule: Mapping[str, Any]
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Pareto, monthly cause volumes and ``recurring_cause`` (tables, raw findings)."""
    month_starts = window_months(p.last_day, rule["months"])
    start = dt.datetime.combine(min(month_starts[0], p.start.date()), dt.time())
    known = known_root_causes(frames["complaints"], frames["complaint_events"], p, start)
    volumes = monthly_volumes(known, month_starts)
    judged = {k: rule[k] for k in ("threshold", "min_count", "min_months_after")}
    causes = recurring_causes(volumes, **judged)
    basis = (policy.version_for(p.last_day) or policy.versions[0]).legal_basis
    raw = rules.recurring_cause(causes, volumes, **judged, legal_basis=basis)
    tables = {
        "pareto": pareto(known.filter(pl.col("received_at") >= p.start)),
        "cause_months": volumes,
        "recurring": causes,
    }
    return tables, raw


def _with_customer(raw: pl.DataFrame, owners: pl.DataFrame | None) -> pl.DataFrame:
    """A complaint finding's evidence with the complaining customer's (pseudonymous)
    id, so a worklist row names whom to call back.
    """
    if owners is None or raw.height == 0 or (raw["entity_type"] != "complaint").any():
        return raw
    return (
        raw.join(owners, left_on="entity_id", right_on="complaint_id", how="left")
        .with_columns(pl.col("detail").struct.with_fields(customer_id=pl.col("_customer")))
        .drop("_customer")
    )


def _complaint_owners(
    frames: Mapping[str, pl.LazyFrame], raw: Sequence[pl.DataFrame]
) -> pl.DataFrame | None:
    """``complaint_id`` → ``_customer`` for the complaints the findings name."""
    ids = [r.select("entity_id") for r in raw if r.height]
    if not ids:
        return None
    named = pl.concat(ids, how="vertical_relaxed").unique().lazy()
    return (
        frames["complaints"]
        .select("complaint_id", pl.col("customer_id").alias("_customer"))
        .join(named, left_on="complaint_id", right_on="entity_id", how="semi")
        .collect()
    )


def _contract_findings(
    raw: Sequence[pl.DataFrame], period: str, owners: pl.DataFrame | None = None
) -> pl.DataFrame:
    # Each rule's evidence has its own shape: encode it before stacking the rules.
    encoded = [_with_customer(r, owners).with_columns(pl.col("detail").struct.json_encode())
               for r in raw if r.height]
    if not encoded:
        return empty_findings()
    stacked = pl.concat(encoded, how="diagonal_relaxed")
    return make_findings(stacked, analysis=ANALYSIS, period=period)


def _share(value: Any) -> float | None:
    return None if value is None else round(float(value), 6)


def headline_metrics(
    received: int, adherence_table: pl.DataFrame, findings: pl.DataFrame
) -> dict[str, Any]:
    """The headline numbers of the run (the dashboard reads these keys).

    ``complaints_received`` in P; per :data:`HEADLINE_TARGETS` key ``<t>``: the
    overall row of the adherence table — ``breached_<t>``, ``running_<t>`` (clocks
    still running at the end of P) and ``adherence_<t>`` = met / (met + breached),
    None when nothing was judged; ``breach_risk``, ``recurring_causes`` and
    ``missing_records``: findings of those rules.
    """
    overall = adherence_table.filter(pl.col("dimension") == "overall")
    rows = {r["target"]: r for r in overall.iter_rows(named=True)}
    out: dict[str, Any] = {"complaints_received": int(received)}
    for key, target in HEADLINE_TARGETS.items():
        row = rows.get(target, {})
        out[f"breached_{key}"] = int(row.get("breached") or 0)
        out[f"running_{key}"] = int(row.get("running") or 0)
        out[f"adherence_{key}"] = _share(row.get("adherence"))
    counts = dict(findings.group_by("rule").len().iter_rows())
    for key, rule in (("breach_risk", "breach_risk"), ("recurring_causes", "recurring_cause"),
                      ("missing_records", "missing_record")):
        out[key] = int(counts.get(rule, 0))
    return out


#: The breach-risk model's own notes (``risk.metrics["note"]``) in Chinese.
_RISK_NOTES_ZH = {
    "no landmark rows: no model": "此前 12 个月没有可用于建模的在办投诉",
    "no model (one class only)": "建模期的结果只有一类（全部超时或全部按时），无法拟合模型",
    "no open complaint to score": "期末没有需要评估的在办投诉",
    "breach-risk model not run": "未运行超时风险模型（with_risk=false）",
}
_CLOCK_RULES = ["ack_breach", "acceptance_breach", "resolution_breach", "update_gap",
                "missing_record"]


def _note(rules: Sequence[str], zh: str, en: str) -> dict[str, Any]:
    return {"rules": list(rules), "zh": zh, "en": en}


def _not_judged(frames: Mapping[str, pl.LazyFrame], p: Period, received: int,
                tables: Mapping[str, pl.DataFrame], risk: RiskModel,
                params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the period's data could not judge, said plainly (``metrics["not_judged"]``):
    a period without complaints, or complaints without a handling record, must never
    read as "no problems found" or as a verdict on the handling itself.
    """
    notes: list[dict[str, Any]] = []
    if received == 0:
        notes.append(_note([*_CLOCK_RULES, "breach_risk"],
                           "本期没有收到投诉（complaints）：各项时效、处理记录与超时风险均无从评估",
                           "no complaints were received in the period (complaints): time "
                           "limits, handling records and breach risk could not be judged"))
    else:
        in_p = frames["complaints"].filter(
            pl.col("received_at").is_between(p.start, p.end, closed="left"))
        recorded = (frames["complaint_events"].filter(pl.col("at") < p.end)
                    .join(in_p, on="complaint_id", how="semi").limit(1).collect().height)
        if recorded == 0:
            notes.append(_note(_CLOCK_RULES,
                               f"本期 {received:,} 件投诉在 complaint_events 中都没有处理记录："
                               "实际处理是否及时无从评估，超时与记录不完整均因缺少记录而判定；"
                               "请先核实处理记录是否完整导出",
                               f"none of the {received:,} complaints of the period has a "
                               "handling record (complaint_events): the actual handling could "
                               "not be judged; every breach and missing record is for want of "
                               "a record - check that the record was exported in full"))
        why = risk.metrics.get("note")
        if why is not None:
            why_zh = _RISK_NOTES_ZH.get(str(why), str(why))
            notes.append(_note(["breach_risk"], f"超时风险（breach_risk）未评估：{why_zh}",
                               f"breach_risk was not judged: {why}"))
    if tables["cause_months"].height == 0:
        months = params["recurring_months"]
        notes.append(_note(["recurring_cause"],
                           f"近 {months} 个月没有已查明根因的投诉（root_cause）："
                           "同类问题是否反复发生（recurring_cause）无法评估",
                           f"no complaint of the last {months} months has an established root "
                           "cause (root_cause): recurring_cause could not be judged"))
    return notes


def _worklist(risk: RiskModel, max_flags: int) -> pl.DataFrame:
    """The scored complaints at or above the model's cut-off (none without one), at most
    ``max_flags`` of them (0: no cap), highest probability first.
    """
    if risk.threshold is None or risk.scores.height == 0:
        return pl.DataFrame()
    flagged = risk.scores.filter(pl.col("probability") >= risk.threshold)
    return flagged.head(max_flags) if max_flags else flagged


def _figures(t: Mapping[str, pl.DataFrame], risk: RiskModel, params: Mapping[str, Any]) -> dict:
    return figures.all_figures(t, risk, params)


@declared(PARAMETERS)
def analyze(
    frames: Mapping[str, pl.LazyFrame],
    period: Period | str,
    *,
    policy_path: str | Path | None = None,
    calendar_files: Sequence[str | Path] = (),
    risk_threshold: float | None = None,
    risk_min_precision: float = 0.5,
    risk_max_flags: int = 0,
    recurring_threshold: float = 0.3,
    recurring_min_count: int = 4,
    recurring_months: int = 12,
    recurring_min_months_after: int = 2,
    seed: int = 0,
    with_risk: bool = True,
) -> AnalysisResult:
    """SLA findings, adherence tables, figures and headline metrics for ``period``.

    Parameters
    ----------
    frames
        Contract LazyFrames (at least :data:`TABLES`).
    period
        A :class:`~workbench.periods.Period` or label (``"2026-Q3"``).
    policy_path, calendar_files, risk_threshold, risk_min_precision, risk_max_flags
        Declared parameters (:data:`PARAMETERS` gives each one's meaning and range).
    recurring_threshold, recurring_min_count, recurring_months, recurring_min_months_after
        Declared parameters, as above.
    seed, with_risk
        Declared parameters, as above.

    Returns
    -------
    AnalysisResult
        ``findings``; ``tables``: ``policy``, ``clocks``, ``adherence`` (by
        dimension), ``adherence_by_subsidiary``, ``monthly``, ``record_problems``,
        ``km`` (by severity), ``km_subsidiary``, ``km_summary`` (median and p90 with
        intervals), ``risk_scores``, ``risk_metrics``, ``risk_holdout``,
        ``risk_reliability``, ``worklist``, ``pareto``, ``cause_months``, ``recurring``;
        ``figures``:
        ``adherence_heatmap``, ``adherence_by_<dimension>``, ``monthly_trend``,
        ``km``, ``km_subsidiary``, ``calibration``, ``worklist`` (when not empty),
        ``pareto``, ``recurring``; ``metrics``: :func:`headline_metrics` and ``not_judged``
        (:func:`_not_judged`: what the data could not judge, zh and en).
    """
    params = PARAMETERS.check({k: v for k, v in locals().items() if k in PARAMETERS})
    lap = Laps()
    p = as_period(period)
    policy = load_policy(policy_path)
    # An empty entry (a blank line of a scheduled run's list) names no file.
    calendar = WorkCalendar.official(extra=[f for f in calendar_files if f])
    lap("policy")
    clocks, monthly, received = _judge(frames, p, policy, calendar)
    versions = dict(zip(clocks["complaint_id"], clocks["policy_version"], strict=True))
    basis = {v.version: v.legal_basis for v in policy.versions}
    problems = record_checks(frames["complaints"], frames["complaint_events"], p)
    lap("clocks")
    tables: dict[str, pl.DataFrame] = {
        "policy": policy_table(policy),
        "clocks": clocks,
        "adherence": adherence_by_dimension(clocks),
        "adherence_by_subsidiary": adherence(clocks, "subsidiary_id"),
        "monthly": monthly,
        "record_problems": problems,
        **_time_to_resolution(clocks),
    }
    raw = [
        rules.ack_breach(clocks, policy),
        rules.acceptance_breach(clocks, policy),
        rules.resolution_breach(clocks, policy),
        rules.update_gap(clocks, policy),
        rules.missing_record(problems, versions, basis),
    ]
    lap("adherence")
    recurring = {k.removeprefix("recurring_"): v for k, v in params.items()
                 if k.startswith("recurring_")}
    recurring_tables, recurring_raw = _recurring(frames, p, policy, recurring)
    raw.append(recurring_raw)
    lap("recurring")
    risk = RiskModel(pl.DataFrame(), {"note": "breach-risk model not run"})
    worklist = pl.DataFrame()
    if with_risk:
        risk = fit_breach_risk(frames["complaints"], frames["complaint_events"], p, clocks,
                               policy=policy, calendar=calendar, seed=seed,
                               min_precision=risk_min_precision, threshold=risk_threshold)
        worklist = _worklist(risk, risk_max_flags)
        raw.append(rules.breach_risk(worklist, threshold=risk.threshold,
                                     model_metrics=risk.metrics, policy_versions=versions,
                                     legal_basis=basis, clocks=clocks, at=p.end))
    lap("risk")
    findings = _contract_findings(raw, p.label, _complaint_owners(frames, raw))
    tables |= {
        "risk_scores": risk.scores,
        "risk_metrics": pl.DataFrame({"metric": list(risk.metrics),
                                      "value": [str(v) for v in risk.metrics.values()]}),
        "risk_holdout": risk.holdout,
        "risk_reliability": risk.reliability,
        "worklist": worklist,
        **recurring_tables,
    }
    figs = _figures(tables, risk, params)
    lap("figures")
    return AnalysisResult(
        analysis=ANALYSIS, findings=findings, tables=tables, figures=figs, parameters=params,
        metrics=headline_metrics(received, tables["adherence"], findings)
        | {"not_judged": _not_judged(frames, p, received, tables, risk, params)},
        timings_s=lap.timings,
        published=PUBLISHED,
    )
