"""Findings in words: group labels and one plain evidence sentence per rule.

The sentences are checked on the real findings of the committed sample (every
analysis run once per test process, ~12 s) in both languages, and on hand-made
details for the formats, lists and rules the sample cannot show.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from workbench.contract import ANALYSES, RULES
from workbench.evidence import (
    MARKETING_RULES,
    PROVINCES,
    customer_ids,
    entity_label,
    evidence_sentence,
    generic_sentence,
    group_label,
    rules_without_template,
)
from workbench.report.privacy import Scanner

REPO_SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
#: ASCII words a Chinese sentence may hold besides ids: brands and the SKU unit.
ZH_ASCII = {"iOS", "SKU"}
#: Detail keys whose values are ids or codes a sentence may quote as they are.
ID_KEYS = ("customer_id", "customer_ids", "order_id", "sku", "promo_id", "uscc_as_given",
           "group", "affected_skus", "terms", "withdrawn_consent_id")


@functools.cache
def sample_findings() -> pl.DataFrame:
    """Every analysis run on the committed sample, once per test process."""
    from workbench.sources import load

    if not (REPO_SAMPLES / "orders.parquet").exists():
        pytest.skip("the committed sample is not in this checkout")
    parts = []
    for name in ANALYSES:
        module = importlib.import_module(f"workbench.{name}")
        params = {"n_bootstrap": 200} if name == "tiering" else {}
        frames = load(REPO_SAMPLES, tables=list(module.TABLES))
        parts.append(module.analyze(frames, "2026-Q3", **params).findings)
    return pl.concat(parts, how="diagonal_relaxed")


def _ids(entity_id: str, detail: dict[str, Any]) -> list[str]:
    """The ids and codes a sentence of this finding may quote, longest first."""
    found = [entity_id]
    for key in ID_KEYS:
        value = detail.get(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                item = item.get("sku") or item.get("group")
            if isinstance(item, str):
                found.append(item)
    return sorted(set(found), key=len, reverse=True)


def _sentences(lang: str) -> list[tuple[dict[str, Any], str]]:
    out = []
    for row in sample_findings().iter_rows(named=True):
        s = evidence_sentence(row["rule"], row["entity_type"], row["entity_id"], row["detail"],
                              lang, amount_cny=row["amount_cny"], amount_kind=row["amount_kind"])
        out.append((row, s))
    return out


# ------------------------------------------------------------------ group labels
@pytest.mark.parametrize(("group", "zh", "en"), [
    ("gender=f&province=31", "女性 · 上海市", "women · Shanghai"),
    ("device_os=ios", "iOS 用户", "iOS users"),
    ("device_os=android&channel=app", "安卓用户 · 应用内下单", "Android users · app orders"),
    ("tenure_band=36m+", "客户时长 36 个月以上", "customers of 36+ months"),
    ("tenure_band=12-23m", "客户时长 12–23 个月", "customers of 12–23 months"),
    ("age_band=25-34", "25–34 岁", "aged 25–34"),
    ("age_band=65+", "65 岁以上", "aged 65+"),
    ("customer_type=enterprise", "企业客户", "enterprise customers"),
    ("tier=vip&gender=m", "贵宾等级会员 · 男性", "VIP tier · men"),
    ("subsidiary_id=0110", "子公司 0110", "subsidiary 0110"),
    ("province=54", "西藏自治区", "Xizang (Tibet)"),
    # unknown attribute or value: shown as it is, never a crash
    ("shoe_size=42", "shoe_size=42", "shoe_size=42"),
    ("province=99&gender=x", "province=99 · gender=x", "province=99 · gender=x"),
    ("tier=金卡", "金卡等级会员", "金卡 tier"),
    ("plain", "plain", "plain"),
    ("", "", ""),
    ("a=b=c&&", "a=b=c ·  · ", "a=b=c ·  · "),
])
def test_group_label_in_words(group: str, zh: str, en: str) -> None:
    assert group_label(group) == zh
    assert group_label(group, "en") == en


def test_every_provincial_code_of_gb_t_2260_has_both_names() -> None:
    codes = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
             "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
             "63", "64", "65", "71", "81", "82"}
    assert set(PROVINCES) == codes and len(codes) == 34
    for code, (zh, en) in PROVINCES.items():
        assert zh.endswith(("省", "市", "自治区", "特别行政区")), code
        assert en.isascii() and en[0].isupper(), code
        assert group_label(f"province={code}") == zh
    with pytest.raises(ValueError, match="lang must be one of"):
        group_label("gender=f", "fr")


# ------------------------------------------------------------------- templates
def test_every_rule_of_the_contract_and_of_marketing_has_a_template() -> None:
    assert rules_without_template() == []
    assert set(MARKETING_RULES) <= set(RULES) | set(MARKETING_RULES)
    assert rules_without_template(["stale_tier", "brand_new_rule"]) == ["brand_new_rule"]


def test_the_sample_shows_every_rule_of_every_analysis() -> None:
    seen = set(sample_findings()["rule"])
    assert {r.code for r in RULES.values() if r.analysis in ANALYSES} <= seen
    assert set(MARKETING_RULES) <= seen


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_sample_finding_reads_as_one_plain_sentence(lang: str) -> None:
    problems: dict[str, str] = {}
    for row, s in _sentences(lang):
        detail = json.loads(row["detail"])
        generic = generic_sentence(row["rule"], row["entity_type"], row["entity_id"], lang,
                                   amount_cny=row["amount_cny"], amount_kind=row["amount_kind"])
        text = s.replace("12315", " ID ")  # the regulator's hotline, a code
        for token in _ids(row["entity_id"], detail):
            text = text.replace(token, " ID ")
        why = []
        if s == generic:
            why.append("no template read it")
        if re.search(r"[{}\[\]=…_]|\b(None|nan|True|False|items)\b", text):
            why.append("JSON, key=value, a code or a cut")
        if re.search(r"\d\.\d{3,}", text):
            why.append("float noise")
        if re.search(r"(?<![\d,.])\d{5,}", text.replace("-", " ")):
            why.append("a number without thousands separators")
        if "¥" in text and re.search(r"¥(?!\d{1,3}(,\d{3})*\.\d\d)", text):
            why.append("money not as ¥1,234.56")
        if lang == "en" and CJK.search(s):
            why.append("Chinese in English")
        if lang == "zh":
            words = set(re.findall(r"[A-Za-z]{2,}", text)) - ZH_ASCII - {"ID"}
            if words:
                why.append(f"English words {sorted(words)}")
            if not CJK.search(s):
                why.append("no Chinese")
        if why:
            problems.setdefault(row["rule"], f"{'; '.join(why)}: {s}")
    assert problems == {}


def test_sample_sentences_state_the_figures() -> None:
    f = sample_findings()

    def sentence(rule: str, entity: str, lang: str = "zh") -> str:
        row = f.filter((pl.col("rule") == rule) & (pl.col("entity_id") == entity)).row(
            0, named=True)
        return evidence_sentence(rule, row["entity_type"], entity, row["detail"], lang,
                                 amount_cny=row["amount_cny"], amount_kind=row["amount_kind"])

    assert sentence("tier_disparity", "gender=f").startswith(
        "女性中符合条件却被评低等级的比例为 16.2%，其他客户为 3.2%"
        "（差 13.1 个百分点，95% 置信区间 ")
    breach = sentence("resolution_breach", "CP0003315")
    assert breach.startswith("投诉（12315 转办）于 2026-07-05 收到，至期末仍未办结，已过 87.4 天，"
                             "承诺时限 15 天，超时 72.4 天")
    assert "调解" in breach
    assert sentence("price_disparity", "device_os=ios").startswith(
        "iOS 用户为同一商品支付的价格比其他客户高约 4.3%")
    assert "17 个 SKU，例如 SKU10306、SKU10270、SKU10385" in sentence("price_disparity",
                                                                 "device_os=ios")
    assert sentence("price_disparity", "tenure_band=36m+", "en").startswith(
        "customers of 36+ months paid about 2.9% more")


def test_no_personal_data_and_no_enterprise_names_in_sentences() -> None:
    scanner = Scanner()
    names = {json.loads(d).get("name") for d in sample_findings()["detail"]} - {None}
    for lang in ("zh", "en"):
        for _, s in _sentences(lang):
            assert scanner.scan_text(s) == [], s
            assert not any(n in s for n in names), s


# ------------------------------------------------------------ formats and lists
def test_money_percent_and_counts_are_formatted() -> None:
    detail = {"charged_price": 1_234_567.891, "explained_price": 1_100_000.0, "quantity": 1,
              "premium_pct": 12.233333, "ordered_at": "2026-07-01 07:29:58", "sku": "S1",
              "flagged_groups": [{"group": "device_os=ios", "attributed_cny": 132.29100000000003}]}
    zh = evidence_sentence("unexplained_premium", "order", "O1", detail,
                           amount_cny=134_567.891, amount_kind="overcharge")
    assert zh == ("2026-07-01 的订单（S1）单价 ¥1,234,567.89，"
                  "比公布价格、等级折扣和公开促销可解释的单价 ¥1,100,000.00 "
                  "高 ¥134,567.89（+12.2%），多收 ¥134,567.89；其中 ¥132.29 "
                  "归因于群体溢价（iOS 用户）")
    en = evidence_sentence("unexplained_premium", "order", "O1", detail, "en",
                           amount_cny=134_567.891, amount_kind="overcharge")
    assert "¥134,567.89 overcharged; ¥132.29 of it due to group premiums (iOS users)" in en


def test_lists_are_summarised_never_cut() -> None:
    def skus(n: int) -> dict[str, Any]:
        return {"affected_skus": [{"sku": f"SKU{i}"} for i in range(n)],
                "affected_sku_count": n, "amount_cny": 10.0}

    assert "涉及 3 个 SKU：SKU0、SKU1、SKU2；" in evidence_sentence(
        "price_disparity", "group", "gender=f", skus(3))
    assert "涉及 12 个 SKU，例如 SKU0、SKU1、SKU2；" in evidence_sentence(
        "price_disparity", "group", "gender=f", skus(12))
    assert "; 1 SKU: SKU0;" in evidence_sentence("price_disparity", "group", "gender=f",
                                                  skus(1), "en")


def test_clock_units_read_naturally() -> None:
    base = {"received_at": "2026-07-21T10:19:28", "still_open_at_period_end": False}
    ack = {**base, "target": "ack", "clock": "calendar_hours", "limit": 24.0,
           "elapsed": 26.729, "overrun": 2.729}
    assert evidence_sentence("ack_breach", "complaint", "CP1", ack) == (
        "投诉于 2026-07-21 收到，26.7 小时后才首次响应，承诺时限 24 小时，超时 2.7 小时")
    late = {**ack, "elapsed": 2196.374, "overrun": 2148.374, "still_open_at_period_end": True}
    assert evidence_sentence("ack_breach", "complaint", "CP1", late, "en") == (
        "complaint received 2026-07-21: no first response by the period end after 91.5 days; "
        "committed 24 hours, 89.5 days late")
    work = {**base, "target": "acceptance", "clock": "working_days", "limit": 7.0,
            "elapsed": 8.0, "overrun": 1.0, "channel": "regulator"}
    assert evidence_sentence("acceptance_breach", "complaint", "CP1", work, "en") == (
        "complaint (12315 transfer) received 2026-07-21: accept-or-reject decision took "
        "8 working days; committed 7 working days, 1 working day late")


# ------------------------------------------------------------------- marketing
def _marketing(rule: str, where: str | None = None) -> tuple[dict[str, Any], str, str]:
    """A real finding of ``rule`` on the sample (the first whose evidence holds
    ``where``) and its sentence in both languages."""
    f = sample_findings().filter(pl.col("rule") == rule)
    if where is not None:
        f = f.filter(pl.col("detail").str.contains(where, literal=True))
    row = f.sort("entity_id").row(0, named=True)
    zh, en = (evidence_sentence(rule, row["entity_type"], row["entity_id"], row["detail"], lang)
              for lang in ("zh", "en"))
    return row, zh, en


def test_marketing_sentences_read_what_the_analysis_writes() -> None:
    """Issue #17: the six templates read the keys of workbench/marketing/_findings.py
    (channel, sent_at, purpose_label, commercial_because, signals, terms, consent_state,
    withdrawn_at, consent_scope, deadline, completed_at, limit, elapsed, overrun …)."""
    _, zh, en = _marketing("ad_unlabelled", '"commercial_because":"purpose"')
    assert re.fullmatch(r"2026-\d\d-\d\d 经(短信|应用推送|邮件|微信)发送的营销信息未标明“广告”", zh)
    _, zh, en = _marketing("ad_unlabelled", '"commercial_because":"content"')
    assert re.fullmatch(r"2026-\d\d-\d\d 经\S+发送的(服务|交易)信息含\S+等广告内容，实为商业信息，"
                        r"却未标明“广告”", zh), zh
    assert "advertises (" in en and "not marked as an advertisement" in en
    row, zh, en = _marketing("absolute_term")
    terms = json.loads(row["detail"])["terms"]
    assert f"使用了《广告法》禁止的绝对化用语“{terms[0]}”" in zh
    assert "the Advertising Law bans (kind" in en
    row, zh, en = _marketing("marketing_without_consent", '"consent_state":"withdrawn"')
    d = json.loads(row["detail"])
    assert zh.startswith(f"客户已于 {d['withdrawn_at'][:10]} 撤回营销同意（同意记录 "
                         f"{d['withdrawn_consent_id']}，适用于")
    assert zh.endswith(f"之后仍于 {d['sent_at'][:10]} 收到经{zh.split('收到经')[1]}")
    assert f"withdrew marketing consent on {d['withdrawn_at'][:10]}" in en
    _, zh, _ = _marketing("marketing_without_consent", '"consent_state":"none"')
    assert zh.endswith("未取得客户对该发送方和渠道的营销同意")
    row, zh, en = _marketing("privacy_request_overdue", '"still_open_at_period_end":true')
    d = json.loads(row["detail"])
    assert zh == (f"{d['received_at'][:10]} 收到的个人信息{zh.split('个人信息')[1].split('，')[0]}"
                  f"，办结期限 {d['deadline']}，至期末仍未办结（已过 {d['elapsed']} 个工作日）："
                  f"时限 {d['limit']} 个工作日，超期 {d['overrun']} 个工作日")
    row, zh, _ = _marketing("privacy_request_overdue", '"still_open_at_period_end":false')
    d = json.loads(row["detail"])
    assert f"，{d['completed_at'][:10]} 才办结（用时 {d['elapsed']} 个工作日）" in zh
    row, zh, en = _marketing("refusal_without_reason")
    d = json.loads(row["detail"])
    assert zh.endswith(f"请求于 {d['refused_at'][:10]} 被拒绝，未说明理由")
    assert en.endswith(f"was refused on {d['refused_at'][:10]} without a reason")


def test_marketing_sentences_never_quote_a_message_or_name_its_recipient() -> None:
    """The evidence has neither; the sentences must not bring them in: no run of 8
    characters of any message's text, no recipient's or requester's id."""
    from workbench.sources import load

    frames = load(REPO_SAMPLES, tables=["marketing_messages", "privacy_requests"])
    msgs = frames["marketing_messages"].select("message_id", "customer_id", "content").collect()
    reqs = frames["privacy_requests"].select("request_id", "customer_id").collect()
    text = dict(msgs.select("message_id", "content").iter_rows())
    owner = {**dict(msgs.select("message_id", "customer_id").iter_rows()),
             **dict(reqs.select("request_id", "customer_id").iter_rows())}
    checked = 0
    for row, s in _sentences("zh") + _sentences("en"):
        if row["analysis"] != "marketing":
            continue
        content = text.get(row["entity_id"], "")
        assert not any(content[i:i + 8] in s for i in range(max(len(content) - 7, 0))), s
        assert owner.get(row["entity_id"]) is None or owner[row["entity_id"]] not in s, s
        checked += 1
    assert checked == 2 * sample_findings().filter(pl.col("analysis") == "marketing").height


def test_a_privacy_request_states_its_delay_from_the_severity_inputs() -> None:
    detail = {"kind": "copy", "received_at": "2026-07-01", "completed_at": "2026-08-20",
              "severity_basis": {"overrun_days": 12}}
    assert evidence_sentence("privacy_request_overdue", "request", "R1", detail) == (
        "2026-07-01 收到的个人信息复制请求，2026-08-20 才办结，超期 12 个工作日")
    assert evidence_sentence("privacy_request_overdue", "request", "R1", detail, "en") == (
        "the personal-information copy request received 2026-07-01 completed only on "
        "2026-08-20; 12 working days over")


# --------------------------------------------------------- tolerance, fallbacks
@pytest.mark.parametrize("rule", sorted({*RULES, *MARKETING_RULES}))
def test_every_template_survives_a_detail_without_its_keys(rule: str) -> None:
    etype = RULES[rule].entity_type if rule in RULES else "message"
    for detail in ({}, {"legal_basis": "x", "metrics": [{}], "targets": [{}]}):
        for lang in ("zh", "en"):
            s = evidence_sentence(rule, etype, "E1", detail, lang, amount_cny=5.0,
                                  amount_kind="overcharge")
            assert s and "{" not in s and "None" not in s, (rule, s)


def test_unreadable_details_and_unknown_rules_give_a_readable_generic_sentence() -> None:
    assert evidence_sentence("stale_tier", "customer", "C1", "not json") == (
        "等级未按周期复核：客户 C1")
    assert evidence_sentence("stale_tier", "customer", "C1", "[1, 2]", "en") == (
        "Tier not re-evaluated within its cycle: customer C1")
    assert evidence_sentence("new_rule", "group", "gender=f", "{}", amount_cny=12.5,
                             amount_kind="benefit") == "new_rule：女性，未公示权益 ¥12.50"
    assert generic_sentence("hidden_benefit", "grant", "G1", "en", amount_cny=3.0,
                            amount_kind="benefit") == (
        "Benefit outside the published schedule: grant G1; unpublished benefits ¥3.00")


def test_customers_of_a_finding() -> None:
    assert customer_ids("customer", "C1", "{}") == ["C1"]
    assert customer_ids("grant", "G1", '{"customer_id": "C2"}') == ["C2"]
    assert customer_ids("enterprise", "91X", {"customer_ids": ["C3", "C4"]}) == ["C3", "C4"]
    assert customer_ids("complaint", "CP1", "{}") == []
    assert customer_ids("policy", "staff", '{"customer_id": "C9"}') == []
    assert customer_ids("order", "O1", "oops") == []
    assert entity_label("grant") == "权益发放" and entity_label("grant", "en") == "grant"
    assert entity_label("spaceship") == "spaceship"
