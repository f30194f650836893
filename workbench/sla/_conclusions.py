"""Each section of the SLA report in words: what the evidence shows (结论) and what to
do next (整改建议), computed from the :class:`~workbench.analysis.AnalysisResult`.

Every function takes the result and its period and returns ``(conclusion, action)``
in the report's language (:func:`workbench.i18n.tr`); ``action`` is None when there
is nothing to do. A conclusion names the rule its evidence supports; a clean section
says so plainly; a section with nothing to judge says what could not be judged and
why (``metrics["not_judged"]``), never "no problems". Numbers come from the result
and thresholds from its parameters, never from the text; suggested due dates from
the severity policy's remediation days (:mod:`workbench.severity`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from workbench import i18n
from workbench.analysis import AnalysisResult, as_period
from workbench.i18n import is_zh, tr
from workbench.periods import Period
from workbench.sla._words import COMPLAINT_SEVERITY, RECORD_CHECKS, ROOT_CAUSES, TARGETS, word

__all__ = [
    "CLOCK_RULES",
    "adherence",
    "breach_risk",
    "breaches",
    "data_overview",
    "due_date",
    "overall",
    "policy",
    "records",
    "recurring",
    "resolution_time",
]

Conclusion = tuple[str, str | None]
#: The rules of the four committed time limits.
CLOCK_RULES: tuple[str, ...] = ("ack_breach", "acceptance_breach", "resolution_breach",
                                "update_gap")
_HEADLINE = ("ack", "acceptance", "resolution", "update_gap", "mediation")
_LEVELS = ("high", "medium", "low")


# ------------------------------------------------------------------ small words
_n, _pct, _list, _clauses = i18n.count, i18n.pct, i18n.join_list, i18n.join_clauses


def _days(x: Any) -> str:
    return f"{float(x):.1f}"


def _rule(code: str) -> str:
    return str(i18n.value("rule", code))


def _sub(subsidiary: Any) -> str:
    return tr(f"子公司 {subsidiary}", f"subsidiary {subsidiary}")


def _cap(text: str) -> str:
    """``text`` with its first letter in upper case (the rest as it is, ids included)."""
    return text[:1].upper() + text[1:]


def due_date(severity: str, period: Period | str) -> str | None:
    """The suggested due date of a finding of ``severity`` (ISO date): its severity's
    remediation days after the last day of the period; None when the severity policy
    states none.
    """
    from workbench.severity import load_policy

    days = getattr(load_policy(), "remediation_days", {}) or {}
    if severity not in days:
        return None
    import datetime as dt

    return (as_period(period).last_day + dt.timedelta(days=int(days[severity]))).isoformat()


def _due_phrase(severities: Iterable[str], period: Period | str) -> str:
    """``高严重度的于 2026-10-15 前、中严重度的于 2026-10-30 前`` for the severities given."""
    present = [s for s in _LEVELS if s in set(severities)]
    parts = []
    for s in present:
        due = due_date(s, period)
        if due is not None:
            level = i18n.value("severity", s)
            parts.append(tr(f"{level}严重度的于 {due} 前", f"{str(level).lower()} by {due}"))
    return _list(parts) if parts else tr("在整改期限内", "within the remediation deadlines")


def _notes(result: AnalysisResult, rules: Iterable[str]) -> list[str]:
    """What the data could not judge for ``rules`` (``metrics["not_judged"]``); a period
    without complaints says so even when the analysis wrote no note.
    """
    wanted = set(rules)
    key = "zh" if is_zh() else "en"
    notes = [str(n[key]) for n in result.metrics.get("not_judged", [])
             if wanted & set(n.get("rules", []))]
    received = result.metrics.get("complaints_received")
    if not notes and received == 0 and wanted & {*CLOCK_RULES, "missing_record", "breach_risk"}:
        notes.append(tr("本期没有收到投诉，无从评估", "no complaint was received in the period: "
                        "nothing could be judged"))
    return notes


def _details(findings: pl.DataFrame) -> list[dict[str, Any]]:
    return [json.loads(d) for d in findings["detail"].to_list()]


def _top(counts: Mapping[Any, int]) -> tuple[Any, int] | None:
    """The largest count (ties: the first code in sort order)."""
    if not counts:
        return None
    return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[0]


def _severity_counts(findings: pl.DataFrame) -> str:
    counts = Counter(findings["severity"].to_list())
    return _list(f"{i18n.value('severity', s) if is_zh() else s} {_n(counts[s])}"
                 for s in _LEVELS if counts[s])


# -------------------------------------------------------------------- sections
def data_overview(result: AnalysisResult, period: Period | str) -> Conclusion:
    """How much there was to judge, and what the data could not judge."""
    received = int(result.metrics.get("complaints_received", 0))
    notes = _notes(result, [*CLOCK_RULES, "missing_record", "breach_risk", "recurring_cause"])
    if received == 0:
        text = tr("本期没有收到投诉，各项时限、处理记录和超时风险都无从评估；"
                  "这不是“未发现问题”的结论。",
                  "No complaint was received in the period: time limits, handling records and "
                  "breach risk could not be judged; this is not a clean result.")
        return text, tr("请核实投诉数据（complaints）是否完整导出。",
                        "Check that the complaints were exported in full.")
    running = int(result.metrics.get("running_resolution", 0))
    text = tr(f"本期收到 {_n(received)} 件投诉，期末仍有 {_n(running)} 件未办结、办结时限尚未届满，"
              "这些投诉计入“期末仍在计时”，不计为超时。",
              f"{_n(received)} complaints were received in the period; {_n(running)} were still "
              "open within their resolution limit at its end and count as still running, "
              "not as breaches.")
    if notes:
        text += tr("无法评估的部分：", " Could not be judged: ") + _clauses(notes) + tr("。", ".")
        return text, tr("请数据负责人补齐上述数据后重新生成本报告。",
                        "Ask the data owner to fill these gaps and run the report again.")
    return text, None


def policy(result: AnalysisResult, period: Period | str) -> Conclusion:
    """Which version of the commitment judged the period's complaints."""
    clocks = result.tables.get("clocks", pl.DataFrame())
    table = result.tables.get("policy", pl.DataFrame())
    if clocks.height == 0:
        return tr("本期没有收到投诉，没有适用承诺版本的判定。",
                  "No complaint was received in the period: no version was applied."), None
    used = (clocks.group_by("policy_version").agg(pl.col("complaint_id").n_unique().alias("n"))
            .sort("policy_version", descending=True))
    since = dict(table.select("version", "effective_from").unique().iter_rows()) \
        if table.height else {}
    parts = [tr(f"{_n(n)} 件按 {v} 版（{since.get(v, '')} 起生效）",
                f"{_n(n)} by version {v} (in force from {since.get(v, '')})")
             for v, n in used.iter_rows()]
    text = tr("本期投诉按收到当日有效的承诺版本判定：", "Each complaint was judged by the version "
              "in force on the day it was received: ") + _list(parts) + tr("。", ".")
    versions = set(used["policy_version"].to_list())
    if table.height and table.filter(pl.col("version").is_in(versions)
                                     & (pl.col("target") == "mediation")).height:
        text += tr("12315 转办的投诉另受调解期限约束（见上表）。",
                   " 12315 transfers are also held to the mediation cap (see the table).")
    return text, None


def _overall_rates(table: pl.DataFrame) -> list[str]:
    rows = {r["target"]: r for r in
            table.filter(pl.col("dimension") == "overall").iter_rows(named=True)}
    out = []
    for t in _HEADLINE:
        r = rows.get(t)
        if r and r["judged"]:
            out.append(tr(f"{word(TARGETS, t)} {_pct(r['adherence'])}"
                          f"（超时 {_n(r['breached'])} 件）",
                          f"{word(TARGETS, t).lower()} {_pct(r['adherence'])} "
                          f"({_n(r['breached'])} breached)"))
    return out


def adherence(result: AnalysisResult, period: Period | str) -> Conclusion:
    """The overall adherence of each commitment and where the most breaches are."""
    table = result.tables.get("adherence", pl.DataFrame())
    judged = int(table.filter(pl.col("dimension") == "overall")["judged"].sum()) \
        if table.height else 0
    if judged == 0:
        notes = _notes(result, CLOCK_RULES)
        return (_clauses(notes) + tr("。", ".") if notes else
                tr("本期没有到期可判定的时限（投诉尚在计时中），无从计算达成率。",
                   "No time limit fell due in the period: no adherence could be computed.")), None
    overall = table.filter(pl.col("dimension") == "overall")
    breached = int(overall["breached"].sum())
    rates = _overall_rates(table)
    if breached == 0:
        return tr(f"本期已判定的 {_n(judged)} 项时限全部按时完成：" + _list(rates) + "。",
                  f"All {_n(judged)} time limits judged in the period were met: "
                  + _list(rates) + "."), None
    by_sub = result.tables.get("adherence_by_subsidiary", pl.DataFrame())
    worst = by_sub.filter(pl.col("breached") > 0).sort(
        ["breached", "adherence"], descending=[True, False]).head(1)
    text = tr("本期各项承诺的达成率：", "Adherence in the period: ") + _list(rates) + tr("。", ". ")
    action = None
    if worst.height:
        w = worst.row(0, named=True)
        what = word(TARGETS, w["target"])
        text += tr(f"超时最多的是{_sub(w['subsidiary_id'])} 的{what}：{_n(w['judged'])} 件中 "
                   f"{_n(w['breached'])} 件超时（达成率 {_pct(w['adherence'])}）。",
                   f"The most breaches: {_sub(w['subsidiary_id'])}, {what.lower()}: "
                   f"{_n(w['breached'])} of {_n(w['judged'])} (adherence "
                   f"{_pct(w['adherence'])}).")
        action = tr(f"请{_sub(w['subsidiary_id'])} 复盘{what}环节的超时原因（人手、排班、流转），"
                    "逐件整改见下文“超时投诉”。",
                    f"{_cap(_sub(w['subsidiary_id']))} should review why its "
                    f"{what.lower()} step runs late (staffing, rotas, hand-offs); each breach is "
                    "listed under Breached complaints.")
    text += tr("每一次超时都是相应规则（" + _list(_rule(r) for r in CLOCK_RULES) + "）的一项发现。",
               " Each breach is a finding of its rule ("
               + _list(_rule(r).lower() for r in CLOCK_RULES) + ").")
    return text, action


def _open_and_mediation(details: list[dict[str, Any]],
                        ids: list[str]) -> tuple[dict[str, float], int]:
    """Complaints still not done at the period end (id → days over) and 12315 transfers
    past the mediation cap.
    """
    still: dict[str, float] = {}
    mediation: set[str] = set()
    for cid, d in zip(ids, details, strict=True):
        if d.get("still_open_at_period_end"):
            over = float(d.get("overrun_hours") or 0) / 24
            still[cid] = max(over, still.get(cid, 0.0))
        if any(t.get("target") == "mediation" and float(t.get("overrun") or 0) > 0
               for t in d.get("targets") or []):
            mediation.add(cid)
    return still, len(mediation)


def breaches(result: AnalysisResult, period: Period | str) -> Conclusion:
    """The complaints past a committed limit: how many, how severe, where, still open."""
    f = result.findings.filter(pl.col("rule").is_in(CLOCK_RULES))
    if f.height == 0:
        notes = _notes(result, CLOCK_RULES)
        if notes:
            return _clauses(notes) + tr("。", "."), None
        return tr("本期没有超过承诺时限的投诉。", "No complaint went past a committed limit."), None
    complaints = f["entity_id"].n_unique()
    by_rule = Counter(f["rule"].to_list())
    rules = _list(tr(f"{_rule(r)} {_n(by_rule[r])} 项", f"{_rule(r).lower()} {_n(by_rule[r])}")
                  for r in CLOCK_RULES if by_rule[r])
    top = _top(Counter(f["subsidiary_id"].to_list()))
    high = f.filter(pl.col("severity") == "high").height
    text = tr(f"本期共有 {_n(f.height)} 项超时（涉及 {_n(complaints)} 件投诉），其中高严重度 "
              f"{_n(high)} 项；按规则：{rules}。",
              f"{_n(f.height)} breaches of committed limits in the period ({_n(complaints)} "
              f"complaints), {_n(high)} of high severity; by rule: {rules}.")
    if top:
        text += tr(f"{_sub(top[0])} 最多（{_n(top[1])} 项）。",
                   f" {_cap(_sub(top[0]))} has the most ({_n(top[1])}).")
    still, mediation = _open_and_mediation(_details(f), f["entity_id"].to_list())
    if still:
        worst = _top({k: round(v * 10) for k, v in still.items()})
        text += tr(f"至期末仍有 {_n(len(still))} 件尚未完成相应环节，其中 {worst[0]} 已超出时限 "
                   f"{_days(still[worst[0]])} 天。",
                   f" Still not done at the period end: {_n(len(still))}; {worst[0]} was "
                   f"{_days(still[worst[0]])} days past its limit.") if worst else ""
    if mediation:
        text += tr(f"另有 {_n(mediation)} 件 12315 转办投诉超过调解期限。",
                   f" 12315 transfers past the mediation cap: {_n(mediation)}.")
    due = _due_phrase(f["severity"].to_list(), period)
    action = tr(f"请各子公司逐件处理（{due}）：尚未完成的立即办结并告知客户进展，已办结的逐件"
                "回访客户、记录超时原因",
                f"Each subsidiary should work every breach ({due}): finish those still open "
                "and tell the customer, call back the others and record why they were late")
    if top:
        action += tr(f"；{_sub(top[0])} 超时最多，应优先复盘。", f"; {_sub(top[0])} first.")
    else:
        action += tr("。", ".")
    return text, action


def records(result: AnalysisResult, period: Period | str) -> Conclusion:
    """Handling records that are incomplete or contradict the complaints table."""
    f = result.findings.filter(pl.col("rule") == "missing_record")
    if f.height == 0:
        notes = _notes(result, ["missing_record"])
        if notes:
            return _clauses(notes) + tr("。", "."), None
        return tr("本期投诉的处理记录完整，与投诉表一致。",
                  "The handling records of the period are complete and agree with the "
                  "complaints table."), None
    checks = Counter(c for d in _details(f) for c in d.get("checks") or [])
    common = _top(checks)
    top = _top(Counter(f["subsidiary_id"].to_list()))
    text = tr(f"本期 {_n(f.height)} 件投诉的处理记录不完整或与投诉表不一致"
              f"（{_rule('missing_record')}）",
              f"{_n(f.height)} complaints have an incomplete handling record or one that "
              f"contradicts the complaints table ({_rule('missing_record').lower()})")
    if common:
        text += tr(f"，最常见的是“{word(RECORD_CHECKS, common[0])}”（{_n(common[1])} 件）",
                   f"; most often “{word(RECORD_CHECKS, common[0])}” ({_n(common[1])})")
    if top:
        text += tr(f"；{_sub(top[0])} 最多（{_n(top[1])} 件）", f"; {_sub(top[0])} has the most "
                   f"({_n(top[1])})")
    text += tr("。处理记录是按时处理的证据，记录缺失或矛盾时无法证明合规。",
               ". The record is the proof of timely handling: a missing or contradictory one "
               "cannot prove compliance.")
    due = _due_phrase(f["severity"].to_list(), period)
    action = tr(f"请相关子公司对照原始工单补全或更正处理记录（{due}），"
                "并查明投诉表与处理记录不一致的原因。",
                "The subsidiaries concerned should complete or correct each record from the "
                f"original tickets ({due}) and find "
                "out why the complaints table and the record disagree.")
    return text, action


def _quantile_text(row: Mapping[str, Any]) -> str:
    med, p90 = row.get("median_days_estimate"), row.get("p90_days_estimate")
    med_t = tr(f"半数投诉在 {_days(med)} 天内办结",
               f"half were resolved within {_days(med)} days") \
        if med is not None else tr("期末仍有半数以上未办结", "more than half were still open")
    p90_t = tr(f"90% 在 {_days(p90)} 天内办结", f"90% within {_days(p90)} days") \
        if p90 is not None else tr("90% 办结所需时间超出观察期", "the 90th percentile is beyond "
                                   "the follow-up")
    return _list([med_t, p90_t])


def resolution_time(result: AnalysisResult, period: Period | str) -> Conclusion:
    """Time to resolution against the limit of each complaint severity."""
    from workbench.sla._views import resolution_limits

    summary = result.tables.get("km_summary", pl.DataFrame())
    overall = summary.filter(pl.col("dimension") == "all") if summary.height else summary
    if overall.height == 0 or int(overall["complaints"][0]) == 0:
        notes = _notes(result, ["resolution_breach"])
        return (_clauses(notes) + tr("。", ".") if notes else
                tr("本期没有需要办结的投诉，无从评估办结时间。",
                   "No complaint needed resolving in the period.")), None
    limits = resolution_limits(result.tables.get("clocks", pl.DataFrame()))
    text = tr("全部投诉：", "All complaints: ") + _quantile_text(overall.row(0, named=True))
    over = []
    for r in summary.filter(pl.col("dimension") == "severity").iter_rows(named=True):
        lim, p90 = limits.get(r["group"]), r["p90_days_estimate"]
        if lim is not None and (p90 is None or p90 > lim):
            shown = _days(p90) if p90 is not None else tr("超出观察期", "beyond follow-up")
            over.append(tr(f"{word(COMPLAINT_SEVERITY, r['group'])}（{shown} 天，时限 {lim:g} 天）",
                           f"{word(COMPLAINT_SEVERITY, r['group'])} ({shown} days, limit "
                           f"{lim:g})"))
    if over:
        text += tr("。90% 办结用时超过办结时限的投诉等级：", ". Severities whose 90th percentile "
                   "exceeds the limit: ") + _list(over)
    else:
        text += tr("；各等级都有 90% 以上的投诉在办结时限内办结",
                   "; at least 90% of every severity were resolved within the limit")
    text += tr(f"（对应规则：{_rule('resolution_breach')}）。",
               f" (rule: {_rule('resolution_breach').lower()}).")
    if not over:
        return text, None
    slow = summary.filter((pl.col("dimension") == "subsidiary_id")
                          & (pl.col("p90_days_estimate") > max(limits.values(), default=0)))
    who = _list(_sub(s) for s in slow.sort("p90_days_estimate", descending=True)["group"])
    return text, tr(f"请缩短上述等级投诉的办结时间{('，重点是' + who) if who else ''}；"
                    "对接近时限仍未办结的投诉提前预警（见下文“超时风险”）。",
                    "Shorten the resolution of these severities"
                    + (f", first at {who}" if who else "")
                    + "; warn early on complaints close to their limit (see Breach risk).")


def _metric(metrics: Mapping[str, Any], key: str) -> float | None:
    value = metrics.get(key)
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _model_quality(m: Mapping[str, Any]) -> tuple[str, bool]:
    """The validation in one or two plain sentences, and whether it met its own policy."""
    precision, wanted = _metric(m, "precision_oot"), _metric(m, "min_precision")
    skill, auc = _metric(m, "brier_skill_oot"), _metric(m, "roc_auc_oot")
    if precision is None and auc is None:
        return tr("模型尚未能在报告期内检验。", "The model could not be validated on the "
                  "period."), False
    parts, ok = [], True
    if precision is not None and wanted is not None:
        ok = precision >= wanted
        parts.append(tr(f"被标记的情形中实际超时的占 {_pct(precision)}"
                        f"（设定要求不低于 {_pct(wanted)}，{'达到' if ok else '未达到'}）",
                        f"{_pct(precision)} of the flags went on to breach (the policy asks "
                        f"for {_pct(wanted)}: {'met' if ok else 'not met'})"))
    if auc is not None:
        parts.append(tr(f"区分超时与否的能力 AUC 为 {auc:.2f}（0.5 相当于随机）",
                        f"AUC {auc:.2f} (0.5 is chance)"))
    if skill is not None:
        ok = ok and skill > 0
        parts.append(tr("概率的准确度" + ("优于" if skill > 0 else "不如") + "直接按平均超时率估计",
                        "its probabilities are " + ("better" if skill > 0 else "no better")
                        + " than the average breach rate"))
    return tr("模型用报告期之前的数据建立、在报告期内检验：", "Fitted before the period and "
              "validated on it: ") + _list(parts) + tr("。", "."), ok


def breach_risk(result: AnalysisResult, period: Period | str) -> Conclusion:
    """Open complaints predicted to breach, and how far the prediction can be trusted."""
    notes = _notes(result, ["breach_risk"])
    m = {r[0]: r[1] for r in result.tables["risk_metrics"].iter_rows()} \
        if "risk_metrics" in result.tables and result.tables["risk_metrics"].height else {}
    scored = result.tables.get("risk_scores", pl.DataFrame()).height
    if notes or _metric(m, "threshold") is None:
        why = _clauses(notes) if notes else tr("模型没有给出标记门槛", "the model set no cut-off")
        return tr(f"超时风险未评估：{why}。这不是“没有风险”的结论。",
                  f"Breach risk was not judged: {why}. This is not a clean result."), None
    flagged = result.findings.filter(pl.col("rule") == "breach_risk")
    cut = _pct(_metric(m, "threshold"))
    quality, ok = _model_quality(m)
    if flagged.height == 0:
        return tr(f"期末 {_n(scored)} 件在办投诉中，没有投诉的预计超时概率达到标记门槛（{cut}）。",
                  f"None of the {_n(scored)} open complaints reached the cut-off ({cut}).") \
            + quality, None
    text = tr(f"期末 {_n(scored)} 件在办投诉中，{_n(flagged.height)} 件被模型判为可能超过办结时限"
              f"（预计超时概率不低于 {cut}）；这是预测，不是已发生的违规。",
              f"Of {_n(scored)} open complaints at the period end, {_n(flagged.height)} are "
              f"likely to miss their resolution limit (probability at least {cut}); a "
              "prediction, not a breach. ") + quality
    action = tr(f"请相关子公司在期限前优先跟进这 {_n(flagged.height)} 件投诉（见下表）",
                f"The subsidiaries concerned should work these {_n(flagged.height)} complaints "
                "first, before their deadlines (table below)")
    action += tr("。" if ok else "；模型检验未达到设定要求，名单只宜作为跟进顺序的参考，"
                 "请模型负责人复核模型和门槛。",
                 "." if ok else "; the model did not pass its own validation policy, so use "
                 "the list as an order of work only and have the model owner review it.")
    return text, action


def recurring(result: AnalysisResult, period: Period | str) -> Conclusion:
    """Root causes whose monthly volume did not fall after they first exceeded the threshold."""
    notes = _notes(result, ["recurring_cause"])
    if notes:
        return _clauses(notes) + tr("。", "."), None
    causes = result.tables.get("recurring", pl.DataFrame())
    months = result.parameters.get("recurring_months")
    over = causes.filter(pl.col("trigger_month").is_not_null()) if causes.height else causes
    flagged = over.filter(pl.col("flagged")) if over.height else over
    if flagged.height == 0:
        fell = over.filter(pl.col("judged")).height if over.height else 0
        return tr(f"近 {months} 个月没有哪类投诉原因在超标后持续居高"
                  + (f"（{_n(fell)} 类原因曾超标，之后均已回落）" if fell else "") + "。",
                  f"No root cause stayed high after exceeding the threshold in the last {months} "
                  "months" + (f" ({_n(fell)} exceeded it and then fell)" if fell else "") + "."
                  ), None
    parts = [tr(f"{_sub(r['subsidiary_id'])} 的“{word(ROOT_CAUSES, r['root_cause'])}”类投诉在 "
                f"{r['trigger_month']:%Y-%m} 达到 {_n(r['trigger_count'])} 件"
                f"（占 {_pct(r['trigger_share'])}）后没有下降，此后 {_n(r['months_after'])} 个月"
                f"平均每月 {r['mean_count_after']:.1f} 件（占 {_pct(r['share_after'])}）",
                f"{_cap(_sub(r['subsidiary_id']))}: complaints about "
                f"{word(ROOT_CAUSES, r['root_cause'])} reached {_n(r['trigger_count'])} in "
                f"{r['trigger_month']:%Y-%m} ({_pct(r['trigger_share'])}) and did not fall: "
                f"{r['mean_count_after']:.1f} a month over the next {_n(r['months_after'])} "
                f"months ({_pct(r['share_after'])})")
             for r in flagged.sort("share_after", descending=True).iter_rows(named=True)]
    text = _clauses(parts) + tr(f"。整改没有见效（{_rule('recurring_cause')}）。",
                                f". The rectification did not work "
                                f"({_rule('recurring_cause').lower()}).")
    f = result.findings.filter(pl.col("rule") == "recurring_cause")
    who = _list(f"{_sub(r['subsidiary_id'])}（{word(ROOT_CAUSES, r['root_cause'])}）" if is_zh()
                else f"{_sub(r['subsidiary_id'])} ({word(ROOT_CAUSES, r['root_cause'])})"
                for r in flagged.iter_rows(named=True))
    due = _due_phrase(f["severity"].to_list() if f.height else ["medium"], period)
    return text, tr(f"请{who}查明根本原因、制定并落实整改措施（{due}），"
                    "下期报告复核月度投诉量是否回落。",
                    f"{_cap(who)}: find the root cause and put a fix in place "
                    f"({due}); the next report checks whether the monthly volume falls.")


def overall(result: AnalysisResult, period: Period | str) -> Conclusion:
    """All findings of the period: violations apart from predictions."""
    f = result.findings
    if f.height == 0:
        notes = _notes(result, [*CLOCK_RULES, "missing_record", "breach_risk", "recurring_cause"])
        if notes:
            return tr("本期没有发现，但以下内容无法评估：", "No findings, but these could not be "
                      "judged: ") + _clauses(notes) + tr("。", "."), None
        return tr("本期投诉处理时效分析未发现问题。", "No finding in the period."), None
    actual = f.filter(pl.col("rule") != "breach_risk")
    predicted = f.height - actual.height
    text = tr(f"本期共有 {_n(actual.height)} 项违规（{_severity_counts(actual)}）",
              f"{_n(actual.height)} violations in the period ({_severity_counts(actual)})")
    if predicted:
        text += tr(f"，另有 {_n(predicted)} 件在办投诉预计可能超时（预测，不计为违规）",
                   f", and {_n(predicted)} open complaints predicted to breach (predictions, "
                   "not violations)")
    text += tr("。下表按严重程度排列，完整清单见 findings.csv。",
               ". The table lists the worst first; every finding is in findings.csv.")
    action = tr(f"整改期限：{_due_phrase(actual['severity'].to_list(), period)}；"
                "各子公司的整改清单见 worklists 文件夹，每行一项，可直接分派和销项。",
                f"Deadlines: {_due_phrase(actual['severity'].to_list(), period)}; each "
                "subsidiary's worklist (worklists folder) has one row per thing to fix, ready "
                "to assign and close.") if actual.height else None
    return text, action
