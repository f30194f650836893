"""Words, number formats and shared phrases of :mod:`workbench.evidence` (kept apart:
the templates fill a module of their own), and who and what a finding is about
(:func:`customer_ids`, :func:`entity_label`, re-exported there).

Each table maps a code to its (Chinese, English) words; an unknown code is shown as
it is. Numbers: thousands separators, ¥ with cents, % with one decimal, no float
noise; lists are summarised, never cut mid-item.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from workbench.contract import RULES
from workbench.labels import check_lang

#: GB/T 2260 provincial-level codes: (Chinese name, English name).
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京市", "Beijing"), "12": ("天津市", "Tianjin"), "13": ("河北省", "Hebei"),
    "14": ("山西省", "Shanxi"), "15": ("内蒙古自治区", "Inner Mongolia"),
    "21": ("辽宁省", "Liaoning"), "22": ("吉林省", "Jilin"), "23": ("黑龙江省", "Heilongjiang"),
    "31": ("上海市", "Shanghai"), "32": ("江苏省", "Jiangsu"), "33": ("浙江省", "Zhejiang"),
    "34": ("安徽省", "Anhui"), "35": ("福建省", "Fujian"), "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"), "41": ("河南省", "Henan"), "42": ("湖北省", "Hubei"),
    "43": ("湖南省", "Hunan"), "44": ("广东省", "Guangdong"),
    "45": ("广西壮族自治区", "Guangxi"), "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"), "51": ("四川省", "Sichuan"), "52": ("贵州省", "Guizhou"),
    "53": ("云南省", "Yunnan"), "54": ("西藏自治区", "Xizang (Tibet)"),
    "61": ("陕西省", "Shaanxi"), "62": ("甘肃省", "Gansu"), "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"), "65": ("新疆维吾尔自治区", "Xinjiang"),
    "71": ("台湾省", "Taiwan"), "81": ("香港特别行政区", "Hong Kong"),
    "82": ("澳门特别行政区", "Macao"),
}

#: Attribute → value → (zh, en) words for a group member.
_VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "gender": {"f": ("女性", "women"), "m": ("男性", "men")},
    "device_os": {"ios": ("iOS 用户", "iOS users"), "android": ("安卓用户", "Android users"),
                  "windows": ("Windows 用户", "Windows users"),
                  "macos": ("macOS 用户", "macOS users"),
                  "other": ("其他设备用户", "users of other devices")},
    "channel": {"app": ("应用内下单", "app orders"), "web": ("网站下单", "web orders"),
                "store": ("门店下单", "store orders"), "phone": ("电话下单", "phone orders")},
    "customer_type": {"individual": ("个人客户", "individual customers"),
                      "enterprise": ("企业客户", "enterprise customers")},
}
_TIERS: dict[str, tuple[str, str]] = {
    "vip": ("贵宾", "VIP"), "core": ("核心", "core"), "standard": ("标准", "standard"),
    "staff": ("员工", "staff"),
}
_BENEFITS: dict[str, tuple[str, str]] = {
    "discount_pct": ("折扣", "discount"), "rebate_pct": ("返利", "rebate"),
    "free_shipping": ("免运费", "free shipping"), "priority_service": ("优先服务",
                                                                     "priority service"),
    "cash_voucher": ("现金券", "cash voucher"),
}
_STATUS: dict[str, tuple[str, str]] = {
    "active": ("存续", "active"), "revoked": ("吊销", "revoked"),
    "cancelled": ("注销", "cancelled"), "moved_out": ("迁出", "moved out"),
    "suspended": ("停业", "suspended"),
}
_CAUSES: dict[str, tuple[str, str]] = {
    "manufacturing_defect": ("生产缺陷", "manufacturing defect"),
    "wrong_specification": ("规格不符", "wrong specification"),
    "counterfeit_suspected": ("疑似假冒", "suspected counterfeit"),
    "short_shelf_life": ("保质期过短", "short shelf life"),
    "courier_delay": ("快递延误", "courier delay"),
    "damaged_in_transit": ("运输途中损坏", "damaged in transit"),
    "wrong_address": ("地址错误", "wrong address"), "lost_parcel": ("包裹丢失", "lost parcel"),
    "double_charge": ("重复扣款", "double charge"), "invoice_error": ("发票错误", "invoice error"),
    "refund_delay": ("退款延迟", "refund delay"), "rude_staff": ("服务态度差", "rude staff"),
    "no_callback": ("未回电", "no callback"), "long_wait": ("等待过久", "long wait"),
    "misleading_advice": ("误导性建议", "misleading advice"),
    "marketing_without_consent": ("未经同意的营销", "marketing without consent"),
    "data_disclosure": ("信息泄露", "data disclosure"),
    "price_changed_after_order": ("下单后改价", "price changed after order"),
    "promotion_not_applied": ("促销未生效", "promotion not applied"),
    "price_higher_than_shown": ("价格高于标示", "price higher than shown"),
}
#: ``missing_record`` checks (workbench.sla._records.CHECKS) in words.
_RECORD: dict[str, tuple[str, str]] = {
    "resolved_without_ack": ("已办结或关闭，但没有首次响应记录",
                             "resolved or closed with no acknowledgement"),
    "closed_without_resolution": ("已关闭，但没有办结记录，也没有不予受理记录",
                                  "closed with no resolution and no rejection"),
    "closed_without_decision": ("已关闭，但没有受理或不予受理的决定",
                                "closed with no accept or reject decision"),
    "event_before_receipt": ("有早于收到时间的处理记录", "an event dated before receipt"),
    "decision_before_ack": ("受理决定早于首次响应", "decided before the first response"),
    "resolved_before_decision": ("办结早于受理决定", "resolved before the decision"),
    "closed_before_resolved": ("关闭早于办结", "closed before it was resolved"),
    "acknowledged_at_mismatch": ("投诉表的首次响应时间与处理记录不一致",
                                 "first-response time differs from the record"),
    "accepted_at_mismatch": ("投诉表的受理时间与处理记录不一致",
                             "decision time differs from the record"),
    "resolved_at_mismatch": ("投诉表的办结时间与处理记录不一致",
                             "resolution time differs from the record"),
    "closed_at_mismatch": ("投诉表的关闭时间与处理记录不一致",
                           "closing time differs from the record"),
    "status_mismatch": ("投诉表的状态与处理记录不一致", "status differs from the record"),
    "status_without_timestamp": ("状态已结束但缺少对应时间", "final status without its time"),
}
_USCC: dict[str, tuple[str, str]] = {
    "missing": ("未提供统一社会信用代码", "no USCC given"),
    "length": ("长度不是 18 位", "not 18 characters long"),
    "charset": ("含有不允许的字符", "has characters the standard does not allow"),
    "authority": ("第 1 位不是登记管理部门代码", "1st character is not an authority code"),
    "category": ("第 2 位不是机构类别代码", "2nd character is not a category code"),
    "gb32100_check": ("第 18 位校验码不符", "18th check character does not match"),
    "org_code_check": ("第 9–17 位组织机构代码校验不符",
                       "embedded organisation code (9th–17th) fails its check"),
}
_PRIVACY_KINDS: dict[str, tuple[str, str]] = {
    "access": ("查阅", "access"), "copy": ("复制", "copy"), "correct": ("更正", "correction"),
    "delete": ("删除", "deletion"), "withdraw_consent": ("撤回同意", "consent withdrawal"),
    "explain": ("解释说明", "explanation"), "cancel_account": ("注销账号", "account closure"),
    "port": ("转移", "portability"),
}
_MSG_CHANNELS: dict[str, tuple[str, str]] = {
    "sms": ("短信", "SMS"), "app_push": ("应用推送", "app push"), "email": ("邮件", "email"),
    "wechat": ("微信", "WeChat"), "call": ("外呼电话", "outbound call"),
}
_ENTITY: dict[str, tuple[str, str]] = {
    "customer": ("客户", "customer"), "order": ("订单", "order"), "grant": ("权益发放", "grant"),
    "complaint": ("投诉", "complaint"), "group": ("客户群体", "group"),
    "subsidiary": ("子公司", "subsidiary"), "enterprise": ("企业", "enterprise"),
    "policy": ("等级政策", "tier policy"), "message": ("消息", "message"),
    "request": ("个人信息请求", "request"),
}
# ------------------------------------------------------------------ formatting
def _w(table: Mapping[str, tuple[str, str]], code: Any, zh: bool) -> str:
    """The word of ``code`` in a (zh, en) table; an unknown code as it is."""
    pair = table.get(str(code))
    return str(code) if pair is None else pair[0 if zh else 1]


def _num(x: Any, decimals: int = 1) -> str:
    """A count or a measure: thousands separators, at most ``decimals``, no float noise."""
    v = float(x)
    if math.isfinite(v) and (v.is_integer() or abs(v) >= 100):
        return f"{round(v):,}"
    text = f"{v:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _money(x: Any) -> str:
    return f"¥{float(x):,.2f}"


def _pct(fraction: Any, decimals: int = 1) -> str:
    return f"{float(fraction) * 100:.{decimals}f}%"


def _date(value: Any) -> str:
    return str(value)[:10]


def _plural(n: Any, word: str) -> str:
    return f"{_num(n)} {word}" + ("" if float(n) == 1 else "s")


def _items(items: Sequence[Any], noun_zh: str, noun_en: str, zh: bool, limit: int = 3,
           total: int | None = None) -> str:
    """``3 个 SKU：A、B、C`` / ``12 个订单，例如 A、B、C`` (never cut mid-item); ``total``
    when the list holds only some of the items.
    """
    shown = [str(i) for i in items[:limit]]
    n = max(len(items), total or 0)
    if zh:
        noun = f" {noun_zh}" if noun_zh.isascii() else noun_zh
        return f"{n} 个{noun}" + ("：" if n <= limit else "，例如 ") + "、".join(shown)
    noun = noun_en if n == 1 else f"{noun_en}s"
    return f"{n} {noun}" + (": " if n <= limit else ", e.g. ") + ", ".join(shown)


def _duration(value: Any, clock: str | None, zh: bool) -> str:
    """An SLA clock reading: hours (days past 72 h), calendar days or working days."""
    v = float(value)
    if clock == "calendar_hours":
        if v < 72:
            return f"{_num(v)} 小时" if zh else _plural(v, "hour")
        v, clock = v / 24, "calendar_days"
    if clock == "working_days":
        return f"{_num(v)} 个工作日" if zh else _plural(v, "working day")
    return f"{_num(v)} 天" if zh else _plural(v, "day")


# ---------------------------------------------------------------- group labels
def _band(value: str, zh: bool, tenure: bool) -> str:
    text = value.removesuffix("m+").removesuffix("m").replace("-", "–")
    if tenure:
        if value.endswith("+"):
            return f"客户时长 {text} 个月以上" if zh else f"customers of {text}+ months"
        return f"客户时长 {text} 个月" if zh else f"customers of {text} months"
    if value.endswith("+"):
        return f"{text.removesuffix('+')} 岁以上" if zh else f"aged {text}"
    return f"{text} 岁" if zh else f"aged {text}"


def _group_part(attribute: str, value: str, zh: bool) -> str:
    if attribute in _VALUES and value in _VALUES[attribute]:
        return _VALUES[attribute][value][0 if zh else 1]
    if attribute == "province" and value in PROVINCES:
        return PROVINCES[value][0 if zh else 1]
    if attribute in ("tenure_band", "age_band") and value[:1].isdigit():
        return _band(value, zh, attribute == "tenure_band")
    if attribute == "tier":
        return f"{_w(_TIERS, value, zh)}等级会员" if zh else f"{_w(_TIERS, value, zh)} tier"
    if attribute in ("subsidiary", "subsidiary_id"):
        return f"子公司 {value}" if zh else f"subsidiary {value}"
    return f"{attribute}={value}" if attribute else value


def group_label(entity_id: str, lang: str = "zh") -> str:
    """A group id (``gender=f&province=31``) in words, parts joined with `` · ``.

    Province names per GB/T 2260; an unknown attribute or value is shown as it is.

    >>> group_label("age_band=25-34&tier=vip"), group_label("x=1&province=99", "en")
    ('25–34 岁 · 贵宾等级会员', 'x=1 · province=99')
    """
    zh = check_lang(lang) == "zh"
    parts = []
    for part in str(entity_id).split("&"):
        attribute, _, value = part.partition("=")
        parts.append(_group_part(attribute.strip(), value.strip(), zh) if value else part)
    return " · ".join(parts)


# ------------------------------------------------ phrases several templates share
#: SLA targets: (what was late zh, verb zh, en noun).
_TARGETS: dict[str, tuple[str, str, str]] = {
    "ack": ("首次响应", "首次响应", "first response"),
    "acceptance": ("受理决定", "作出受理决定", "accept-or-reject decision"),
    "resolution": ("办结", "办结", "resolution"),
    "mediation": ("调解", "结束调解", "mediation (12315 cap)"),
    "update_gap": ("进展告知", "告知进展", "progress update"),
}


def _facts(d: Mapping[str, Any], zh: bool) -> str:
    """Trailing-12-month spend, orders and tenure, those the detail has."""
    parts = []
    if d.get("spend_12m_cny") is not None:
        parts.append(f"近 12 个月消费 {_money(d['spend_12m_cny'])}" if zh
                     else f"{_money(d['spend_12m_cny'])} spent in 12 months")
    if d.get("orders_12m") is not None:
        n = d["orders_12m"]
        parts.append(f"订单 {_num(n)} 笔" if zh else _plural(n, "order"))
    if d.get("tenure_months") is not None:
        parts.append(f"客户时长 {_num(d['tenure_months'])} 个月" if zh
                     else f"a customer for {_plural(d['tenure_months'], 'month')}")
    return ("、" if zh else ", ").join(parts)


def _minimums(m: Mapping[str, Any], zh: bool) -> str:
    parts = []
    if m.get("min_spend_12m_cny"):
        parts.append(f"消费 {_money(m['min_spend_12m_cny'])}" if zh
                     else f"{_money(m['min_spend_12m_cny'])} spent")
    if m.get("min_orders_12m"):
        parts.append(f"订单 {_num(m['min_orders_12m'])} 笔" if zh
                     else _plural(m["min_orders_12m"], "order"))
    if m.get("min_tenure_months"):
        parts.append(f"客户时长 {_num(m['min_tenure_months'])} 个月" if zh
                     else f"{_plural(m['min_tenure_months'], 'month')} as a customer")
    return ("、" if zh else ", ").join(parts)


def _order_head(d: Mapping[str, Any], zh: bool) -> str:
    when, sku = _date(d.get("ordered_at", "")), d.get("sku")
    if zh:
        return f"{when} 的订单" + (f"（{sku}）" if sku else "")
    return f"order of {when}" + (f" ({sku})" if sku else "")


def _regulator(d: Mapping[str, Any], zh: bool) -> str:
    if d.get("channel") != "regulator":
        return ""
    return "（12315 转办）" if zh else " (12315 transfer)"


def _clock_clause(t: Mapping[str, Any], clock: str | None, zh: bool) -> str:
    """``承诺时限 15 天，超时 8 天`` for one target reading."""
    limit, late = _duration(t["limit"], clock, zh), _duration(t["overrun"], clock, zh)
    return f"承诺时限 {limit}，超时 {late}" if zh else f"committed {limit}, {late} late"


def _owed(d: Mapping[str, Any], zh: bool, x: Mapping[str, Any]) -> str:
    owed = d.get("outstanding_cny", x.get("amount_cny"))
    if owed is None:
        return ""
    if float(owed) < 0.005:
        return "；无应收未结款项" if zh else "; nothing outstanding"
    return f"；应收未结 {_money(owed)}" if zh else f"; {_money(owed)} outstanding"


def _illegal(d: Mapping[str, Any], zh: bool, since: Any = None) -> str:
    reason = d.get("serious_illegal_reason")
    if zh:
        return (f"{_date(since)} " if since else "") + "列入严重违法失信名单" + (
            f"（原因：{reason}）" if reason else "")
    return "on the serious-illegal list" + (f" since {_date(since)}" if since else "")


# ------------------------------------------------------------------ marketing
#: A sender's label of a message (``purpose``).
_PURPOSES: dict[str, tuple[str, str]] = {
    "marketing": ("营销", "marketing"), "service": ("服务", "service"),
    "transaction": ("交易", "transaction"),
}
#: The content signals that make a message an advertisement (content_rules.yaml).
_SIGNALS: dict[str, tuple[str, str]] = {
    "discount": ("折扣满减", "a discount"), "offer_price": ("促销价", "an offer price"),
    "coupon": ("优惠券", "a coupon"), "campaign": ("促销活动", "a campaign"),
    "urgency": ("限时限量", "urgency"), "price_offer": ("低价宣传", "a bargain price"),
    "call_to_action": ("购买号召", "a call to buy"), "upsell": ("增值推荐", "an upsell"),
    "product_push": ("商品推荐", "a product push"), "link": ("购买链接", "a link"),
}
#: Absolute-term lexicon entries (absolute_terms.yaml) in English; Chinese quotes the term.
_LEXICON_EN: dict[str, str] = {
    "named_in_law": "named in the law", "world_class": "world-class", "best": "best",
    "superlative_quality": "top quality", "highest": "highest", "biggest": "biggest",
    "lowest_price": "lowest price", "number_one": "number one", "absolute": "absolute",
    "only_one": "the only one", "top": "top-grade", "first_choice": "first choice",
    "hundred_percent": "100%", "leading": "leading",
}


def _by_content(d: Mapping[str, Any]) -> bool:
    """Commercial by its content although labelled service or transaction."""
    label = d.get("purpose_label", d.get("purpose"))
    return d.get("commercial_because") == "content" or label in ("service", "transaction")


def _message(d: Mapping[str, Any], zh: bool) -> str:
    """``2026-07-03 经短信发送的营销信息`` / ``marketing SMS message sent 2026-07-03``
    from the time, channel and the sender's label the detail has.
    """
    when = _date(d["sent_at"]) if d.get("sent_at") else ""
    channel = _w(_MSG_CHANNELS, d["channel"], zh) if d.get("channel") else ""
    label = d.get("purpose_label", d.get("purpose"))
    purpose = _w(_PURPOSES, label, zh) if label else ("商业" if zh else "commercial")
    if zh:
        return (f"{when} " if when else "") + (f"经{channel}" if channel else "") + (
            f"发送的{purpose}信息")
    return f"{purpose} {channel + ' ' if channel else ''}message" + (
        f" sent {when}" if when else "")


def _advert(d: Mapping[str, Any], zh: bool) -> str:
    """Why a message labelled otherwise is an advertisement: ``（按内容属于广告）``."""
    if not _by_content(d):
        return ""
    return "（按内容属于广告）" if zh else " (an advertisement by its content)"


def _signals(d: Mapping[str, Any], zh: bool, limit: int = 3) -> str:
    """The message's advertising signals in words (``折扣满减、促销价``), at most ``limit``."""
    words = [_SIGNALS[s][0 if zh else 1] for s in d.get("signals") or [] if s in _SIGNALS]
    return ("、" if zh else ", ").join(words[:limit])


def _terms(d: Mapping[str, Any], zh: bool, limit: int = 3) -> str:
    """The absolute terms found: quoted in Chinese (``“国家级”“最佳”``, ``… 等 5 个``),
    their kinds (lexicon entries) in English, which has no Chinese to quote.
    """
    if zh:
        terms = [str(t) for t in d.get("terms") or [] if t]
        shown = "".join(f"“{t}”" for t in terms[:limit])
        return shown + (f"等 {len(terms)} 个" if len(terms) > limit else "")
    entries = [_LEXICON_EN[e] for e in dict.fromkeys(d.get("lexicon_entries") or [])
               if e in _LEXICON_EN]
    return ", ".join(entries[:limit])


def _consent_scope(d: Mapping[str, Any], zh: bool) -> str:
    """The withdrawn consent and its scope: ``（同意记录 K1，适用于全集团、全部渠道）``."""
    scope = d.get("consent_scope") if isinstance(d.get("consent_scope"), Mapping) else {}
    sub, channel = scope.get("subsidiary"), scope.get("channel")
    parts = []
    if sub:
        parts.append(("全集团" if zh else "the whole group") if sub == "*"
                     else (f"子公司 {sub}" if zh else f"subsidiary {sub}"))
    if channel:
        parts.append(("全部渠道" if zh else "every channel") if channel == "*"
                     else _w(_MSG_CHANNELS, channel, zh))
    cid = d.get("withdrawn_consent_id")
    if zh:
        head = f"同意记录 {cid}" if cid else ""
        body = f"适用于{'、'.join(parts)}" if parts else ""
        inner = "，".join(p for p in (head, body) if p)
    else:
        inner = ", ".join(p for p in (f"consent {cid}" if cid else "",
                                      f"for {' and '.join(parts)}" if parts else "") if p)
    return (f"（{inner}）" if zh else f" ({inner})") if inner else ""


def _request(d: Mapping[str, Any], zh: bool) -> str:
    """``2026-06-22 收到的个人信息查阅请求`` / ``the personal-information access request
    received 2026-06-22`` (never who made it).
    """
    kind = _w(_PRIVACY_KINDS, d["kind"], zh) if d.get("kind") else ""
    when = _date(d["received_at"]) if d.get("received_at") else ""
    if zh:
        return (f"{when} 收到的" if when else "") + f"个人信息{kind}请求"
    return (f"the personal-information {kind} request" if kind else "a privacy request") + (
        f" received {when}" if when else "")


def _request_outcome(d: Mapping[str, Any], zh: bool) -> str:
    """``，2026-07-20 才办结（用时 28 个工作日）`` or ``，至期末仍未办结（已过 …）``."""
    clock = d.get("clock") or "working_days"
    took = "" if d.get("elapsed") is None else _duration(d["elapsed"], clock, zh)
    done = d.get("completed_at")
    if d.get("still_open_at_period_end", done is None):
        if zh:
            return "，至期末仍未办结" + (f"（已过 {took}）" if took else "")
        return " still not completed at the period end" + (f" after {took}" if took else "")
    if not done:
        return "，未按时办结" if zh else " completed late"
    if zh:
        return f"，{_date(done)} 才办结" + (f"（用时 {took}）" if took else "")
    return f" completed only on {_date(done)}" + (f" after {took}" if took else "")


def _tier(code: Any, zh: bool) -> str:
    return _w(_TIERS, code, zh)


def _disparity_metric(m: Mapping[str, Any], group: str, zh: bool) -> str:
    rg, rr = _pct(m["rate_group"]), _pct(m["rate_rest"])
    diff = f"{float(m['difference']) * 100:.1f}"
    ci = ""
    if m.get("difference_ci_low") is not None and m.get("difference_ci_high") is not None:
        lo = f"{float(m['difference_ci_low']) * 100:.1f}"
        hi = f"{float(m['difference_ci_high']) * 100:.1f}"
        ci = f"，95% 置信区间 {lo}–{hi} 个百分点" if zh else f", 95% CI {lo}–{hi} points"
    people = m.get("people_affected")
    if people is not None:
        ci += f"；约 {_num(round(float(people)))} 人受影响" if zh else \
            f"; about {_num(round(float(people)))} people affected"
    metric = m.get("metric")
    if zh:
        if metric == "under_tiered_rate":
            return (f"{group}中符合条件却被评低等级的比例为 {rg}，其他客户为 {rr}"
                    f"（差 {diff} 个百分点{ci}）")
        if metric == "hidden_benefit_rate":
            return (f"{group}获得未公布权益的比例为 {rg}，其他客户为 {rr}"
                    f"（低 {diff} 个百分点{ci}）")
        return f"{group}的比例为 {rg}，其他客户为 {rr}（差 {diff} 个百分点{ci}）"
    if metric == "under_tiered_rate":
        return (f"{rg} of eligible {group} were placed below the tier they qualify for, vs "
                f"{rr} of other customers ({diff} points more{ci})")
    if metric == "hidden_benefit_rate":
        return (f"{rg} of {group} received unpublished benefits, vs {rr} of other customers "
                f"({diff} points fewer{ci})")
    return f"{group}: {rg} vs {rr} for other customers ({diff} points{ci})"


def _flag(d: Mapping[str, Any], key: str) -> Any:
    """A value of the detail, or of its ``severity_basis`` (where a severity input sits)."""
    value = d.get(key)
    return (d.get("severity_basis") or {}).get(key) if value is None else value


def _title(rule: str, zh: bool) -> str:
    r = RULES.get(rule)
    return rule if r is None else (r.title_zh if zh else r.title_en)


def entity_label(entity_type: str, lang: str = "zh") -> str:
    """What kind of thing a finding is about, in words (``order`` → ``订单``)."""
    return _w(_ENTITY, entity_type, check_lang(lang) == "zh")


def customer_ids(entity_type: str, entity_id: str, detail: str | Mapping[str, Any]) -> list[str]:
    """The (pseudonymous) customers a finding is about: the entity itself for a
    customer, else ``customer_id`` / ``customer_ids`` of its evidence; none for a
    group, a tier policy or a subsidiary.

    >>> customer_ids("order", "O1", '{"customer_id": "C7"}'), customer_ids("group", "g=1", {})
    (['C7'], [])
    """
    if entity_type == "customer":
        return [entity_id]
    if entity_type in ("group", "policy", "subsidiary"):
        return []
    try:
        d = detail if isinstance(detail, Mapping) else json.loads(detail)
    except (TypeError, ValueError):
        return []
    if not isinstance(d, Mapping):
        return []
    ids = d.get("customer_ids") or ([d["customer_id"]] if d.get("customer_id") else [])
    return [str(i) for i in ids] if isinstance(ids, list) else [str(ids)]
