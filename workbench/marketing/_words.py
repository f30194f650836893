"""The marketing report's words: its table headers and coded values in Chinese and English.

Registered with :func:`workbench.i18n.register` on import (the package ``__init__``
imports this module), so that :func:`workbench.notebook.table` shows every marketing
table with Chinese headers and values; the figures read the same words.

>>> from workbench import i18n
>>> i18n.set_lang("zh"); i18n.header("consent_state"), i18n.value("state", "overdue")
('同意状态', '逾期')
>>> i18n.set_lang("zh")
"""

from __future__ import annotations

from collections.abc import Mapping

from workbench import i18n

Words = Mapping[str, tuple[str, str]]

CHANNELS: dict[str, tuple[str, str]] = {
    "sms": ("短信", "SMS"), "app_push": ("应用推送", "app push"), "email": ("邮件", "e-mail"),
    "wechat": ("微信", "WeChat"), "call": ("外呼电话", "outbound call"),
}
PURPOSES: dict[str, tuple[str, str]] = {
    "marketing": ("营销", "marketing"), "service": ("服务", "service"),
    "transaction": ("交易", "transaction"),
}
BASIS: dict[str, tuple[str, str]] = {
    "purpose": ("发送方标注为营销", "labelled marketing"),
    "content": ("内容属于广告（标注为服务/交易）", "content advertises (labelled otherwise)"),
    "not_commercial": ("非商业信息", "not commercial"),
}
CONSENT_STATES: dict[str, tuple[str, str]] = {
    "in_force": ("同意有效", "consent in force"), "withdrawn": ("已撤回同意", "consent withdrawn"),
    "none": ("从未同意", "never consented"),
}
REQUEST_STATES: dict[str, tuple[str, str]] = {
    "met": ("按时办结", "met"), "overdue": ("逾期", "overdue"),
    "running": ("办理中（未到期）", "open, within its limit"),
}
KINDS: dict[str, tuple[str, str]] = {
    "access": ("查阅", "access"), "copy": ("复制", "copy"), "correct": ("更正补充", "correction"),
    "delete": ("删除", "deletion"), "withdraw_consent": ("撤回同意", "consent withdrawal"),
    "explain": ("解释说明", "explanation"), "cancel_account": ("注销账号", "account closure"),
    "port": ("转移", "portability"),
}
SIGNALS: dict[str, tuple[str, str]] = {
    "discount": ("折扣/满减", "discount"), "offer_price": ("促销价", "offer price"),
    "coupon": ("优惠券/红包", "coupon"), "campaign": ("活动/新品/赠品", "campaign"),
    "urgency": ("限时/限量", "urgency"), "price_offer": ("低价表述", "bargain price"),
    "call_to_action": ("购买号召", "call to action"), "upsell": ("增值/金融推荐", "upsell"),
    "product_push": ("商品推荐", "product push"), "link": ("链接", "link"),
    "ad_label": ("广告标识", "ad label"), "opt_out": ("退订方式", "opt-out line"),
    "absolute_term": ("绝对化用语", "absolute term"),
}

#: The rules as the column headers of the per-subsidiary table (short: one word each).
RULE_COLUMNS: dict[str, tuple[str, str]] = {
    "ad_unlabelled": ("未标明广告", "Not labelled"), "no_opt_out": ("无拒收方式", "No opt-out"),
    "absolute_term": ("绝对化用语", "Absolute term"),
    "marketing_without_consent": ("无有效同意", "No consent"),
    "privacy_request_overdue": ("请求逾期", "Request overdue"),
    "refusal_without_reason": ("拒绝未说明理由", "Refused, no reason"),
}
#: The lexicon's entries (``absolute_terms.yaml`` names) in words; a custom lexicon's
#: other names show as they are.
LEXICON_ENTRIES: dict[str, tuple[str, str]] = {
    "named_in_law": ("法律明列（国家级、最高级、最佳）", "named in the law"),
    "world_class": ("世界级、全球级", "world-class"), "best": ("最好的", "the best"),
    "superlative_quality": ("“最＋形容词”", "superlative quality"),
    "highest": ("最高", "the highest"), "biggest": ("最大", "the biggest"),
    "lowest_price": ("全网最低、最低价", "the lowest price"),
    "number_one": ("第一、NO.1、销量冠军", "number one"), "absolute": ("绝对", "absolute"),
    "only_one": ("唯一、独一无二", "the only one"), "top": ("顶级、极品", "top grade"),
    "first_choice": ("首选", "first choice"), "hundred_percent": ("100%、百分之百", "100 %"),
    "leading": ("领先、领导品牌", "leading"),
}

COLUMNS: dict[str, tuple[str, str]] = {
    "message_id": ("信息编号", "Message"), "request_id": ("请求编号", "Request"),
    "purpose": ("发送方标注", "Sender's label"), "sent_at": ("发送时间", "Sent at"),
    "commercial": ("商业信息", "Commercial"), "commercial_basis": ("认定依据", "Why commercial"),
    "score": ("广告信号分", "Signal score"), "signals": ("广告信号", "Signals"),
    "ad_labelled": ("标明广告", "Labelled ad"), "opt_out": ("提供退订", "Opt-out given"),
    "absolute_terms": ("绝对化用语", "Absolute terms"), "consent_state": ("同意状态", "Consent"),
    "consent_id": ("同意记录", "Consent"), "withdrawn_at": ("撤回时间", "Withdrawn at"),
    "messages": ("信息数", "Messages"), "term": ("用语", "Term"), "signal": ("信号", "Signal"),
    "kind": ("请求类型", "Kind"), "state": ("状态", "State"),
    "received_at": ("收到时间", "Received"),
    "completed_at": ("办结时间", "Completed"), "deadline_at": ("期限", "Deadline"),
    "limit": ("时限", "Limit"), "elapsed": ("已用天数", "Days used"),
    "overrun": ("超期天数", "Days over"), "requests": ("请求数", "Requests"),
    "due": ("期内到期", "Due"), "met": ("按时", "Met"), "overdue": ("逾期", "Overdue"),
    "running": ("未到期", "Running"), "on_time_share": ("按时率", "On time"),
    "refused": ("拒绝件数", "Refused"),
    "without_reason": ("其中未说明理由", "Of them without reason"),
    "clock": ("计时方式", "Clock"), "policy_version": ("政策版本", "Policy version"),
    "version": ("版本", "Version"), "effective_from": ("生效日期", "In force from"),
    "lexicon_entry": ("词库条目", "Lexicon entry"), "source": ("依据", "Source"),
    "weight": ("权重", "Weight"), "in_force": ("同意有效", "Consent in force"),
    "withdrawn": ("已撤回同意", "Consent withdrawn"), "never": ("从未同意", "Never consented"),
    "without_consent": ("无有效同意", "No consent"),
    "consent_share": ("同意覆盖率", "Consent coverage"),
    "deadline": ("期限（最后一天）", "Deadline"), "kinds": ("适用的请求类型", "Kinds of request"),
    "reason_given": ("说明理由", "Reason given"), "refused_at": ("拒绝时间", "Refused on"),
    **RULE_COLUMNS,
}

i18n.register(
    columns=COLUMNS,
    values={"channel": CHANNELS, "purpose": PURPOSES, "commercial_basis": BASIS,
            "consent_state": CONSENT_STATES, "state": REQUEST_STATES, "kind": KINDS,
            "signal": SIGNALS, "lexicon_entry": LEXICON_ENTRIES,
            "clock": {"working_days": ("工作日", "working days"),
                      "calendar_days": ("自然日", "calendar days")}},
)


def word(table: Words, code: str) -> str:
    """The current language's word for ``code`` in ``table`` (the code when unknown)."""
    pair = table.get(code)
    return code if pair is None else (pair[0] if i18n.is_zh() else pair[1])
