"""The dashboard's own words, one table per language (:data:`TEXT`).

Analysis titles, severities and money kinds come from :mod:`workbench.labels`; the
words of the 最需关注 items from :mod:`workbench.report.top_text`. Every key is in
both languages (a test checks it); headline labels are keyed as in
:data:`workbench.report.dashboard.HEADLINES`, ``<headline>.breach`` names what
the headline's count of breaches counts and ``<analysis>.note`` is a line under an
analysis's panel.
"""

from __future__ import annotations

__all__ = ["ANALYSIS_FALLBACK", "TEXT"]

#: Titles of analyses :data:`workbench.labels.ANALYSIS_TITLES` does not name yet.
ANALYSIS_FALLBACK: dict[str, dict[str, str]] = {
    "zh": {"marketing": "营销与个人信息"},
    "en": {"marketing": "Marketing and personal information"},
}

_ZH: dict[str, str] = {
    "html_lang": "zh-CN",
    "title": "合规证据仪表板", "period": "报告期", "to": "至", "report": "查看报告 →",
    "green": "达标", "amber": "关注", "red": "超限", "none": "无数据",
    "vs_prev": "较上期", "flat": "持平", "pp": "个百分点",
    "findings": "问题", "money": "金额", "target": "目标",
    "top": "最需关注",
    "top_note": "按严重度（严重度政策）排序；同一严重度中，针对某一群体的差别待遇在前，其次按消费者"
                "损害金额（先比多收金额，再比未公示权益，不相加），再按涉及人数；预测不计入。",
    "panels": "各项分析",
    "light_rule": "红黄绿灯按 dashboard_thresholds.yaml 中的目标判断；只要有高严重度的违规，"
                  "最好也只是“关注”。",
    "not_evaluated": "未评估", "not_evaluated_note": "本期未运行此项分析，没有结论。",
    "no_headline": "本项分析没有设置红黄绿灯指标。",
    "trends": "历期趋势",
    "trends_note": "本文件夹中所有已发布报告期的 metrics.json。",
    "trends_later": "目前只有本期数据：趋势图从下一个报告期开始显示。",
    "money_head": "本期金额（按类别）",
    "money_note": "各类金额分别合计，不跨类别相加；每笔订单、每项权益、每家企业只计一次。"
                  "群体金额是上面合计的分解，不另计入。",
    "not_run": "未运行",
    "unattributed": "未归因于任何被标记群体",
    "league": "子公司排行",
    "league_note": "按高严重度问题数排序，其次按消费者损害（先比多收金额，再比未公示权益，"
                   "两者不相加），再按问题数（前 20 名）。预测不计入。",
    "league_axis": "各子公司的消费者损害（元）：多收金额与未公示权益并列",
    "rank": "排名", "subsidiary": "子公司", "high": "高严重度", "rules": "按规则",
    "rule": "规则", "basis": "法律依据", "analysis": "分析", "severity": "严重度",
    "reports": "各分析报告", "none_found": "本期无发现",
    "footer": "仅含汇总数据，不含客户身份信息。数字取自本报告的 metrics.json；"
              "红黄绿阈值见 dashboard_thresholds.yaml。",
    "status_line": "{g} 项达标 · {a} 项需关注 · {r} 项超限",
    "totals": "问题 {n} 项（{severities}）",
    "predicted": "另有预测 {n} 项（{what}）：尚未违规，不计入问题",
    "prediction_mark": "（预测，尚未违规，不计入问题）",
    "groups": "群体：",
    "worklist": "下载", "worklist_head": "整改清单",
    "group_level": "集团层面（不属于单一子公司）",
    "group_worklist": "集团层面整改清单（Excel）",
    "tiering.correctly_tiered_share": "按公布标准正确定级的客户",
    "tiering.correctly_tiered_share.breach": "等级不符",
    "tiering.hidden_benefit_cny": "未公示权益金额",
    "tiering.hidden_benefit_cny.breach": "未公示",
    "pricing.price_disparity_groups": "存在显著溢价的客户群体",
    "pricing.price_disparity_groups.breach": "",
    "pricing.overcharge_cny": "无法解释的多收金额",
    "pricing.overcharge_cny.breach": "多收",
    "sla.adherence_ack": "按时首次响应",
    "sla.adherence_ack.breach": "超时",
    "sla.adherence_acceptance": "按时作出受理决定",
    "sla.adherence_acceptance.breach": "超时",
    "sla.adherence_resolution": "按时办结",
    "sla.adherence_resolution.breach": "超时",
    "sla.adherence_update": "按时告知进展",
    "sla.adherence_update.breach": "超时",
    "credit.receivables_aa_share": "AA级及以上客户的应收账款占比",
    "credit.receivables_aa_share.breach": "",
    "credit.registry_alerts": "登记信息预警",
    "credit.registry_alerts.breach": "",
    "not_evaluated_source": "数据源缺少本项分析所需的数据表，本期没有结论。",
    "marketing.ad_label_share": "符合广告标识要求的商业信息",
    "marketing.ad_label_share.breach": "未标明广告",
    "marketing.opt_out_share": "告知了拒收方式的商业信息",
    "marketing.opt_out_share.breach": "未告知拒收方式",
    "marketing.absolute_term": "使用绝对化用语的商业信息",
    "marketing.absolute_term.breach": "",
    "marketing.consent_coverage": "发送时有有效营销同意的商业信息",
    "marketing.consent_coverage.breach": "无有效同意",
    "marketing.on_time_share": "按时办结的个人信息请求",
    "marketing.on_time_share.breach": "逾期",
    "marketing.refusals_without_reason": "拒绝请求而未说明理由",
    "marketing.refusals_without_reason.breach": "",
    "marketing.note": "外呼电话不适用广告标识和拒收方式的要求，在前两项中按符合计。",
}

_EN: dict[str, str] = {
    "html_lang": "en",
    "title": "Compliance evidence dashboard", "period": "Period", "to": "to",
    "report": "Open report →",
    "green": "on target", "amber": "watch", "red": "off target", "none": "no data",
    "vs_prev": "vs previous period", "flat": "unchanged", "pp": "pp",
    "findings": "Findings", "money": "Money", "target": "target",
    "top": "What needs attention first",
    "top_note": "By severity (the severity policy); within a severity, a group treated worse "
                "comes first, then consumer harm (overcharge first, then unpublished benefits, "
                "never added), then people affected; predictions left out.",
    "panels": "Analyses",
    "light_rule": "Traffic lights compare each value with its target in "
                  "dashboard_thresholds.yaml; any high-severity breach makes it amber at best.",
    "not_evaluated": "not evaluated",
    "not_evaluated_note": "This analysis did not run this period: no conclusion.",
    "no_headline": "This analysis has no traffic-light headline.",
    "trends": "Trends",
    "trends_note": "From the metrics.json of every published period in this folder.",
    "trends_later": "Only this period so far: trend charts start with the next period.",
    "money_head": "Money this period, by kind",
    "money_note": "Each kind is totalled on its own, never added across kinds; every order, "
                  "grant and enterprise counts once. Group amounts break the totals above "
                  "down and are not added to them.",
    "not_run": "not run",
    "unattributed": "not attributed to any flagged group",
    "league": "Subsidiary league table",
    "league_note": "By high-severity findings, then consumer harm (overcharge first, then "
                   "unpublished benefits, never added), then findings (top 20). Predictions "
                   "are not counted.",
    "league_axis": "Consumer harm per subsidiary (CNY): overcharge and unpublished benefits "
                   "side by side",
    "rank": "Rank", "subsidiary": "Subsidiary", "high": "High severity", "rules": "By rule",
    "rule": "Rule", "basis": "Legal basis", "analysis": "Analysis", "severity": "Severity",
    "reports": "Analysis reports", "none_found": "No findings this period",
    "footer": "Aggregates only, no customer identifiers. Numbers come from this report's "
              "metrics.json; traffic-light thresholds from dashboard_thresholds.yaml.",
    "status_line": "{g} on target · {a} to watch · {r} off target",
    "totals": "{n} findings ({severities})",
    "predicted": "Predictions apart: {n} ({what}), not breaches yet and not counted as "
                 "findings",
    "prediction_mark": "(prediction, not a breach yet, not counted)",
    "groups": "Groups: ",
    "worklist": "download", "worklist_head": "Worklist",
    "group_level": "Group level (no single subsidiary)",
    "group_worklist": "Group-level worklist (Excel)",
    "tiering.correctly_tiered_share": "Customers tiered by the published criteria",
    "tiering.correctly_tiered_share.breach": "not as published:",
    "tiering.hidden_benefit_cny": "Unpublished benefits",
    "tiering.hidden_benefit_cny.breach": "unpublished:",
    "pricing.price_disparity_groups": "Groups paying a significant premium",
    "pricing.price_disparity_groups.breach": "",
    "pricing.overcharge_cny": "Unexplained overcharge",
    "pricing.overcharge_cny.breach": "overcharged:",
    "sla.adherence_ack": "Acknowledged in time",
    "sla.adherence_ack.breach": "late:",
    "sla.adherence_acceptance": "Accepted/rejected in time",
    "sla.adherence_acceptance.breach": "late:",
    "sla.adherence_resolution": "Resolved in time",
    "sla.adherence_resolution.breach": "late:",
    "sla.adherence_update": "Kept updated",
    "sla.adherence_update.breach": "late:",
    "credit.receivables_aa_share": "Receivables owed by AA-or-better customers",
    "credit.receivables_aa_share.breach": "",
    "credit.registry_alerts": "Registry alerts",
    "credit.registry_alerts.breach": "",
    "not_evaluated_source": "The source lacks the tables this analysis needs: no conclusion "
                            "this period.",
    "marketing.ad_label_share": "Commercial messages meeting the ad-label rule",
    "marketing.ad_label_share.breach": "unlabelled:",
    "marketing.opt_out_share": "Commercial messages telling how to refuse",
    "marketing.opt_out_share.breach": "no opt-out:",
    "marketing.absolute_term": "Commercial messages using absolute terms",
    "marketing.absolute_term.breach": "",
    "marketing.consent_coverage": "Commercial messages sent with consent in force",
    "marketing.consent_coverage.breach": "without consent:",
    "marketing.on_time_share": "Privacy requests completed in time",
    "marketing.on_time_share.breach": "late:",
    "marketing.refusals_without_reason": "Requests refused without a reason",
    "marketing.refusals_without_reason.breach": "",
    "marketing.note": "Outbound calls are outside the ad-label and opt-out rules and count "
                      "as meeting them in the first two.",
}

TEXT: dict[str, dict[str, str]] = {"zh": _ZH, "en": _EN}
