"""The credit report's words: table headers and coded values in Chinese and English
(registered with :func:`workbench.i18n.register` on import), and the display views
that turn the analysis' tables into what a reader sees.

A view keeps the data as it is and only chooses, orders and names: flagged rows
first, empty groups last, probabilities in columns whose names end in ``_rate`` so
that :func:`workbench.notebook.table` prints them as percentages. Text the analysis
writes in English for its published tables (a grade's ``reasons``, the policy's
conditions, the validation notes) is translated here for display only: the
published ``credit_grades`` keep the analysis' own text.

>>> from workbench import i18n
>>> i18n.set_lang("zh"); i18n.header("uscc"), i18n.value("registry_status", "revoked")
('统一社会信用代码', '吊销')
>>> reason_text("secured_debts_36m ≤ 0 (−43 pts)")
'近36个月股权出质和动产抵押次数 ≤ 0（扣 43 分）'
>>> i18n.set_lang("en"); reason_text("capped at BBB: on the abnormal-operation list")
'capped at BBB: on the abnormal-operation list'
>>> i18n.set_lang("zh")
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from workbench import i18n
from workbench.credit._grades import GRADE_ORDER, REASON_SEPARATOR
from workbench.credit._scoring import MSG_FEW_OUTCOMES, MSG_NO_OUTCOMES
from workbench.credit._validation import (
    ABOVE,
    BELOW,
    EMPTY,
    MSG_FLAT_FEATURES,
    MSG_NO_OUT_OF_TIME,
    MSG_ONE_CLASS,
    WITHIN,
)
from workbench.i18n import cny, pct  # noqa: F401 - re-exported for the views
from workbench.i18n import count as num  # noqa: F401
from workbench.i18n import join_list as join_words  # noqa: F401
from workbench.labels import SEVERITIES

#: Registry status codes in words (the registry extracts' ``status``).
STATUS_WORDS: dict[str | None, tuple[str, str]] = {
    "active": ("存续", "active"),
    "suspended": ("停业", "suspended"),
    "moved_out": ("迁出", "moved out"),
    "revoked": ("吊销", "revoked"),
    "cancelled": ("注销", "cancelled"),
    "not in registry": ("查无登记信息", "not in the registry"),
}

#: Scorecard features (and the score itself) in words.
FEATURE_WORDS: dict[str, tuple[str, str]] = {
    "score": ("评分", "score"),
    "relationship_months": ("合作月数", "months as a customer"),
    "invoices_12m": ("近12个月开票数", "invoices, last 12 months"),
    "share_paid_late_12m": ("近12个月逾期付款发票占比", "share of invoices paid late, 12 months"),
    "max_days_past_due_12m": ("近12个月最长逾期天数", "worst days past due, 12 months"),
    "mean_days_past_due_12m": ("近12个月平均逾期天数", "mean days past due, 12 months"),
    "outstanding_ratio": ("未结金额占近12个月开票额比例", "outstanding / invoiced, 12 months"),
    "overdue_cny": ("逾期未付金额", "amount overdue"),
    "years_established": ("成立年限", "years since establishment"),
    "registered_capital_cny": ("注册资本", "registered capital"),
    "weak_status": ("停业或迁出", "suspended or moved out"),
    "annual_report_overdue": ("年报逾期", "annual report overdue"),
    "abnormal_days": ("列入经营异常名录天数", "days on the abnormal-operation list"),
    "on_abnormal_list": ("在经营异常名录中", "on the abnormal-operation list"),
    "penalties_36m": ("近36个月行政处罚次数", "administrative penalties, 36 months"),
    "spot_check_fails_36m": ("近36个月抽查不合格次数", "failed spot checks, 36 months"),
    "secured_debts_36m": ("近36个月股权出质和动产抵押次数",
                          "equity pledges and chattel mortgages, 36 months"),
    "lawsuits_36m": ("近36个月涉诉次数", "lawsuits, 36 months"),
}

SAMPLE_WORDS: dict[str, tuple[str, str]] = {
    "development": ("开发样本", "development"),
    "out_of_time": ("样本外（按原模型）", "out of time (as fitted)"),
    "out_of_time_recalibrated": ("样本外（校准后）", "out of time (recalibrated)"),
    "cross_validated": ("开发样本交叉验证", "development, cross-validated"),
    "in_sample": ("开发样本内", "development, in sample"),
}

ASSESSMENT_WORDS: dict[str, tuple[str, str]] = {
    WITHIN: ("在区间内", "within band"),
    ABOVE: ("高于区间", "above band"),
    BELOW: ("低于区间", "below band"),
    EMPTY: ("无客户", "no customers"),
    "stable": ("稳定", "stable"),
    "shift": ("有偏移", "shift"),
    "major shift": ("显著偏移", "major shift"),
}

GRADE_WORDS: dict[str, tuple[str, str]] = {
    **{g: (g, g) for g in GRADE_ORDER},
    "reject": ("拒绝授信", "reject"),
    "new": ("新客户", "new customer"),
}

COLUMNS: dict[str, tuple[str, str]] = {
    "uscc": ("统一社会信用代码", "USCC"),
    "name": ("企业名称", "Enterprise"),
    "registry_status": ("登记状态", "Registry status"),
    "registry_status_before": ("上次登记状态", "Status before"),
    "snapshot_date": ("登记信息提取日", "Extract date"),
    "snapshot_date_before": ("上次提取日", "Previous extract"),
    "abnormal": ("经营异常名录", "Abnormal-operation list"),
    "abnormal_before": ("上次经营异常名录", "Abnormal list before"),
    "abnormal_reason": ("列入经营异常名录原因", "Abnormal-list reason"),
    "serious_illegal": ("严重违法失信名单", "Serious-illegal list"),
    "serious_illegal_before": ("上次严重违法失信名单", "Serious-illegal list before"),
    "serious_illegal_since": ("列入严重违法失信名单日期", "Serious-illegal since"),
    "serious_illegal_reason": ("列入严重违法失信名单原因", "Serious-illegal reason"),
    "last_annual_report_year": ("最近报送年报年度", "Latest annual report"),
    "annual_report_required_year": ("应报年报年度", "Annual report required"),
    "customer_ids": ("客户编号", "Customers"),
    "outstanding_cny": ("应收未结金额", "Outstanding"),
    "sample": ("样本", "Sample"),
    "feature_date": ("特征截止日", "Features as of"),
    "label_date": ("结果观察截止日", "Outcomes up to"),
    "customers_with_invoices_due": ("有发票到期的客户", "Customers with invoices due"),
    "not_customer_yet": ("特征日尚非客户（剔除）", "Not yet customers (left out)"),
    "undetermined": ("结果未定（剔除）", "Undetermined (left out)"),
    "labelled": ("纳入样本", "Labelled"),
    "defaults": ("违约数", "Defaults"),
    "default_rate": ("违约率", "Default rate"),
    "undetermined_invoices": ("结果未定的发票", "Undetermined invoices"),
    "mean_pd": ("平均预测违约概率", "Mean predicted PD"),
    "mean_pd_rate": ("平均预测违约概率", "Mean predicted PD"),
    "auc": ("AUC", "AUC"),
    "gini": ("基尼系数", "Gini"),
    "ks": ("KS", "KS"),
    "brier": ("Brier 分数", "Brier score"),
    "brier_reference": ("基准 Brier 分数", "Reference Brier score"),
    "brier_skill": ("Brier 技能分", "Brier skill"),
    "bin": ("分组", "Bin"),
    "observed_rate": ("实际违约率", "Observed default rate"),
    "ci_low_rate": ("95% 区间下限", "95% interval low"),
    "ci_high_rate": ("95% 区间上限", "95% interval high"),
    "pd_low": ("主标尺区间下限", "PD band low"),
    "pd_high": ("主标尺区间上限", "PD band high"),
    "pd_low_rate": ("主标尺区间下限", "PD band low"),
    "pd_high_rate": ("主标尺区间上限", "PD band high"),
    "rate_in_band": ("违约率落在区间内", "Rate in band"),
    "assessment": ("判断", "Assessment"),
    "variable": ("变量", "Variable"),
    "psi": ("PSI", "PSI"),
    "in_model": ("入模", "In the model"),
    "feature": ("特征", "Feature"),
    "label": ("取值区间", "Values"),
    "count": ("样本数", "Count"),
    "bads": ("违约数", "Defaults"),
    "bad_rate": ("违约率", "Default rate"),
    "woe": ("WoE", "WoE"),
    "iv": ("IV", "IV"),
    "coef": ("系数", "Coefficient"),
    "points": ("分值", "Points"),
    "grade": ("信用等级", "Grade"),
    "mean_score": ("平均评分", "Mean score"),
    "total_limit_cny": ("授信额度合计", "Total credit limit"),
    "score": ("评分", "Score"),
    "pd": ("违约概率", "PD"),
    "pd_rate": ("违约概率", "PD"),
    "credit_limit_cny": ("授信额度", "Credit limit"),
    "payment_terms_days": ("账期（天）", "Payment terms (days)"),
    "reasons": ("评级理由", "Reasons"),
    "condition": ("条件", "Condition"),
    "previous": ("上期等级", "Previous grade"),
    "method": ("校准方法", "Method"),
    "intercept": ("截距", "Intercept"),
    "slope": ("斜率", "Slope"),
    **{g: GRADE_WORDS[g] for g in GRADE_ORDER},
}

#: The statutory listing reasons (:data:`._registry.STATUTORY_REASONS`) in English.
REASON_WORDS: dict[str, tuple[str, str]] = {
    "未按照规定期限公示年度报告": ("未按照规定期限公示年度报告",
                                 "annual report not publicised in time"),
    "未在责令期限内公示有关企业信息": ("未在责令期限内公示有关企业信息",
                                      "information not publicised by the ordered date"),
    "公示企业信息隐瞒真实情况、弄虚作假": ("公示企业信息隐瞒真实情况、弄虚作假",
                                        "publicised information concealed or falsified"),
    "通过登记的住所或者经营场所无法联系": ("通过登记的住所或者经营场所无法联系",
                                        "cannot be reached at its registered address"),
    "列入经营异常名录届满3年仍未履行相关义务": ("列入经营异常名录届满3年仍未履行相关义务",
                                             "three years on the abnormal list without "
                                             "remedy"),
    "提交虚假材料取得登记": ("提交虚假材料取得登记", "registered with false documents"),
    "其他（详见国家企业信用信息公示系统）": ("其他（详见国家企业信用信息公示系统）",
                                          "other (see the national publicity system)"),
}

VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "abnormal_reason": REASON_WORDS,
    "serious_illegal_reason": REASON_WORDS,
    "registry_status": {k: v for k, v in STATUS_WORDS.items() if k is not None},
    "registry_status_before": {k: v for k, v in STATUS_WORDS.items() if k is not None},
    "variable": FEATURE_WORDS,
    "feature": FEATURE_WORDS,
    "sample": SAMPLE_WORDS,
    "assessment": ASSESSMENT_WORDS,
    "grade": GRADE_WORDS,
    "previous": GRADE_WORDS,
    "label": {"missing": ("缺失", "missing")},
    "method": {"logistic": ("截距和斜率", "intercept and slope"),
               "intercept": ("仅截距", "intercept only"), "none": ("不校准", "none")},
}


def register_words() -> None:
    """Register the credit headers and values (idempotent; called on import)."""
    i18n.register(columns=COLUMNS, values=VALUES)


register_words()


def words(table: Mapping[str | None, tuple[str, str]], code: str | None) -> str:
    """``code`` in the report's language from ``table`` (the code itself if unknown)."""
    pair = table.get(code)
    if pair is None:
        return "" if code is None else str(code)
    return i18n.tr(*pair)


def status_words(code: str | None) -> str:
    """A registry status in words (null: not found in the registry)."""
    return words(STATUS_WORDS, "not in registry" if code is None else code)


def feature_words(code: str) -> str:
    """A scorecard feature in words."""
    return words(FEATURE_WORDS, code)


def grade_words(code: str) -> str:
    """A grade (``reject``, ``new`` in words; AAA … BB as they are)."""
    return words(GRADE_WORDS, code)


# ---------------------------------------------------------------- number words
#: The USCC checks of :data:`workbench.credit._uscc.CHECKS` in a few words.
CHECK_WORDS: dict[str, tuple[str, str]] = {
    "missing": ("未填写代码", "no code given"),
    "length": ("长度不是 18 位", "not 18 characters"),
    "charset": ("含不允许的字符", "characters not allowed"),
    "authority": ("登记管理部门代码错误", "wrong authority code"),
    "category": ("机构类别代码错误", "wrong category code"),
    "gb32100_check": ("第 18 位校验码不符", "18th check character wrong"),
    "org_code_check": ("组织机构代码校验不符", "organisation-code check fails"),
}


def sentence(parts: Iterable[str]) -> str:
    """Clauses joined into one sentence (；-separated in Chinese)."""
    kept = [p for p in parts if p]
    if i18n.is_zh():
        return "；".join(kept) + "。"
    text = "; ".join(kept)
    return text[:1].upper() + text[1:] + "."


# ------------------------------------------------------------------ English text
#: The packaged policy's conditions in Chinese, by their English text.
_POLICY_TEXT: dict[str, tuple[str, str]] = {
    "registry knock-out: revoked, cancelled or on the serious-illegal list":
        ("登记状态否决：吊销、注销或列入严重违法失信名单",
         "registry knock-out: revoked, cancelled or on the serious-illegal list"),
    "USCC fails its check characters: identity not verified":
        ("统一社会信用代码校验位错误：身份无法核实",
         "USCC fails its check characters: identity not verified"),
    "USCC not found in the registry extract: identity not verified":
        ("登记信息中查无此统一社会信用代码：身份无法核实",
         "USCC not found in the registry extract: identity not verified"),
    "registry status suspended (停业)": ("登记状态为停业", "registry status suspended"),
    "registry status moved out (迁出): registration authority changed":
        ("登记状态为迁出：登记机关已变更",
         "registry status moved out: registration authority changed"),
    "on the abnormal-operation list": ("列入经营异常名录", "on the abnormal-operation list"),
    "annual report overdue": ("年报逾期未报", "annual report overdue"),
    "no score: graded in the lowest band": ("无评分：按最低档评级",
                                            "no score: graded in the lowest band"),
}
_POINTS = re.compile(r"^(?P<feature>[a-z0-9_]+) (?P<bin>.+) \(−(?P<pts>\d+) pts\)$")
_CAPPED = re.compile(r"^capped at (?P<grade>\S+): (?P<text>.+)$")
_NOT_BINDING = re.compile(r"^(?P<text>.+) \(cap (?P<grade>\S+) not binding\)$")


def policy_text(text: str) -> str:
    """A policy condition in the report's language (unknown text as written)."""
    if text == "score ≥ -∞":
        return i18n.tr("其余评分", "any other score")
    if text.startswith("score ≥ ") and i18n.is_zh():
        return "评分 ≥ " + text.removeprefix("score ≥ ")
    return words(_POLICY_TEXT, text) if text in _POLICY_TEXT else text


def _bin_words(label: str) -> str:
    return "缺失" if label == "missing" and i18n.is_zh() else label


def reason_text(reason: str) -> str:
    """One grading reason (policy or scorecard reason code) in the report's language."""
    if m := _POINTS.match(reason):
        feature, bin_, pts = feature_words(m["feature"]), _bin_words(m["bin"]), m["pts"]
        return i18n.tr(f"{feature} {bin_}（扣 {pts} 分）", f"{feature} {bin_} (−{pts} pts)")
    if m := _CAPPED.match(reason):
        grade, text = grade_words(m["grade"]), policy_text(m["text"])
        return i18n.tr(f"等级上限 {grade}：{text}", f"capped at {grade}: {text}")
    if m := _NOT_BINDING.match(reason):
        grade, text = grade_words(m["grade"]), policy_text(m["text"])
        return i18n.tr(f"{text}（上限 {grade} 未起作用）", f"{text} (cap {grade} not binding)")
    return policy_text(reason)


def reasons_text(reasons: str | None) -> str:
    """A grade's ``reasons`` (``; ``-joined) in the report's language."""
    if not reasons:
        return ""
    parts = [reason_text(r) for r in reasons.split(REASON_SEPARATOR)]
    return ("；" if i18n.is_zh() else REASON_SEPARATOR).join(parts)


def _template(msg: str) -> re.Pattern[str]:
    """A regex matching what ``msg.format(...)`` writes, one named group per field."""
    out, pos = "", 0
    for m in re.finditer(r"\{(\w+)\}", msg):
        out += re.escape(msg[pos:m.start()]) + f"(?P<{m[1]}>.+?)"
        pos = m.end()
    return re.compile("^" + out + re.escape(msg[pos:]) + "$")


_NOTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (_template(MSG_FLAT_FEATURES),
     "开发样本中以下特征没有区分信息（截至 {date} 只有一个取值或没有数据）：{names}；"
     "评分卡无法使用它们"),
    (_template(MSG_NO_OUT_OF_TIME),
     "未做样本外检验：在样本外观察期 {start} 至 {end} 内没有企业有确定的还款结果，"
     "本报告因此没有样本外的检验结论"),
    (_template(MSG_ONE_CLASS),
     "样本外 {n} 家企业全部为{kind}：AUC 和 KS 无法计算；Brier 分数和校准表照常列出"),
    (_template(MSG_FEW_OUTCOMES),
     "违约（{bads} 家）或未违约（{goods} 家）企业太少，无法开发评分卡（各需至少 {need} 家）"),
    (_template(MSG_NO_OUTCOMES), "结果观察期内没有任何企业有到期发票"),
)


def note_text(note: str) -> str:
    """A validation note in the report's language (unknown notes as written)."""
    if not i18n.is_zh():
        return note
    for pattern, zh in _NOTES:
        if m := pattern.match(note):
            fields = dict(m.groupdict())
            if "names" in fields:
                fields["names"] = "、".join(feature_words(n.strip())
                                           for n in fields["names"].split(","))
            if "kind" in fields:
                fields["kind"] = "违约企业" if fields["kind"] == "default" else "未违约企业"
            return zh.format(**fields)
    return note


def notes_text(result_tables: Mapping[str, pl.DataFrame]) -> list[str]:
    """The analysis' notes (``tables["notes"]``) in the report's language."""
    notes = result_tables.get("notes")
    return [] if notes is None else [note_text(n) for n in notes["note"].to_list()]


# ------------------------------------------------------------------------ views
def _grade_rank(col: str = "grade") -> pl.Expr:
    order = {g: i for i, g in enumerate(GRADE_ORDER)}
    return pl.col(col).replace_strict(order, default=len(order), return_dtype=pl.Int64)


def _severity_rank() -> pl.Expr:
    return pl.col("severity").replace_strict(
        {s: i for i, s in enumerate(SEVERITIES)}, default=len(SEVERITIES),
        return_dtype=pl.Int64)


def findings_overview(findings: pl.DataFrame) -> pl.DataFrame:
    """Findings per rule and severity with the receivables outstanding, worst first."""
    return (
        findings.group_by("rule", "severity")
        .agg(pl.len().alias("findings"), pl.col("amount_cny").sum().alias("outstanding_cny"))
        .sort([_severity_rank(), pl.col("outstanding_cny"), pl.col("rule")],
              descending=[False, True, False])
    )


def registry_view(facts: pl.DataFrame) -> pl.DataFrame:
    """Registry columns named so that their headers and statuses read in words."""
    return facts.rename({c: f"registry_{c}" for c in ("status", "status_before")
                         if c in facts.columns})


def weak_status_view(weak: pl.DataFrame) -> pl.DataFrame:
    """Suspended and moved-out enterprises (grade capped), the status in words."""
    return registry_view(weak).sort("registry_status", "uscc")


def policy_view(policy: pl.DataFrame) -> pl.DataFrame:
    """The credit policy: grade (or cap), the condition in words, terms and limit."""
    grades = [
        (f"最高 {grade_words(g.removeprefix('at most '))}" if i18n.is_zh()
         else g) if g.startswith("at most ") else grade_words(g)
        for g in policy["grade"].to_list()
    ]
    return pl.DataFrame({
        "grade": grades,
        "condition": [policy_text(t) for t in policy["rule"].to_list()],
        "payment_terms_days": policy["payment_terms_days"],
        "credit_limit_cny": policy["credit_limit_cny"],
    })


def _as_rates(df: pl.DataFrame, cols: tuple[str, ...]) -> pl.DataFrame:
    """Probability columns renamed ``<col>_rate`` so that tables print them as %."""
    return df.rename({c: c if c.endswith("_rate") else f"{c}_rate"
                      for c in cols if c in df.columns})


def grade_reliability_view(table: pl.DataFrame) -> pl.DataFrame:
    """Default rate per grade against its PD band: grades above their band first,
    then the others best first, grades without customers last.
    """
    flagged = pl.col("assessment") == ABOVE
    empty = pl.col("customers") == 0
    ordered = table.sort([empty, ~flagged, _grade_rank()])
    return _as_rates(
        ordered.select("grade", "assessment", "customers", "defaults", "observed_rate",
                       "ci_low", "ci_high", "pd_low", "pd_high", "mean_pd"),
        ("ci_low", "ci_high", "pd_low", "pd_high", "mean_pd"),
    )


def psi_view(psi: pl.DataFrame) -> pl.DataFrame:
    """Stability per variable, largest shift first; features without data at the
    development date (no weight in the model) after those in the model.
    """
    rank = {"major shift": 0, "shift": 1, "stable": 2}
    return psi.sort(
        [pl.col("assessment").replace_strict(rank, default=3, return_dtype=pl.Int64),
         ~pl.col("in_model"), pl.col("psi")],
        descending=[False, False, True],
    ).select("variable", "assessment", "psi", "in_model")


def grade_summary_view(summary: pl.DataFrame) -> pl.DataFrame:
    """Customers, mean score, mean PD and total limit per grade (best first)."""
    return _as_rates(summary, ("mean_pd",))


def grades_view(grades: pl.DataFrame) -> pl.DataFrame:
    """Every enterprise's grade, worst first (rejected, then the lowest grades and
    scores), the reasons in the report's language.
    """
    order = {g: i for i, g in enumerate(reversed(GRADE_ORDER))}
    return grades.sort(
        [pl.col("grade").replace_strict(order, default=len(order), return_dtype=pl.Int64),
         pl.col("score")], nulls_last=False,
    ).select(
        "customer_id", "uscc", "grade", "score", pl.col("pd").alias("pd_rate"),
        "credit_limit_cny", "payment_terms_days",
        pl.col("reasons").map_elements(reasons_text, return_dtype=pl.String),
    )


def validation_view(validation: pl.DataFrame) -> pl.DataFrame:
    """The validation table with ``n`` named as customers (for the statistics block)."""
    return validation.rename({"n": "customers"})


def migration_view(matrix: pl.DataFrame) -> pl.DataFrame:
    """The migration matrix without the rows of previous grades nobody had."""
    counts = pl.sum_horizontal([c for c in matrix.columns if c != "previous"])
    return matrix.filter(counts > 0)


def run_details_html(metrics: Mapping[str, Any], timings: Mapping[str, float]) -> str:
    """The run's headline metrics and timings as preformatted JSON (for a collapsed
    block: the exact numbers the dashboard reads, under their code names).
    """
    def plain(v: Any) -> Any:
        return {k: plain(x) for k, x in v.items()} if isinstance(v, Mapping) else v

    text = json.dumps({"metrics": plain(metrics), "timings_s": plain(timings)},
                      ensure_ascii=False, indent=1, default=str)
    return f"<pre>{html.escape(text)}</pre>"
