"""The pricing report's words: its table headers and coded values (registered with
:func:`workbench.i18n.register` on import), and the reader's view of each table.

The analysis' tables keep their codes (``device_os=ios``, ``log_premium``, shares
as fractions) because tests, findings and the published refund list read them. A
report shows them through the views here: groups in words
(:func:`workbench.evidence.group_label`), premiums as percentages, rows in the
order a reader needs (flagged first, largest money first), so every header and
value the notebook shows has its Chinese and English words.

>>> from workbench import i18n
>>> i18n.set_lang("zh"); i18n.header("orders_above_tolerance")
'超出容差的订单'
>>> i18n.value("price_metric", "log_premium")
'单价'
>>> i18n.value("attribute", "device_os&gender")
'设备系统 × 性别'
>>> i18n.set_lang("en"); i18n.value("attribute", "tenure_band")
'tenure band'
>>> i18n.set_lang("zh")
"""

from __future__ import annotations

import itertools
import math

import polars as pl

from workbench import i18n
from workbench.evidence import group_label
from workbench.pricing._affected import AFFECTED_SKUS, ALL_SKUS
from workbench.pricing._attributes import SUPPORTED_ATTRIBUTES
from workbench.pricing._money import UNATTRIBUTED

#: Audit attribute → (zh, en) name.
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "age_band": ("年龄段", "age band"),
    "channel": ("下单渠道", "channel"),
    "customer_type": ("客户类型", "customer type"),
    "device_os": ("设备系统", "device"),
    "gender": ("性别", "gender"),
    "province": ("省份", "province"),
    "subsidiary_id": ("子公司", "subsidiary"),
    "tenure_band": ("客户时长", "tenure band"),
    "tier": ("会员等级", "tier"),
}


def _attribute_words() -> dict[str, tuple[str, str]]:
    """Every attribute and every pair (``a&b``, alphabetical, as the audit names them)."""
    out = {a: ATTRIBUTES.get(a, (a, a)) for a in SUPPORTED_ATTRIBUTES}
    for a, b in itertools.combinations(sorted(SUPPORTED_ATTRIBUTES), 2):
        (za, ea), (zb, eb) = out[a], out[b]
        out[f"{a}&{b}"] = (f"{za} × {zb}", f"{ea} × {eb}")
    return out


#: The views' name of the analysis' ``metric`` column (the shared ``metric`` header is
#: "指标"; here it is which price is compared).
METRIC = "price_metric"

#: Column → (zh, en) header of every column a pricing table or view shows.
COLUMNS: dict[str, tuple[str, str]] = {
    # orders_summary, overcharge_by_subsidiary, metric_frame
    "orders_above_tolerance": ("超出容差的订单", "Orders above the tolerance"),
    "overcharge_cny": ("多收金额", "Overcharge"),
    "orders_unpublished_promo": ("使用未公开促销的订单", "Orders with an unannounced promotion"),
    "hidden_discount_cny": ("未公开促销的优惠", "Unannounced discounts"),
    "mean_log_premium": ("平均溢价", "Mean premium"),
    "attributed_cny": ("其中归因于群体溢价", "Of which group premiums"),
    "unattributed_cny": ("未归因部分", "Not attributed to a group"),
    "refund_customers": ("应退款客户", "Customers owed a refund"),
    "share_above_tolerance": ("超出容差的订单占比", "Share above the tolerance"),
    "overpaid_cny": ("多付金额", "Overpaid"),
    # the audit's group table (collapsed statistics)
    "price_metric": ("价格口径", "Price measure"),
    "orders_matched": ("可比订单", "Matched orders"),
    "customers_matched": ("可比客户", "Matched customers"),
    "rest_orders_matched": ("对照订单", "Comparison orders"),
    "beta": ("溢价估计 β（对数点）", "Premium β (log points)"),
    "se_perm": ("置换标准误", "Permutation s.e."),
    "se_cluster": ("按客户聚类的标准误", "Customer-clustered s.e."),
    "z": ("z 值", "z"),
    "z_affected": ("涉及商品上的 z 值", "z on the affected SKUs"),
    "p_all_skus": ("全部商品 p 值", "p, all SKUs"),
    "p_affected_skus": ("涉及商品 p 值（交叉拟合）", "p, affected SKUs (cross-fitted)"),
    "test_basis": ("检验依据", "Test basis"),
    "p": ("p 值", "p"),
    "p_adj": ("校正后 p 值（q 值）", "Adjusted p (q)"),
    "correction": ("多重检验校正", "Multiplicity correction"),
    "p_perm": ("置换检验 p 值", "Permutation p"),
    "p_perm_method": ("置换 p 值算法", "Permutation p method"),
    "placebo_floor": ("安慰剂门槛", "Placebo floor"),
    "aa_floor": ("A/A 随机分组门槛", "A/A floor"),
    "affected_effect": ("涉及商品上的溢价（选样后）", "Premium on affected SKUs (as selected)"),
    "material_effect": ("涉及商品上的溢价（交叉拟合）", "Premium where charged (cross-fitted)"),
    "affected_skus": ("涉及商品数", "Affected SKUs"),
    "tested": ("已检验", "Tested"),
    "candidate": ("候选", "Candidate"),
    "echo_of": ("连带于", "Echo of"),
    "round": ("标记轮次", "Round flagged"),
    # per sku
    "sku": ("商品", "SKU"),
    "n_inf": ("该群体可比订单", "Group's matched orders"),
    "rest_inf": ("对照订单", "Comparison orders"),
    "q": ("BH 校正后 q 值", "BH q-value"),
    "affected": ("该商品有溢价", "Carries the premium"),
    # money
    "orders_overcharged": ("多收订单", "Overcharged orders"),
    "customers_overcharged": ("多收客户", "Overcharged customers"),
    "members_excess_cny": ("群体成员多收合计", "Members' overcharge"),
    "group_overcharge_cny": ("归因于该群体的多收", "Overcharge caused by the group"),
    "amount_low_cny": ("95% 区间下限", "95% interval, low"),
    "amount_high_cny": ("95% 区间上限", "95% interval, high"),
    "cause": ("原因", "Cause"),
    "excess_cny": ("应退金额", "Refund owed"),
    "groups": ("涉及群体", "Groups"),
    # mitigation
    "beta_before": ("剔除前溢价", "Premium before"),
    "beta_after": ("剔除后溢价", "Premium after"),
    "mean_premium_before": ("剔除前平均溢价", "Mean premium before"),
    "mean_premium_after": ("剔除后平均溢价", "Mean premium after"),
    # model check
    "model": ("模型", "Model"),
    "rows_train": ("训练订单", "Training orders"),
    "rows_test": ("检验订单", "Held-out orders"),
    "mae": ("平均绝对误差", "Mean absolute error"),
    "rmse": ("均方根误差", "Root mean squared error"),
    "mae_change": ("平均绝对误差变化", "Change in MAE"),
    "rmse_change": ("均方根误差变化", "Change in RMSE"),
    "importance_mean": ("置换重要性（均值）", "Permutation importance (mean)"),
    "importance_std": ("置换重要性（标准差）", "Permutation importance (s.d.)"),
    # reader views
    "premium": ("溢价", "Premium"),
    "interval": ("95% 区间", "95% interval"),
    "premium_where_charged": ("涉及商品上的溢价", "Premium on the SKUs that carry it"),
    "verdict": ("判断", "Verdict"),
}

#: Column → {code: (zh, en)} for the coded values pricing tables show.
VALUES: dict[str, dict[object, tuple[str, str]]] = {
    "attribute": dict(_attribute_words()),
    "price_metric": {"log_premium": ("单价", "unit price"),
               "log_net_premium": ("券后实付", "price after coupons")},
    "test_basis": {ALL_SKUS: ("全部商品", "all SKUs"),
                   AFFECTED_SKUS: ("部分商品（交叉拟合）", "affected SKUs (cross-fitted)")},
    "correction": {
        "holm, then bonferroni across families": ("Holm 校正，再按两族 Bonferroni 校正",
                                                  "Holm, then Bonferroni across families"),
        "bh, then bonferroni across families": ("BH 校正，再按两族 Bonferroni 校正",
                                                "BH, then Bonferroni across families"),
    },
    "p_perm_method": {"cantelli_bound": ("Cantelli 上界", "Cantelli bound"),
                      "monte_carlo": ("蒙特卡洛置换", "Monte Carlo"),
                      "monte_carlo_crossfit": ("蒙特卡洛置换（交叉拟合）",
                                               "Monte Carlo (cross-fitted)")},
    "model": {"legitimate": ("仅用公布的定价因素", "published pricing factors only"),
              "legitimate + audited": ("公布因素加受审属性",
                                       "published factors + audited attributes")},
    "channel": {"app": ("应用", "app"), "web": ("网站", "web"), "store": ("门店", "store"),
                "phone": ("电话", "phone")},
    "table": {  # the same words as workbench.sla._words for the tables both read
        "subsidiaries": ("子公司", "subsidiaries"), "customers": ("客户", "customers"),
        "tier_policy": ("等级政策", "tier policy"), "tier_benefits": ("等级权益", "tier benefits"),
        "tier_assignments": ("等级评定记录", "tier assignments"),
        "promotions": ("促销", "promotions"), "orders": ("订单", "orders"),
    },
}

i18n.register(columns=COLUMNS, values=VALUES)


# ------------------------------------------------------------------ formatting
def pct(value: float | None, *, signed: bool = False, decimals: int = 2) -> str:
    """A log-point premium as a percentage (``0.0076`` → ``0.76%``); empty when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value * 100:+.{decimals}f}%" if signed else f"{value * 100:.{decimals}f}%"


def q_text(q: float | None) -> str:
    """A corrected p-value as a reader reads it: ``<0.001`` or three decimals."""
    if q is None or (isinstance(q, float) and math.isnan(q)):
        return ""
    return "<0.001" if q < 0.001 else f"{q:.3f}"


def words(group_id: str | None) -> str | None:
    """A group id, ``a=x; b=y`` list or ``unattributed`` in the report's language."""
    if group_id is None:
        return None
    if group_id == UNATTRIBUTED:
        return i18n.tr("未归因于任何群体", "not attributed to a group")
    sep = "；" if i18n.is_zh() else "; "
    return sep.join(group_label(g.strip(), i18n.current_lang())
                    for g in group_id.split(";") if g.strip())


def in_words(df: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """``df`` with its group-id ``columns`` (default: every one it has) in words."""
    cols = columns or tuple(c for c in ("group", "cause", "echo_of", "groups")
                            if c in df.columns)
    return df.with_columns(
        pl.col(c).map_elements(words, return_dtype=pl.String, skip_nulls=True) for c in cols)


def _pct_columns(df: pl.DataFrame, *columns: str, signed: bool = False) -> pl.DataFrame:
    return df.with_columns(
        pl.Series(c, [pct(v, signed=signed) for v in df[c].to_list()], pl.String)
        for c in columns if c in df.columns)


# ------------------------------------------------------------------ reader views
def verdicts(groups: pl.DataFrame) -> pl.Series:
    """Each judged group's outcome in words: flagged, an echo of a flagged group,
    significant but not reached in the rounds, or no significant premium.
    """
    out = []
    for flagged, echo, cand in groups.select("flagged", "echo_of", "candidate").iter_rows():
        if flagged:
            out.append(i18n.tr("标记：显著多付", "flagged: pays significantly more"))
        elif echo is not None:
            out.append(i18n.tr(f"未标记：只是“{words(echo)}”的连带差异",
                               f"not flagged: an echo of {words(echo)}"))
        elif cand:
            out.append(i18n.tr("显著，但审计轮次已用完", "significant, rounds exhausted"))
        else:
            out.append(i18n.tr("无显著多付", "no significant premium"))
    return pl.Series("verdict", out, pl.String)


def judged_groups(groups: pl.DataFrame) -> pl.DataFrame:
    """Every tested group, flagged first, then echoes, then by z: who pays more for
    the same sku at the same time, in words. Untested (too small) groups are left out.
    """
    g = groups.filter(pl.col("tested")).with_columns(
        pl.col("flagged").fill_null(False),
        pl.col("candidate").fill_null(False),
    )
    g = g.sort([pl.col("flagged"), pl.col("echo_of").is_not_null(), pl.col("candidate"),
                pl.col("z").fill_nan(None)],
               descending=True, nulls_last=True)
    interval = [f"{pct(lo, signed=True)} ~ {pct(hi, signed=True)}" if pct(lo) else ""
                for lo, hi in zip(g["ci_low"].to_list(), g["ci_high"].to_list(), strict=True)]
    out = g.select(
        "group", pl.col("metric").alias(METRIC), "orders_matched", "customers_matched",
        pl.Series("premium", [pct(v, signed=True) for v in g["beta"].to_list()]),
        pl.Series("interval", interval, pl.String),
        pl.Series("q_value", [q_text(q) for q in g["p_adj"].to_list()], pl.String),
    ).with_columns(verdicts(g))
    return in_words(out)


def flagged_groups(flagged: pl.DataFrame) -> pl.DataFrame:
    """The flagged groups: premium over all skus and where it is charged, with reach."""
    f = flagged.sort("metric", "z", descending=[False, True])
    return in_words(f.select(
        "group", pl.col("metric").alias(METRIC),
        pl.Series("premium", [pct(v, signed=True) for v in f["beta"].to_list()], pl.String),
        pl.Series("premium_where_charged",
                  [pct(math.expm1(v), signed=True) if v is not None and v == v else ""
                   for v in f["material_effect"].to_list()], pl.String),
        "affected_skus", "orders", "customers",
        pl.Series("q_value", [q_text(q) for q in f["p_adj"].to_list()], pl.String),
    ))


def sku_premiums(sku_effects: pl.DataFrame) -> pl.DataFrame:
    """The skus that carry each flagged group's premium, largest first."""
    s = sku_effects.filter(pl.col("affected")).sort(
        ["label", "metric", "beta"], descending=[False, False, True])
    return in_words(s.select(
        pl.col("label").alias("group"), "sku", pl.col("metric").alias(METRIC), "n_inf", "rest_inf",
        pl.Series("premium", [pct(v, signed=True) for v in s["beta"].to_list()], pl.String),
        pl.Series("q_value", [q_text(q) for q in s["q"].to_list()], pl.String),
    ))


def group_metrics(metric_frame: pl.DataFrame) -> pl.DataFrame:
    """Per group: orders, mean premium, share above the tolerance, money overpaid."""
    m = metric_frame.sort(["attribute", "mean_log_premium"], descending=[False, True])
    m = _pct_columns(m, "mean_log_premium", signed=True)
    return _pct_columns(m, "share_above_tolerance").pipe(in_words)


def orders_summary(summary: pl.DataFrame) -> pl.DataFrame:
    """The period's order-level totals (mean premium as a percentage)."""
    return _pct_columns(summary, "mean_log_premium", signed=True)


def breakdown(table: pl.DataFrame) -> pl.DataFrame:
    """The overcharge by cause, causes in words (the unattributed row last)."""
    return in_words(table)


def group_money(table: pl.DataFrame) -> pl.DataFrame:
    """Each flagged group's attributable overcharge with its interval, largest first."""
    t = table.sort("amount_cny", descending=True).rename(
        {"amount_cny": "group_overcharge_cny", "amount_ci_low": "amount_low_cny",
         "amount_ci_high": "amount_high_cny"})
    return in_words(t)


def by_subsidiary(table: pl.DataFrame) -> pl.DataFrame:
    """Overcharge per subsidiary, largest first."""
    return table.sort("overcharge_cny", descending=True)


def refund_list(refunds: pl.DataFrame) -> pl.DataFrame:
    """The refund list, customers owed most first, groups in words."""
    return in_words(refunds.sort("excess_cny", "customer_id", descending=[True, False]))


def mitigation(table: pl.DataFrame) -> pl.DataFrame:
    """Flagged groups' premium before and after removing the estimated group effect."""
    t = _pct_columns(table, "beta_before", "beta_after", "mean_premium_before",
                     "mean_premium_after", signed=True)
    return in_words(t.rename({"metric": METRIC}))


def statistics(groups: pl.DataFrame, top: int | None = None) -> pl.DataFrame:
    """The audit's full table of the tested groups (collapsed in the report): flagged
    first, then echoes, then by z; the first ``top`` rows; groups and echoes in words.
    """
    g = groups.filter(pl.col("tested")).sort(
        [pl.col("flagged").fill_null(False), pl.col("echo_of").is_not_null(),
         pl.col("z").fill_nan(None)], descending=True, nulls_last=True)
    g = g.drop("tested").rename({"metric": METRIC})
    return in_words(g.head(top) if top is not None else g)
