"""Each section of the marketing report in words: what the evidence shows (结论) and
what to do next (整改建议), computed from the :class:`~workbench.analysis.AnalysisResult`.

One function per section of ``notebooks/marketing.ipynb`` (:data:`SECTIONS`), each
taking the result and the report's period and returning ``(conclusion, action)`` in
the report's language (:func:`workbench.i18n.tr`); ``action`` is None when there is
nothing to do. A conclusion names the rule its evidence supports; a clean section says
so plainly; a section with nothing to judge says what could not be judged, never "no
problems"; a source without the marketing tables says it was not evaluated. Numbers
come from the result, the channels a rule applies to from the content rules in force,
deadlines from the severity policy's ``remediation_days`` counted from the period's
last day.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import polars as pl

from workbench import i18n
from workbench.analysis import AnalysisResult, as_period
from workbench.contract import RULES
from workbench.i18n import is_zh, tr
from workbench.labels import SEVERITIES
from workbench.marketing._rules import load_content_rules
from workbench.marketing._words import CHANNELS, KINDS, LEXICON_ENTRIES, SIGNALS, word
from workbench.periods import Period
from workbench.severity import remediation_due

__all__ = ["NOT_EVALUATED", "SECTIONS", "conclusion"]

Conclusion = tuple[str, str | None]
_n, _pct, _list, _clauses = i18n.count, i18n.pct, i18n.join_list, i18n.join_clauses

#: What a report of a source without the three marketing tables says (zh, en).
NOT_EVALUATED = (
    "本期未评估营销与个人信息合规（数据源没有 marketing_messages、consents、privacy_requests "
    "三张表）",
    "Marketing and personal-information compliance was not evaluated this period (the "
    "source has no marketing_messages, consents and privacy_requests tables)",
)


# ------------------------------------------------------------------ small words
def _sub(subsidiary: Any) -> str:
    return tr(f"子公司 {subsidiary}", f"subsidiary {subsidiary}")


def _rule(code: str) -> str:
    return str(i18n.value("rule", code))


def _law(code: str) -> str:
    """A rule's articles of law in the reader's language: the Chinese citations with an
    article (《…》第…条), or the English names in the contract's closing brackets.
    """
    basis = RULES[code].legal_basis
    if is_zh():
        cited = re.findall(r"《[^》]+》(?:\s*\(\d{4}\))?\s*第[^\s（(;；、]+?条"
                           r"(?:第（[一二三四五六七八九十]+）项)?(?:至第[^\s（(;；、]+?条)?", basis)
        return "、".join(c.strip() for c in cited)
    m = re.search(r"\(([A-Z][^:]*?)(?::[^)]*)?\)\s*$", basis)
    return m.group(1).split(";")[0].strip() if m else ""


def _cite(code: str) -> str:
    """``违反《…》第…条（规则“…”）`` / ``in breach of … art. … (rule "…")``: a clause."""
    law = _law(code)
    return tr(f"违反{law}（规则“{_rule(code)}”）" if law else f"属于规则“{_rule(code)}”",
              f'in breach of {law} (rule "{_rule(code)}")' if law
              else f'rule "{_rule(code)}"')


def _cap(text: str) -> str:
    """``text`` with its first letter in upper case (ids and the rest as they are)."""
    return text[:1].upper() + text[1:]


def _end(text: str) -> str:
    return text + tr("。", ".")


def _sentences(parts: Iterable[str]) -> str:
    return ("" if is_zh() else " ").join(_end(p) for p in parts if p)


def _deadline(severity: str, period: Period | str | None) -> str:
    """``在 15 日内（2026-10-15 前）``: the severity policy's days after the period."""
    from workbench.severity import load_policy

    days = (load_policy().remediation_days or {}).get(severity)
    if days is None:
        return tr("尽快", "as soon as possible")
    due = None if period is None else remediation_due(severity, as_period(period).last_day)
    return tr(f"在 {days} 日内" + (f"（{due.isoformat()} 前）" if due else ""),
              f"within {days} days" + (f" (by {due.isoformat()})" if due else ""))


def _worst(findings: pl.DataFrame) -> str:
    present = set(findings["severity"].to_list())
    return next(s for s in SEVERITIES if s in present)


def _top_subsidiary(findings: pl.DataFrame, unit: tuple[str, str]) -> str:
    """``最多的是子公司 0440（72 条）`` when the findings span more than one subsidiary."""
    counts = (findings.filter(pl.col("subsidiary_id").is_not_null())
              .group_by("subsidiary_id").len()
              .sort(["len", "subsidiary_id"], descending=[True, False]))
    if counts.height < 2:
        return ""
    sub, n = counts.row(0)
    return tr(f"最多的是{_sub(sub)}（{_n(n)} {unit[0]}）", f"most at {_sub(sub)} ({_n(n)})")


def _of(result: AnalysisResult, code: str) -> pl.DataFrame:
    return result.findings.filter(pl.col("rule") == code)


def _details(findings: pl.DataFrame) -> list[dict[str, Any]]:
    return [json.loads(d) for d in findings["detail"].to_list()]


def _commercial(result: AnalysisResult) -> pl.DataFrame:
    """The commercial messages of the period (an evaluated result always has the table)."""
    return result.tables["messages"].filter(pl.col("commercial"))


def _not_evaluated_here() -> Conclusion:
    return _end(tr(NOT_EVALUATED[0], NOT_EVALUATED[1])), None


def _no_messages() -> Conclusion:
    return (tr("本期没有发出信息，本节无可评估的内容；这不是“未发现问题”的结论。",
               "No message was sent in the period: nothing here could be judged, which is "
               "not a clean result."), None)


# --------------------------------------------------------------------- sections
def data(result: AnalysisResult, period: Period | str | None = None) -> Conclusion:
    """What there was to judge: messages, commercial ones, requests; or not evaluated."""
    m = result.metrics
    if not m.get("evaluated"):
        return (tr(f"{NOT_EVALUATED[0]}。这不是“未发现问题”的结论。",
                   f"{NOT_EVALUATED[1]}; this is not a clean result."),
                tr("如本期发送过营销短信、推送、邮件、微信或外呼，或收到过个人信息权利请求，"
                   "请数据负责人同时导出这三张表后重新生成本报告。",
                   "If the group sent marketing messages or calls, or received "
                   "personal-information requests, ask the data owner to export all three "
                   "tables and run the report again."))
    messages, commercial = int(m["messages"]), int(m["commercial"])
    judged, received = int(m["requests_judged"]), int(m["requests_received"])
    parts = [tr(f"本期发出 {_n(messages)} 条信息，其中商业信息 {_n(commercial)} 条",
                f"{_n(messages)} messages were sent in the period, {_n(commercial)} of them "
                "commercial") if messages else
             tr("本期没有发出信息，广告标识、拒收方式、绝对化用语和营销同意四项规则无从评估",
                "No message was sent in the period: labels, opt-outs, absolute terms and "
                "consent could not be judged")]
    parts.append(tr(f"需判定办理时限的个人信息权利请求 {_n(judged)} 件，其中本期收到 "
                    f"{_n(received)} 件，其余为此前收到、本期到期或仍在办理的",
                    f"{_n(judged)} personal-information requests had their time limit judged: "
                    f"{_n(received)} received in the period, the others received earlier "
                    "and due or still open in it") if judged else
                 tr("本期没有需判定办理时限的个人信息权利请求",
                    "No personal-information request fell to be judged in the period"))
    if messages:
        return _sentences(parts), None
    return _sentences(parts), tr("请数据负责人核实本期的营销信息是否完整导出。",
                                 "Ask the data owner whether the period's messages were "
                                 "exported in full.")


def _top_signals(result: AnalysisResult, k: int = 3) -> str:
    signals = result.tables.get("signals", pl.DataFrame())
    if not signals.height:
        return ""
    top = signals.head(k)
    return _list(tr(f"{word(SIGNALS, s)} {_n(n)} 条", f"{word(SIGNALS, s).lower()} {_n(n)}")
                 for s, n in top.select("signal", "messages").iter_rows())


def commercial(result: AnalysisResult, period: Period | str | None = None) -> Conclusion:
    """How many messages are commercial, and how many only by their content."""
    m = result.metrics
    if not m.get("evaluated"):
        return _not_evaluated_here()
    if not m["messages"]:
        return _no_messages()
    total, by_content = int(m["commercial"]), int(m["commercial_by_content"])
    if not total:
        return (tr(f"本期 {_n(m['messages'])} 条信息都不是商业信息：没有标为营销的信息，"
                   "标为服务或交易的信息也没有推销内容。",
                   f"None of the {_n(m['messages'])} messages of the period is commercial: "
                   "none was labelled marketing and no service or transaction message "
                   "advertised."), None)
    text = tr(f"本期 {_n(m['messages'])} 条信息中有 {_n(total)} 条商业信息，其中 "
              f"{_n(total - by_content)} 条由发送方标为营销",
              f"{_n(total)} of the {_n(m['messages'])} messages of the period are "
              f"commercial, {_n(total - by_content)} of them labelled marketing by the sender")
    if not by_content:
        return _sentences([text, tr("标为服务或交易的信息中没有推销内容",
                                    "no service or transaction message advertised")]), None
    signals = _top_signals(result)
    text += tr(f"；另有 {_n(by_content)} 条标为服务或交易，但内容在推销商品或优惠"
               + (f"（最常见的广告信号：{signals}）" if signals else ""),
               f"; {_n(by_content)} more were labelled service or transaction but advertise "
               "goods or offers" + (f" (most frequent signals: {signals})" if signals else ""))
    content = _commercial(result).filter(pl.col("commercial_basis") == "content")
    top = _top_subsidiary(content, ("条", "messages"))
    text = _sentences([text, tr(f"标注不改变广告的性质，这 {_n(by_content)} 条同样适用下文的"
                                "四条规则" + (f"；{top}" if top else ""),
                                f"A label does not change what an advertisement is: these "
                                f"{_n(by_content)} are held to the four rules below"
                                + (f"; {top}" if top else ""))])
    return text, tr("请发送这些信息的业务部门停止以服务或交易通知的名义推销；推销内容一律按营销"
                    "信息发送：标明广告、提供拒收方式、事先取得同意。",
                    "Business units must stop advertising in service or transaction notices; "
                    "anything that advertises is sent as marketing: labelled, with an "
                    "opt-out, to people who consented.")


def _eligible(result: AnalysisResult, channels: Iterable[str]) -> int:
    wanted = list(channels)
    return _commercial(result).filter(pl.col("channel").is_in(wanted)).height


def _label_parts(result: AnalysisResult) -> tuple[list[str], int]:
    """The sentences on ad labels and opt-outs, and the disguised ads among them."""
    rules = load_content_rules(result.parameters.get("content_rules_path"))
    ad, opt = _of(result, "ad_unlabelled"), _of(result, "no_opt_out")
    disguised = sum(1 for d in _details(ad) if (d.get("severity_basis") or {}).get("disguised"))
    n_label = _eligible(result, rules.ad_label.channels)
    n_opt = _eligible(result, rules.opt_out_channels)
    parts = []
    if n_label and n_label == n_opt:
        on = _list(word(CHANNELS, c) for c in rules.ad_label.channels)
        parts.append(tr(f"{on}上的商业信息须标明广告并提供拒收方式，本期共 {_n(n_label)} 条",
                        f"{_n(n_label)} commercial messages went by {on}, which must carry "
                        "an ad label and an opt-out"))
    if not n_label:
        parts.append(tr("本期没有需标明广告的渠道上的商业信息，广告标识无从评估",
                        "No commercial message on a channel that must label ads: labels "
                        "could not be judged"))
    elif ad.height:
        of = "" if n_label == n_opt else tr(f"{_n(n_label)} 条需标明广告的商业信息中，",
                                            f" of {_n(n_label)} that must be labelled")
        parts.append(tr(f"{of}{_n(ad.height)} 条没有在开头或结尾标明“广告”，"
                        f"{_cite('ad_unlabelled')}"
                        + (f"；其中 {_n(disguised)} 条还被标为服务或交易信息，严重程度更高"
                           if disguised else ""),
                        f"{_n(ad.height)}{of} carry no ad label at their start or end, "
                        f"{_cite('ad_unlabelled')}"
                        + (f"; {_n(disguised)} of them were also passed off as service or "
                           "transaction messages (more severe)" if disguised else "")))
    else:
        parts.append(tr(f"需标明广告的 {_n(n_label)} 条商业信息都在开头或结尾标明了“广告”",
                        f"All {_n(n_label)} that must be labelled are labelled as "
                        "advertisements"))
    if not n_opt:
        parts.append(tr("本期没有需提供拒收方式的渠道上的商业信息，拒收方式无从评估",
                        "No commercial message on a channel that must offer an opt-out: "
                        "opt-outs could not be judged"))
    elif opt.height:
        of = "" if n_label == n_opt else tr(f"{_n(n_opt)} 条需提供拒收方式的商业信息中，",
                                            f" of {_n(n_opt)} that must offer an opt-out")
        parts.append(tr(f"{of}{_n(opt.height)} 条没有告知拒收方式，{_cite('no_opt_out')}",
                        f"{_n(opt.height)}{of} give no way to refuse further messages, "
                        f"{_cite('no_opt_out')}"))
    else:
        parts.append(tr(f"需提供拒收方式的 {_n(n_opt)} 条商业信息都告知了拒收方式",
                        f"All {_n(n_opt)} that must offer an opt-out tell how to refuse "
                        "further messages"))
    return parts, disguised


def labels(result: AnalysisResult, period: Period | str | None = None) -> Conclusion:
    """``ad_unlabelled`` and ``no_opt_out``: label and opt-out of commercial messages."""
    if not result.metrics.get("evaluated"):
        return _not_evaluated_here()
    if not result.metrics["messages"]:
        return _no_messages()
    parts, disguised = _label_parts(result)
    both = result.findings.filter(pl.col("rule").is_in(["ad_unlabelled", "no_opt_out"]))
    top = _top_subsidiary(both, ("项", "findings"))
    if top:
        parts.append(_cap(top))
    if not both.height:
        return _sentences(parts), None
    steps = []
    if disguised:
        steps.append(tr(f"被标为服务或交易的 {_n(disguised)} 条广告，请{_deadline('high', period)}"
                        "查明来自哪些模板或活动并停止这种做法",
                        f"find which templates or campaigns sent the {_n(disguised)} ads "
                        "passed off as service messages and stop them "
                        f"{_deadline('high', period)}"))
    steps.append(tr(f"其余信息模板请{_deadline('medium', period)}在开头或结尾加注“【广告】”，"
                    "并写明“回T退订”等拒收方式，发送前由模板审核把关",
                    f"add an ad label at the start or end and an opt-out line to the other "
                    f"templates {_deadline('medium', period)}, checked before sending"))
    return _sentences(parts), _cap(_end(_clauses(steps)))


def _term_words(result: AnalysisResult, f: pl.DataFrame, k: int = 3) -> str:
    """The most used terms (zh: the words as written; en: their lexicon entries)."""
    if is_zh():
        terms = result.tables.get("terms", pl.DataFrame())
        return _list(f"“{t}”{_n(n)} 条" for t, n in
                     terms.head(k).select("term", "messages").iter_rows()) if terms.height else ""
    entries: Counter[str] = Counter()
    for d in _details(f):
        entries.update(set(d.get("lexicon_entries") or []))
    top = sorted(entries.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
    return _list(f"{word(LEXICON_ENTRIES, e)} ({_n(n)})" for e, n in top)


def absolute_terms(result: AnalysisResult, period: Period | str | None = None) -> Conclusion:
    """``absolute_term``: commercial messages using a term of the lexicon."""
    if not result.metrics.get("evaluated"):
        return _not_evaluated_here()
    if not result.metrics["messages"]:
        return _no_messages()
    total = int(result.metrics["commercial"])
    f = _of(result, "absolute_term")
    if not total:
        return (tr("本期没有商业信息，绝对化用语无从评估。",
                   "No commercial message in the period: absolute terms could not be "
                   "judged."), None)
    if not f.height:
        return (tr(f"本期 {_n(total)} 条商业信息都没有使用词库中的绝对化用语。",
                   f"None of the {_n(total)} commercial messages uses a term of the "
                   "lexicon."), None)
    words, top = _term_words(result, f), _top_subsidiary(f, ("条", "messages"))
    text = _sentences([
        tr(f"{_n(f.height)} 条商业信息使用了绝对化用语，{_cite('absolute_term')}；《广告法》"
           "第五十七条对此可处二十万元以上一百万元以下罚款",
           f"{_n(f.height)} commercial messages use an absolute term, {_cite('absolute_term')}; "
           "art. 57 of the law sets fines of 200,000 to 1,000,000 yuan"),
        tr(f"最常见的是{words}" if words else "", f"Most frequent: {words}" if words else ""),
        _cap(top),
    ])
    return text, tr(f"请各子公司{_deadline('high', period)}从模板和文案中删除这些用语，并在发送前"
                    "用绝对化用语词库逐条检查。",
                    f"Remove these terms from templates and copy {_deadline('high', period)} "
                    "and check every text against the lexicon before sending.")


def _consent_split(f: pl.DataFrame) -> tuple[int, int]:
    """Findings sent after a withdrawal, and to people who never consented."""
    after = sum(1 for d in _details(f) if d.get("after_withdrawal"))
    return after, f.height - after


def _worst_channel(f: pl.DataFrame) -> str:
    details = _details(f)
    counts = Counter(d.get("channel") for d in details if d.get("channel"))
    if len(counts) < 2:
        return ""
    channel, n = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    return tr(f"渠道以{word(CHANNELS, channel)}最多（{_n(n)} 条）",
              f"most by {word(CHANNELS, channel)} ({_n(n)})")


def consent(result: AnalysisResult, period: Period | str | None = None) -> Conclusion:
    """``marketing_without_consent``: consent in force when each commercial message left."""
    m = result.metrics
    if not m.get("evaluated"):
        return _not_evaluated_here()
    if not m["commercial"]:
        return (tr("本期没有商业信息，营销同意无从评估。",
                   "No commercial message in the period: consent could not be judged."), None)
    f = _of(result, "marketing_without_consent")
    total, coverage = int(m["commercial"]), float(m["consent_coverage"] or 0.0)
    if not f.height:
        return (tr(f"本期 {_n(total)} 条商业信息发送时收信人都有有效的营销同意。",
                   f"All {_n(total)} commercial messages went to people with a consent in "
                   "force."), None)
    after, never = _consent_split(f)
    split = _list([*([tr(f"{_n(after)} 条发给已撤回同意的客户（严重程度为高）",
                         f"{_n(after)} to people who had withdrawn it (high severity)")]
                     if after else []),
                   *([tr(f"{_n(never)} 条的收信人从未同意", f"{_n(never)} to people who never "
                         "consented")] if never else [])])
    where = [p for p in (_worst_channel(f), _top_subsidiary(f, ("条", "messages"))) if p]
    text = _sentences([
        tr(f"{_n(total)} 条商业信息中，发送时有有效营销同意的占 {_pct(coverage)}；{_n(f.height)} 条"
           f"没有，{_cite('marketing_without_consent')}：{split}",
           f"{_pct(coverage)} of the {_n(total)} commercial messages had a consent in force "
           f"when sent; {_n(f.height)} had none, {_cite('marketing_without_consent')}: "
           f"{split}"),
        tr("其中" + _list(where), _cap("; ".join(where))) if where else "",
    ])
    steps = []
    if after:
        steps.append(tr("对已撤回同意的客户立即停止发送，并"
                        f"{_deadline('high', period)}查明撤回为何没有同步到发送名单",
                        "stop sending to people who withdrew at once and find out "
                        f"{_deadline('high', period)} why the withdrawal did not reach the "
                        "send list"))
    if never:
        steps.append(tr(f"从未同意的 {_n(never)} 条，请{_deadline('medium', period)}取得同意或将"
                        "这些客户移出营销名单，发送前按同意记录核对名单",
                        f"for the {_n(never)} sent without any consent, obtain consent or "
                        f"remove those people from the lists {_deadline('medium', period)}, "
                        "and check every list against the consents before sending"))
    return text, _cap(_end(_clauses(steps)))


def _overdue_parts(judged: pl.DataFrame) -> tuple[str, int]:
    """The requests sentence and how many late ones were still open at the period end."""
    state = Counter(judged["state"].to_list())
    met, overdue, running = state.get("met", 0), state.get("overdue", 0), state.get("running", 0)
    text = tr(f"需判定的 {_n(judged.height)} 件请求中，{_n(met)} 件按时办结、{_n(overdue)} 件逾期",
              f"Of the {_n(judged.height)} requests judged, {_n(met)} were handled in time and "
              f"{_n(overdue)} late")
    if met + overdue:
        text += tr(f"，按时率 {_pct(met / (met + overdue))}（按时件数 ÷ 已到期件数",
                   f": {_pct(met / (met + overdue))} on time (met ÷ due")
        text += tr(f"；期末仍未到期的 {_n(running)} 件不计入）" if running else "）",
                   f"; the {_n(running)} still within their limit left out)" if running else ")")
    late = judged.filter(pl.col("state") == "overdue")
    still = late.filter(pl.col("completed_at").is_null())
    if still.height:
        worst = still.sort("overrun", descending=True).row(0, named=True)
        unit = tr("个工作日" if worst["clock"] == "working_days" else "天",
                  "working days" if worst["clock"] == "working_days" else "days")
        text += tr(f"；逾期的件中 {_n(still.height)} 件到期末仍未办结，最长已超期 "
                   f"{_n(worst['overrun'])} {unit}（{word(KINDS, worst['kind'])}请求 "
                   f"{worst['request_id']}）",
                   f"; {_n(still.height)} of the late ones were still open at the period end, "
                   f"the longest {_n(worst['overrun'])} {unit} past its deadline "
                   f"({word(KINDS, worst['kind'])} request {worst['request_id']})")
    return text, still.height


def _refusal_part(result: AnalysisResult) -> str:
    refused = int(result.metrics.get("refusals", 0))
    without = int(result.metrics.get("refusals_without_reason", 0))
    if not refused:
        return tr("本期没有拒绝请求", "No request was refused in the period")
    if not without:
        return tr(f"本期拒绝的 {_n(refused)} 件请求都说明了理由",
                  f"All {_n(refused)} refusals of the period gave their reasons")
    return tr(f"本期拒绝 {_n(refused)} 件请求，其中 {_n(without)} 件未说明理由，"
              f"{_cite('refusal_without_reason')}",
              f"{_n(refused)} requests were refused, {_n(without)} without a reason, "
              f"{_cite('refusal_without_reason')}")


def requests(result: AnalysisResult, period: Period | str | None = None) -> Conclusion:
    """``privacy_request_overdue`` and ``refusal_without_reason``."""
    if not result.metrics.get("evaluated"):
        return _not_evaluated_here()
    judged = result.tables.get("requests", pl.DataFrame())
    refusal = _refusal_part(result)
    if not judged.height and not result.metrics.get("refusals"):
        return (tr("本期没有需判定的个人信息权利请求，也没有拒绝请求，两条规则无从评估；"
                   "这不是“未发现问题”的结论。",
                   "No personal-information request fell to be judged or was refused in the "
                   "period: neither rule could be judged, which is not a clean result."), None)
    parts = []
    still = 0
    if judged.height:
        text, still = _overdue_parts(judged)
        overdue = _of(result, "privacy_request_overdue")
        if overdue.height:
            text += tr(f"。逾期{_cite('privacy_request_overdue')}",
                       f". Late requests are {_cite('privacy_request_overdue')}")
        parts.append(text)
    parts.append(refusal)
    steps = []
    if still:
        sev = _worst(_of(result, "privacy_request_overdue"))
        steps.append(tr(f"到期末仍未办结的 {_n(still)} 件请{_deadline(sev, period)}办结并答复本人",
                        f"complete the {_n(still)} still open and answer each person "
                        f"{_deadline(sev, period)}"))
    without = int(result.metrics.get("refusals_without_reason", 0))
    if without:
        steps.append(tr(f"未说明理由的 {_n(without)} 件拒绝请{_deadline('medium', period)}"
                        "向本人补发书面理由和申诉途径",
                        f"send the {_n(without)} people refused without a reason the reasons "
                        f"and how to contest them {_deadline('medium', period)}"))
    if _of(result, "privacy_request_overdue").height:
        steps.append(tr("复核请求受理流程的人手和转办环节，避免再次逾期",
                        "review the staffing and hand-offs of the request process so that "
                        "requests stop running late"))
    return _sentences(parts), (_cap(_end(_clauses(steps))) if steps else None)


def findings(result: AnalysisResult, period: Period | str | None = None) -> Conclusion:
    """Every finding: counts by severity and rule, where, and what to fix first."""
    m = result.metrics
    if not m.get("evaluated"):
        return _not_evaluated_here()
    f = result.findings
    if not m["messages"] and not m["requests_judged"] and not m.get("refusals"):
        return (tr("本期没有发出信息，也没有需判定的个人信息权利请求，营销与个人信息合规无可评估"
                   "的内容；这不是“未发现问题”的结论。",
                   "No message was sent and no request fell to be judged: nothing could be "
                   "judged, which is not a clean result."), None)
    if not f.height:
        return (tr("本期未发现商业信息未标明广告、缺少拒收方式、使用绝对化用语、未经同意发送，"
                   "也没有逾期或拒绝未说明理由的个人信息权利请求。",
                   "No commercial message was unlabelled, without an opt-out, using an "
                   "absolute term or sent without consent, and no request was late or "
                   "refused without a reason."), None)
    sev = Counter(f["severity"].to_list())
    per_sev = _list(tr(f"{i18n.value('severity', s)} {_n(sev[s])}",
                       f"{str(i18n.value('severity', s)).lower()} {_n(sev[s])}")
                    for s in SEVERITIES if sev[s])
    rules = f.group_by("rule").len().sort(["len", "rule"], descending=[True, False])
    per_rule = _list(tr(f"{_rule(r)} {_n(n)} 项", f"{_rule(r).lower()} {_n(n)}")
                     for r, n in rules.iter_rows())
    top = _top_subsidiary(f, ("项", "findings"))
    text = _sentences([
        tr(f"本期共 {_n(f.height)} 项发现（{per_sev}）：{per_rule}",
           f"{_n(f.height)} findings ({per_sev}): {per_rule}"),
        _cap(top),
    ])
    worst = _worst(f)
    n_worst = sev[worst]
    level = i18n.value("severity", worst)
    return text, tr(f"{level}严重度的 {_n(n_worst)} 项请{_deadline(worst, period)}整改；逐项清单见 "
                    "findings.csv 和各子公司的整改清单。",
                    f"Fix the {_n(n_worst)} {str(level).lower()}-severity findings "
                    f"{_deadline(worst, period)}; findings.csv and each subsidiary's worklist "
                    "list them one by one.")


#: Section name → its conclusion, in the notebook's order.
SECTIONS: dict[str, Callable[[AnalysisResult, Period | str | None], Conclusion]] = {
    "data": data,
    "commercial": commercial,
    "labels": labels,
    "absolute_terms": absolute_terms,
    "consent": consent,
    "requests": requests,
    "findings": findings,
}


def conclusion(result: AnalysisResult, section: str,
               period: Period | str | None = None) -> Conclusion:
    """``(结论, 整改建议)`` of one report section (see :data:`SECTIONS`); with the
    report's ``period``, deadlines carry their date.
    """
    if section not in SECTIONS:
        raise ValueError(f"marketing: no conclusion for section {section!r} "
                         f"(known: {', '.join(SECTIONS)})")
    return SECTIONS[section](result, period)
