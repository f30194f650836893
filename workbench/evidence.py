"""Findings in words: a group id and a finding's evidence as one plain sentence.

Every place a person reads a finding (worklists, report tables, the dashboard) shows
the evidence as a sentence built from the JSON the analyses write, never as JSON or
``key=value``: numbers formatted (¥, thousands separators, %, sensible decimals),
lists summarised ("3 个 SKU：A、B、C"), groups named in words ("女性 · 上海市").
Chinese is the default; ``lang="en"`` gives English with no Chinese characters.

A template reads what it needs with ``.get``; a detail it cannot read (a new key set,
a rule without a template) gives :func:`generic_sentence`, which is still readable.
Sentences carry ids (pseudonymous customer ids, order, complaint, grant ids, USCCs,
SKUs) and numbers, never a name, a phone number or free text about a person.

>>> group_label("gender=f&province=31")
'女性 · 上海市'
>>> group_label("device_os=ios&tenure_band=36m+", "en")
'iOS users · customers of 36+ months'
>>> evidence_sentence("stale_tier", "customer", "C1",
...                   '{"current_tier": "core", "assigned_at": "2025-06-30 23:59:59",'
...                   ' "tier_age_days": 457, "review_cycle_days": 365, "overdue_days": 92}')
'当前等级（核心）自 2025-06-30 起未复核，已 457 天，超过 365 天的复核周期 92 天'
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from workbench._evidence_words import (
    _BENEFITS,
    _CAUSES,
    _ENTITY,
    _RECORD,
    _STATUS,
    _TARGETS,
    _USCC,
    PROVINCES,
    _advert,
    _by_content,
    _clock_clause,
    _consent_scope,
    _date,
    _disparity_metric,
    _duration,
    _facts,
    _flag,
    _illegal,
    _items,
    _message,
    _minimums,
    _money,
    _num,
    _order_head,
    _owed,
    _pct,
    _plural,
    _regulator,
    _request,
    _request_outcome,
    _signals,
    _terms,
    _tier,
    _title,
    _w,
    customer_ids,
    entity_label,
    group_label,
)
from workbench.contract import RULES
from workbench.labels import MONEY_KIND_LABELS, check_lang

__all__ = [
    "MARKETING_RULES",
    "PROVINCES",
    "customer_ids",
    "entity_label",
    "evidence_sentence",
    "generic_sentence",
    "group_label",
    "rules_without_template",
]

#: The marketing rules of the shared contract v1.1 (their templates read the evidence
#: of ``workbench/marketing/_findings.py``: never a message's text or its recipient).
MARKETING_RULES: tuple[str, ...] = ("ad_unlabelled", "absolute_term", "no_opt_out",
                                    "marketing_without_consent", "privacy_request_overdue",
                                    "refusal_without_reason")


# ------------------------------------------------------------------- templates
#: A template: (detail, zh, extras) → the sentence. ``extras`` holds entity_type,
#: entity_id, amount_cny and amount_kind.
Template = Callable[[Mapping[str, Any], bool, Mapping[str, Any]], str]
_TEMPLATES: dict[str, Template] = {}
#: The detail keys a template cannot do without (missing or empty: the generic sentence).
_NEEDS: dict[str, tuple[str, ...]] = {}


def _template(*rules: str, needs: tuple[str, ...] = ()) -> Callable[[Template], Template]:
    def register(fn: Template) -> Template:
        for rule in rules:
            _TEMPLATES[rule] = fn
            _NEEDS[rule] = needs
        return fn
    return register


@_template("tier_mismatch", needs=("eligible_tier",))
def _tier_mismatch(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    held, due = _tier(d.get("current_tier"), zh), _tier(d.get("eligible_tier"), zh)
    facts = _facts(d, zh)
    if d.get("no_assignment") or d.get("current_tier") is None:
        return (f"没有等级记录，按公布标准应为{due}等级（{facts}）" if zh
                else f"no tier on record; the published criteria give {due} ({facts})")
    gap = abs(int(d.get("rank_gap") or 0))
    over = d.get("direction") == "over"
    manual = d.get("method") == "manual"
    if zh:
        how = f"{'高' if over else '低'} {gap} 级" + ("，人工调整" if manual else "")
        text = f"按公布标准应为{due}等级，实际为{held}等级（{how}）：{facts}"
        need = _minimums(d.get("current_minimums") or {}, zh) if over else ""
        return text + (f"；{held}等级要求{need}" if need else "")
    how = f"{_plural(gap, 'rank')} {'above' if over else 'below'}" + (", set manually"
                                                                       if manual else "")
    text = f"the published criteria give {due}, the customer holds {held} ({how}): {facts}"
    need = _minimums(d.get("current_minimums") or {}, zh) if over else ""
    return text + (f"; {held} requires {need}" if need else "")


@_template("manual_tier_without_reason", needs=("current_tier", "assigned_at"))
def _manual_tier(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    held, due = _tier(d.get("current_tier"), zh), _tier(d.get("eligible_tier"), zh)
    when = _date(d.get("assigned_at", ""))
    if zh:
        tail = ("（与公布标准一致）" if d.get("status") == "match"
                else f"（按公布标准应为{due}等级）" if d.get("eligible_tier") else "")
        return f"{when} 人工调整为{held}等级，未记录理由{tail}"
    tail = (" (matches the published criteria)" if d.get("status") == "match"
            else f" (the published criteria give {due})" if d.get("eligible_tier") else "")
    return f"set manually to {held} on {when} with no reason recorded{tail}"


@_template("hidden_benefit", needs=("benefit_type", "granted_at"))
def _hidden_benefit(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    kind = str(d.get("benefit_type", ""))
    what = _w(_BENEFITS, kind, zh)
    value = f" {_num(d['value'])}%" if kind.endswith("_pct") and d.get("value") else ""
    grant = d.get("grant_amount_cny", x.get("amount_cny"))
    worth = ((f"，价值 {_money(grant)}" if zh else f", worth {_money(grant)}")
             if grant is not None else "")
    held = _tier(d.get("held_tier"), zh)
    when = _date(d.get("granted_at", ""))
    above = d.get("hidden_reason") == "above_published_value"
    hidden = d.get("hidden_amount_cny", x.get("amount_cny"))
    if zh:
        who = "尚无等级的客户" if d.get("no_tier_at_grant") else f"{held}等级客户"
        head = f"{when} 向{who}发放{what}{value}{worth}"
        if above:
            pub = f" {_num(d['published_value'])}%" if d.get("published_value") else ""
            return f"{head}，高于该等级公布的{what}{pub}，超出部分 {_money(hidden)}"
        return f"{head}，该等级公布的权益中没有此项"
    who = "a customer with no tier" if d.get("no_tier_at_grant") else f"a {held}-tier customer"
    head = f"{what}{value} granted on {when} to {who}{worth}"
    if above:
        pub = f" {_num(d['published_value'])}%" if d.get("published_value") else ""
        return f"{head}, above the published{pub}; the excess is {_money(hidden)}"
    return f"{head}; the tier's published benefits do not include it"


@_template("stale_tier", needs=("current_tier", "assigned_at"))
def _stale_tier(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    held, since = _tier(d.get("current_tier"), zh), _date(d.get("assigned_at", ""))
    age, cycle, late = (_num(d[k]) for k in ("tier_age_days", "review_cycle_days",
                                            "overdue_days"))
    if zh:
        return (f"当前等级（{held}）自 {since} 起未复核，已 {age} 天，"
                f"超过 {cycle} 天的复核周期 {late} 天")
    return (f"current tier ({held}) not reviewed since {since}: {age} days, "
            f"{late} days past its {cycle}-day review cycle")


@_template("unpublished_policy")
def _unpublished_policy(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    tier = _tier(d.get("tier", x.get("entity_id")), zh)
    holders = d.get("holders_at_period_end")
    if d.get("published_at"):
        when = _date(d["published_at"])
        return (f"{tier}等级的评定标准在报告期结束后（{when}）才公布" if zh
                else f"the criteria of the {tier} tier were published only on {when}, after "
                     "the period")
    if zh:
        tail = f"（期末持有该等级的客户 {_num(holders)} 人）" if holders is not None else ""
        return f"{tier}等级的评定标准从未公布{tail}"
    tail = (f" ({_plural(holders, 'customer')} held it at the period end)"
            if holders is not None else "")
    return f"the criteria of the {tier} tier were never published{tail}"


@_template("tier_disparity", needs=("metrics",))
def _tier_disparity(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    group = group_label(str(x.get("entity_id", "")), "zh" if zh else "en")
    parts = [_disparity_metric(m, group, zh) for m in d["metrics"]]
    return ("；" if zh else "; ").join(parts)


@_template("dormant_top_tier", needs=("current_tier", "last_order_at"))
def _dormant(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    held = _tier(d.get("current_tier"), zh)
    last = _date(d.get("last_order_at", ""))
    months = _num(d.get("dormant_months", 0))
    still = d.get("eligible_tier") == d.get("current_tier")
    facts = _facts(d, zh)
    if zh:
        tail = f"；{facts}" + ("，仍符合该等级标准" if still else "")
        return f"{held}等级客户最近一次下单在 {last}，已连续 {months} 个月没有订单{tail}"
    tail = f"; {facts}" + (", still meeting the tier's criteria" if still else "")
    return f"{held}-tier customer: last order on {last}, none for {months} months{tail}"


# --------------------------------------------------------------------- pricing
@_template("price_disparity")
def _price_disparity(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    group = group_label(str(x.get("entity_id") or d.get("group", "")), "zh" if zh else "en")
    lp = (d.get("metrics") or {}).get("log_premium") or {}
    effect = lp.get("material_effect", (d.get("severity_basis") or {}).get("effect"))
    skus = [s["sku"] for s in d.get("affected_skus") or []]
    n_skus = int(d.get("affected_sku_count") or len(skus))
    amount = d.get("amount_cny", x.get("amount_cny"))
    lo, hi = d.get("amount_ci_low"), d.get("amount_ci_high")
    if zh:
        text = f"{group}为同一商品支付的价格"
        text += (f"比其他客户高约 {_pct(math.expm1(float(effect)))}" if effect is not None
                 else "高于其他客户") + "，公布价格、等级折扣和公开促销无法解释"
        if skus:
            text += "；涉及 " + _items(skus, "SKU", "SKU", zh, total=n_skus)
        if amount is not None:
            who = (f"{_num(d['customers_overcharged'])} 位客户的 "
                   f"{_num(d['orders_overcharged'])} 笔订单" if d.get("orders_overcharged")
                   else "")
            text += f"；{who}共多付 {_money(amount)}"
            if lo is not None and hi is not None:
                text += f"（95% 区间 {_money(lo)}–{_money(hi)}）"
        return text
    text = f"{group} paid " + (f"about {_pct(math.expm1(float(effect)))} more"
                               if effect is not None else "more")
    text += (" than other customers for the same goods, which published prices, tier "
             "discounts and public promotions do not explain")
    if skus:
        text += "; " + _items(skus, "SKU", "SKU", zh, total=n_skus)
    if amount is not None:
        who = (f" on {_plural(d['orders_overcharged'], 'order')} of "
               f"{_plural(d['customers_overcharged'], 'customer')}"
               if d.get("orders_overcharged") else "")
        text += f"; {_money(amount)} overpaid{who}"
        if lo is not None and hi is not None:
            text += f" (95% interval {_money(lo)}–{_money(hi)})"
    return text


@_template("unexplained_premium", needs=("charged_price", "explained_price"))
def _unexplained_premium(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    charged, explained = float(d["charged_price"]), float(d["explained_price"])
    qty = int(d.get("quantity") or 1)
    excess = x.get("amount_cny")
    if excess is None:
        excess = (d.get("severity_basis") or {}).get("excess_cny", (charged - explained) * qty)
    pct = (float(d["premium_pct"]) / 100 if d.get("premium_pct") is not None
           else charged / explained - 1)
    groups = d.get("flagged_groups") or []
    attributed = sum(float(g.get("attributed_cny") or 0) for g in groups)
    names = [group_label(str(g.get("group", "")), "zh" if zh else "en") for g in groups]
    gap = f"{_money(charged - explained)}（+{_pct(pct)}）" if zh else \
        f"{_money(charged - explained)} (+{_pct(pct)})"
    if zh:
        text = (f"{_order_head(d, zh)}单价 {_money(charged)}，比公布价格、等级折扣和公开促销"
                f"可解释的单价 {_money(explained)} 高 {gap}")
        text += (f"，共 {qty} 件，多收 {_money(excess)}" if qty > 1
                 else f"，多收 {_money(excess)}")
        if groups and attributed > 0:
            whole = abs(attributed - float(excess)) < 0.005
            part = "全部" if whole else f"其中 {_money(attributed)} "
            text += f"；{part}归因于群体溢价（{'；'.join(names)}）"
        return text
    text = (f"{_order_head(d, zh)}: unit price {_money(charged)}, {gap} above the "
            f"{_money(explained)} that the list price, tier discount and public promotions "
            "explain")
    text += (f"; {qty} units, {_money(excess)} overcharged" if qty > 1
             else f"; {_money(excess)} overcharged")
    if groups and attributed > 0:
        part = "all" if abs(attributed - float(excess)) < 0.005 else _money(attributed)
        text += f"; {part} of it due to group premiums ({'; '.join(names)})"
    return text


@_template("unpublished_promotion", needs=("charged_price", "explained_price"))
def _unpublished_promotion(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    charged, explained = float(d["charged_price"]), float(d["explained_price"])
    discount = x.get("amount_cny")
    if discount is None:
        discount = (d.get("severity_basis") or {}).get("discount_cny")
    if discount is None:
        discount = (explained - charged) * int(d.get("quantity") or 1)
    promo = d.get("promo_id") or ""
    if zh:
        return (f"{_order_head(d, zh)}使用了未公开的促销 {promo}，单价 {_money(charged)}，"
                f"按公开条件应为 {_money(explained)}，获得优惠 {_money(discount)}")
    return (f"{_order_head(d, zh)} used the unannounced promotion {promo}: unit price "
            f"{_money(charged)} instead of the publicly available {_money(explained)}, a "
            f"discount of {_money(discount)}")


# ------------------------------------------------------------------------- sla


@_template("ack_breach", "acceptance_breach", "resolution_breach", "update_gap",
           needs=("target", "elapsed", "limit", "overrun"))
def _clock_breach(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    clock = d.get("clock")
    target = str(d.get("target", ""))
    noun, verb, en = _TARGETS.get(target, (target, target, target))
    took = _duration(d["elapsed"], clock, zh)
    still = bool(d.get("still_open_at_period_end"))
    recv = _date(d.get("received_at", ""))
    reg = _regulator(d, zh)
    if target == "update_gap":
        text = (f"投诉{reg}处理中连续 {took}没有{noun}" if zh
                else f"complaint{reg}: {took} without a {en} while open")
        if still:
            text += "，至期末仍未告知" if zh else ", still none at the period end"
    elif zh:
        text = (f"投诉{reg}于 {recv} 收到，至期末仍未{verb}，已过 {took}" if still
                else f"投诉{reg}于 {recv} 收到，{took}后才{verb}")
    else:
        text = (f"complaint{reg} received {recv}: no {en} by the period end after {took}"
                if still else f"complaint{reg} received {recv}: {en} took {took}")
    text += ("，" if zh else "; ") + _clock_clause(d, clock, zh)
    for t in d.get("targets") or []:
        if t.get("target") not in (None, target):
            other = _TARGETS.get(str(t["target"]), (t["target"],) * 3)
            clause = _clock_clause(t, t.get("clock", clock), zh)
            text += (f"；同时超过{other[0]}时限（{clause}）" if zh
                     else f"; also past the {other[2]} limit ({clause})")
    return text


@_template("missing_record", needs=("checks",))
def _missing_record(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    checks = [_w(_RECORD, c, zh) for c in d.get("checks") or []]
    if zh:
        return f"投诉{_regulator(d, zh)}处理记录不完整：" + "；".join(checks or ["记录缺失"])
    return f"complaint{_regulator(d, zh)} handling record incomplete: " + "; ".join(
        checks or ["record missing"])


@_template("breach_risk", needs=("elapsed", "limit", "hours_left", "probability"))
def _breach_risk(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    clock = d.get("clock")
    took, limit = _duration(d["elapsed"], clock, zh), _duration(d["limit"], clock, zh)
    left = _duration(d["hours_left"], "calendar_hours", zh)
    due = _date(d.get("deadline", ""))
    p = _pct(d["probability"], 0)
    if zh:
        return (f"在办投诉{_regulator(d, zh)}预计将超过办结时限：已过 {took}（时限 {limit}），"
                f"距期限（{due}）还剩 {left}，模型估计超时概率 {p}")
    return (f"open complaint{_regulator(d, zh)} likely to miss its resolution limit: {took} "
            f"of {limit} elapsed, {left} left (deadline {due}), estimated chance of breach {p}")


@_template("recurring_cause", needs=("causes",))
def _recurring_cause(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    parts = []
    for c in d.get("causes") or [d]:
        cause = _w(_CAUSES, c.get("root_cause"), zh)
        n, month = _num(c["trigger_count"]), c.get("trigger_month", "")
        share, after = _pct(c["trigger_share"]), _pct(c["share_after"])
        mean, k = _num(c["mean_count_after"]), _num(c["months_after"])
        parts.append(
            f"“{cause}”类投诉在 {month} 达到 {n} 件（占已知原因投诉的 {share}）后没有下降："
            f"此后 {k} 个月平均每月 {mean} 件，占 {after}" if zh
            else f"complaints about {cause} reached {n} in {month} ({share} of those with a "
                 f"known cause) and did not fall: {mean} a month over the {k} months after "
                 f"({after})")
    return ("；" if zh else "; ").join(parts)


# ---------------------------------------------------------------------- credit


@_template("invalid_uscc", needs=("check",))
def _invalid_uscc(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    code = d.get("uscc_as_given") or x.get("entity_id") or ""
    what = _w(_USCC, d.get("check"), zh)
    if zh:
        text = f"统一社会信用代码 {code} {what}" if code else what
        text += "，登记信息中查无此代码" if d.get("in_registry") is False else ""
    else:
        text = f"USCC {code}: {what}" if code else what
        text += "; not found in the registry" if d.get("in_registry") is False else ""
    return text + _owed(d, zh, x)


@_template("registry_knockout", needs=("extract_date", "status"))
def _registry_knockout(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    parts = []
    if d.get("status") not in (None, "active"):
        status = _w(_STATUS, d["status"], zh)
        parts.append(f"登记状态为{status}" if zh else f"registry status {status}")
    if d.get("serious_illegal"):
        parts.append(_illegal(d, zh, d.get("serious_illegal_since")))
    extract = _date(d.get("extract_date", ""))
    if not parts:
        return ""
    if zh:
        return f"据 {extract} 登记信息，{'，'.join(parts)}，不得新增授信" + _owed(d, zh, x)
    return f"{'; '.join(parts)} (registry extract {extract}): no new credit" + _owed(d, zh, x)


@_template("registry_change", needs=("changes",))
def _registry_change(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    parts = []
    changes = d.get("changes") or {}
    if "status" in changes:
        before, after = (_w(_STATUS, changes["status"].get(k), zh) for k in ("before", "after"))
        parts.append(f"登记状态由{before}变为{after}" if zh
                     else f"status changed from {before} to {after}")
    if "abnormal" in changes:
        on, reason = changes["abnormal"].get("after"), d.get("abnormal_reason")
        if zh:
            parts.append(("列入" if on else "移出") + "经营异常名录"
                         + (f"（原因：{reason}）" if on and reason else ""))
        else:
            parts.append(("placed on" if on else "removed from") + " the abnormal-operation list")
    if "serious_illegal" in changes:
        on = changes["serious_illegal"].get("after")
        parts.append(_illegal(d, zh) if on else
                     "移出严重违法失信名单" if zh else "removed from the serious-illegal list")
    if not parts:
        return ""
    before, after = _date(d.get("extract_before", "")), _date(d.get("extract_after", ""))
    if zh:
        return f"{before} 至 {after} 间：{'；'.join(parts)}" + _owed(d, zh, x)
    return f"between {before} and {after}: {'; '.join(parts)}" + _owed(d, zh, x)


@_template("annual_report_overdue", needs=("required_year",))
def _annual_report(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    year, last = int(d["required_year"]), d.get("last_annual_report_year")
    if zh:
        latest = f"最近一次报送的是 {last} 年度" if last else "从未报送"
        return (f"未报送 {year} 年度报告（应于 {year + 1}-06-30 前报送；{latest}）"
                + _owed(d, zh, x))
    latest = f"latest filed: {last}" if last else "never filed"
    return f"annual report for {year} not filed (due by {year + 1}-06-30; {latest})" + _owed(
        d, zh, x)


# ------------------------------------------------------------------- marketing


@_template("ad_unlabelled")
def _ad_unlabelled(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    msg, signals = _message(d, zh), _signals(d, zh)
    if not _by_content(d):
        return f"{msg}未标明“广告”" if zh else f"{msg} not marked as an advertisement"
    if zh:
        what = f"含{signals}等广告内容" if signals else "按内容属于广告"
        return f"{msg}{what}，实为商业信息，却未标明“广告”"
    what = f"advertises ({signals})" if signals else "advertises"
    return f"{msg} {what}: commercial, yet not marked as an advertisement"


@_template("absolute_term")
def _absolute_term(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    terms = _terms(d, zh)
    if zh:
        return f"{_message(d, zh)}{_advert(d, zh)}使用了《广告法》禁止的绝对化用语{terms}"
    n = len(d.get("terms") or [])
    what = "an absolute term" if n == 1 else f"{n} absolute terms" if n else "absolute terms"
    kinds = f" ({'kinds' if ', ' in terms else 'kind'}: {terms})" if terms else ""
    return f"{_message(d, zh)}{_advert(d, zh)} used {what} the Advertising Law bans{kinds}"


@_template("no_opt_out")
def _no_opt_out(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    return (f"{_message(d, zh)}{_advert(d, zh)}未告知拒绝继续接收的方式" if zh
            else f"{_message(d, zh)}{_advert(d, zh)} gave no way to refuse further messages")


@_template("marketing_without_consent")
def _without_consent(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    withdrawn = d.get("withdrawn_at")
    after = bool(withdrawn) or d.get("consent_state") == "withdrawn" or bool(
        _flag(d, "after_withdrawal"))
    msg, scope = _message(d, zh), _consent_scope(d, zh)
    if after and withdrawn:
        sent = _date(d["sent_at"]) if d.get("sent_at") else ""
        bare = _message({k: v for k, v in d.items() if k != "sent_at"}, zh)
        if zh:
            return (f"客户已于 {_date(withdrawn)} 撤回营销同意{scope}，之后仍"
                    + (f"于 {sent} " if sent else "") + f"收到{bare.lstrip()}")
        return (f"the customer withdrew marketing consent on {_date(withdrawn)}{scope} and "
                f"still received a {bare}" + (f" on {sent}" if sent else ""))
    if after:
        return (f"{msg}发出时，客户已撤回营销同意" if zh
                else f"{msg} after the customer had withdrawn marketing consent")
    return (f"{msg}{_advert(d, zh)}未取得客户对该发送方和渠道的营销同意" if zh
            else f"{msg}{_advert(d, zh)} with no marketing consent covering its sender and "
                 "channel")


@_template("privacy_request_overdue")
def _privacy_overdue(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    clock = d.get("clock") or "working_days"
    due = _date(d.get("deadline") or "")
    text = _request(d, zh) + ((f"，办结期限 {due}" if zh else f", due {due},") if due else "")
    text += _request_outcome(d, zh)
    late = next((v for v in (d.get("overrun"), _flag(d, "overrun_days"),
                             _flag(d, "overrun_working_days")) if v is not None), None)
    if late is None:
        return text
    limit = "" if d.get("limit") is None else _duration(d["limit"], clock, zh)
    over = _duration(late, clock, zh)
    if zh:
        return text + (f"：时限 {limit}，" if limit else "，") + f"超期 {over}"
    return text + (f"; limit {limit}," if limit else ";") + f" {over} over"


@_template("refusal_without_reason")
def _refusal(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    when = _date(d["refused_at"]) if d.get("refused_at") else ""
    if zh:
        return f"{_request(d, zh)}" + (f"于 {when} " if when else "") + "被拒绝，未说明理由"
    return f"{_request(d, zh)} was refused" + (f" on {when}" if when else "") + (
        " without a reason")


# ------------------------------------------------------------------------- API


def generic_sentence(rule: str, entity_type: str, entity_id: str, lang: str = "zh", *,
                     amount_cny: float | None = None, amount_kind: str | None = None) -> str:
    """A readable sentence for a finding no template can read: its rule's title, what
    it is about and its money.

    >>> generic_sentence("new_rule", "order", "O1", amount_cny=3.5, amount_kind="overcharge")
    'new_rule：订单 O1，多收金额 ¥3.50'
    """
    zh = check_lang(lang) == "zh"
    what = (group_label(entity_id, lang) if entity_type == "group"
            else f"{_w(_ENTITY, entity_type, zh)} {entity_id}")
    text = f"{_title(rule, zh)}{'：' if zh else ': '}{what}"
    if amount_cny is not None:
        kind = MONEY_KIND_LABELS[lang].get(amount_kind or "", "金额" if zh else "amount")
        text += f"，{kind} {_money(amount_cny)}" if zh else f"; {kind.lower()} {_money(amount_cny)}"
    return text


def evidence_sentence(rule: str, entity_type: str, entity_id: str, detail: str | Mapping[str, Any],
                      lang: str = "zh", *, amount_cny: float | None = None,
                      amount_kind: str | None = None) -> str:
    """One plain sentence of a finding's evidence (``detail``: its JSON or a mapping).

    A rule without a template, or a detail its template cannot read, gives
    :func:`generic_sentence`.

    >>> evidence_sentence("resolution_breach", "complaint", "CP1", {"target": "resolution",
    ...     "clock": "calendar_days", "limit": 15, "elapsed": 23.0, "overrun": 8.0,
    ...     "received_at": "2026-07-01T09:00:00", "still_open_at_period_end": False})
    '投诉于 2026-07-01 收到，23 天后才办结，承诺时限 15 天，超时 8 天'
    """
    zh = check_lang(lang) == "zh"
    fallback = generic_sentence(rule, entity_type, entity_id, lang, amount_cny=amount_cny,
                                amount_kind=amount_kind)
    if isinstance(detail, Mapping):
        parsed: Any = detail
    else:
        try:
            parsed = json.loads(detail)
        except (TypeError, ValueError):
            return fallback
    template = _TEMPLATES.get(rule)
    if template is None or not isinstance(parsed, Mapping) or any(
            parsed.get(k) in (None, "", [], {}) for k in _NEEDS[rule]):
        return fallback
    extras = {"entity_type": entity_type, "entity_id": entity_id, "amount_cny": amount_cny,
              "amount_kind": amount_kind}
    try:
        return template(parsed, zh, extras) or fallback
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return fallback


def rules_without_template(rules: Sequence[str] | None = None) -> list[str]:
    """The rule codes (default: the contract's and the marketing rules) with no template."""
    codes = list(rules) if rules is not None else [*RULES, *MARKETING_RULES]
    return [c for c in dict.fromkeys(codes) if c not in _TEMPLATES]
