"""The SLA report's words: its table headers and coded values in Chinese and English.

Registered with :func:`workbench.i18n.register` on import (the package ``__init__``
imports this module), so that :func:`workbench.notebook.table` shows every SLA table
with Chinese headers and values. Figures and conclusions read the same tables
through :func:`word`. Root causes and record checks are the evidence sentences'
own words (:mod:`workbench._evidence_words`), so a cause reads the same in a
finding, a chart and a table.

>>> from workbench import i18n
>>> i18n.set_lang("zh"); i18n.header("breached"), i18n.value("target", "ack")
('超时', '首次响应')
>>> word(ROOT_CAUSES, "courier_delay", "en")
'courier delay'
>>> i18n.set_lang("zh")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workbench import i18n
from workbench._evidence_words import _CAUSES, _RECORD
from workbench.contract import ENUMS

Words = Mapping[str, tuple[str, str]]

#: Policy targets (``clocks.target``, ``adherence.target``).
TARGETS: dict[str, tuple[str, str]] = {
    "ack": ("首次响应", "First response"),
    "acceptance": ("受理决定", "Accept/reject decision"),
    "resolution": ("办结", "Resolution"),
    "mediation": ("12315 调解期限", "12315 mediation cap"),
    "update_gap": ("进展告知", "Progress updates"),
}
#: Short target names for chart axes and legends.
TARGETS_SHORT: dict[str, tuple[str, str]] = {
    **TARGETS, "acceptance": ("受理决定", "Decision"), "mediation": ("12315 调解", "Mediation"),
    "update_gap": ("进展告知", "Updates"),
}
#: Dimensions of the adherence and time-to-resolution tables.
DIMENSIONS: dict[str, tuple[str, str]] = {
    "overall": ("总体", "Overall"), "all": ("全部", "All"), "channel": ("渠道", "Channel"),
    "category": ("投诉类别", "Category"), "severity": ("投诉等级", "Complaint severity"),
    "subsidiary_id": ("子公司", "Subsidiary"),
}
CHANNELS: dict[str, tuple[str, str]] = {
    "hotline": ("热线", "hotline"), "app": ("应用", "app"), "web": ("网站", "web"),
    "email": ("邮件", "email"), "store": ("门店", "store"),
    "regulator": ("12315 转办", "12315 transfer"),
}
CATEGORIES: dict[str, tuple[str, str]] = {
    "delivery": ("物流配送", "delivery"), "pricing": ("价格", "pricing"),
    "service": ("服务", "service"), "privacy": ("个人信息", "privacy"),
    "quality": ("商品质量", "quality"), "billing": ("账单结算", "billing"),
}
#: Complaint severity (four levels; a finding's severity has three).
COMPLAINT_SEVERITY: dict[str, tuple[str, str]] = {
    "critical": ("特急", "critical"), "high": ("高", "high"), "medium": ("中", "medium"),
    "low": ("低", "low"),
}
SEVERITY_ORDER: tuple[str, ...] = ("critical", "high", "medium", "low")
_ENGLISH_STATUS = {"open": "open", "in_progress": "in progress",
                   "waiting_customer": "waiting for the customer", "resolved": "resolved",
                   "closed": "closed", "rejected": "rejected"}
STATUSES: dict[str, tuple[str, str]] = {
    code: (labels[0], _ENGLISH_STATUS.get(code, code))
    for code, labels in ENUMS["complaint_status"].items()
}
EVENTS: dict[str, tuple[str, str]] = {
    code: (labels[0], code.replace("_", " "))
    for code, labels in ENUMS["complaint_event"].items()
}
CLOCKS: dict[str, tuple[str, str]] = {
    "calendar_hours": ("小时", "hours"), "calendar_days": ("自然日", "calendar days"),
    "working_days": ("工作日", "working days"),
}
STATES: dict[str, tuple[str, str]] = {
    "met": ("按时", "met"), "breached": ("超时", "breached"),
    "running": ("期末仍在计时", "still running"), "void": ("不适用", "not applicable"),
}
ROOT_CAUSES: Words = _CAUSES
RECORD_CHECKS: Words = _RECORD
#: The breach-risk model's metrics (``risk_metrics.metric``).
RISK_METRICS: dict[str, tuple[str, str]] = {
    "landmarks": ("评估时点数（每周一次）", "Weekly landmarks"),
    "landmark_every_days": ("评估时点间隔（天）", "Days between landmarks"),
    "horizon_days": ("预测期（天）", "Horizon (days)"),
    "history_months": ("建模历史（月）", "History (months)"),
    "pool_complaints": ("可用于建模的投诉数", "Complaints available"),
    "sampled_complaints": ("抽样建模的投诉数", "Complaints sampled"),
    "oot_split": ("建模与检验的分界时点", "Fit / validation split"),
    "n_train": ("建模样本数", "Fitting rows"),
    "positives_train": ("建模样本中超时数", "Breaches among fitting rows"),
    "threshold_policy": ("标记门槛的设定规则", "Cut-off policy"),
    "min_precision": ("要求的最低命中率", "Required precision"),
    "precision_fit": ("建模期命中率", "Precision on the fitting period"),
    "recall_fit": ("建模期覆盖率", "Recall on the fitting period"),
    "threshold": ("标记门槛（预计超时概率）", "Cut-off on P(breach)"),
    "n_oot": ("检验样本数", "Validation rows"),
    "positives_oot": ("检验样本中超时数", "Breaches among validation rows"),
    "rate_oot": ("检验期超时率", "Validation breach rate"),
    "brier_oot": ("Brier 分数", "Brier score"),
    "brier_climatology_oot": ("Brier 分数（按平均超时率）", "Brier score of the base rate"),
    "brier_skill_oot": ("Brier 技能分", "Brier skill score"),
    "roc_auc_oot": ("ROC AUC", "ROC AUC"),
    "flags_oot": ("检验期标记数", "Validation flags"),
    "precision_oot": ("检验期命中率", "Validation precision"),
    "recall_oot": ("检验期覆盖率", "Validation recall"),
    "brier_base_rate": ("最终模型的平均超时率", "Base rate of the final fit"),
    "n_final": ("最终模型样本数", "Rows of the final fit"),
    "positives_final": ("最终模型样本中超时数", "Breaches among final rows"),
    "note": ("说明", "Note"),
}

#: Column → (zh, en) header of every SLA table the report shows.
COLUMNS: dict[str, tuple[str, str]] = {
    "complaint_id": ("投诉编号", "Complaint"),
    "target": ("承诺事项", "Commitment"),
    "dimension": ("维度", "Dimension"),
    "judged": ("已判定", "Judged"),
    "met": ("按时", "Met"),
    "breached": ("超时", "Breached"),
    "running": ("期末仍在计时", "Still running"),
    "adherence_rate": ("达成率", "Adherence"),
    "ci_low_rate": ("95% 区间下限", "95% CI low"),
    "ci_high_rate": ("95% 区间上限", "95% CI high"),
    "version": ("承诺版本", "Version"),
    "effective_from": ("生效日期", "In force from"),
    "limits_text": ("时限", "Limits"),
    "scope": ("适用范围", "Applies to"),
    "clock_text": ("计时规则", "Clock"),
    "complaints": ("投诉数", "Complaints"),
    "resolved": ("已办结", "Resolved"),
    "censored": ("期末未办结", "Open at period end"),
    "median_days": ("半数办结用时（天）", "Median days"),
    "p90_days": ("90% 办结用时（天）", "90th percentile days"),
    "limit_days": ("办结时限（天）", "Limit (days)"),
    "median_days_estimate": ("中位数（天）", "Median (days)"),
    "median_days_ci_low": ("中位数 95% 区间下限", "Median 95% CI low"),
    "median_days_ci_high": ("中位数 95% 区间上限", "Median 95% CI high"),
    "p90_days_estimate": ("90 分位数（天）", "90th percentile (days)"),
    "p90_days_ci_low": ("90 分位数 95% 区间下限", "P90 95% CI low"),
    "p90_days_ci_high": ("90 分位数 95% 区间上限", "P90 95% CI high"),
    "risk_metric": ("指标", "Metric"),
    "bin": ("分组", "Bin"),
    "predicted_rate": ("平均预计超时概率", "Mean predicted"),
    "observed_rate": ("实际超时比例", "Observed"),
    "lower_rate": ("95% 区间下限", "95% CI low"),
    "upper_rate": ("95% 区间上限", "95% CI high"),
    "root_cause": ("根本原因", "Root cause"),
    "rank": ("排名", "Rank"),
    "count": ("投诉数", "Complaints"),
    "cumulative_share": ("累计占比", "Cumulative share"),
    "vital_few": ("关键少数", "Vital few"),
    "total": ("近期投诉总数", "Complaints in window"),
    "trigger_month": ("首次超标月份", "First month over"),
    "trigger_count": ("当月投诉数", "Count that month"),
    "trigger_share": ("当月占比", "Share that month"),
    "months_after": ("此后月数", "Months after"),
    "mean_count_after": ("此后月均投诉数", "Mean a month after"),
    "after_share": ("此后占比", "Share after"),
    "group_name": ("分组", "Group"),
    "checks": ("记录问题", "Record problems"),
    "event_status": ("处理记录显示的状态", "Status by the record"),
    "table_status": ("投诉表中的状态", "Status in the table"),
    "sample_rows": ("样本数", "Rows"),
    "received_at": ("收到时间", "Received"),
    "acknowledged_at": ("投诉表：首次响应", "Table: acknowledged"),
    "ev_ack": ("处理记录：首次响应", "Record: acknowledged"),
    "accepted_at": ("投诉表：受理决定", "Table: decided"),
    "ev_decision": ("处理记录：受理决定", "Record: decided"),
    "resolved_at": ("投诉表：办结", "Table: resolved"),
    "ev_resolved": ("处理记录：办结", "Record: resolved"),
    "closed_at": ("投诉表：关闭", "Table: closed"),
    "ev_closed": ("处理记录：关闭", "Record: closed"),
    "category": ("投诉类别", "Category"),
    "age_days": ("已受理天数", "Age (days)"),
    "probability_rate": ("预计超时概率", "P(breach)"),
    "high": ("高", "High"),
    "medium": ("中", "Medium"),
    "low": ("低", "Low"),
}

#: Column → coded values, registered for :func:`workbench.i18n.value`.
VALUES: dict[str, Words] = {
    "target": TARGETS,
    "dimension": DIMENSIONS,
    "channel": CHANNELS,
    "category": CATEGORIES,
    "severity": {"critical": ("特急", "Critical")},
    "status": STATUSES,
    "event_status": STATUSES,
    "table_status": STATUSES,
    "clock": CLOCKS,
    "state": STATES,
    "root_cause": ROOT_CAUSES,
    "risk_metric": RISK_METRICS,
    "table": {"subsidiaries": ("子公司", "subsidiaries"), "customers": ("客户", "customers"),
              "complaints": ("投诉", "complaints"),
              "complaint_events": ("投诉处理记录", "complaint events")},
}


def word(words: Words, code: Any, lang: str | None = None) -> str:
    """``code`` in words (the report's language unless ``lang``); unknown: as it is."""
    pair = words.get(str(code)) if code is not None else None
    if pair is None:
        return "" if code is None else str(code)
    zh = (lang or i18n.current_lang()) == "zh"
    return pair[0] if zh else pair[1]


def group_word(dimension: str, code: Any) -> str:
    """A group of an adherence or time-to-resolution table in words: a channel,
    category or severity by name, a subsidiary by its id, ``all`` as 全部.
    """
    tables: dict[str, Words] = {"channel": CHANNELS, "category": CATEGORIES,
                                "severity": COMPLAINT_SEVERITY}
    if code == "all":
        return word(DIMENSIONS, "all")
    if dimension == "subsidiary_id":
        return str(code)
    return word(tables.get(dimension, {}), code)


def register() -> None:
    """Register the SLA headers and values with :mod:`workbench.i18n`."""
    i18n.register(columns=COLUMNS, values=VALUES)


register()
