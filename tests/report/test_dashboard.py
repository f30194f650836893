"""Headline metrics (metrics.json) and the executive dashboard."""

from __future__ import annotations

import re

import polars as pl
import pytest

from workbench.analysis import write_json
from workbench.config import ConfigError
from workbench.contract import FINDINGS_SCHEMA
from workbench.findings import make_findings
from workbench.periods import parse_period
from workbench.report import headlines as hl
from workbench.report.dashboard import (
    HEADLINES,
    TEXT,
    dashboard_html,
    delta_text,
    light,
    load_thresholds,
)
from workbench.report.privacy import Scanner
from workbench.report.render import external_references

ALL = ["tiering", "pricing", "sla", "credit", "marketing"]
Q3 = parse_period("2026-Q3")
#: What the marketing evidence says of its messages (the sample's keys).
WITHDRAWN = ('{"channel": "sms", "sent_at": "2026-07-05T10:00:00", "purpose_label": "marketing", '
             '"commercial_because": "purpose", "consent_state": "withdrawn", '
             '"after_withdrawal": true, "withdrawn_at": "2026-06-01T00:00:00"}')
DISGUISED = ('{"channel": "email", "sent_at": "2026-07-06T10:00:00", "purpose_label": "service", '
             '"commercial_because": "content", "signals": ["discount"]}')


def findings() -> pl.DataFrame:
    def mk(analysis, rows):
        rule, sev, et, eid, sub, amount, *detail = zip(*rows, strict=True)
        return make_findings(pl.DataFrame({
            "rule": rule, "severity": sev, "entity_type": et, "entity_id": eid,
            "subsidiary_id": sub, "amount_cny": amount,
            "detail": detail[0] if detail else [None] * len(rule)},
            schema_overrides={"amount_cny": pl.Float64, "detail": pl.String}),
            analysis=analysis, period="2026-Q3")

    return pl.concat([
        mk("tiering", [("tier_mismatch", "medium", "customer", "Z9", "S1", None),
                       ("hidden_benefit", "high", "grant", "G-ZQXID-1", "S1", 120.5),
                       ("hidden_benefit", "low", "grant", "G-ZQXID-2", "S2", 79.5)]),
        mk("pricing", [("price_disparity", "high", "group", "device_os=ios", None, 500.0),
                       ("unexplained_premium", "medium", "order", "ORD-ZQXID-4", "S2", 30.0)]),
        mk("sla", [("ack_breach", "high", "complaint", "Z9", "S1", None),
                   ("ack_breach", "high", "complaint", "OLD1", "S1", None),  # received before P
                   ("update_gap", "low", "complaint", "A1", "S1", None),
                   ("breach_risk", "low", "complaint", "K3", "S1", None)]),
        # one enterprise with two alerts: its receivables count once
        mk("credit", [("registry_knockout", "high", "enterprise", "91350100M000100Y43", "S2",
                       10_000.0),
                      ("registry_change", "medium", "enterprise", "91350100M000100Y43", "S2",
                       10_000.0),
                      ("annual_report_overdue", "low", "enterprise", "91110105524876441M", None,
                       None)]),
        # a message after the person withdrew consent (high), an advertisement labelled as a
        # service message, a privacy request past its limit
        mk("marketing", [("marketing_without_consent", "high", "message", "MSG-ZQXID-1", "S1",
                          None, WITHDRAWN),
                         ("ad_unlabelled", "medium", "message", "MSG-ZQXID-2", "S2", None,
                          DISGUISED),
                         ("privacy_request_overdue", "low", "request", "REQ-ZQXID-1", "S1", None,
                          '{"kind": "access", "still_open_at_period_end": true}')]),
    ]).cast(FINDINGS_SCHEMA)  # type: ignore[arg-type]


def recipients(f: pl.DataFrame) -> pl.DataFrame:
    """The runner's look-up of the marketing findings' customers (one person each)."""
    mine = f.filter(pl.col("entity_type").is_in(["message", "request"]))
    return mine.select("finding_id", pl.format("C-{}", "entity_id").alias("customer_id"))


#: Each analysis's own headline numbers, as its notebook saves them (metrics.json).
HEADLINES_SAVED = {
    "tiering": {"customers_in_scope": 4, "tier_mismatch": 1, "correctly_tiered_share": 0.75,
                "hidden_benefit_grants": 2, "hidden_benefit_cny": 200.0},
    "pricing": {"orders_in_period": 2, "price_disparity_groups": 1, "group_overcharge_cny": 500.0,
                "unexplained_premium_orders": 1, "overcharge_cny": 30.0,
                "unpublished_promotion_orders": 0},
    "sla": {"complaints_received": 4, "breached_ack": 1, "adherence_ack": 0.75,
            "breached_acceptance": 0, "adherence_acceptance": 1.0, "breached_resolution": 0,
            "adherence_resolution": 1.0, "breached_update": 1, "adherence_update": 0.75,
            "breach_risk": 1, "recurring_causes": 0, "missing_records": 0},
    "credit": {"enterprises_graded": 2, "grades": {"AAA": 0, "AA": 1, "A": 0, "BBB": 0, "BB": 1,
                                                   "reject": 0},
               "receivables_outstanding_cny": 400.0, "receivables_aa_cny": 300.0,
               "receivables_aa_share": 0.75, "registry_alerts": 2, "registry_knockouts": 1,
               "invalid_uscc": 0},
    "marketing": {"evaluated": True, "messages": 10, "commercial": 8, "commercial_by_content": 1,
                  "consent_coverage": 0.875, "requests_received": 2, "requests_judged": 2,
                  "requests_met": 1, "requests_overdue": 1, "requests_running": 0,
                  "on_time_share": 0.5, "refusals": 0, "refusals_without_reason": 0,
                  "ad_unlabelled": 1, "absolute_term": 0, "no_opt_out": 0,
                  "marketing_without_consent": 1, "privacy_request_overdue": 1,
                  "refusal_without_reason": 0},
}
#: The marketing analysis on a source without its tables (workbench/marketing/_analysis.py).
NOT_EVALUATED = {"evaluated": False, "note": {
    "zh": "未评估：数据源没有营销与个人信息表（marketing_messages、consents、privacy_requests）。",
    "en": "Not evaluated: the source has no marketing and personal-information tables "
          "(marketing_messages, consents, privacy_requests)."}}


def compute(f: pl.DataFrame, analyses=ALL, saved=None) -> dict:
    return hl.compute_metrics(f, Q3, analyses, HEADLINES_SAVED if saved is None else saved,
                              names={"S1": "测试子公司"}, customers=recipients(f))


@pytest.fixture(scope="module")
def metrics() -> dict:
    return compute(findings())


def test_headlines_are_the_analyses_own_numbers(metrics):
    a = metrics["analyses"]
    for analysis in ALL:
        assert a[analysis]["headline"] == HEADLINES_SAVED[analysis]
    # what the report adds: simple counts of the published findings
    assert a["tiering"]["by_severity"] == {"high": 1, "medium": 1, "low": 1}
    assert a["tiering"]["findings"] == 3 and a["sla"]["findings"] == 4
    assert a["sla"]["by_severity"]["high"] == 2
    assert {s["subsidiary_id"]: s["name"] for s in metrics["subsidiaries"]}["S1"] == "测试子公司"
    assert {(r["analysis"], r["rule"]): r["findings"] for r in metrics["rules"]}[
        ("sla", "ack_breach")] == 2


def test_money_is_per_kind_and_counted_once(metrics):
    # the report's totals: the group amount (a breakdown) is not added to the order
    # overcharge; the enterprise with two alerts counts its receivables once
    assert metrics["money"] == {"overcharge": 30.0, "benefit": 200.0, "discount": 0.0,
                                "exposure": 10_000.0}
    a = metrics["analyses"]
    assert a["tiering"]["money"] == {"benefit": 200.0}
    assert a["pricing"]["money"] == {"overcharge": 30.0, "discount": 0.0}
    assert a["sla"]["money"] == {}  # no rule of the SLA analysis carries money
    assert a["credit"]["money"] == {"exposure": 10_000.0}
    assert all("amount_cny" not in v for v in a.values())  # no one-number sum across kinds
    rules = {r["rule"]: r for r in metrics["rules"]}
    assert rules["price_disparity"] == {"analysis": "pricing", "rule": "price_disparity",
                                        "findings": 1, "amount_kind": "overcharge",
                                        "amount_cny": 500.0, "in_total": False,
                                        "by_severity": {"high": 1, "medium": 0, "low": 0}}
    assert rules["registry_change"]["amount_kind"] == "exposure"
    assert rules["ack_breach"]["amount_cny"] is None and rules["ack_breach"]["amount_kind"] is None


def test_league_is_by_high_severity_then_consumer_harm_with_money_per_kind(metrics):
    league = metrics["subsidiaries"]
    # not by a sum across kinds: S2's ¥10,000 of receivables does not put it first
    assert [s["subsidiary_id"] for s in league] == ["S1", "S2", "(none)"]
    assert league[1] == {"subsidiary_id": "S2", "findings": 5, "high": 1, "tiering": 1,
                         "pricing": 1, "sla": 0, "credit": 2, "marketing": 1, "name": None,
                         "predicted": 0,
                         "money": {"overcharge": 30.0, "benefit": 79.5, "discount": 0.0,
                                   "exposure": 10_000.0}}
    assert league[2]["money"] == dict.fromkeys(("overcharge", "benefit", "discount", "exposure"),
                                               0.0)  # the group amount is a breakdown
    for kind in metrics["money"]:
        assert sum(s["money"][kind] for s in league) == metrics["money"][kind]


def test_dashboard_shows_money_per_kind_never_summed(metrics):
    html = dashboard_html(metrics, Q3, ALL)
    harm = html[html.index("id='consumer-harm'"):html.index("id='credit-exposure'")]
    assert "data-kind='overcharge'" in harm and "data-kind='benefit'" in harm
    assert "¥30" in harm and "¥200" in harm and "¥230" not in harm  # side by side, not added
    assert "大数据杀熟：群体价格差异：¥500 多收金额（分解，不计入合计）" in harm
    assert "未归因于任何被标记群体" not in harm  # the pricing headline does not say
    import copy

    m = copy.deepcopy(metrics)
    m["analyses"]["pricing"]["headline"]["unattributed_overcharge_cny"] = 7.5
    harm = dashboard_html(m, Q3, ALL)
    assert "未归因于任何被标记群体：¥8" in harm
    exposure = html[html.index("id='credit-exposure'"):html.index("id='discount-given'")]
    assert "¥10,000" in exposure and "¥20,000" not in html
    assert "客户所得，不计入涉及金额" in html  # discounts are not money at stake
    assert "¥10,230" not in html and "¥10,730" not in html  # no total across kinds
    # the league table: one column per kind; the rules table: "—" for a rule with no money
    league = html[html.index("id=\"league\""):html.index("</table>", html.index("id=\"league\""))]
    assert league.count("<th>多收金额</th>") == 1 and "<th>信用敞口</th>" in league
    rules = html[html.index("id=\"rules\""):]
    assert "<code>ack_breach</code>" in rules
    row = rules[rules.index("<code>ack_breach</code>"):]
    assert row[:row.index("</tr>")].count("'>—</td>") == 1
    assert "¥0" not in rules[:rules.index("</table>")]
    # a panel gives its analysis's money per kind, consumer harm first (as metrics.json is
    # read back from disk: keys sorted)
    pricing = html[html.index("id='panel-pricing'"):html.index("id='panel-sla'")]
    assert "· 多收金额 ¥30 · 未公告优惠 ¥0</div>" in pricing
    import json

    again = dashboard_html(json.loads(json.dumps(metrics, sort_keys=True)), Q3, ALL)
    assert "· 多收金额 ¥30 · 未公告优惠 ¥0</div>" in again
    en = dashboard_html(metrics, Q3, ALL, lang="en")
    assert "Consumer harm (overcharge and unpublished benefits side by side" in en
    assert "¥500 Overcharge (breakdown, not added to totals)" in en


def test_a_kind_no_analysis_ran_for_says_so(metrics):
    html = dashboard_html(metrics, Q3, ["tiering", "sla"])
    exposure = html[html.index("id='credit-exposure'"):html.index("id='discount-given'")]
    assert "未运行" in exposure
    assert "<th>信用敞口</th>" not in html and "<th>未公示权益</th>" in html


def test_no_findings_and_no_headline():
    m = hl.compute_metrics(findings().head(0), Q3, ["tiering", "credit"], {})
    none = {"high": 0, "medium": 0, "low": 0}
    assert m["analyses"]["tiering"] == {
        "findings": 0, "money": {"benefit": 0.0}, "headline": {}, "by_severity": none,
        "violations": {"findings": 0, "by_severity": none},
        "predictions": {"findings": 0, "by_severity": none, "rules": []}}
    assert m["money"] == {"overcharge": 0.0, "benefit": 0.0, "discount": 0.0, "exposure": 0.0}
    assert m["rules"] == [] and m["subsidiaries"] == [] and m["top_findings"] == []
    html = dashboard_html(m, Q3, ["tiering", "credit"])
    assert html.count("data-status='none'") == 4 and "本期无发现" in html


def test_every_headline_has_a_threshold_and_a_metric(metrics):
    thresholds = load_thresholds()
    keys = [h.key for hs in HEADLINES.values() for h in hs]
    assert sorted(keys) == sorted(thresholds)
    assert all(hl.headline_value(metrics, k) is not None for k in keys)


def test_lights_and_deltas():
    rule = {"better": "higher", "green": 0.95, "amber": 0.9}
    assert [light(v, rule) for v in (0.99, 0.95, 0.92, 0.5, None)] == [
        "green", "green", "amber", "red", "none"]
    assert delta_text(0.9, 0.95, "share", "higher", "zh") == ("较上期 ▼ 5.0 个百分点", "bad")
    assert delta_text(3, 5, "count", "lower", "en") == ("vs previous period ▼ 2", "good")
    # no previous value: no "无上期数据" on every headline (one trends line says it once)
    assert delta_text(1.0, None, "cny", "lower", "zh") == ("", "")
    # any high-severity breach behind a headline on target makes it amber, never green
    assert light(0.965, rule, high=9) == "amber" and light(0.965, rule, high=0) == "green"
    assert light(0.5, rule, high=9) == "red"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sla.adherence_ack: {better: higher, green: 0.9, amber: 0.95}\n",
         "sla.adherence_ack: amber must be on the worse side of green"),
        ("sla.adherence_ack: {better: up, green: 0.9, amber: 0.8}\n",
         r"sla.adherence_ack.better: 'up' is not one of \['higher', 'lower'\]"),
        ("sla.adherence_ack: {better: higher, green: 0.9}\n",
         "sla.adherence_ack.amber: required key is missing"),
        ("sla.adherence_ack: {better: higher, green: high, amber: 0.8}\n",
         "sla.adherence_ack.green: expected a number, got 'high'"),
        ("sla.adherence: {better: higher, green: 0.9, amber: 0.8}\n",
         "sla.adherence: not a dashboard headline"),
    ],
)
def test_bad_thresholds_are_refused(tmp_path, text, message):
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=f"dashboard thresholds file {path}: {message}"):
        load_thresholds(path)


def test_every_headline_has_a_label_in_every_language():
    keys = {h.key for hs in HEADLINES.values() for h in hs}
    for lang, text in TEXT.items():
        assert keys <= set(text), lang
    assert set(TEXT["zh"]) == set(TEXT["en"])


def test_text_is_escaped(metrics):
    import copy

    m = copy.deepcopy(metrics)
    m["subsidiaries"][1]["name"] = "<script>alert(1)</script>"
    html = dashboard_html(m, Q3, ALL)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def previous_metrics(metrics: dict, label: str, scale: float) -> dict:
    import copy

    m = copy.deepcopy(metrics)
    m["period"]["label"] = label
    m["analyses"]["tiering"]["headline"]["correctly_tiered_share"] = 0.75 * scale
    return m


def test_dashboard_first_screen(metrics):
    history = [previous_metrics(metrics, "2026-Q2", 1.2), metrics]
    html = dashboard_html(metrics, Q3, ALL, history=history)
    assert external_references(html) == []
    assert html.count("plotly.js v") == 1
    assert '<meta charset="utf-8">' in html and 'lang="zh-CN"' in html
    assert "合规证据仪表板" in html and "Compliance evidence dashboard" not in html
    for a in ALL:
        assert f"href='{a}.html'" in html
    statuses = dict(re.findall(r"data-key='([^']+)' data-status='(\w+)'", html))
    assert statuses == {
        "tiering.correctly_tiered_share": "red", "tiering.hidden_benefit_cny": "amber",
        "pricing.price_disparity_groups": "amber", "pricing.overcharge_cny": "amber",
        "sla.adherence_ack": "red", "sla.adherence_acceptance": "green",
        "sla.adherence_resolution": "green", "sla.adherence_update": "red",
        "credit.receivables_aa_share": "green", "credit.registry_alerts": "amber",
        # 1 of 8 commercial messages unlabelled, 1 without consent; 1 of 2 requests late
        "marketing.ad_label_share": "red", "marketing.opt_out_share": "green",
        "marketing.absolute_term": "green", "marketing.consent_coverage": "red",
        "marketing.on_time_share": "red", "marketing.refusals_without_reason": "green",
    }
    assert "75.0%" in html and "较上期 ▼ 15.0 个百分点" in html
    assert "6 项达标 · 4 项需关注 · 6 项超限" in html
    from plotly.offline import get_plotlyjs

    ours = html.replace(get_plotlyjs(), "")
    assert "ZQXID" not in ours and "Z9" not in ours  # no entity ids
    assert Scanner().scan_text(html) == []


def test_dashboard_in_english(metrics):
    html = dashboard_html(metrics, Q3, ALL, lang="en")
    assert 'lang="en"' in html and "Compliance evidence dashboard" in html
    assert "合规证据仪表板" not in html and "trend charts start with the next period" in html
    with pytest.raises(ValueError):
        dashboard_html(metrics, Q3, ALL, lang="fr")


def test_dashboard_links_only_the_analyses_that_ran(metrics):
    html = dashboard_html(metrics, Q3, ["tiering"])
    assert "href='tiering.html'" in html and "href='sla.html'" not in html


def test_history_reads_earlier_periods_of_the_same_kind(tmp_path, metrics):
    for label in ("2025-Q4", "2026-Q2", "2026-Q4", "2026-08"):
        (tmp_path / label).mkdir()
        write_json(previous_metrics(metrics, label, 1.0), tmp_path / label / hl.METRICS_FILE)
    (tmp_path / ".superseded" / "2026-Q1-x").mkdir(parents=True)
    labels = [m["period"]["label"] for m in hl.history(tmp_path, Q3, metrics)]
    assert labels == ["2025-Q4", "2026-Q2", "2026-Q3"]


def test_panel_totals_separate_thousands_and_keep_predictions_apart(metrics):
    """Issue #16: "中 1865" lacked a separator next to "2,341", and predicted breach
    risks were counted as 问题 beside actual breaches."""
    html = dashboard_html(metrics, Q3, ALL)
    sla = html[html.index("id='panel-sla'"):html.index("id='panel-credit'")]
    # 4 SLA findings, one of them a prediction: 3 problems, the prediction said apart
    assert "问题 3 项（高 2 · 中 0 · 低 1）" in sla
    assert "另有预测 1 项（预计超时的在办投诉）：尚未违规，不计入问题" in sla
    english = dashboard_html(metrics, Q3, ALL, lang="en")
    assert "Predictions apart: 1 (open complaint predicted to breach), not breaches yet" in english
    pricing = {**metrics["analyses"]["pricing"], "findings": 2341,
               "by_severity": {"high": 180, "medium": 1031, "low": 1130},
               "violations": {"findings": 2341,
                              "by_severity": {"high": 180, "medium": 1031, "low": 1130}}}
    big = {**metrics, "analyses": {**metrics["analyses"], "pricing": pricing}}
    assert "问题 2,341 项（高 180 · 中 1,031 · 低 1,130）" in dashboard_html(big, Q3, ALL)
    # the league counts violations only; the rules table puts the prediction last, marked
    s1 = next(s for s in metrics["subsidiaries"] if s["subsidiary_id"] == "S1")
    assert (s1["findings"], s1["high"], s1["sla"], s1["marketing"], s1["predicted"]) == (
        7, 4, 3, 2, 1)
    order = re.findall(r"<tr data-rule='(\w+)'", html)
    assert order[-1] == "breach_risk" and "（预测，尚未违规，不计入问题）" in html


def test_top_block_names_the_worst_first_in_words(metrics):
    """Issue #16: the first screen did not say what is worst. The 最需关注 block comes
    first, ranked by severity, then consumer money, then people; money per kind."""
    html = dashboard_html(metrics, Q3, ALL)
    assert html.index("id=\"top\"") < html.index("id='panel-tiering'")
    top = html[html.index("id=\"top\""):html.index("id=\"money\"")]
    keys = re.findall(r"<li data-key='(\w+)' data-severity='(\w+)'", top)
    # the message sent after a withdrawal touches one person: ahead of the registry
    # knock-out, whose exposure is no loss to anyone; the medium overcharge is sixth
    assert keys == [("price_disparity", "high"), ("hidden_benefit", "high"),
                    ("sla_clock", "high"), ("marketing_without_consent", "high"),
                    ("registry_knockout", "high")]
    assert "1 条商业信息在没有有效营销同意时发出，其中 1 条发出时客户已撤回同意" in top
    assert "1 位客户" in top and "MSG-ZQXID" not in html and "C-MSG" not in html
    assert "为同一商品多付钱（大数据杀熟嫌疑）" in top
    assert "多收金额 ¥500（分解，不计入合计）" in top and "未公示权益 ¥200" in top
    assert "3 件投诉超过承诺处理时限（2 件高严重度）" in top
    assert "breach_risk" not in top and "预计超时" not in top  # predictions are not problems
    assert "¥10,200" not in top and "¥10,500" not in top  # never added across kinds
    assert "主要在：测试子公司" in top
    en = dashboard_html(metrics, Q3, ALL, lang="en")
    assert "pay more for the same goods (suspected big-data price discrimination)" in en


def test_headlines_show_target_breaches_and_no_green_beside_high_breaches(metrics):
    html = dashboard_html(metrics, Q3, ALL)
    ack = html[html.index("data-key='sla.adherence_ack'"):]
    ack = ack[:ack.index("</div></div>")]
    assert "目标 ≥ 95.0%" in ack and "超时 1 件投诉（高严重度 2）" in ack
    assert "目标 ¥0" in html and "等级不符 1 位客户" in html
    # acceptance on target (100 %) but with a high-severity breach of its limit: amber
    extra = make_findings(pl.DataFrame({
        "rule": ["acceptance_breach"], "severity": ["high"], "entity_type": ["complaint"],
        "entity_id": ["Q7"], "subsidiary_id": ["S1"]}), analysis="sla", period="2026-Q3")
    m = hl.compute_metrics(pl.concat([findings(), extra.cast(FINDINGS_SCHEMA)]), Q3, ALL,
                           HEADLINES_SAVED)
    statuses = dict(re.findall(r"data-key='([^']+)' data-status='(\w+)'",
                               dashboard_html(m, Q3, ALL)))
    assert statuses["sla.adherence_acceptance"] == "amber"
    assert statuses["sla.adherence_resolution"] == "green"  # no breach: green stays green


def test_trends_only_from_two_periods_with_units(metrics):
    one = dashboard_html(metrics, Q3, ALL)
    assert "目前只有本期数据：趋势图从下一个报告期开始显示。" in one
    assert one.count("class=\"plotly-graph-div\"") == 1  # the league chart only
    assert "无上期数据" not in one and "较上期" not in one
    two = dashboard_html(metrics, Q3, ALL, history=[previous_metrics(metrics, "2026-Q2", 1.2),
                                                    metrics])
    # a trend per headline (tiering 2, pricing 2, SLA 4, credit 2, marketing 6) + league
    assert two.count("class=\"plotly-graph-div\"") == 17 and two.count("plotly.js v") == 1
    # every trend axis in its unit: ¥ with separators (2), % (10), whole counts (4); no SI
    yen = r'"tickformat":",\.0f","ticksuffix":"","tickprefix":"(?:¥|\\u00a5)"'
    assert len(re.findall(yen, two)) == 2
    assert two.count('"tickformat":".1f","ticksuffix":"%"') == 10
    assert two.count('"tickformat":",d"') == 4 and '"displayModeBar": false' in two
    assert "目前只有本期数据" not in two


def test_rules_table_by_severity_then_money_with_a_dash_for_no_money(metrics):
    html = dashboard_html(metrics, Q3, ALL)
    order = re.findall(r"<tr data-rule='(\w+)'", html)
    assert order == ["price_disparity", "hidden_benefit", "registry_knockout", "ack_breach",
                     "marketing_without_consent", "unexplained_premium", "registry_change",
                     "ad_unlabelled", "tier_mismatch", "annual_report_overdue",
                     "privacy_request_overdue", "update_gap", "breach_risk"]
    table = html[html.index('id="rules"'):html.index("</table>", html.index('id="rules"'))]
    assert "¥0" not in table and table.count("'>—</td>") == 8
    assert "《消费者权益保护法》第十条" in table and "Consumer Protection Law" not in table


def test_an_analysis_that_did_not_run_reads_not_evaluated(metrics):
    html = dashboard_html(metrics, Q3, ["tiering"])
    pricing = html[html.index("id='panel-pricing'"):html.index("id='panel-sla'")]
    assert "data-status='not-evaluated'" in pricing and "未评估" in pricing
    assert "href='pricing.html'" not in html and "1 项达标" not in html
    assert "本期未运行此项分析，没有结论。" in pricing


def _panel(html: str, analysis: str) -> str:
    panel = html[html.index(f"id='panel-{analysis}'"):]
    return panel[:panel.index("</section>")]


def test_marketing_panel_rates_beside_breaches_and_targets(metrics):
    """Issue #17: the marketing panel, each rate with its target and the breaches
    behind it; the two message shares are derived from the analysis's own counts."""
    assert hl.headline_value(metrics, "marketing.ad_label_share") == 0.875  # 1 − 1/8
    assert hl.headline_value(metrics, "marketing.opt_out_share") == 1.0
    panel = _panel(dashboard_html(metrics, Q3, ALL), "marketing")
    assert "href='marketing.html'" in panel and "营销与个人信息" in panel
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", panel))
    for expected in ("符合广告标识要求的商业信息 87.5% 超限 目标 100% 未标明广告 1 条商业信息",
                     "发送时有有效营销同意的商业信息 87.5% 超限 目标 100% 无有效同意 1 条商业信息"
                     "（高严重度 1）",
                     "按时办结的个人信息请求 50.0% 超限 目标 100% 逾期 1 项个人信息请求",
                     "使用绝对化用语的商业信息 0 达标 目标 0",
                     "拒绝请求而未说明理由 0 达标 目标 0",
                     "问题 3 项（高 1 · 中 1 · 低 1）",
                     "外呼电话不适用广告标识和拒收方式的要求"):
        assert expected in text, (expected, text)
    en = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _panel(
        dashboard_html(metrics, Q3, ALL, lang="en"), "marketing")))
    assert "Commercial messages sent with consent in force 87.5% off target target 100% " \
           "without consent: 1 message (1 high severity)" in en
    # a high-severity finding holds an on-target share at amber; none: green
    m = compute(findings(), saved={**HEADLINES_SAVED, "marketing": {
        **HEADLINES_SAVED["marketing"], "consent_coverage": 1.0, "on_time_share": 1.0}})
    statuses = dict(re.findall(r"data-key='([^']+)' data-status='(\w+)'",
                               dashboard_html(m, Q3, ALL)))
    assert statuses["marketing.consent_coverage"] == "amber"
    assert statuses["marketing.on_time_share"] == "green"  # its finding is low severity


def test_marketing_not_evaluated_says_so_plainly(metrics):
    """Issue #17: a source without the marketing tables renders the other four and
    the marketing panel says 未评估 and why: no light, no league column, no trend."""
    f = findings().filter(pl.col("analysis") != "marketing")
    saved = {**HEADLINES_SAVED, "marketing": NOT_EVALUATED}
    m = compute(f, saved=saved)
    previous = previous_metrics(m, "2026-Q2", 1.2)
    html = dashboard_html(m, Q3, ALL, history=[previous, m], worklists=True)
    panel = _panel(html, "marketing")
    assert "data-status='not-evaluated'" in panel and "<p class='state'>未评估</p>" in panel
    assert "数据源没有营销与个人信息表（marketing_messages、consents、privacy_requests）。" in panel
    assert "未评估：数据源" not in panel  # said once
    assert "href='marketing.html'" in panel  # its report exists and says why
    assert "data-key='marketing." not in html  # no lights, no trends
    assert "3 项达标 · 4 项需关注 · 3 项超限" in html  # the other four only
    assert html.count("class=\"plotly-graph-div\"") == 11  # 10 trends + the league
    league = html[html.index('id="league"'):html.index("</table>", html.index('id="league"'))]
    assert "营销与个人信息" not in league
    for a in ("tiering", "pricing", "sla", "credit"):
        assert "data-status='not-evaluated'" not in _panel(html, a)
    en = _panel(dashboard_html(m, Q3, ALL, lang="en"), "marketing")
    assert "not evaluated" in en and "The source has no marketing and personal-information" in en
    # a note of another shape still reads
    odd = compute(f, saved={**HEADLINES_SAVED, "marketing": {"evaluated": False}})
    assert "数据源缺少本项分析所需的数据表" in _panel(dashboard_html(odd, Q3, ALL), "marketing")


def test_a_legal_basis_gloss_with_parentheses_inside_is_dropped_in_chinese():
    from workbench.contract import RULES
    from workbench.report.dashboard import legal_basis

    basis = RULES["absolute_term"].legal_basis
    assert "9(3)" in basis  # the gloss nests parentheses
    zh = legal_basis(basis, "zh")
    assert zh == ("《广告法》第九条第（三）项、第五十七条；《广告绝对化用语执法指南》"
                  "(市场监管总局公告2023年第6号)")
    assert ASCII_RUN.findall(zh) == [] and legal_basis(basis, "en") == basis


ASCII_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[\s,.;:()/&+-]+[A-Za-z][A-Za-z'’-]*){2,}")


def visible_text(html: str) -> str:
    """The text a reader sees: no scripts, styles, tags or code identifiers."""
    for tag in ("script", "style", "code", "title"):
        html = re.sub(rf"<{tag}\b.*?</{tag}>", " ", html, flags=re.S)
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


def test_the_chinese_dashboard_has_no_english_sentence(metrics):
    html = dashboard_html(metrics, Q3, ALL, history=[previous_metrics(metrics, "2026-Q2", 1.2),
                                                     metrics], worklists=True)
    text = visible_text(html)
    assert ASCII_RUN.findall(text) == []
    assert "<title>合规证据仪表板 · 2026-Q3</title>" in html
    # the check can fail: the English legal-basis glosses were visible before
    assert ASCII_RUN.findall("《消费者权益保护法》第十条 (Consumer Protection Law art. 10)")
