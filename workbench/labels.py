"""Every label a reader sees, in one place: languages, analysis titles, severities,
money kinds.

Reports, the dashboard, worklists and the CLI import these; nothing else spells a
title or a severity. Chinese is the default language of every output.

>>> ANALYSIS_TITLES["zh"]["sla"], SEVERITY_LABELS["en"]["high"]
('投诉处理时效', 'High')
>>> label("severity", "medium", "zh")
'中'
"""

from __future__ import annotations

import re
from typing import Final

from workbench.contract import AMOUNT_KINDS

#: Languages of every output; the first is the default.
LANGS: Final[tuple[str, ...]] = ("zh", "en")
DEFAULT_LANG: Final[str] = LANGS[0]

ANALYSIS_TITLES: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "tiering": "会员分级",
        "pricing": "价格公平",
        "sla": "投诉处理时效",
        "credit": "客户信用",
        "marketing": "营销与个人信息",
    },
    "en": {
        "tiering": "Customer tiering",
        "pricing": "Price fairness",
        "sla": "Complaint handling SLA",
        "credit": "Customer credit",
        "marketing": "Marketing and personal information",
    },
}

#: Finding severities, worst first.
SEVERITIES: Final[tuple[str, ...]] = ("high", "medium", "low")
SEVERITY_LABELS: Final[dict[str, dict[str, str]]] = {
    "zh": {"high": "高", "medium": "中", "low": "低"},
    "en": {"high": "High", "medium": "Medium", "low": "Low"},
}

#: What a finding's money is (contract v1.1 ``amount_kind``); never added across kinds.
MONEY_KINDS: Final[tuple[str, ...]] = AMOUNT_KINDS
MONEY_KIND_LABELS: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "overcharge": "多收金额",
        "benefit": "未公示权益",
        "discount": "未公告优惠",
        "exposure": "信用敞口",
    },
    "en": {
        "overcharge": "Overcharge",
        "benefit": "Unpublished benefits",
        "discount": "Unannounced discounts",
        "exposure": "Credit exposure",
    },
}

#: Words around money that every output shares: a breakdown rule's amount, a rule
#: or a total with no money, the two faces of consumer harm, discounts given.
MONEY_TERMS: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "breakdown": "分解，不计入合计",
        "no_money": "—",
        "consumer_harm": "消费者损害（多收金额与未公示权益并列，不相加）",
        "credit_exposure": "信用敞口（企业客户欠款，不是损失）",
        "discount_given": "未公告优惠（客户所得，不计入涉及金额）",
        "kind": "金额类别",
        "per_kind": "各类金额分别合计，不跨类别相加",
        "counted_once": "同一对象的多项发现只计一次，各规则金额之和因此大于合计",
    },
    "en": {
        "breakdown": "breakdown, not added to totals",
        "no_money": "—",
        "consumer_harm": "Consumer harm (overcharge and unpublished benefits side by side, "
                         "never added)",
        "credit_exposure": "Credit exposure (owed by enterprise customers, not a loss)",
        "discount_given": "Unannounced discounts (received by customers, not money at stake)",
        "kind": "Money kind",
        "per_kind": "each kind totalled on its own, never added across kinds",
        "counted_once": "a thing with several findings counts once, so the rules' amounts add "
                        "up to more than the total",
    },
}

_TABLES: Final[dict[str, dict[str, dict[str, str]]]] = {
    "analysis": ANALYSIS_TITLES,
    "severity": SEVERITY_LABELS,
    "money_kind": MONEY_KIND_LABELS,
    "money": MONEY_TERMS,
}


def check_lang(lang: str) -> str:
    """``lang`` itself when it is one of :data:`LANGS`; a clear ``ValueError`` otherwise."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {list(LANGS)} (got {lang!r})")
    return lang


def label(kind: str, code: str, lang: str = DEFAULT_LANG) -> str:
    """The reader's label of ``code`` (an analysis, a severity, a money kind or term).

    An unknown code is returned as it is, so a new code shows rather than fails.
    """
    return _TABLES[kind][check_lang(lang)].get(code, code)


#: A parenthesised English gloss: ASCII letters and no Chinese inside.
_GLOSS = re.compile(r"\s*\((?=[^()]*[A-Za-z]{2})(?:[^()\u4e00-\u9fff]|\([^()]*\))*\)")


def legal_basis_text(text: str, lang: str = DEFAULT_LANG) -> str:
    """A rule's legal basis as a reader of ``lang`` sees it: in Chinese the Chinese
    citations only (the English glosses in parentheses dropped, a year in brackets
    kept), in English as written (the Chinese title and its gloss).

    >>> legal_basis_text("《广告法》第十四条；《互联网广告管理办法》(2023) 第九条 (Advertising Law "
    ...                  "art. 14)", "zh")
    '《广告法》第十四条；《互联网广告管理办法》(2023) 第九条'
    >>> legal_basis_text("《企业信息公示暂行条例》 (Interim Regulation); 《办法》 (measures)", "zh")
    '《企业信息公示暂行条例》；《办法》'
    """
    if check_lang(lang) != "zh":
        return text
    return _GLOSS.sub("", text).replace("; ", "；").strip()
