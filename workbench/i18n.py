"""The language of what a notebook shows: Chinese by default, English on request.

A report is rendered in one language (``workbench report --lang``; the notebooks'
``lang`` parameter). :func:`workbench.notebook.setup` sets it with
:func:`set_lang`; from then on figure titles and axes (:func:`tr`), table headers
(:func:`header`) and coded values (:func:`value`) come out in that language.
Words live in tables, not in code paths: the shared columns and values here, and
each analysis registers its own with :func:`register` (its ``_words.py``). An
unknown column or value is shown as it is, so a new one shows rather than fails.

>>> set_lang("zh"); header("subsidiary_id"), value("severity", "high"), tr("是", "yes")
('子公司', '高', '是')
>>> set_lang("en"); header("rows_in_period"), value("severity", "high")
('Rows in period', 'High')
>>> set_lang("zh")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from workbench.labels import (
    ANALYSIS_TITLES,
    DEFAULT_LANG,
    MONEY_KIND_LABELS,
    SEVERITY_LABELS,
    check_lang,
)

_state: dict[str, str] = {"lang": DEFAULT_LANG}

#: Column → (zh, en) header, for columns several analyses show.
COLUMNS: dict[str, tuple[str, str]] = {
    "analysis": ("分析", "Analysis"),
    "rule": ("规则", "Rule"),
    "severity": ("严重程度", "Severity"),
    "entity_type": ("对象类型", "Entity type"),
    "entity_id": ("对象", "Entity"),
    "subsidiary_id": ("子公司", "Subsidiary"),
    "subsidiary": ("子公司", "Subsidiary"),
    "customer_id": ("客户编号", "Customer"),
    "amount_cny": ("金额", "Amount"),
    "amount_kind": ("金额类别", "Money kind"),
    "detail": ("证据", "Evidence"),
    "evidence": ("证据", "Evidence"),
    "finding_id": ("发现编号", "Finding id"),
    "findings": ("发现数", "Findings"),
    "period": ("报告期", "Period"),
    "table": ("数据表", "Table"),
    "rows": ("行数", "Rows"),
    "date_column": ("日期列", "Date column"),
    "rows_in_period": ("期内行数", "Rows in period"),
    "rows_after_period": ("期后行数（未使用）", "Rows after the period (unused)"),
    "min_date": ("最早日期", "First date"),
    "max_date": ("最晚日期", "Last date"),
    "null_share": ("空值比例", "Empty values"),
    "max_null_share": ("最大空值比例", "Largest empty share"),
    "group": ("客户群体", "Group"),
    "attribute": ("属性", "Attribute"),
    "n": ("人数", "People"),
    "customers": ("客户数", "Customers"),
    "orders": ("订单数", "Orders"),
    "month": ("月份", "Month"),
    "note": ("说明", "Note"),
    "metric": ("指标", "Metric"),
    "value": ("数值", "Value"),
    "status": ("状态", "Status"),
    "channel": ("渠道", "Channel"),
    "device_os": ("设备系统", "Device"),
    "province": ("省份", "Province"),
    "gender": ("性别", "Gender"),
    "age_band": ("年龄段", "Age band"),
    "tenure_band": ("客户时长", "Tenure"),
    "tier": ("会员等级", "Tier"),
    "customer_type": ("客户类型", "Customer type"),
    "p_value": ("p 值", "p-value"),
    "q_value": ("校正后 p 值（q 值）", "Adjusted p-value (q)"),
    "ci_low": ("95% 区间下限", "95% CI low"),
    "ci_high": ("95% 区间上限", "95% CI high"),
    "flagged": ("是否标记", "Flagged"),
    "share": ("占比", "Share"),
    "rate": ("比例", "Rate"),
}

#: Column → {code: (zh, en)} for coded values several analyses show.
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "severity": {k: (SEVERITY_LABELS["zh"][k], SEVERITY_LABELS["en"][k])
                 for k in SEVERITY_LABELS["zh"]},
    "analysis": {k: (ANALYSIS_TITLES["zh"][k], ANALYSIS_TITLES["en"][k])
                 for k in ANALYSIS_TITLES["zh"]},
    "amount_kind": {k: (MONEY_KIND_LABELS["zh"][k], MONEY_KIND_LABELS["en"][k])
                    for k in MONEY_KIND_LABELS["zh"]},
    "entity_type": {
        "customer": ("客户", "customer"), "order": ("订单", "order"),
        "grant": ("权益发放", "grant"),
        "complaint": ("投诉", "complaint"), "group": ("客户群体", "group"),
        "subsidiary": ("子公司", "subsidiary"), "enterprise": ("企业", "enterprise"),
        "policy": ("等级政策", "policy"), "message": ("消息", "message"),
        "request": ("个人信息请求", "request"),
    },
    "gender": {"f": ("女", "female"), "m": ("男", "male")},
    "device_os": {"ios": ("iOS", "iOS"), "android": ("安卓", "Android"),
                  "harmonyos": ("鸿蒙", "HarmonyOS"), "web": ("网页", "web"),
                  "other": ("其他", "other")},
    "flagged": {True: ("是", "yes"), False: ("否", "no")},  # type: ignore[dict-item]
    "table": {
        "subsidiaries": ("子公司", "subsidiaries"), "customers": ("客户", "customers"),
        "tier_policy": ("等级标准", "tier criteria"),
        "tier_benefits": ("等级权益表", "tier benefits"),
        "tier_assignments": ("等级评定记录", "tier assignments"),
        "benefit_grants": ("权益发放记录", "benefit grants"), "orders": ("订单", "orders"),
        "promotions": ("促销活动", "promotions"), "complaints": ("投诉", "complaints"),
        "complaint_events": ("投诉处理记录", "complaint handling record"),
        "registry_snapshots": ("企业登记信息快照", "registry extracts"),
        "registry_events": ("企业登记事件", "registry events"),
        "receivables": ("应收账款", "receivables"),
        "marketing_messages": ("营销消息", "marketing messages"),
        "consents": ("个人信息同意记录", "consents"),
        "privacy_requests": ("个人信息权利请求", "privacy requests"),
    },
}


def set_lang(lang: str) -> None:
    """Make ``lang`` (``zh`` or ``en``) the language of what follows."""
    _state["lang"] = check_lang(lang)


def current_lang() -> str:
    """The language set by :func:`set_lang` (``zh`` until then)."""
    return _state["lang"]


def is_zh() -> bool:
    """Whether the current language is Chinese."""
    return _state["lang"] == "zh"


def tr(zh: str, en: str) -> str:
    """``zh`` or ``en``, by the current language."""
    return zh if is_zh() else en


def count(x: float) -> str:
    """A count with thousands separators: ``1,234``."""
    return f"{round(float(x)):,}"


def cny(x: float) -> str:
    """An amount in yuan, to the cent: ``¥1,234.50``."""
    return f"¥{float(x):,.2f}"


def pct(x: float, digits: int = 1) -> str:
    """A share (0–1) as a percentage: ``16.2%``."""
    return f"{float(x) * 100:.{digits}f}%"


def join_list(items: Iterable[str]) -> str:
    """Items of a list: 、 in Chinese, commas in English."""
    return ("、" if is_zh() else ", ").join(items)


def join_clauses(parts: Iterable[str]) -> str:
    """Clauses of one sentence (the empty ones left out): ； in Chinese, ; in English."""
    return ("；" if is_zh() else "; ").join(p for p in parts if p)


def register(
    columns: Mapping[str, tuple[str, str]] | None = None,
    values: Mapping[str, Mapping[Any, tuple[str, str]]] | None = None,
) -> None:
    """Add an analysis' own column headers and coded values (later entries win)."""
    COLUMNS.update(columns or {})
    for col, table in (values or {}).items():
        VALUES.setdefault(col, {}).update(table)


def _rule_title(code: str) -> str | None:
    from workbench.contract import RULES

    rule = RULES.get(code)
    if rule is None:
        return None
    return rule.title_zh if is_zh() else rule.title_en


def header(column: str) -> str:
    """The reader's header of ``column``; unknown: the code itself in Chinese, words
    ("rows_in_period" → "Rows in period") in English.
    """
    words = COLUMNS.get(column)
    if words:
        return words[0] if is_zh() else words[1]
    return column if is_zh() else column.replace("_", " ").strip().capitalize()


def value(column: str, code: Any) -> Any:
    """The reader's form of a coded value of ``column`` (rule codes as their titles,
    groups in words); anything unknown as it is.
    """
    if code is None:
        return None
    table = VALUES.get(column)
    if table is not None and code in table:
        zh, en = table[code]
        return zh if is_zh() else en
    if column == "rule" and isinstance(code, str):
        return _rule_title(code) or code
    if column in ("group", "entity_id") and isinstance(code, str) and "=" in code:
        from workbench.evidence import group_label

        return group_label(code, current_lang())
    return code


def translated_columns() -> frozenset[str]:
    """Columns whose values :func:`value` translates (for display code)."""
    return frozenset(VALUES) | {"rule", "group", "entity_id"}
