"""What each section of the pricing report concludes, in words, and what to do next.

One function per section of ``notebooks/pricing.ipynb``, each taking the
:class:`~workbench.analysis.AnalysisResult` and returning ``(结论, 整改建议)`` in the
report's language (:func:`workbench.i18n.tr`); the notebook passes them to
:func:`workbench.notebook.conclusion`. Every number comes from the result (its
metrics, tables, findings and parameters), never from the prose, so a threshold set
by ``--params`` is the one stated. A clean section says so plainly; a section with
nothing to judge says what could not be judged, never "no problems found". The
suggested deadline is the severity policy's ``remediation_days`` of the worst
finding concerned, counted from the period's last day (none when the policy states
none).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from workbench.analysis import AnalysisResult
from workbench.contract import RULES
from workbench.i18n import cny as _yuan
from workbench.i18n import count as _n
from workbench.i18n import is_zh, tr
from workbench.i18n import pct as _pct
from workbench.labels import SEVERITIES
from workbench.periods import parse_period
from workbench.pricing._words import ATTRIBUTES, words

Conclusion = tuple[str, str | None]


# ------------------------------------------------------------------ phrases
def _join(items: list[str]) -> str:
    if is_zh() or len(items) < 2:
        return "、".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _groups(n: int) -> str:
    return f"{_n(n)} group" + ("" if n == 1 else "s")


def _law(rule: str) -> str:
    """A rule's legal basis in the reader's language: the Chinese citations
    (《…》第…条) or the English names in the contract's brackets.
    """
    basis = RULES[rule].legal_basis
    if is_zh():
        return "、".join(re.findall(r"《[^》]+》(?:第[^\s（(;；]+条)?", basis))
    return "; ".join(p.split(":")[0].strip() for p in re.findall(r"\(([^)]+)\)", basis))


def _rule(rule: str) -> str:
    r = RULES[rule]
    return tr(f"“{r.title_zh}”（{rule}）", f"'{r.title_en}' ({rule})")


def _worst(findings: pl.DataFrame, rule: str) -> str | None:
    present = set(findings.filter(pl.col("rule") == rule)["severity"].to_list())
    return next((s for s in SEVERITIES if s in present), None)


def _due(severity: str | None, period: str | None) -> tuple[int, dt.date | None] | None:
    """(days, due date) of ``severity`` from the severity policy, counted from the
    period's last day; None when there is nothing of that severity or no days stated.
    """
    if severity is None:
        return None
    from workbench.severity import load_policy

    days = getattr(load_policy(), "remediation_days", {}).get(severity)
    if days is None:
        return None
    due = (parse_period(period).last_day + dt.timedelta(days=int(days))) if period else None
    return int(days), due


def _deadline(severity: str | None, period: str | None) -> str:
    """``在 15 日内（2026-10-15 前）`` (no date without the period); "" when none."""
    d = _due(severity, period)
    if d is None:
        return ""
    days, due = d
    if due is None:
        return tr(f"在 {days} 日内", f"within {days} days")
    return tr(f"在 {days} 日内（{due:%Y-%m-%d} 前）", f"within {days} days (by {due:%Y-%m-%d})")


def _no_orders(result: AnalysisResult) -> bool:
    return int(result.metrics.get("orders_in_period", 0)) == 0


def _nothing(result: AnalysisResult, rule: str | None, what_zh: str,
             what_en: str) -> Conclusion | None:
    """What could not be judged and why, never "no problems found": no orders in the
    period, or the analysis' own reason for ``rule`` (``metrics["not_judged"]``); None
    when it could be judged. Only the data section says what to do about no orders.
    """
    if _no_orders(result):
        return (tr(f"本期没有订单，{what_zh}无从判断；这不是“未发现问题”。",
                   f"There are no orders in the period: {what_en} could not be judged; this "
                   "is not a clean result."), None)
    for item in result.metrics.get("not_judged") or ():
        if rule is not None and rule in item.get("rules", ()):
            why = str(item["zh"] if is_zh() else item["en"])
            return (tr(f"{why}；这不是“未发现问题”。",
                       f"{why[:1].upper()}{why[1:]}; this is not a clean result."),
                    tr("可用更长的报告期（如全年）重新运行，让群体达到检验规模。",
                       "Run a longer period (e.g. the year) so that groups reach the size to "
                       "be tested."))
    return None


# ------------------------------------------------------------------ sections
def data_overview(result: AnalysisResult, period: str | None = None) -> Conclusion:
    """How much was judged: orders and customers of the period."""
    m = result.metrics
    if _no_orders(result):
        return (tr("本期没有订单，价格是否公平无从判断；这不是“未发现问题”。",
                   "There are no orders in the period: prices could not be judged; this is "
                   "not a clean result."),
                tr("请确认订单数据（orders）已完整导出后重新运行本报告。",
                   "Check that the orders were exported in full, then run the report again."))
    return (tr(f"本期纳入分析的订单 {_n(m['orders_in_period'])} 笔，涉及客户 "
               f"{_n(m['customers_in_period'])} 位；下文各节都基于这些订单。",
               f"{_n(m['orders_in_period'])} orders of {_n(m['customers_in_period'])} "
               "customers are analysed; every section below is based on them."), None)


def findings_overview(result: AnalysisResult, period: str | None = None) -> Conclusion:
    """The findings by severity, and the deadlines of the severity policy."""
    f = result.findings
    nothing = _nothing(result, None, "价格是否公平", "prices")
    if nothing:
        return nothing
    if not f.height:
        return (tr("本期价格公平分析未发现问题：所有订单的价格都能由公布的因素解释，"
                   "也没有群体被系统性多收。",
                   "Nothing to report: every order's price is explained by published "
                   "factors and no group is systematically charged more."), None)
    counts = {s: f.filter(pl.col("severity") == s).height for s in SEVERITIES}
    sev = {"high": tr("高", "high"), "medium": tr("中", "medium"), "low": tr("低", "low")}
    parts = [tr(f"{sev[s]} {_n(counts[s])} 项", f"{_n(counts[s])} {sev[s]}")
             for s in SEVERITIES if counts[s]]
    worst = next(s for s in SEVERITIES if counts[s])
    by_rule = (f.filter(pl.col("severity") == worst).group_by("rule").len()
               .sort(["len", "rule"], descending=[True, False]))
    rules = [tr(f"{RULES[r].title_zh} {_n(n)} 项", f"{_n(n)} × '{RULES[r].title_en}'")
             for r, n in by_rule.iter_rows()]
    finding = tr(f"本期共 {_n(f.height)} 项发现（{'、'.join(parts)}）。{sev[worst]}严重度的是："
                 f"{'；'.join(rules)}。上表按严重程度和金额从重到轻列出最严重的几项。",
                 f"{_n(f.height)} findings ({', '.join(parts)}). Of {sev[worst]} severity: "
                 f"{'; '.join(rules)}. The table above lists the worst, by severity and money.")
    steps = []
    for s in SEVERITIES:
        d = _due(s, period) if counts[s] else None
        if d is not None:
            when = tr(f"（{d[1]:%Y-%m-%d} 前）", f" (by {d[1]:%Y-%m-%d})") if d[1] else ""
            steps.append(tr(f"{sev[s]}严重度 {d[0]} 日内{when}",
                            f"{sev[s]} within {d[0]} days{when}"))
    action = tr("各子公司按整改清单（worklists）逐项整改" + (f"，完成时限：{'，'.join(steps)}。"
                                                        if steps else "。"),
                "Each subsidiary works through its worklist"
                + (f": {', '.join(steps)}." if steps else "."))
    return finding, action


def explained_price(result: AnalysisResult, period: str | None = None) -> Conclusion:
    """Orders above what published factors explain, and unannounced promotions."""
    nothing = _nothing(result, "unexplained_premium", "价格是否可由公布因素解释",
                       "whether prices are explained")
    if nothing:
        return nothing
    m, f = result.metrics, result.findings
    tol = _pct(float(result.parameters.get("tolerance", 0.0)), 2)
    orders, n_up, n_promo = (m["orders_in_period"], m["unexplained_premium_orders"],
                             m["unpublished_promotion_orders"])
    if not n_up and not n_promo:
        return (tr(f"本期全部 {_n(orders)} 笔订单的实收单价都能由公布价格、等级折扣和公开促销"
                   f"解释（差异在容差 {tol} 以内），也没有订单使用未公开的促销。",
                   f"All {_n(orders)} orders' unit prices are explained by list price, tier "
                   f"discount and public promotions (within the {tol} tolerance), and no order "
                   "used an unannounced promotion."), None)
    parts, todo = [], []
    due_up = _deadline(_worst(f, "unexplained_premium"), period)
    due_promo = _deadline(_worst(f, "unpublished_promotion"), period)
    if n_up:
        high = f.filter((pl.col("rule") == "unexplained_premium")
                        & (pl.col("severity") == "high")).height
        parts.append(tr(
            f"本期 {_n(orders)} 笔订单中有 {_n(n_up)} 笔（{_pct(n_up / orders)}）的实收单价比"
            f"公布价格、等级折扣和公开促销可解释的价格高出容差 {tol} 以上，合计多收 "
            f"{_yuan(m['overcharge_cny'])}，涉及 {_n(m['refund_customers'])} 位客户，其中高严重度 "
            f"{_n(high)} 笔。这属于规则{_rule('unexplained_premium')}，"
            f"违反{_law('unexplained_premium')}。",
            f"{_n(n_up)} of {_n(orders)} orders ({_pct(n_up / orders)}) were charged more than "
            f"the {tol} tolerance above what list price, tier discount and public promotions "
            f"explain: {_yuan(m['overcharge_cny'])} overcharged to "
            f"{_n(m['refund_customers'])} customers, {_n(high)} orders of high severity. This is "
            f"{_rule('unexplained_premium')}, against {_law('unexplained_premium')}."))
        todo.append(tr(f"{due_up}核对多收订单的定价记录，按第 4 节的退款清单退还多收款",
                       "check the pricing records of the overcharged orders and refund them from "
                       f"the refund list of section 4 {due_up}".strip()))
    else:
        parts.append(tr(f"本期全部 {_n(orders)} 笔订单的实收单价都能由公布价格、等级折扣和公开促销"
                        f"解释（差异在容差 {tol} 以内）；但",
                        f"Every one of the {_n(orders)} orders' unit prices is explained by list "
                        f"price, tier discount and public promotions (within the {tol} "
                        "tolerance); but"))
    if n_promo:
        parts.append(tr(
            f"{'另' if n_up else ''}有 {_n(n_promo)} 笔订单使用了从未公开的促销，优惠合计 "
            f"{_yuan(m['unpublished_promotion_cny'])}。未公开的优惠只给了部分客户，属于规则"
            f"{_rule('unpublished_promotion')}，违反{_law('unpublished_promotion')}。",
            f"{_n(n_promo)} orders used a promotion that was never announced, "
            f"{_yuan(m['unpublished_promotion_cny'])} of discounts: "
            f"{_rule('unpublished_promotion')}, against {_law('unpublished_promotion')}."))
        todo.append(tr(f"{due_promo}核查这些促销的审批记录，补做公示或停止使用",
                       "check who approved those promotions, then announce or stop them "
                       f"{due_promo}".strip()))
    action = tr("请各子公司" + "；".join(todo) + "。",
                "Each subsidiary should " + "; ".join(todo) + ".")
    return "".join(parts) if is_zh() else " ".join(parts), action


def _flagged_rows(result: AnalysisResult) -> list[dict[str, Any]]:
    """Flagged groups (unit-price metric first) with their money, largest first."""
    flagged = result.tables["flagged"]
    if not flagged.height:
        return []
    first = flagged.sort("metric").unique("group", keep="first", maintain_order=True)
    money = result.tables["group_amounts"]
    rows = first.join(money.select("group", "amount_cny", "customers_overcharged"),
                      on="group", how="left")
    return rows.sort(pl.col("amount_cny").fill_null(0.0), descending=True).to_dicts()


def _group_phrase(r: Mapping[str, Any]) -> str:
    effect = r.get("material_effect")
    more = (_pct(math.expm1(effect)) if effect is not None and effect == effect else None)
    amount, who = r.get("amount_cny") or 0.0, r.get("customers_overcharged") or 0
    skus = _n(r["affected_skus"])
    if is_zh():
        dearer = f"平均贵约 {more}" if more else "价格更高"
        return (f"{words(r['group'])}（在 {skus} 个商品上{dearer}，多收 {_yuan(amount)}，"
                f"涉及 {_n(who)} 位客户）")
    dearer = f"about {more} more" if more else "more"
    return (f"{words(r['group'])} ({dearer} on {skus} SKUs, {_yuan(amount)} from "
            f"{_n(who)} customers)")


def _untested(result: AnalysisResult) -> int:
    g = result.tables["groups"]
    tested = set(g.filter(pl.col("tested"))["group"].to_list())
    return len(set(g["group"].to_list()) - tested)


def disparity(result: AnalysisResult, period: str | None = None) -> Conclusion:
    """Groups paying more for the same sku at the same time (大数据杀熟)."""
    nothing = _nothing(result, "price_disparity", "客户群体之间是否存在差别定价",
                       "whether any group pays more (price discrimination)")
    if nothing:
        return nothing
    m, f = result.metrics, result.findings
    tested, echoes = m["groups_tested"], m["echo_groups"]
    if not tested:
        return (tr("没有群体达到检验规模（参数 min_group_orders、min_group_customers），群体价格"
                   "差异无法判断；这不是“未发现问题”。",
                   "No group reached the size to be tested (parameters min_group_orders, "
                   "min_group_customers): group price differences could not be judged; this "
                   "is not a clean result."),
                tr("可用更长的报告期（如全年）重新运行，让群体达到检验规模。",
                   "Run a longer period (e.g. the year) so that groups reach the size to be "
                   "tested."))
    rows = _flagged_rows(result)
    small = _untested(result)
    tail = tr(f"另有 {_n(small)} 个群体订单或客户太少，未作检验。" if small else "",
              f" {_groups(small)} too small to test {'was' if small == 1 else 'were'} left "
              "out." if small else "")
    if not rows:
        return (tr(f"在 {_n(tested)} 个达到检验规模的客户群体中，没有群体为同一商品、同一时间"
                   f"支付显著更高的价格：本期未发现大数据杀熟的证据。{tail}",
                   f"Of {_n(tested)} groups large enough to test, none pays significantly more "
                   "for the same SKU at the same time: no evidence of price discrimination this "
                   f"period.{tail}"), None)
    phrases = [_group_phrase(r) for r in rows]
    echo_en = "group only echoes" if echoes == 1 else "groups only echo"
    echo = (tr(f"另有 {_n(echoes)} 个群体的差异只是上述群体的连带反映（主要是同一批客户），"
               "未单独标记。", f" {_n(echoes)} more {echo_en} them (largely the same "
               "customers) and are not flagged.") if echoes else "")
    finding = tr(
        f"在 {_n(tested)} 个达到检验规模的客户群体中，{_n(len(rows))} 个群体为同一商品、同一时间"
        f"支付的价格显著高于其他客户：{'；'.join(phrases)}。按个人特征对同样的商品收取不同价格，"
        f"就是“大数据杀熟”，证据对应规则{_rule('price_disparity')}，违反{_law('price_disparity')}。"
        f"{echo}{tail}",
        f"Of {_n(tested)} groups large enough to test, {_n(len(rows))} "
        f"{'pays' if len(rows) == 1 else 'pay'} significantly more "
        f"than other customers for the same SKU at the same time: {'; '.join(phrases)}. "
        "Charging different prices for the same goods by personal traits is price "
        f"discrimination, rule {_rule('price_disparity')}, against {_law('price_disparity')}."
        f"{echo}{tail}")
    attrs = sorted({a for r in rows for a in str(r["attribute"]).split("&")})
    traits = _join([ATTRIBUTES.get(a, (a, a))[0 if is_zh() else 1] for a in attrs])
    due = _deadline(_worst(f, "price_disparity"), period)
    groups = _join([str(words(r["group"])) for r in rows])
    named = "；".join(str(words(r["group"])) for r in rows)
    action = tr(f"请定价部门{due}书面说明对上述群体（{named}）加价的依据，停止以{traits}等"
                "个人特征定价，并按第 4 节的退款清单退还这些群体被多收的款项；"
                "下一期报告复核这些群体的溢价是否消除。",
                (f"{due[:1].upper()}{due[1:]}, the" if due else "The")
                + f" pricing team should explain in writing why {groups} were charged more, "
                f"stop pricing by {traits}, refund what these groups were overcharged (refund "
                "list, section 4), and check in the next report that the premium is gone.")
    return finding, action


def model_check(result: AnalysisResult, period: str | None = None) -> Conclusion:
    """Whether the audited attributes carry price information beyond published factors."""
    nothing = _nothing(result, None, "模型核验", "the model check")
    if nothing:
        return nothing
    if "model_check" not in result.tables or not result.tables["model_check"].height:
        return (tr("本次运行没有做模型核验（参数 model_check 已关闭），本节没有可判断的内容；"
                   "群体差价以第 2 节的结论为准。",
                   "The model check was not run (parameter model_check is off): nothing to "
                   "judge here; section 2 decides on group premiums."), None)
    mc, imp = result.tables["model_check"], result.tables["model_importance"]
    base = float(mc.filter(pl.col("model") == "legitimate")["mae"][0])
    change = float(mc.filter(pl.col("model") != "legitimate")["mae_change"][0])
    largest = float(imp["importance_mean"].max() or 0.0) if imp.height else 0.0
    strong = imp.filter((pl.col("importance_mean") > 0)
                        & (pl.col("importance_mean") > 2 * pl.col("importance_std"))
                        & (pl.col("importance_mean") >= 0.1 * largest))
    top = strong.sort("importance_mean", descending=True)["attribute"].head(3).to_list()
    names = _join([ATTRIBUTES.get(a, (a, a))[0 if is_zh() else 1] for a in top])
    flagged = {a for r in _flagged_rows(result) for a in str(r["attribute"]).split("&")}
    if change < 0 and top and base > 0:
        agree = (tr("，与第 2 节标记的群体一致", ", as section 2 found") if flagged & set(top)
                 else tr("；第 2 节没有据此标记群体，以第 2 节的检验为准",
                         "; section 2 flagged no group on them, and its tests decide"))
        return (tr(f"在只用公布定价因素的模型中加入受审的个人特征后，预测溢价的平均绝对误差下降 "
                   f"{_pct(-change / base)}，作用最大的是{names}：这些特征携带了公布因素之外的价格"
                   f"信息{agree}。模型核验只作佐证。",
                   f"Adding the audited personal traits to a model of published pricing factors "
                   f"lowers its mean absolute error by {_pct(-change / base)}, most through "
                   f"{names}: they carry price information the published factors do not{agree}. "
                   "The model check only corroborates."), None)
    extra = (tr("第 2 节标记的群体溢价只出现在部分商品上，模型未能单独识别，以第 2 节为准。",
                " Section 2's flagged premiums sit on a few SKUs the model does not pick up; "
                "section 2 decides.") if flagged else "")
    return (tr("加入受审的个人特征后，模型对溢价的预测没有改善：这些特征没有携带公布因素之外的"
               f"价格信息。{extra}",
               "Adding the audited personal traits does not improve the model: they carry no "
               f"price information beyond the published factors.{extra}"), None)


def money(result: AnalysisResult, period: str | None = None) -> Conclusion:
    """The overcharge counted once, its causes, and who must refund whom."""
    nothing = _nothing(result, "unexplained_premium", "多收金额", "the money at stake")
    if nothing:
        return nothing
    m, f = result.metrics, result.findings
    other = (tr(f"未公开促销给出的优惠 {_yuan(m['unpublished_promotion_cny'])} 属另一类金额，"
                "不计入多收。", f" The {_yuan(m['unpublished_promotion_cny'])} of unannounced "
                "discounts is money of another kind and not in the overcharge.")
             if m.get("unpublished_promotion_cny") else "")
    total = float(m["overcharge_cny"])
    if total <= 0:
        return (tr(f"本期没有多收金额，无需退款。{other}",
                   f"Nothing was overcharged this period: no refunds are owed.{other}"), None)
    attributed = float(m["attributed_overcharge_cny"])
    subs = result.tables["overcharge_by_subsidiary"].sort("overcharge_cny", descending=True)
    top = subs.row(0, named=True)
    cause = (tr(f"其中 {_yuan(attributed)}（{_pct(attributed / total)}）由被标记群体的溢价造成，"
                f"{_yuan(m['unattributed_overcharge_cny'])} 不能归因于任何群体（个别加价或差错）",
                f"{_yuan(attributed)} ({_pct(attributed / total)}) caused by the flagged groups' "
                f"premiums, {_yuan(m['unattributed_overcharge_cny'])} not attributable to a "
                "group (one-off mark-ups or errors)") if attributed > 0 else
             tr("没有金额归因于群体溢价", "none of it due to a group premium"))
    finding = tr(
        f"本期多收合计 {_yuan(total)}（每笔订单只计一次），{cause}。应向 "
        f"{_n(m['refund_customers'])} 位客户退款；多收最多的是子公司 {top['subsidiary_id']}"
        f"（{_yuan(top['overcharge_cny'])}，{_n(top['refund_customers'])} 位客户）。{other}",
        f"{_yuan(total)} was overcharged (each order counted once): {cause}. "
        f"{_n(m['refund_customers'])} customers are owed a refund; subsidiary "
        f"{top['subsidiary_id']} overcharged most ({_yuan(top['overcharge_cny'])}, "
        f"{_n(top['refund_customers'])} customers).{other}")
    due = _deadline(_worst(f, "unexplained_premium"), period)
    action = tr(f"请各子公司按退款清单（refunds，每个子公司一份）{due}向 "
                f"{_n(m['refund_customers'])} 位客户退还 {_yuan(m['refund_cny'])}，"
                "先退应退金额最高的客户，并在整改清单中逐笔登记退款结果。",
                f"Each subsidiary should refund {_yuan(m['refund_cny'])} to "
                f"{_n(m['refund_customers'])} customers from its refund list {due}, largest "
                "amounts first, and record each refund in its worklist.".replace("  ", " "))
    return finding, action


def mitigation(result: AnalysisResult, period: str | None = None) -> Conclusion:
    """What the flagged groups' premium becomes once their estimated effect is removed."""
    nothing = _nothing(result, "price_disparity", "纠偏效果", "the mitigation")
    if nothing:
        return nothing
    t = result.tables["mitigation"]
    if not t.height:
        return (tr("没有被标记的群体，无需纠偏。", "No group is flagged: nothing to mitigate."),
                None)
    t = t.filter(pl.col("metric") == "log_premium") if (t["metric"] == "log_premium").any() else t
    parts = []
    for r in t.iter_rows(named=True):
        before, after = _pct(r["beta_before"], 2), _pct(r["beta_after"], 2)
        parts.append(tr(f"{words(r['group'])}由 {before} 降至 {after}",
                        f"{words(r['group'])} from {before} to {after}"))
    noise = _noise(result, t)
    gone = all(abs(a) <= n for a, n in zip(t["beta_after"].to_list(), noise, strict=True))
    end = (tr("。剔除后的差异都低于随机分组也会出现的噪声（安慰剂门槛），即估计的群体溢价"
              "解释了这些群体多付的全部差价。",
              ". What remains is below the noise random splits produce (the placebo floor): "
              "the estimated group premium accounts for the whole gap.")
           if gone else
           tr("。剔除后仍有群体的差异高于随机分组的噪声（安慰剂门槛），说明还有未解释的加价，"
              "需结合第 1、2 节逐笔核查。",
              ". A gap above the noise of random splits (the placebo floor) remains, so part of "
              "the premium is not the estimated group effect; check orders against sections 1 "
              "and 2."))
    return (tr(f"剔除估计的群体溢价后，各被标记群体的单价溢价：{'；'.join(parts)}{end}",
               f"Removing the estimated group premium moves the unit-price premium of "
               f"{'; '.join(parts)}{end}"),
            tr("以纠偏后的价格作为整改目标：这些群体在同一商品上的价格应与其他客户一致，"
               "下一期报告复核。",
               "Use the mitigated prices as the target: these groups should pay what others pay "
               "for the same SKU; the next report checks it."))


def _noise(result: AnalysisResult, t: pl.DataFrame) -> list[float]:
    """Each mitigation row's placebo floor (the premium random splits of the customers
    reach), from the flagged table; 0 where it is unknown (then nothing counts as noise).
    """
    flagged = result.tables["flagged"].select("group", "metric", "placebo_floor")
    floors = t.join(flagged, on=["group", "metric"], how="left")["placebo_floor"]
    return [0.0 if v is None or v != v else float(v) for v in floors.to_list()]


#: Section → its conclusion, in the notebook's order.
SECTIONS: dict[str, Callable[[AnalysisResult, str | None], Conclusion]] = {
    "data": data_overview,
    "findings": findings_overview,
    "explained": explained_price,
    "disparity": disparity,
    "model": model_check,
    "money": money,
    "mitigation": mitigation,
}


def conclusion(result: AnalysisResult, section: str, period: str | None = None) -> Conclusion:
    """``(结论, 整改建议)`` of ``section`` (a key of :data:`SECTIONS`); with the report's
    ``period`` label, deadlines carry their date.
    """
    if section not in SECTIONS:
        raise KeyError(f"pricing: no conclusion for section {section!r} "
                       f"(known: {', '.join(SECTIONS)})")
    return SECTIONS[section](result, period)
