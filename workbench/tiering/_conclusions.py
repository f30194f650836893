"""Each section's conclusion (结论) and what to do next (整改建议), in words, from the result.

Every function takes the :class:`~workbench.analysis.AnalysisResult` of
:func:`workbench.tiering.analyze` and returns ``(conclusion, action)`` in the
report's language (:func:`workbench.i18n.tr`); ``action`` is ``None`` when there
is nothing to do. A conclusion says what the evidence shows and which rule (and
legal basis) it evidences; a clean section says so plainly; a section the data
could not judge says what could not be judged (``metrics["not_judged"]``), so an
empty input never reads as "no problems". Deadlines come from the severity
policy's remediation days; thresholds from ``result.parameters``: nothing here
states a parameter value of its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from workbench import i18n
from workbench.analysis import AnalysisResult
from workbench.contract import RULES
from workbench.evidence import group_label
from workbench.labels import SEVERITIES, SEVERITY_LABELS
from workbench.severity import load_policy
from workbench.tiering._words import tier_word

Conclusion = tuple[str, str | None]

_TIERING_RULES = ("tier_mismatch", "manual_tier_without_reason", "stale_tier",
                  "dormant_top_tier", "unpublished_policy", "hidden_benefit", "tier_disparity")


# ------------------------------------------------------------------ phrasing
_n, _money, _pct, _join = i18n.count, i18n.cny, i18n.pct, i18n.join_clauses


def _sentence(text: str) -> str:
    """``text`` as a sentence of the report's language: capitalised (English), ended
    with a full stop; "" stays "".
    """
    text = text.strip().rstrip("；;，,")
    if not text:
        return ""
    if i18n.is_zh():
        return text if text.endswith("。") else text + "。"
    text = text[0].upper() + text[1:]
    return (text if text.endswith(".") else text + ".")


def _sentences(*parts: str) -> str:
    """Each non-empty part as a sentence (:func:`_sentence`), joined."""
    return ("" if i18n.is_zh() else " ").join(s for s in map(_sentence, parts) if s)


def _basis(rule: str) -> str:
    """The rule's legal basis in the report's language (the contract keeps both)."""
    basis = RULES[rule].legal_basis
    zh, _, en = basis.partition(" (")
    return zh.strip() if i18n.is_zh() else (en.rstrip(")") or basis)


def _rule_title(rule: str) -> str:
    r = RULES[rule]
    return r.title_zh if i18n.is_zh() else r.title_en


def _evidences(rule: str) -> str:
    """"依据……，属于“……”问题" for ``rule``."""
    return i18n.tr(f"依据{_basis(rule)}，属于“{_rule_title(rule)}”问题",
                   f"these are “{_rule_title(rule)}” findings ({_basis(rule)})")


def _days(severity: str | None) -> int | None:
    """The severity policy's days to fix a finding of ``severity`` (None: not stated)."""
    days = getattr(load_policy(), "remediation_days", None) or {}
    return days.get(severity) if severity else None


def _within(severity: str | None) -> str:
    """"在报告期结束后 15 日内" from the severity policy's remediation days; "尽快" when
    the policy states none.
    """
    days = _days(severity)
    if days is None:
        return i18n.tr("尽快", "promptly")
    return i18n.tr(f"在报告期结束后 {days} 日内", f"within {days} days of the period end")


def _worst(findings: pl.DataFrame) -> str | None:
    present = set(findings["severity"].to_list())
    return next((s for s in SEVERITIES if s in present), None)


def _of(result: AnalysisResult, *rules: str) -> pl.DataFrame:
    return result.findings.filter(pl.col("rule").is_in(list(rules)))


def _not_judged(result: AnalysisResult, *rules: str) -> list[str]:
    """The notes of ``metrics["not_judged"]`` about any of ``rules``, in the report's
    language.
    """
    notes: Sequence[Mapping[str, Any]] = result.metrics.get("not_judged") or ()
    lang = i18n.current_lang()
    return [str(n[lang]) for n in notes if set(n["rules"]) & set(rules)]


def _top_subsidiary(findings: pl.DataFrame) -> tuple[str, int] | None:
    """The subsidiary with the most of ``findings`` (only when there are several)."""
    subs = findings.filter(pl.col("subsidiary_id").is_not_null())
    if subs["subsidiary_id"].n_unique() < 2:
        return None
    top = subs.group_by("subsidiary_id").len().sort(["len", "subsidiary_id"],
                                                   descending=[True, False]).row(0)
    return str(top[0]), int(top[1])


def _severity_counts(findings: pl.DataFrame) -> str:
    counts = dict(findings.group_by("severity").len().iter_rows())
    labels = SEVERITY_LABELS[i18n.current_lang()]
    return i18n.tr("、", ", ").join(
        i18n.tr(f"{labels[s]} {counts[s]:,} 项", f"{counts[s]:,} {labels[s].lower()}")
        for s in SEVERITIES if counts.get(s))


# ---------------------------------------------------------------- data, summary
def data_quality(result: AnalysisResult) -> Conclusion:
    """Whether the period's data could judge every rule, and what it could not."""
    notes = _not_judged(result, *_TIERING_RULES)
    customers = int(result.metrics.get("customers_in_scope") or 0)
    grants = int(result.tables["hidden_by_subsidiary"]["grants"].sum() or 0)
    if not notes:
        return (i18n.tr(
            f"本期数据足以评估全部 {len(_TIERING_RULES)} 条规则：期末在册客户 {customers:,} 位，"
            f"期内权益发放 {grants:,} 笔。",
            f"The period's data is enough to judge all {len(_TIERING_RULES)} rules: "
            f"{customers:,} customers at the period end, {grants:,} benefit grants in the "
            "period."), None)
    return (_sentence(i18n.tr("以下内容本期无法评估：", "what this period could not judge: ")
                      + _join(notes)),
            i18n.tr("这些规则本期没有发现问题，不代表没有问题：请数据提供方补齐缺失的数据，"
                    "或在数据量足够时重新生成本报告。",
                    "No finding under these rules does not mean no problem: ask the data "
                    "owners for the missing data, or run the report again once there is "
                    "enough of it."))


def overview(result: AnalysisResult) -> Conclusion:
    """How many findings of each severity, the money, and which rules weigh most."""
    f = result.findings
    gaps = _not_judged(result, *_TIERING_RULES)
    if f.height == 0:
        text = i18n.tr("本期没有发现问题。", "No findings this period.")
        if gaps:
            text += i18n.tr("但部分规则因数据不足无法评估（见“数据概况”）。",
                            " Some rules could not be judged for lack of data (see the "
                            "data overview).")
        return text, None
    money = float(f["amount_cny"].fill_null(0.0).sum())
    head = i18n.tr(f"本期共 {f.height:,} 项发现（{_severity_counts(f)}）",
                   f"{f.height:,} findings this period ({_severity_counts(f)})")
    if money > 0:
        head += i18n.tr(f"，涉及未公示权益 {_money(money)}",
                        f", involving {_money(money)} of unpublished benefits")
    high = f.filter(pl.col("severity") == "high").group_by("rule").len().sort(
        ["len", "rule"], descending=[True, False])
    if high.height:
        parts = i18n.tr("、", ", ").join(
            i18n.tr(f"{_rule_title(r)} {n:,} 项", f"{_rule_title(r).lower()} ({n:,})")
            for r, n in high.iter_rows())
        head += i18n.tr(f"。高严重度问题为：{parts}", f". High severity: {parts}")
    return _sentence(head), _overview_action()


def _overview_action() -> str:
    where = i18n.tr("逐项清单见下文“工作清单”和各子公司整改清单",
                    "each item is in the worklist below and in each subsidiary's worklist")
    days = {s: _days(s) for s in SEVERITIES}
    if any(d is None for d in days.values()):
        return _sentence(i18n.tr(f"请按严重程度从高到低尽快整改；{where}",
                                 f"fix the findings worst first, promptly; {where}"))
    labels = SEVERITY_LABELS[i18n.current_lang()]
    steps = i18n.tr("，", ", ").join(
        i18n.tr(f"{labels[s]}严重度 {d} 日内", f"{labels[s].lower()} within {d} days")
        for s, d in days.items())
    return _sentence(i18n.tr(f"按严重程度政策，自报告期结束起：{steps}完成整改；{where}",
                             f"by the severity policy, from the period end: {steps}; {where}"))


# ------------------------------------------------------------- 1. the policy
def policy(result: AnalysisResult) -> Conclusion:
    """``unpublished_policy``: tiers whose criteria were not published by the period end."""
    f = _of(result, "unpublished_policy")
    table = result.tables["policy"]
    if f.height == 0:
        return (i18n.tr(f"全部 {table.height} 个会员等级的评定标准均已在报告期结束前公布，"
                        "并有可量化的消费额、订单数和客户时长门槛。",
                        f"The criteria of all {table.height} tiers were published before the "
                        "period end, with quantified spend, order and tenure minimums."), None)
    never, late = [], []
    for row in f.iter_rows(named=True):
        d = json.loads(row["detail"])
        tier = tier_word(row["entity_id"])
        holders = int(d.get("holders_at_period_end") or 0)
        if d.get("published_at"):
            late.append(i18n.tr(f"{tier}等级（{str(d['published_at'])[:10]} 才公布）",
                                f"the {tier} tier (published only on "
                                f"{str(d['published_at'])[:10]})"))
        else:
            never.append(i18n.tr(f"{tier}等级（期末持有 {holders:,} 人）",
                                 f"the {tier} tier ({holders:,} holders at the period end)"))
    parts = []
    if never:
        parts.append(i18n.tr("评定标准从未公布：", "criteria never published: ")
                     + i18n.tr("、", ", ").join(never))
    if late:
        parts.append(i18n.tr("在报告期结束后才公布：", "published after the period: ")
                     + i18n.tr("、", ", ").join(late))
    text = _sentences(_join(parts), _evidences("unpublished_policy"))
    tiers = i18n.tr("、", ", ").join(tier_word(t) for t in f["entity_id"].to_list())
    action = i18n.tr(
        f"请{_within(_worst(f))}公布{tiers}等级的评定标准（消费额、订单数、客户时长门槛和复核"
        "周期）；不再使用的等级请正式停用并公告。",
        f"Publish the criteria of the {tiers} tier{'s' if f.height > 1 else ''} (spend, order "
        "and tenure minimums and the review "
        f"cycle) {_within(_worst(f))}; retire and announce any tier no longer used.")
    return text, action


# ----------------------------------------------------- 2. tiered by the criteria
def mismatch(result: AnalysisResult) -> Conclusion:
    """``tier_mismatch``: customers holding another tier than the criteria give."""
    gaps = _not_judged(result, "tier_mismatch")
    m = result.metrics
    customers = int(m.get("customers_in_scope") or 0)
    f = _of(result, "tier_mismatch")
    if customers == 0:
        return _sentence(_join(gaps)), None
    if f.height == 0:
        text = i18n.tr(f"全部 {customers:,} 位客户期末持有的等级都与公布标准给出的等级一致",
                       f"All {customers:,} customers hold the tier the published criteria give")
        return _sentences(text, _join(gaps)), None
    under, over = int(m.get("under_tiered") or 0), int(m.get("over_tiered") or 0)
    high = int((f["severity"] == "high").sum())
    text = i18n.tr(
        f"{customers:,} 位客户中有 {f.height:,} 位（{_pct(f.height / customers)}）期末持有的等级"
        f"与公布标准不符：{under:,} 位评低（没有得到应得的等级和权益），{over:,} 位评高（获得了"
        f"未公开的优待）；其中 {high:,} 位为高严重度",
        f"{f.height:,} of {customers:,} customers ({_pct(f.height / customers)}) hold another "
        f"tier than the published criteria give: {under:,} under-tiered (denied the tier and "
        f"benefits they earned), {over:,} over-tiered (an undisclosed favour); {high:,} of "
        "them high severity")
    top = _top_subsidiary(f)
    if top:
        text += i18n.tr(f"；子公司 {top[0]} 最多（{top[1]:,} 位）",
                        f"; most in subsidiary {top[0]} ({top[1]:,})")
    text = _sentences(text, _evidences("tier_mismatch"), _join(gaps))
    first = i18n.tr(f"，子公司 {top[0]} 优先", f", subsidiary {top[0]} first") if top else ""
    action = i18n.tr(
        f"请各子公司{_within(_worst(f))}按公布标准重新评定这 {f.height:,} 位客户的等级{first}："
        "评低的恢复应得等级并补发应得权益，评高的调整到应得等级或书面说明依据。",
        f"Re-tier these {f.height:,} customers by the published criteria "
        f"{_within(_worst(f))}{first}: restore the tier and the benefits of those "
        "under-tiered, and move those over-tiered to the tier due or document why.")
    return text, action


def _process_parts(result: AnalysisResult) -> tuple[list[str], list[str]]:
    """What the three process rules found, and what to do about each."""
    m, p = result.metrics, result.parameters
    manual, stale, dormant = (_of(result, r) for r in (
        "manual_tier_without_reason", "stale_tier", "dormant_top_tier"))
    top = result.tables["policy"].filter(pl.col("is_criteria"))["tier"]
    top_word = tier_word(top[0]) if top.len() else i18n.tr("顶级", "top")
    months = p.get("dormant_months", m.get("dormant_months"))
    found, todo = [], []
    if manual.height:
        found.append(i18n.tr(
            f"{manual.height:,} 位客户的当前等级为人工调整，但没有记录理由",
            f"{manual.height:,} customers hold a tier set manually with no reason recorded"))
        todo.append(i18n.tr(f"请{_within(_worst(manual))}为 {manual.height:,} 条人工调级补录理由和"
                            "审批人，说不出理由的按公布标准重新评定",
                            f"record the reason and approver of {manual.height:,} manual "
                            f"changes {_within(_worst(manual))}, re-tiering any without one"))
    if stale.height:
        twice = int((stale["severity"] == "medium").sum())
        extra = i18n.tr(f"，其中 {twice:,} 位已超过两个周期", f", {twice:,} of them by two "
                        "cycles or more") if twice else ""
        found.append(i18n.tr(f"{stale.height:,} 位客户的等级超过复核周期没有复核{extra}",
                             f"{stale.height:,} customers' tiers are past their review "
                             f"cycle{extra}"))
        todo.append(i18n.tr(f"{_within(_worst(stale))}完成这 {stale.height:,} 位客户的复核",
                            f"review these {stale.height:,} tiers {_within(_worst(stale))}"))
    if dormant.height:
        found.append(i18n.tr(
            f"{dormant.height:,} 位{top_word}会员已连续 {months} 个月以上没有订单，仍保留最高等级",
            f"{dormant.height:,} {top_word} customers have had no order for {months} months "
            "or more and still hold the top tier"))
        todo.append(i18n.tr(f"{_within(_worst(dormant))}按复核规则重新评定这 "
                            f"{dormant.height:,} 位{top_word}会员",
                            f"re-assess these {dormant.height:,} {top_word} customers by the "
                            f"review rules {_within(_worst(dormant))}"))
    return found, todo


def process(result: AnalysisResult) -> Conclusion:
    """``manual_tier_without_reason``, ``stale_tier``, ``dormant_top_tier``."""
    rules = ("manual_tier_without_reason", "stale_tier", "dormant_top_tier")
    gaps = _not_judged(result, *rules)
    found, todo = _process_parts(result)
    if not found:
        clean = i18n.tr("人工调级均记录了理由，所有等级都在复核周期内，"
                        "没有长期无订单的最高等级会员",
                        "Every manual change has a reason, every tier is within its review "
                        "cycle, and no top-tier customer is dormant")
        return _sentences(clean, _join(gaps)), None
    text = _sentences(_join(found), i18n.tr(
        f"依据{_basis('stale_tier')}，会员等级应按公开规则评定并按期复核",
        f"tiers must follow the published rules and be reviewed on time "
        f"({_basis('stale_tier')})"), _join(gaps))
    return text, _sentence(_join(todo))


# -------------------------------------------------------------- 3. hidden benefits
def hidden(result: AnalysisResult) -> Conclusion:
    """``hidden_benefit``: grants outside the published schedule, and where they gather."""
    gaps = _not_judged(result, "hidden_benefit")
    f = _of(result, "hidden_benefit")
    by_sub = result.tables["hidden_by_subsidiary"]
    grants = int(by_sub["grants"].sum() or 0)
    if f.height == 0:
        if gaps:
            return _sentence(_join(gaps)), None
        return (i18n.tr(f"本期 {grants:,} 笔权益发放都在客户所持等级公布的权益表内，"
                        "且没有超过公布值。",
                        f"All {grants:,} benefit grants of the period are in the published "
                        "benefits of the tier held, at or below the published value."), None)
    m = result.metrics
    money = float(m.get("hidden_benefit_cny") or f["amount_cny"].fill_null(0.0).sum())
    people = int(m.get("hidden_benefit_customers") or 0)
    above = int(f["detail"].str.contains('"above_published_value"').sum())
    text = i18n.tr(
        f"本期有 {f.height:,} 笔权益发放不在客户所持等级公布的权益表内或高于公布值（其中 "
        f"{f.height - above:,} 笔公布表中没有，{above:,} 笔高于公布值），涉及 {people:,} 位客户，"
        f"隐性权益金额 {_money(money)}",
        f"{f.height:,} benefit grants of the period are not in the published benefits of the "
        f"tier held or exceed the published value ({f.height - above:,} not in the schedule, "
        f"{above:,} above it), to {people:,} customers, {_money(money)} of hidden benefits")
    top = by_sub.sort("hidden_amount_cny", descending=True).row(0, named=True)
    sub = None
    if by_sub.height > 1 and (top["concentration"] or 0) > 1:
        sub = str(top["subsidiary_id"])
        text += i18n.tr(
            f"；子公司 {sub} 占隐性金额的 {_pct(top['share_of_hidden_amount'])}"
            f"（{top['hidden_grants']:,} 笔），而它只占全部发放笔数的 "
            f"{_pct(top['share_of_grants'])}",
            f"; subsidiary {sub} holds {_pct(top['share_of_hidden_amount'])} of the hidden "
            f"money ({top['hidden_grants']:,} grants) but only "
            f"{_pct(top['share_of_grants'])} of all grants")
    text = _sentences(text, _evidences("hidden_benefit"))
    who = i18n.tr(f"子公司 {sub} 及其他涉及的子公司", f"Subsidiary {sub} and the others "
                  "concerned") if sub else i18n.tr("涉及的子公司", "The subsidiaries concerned")
    action = i18n.tr(
        f"请{who}{_within(_worst(f))}停止发放公布权益表以外的权益，说明每笔发放的审批依据；"
        "确需保留的权益应先公布，再向所有符合条件的客户一视同仁地提供。",
        f"{who} should stop granting benefits outside the published schedule "
        f"{_within(_worst(f))} and document who approved each grant; a benefit worth "
        "keeping is published first, then offered to every eligible customer alike.")
    return text, action


# ------------------------------------------------------------------ 4. disparity
def _flagged_metric(group: str, m: Mapping[str, Any]) -> str:
    """One flagged (group, metric) in words: the two rates, the gap, the people."""
    who = group_label(group, i18n.current_lang())
    rg, rr = _pct(float(m["rate_group"])), _pct(float(m["rate_rest"]))
    gap = f"{abs(float(m['difference'])) * 100:.1f}"
    people = m.get("people_affected")
    if m.get("metric") == "hidden_benefit_rate":
        return i18n.tr(f"{who}获得未公布权益的比例为 {rg}，其他客户为 {rr}，低 {gap} 个百分点"
                       "（隐性优待偏向其他客户）",
                       f"{rg} of {who} received unpublished benefits against {rr} of other "
                       f"customers, {gap} points fewer (the hidden favours go to others)")
    tail = (i18n.tr(f"，按这一差距估算约 {_n(float(people))} 人因此被评低",
                    f"; at that gap about {_n(float(people))} people were under-tiered because "
                    "of it") if people is not None else "")
    return i18n.tr(f"{who}中符合较高等级条件的客户有 {rg} 被评低，其他客户只有 {rr}，"
                   f"高 {gap} 个百分点{tail}",
                   f"{rg} of eligible {who} were placed below the tier they qualify for, "
                   f"against {rr} of other customers, {gap} points more{tail}")


def _disparity_action(f: pl.DataFrame) -> str:
    """Re-tier the under-tiered members of each flagged group; explain hidden favours."""
    under, favours = [], []
    for row in f.iter_rows(named=True):
        who = group_label(row["entity_id"], i18n.current_lang())
        for m in json.loads(row["detail"]).get("metrics") or []:
            if m.get("metric") == "under_tiered_rate":
                under.append((who, int(m.get("k_group") or 0)))
            else:
                favours.append(who)
    parts = []
    when = _within(_worst(f))
    for who, k in under:
        parts.append(i18n.tr(
            f"请{when}查明定级流程（自动规则和人工调级）为何对{who}评级偏低，确认没有使用与公布"
            f"标准无关的个人特征；对该群体中 {k:,} 位被评低的客户逐一按公布标准重新评定并补发"
            "应得权益",
            f"find out {when} why the tiering (automatic rules and manual changes) places "
            f"{who} lower, confirm it uses no personal trait outside the published criteria, "
            f"and re-tier the {k:,} under-tiered customers of that group by the criteria, "
            "restoring their benefits"))
    for who in favours:
        parts.append(i18n.tr(f"说明未公布权益为何较少发给{who}，并按第 3 节停止隐性发放",
                             f"explain why unpublished benefits reach {who} less often, and "
                             "stop them as in section 3"))
    return _sentence(_join(parts))


def disparity(result: AnalysisResult) -> Conclusion:
    """``tier_disparity``: groups treated significantly and materially worse."""
    gaps = _not_judged(result, "tier_disparity")
    d = result.tables["disparity"]
    tested = int(d["tested"].sum())
    p = result.parameters
    f = _of(result, "tier_disparity")
    if tested == 0:
        return _sentence(_join(gaps) or i18n.tr("没有达到检验规模的群体，无法判断群体差异",
                                                "no group was large enough to be judged")), None
    if f.height == 0:
        return (_sentence(i18n.tr(
            f"共检验 {tested:,} 个群体与指标的组合（群体和其余客户各至少 "
            f"{p.get('min_group_size')} 人），没有群体在定级或隐性权益上显著且实质性地差于"
            "其他客户",
            f"{tested:,} (group, metric) pairs were tested (at least "
            f"{p.get('min_group_size')} customers in the group and in the rest); no group is "
            "significantly and materially worse off in tiering or hidden benefits")), None)
    parts = [_flagged_metric(row["entity_id"], m) for row in f.iter_rows(named=True)
             for m in json.loads(row["detail"]).get("metrics") or []]
    explained = int(d["explained_by"].is_not_null().sum())
    chance = i18n.tr(
        f"在检验的 {tested:,} 个群体与指标组合中，这一差距在多重比较校正后仍然显著，"
        "不能用偶然解释",
        f"among the {tested:,} (group, metric) pairs tested, this gap stays significant after "
        "correcting for the many comparisons: chance does not explain it")
    if explained:
        chance += i18n.tr(f"；另有 {explained:,} 个群体的差距可由上述群体解释，不单独列为问题",
                          f"; {explained:,} other groups' gaps are explained by it and are "
                          "not findings of their own")
    return _sentences(_join(parts), chance, _evidences("tier_disparity")), _disparity_action(f)
