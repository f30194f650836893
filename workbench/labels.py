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

from typing import Final

#: Languages of every output; the first is the default.
LANGS: Final[tuple[str, ...]] = ("zh", "en")
DEFAULT_LANG: Final[str] = LANGS[0]

ANALYSIS_TITLES: Final[dict[str, dict[str, str]]] = {
    "zh": {
        "tiering": "会员分级",
        "pricing": "价格公平",
        "sla": "投诉处理时效",
        "credit": "客户信用",
    },
    "en": {
        "tiering": "Customer tiering",
        "pricing": "Price fairness",
        "sla": "Complaint handling SLA",
        "credit": "Customer credit",
    },
}

#: Finding severities, worst first.
SEVERITIES: Final[tuple[str, ...]] = ("high", "medium", "low")
SEVERITY_LABELS: Final[dict[str, dict[str, str]]] = {
    "zh": {"high": "高", "medium": "中", "low": "低"},
    "en": {"high": "High", "medium": "Medium", "low": "Low"},
}

#: What a finding's money is (contract v1.1 ``amount_kind``); never added across kinds.
MONEY_KINDS: Final[tuple[str, ...]] = ("overcharge", "benefit", "discount", "exposure")
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

_TABLES: Final[dict[str, dict[str, dict[str, str]]]] = {
    "analysis": ANALYSIS_TITLES,
    "severity": SEVERITY_LABELS,
    "money_kind": MONEY_KIND_LABELS,
}


def check_lang(lang: str) -> str:
    """``lang`` itself when it is one of :data:`LANGS`; a clear ``ValueError`` otherwise."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {list(LANGS)} (got {lang!r})")
    return lang


def label(kind: str, code: str, lang: str = DEFAULT_LANG) -> str:
    """The reader's label of ``code`` (an analysis, a severity or a money kind).

    An unknown code is returned as it is, so a new code shows rather than fails.
    """
    return _TABLES[kind][check_lang(lang)].get(code, code)
