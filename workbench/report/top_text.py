"""The 最需关注 items of :mod:`workbench.report.top_findings` in words (zh or en).

Each item becomes a sentence that says who and what ("女性客户被评低等级：符合条件却被评
低的比例 16.2%，其他客户 3.2%"), chips with its money per kind (never added across
kinds; a breakdown marked), its people and high-severity count, and the
subsidiaries where most of it happened. Groups are named in words by
:func:`workbench.evidence.group_label`; numbers carry thousands separators, ¥ and %.
A rule without its own sentence gets its contract title and a count, so a new
analysis reads without a change here; the marketing rules have their own (messages
sent after a withdrawal of consent, requests still open, advertisements labelled as
service messages counted apart).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from workbench.contract import RULES
from workbench.evidence import group_label
from workbench.labels import MONEY_KIND_LABELS, MONEY_TERMS, SEVERITY_LABELS, check_lang
from workbench.report.top_findings import TOP_N

__all__ = ["UNITS", "as_customers", "describe", "group_name", "others", "unit"]

#: Counting words per entity type: zh measure word + noun; en singular, plural.
UNITS: dict[str, dict[str, Any]] = {
    "zh": {"customer": "位客户", "order": "笔订单", "grant": "项权益", "complaint": "件投诉",
           "enterprise": "家企业客户", "group": "个群体", "policy": "个会员等级",
           "subsidiary": "家子公司", "message": "条商业信息", "request": "项个人信息请求"},
    "en": {"customer": ("customer", "customers"), "order": ("order", "orders"),
           "grant": ("benefit grant", "benefit grants"),
           "complaint": ("complaint", "complaints"),
           "enterprise": ("enterprise customer", "enterprise customers"),
           "group": ("group", "groups"), "policy": ("tier", "tiers"),
           "subsidiary": ("subsidiary", "subsidiaries"), "message": ("message", "messages"),
           "request": ("privacy request", "privacy requests")},
}
#: Short names of the multi-rule items (a single rule's is its contract title).
FAMILY_TITLES = {"zh": {"sla_clock": "投诉超过承诺处理时限"},
                 "en": {"sla_clock": "Complaints past a committed limit"}}
_WORDS = {
    "zh": {"people": "约 {n} 人受影响", "customers": "{n} 位客户", "high": "高严重度 {n}",
           "where": "主要在：", "group_money": "{g}：{n} 位客户多付 {m}", "sep": "、",
           "others": "另有 {n} 类高严重度问题：", "none": "本期无发现", "more": "等"},
    "en": {"people": "about {n} people affected", "customers": "{n} customers",
           "high": "{n} high severity", "where": "Mostly at: ",
           "group_money": "{g}: {n} customers overpaid {m}", "sep": ", ",
           "others": "{n} more kinds of high-severity finding: ", "none": "No findings this period",
           "more": "and more"},
}


def _num(n: float) -> str:
    return f"{n:,.0f}"


def _cny(x: float) -> str:
    return f"¥{x:,.0f}"


def _pct(x: Any) -> str:
    return "–" if x is None else f"{float(x) * 100:.1f}%"


def unit(entity_type: str, n: int, lang: str) -> str:
    """``306 位客户`` / ``306 customers``: a count with its noun."""
    word = UNITS[lang].get(entity_type)
    if lang == "zh":
        return f"{_num(n)} {word or '项'}"
    one, many = word or ("finding", "findings")
    return f"{_num(n)} {one if n == 1 else many}"


# ---------------------------------------------------------------- group names
def group_name(group: str, lang: str) -> str:
    """``device_os=ios`` → ``iOS 用户`` (:func:`workbench.evidence.group_label`)."""
    return group_label(group, lang)


def as_customers(label: str) -> str:
    """A zh group label as a noun for people: ``女性`` → ``女性客户``,
    ``客户时长 36 个月以上`` → ``客户时长 36 个月以上的客户``, ``iOS 用户`` unchanged.
    """
    last = label.split(" · ")[-1]
    if re.search(r"(客户|用户|人|者|会员)$", last):
        return label
    return label + ("的客户" if re.search(r"[\s\d]", last) else "客户")


def _groups(item: Mapping[str, Any], lang: str) -> str:
    names = [group_name(g["group"], lang) for g in item.get("groups") or []]
    if lang == "zh":
        return "、".join(as_customers(n) for n in names)
    return " and ".join(names)


# ---------------------------------------------------------------- sentences
Sentence = Callable[[Mapping[str, Any], str], str]


def _tier_disparity(item: Mapping[str, Any], lang: str) -> str:
    parts = []
    for g in item.get("groups") or []:
        who = group_name(g["group"], lang)
        rg, rr = _pct(g.get("rate_group")), _pct(g.get("rate_rest"))
        if g.get("metric") == "hidden_benefit_rate":
            parts.append(f"{as_customers(who)}较少获得未公示权益：{rg}，其他客户 {rr}"
                         if lang == "zh" else
                         f"{who} receive unpublished benefits less often: {rg} vs {rr} of "
                         "other customers")
        else:
            parts.append(f"{as_customers(who)}被评低等级：符合条件却被评低的比例 {rg}，"
                         f"其他客户 {rr}" if lang == "zh" else
                         f"{who} under-tiered: {rg} of those eligible placed too low, vs {rr} "
                         "of other customers")
    return ("；" if lang == "zh" else "; ").join(parts)


def _price_disparity(item: Mapping[str, Any], lang: str) -> str:
    who = _groups(item, lang)
    return (f"{who}为同一商品多付钱（大数据杀熟嫌疑）" if lang == "zh"
            else f"{who} pay more for the same goods (suspected big-data price discrimination)")


def _sla_clock(item: Mapping[str, Any], lang: str) -> str:
    n, facts = item["entities"], item.get("facts") or {}
    high = item["by_severity"].get("high", 0)
    if lang == "zh":
        text = f"{_num(n)} 件投诉超过承诺处理时限（{_num(high)} 件高严重度）"
        if facts.get("legal_cap"):
            text += f"；其中 {_num(facts['legal_cap'])} 件 12315 转办投诉超过 60 天调解上限"
        if facts.get("open"):
            text += f"；{_num(facts['open'])} 件至期末仍未处理完"
        return text
    text = f"{unit('complaint', n, lang)} past a committed limit ({_num(high)} high severity)"
    if facts.get("legal_cap"):
        text += f"; {_num(facts['legal_cap'])} past the 60-day mediation cap on 12315 transfers"
    if facts.get("open"):
        text += f"; {_num(facts['open'])} still open at the period end"
    return text


def _tier_mismatch(item: Mapping[str, Any], lang: str) -> str:
    n, facts = item["entities"], item.get("facts") or {}
    under, over = facts.get("under", 0), facts.get("over", 0)
    if lang == "zh":
        split = f"（{_num(under)} 位被评低、{_num(over)} 位被评高）" if under or over else ""
        return f"{_num(n)} 位客户的会员等级与公布标准不符{split}"
    split = f" ({_num(under)} below, {_num(over)} above)" if under or over else ""
    return f"{unit('customer', n, lang)} not in the tier the published criteria give{split}"


def _with_part(zh: str, en: str, fact: str, part_zh: str, part_en: str) -> Sentence:
    """"<count with its noun><what>", and "of which <k> <part>" when the evidence
    counted ``fact`` (:data:`workbench.report.top_findings.FACTS`).
    """
    def sentence(item: Mapping[str, Any], lang: str) -> str:
        n = unit(item["entity_type"], item["entities"], lang)
        k = (item.get("facts") or {}).get(fact, 0)
        text = (zh if lang == "zh" else en).format(n=n)
        if k:
            text += (part_zh if lang == "zh" else part_en).format(k=_num(k))
        return text
    return sentence


def _counted(zh: str, en: str) -> Sentence:
    """A sentence "<count with its noun><what>" for one item."""
    def sentence(item: Mapping[str, Any], lang: str) -> str:
        n = unit(item["entity_type"], item["entities"], lang)
        return (zh if lang == "zh" else en).format(n=n)
    return sentence


SENTENCES: dict[str, Sentence] = {
    "tier_disparity": _tier_disparity,
    "price_disparity": _price_disparity,
    "sla_clock": _sla_clock,
    "tier_mismatch": _tier_mismatch,
    "unexplained_premium": _counted("{n}多收了钱：价格高于公布价格、等级折扣和公开促销所能解释的"
                                    "水平", "{n} overcharged: priced above what list price, "
                                    "tier discount and public promotions explain"),
    "hidden_benefit": _counted("{n}不在公布的等级权益中：只发给了部分客户",
                               "{n} outside the published tier benefits: given to some "
                               "customers only"),
    "unpublished_promotion": _counted("{n}使用了未公开的促销", "{n} used a promotion that was "
                                      "never announced"),
    "unpublished_policy": _counted("{n}的评定标准从未公布", "{n} whose criteria were never "
                                   "published"),
    "manual_tier_without_reason": _counted("{n}被人工调整等级而未记录理由",
                                           "{n} re-tiered by hand with no reason recorded"),
    "stale_tier": _counted("{n}的等级超过复核周期未复核", "{n} whose tier is past its review "
                           "cycle"),
    "missing_record": _counted("{n}的处理记录不完整", "{n} with an incomplete handling record"),
    "registry_knockout": _counted("{n}已吊销、注销或被列入严重违法失信名单，不得新增授信",
                                  "{n} revoked, cancelled or on the serious-illegal list: no "
                                  "new credit"),
    "invalid_uscc": _counted("{n}的统一社会信用代码无效", "{n} with an invalid USCC"),
    "registry_change": _counted("{n}的登记状态或名录信息发生变化",
                                "{n} whose registry status or list membership changed"),
    "annual_report_overdue": _counted("{n}未按期报送年度报告", "{n} with an overdue annual "
                                      "report"),
    "ad_unlabelled": _with_part("{n}未标明“广告”", "{n} not marked as advertisements",
                                "by_content", "，其中 {k} 条标为服务或交易信息、实为广告",
                                "; {k} of them labelled service or transaction messages"),
    "absolute_term": _counted("{n}使用了《广告法》禁止的绝对化用语",
                              "{n} using absolute terms the Advertising Law bans"),
    "no_opt_out": _counted("{n}未告知拒收方式", "{n} telling no way to refuse further ones"),
    "marketing_without_consent": _with_part(
        "{n}在没有有效营销同意时发出", "{n} sent with no marketing consent in force",
        "after_withdrawal", "，其中 {k} 条发出时客户已撤回同意",
        "; {k} of them after the person had withdrawn consent"),
    "privacy_request_overdue": _with_part(
        "{n}超过办结时限", "{n} past their time limit", "open", "，其中 {k} 项至期末仍未办结",
        "; {k} still open at the period end"),
    "refusal_without_reason": _counted("{n}被拒绝而未说明理由",
                                       "{n} refused without a reason"),
}


def title(item: Mapping[str, Any], lang: str) -> str:
    """The item's short name: a family's, else its rule's contract title."""
    if item["key"] in FAMILY_TITLES[lang]:
        return FAMILY_TITLES[lang][item["key"]]
    rule = RULES.get(item["rules"][0]) if item.get("rules") else None
    if rule is None:
        return item["key"]
    return rule.title_zh if lang == "zh" else rule.title_en


def _generic(item: Mapping[str, Any], lang: str) -> str:
    sep = "：" if lang == "zh" else ": "
    return f"{title(item, lang)}{sep}{unit(item['entity_type'], item['entities'], lang)}"


# ---------------------------------------------------------------- chips
def _money_chips(item: Mapping[str, Any], lang: str) -> list[dict[str, str]]:
    chips = []
    mark = MONEY_TERMS[lang]["breakdown"]
    for kind in ("overcharge", "benefit", "exposure", "discount"):
        amount = (item.get("money") or {}).get(kind)
        if not amount:
            continue
        text = f"{MONEY_KIND_LABELS[lang][kind]} {_cny(amount)}"
        if item.get("breakdown"):
            text += f"（{mark}）" if lang == "zh" else f" ({mark})"
        chips.append({"kind": kind, "text": text})
    return chips


def _people_chips(item: Mapping[str, Any], lang: str) -> list[dict[str, str]]:
    w = _WORDS[lang]
    chips = []
    for g in item.get("groups") or []:
        if g.get("people") is None:
            continue
        if g.get("people_estimate"):
            chips.append({"kind": "people", "text": w["people"].format(n=_num(g["people"]))})
        elif g.get("amount_cny") is not None:
            chips.append({"kind": "people", "text": w["group_money"].format(
                g=group_name(g["group"], lang), n=_num(g["people"]), m=_cny(g["amount_cny"]))})
    people = item.get("people")
    if (not item.get("groups") and people
            and item["entity_type"] not in ("customer", "complaint")):
        chips.append({"kind": "people", "text": w["customers"].format(n=_num(people))})
    high = item["by_severity"].get("high", 0)
    if item["findings"] > 1 and high and item["key"] != "sla_clock" and not item.get("groups"):
        chips.append({"kind": "high", "text": w["high"].format(n=_num(high))})
    return chips


def _where(item: Mapping[str, Any], lang: str) -> str:
    subs = item.get("subsidiaries") or []
    if not subs or item["entity_type"] == "subsidiary":
        return ""
    w = _WORDS[lang]
    et = item["entity_type"]
    shown = [f"{s.get('name') or s['subsidiary_id']}（{unit(et, s['findings'], lang)}）"
             if lang == "zh" else
             f"{s.get('name') or s['subsidiary_id']} ({unit(et, s['findings'], lang)})"
             for s in subs[:2]]
    return w["where"] + w["sep"].join(shown)


def describe(item: Mapping[str, Any], lang: str = "zh") -> dict[str, Any]:
    """One item in words: ``sentence``, ``chips`` (money per kind, people, high
    severity), ``where`` (subsidiaries), ``severity`` and its label.
    """
    check_lang(lang)
    sentence = SENTENCES.get(item["key"], _generic)
    try:
        text = sentence(item, lang)
    except (KeyError, TypeError, ValueError):
        text = ""
    text = text or _generic(item, lang)
    return {
        "rank": item.get("rank"), "key": item["key"], "analysis": item["analysis"],
        "severity": item["severity"], "severity_label": SEVERITY_LABELS[lang][item["severity"]],
        "sentence": text if lang == "zh" or text[1:2].isupper() else text[:1].upper() + text[1:],
        "chips": [*_money_chips(item, lang), *_people_chips(item, lang)],
        "where": _where(item, lang),
    }


def others(items: Sequence[Mapping[str, Any]], lang: str = "zh", *, limit: int = 8) -> str:
    """One line naming the high-severity items beyond the first :data:`TOP_N`."""
    rest = [i for i in items[TOP_N:] if i["severity"] == "high"]
    if not rest:
        return ""
    w = _WORDS[lang]
    parts = []
    for item in rest[:limit]:
        sep = "：" if lang == "zh" else ": "
        text = f"{title(item, lang)}{sep}{unit(item['entity_type'], item['entities'], lang)}"
        money = [c["text"] for c in _money_chips(item, lang)]
        if money:
            text += f"（{'，'.join(money)}）" if lang == "zh" else f" ({', '.join(money)})"
        parts.append(text)
    more = f"{w['sep']}{w['more']}" if len(rest) > limit else ""
    return w["others"].format(n=len(rest)) + " · ".join(parts) + more
