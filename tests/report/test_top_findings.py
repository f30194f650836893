"""The dashboard's 最需关注 items: ranked by the severity policy, then consumer money,
then people; values only (no customer, order or complaint ids); in plain words."""

from __future__ import annotations

import json

import polars as pl
import pytest

from workbench.contract import FINDINGS_SCHEMA
from workbench.findings import make_findings
from workbench.report.top_findings import rank_key, top_findings
from workbench.report.top_text import as_customers, describe, others


def planted() -> pl.DataFrame:
    """One report's findings with a known order of what is worst.

    - price_disparity (high, ¥500 overcharge, a breakdown) and hidden_benefit (high,
      ¥200 benefits): consumer money, overcharge compared first;
    - tier_disparity (high, no money, ~117 people) before the SLA clock breaches (high,
      3 complaints) by people;
    - registry_knockout (high, ¥1,000,000 exposure, 1 customer): exposure is not a
      loss, so it does not jump the people-ranked items;
    - unexplained_premium (medium, ¥9,999 overcharge): severity comes first;
    - breach_risk (high): a prediction, never an item.
    """
    def mk(analysis: str, rows: list[tuple]) -> pl.DataFrame:
        rule, sev, et, eid, sub, amount, detail = zip(*rows, strict=True)
        return make_findings(pl.DataFrame({
            "rule": rule, "severity": sev, "entity_type": et, "entity_id": eid,
            "subsidiary_id": sub, "amount_cny": amount,
            "detail": [json.dumps(d) for d in detail]},
            schema_overrides={"amount_cny": pl.Float64}), analysis=analysis, period="2026-Q3")

    disparity = {"metrics": [{"metric": "under_tiered_rate", "rate_group": 0.162,
                              "rate_rest": 0.032, "difference": 0.13, "people_affected": 116.7}]}
    clock = {"still_open_at_period_end": True, "channel": "regulator",
             "targets": [{"target": "resolution", "overrun": 72.4},
                         {"target": "mediation", "overrun": 27.4}]}
    return pl.concat([
        mk("tiering", [
            ("tier_disparity", "high", "group", "gender=f", None, None, disparity),
            ("hidden_benefit", "high", "grant", "G1", "S1", 150.0, {"customer_id": "C0000001"}),
            ("hidden_benefit", "medium", "grant", "G2", "S1", 50.0, {"customer_id": "C0000001"}),
            ("tier_mismatch", "medium", "customer", "C0000002", "S2", None,
             {"direction": "under"}),
            ("tier_mismatch", "medium", "customer", "C0000003", "S2", None,
             {"direction": "over"}),
        ]),
        mk("pricing", [
            ("price_disparity", "high", "group", "device_os=ios", None, 500.0,
             {"customers_overcharged": 40}),
            ("unexplained_premium", "medium", "order", "O000000009", "S1", 9999.0,
             {"customer_id": "C0000009"}),
        ]),
        mk("sla", [
            ("resolution_breach", "high", "complaint", "CP0000001", "S1", None, clock),
            ("ack_breach", "medium", "complaint", "CP0000002", "S1", None,
             {"still_open_at_period_end": False}),
            ("update_gap", "low", "complaint", "CP0000003", "S2", None, {}),
            ("breach_risk", "high", "complaint", "CP0000004", "S1", None, {"probability": 0.9}),
        ]),
        mk("credit", [
            ("registry_knockout", "high", "enterprise", "91350100M000100Y43", "S2", 1e6,
             {"customer_ids": ["C0000005"]}),
        ]),
    ]).cast(FINDINGS_SCHEMA)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return top_findings(planted(), {"S1": "测试子公司"})


def test_ranked_by_severity_then_consumer_money_then_people(items):
    # within a severity, the group disparities (a pattern against people for who they
    # are) come first, then consumer money, then people
    assert [i["key"] for i in items] == [
        "price_disparity", "tier_disparity", "hidden_benefit", "sla_clock",
        "registry_knockout", "unexplained_premium", "tier_mismatch"]
    assert [i["rank"] for i in items] == list(range(1, 8))
    assert items == sorted(items, key=rank_key)
    # the ranking can fail: by the largest amount of any kind, exposure would come first
    by_any_money = sorted(items, key=lambda i: -max((i["money"] or {"": 0}).values()))
    assert by_any_money[0]["key"] == "registry_knockout"


def test_items_hold_people_money_per_kind_and_facts(items):
    by = {i["key"]: i for i in items}
    assert by["hidden_benefit"]["money"] == {"benefit": 200.0}
    assert by["hidden_benefit"]["people"] == 1  # two grants, one customer
    assert by["hidden_benefit"]["by_severity"] == {"high": 1, "medium": 1, "low": 0}
    assert by["price_disparity"]["money"] == {"overcharge": 500.0}
    assert by["price_disparity"]["breakdown"] is True  # a group's share, not in totals
    assert by["price_disparity"]["groups"][0]["people"] == 40
    tier = by["tier_disparity"]["groups"][0]
    assert (tier["people"], tier["people_estimate"], tier["rate_group"]) == (117, True, 0.162)
    clock = by["sla_clock"]
    assert clock["rules"] == ["ack_breach", "resolution_breach", "update_gap"]
    assert (clock["findings"], clock["people"]) == (3, 3)  # the prediction is not in it
    assert clock["facts"] == {"open": 1, "regulator": 1, "legal_cap": 1}
    assert by["tier_mismatch"]["facts"] == {"under": 1, "over": 1}
    assert by["registry_knockout"]["money"] == {"exposure": 1e6}
    assert by["hidden_benefit"]["subsidiaries"] == [
        {"subsidiary_id": "S1", "name": "测试子公司", "findings": 2}]


def test_no_personal_identifiers(items):
    text = json.dumps(items, ensure_ascii=False)
    for ident in ("C000000", "CP000000", "O000000009", "G1", "91350100M000100Y43"):
        assert ident not in text, ident
    assert "gender=f" in text and "device_os=ios" in text  # group ids are not personal


def test_clean_data_gives_no_items():
    assert top_findings(planted().head(0)) == []
    only_predictions = planted().filter(pl.col("rule") == "breach_risk")
    assert top_findings(only_predictions) == []


def test_items_in_plain_words(items):
    by = {i["key"]: i for i in items}
    tier = describe(by["tier_disparity"], "zh")
    assert tier["sentence"].endswith("被评低等级：符合条件却被评低的比例 16.2%，其他客户 3.2%")
    assert tier["sentence"].startswith("女性客户")
    assert [c["text"] for c in tier["chips"]] == ["约 117 人受影响"]
    price = describe(by["price_disparity"], "zh")
    assert price["sentence"].endswith("为同一商品多付钱（大数据杀熟嫌疑）")
    assert price["chips"][0] == {"kind": "overcharge", "text": "多收金额 ¥500（分解，不计入合计）"}
    clock = describe(by["sla_clock"], "zh")["sentence"]
    assert clock == ("3 件投诉超过承诺处理时限（1 件高严重度）；其中 1 件 12315 转办投诉超过 60 天"
                     "调解上限；1 件至期末仍未处理完")
    benefit = describe(by["hidden_benefit"], "zh")
    assert benefit["sentence"] == "2 项权益不在公布的等级权益中：只发给了部分客户"
    assert benefit["where"] == "主要在：测试子公司（2 项权益）"
    assert describe(by["price_disparity"], "en")["sentence"].startswith("iOS users pay more")
    en = describe(by["sla_clock"], "en")["sentence"]
    assert en.startswith("3 complaints past a committed limit (1 high severity)")
    assert describe(by["tier_mismatch"], "zh")["sentence"] == (
        "2 位客户的会员等级与公布标准不符（1 位被评低、1 位被评高）")


def test_a_rule_without_its_own_sentence_still_reads():
    item = {"key": "new_rule", "analysis": "marketing", "rules": ["new_rule"],
            "severity": "high", "findings": 3, "by_severity": {"high": 3, "medium": 0, "low": 0},
            "entity_type": "message", "entities": 3, "people": 3, "money": {},
            "breakdown": False, "groups": [], "subsidiaries": [], "facts": {}}
    assert describe(item, "zh")["sentence"] == "new_rule：3 条商业信息"
    assert describe(item, "en")["sentence"] == "New_rule: 3 messages"


def test_others_lists_the_remaining_high_items(items):
    assert others(items, "zh") == ""  # items 6 and 7 are of medium severity
    line = others([*items[:5], items[4]], "zh")  # a sixth high-severity item
    assert line == "另有 1 类高严重度问题：登记状态否决：1 家企业客户（信用敞口 ¥1,000,000）"


def test_group_labels_read_as_people():
    assert as_customers("女性") == "女性客户"
    assert as_customers("iOS 用户") == "iOS 用户"
    assert as_customers("客户时长 36 个月以上") == "客户时长 36 个月以上的客户"


def test_evidence_of_another_shape_does_not_break_the_facts():
    from workbench.report.top_findings import _facts

    odd = pl.DataFrame({"detail": ['{"targets": "none"}', '{"targets": [1, 2]}', None]})
    assert _facts(odd) == {}


def marketing() -> pl.DataFrame:
    """Marketing findings as the analysis writes them (no recipient in the evidence):
    three messages without consent to two people, one of them after a withdrawal
    (high); two late requests, one still open (high); one advertisement labelled as a
    service message (medium)."""
    msg = {"channel": "sms", "purpose_label": "marketing", "commercial_because": "purpose"}
    rows = [
        ("marketing_without_consent", "high", "message", "M1",
         {**msg, "consent_state": "withdrawn", "after_withdrawal": True}),
        ("marketing_without_consent", "medium", "message", "M2",
         {**msg, "consent_state": "none", "after_withdrawal": False}),
        ("marketing_without_consent", "medium", "message", "M3",
         {**msg, "consent_state": "none", "after_withdrawal": False}),
        ("privacy_request_overdue", "high", "request", "R1", {"still_open_at_period_end": True}),
        ("privacy_request_overdue", "medium", "request", "R2",
         {"still_open_at_period_end": False}),
        ("ad_unlabelled", "medium", "message", "M4",
         {**msg, "purpose_label": "service", "commercial_because": "content"}),
    ]
    rule, sev, et, eid, detail = zip(*rows, strict=True)
    return make_findings(pl.DataFrame({
        "rule": rule, "severity": sev, "entity_type": et, "entity_id": eid,
        "subsidiary_id": ["S1"] * len(rule), "detail": [json.dumps(d) for d in detail]}),
        analysis="marketing", period="2026-Q3").cast(FINDINGS_SCHEMA)  # type: ignore[arg-type]


def test_marketing_items_count_their_people_and_what_makes_them_worse():
    f = marketing()
    owners = {"M1": "C1", "M2": "C1", "M3": "C2", "R1": "C3", "R2": "C4", "M4": "C5"}
    lookup = f.select("finding_id", pl.col("entity_id").replace_strict(owners)
                      .alias("customer_id"))
    by = {i["key"]: i for i in top_findings(f, customers=lookup)}
    consent, late = by["marketing_without_consent"], by["privacy_request_overdue"]
    assert (consent["entities"], consent["people"]) == (3, 2)  # two messages to C1
    assert consent["facts"] == {"after_withdrawal": 1}
    assert late["people"] == 2 and late["facts"] == {"open": 1}
    assert by["ad_unlabelled"]["facts"] == {"by_content": 1}
    # both high: more people first; without the runner's look-up nobody is counted
    assert [i["key"] for i in top_findings(f, customers=lookup)][:2] == [
        "marketing_without_consent", "privacy_request_overdue"]
    assert top_findings(f)[0]["people"] is None
    assert "C1" not in json.dumps(top_findings(f, customers=lookup))  # counted, never listed
    assert describe(consent, "zh")["sentence"] == (
        "3 条商业信息在没有有效营销同意时发出，其中 1 条发出时客户已撤回同意")
    assert [c["text"] for c in describe(consent, "zh")["chips"]] == ["2 位客户", "高严重度 1"]
    assert describe(late, "zh")["sentence"] == (
        "2 项个人信息请求超过办结时限，其中 1 项至期末仍未办结")
    assert describe(by["ad_unlabelled"], "zh")["sentence"] == (
        "1 条商业信息未标明“广告”，其中 1 条标为服务或交易信息、实为广告")
    assert describe(consent, "en")["sentence"] == (
        "3 messages sent with no marketing consent in force; 1 of them after the person had "
        "withdrawn consent")
    assert describe(late, "en")["sentence"] == (
        "2 privacy requests past their time limit; 1 still open at the period end")
