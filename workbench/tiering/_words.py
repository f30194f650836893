"""The tiering analysis' own table headers and coded values, in Chinese and English.

Registered with :func:`workbench.i18n.register` when the package is imported, so
every table the report shows (:func:`workbench.notebook.table`) has Chinese
headers and values. Tiers are words (``vip`` → 贵宾), as in the evidence sentences
of :mod:`workbench.evidence`; a tier code a source adds later is shown as it is.
"""

from __future__ import annotations

from workbench import i18n

#: Tier code → (zh, en); the same words as the evidence sentences use.
TIERS: dict[str, tuple[str, str]] = {
    "vip": ("贵宾", "VIP"),
    "core": ("核心", "core"),
    "standard": ("标准", "standard"),
    "staff": ("员工", "staff"),
    "(none)": ("无等级记录", "no tier on record"),
}

#: Column → (zh, en) header, for every column a tiering table or view shows.
COLUMNS: dict[str, tuple[str, str]] = {
    # policy
    "rank": ("等级排序（越大越高）", "Rank (higher is better)"),
    "min_spend_12m": ("近 12 个月最低消费", "Minimum 12-month spend"),
    "min_spend_12m_cny": ("近 12 个月最低消费", "Minimum 12-month spend"),
    "min_orders_12m": ("近 12 个月最少订单数", "Minimum 12-month orders"),
    "min_tenure_months": ("最短客户时长（月）", "Minimum tenure (months)"),
    "review_cycle_days": ("复核周期（天）", "Review cycle (days)"),
    "published_at": ("公布日期", "Published on"),
    "is_published": ("期末前已公布", "Published by the period end"),
    "is_criteria": ("按公布标准评定", "Judged by published criteria"),
    "holders": ("期末持有人数", "Holders at the period end"),
    "eligible": ("按标准应得人数", "Eligible by the criteria"),
    # eligibility
    "signup_date": ("注册日期", "Signed up"),
    "spend_12m_cny": ("近 12 个月消费", "12-month spend"),
    "orders_12m": ("近 12 个月订单数", "12-month orders"),
    "last_order_at": ("最近下单日期", "Last order"),
    "tenure_months": ("客户时长（月）", "Tenure (months)"),
    "eligible_tier": ("应得等级", "Tier due"),
    "eligible_rank": ("应得等级排序", "Eligible rank"),
    "current_tier": ("持有等级", "Tier held"),
    "held_rank": ("持有等级排序", "Held rank"),
    "assigned_at": ("定级日期", "Tier assigned on"),
    "tier_age_days": ("等级已持续（天）", "Tier age (days)"),
    "rank_gap": ("等级差（负数为评低）", "Rank gap (negative: under-tiered)"),
    "tier_status": ("定级结果", "Tiering outcome"),
    "is_stale": ("超过复核周期", "Past its review cycle"),
    "is_manual_without_reason": ("人工调级无理由", "Manual, no reason"),
    "is_dormant_top": ("顶级会员长期无订单", "Dormant top tier"),
    "qualifies_above_lowest": ("符合最低以上等级", "Qualifies above the lowest"),
    "is_under_tiered": ("被评低", "Under-tiered"),
    "current_method": ("定级方式", "How the tier was set"),
    # hidden benefits
    "grant_id": ("发放编号", "Grant"),
    "granted_at": ("发放时间", "Granted on"),
    "held_tier": ("发放时的等级", "Tier held at grant"),
    "benefit_type": ("权益类型", "Benefit"),
    "benefit_value": ("权益值", "Value"),
    "published_value": ("公布值", "Published value"),
    "hidden_reason": ("问题", "Why hidden"),
    "grant_amount_cny": ("发放金额", "Amount granted"),
    "hidden_amount_cny": ("隐性权益金额", "Hidden money"),
    "grants": ("发放笔数", "Grants"),
    "hidden_grants": ("隐性发放笔数", "Hidden grants"),
    "hidden_grant_amount_cny": ("隐性发放的全额", "Whole value of hidden grants"),
    "hidden_grant_rate": ("隐性发放占比", "Share of grants hidden"),
    "share_of_grants": ("占全部发放笔数", "Share of all grants"),
    "grants_share": ("占全部发放笔数", "Share of all grants"),
    "share_of_grant_amount": ("占全部发放金额", "Share of all granted money"),
    "grant_amount_share": ("占全部发放金额", "Share of all granted money"),
    "share_of_hidden_amount": ("占全部隐性金额", "Share of the hidden money"),
    "hidden_amount_share": ("占全部隐性金额", "Share of the hidden money"),
    "concentration": ("集中度（隐性金额占比 ÷ 发放笔数占比）",
                      "Concentration (hidden-money share ÷ grant share)"),
    # disparity
    "attributes": ("分组属性", "Attributes"),
    "adverse": ("比例越高越不利", "Higher is worse"),
    "n_group": ("本群体人数", "Group size"),
    "k_group": ("本群体发生数", "Group count"),
    "rate_group": ("本群体比例", "Group rate"),
    "group_rate": ("本群体比例", "Group rate"),
    "n_rest": ("其他客户人数", "Rest size"),
    "k_rest": ("其他客户发生数", "Rest count"),
    "rate_rest": ("其他客户比例", "Rest rate"),
    "rest_rate": ("其他客户比例", "Rest rate"),
    "gap_points": ("不利差距（百分点）", "Disadvantage (points)"),
    "difference": ("比例差", "Difference"),
    "difference_ci_low": ("比例差区间下限", "Difference, interval low"),
    "difference_ci_high": ("比例差区间上限", "Difference, interval high"),
    "ratio": ("比例之比", "Ratio"),
    "ratio_ci_low": ("比例之比区间下限", "Ratio, interval low"),
    "ratio_ci_high": ("比例之比区间上限", "Ratio, interval high"),
    "disadvantage": ("不利差距", "Disadvantage"),
    "favourable_ratio": ("有利结果比", "Favourable-outcome ratio"),
    "favourable_ratio_ci_low": ("有利结果比区间下限", "Favourable ratio, interval low"),
    "favourable_ratio_ci_high": ("有利结果比区间上限", "Favourable ratio, interval high"),
    "four_fifths_breach": ("低于五分之四参考线", "Below the four-fifths line"),
    "tested": ("已检验", "Tested"),
    "significant": ("统计显著", "Significant"),
    "explained_by": ("可由以下群体解释", "Explained by"),
    "rate_group_metricframe": ("本群体比例（fairlearn 复核）", "Group rate (fairlearn check)"),
    # worklist
    "priority": ("优先顺序", "Priority"),
}

_TIER_COLUMNS = ("tier", "eligible_tier", "current_tier", "held_tier")

#: Column → {code: (zh, en)} for the coded values of tiering tables.
VALUES: dict[str, dict[object, tuple[str, str]]] = {
    **{c: dict(TIERS) for c in _TIER_COLUMNS},
    "tier_status": {"under": ("评低", "under-tiered"), "over": ("评高", "over-tiered"),
                    "match": ("相符", "as the criteria give")},
    "current_method": {"rule": ("规则", "by rule"), "manual": ("人工", "manual")},
    "benefit_type": {
        "discount_pct": ("折扣", "discount"), "rebate_pct": ("返利", "rebate"),
        "free_shipping": ("免运费", "free shipping"),
        "priority_service": ("优先服务", "priority service"),
        "cash_voucher": ("现金券", "cash voucher"),
    },
    "hidden_reason": {
        "not_in_schedule": ("该等级公布的权益中没有此项", "not in the tier's published benefits"),
        "above_published_value": ("高于公布值", "above the published value"),
    },
    "metric": {
        "under_tiered_rate": ("符合条件却被评低的比例", "share under-tiered"),
        "hidden_benefit_rate": ("获得未公布权益的比例", "share given unpublished benefits"),
    },
}


def tier_word(code: object) -> str:
    """A tier in the report's language (``vip`` → 贵宾); an unknown code as it is."""
    return str(i18n.value("tier", code)) if code is not None else ""


def register() -> None:
    """Register the headers and values with :mod:`workbench.i18n` (idempotent)."""
    i18n.register(columns=COLUMNS, values=VALUES)  # type: ignore[arg-type]


register()
