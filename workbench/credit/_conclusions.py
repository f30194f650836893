"""Each section of the credit report concluded in words (结论) with what to do next
(整改建议), computed from the :class:`~workbench.analysis.AnalysisResult`.

Every function returns ``(finding, action)`` in the report's language
(:func:`workbench.i18n.tr`); ``action`` is None when there is nothing to do. A
conclusion states what the evidence shows and which rule it evidences; a clean
section says so plainly; a section with nothing to judge says what could not be
judged (never "no problems"). Numbers come from the result, deadlines from the
severity policy's ``remediation_days`` and grade caps from the credit policy in
force, never from constants in the text.

The notebook calls :func:`conclusion` with a section name from :data:`SECTIONS`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import polars as pl

from workbench import i18n
from workbench.analysis import AnalysisResult
from workbench.credit import _words as w
from workbench.credit._grades import GRADE_ORDER, load_policy
from workbench.credit._validation import ABOVE, PSI_SHIFT, PSI_STABLE
from workbench.labels import SEVERITIES
from workbench.severity import load_policy as severity_policy

_n, _cny, _pct, _join, _sentence = w.num, w.cny, w.pct, w.join_words, w.sentence
feature_words, grade_words, note_text, status_words = (
    w.feature_words, w.grade_words, w.note_text, w.status_words)

Conclusion = tuple[str, str | None]
#: One-sided level at which an out-of-time AUC above 0.5 counts as "better than chance".
AUC_ALPHA = 0.05


# ---------------------------------------------------------------------- helpers
def _days(severity: str) -> int | None:
    """Days to fix a finding of ``severity`` (the severity policy's
    ``remediation_days``, as the worklists' due dates), None if not stated.
    """
    days: dict[str, int] = getattr(severity_policy(), "remediation_days", None) or {}
    return days.get(severity)


def _period_end(result: AnalysisResult) -> dt.date | None:
    """The end of the period (exclusive): the out-of-time window's label date."""
    samples = result.tables.get("samples")
    if samples is None:
        return None
    oot = samples.filter(pl.col("sample") == "out_of_time")["label_date"]
    return oot[0] if oot.len() else None


def _deadline(result: AnalysisResult, severity: str) -> str:
    """``在 15 日内（2026-10-15 前）``: the severity policy's days after the period."""
    days = _days(severity)
    if days is None:
        return i18n.tr("尽快", "as soon as possible")
    end = _period_end(result)
    due = "" if end is None else (end + dt.timedelta(days=days - 1)).isoformat()
    if i18n.is_zh():
        return f"在 {days} 日内" + (f"（{due} 前）" if due else "")
    return f"within {days} days" + (f" (by {due})" if due else "")


def _top_subsidiary(findings: pl.DataFrame, unit: tuple[str, str]) -> str:
    """``最多的是子公司 0330（5 家）`` when findings span more than one subsidiary."""
    subs = findings.filter(pl.col("subsidiary_id").is_not_null())
    counts = subs.group_by("subsidiary_id").len().sort(["len", "subsidiary_id"],
                                                     descending=[True, False])
    if counts.height < 2:
        return ""
    sub, n = counts.row(0)
    return i18n.tr(f"最多的是子公司 {sub}（{n} {unit[0]}）",
                   f"most at subsidiary {sub} ({n} {unit[1]})")


def _details(findings: pl.DataFrame) -> list[dict[str, Any]]:
    return [json.loads(d) for d in findings["detail"].to_list()]


def _owed(findings: pl.DataFrame) -> tuple[int, float]:
    """Enterprises with money outstanding and its total."""
    owed = findings.filter(pl.col("amount_cny").fill_null(0.0) > 0.005)
    return owed.height, float(owed["amount_cny"].sum() or 0.0)


def _rule(result: AnalysisResult, rule: str) -> pl.DataFrame:
    return result.findings.filter(pl.col("rule") == rule)


def _nothing_to_judge(result: AnalysisResult) -> Conclusion | None:
    if result.metrics.get("enterprises_graded", 0):
        return None
    return (i18n.tr("本期没有企业客户，信用分析无可评估的内容；这不是“未发现问题”的结论。",
                    "There are no enterprise customers in the period: nothing could be "
                    "judged, which is not a clean result."), None)


# --------------------------------------------------------------------- sections
def data_conclusion(result: AnalysisResult) -> Conclusion:
    """How many enterprises are judged and how many the registry extracts cover."""
    if (empty := _nothing_to_judge(result)) is not None:
        return empty
    facts = result.tables["registry_facts"]
    n = int(result.metrics["enterprises_graded"])
    found = int(facts["in_registry"].fill_null(False).sum())
    missing = facts.height - found
    latest = facts["snapshot_date"].max()
    when = "" if latest is None else i18n.tr(f"（最新提取日 {latest}）",
                                             f" (latest extract {latest})")
    text = i18n.tr(
        f"本期评估 {_n(n)} 家企业客户，其中 {_n(found)} 家有期末前的企业登记信息{when}，"
        f"{_n(missing)} 家查无登记信息。",
        f"{_n(n)} enterprise customers are judged; {_n(found)} have a registry extract "
        f"before the period end{when}, {_n(missing)} are not in the registry.")
    if not missing:
        return text, None
    return text, i18n.tr(
        f"请核实这 {_n(missing)} 家企业的统一社会信用代码并补齐登记信息；核实前信用政策"
        "按“身份无法核实”拒绝授信。",
        f"Check the USCC of these {_n(missing)} enterprises and obtain their registry "
        "record; until then the credit policy rejects them (identity not verified).")


def status_conclusion(result: AnalysisResult) -> Conclusion:
    """Enterprises by registry status: knock-outs, capped statuses, active."""
    if (empty := _nothing_to_judge(result)) is not None:
        return empty
    facts = result.tables["registry_facts"]
    counts = Counter(facts["status"].to_list())
    order = ["active", "suspended", "moved_out", "revoked", "cancelled", None]
    parts = [i18n.tr(f"{status_words(s)} {_n(counts[s])} 家", f"{_n(counts[s])} {status_words(s)}")
             for s in order if counts.get(s)]
    weak = counts.get("suspended", 0) + counts.get("moved_out", 0)
    knocked = counts.get("revoked", 0) + counts.get("cancelled", 0)
    text = i18n.tr(f"期末最新登记信息显示：{_join(parts)}。",
                   f"At the latest extract: {_join(parts)}.")
    if knocked:
        text += i18n.tr(f"吊销、注销的 {_n(knocked)} 家属于登记状态否决，不得授信"
                        "（见下文“否决”）。",
                        f" The {_n(knocked)} revoked or cancelled are knock-outs: no credit "
                        "(see Knock-outs below).")
    if weak:
        text += i18n.tr(f"停业、迁出的 {_n(weak)} 家不属于否决，但信用政策限定其最高等级。",
                        f" The {_n(weak)} suspended or moved out are not knock-outs, but the "
                        "credit policy caps their grade.")
    if not (knocked or weak):
        text += i18n.tr("没有停业、迁出、吊销或注销的企业。",
                        " No enterprise is suspended, moved out, revoked or cancelled.")
    action = None
    if weak:
        action = i18n.tr(f"请按信用政策的等级上限调整这 {_n(weak)} 家停业、迁出企业的账期和额度，"
                         "并跟踪其登记状态。",
                         f"Set terms and limits of these {_n(weak)} suspended or moved-out "
                         "enterprises to the policy's cap and follow their registry status.")
    return text, action


def findings_conclusion(result: AnalysisResult) -> Conclusion:
    """All findings: counts by severity, enterprises, money (each enterprise once)."""
    if (empty := _nothing_to_judge(result)) is not None:
        return empty
    f = result.findings
    if not f.height:
        return (i18n.tr("本期未发现统一社会信用代码无效、登记状态否决、登记信息变更或年报逾期的"
                        "企业客户。",
                        "No enterprise customer has an invalid USCC, a registry knock-out, a "
                        "registry change or an overdue annual report."), None)
    sev = {s: f.filter(pl.col("severity") == s).height for s in SEVERITIES}
    per_ent = f.group_by("entity_id").agg(pl.col("amount_cny").max())
    owed = float(per_ent["amount_cny"].sum() or 0.0)
    words = {s: i18n.value("severity", s) for s in SEVERITIES}
    text = i18n.tr(
        f"本期共 {_n(f.height)} 项发现（{_join(f'{words[s]} {_n(sev[s])}' for s in SEVERITIES)}），"
        f"涉及 {_n(per_ent.height)} 家企业，应收未结合计 {_cny(owed)}（同一企业只计一次）。",
        f"{_n(f.height)} findings ({_join(f'{words[s]} {_n(sev[s])}' for s in SEVERITIES)}) "
        f"on {_n(per_ent.height)} enterprises, {_cny(owed)} outstanding (each enterprise "
        "counted once).")
    worst = next(s for s in SEVERITIES if sev[s])
    top = _top_subsidiary(f.filter(pl.col("severity") == worst), ("项", "findings"))
    action = i18n.tr(
        f"{words[worst]}严重度的 {_n(sev[worst])} 项请{_deadline(result, worst)}处理"
        + (f"，{top}" if top else "") + "；逐项清单见各子公司整改清单。",
        f"Handle the {_n(sev[worst])} {words[worst].lower()}-severity findings "
        f"{_deadline(result, worst)}" + (f"; {top}" if top else "")
        + "; each subsidiary's worklist lists them.")
    return text, action


def knockout_conclusion(result: AnalysisResult) -> Conclusion:
    """``registry_knockout``: revoked, cancelled or serious-illegal listed."""
    if (empty := _nothing_to_judge(result)) is not None:
        return empty
    f = _rule(result, "registry_knockout")
    if not f.height:
        return (i18n.tr("本期没有被吊销、注销或列入严重违法失信名单的企业客户（登记状态否决）。",
                        "No enterprise customer is revoked, cancelled or on the "
                        "serious-illegal list (registry knock-out)."), None)
    details = _details(f)
    status = Counter(d.get("status") for d in details)
    listed = sum(1 for d in details if d.get("serious_illegal"))
    kinds = [i18n.tr(f"{status_words(s)} {status[s]} 家", f"{status[s]} {status_words(s)}")
             for s in ("revoked", "cancelled") if status.get(s)]
    if listed:
        kinds.append(i18n.tr(f"列入严重违法失信名单 {listed} 家",
                             f"{listed} on the serious-illegal list"))
    n_owed, owed = _owed(f)
    top = _top_subsidiary(f, ("家", "enterprises"))
    text = i18n.tr(
        f"{_n(f.height)} 家企业客户属于登记状态否决（{_join(kinds)}），按《企业信息公示暂行条例》"
        f"及严重违法失信名单管理办法不得新增授信；其中 {n_owed} 家仍有应收未结，合计 {_cny(owed)}"
        + (f"；{top}" if top else "") + "。",
        f"{_n(f.height)} enterprise customers are registry knock-outs ({_join(kinds)}); no new "
        f"credit may be extended; {n_owed} still owe {_cny(owed)}"
        + (f"; {top}" if top else "") + ".")
    action = i18n.tr(
        f"请立即停止对这 {_n(f.height)} 家企业赊销和新增授信，并{_deadline(result, 'high')}"
        f"对仍有欠款的 {n_owed} 家启动催收（已注销的向清算组申报债权）。",
        f"Stop all credit sales to these {_n(f.height)} enterprises now and start collection "
        f"from the {n_owed} that owe money {_deadline(result, 'high')} (file claims with the "
        "liquidator of cancelled ones).")
    return text, action


def change_conclusion(result: AnalysisResult) -> Conclusion:
    """``registry_change``: what changed since the previous extract, by severity."""
    if (empty := _nothing_to_judge(result)) is not None:
        return empty
    f = _rule(result, "registry_change")
    if not f.height:
        return (i18n.tr("与上一次登记信息相比，本期没有企业客户的登记状态、经营异常名录或严重违法"
                        "失信名单情况发生变化。",
                        "No enterprise customer's status or list membership changed since "
                        "the previous extract."), None)
    sev = {s: f.filter(pl.col("severity") == s).height for s in SEVERITIES}
    kinds: Counter[str] = Counter()
    for d in _details(f):
        for key, ch in (d.get("changes") or {}).items():
            kinds[key if key == "status" else f"{key}_{'in' if ch.get('after') else 'out'}"] += 1
    names = {"status": ("登记状态变化", "status changed"),
             "abnormal_in": ("列入经营异常名录", "put on the abnormal-operation list"),
             "abnormal_out": ("移出经营异常名录", "taken off the abnormal-operation list"),
             "serious_illegal_in": ("列入严重违法失信名单", "put on the serious-illegal list"),
             "serious_illegal_out": ("移出严重违法失信名单", "taken off the serious-illegal list")}
    what = [i18n.tr(f"{names[k][0]} {kinds[k]} 家", f"{kinds[k]} {names[k][1]}")
            for k in names if kinds.get(k)]
    text = i18n.tr(
        f"{_n(f.height)} 家企业的登记信息较上一次提取发生变化（{_join(what)}）：{sev['high']} 家"
        f"因此变为否决（高），{sev['medium']} 家情况变差（中），{sev['low']} 家有所改善（低）。",
        f"{_n(f.height)} enterprises' registry records changed since the previous extract "
        f"({_join(what)}): {sev['high']} became knock-outs (high), {sev['medium']} changed "
        f"for the worse (medium), {sev['low']} improved (low).")
    steps = []
    if sev["high"]:
        steps.append(i18n.tr(f"变为否决的 {sev['high']} 家立即停止授信，"
                             f"{_deadline(result, 'high')}完成催收安排",
                             f"stop credit to the {sev['high']} new knock-outs now and arrange "
                             f"collection {_deadline(result, 'high')}"))
    if sev["medium"]:
        steps.append(i18n.tr(f"情况变差的 {sev['medium']} 家{_deadline(result, 'medium')}"
                             "复核额度和账期",
                             f"review limits and terms of the {sev['medium']} that got worse "
                             f"{_deadline(result, 'medium')}"))
    if sev["low"]:
        steps.append(i18n.tr(f"改善的 {sev['low']} 家{_deadline(result, 'low')}更新信用档案",
                             f"update the credit file of the {sev['low']} that improved "
                             f"{_deadline(result, 'low')}"))
    return text, _sentence(steps)


def annual_report_conclusion(result: AnalysisResult) -> Conclusion:
    """``annual_report_overdue``: active enterprises without the required annual report."""
    if (empty := _nothing_to_judge(result)) is not None:
        return empty
    f = _rule(result, "annual_report_overdue")
    if not f.height:
        return (i18n.tr("所有存续企业客户均已按期报送年度报告。",
                        "Every active enterprise customer filed its annual report on time."), None)
    years = sorted({int(d["required_year"]) for d in _details(f) if d.get("required_year")})
    year = _join(str(y) for y in years)
    n_owed, owed = _owed(f)
    cap = load_policy(result.parameters.get("policy_path")).caps.get("annual_report_overdue")
    capped = "" if cap is None else i18n.tr(f"信用政策将其等级上限设为 {cap[0]}。",
                                            f" The credit policy caps their grade at {cap[0]}.")
    text = i18n.tr(
        f"{_n(f.height)} 家存续企业未报送 {year} 年度报告（《企业信息公示暂行条例》第八条："
        f"每年 6 月 30 日前报送上一年度报告），其中 {n_owed} 家仍有应收未结，"
        f"合计 {_cny(owed)}。{capped}",
        f"{_n(f.height)} active enterprises have not filed their {year} annual report (due by "
        f"30 June of the next year), {n_owed} of them owe {_cny(owed)}.{capped}")
    worst = next(s for s in SEVERITIES if f.filter(pl.col("severity") == s).height)
    action = i18n.tr(
        f"请{_deadline(result, worst)}书面提醒这些企业补报年报；补报并经登记信息确认前，"
        "按信用政策的等级上限授信。",
        f"Remind these enterprises in writing to file {_deadline(result, worst)}; until the "
        "registry shows the report, grant credit only up to the policy's cap.")
    return text, action


def uscc_conclusion(result: AnalysisResult) -> Conclusion:
    """``invalid_uscc``: codes failing GB 32100 / GB 11714 checks."""
    if (empty := _nothing_to_judge(result)) is not None:
        return empty
    f = _rule(result, "invalid_uscc")
    if not f.height:
        return (i18n.tr("所有企业客户的统一社会信用代码均通过 GB 32100 结构和校验码检查。",
                        "Every enterprise customer's USCC passes the GB 32100 structure and "
                        "check-character tests."), None)
    details = _details(f)
    checks = Counter(d.get("check") for d in details)
    what = [i18n.tr(f"{w.CHECK_WORDS.get(k, (k, k))[0]}的 {v} 个",
                    f"{w.CHECK_WORDS.get(k, (k, k))[1]}: {v}") for k, v in checks.most_common()]
    unknown = sum(1 for d in details if d.get("in_registry") is False)
    n_owed, owed = _owed(f)
    text = i18n.tr(
        f"{_n(f.height)} 个企业客户的统一社会信用代码未通过 GB 32100 检查（{_join(what)}），其中 "
        f"{unknown} 个在登记信息中也查不到；这些企业身份无法核实，信用政策拒绝授信。{n_owed} 家"
        f"仍有应收未结，合计 {_cny(owed)}。",
        f"{_n(f.height)} enterprise customers' USCCs fail the GB 32100 checks ({_join(what)}); "
        f"{unknown} are not in the registry either. Their identity cannot be verified and the "
        f"credit policy rejects them; {n_owed} owe {_cny(owed)}.")
    action = i18n.tr(
        f"请客户主数据负责人{_deadline(result, 'high')}向这些客户索取营业执照，核对并更正代码；"
        "更正前不得新增授信。",
        f"Master-data owners: obtain each customer's business licence and correct the code "
        f"{_deadline(result, 'high')}; no new credit until then.")
    return text, action


def auc_p_value(auc: float, defaults: int, goods: int) -> float:
    """One-sided p-value of "AUC > 0.5" (Mann–Whitney U, normal approximation)."""
    if defaults < 1 or goods < 1 or auc is None or math.isnan(auc):
        return math.nan
    se = math.sqrt((defaults + goods + 1) / (12.0 * defaults * goods))
    return 0.5 * math.erfc((auc - 0.5) / se / math.sqrt(2.0))


def _oot_dates(result: AnalysisResult) -> tuple[Any, Any]:
    v = result.tables["validation"].filter(pl.col("sample") == "out_of_time")
    return (v["feature_date"][0], v["label_date"][0]) if v.height else (None, None)


def _above_band(result: AnalysisResult) -> list[dict[str, Any]]:
    table = result.tables.get("reliability_by_grade")
    if table is None:
        return []
    rows = table.filter((pl.col("assessment") == ABOVE) & (pl.col("customers") > 0))
    return list(rows.iter_rows(named=True))


def _undeveloped(result: AnalysisResult) -> Conclusion:
    notes = [note_text(n) for n in result.tables["notes"]["note"].to_list()]
    why = notes[0] if notes else ""
    return (
        i18n.tr(f"本期未能开发评分卡（{why}），所有企业按最低一档评级；评分卡的区分能力和校准无法评估。",
                f"No scorecard could be developed ({why}); every enterprise is graded in the "
                "lowest band, and discrimination and calibration could not be judged."),
        i18n.tr("待违约和未违约企业都积累到足够数量（见文末参数表 min_class_rows）后再开发评分卡；"
                "在此之前大额授信逐笔人工审批。",
                "Develop the scorecard once there are enough defaults and non-defaults (see "
                "min_class_rows in the parameters table); until then approve large limits "
                "one by one."))


def _discrimination(result: AnalysisResult) -> tuple[str, float]:
    """The out-of-time AUC in one plain sentence, and its one-sided p-value."""
    m = result.metrics
    auc, n, d = m["oot_auc"], int(m["oot_customers"]), int(m["oot_defaults"])
    p = auc_p_value(auc, d, n - d)
    t0, end = _oot_dates(result)
    better = p < AUC_ALPHA
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    if i18n.is_zh():
        verdict = (f"显著优于随机排序（单侧检验 {p_text}，低于 {AUC_ALPHA}）" if better else
                   f"不能证明优于随机排序（单侧检验 {p_text}，未低于 {AUC_ALPHA}）")
        return (f"评分卡只用 {t0} 之前的还款结果开发，再用 {t0} 至 {end} 的实际结果检验（样本外："
                f"{_n(n)} 家企业，{_n(d)} 家违约）：AUC 为 {auc:.2f}，即随机抽一家违约企业和一家"
                f"未违约企业，评分卡把前者排在风险更高一侧的概率为 {_pct(auc, 0)}（随机排序为 "
                f"50%），{verdict}。"), p
    verdict = (f"clearly better than a random order (one-sided {p_text}, below {AUC_ALPHA})"
               if better else f"not shown to beat a random order (one-sided {p_text})")
    return (f"The scorecard was developed on outcomes before {t0} only and judged on the "
            f"outcomes of {t0} to {end} (out of time: {_n(n)} enterprises, {_n(d)} defaults): "
            f"AUC {auc:.2f}, i.e. it ranks a random defaulter above a random non-defaulter "
            f"{_pct(auc, 0)} of the time (random order: 50%), {verdict}."), p


def scorecard_conclusion(result: AnalysisResult) -> Conclusion:
    """Out-of-time discrimination, accuracy of the PDs and the grades' PD bands."""
    if (empty := _nothing_to_judge(result)) is not None:
        return empty
    m = result.metrics
    if not m.get("scorecard_developed"):
        return _undeveloped(result)
    if m.get("oot_brier") is None:
        return (i18n.tr("评分卡已开发，但样本外观察期内没有可用的还款结果，本期无法检验其区分能力和"
                        "校准（开发样本交叉验证的结果仅供参考，不作为结论）。",
                        "A scorecard was developed, but no outcome in the out-of-time window "
                        "could judge it; the cross-validated figures are a comparison, not a "
                        "verdict."),
                i18n.tr("下期有样本外结果后复验；在此之前谨慎使用评分结果，大额授信逐笔人工审批。",
                        "Validate it when out-of-time outcomes exist; until then approve large "
                        "limits one by one."))
    parts: list[str] = []
    p = math.nan
    if m.get("oot_auc") is not None:
        sentence, p = _discrimination(result)
        parts.append(sentence)
    else:  # one class out of time: the note says why there is no AUC
        parts += [note_text(n) + i18n.tr("。", ".")
                  for n in result.tables["notes"]["note"].to_list() if "AUC" in n]
    skill = m.get("oot_brier_skill")
    if skill is not None:
        better = (i18n.tr("更准确", "more") if skill > 0
                  else i18n.tr("并不更准确", "not more"))
        parts.append(i18n.tr(
            f"评分卡给出的违约概率比“每家企业都按开发期平均违约率估计”{better}"
            f"（Brier 技能分 {_pct(skill, 0)}）。",
            f"Its probabilities of default are {better} accurate than giving every enterprise "
            f"the development default rate (Brier skill {_pct(skill, 0)})."))
    above = _above_band(result)
    if above:
        grades = _join(i18n.tr(f"{r['grade']}（实际 {_pct(r['observed_rate'])}，区间上限 "
                               f"{_pct(r['pd_high'])}）",
                               f"{r['grade']} (observed {_pct(r['observed_rate'])}, band up "
                               f"to {_pct(r['pd_high'])})") for r in above)
        parts.append(i18n.tr(f"按等级看，{grades} 的实际违约率高于信用政策主标尺给该等级的违约概率"
                             "区间，考虑抽样误差后仍然如此。",
                             f"By grade, {grades} default more than the master scale admits, "
                             "even allowing for sampling error."))
    elif "reliability_by_grade" in result.tables:
        parts.append(i18n.tr("按等级看，没有哪个等级的实际违约率明显高于信用政策主标尺给它的"
                             "违约概率区间。",
                             "By grade, no grade defaults clearly more than its band on the "
                             "master scale."))
    text = "".join(parts) if i18n.is_zh() else " ".join(parts)
    return text, _scorecard_action([r["grade"] for r in above], p)


def _scorecard_action(above: list[str], p: float) -> str:
    """What to do after the out-of-time validation."""
    if above:
        return i18n.tr(f"请风险管理部门复核 {_join(above)} 级的违约概率区间和评分卡校准；"
                       "复核完成前，这些等级的新增额度从严审批。",
                       f"Risk management: review the PD band and calibration of grade(s) "
                       f"{_join(above)}; approve new limits in them strictly until then.")
    if math.isnan(p):
        return i18n.tr("样本外结果只有一类，区分能力无法检验：下期有两类结果后复验。",
                       "Out-of-time outcomes are all of one kind, so discrimination could not "
                       "be judged: validate again next period.")
    if p >= AUC_ALPHA:
        return i18n.tr("评分卡在样本外没有显示出区分能力：请模型验证人员复核特征和样本，复核前"
                       "不宜仅凭评分调整额度。",
                       "The scorecard shows no discrimination out of time: have it reviewed "
                       "before limits follow its scores.")
    return i18n.tr("评分卡可继续用于评级；下期用新的样本外结果复验。",
                   "The scorecard may keep grading; validate it again next period on new "
                   "outcomes.")


def stability_conclusion(result: AnalysisResult) -> Conclusion:
    """PSI of the score and of the features in the model."""
    if (empty := _nothing_to_judge(result)) is not None:
        return empty
    psi = result.tables.get("psi")
    if psi is None or not psi.height:
        return (i18n.tr("没有评分卡，稳定性无法评估。",
                        "Without a scorecard, stability could not be judged."), None)
    score = psi.filter(pl.col("variable") == "score")
    feats = psi.filter(pl.col("variable") != "score")
    moved = feats.filter(pl.col("in_model") & (pl.col("psi") > PSI_SHIFT))["variable"].to_list()
    idle = feats.filter(~pl.col("in_model") & (pl.col("psi") > PSI_SHIFT)).height
    scale = i18n.tr(f"低于 {PSI_STABLE:.2f} 为稳定，高于 {PSI_SHIFT:.2f} 为显著偏移",
                    f"below {PSI_STABLE:.2f} stable, above {PSI_SHIFT:.2f} a major shift")
    parts = []
    if score.height:
        v = float(score["psi"][0])
        state = i18n.value("assessment", score["assessment"][0])
        parts.append(i18n.tr(f"评分分布的 PSI 为 {v:.3f}（{state}；{scale}）",
                             f"the score's PSI is {v:.3f} ({state}; {scale})"))
    names = _join(feature_words(v) for v in moved)
    parts.append(i18n.tr(f"入模特征中 {len(moved)} 个显著偏移：{names}" if moved else
                         "入模特征都没有显著偏移",
                         f"{len(moved)} features in the model shifted: {names}" if moved else
                         "no feature in the model shifted"))
    if idle:
        parts.append(i18n.tr(f"另有 {idle} 个未入模的特征（开发日没有数据）显示为显著偏移，"
                             "不影响评分",
                             f"{idle} features outside the model (no data at development) show "
                             "a major shift that does not affect the score"))
    text = _sentence(parts)
    if moved:
        return text, i18n.tr(f"请复核“{names}”的数据来源和口径是否变化；若是客户结构的真实变化，"
                             "下期重新开发评分卡。",
                             f"Check whether the source or definition of {names} changed; if "
                             "the customers really changed, redevelop the scorecard.")
    if score.height and float(score["psi"][0]) >= PSI_STABLE:
        return text, i18n.tr("评分分布已有偏移：请下期继续监测，偏移加大时重新开发评分卡。",
                             "The score has shifted: watch it next period and redevelop the "
                             "scorecard if the shift grows.")
    return text, None


def _migration(matrix: pl.DataFrame) -> tuple[int, int, int, int]:
    """(downgraded, of them to reject, upgraded, new) from the migration matrix."""
    rank = {g: i for i, g in enumerate(GRADE_ORDER)}
    down = to_reject = up = new = 0
    for r in matrix.iter_rows(named=True):
        prev = r["previous"]
        for g in GRADE_ORDER:
            k = int(r.get(g) or 0)
            if prev not in rank:
                new += k
            elif rank[g] > rank[prev]:
                down += k
                to_reject += k if g == "reject" else 0
            elif rank[g] < rank[prev]:
                up += k
    return down, to_reject, up, new


def grades_conclusion(result: AnalysisResult) -> Conclusion:
    """Grades given, receivables of the good grades, migration from last period."""
    if (empty := _nothing_to_judge(result)) is not None:
        return empty
    m = result.metrics
    counts = m.get("grades") or {}
    per = _join(i18n.tr(f"{grade_words(g)} {_n(counts[g])} 家", f"{grade_words(g)} {_n(counts[g])}")
                for g in GRADE_ORDER if counts.get(g))
    parts = [i18n.tr(f"本期 {_n(m['enterprises_graded'])} 家企业客户的评级为：{per}",
                     f"{_n(m['enterprises_graded'])} enterprises graded: {per}")]
    if m.get("enterprises_not_scored"):
        parts.append(i18n.tr(f"其中 {_n(m['enterprises_not_scored'])} 家没有评分，按最低一档评级",
                             f"{_n(m['enterprises_not_scored'])} have no score and are graded "
                             "in the lowest band"))
    share = m.get("receivables_aa_share")
    if share is not None:
        parts.append(i18n.tr(
            f"AA 级及以上企业的应收未结为 {_cny(m['receivables_aa_cny'])}，占全部应收未结 "
            f"{_cny(m['receivables_outstanding_cny'])} 的 {_pct(share)}",
            f"AA or better owe {_cny(m['receivables_aa_cny'])}, {_pct(share)} of the "
            f"{_cny(m['receivables_outstanding_cny'])} outstanding"))
    down, to_reject, up, new = _migration(result.tables["migration"])
    parts.append(i18n.tr(
        f"与上期相比，{_n(down)} 家等级下调（其中 {_n(to_reject)} 家降为拒绝授信），"
        f"{_n(up)} 家上调，{_n(new)} 家为本期新评级客户",
        f"against last period {_n(down)} were downgraded ({_n(to_reject)} to reject), "
        f"{_n(up)} upgraded, {_n(new)} graded for the first time"))
    rejected = int(counts.get("reject", 0))
    steps = []
    if down:
        steps.append(i18n.tr(f"在下一次发货或续签合同前，按新等级调整 {_n(down)} 家下调企业的"
                             "账期和额度",
                             f"set the terms and limits of the {_n(down)} downgraded "
                             "enterprises to their new grade before the next delivery"))
    if rejected:
        steps.append(i18n.tr(f"对拒绝授信的 {_n(rejected)} 家停止赊销",
                             f"stop credit sales to the {_n(rejected)} rejected"))
    return _sentence(parts), (_sentence(steps) if steps else None)


#: Section name → its conclusion (the notebook's order).
SECTIONS: dict[str, Callable[[AnalysisResult], Conclusion]] = {
    "data": data_conclusion,
    "registry_status": status_conclusion,
    "findings": findings_conclusion,
    "registry_knockout": knockout_conclusion,
    "registry_change": change_conclusion,
    "annual_report_overdue": annual_report_conclusion,
    "invalid_uscc": uscc_conclusion,
    "scorecard": scorecard_conclusion,
    "stability": stability_conclusion,
    "grades": grades_conclusion,
}


def conclusion(result: AnalysisResult, section: str) -> Conclusion:
    """``(结论, 整改建议)`` of one report section (see :data:`SECTIONS`)."""
    if section not in SECTIONS:
        raise ValueError(f"unknown credit report section {section!r}; known: {list(SECTIONS)}")
    return SECTIONS[section](result)
