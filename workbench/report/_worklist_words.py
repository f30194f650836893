"""The words of the remediation worklists (:mod:`workbench.report.worklists`): column
headers, sheet names and the instructions a business user reads on the overview.

Instructions name no file format and no tool: everything a row needs to be assigned
and closed is in the workbook.
"""

from __future__ import annotations

from workbench.labels import SEVERITIES, SEVERITY_LABELS
from workbench.severity import Policy, load_policy

__all__ = ["TEXT", "instructions"]

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "overview": "概览", "title": "整改清单", "group": "集团层面（不属于单一子公司）",
        "period": "报告期", "subsidiary": "子公司", "how_title": "使用说明",
        "none": "本期无需整改的问题。", "analysis": "分析", "rule": "规则代码",
        "rule_title": "问题", "findings": "问题数", "amount": "金额（元）", "kind": "金额类别",
        "legal_basis": "法律依据", "severity": "严重程度", "priority": "优先级",
        "entity_type": "对象类型", "entity_id": "对象编号", "customer_id": "客户编号",
        "evidence": "证据", "overdue": "超期天数", "due": "完成期限", "owner": "责任人",
        "action": "整改措施", "status": "状态", "statuses": "待处理,处理中,已整改,不适用",
        "total": "合计", "total_kind": "合计：{kind}", "refunds": "退款清单",
        "orders": "订单数", "order_ids": "订单编号", "excess_cny": "多收金额（元）",
        "attributed_cny": "其中归因于群体溢价（元）", "groups": "所属被标记群体",
        "refund_status": "退款状态", "refund_statuses": "待退款,已退款,不适用",
        "no_refunds": "本期无应退款的客户。",
        "refunds_how": "本子公司应向客户退还的多收金额：每位客户一行，列出其全部相关订单（每笔订单"
                       "只计一次），金额是订单价格高于公布价格、会员折扣与公开促销所能解释的部分。"
                       "“其中归因于群体溢价”是该客户多收金额中由被标记群体溢价解释的部分，已包含在"
                       "多收金额内，不另计。完成期限取该客户各订单中最早的期限。",
    },
    "en": {
        "overview": "Overview", "title": "Remediation worklist",
        "group": "Group level (no single subsidiary)", "period": "Period",
        "subsidiary": "Subsidiary", "how_title": "How to use this workbook",
        "none": "Nothing to remediate this period.", "analysis": "Analysis", "rule": "Rule code",
        "rule_title": "Issue", "findings": "Issues", "amount": "Money (CNY)",
        "kind": "Money kind", "legal_basis": "Legal basis", "severity": "Severity",
        "priority": "Priority", "entity_type": "Entity type", "entity_id": "Entity",
        "customer_id": "Customer id", "evidence": "Evidence", "overdue": "Days overdue",
        "due": "Due date", "owner": "Owner", "action": "Action", "status": "Status",
        "statuses": "open,in progress,fixed,not applicable", "total": "Total",
        "total_kind": "Total: {kind}", "refunds": "Refunds", "orders": "Orders",
        "order_ids": "Order ids", "excess_cny": "Overcharge (CNY)",
        "attributed_cny": "Of which attributed to group premiums (CNY)",
        "groups": "Flagged groups", "refund_status": "Refund status",
        "refund_statuses": "to refund,refunded,not applicable",
        "no_refunds": "No customer is owed a refund this period.",
        "refunds_how": "What this subsidiary owes its customers back: one row per customer with "
                       "all their orders concerned (each order counted once); the money is the "
                       "part of the prices that published prices, tier discounts and public "
                       "promotions do not explain. \"Of which attributed to group premiums\" is "
                       "the part of the overcharge that flagged groups' premiums explain, "
                       "included in it, not an extra amount. The due date is the earliest of "
                       "the customer's orders.",
    },
}


def instructions(lang: str, policy: Policy | None = None, *, refunds: bool = True) -> list[str]:
    """What a business user does with the workbook, one step a line (no file formats,
    no tools: everything needed is in the workbook).
    """
    days = (policy or load_policy()).remediation_days
    sev = SEVERITY_LABELS[lang]
    if lang == "zh":
        due = "、".join(f"{sev[s]} {days[s]} 天" for s in SEVERITIES) if days else ""
        steps = [
            "每个分析一个工作表，每行是一项需要整改的问题。",
            "各行已按优先级排好：先看严重程度（高、中、低），再看超期天数（按日历天计，在办投诉和个人信息请求"
            "算到报告期末），再看金额；同一对象（同一投诉、客户、订单、企业、营销信息或个人信息请求）的多项问题"
            "排在一起。",
            "“证据”列用一句话说明问题是什么；“客户编号”是化名编号（营销信息为收信客户，个人信息请求为提出"
            "请求的客户），请在业务系统中按编号查找客户，按“对象编号”查找订单、投诉、权益发放、企业、营销信息"
            "或个人信息请求。",
            (f"“完成期限”已按严重程度预填（{due}，自报告期最后一天起算；预计超时的在办投诉不晚于"
             "其办结期限），可按实际承诺修改。") if due else "请在“完成期限”列填写承诺的完成日期。",
            "请为每行填写责任人和整改措施，并在“状态”列的下拉列表中选择处理进度。",
            "“退款清单”列出应向每位客户退还的多收金额（每位客户一行，每笔订单只计一次），"
            "请按清单退款并记录退款状态。",
            "每行的 finding_id 在各期报告中保持不变：下期报告据此核对整改是否完成。对证据有疑问时，"
            "请把 finding_id 发给合规部门。",
        ]
    else:
        due = ", ".join(f"{sev[s].lower()} {days[s]} days" for s in SEVERITIES) if days else ""
        steps = [
            "One sheet per analysis; each row is one thing to fix.",
            "Rows are in priority order: severity (high, medium, low), then calendar days overdue "
            "(an open complaint's or privacy request's at the end of the period), then money; the "
            "issues of one entity (a complaint, customer, order, enterprise, message or privacy "
            "request) are kept together.",
            "\"Evidence\" says what is wrong in one sentence; the customer id is pseudonymous "
            "(for a message its recipient, for a privacy request the person who made it): look "
            "the customer up by it in the business systems, and the order, complaint, grant, "
            "enterprise, message or request by the entity id.",
            (f"The due date is filled in from the severity ({due} after the last day of the "
             "period; an open complaint predicted to breach no later than its own deadline); "
             "change it to what you commit to.") if due else "Enter the committed due date.",
            "Enter an owner and the action for each row and pick the status from the list.",
            "The refund sheet lists what each customer is owed (one row per customer, each "
            "order once): refund them and record the refund status.",
            "A row's finding_id stays the same from one report to the next: the next report "
            "checks by it whether the issue was fixed. Send the finding_id to compliance with "
            "any question about the evidence.",
        ]
    return steps if refunds else [s for s in steps if "退款" not in s and "refund" not in s]
