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

ALL = ["tiering", "pricing", "sla", "credit"]
Q3 = parse_period("2026-Q3")


def findings() -> pl.DataFrame:
    def mk(analysis, rows):
        rule, sev, et, eid, sub, amount = zip(*rows, strict=True)
        return make_findings(pl.DataFrame({
            "rule": rule, "severity": sev, "entity_type": et, "entity_id": eid,
            "subsidiary_id": sub, "amount_cny": amount},
            schema_overrides={"amount_cny": pl.Float64}),
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
        mk("credit", [("registry_knockout", "high", "enterprise", "91350100M000100Y43", "S2", None),
                      ("annual_report_overdue", "low", "enterprise", "91110105524876441M", None,
                       None)]),
    ]).cast(FINDINGS_SCHEMA)  # type: ignore[arg-type]


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
}


@pytest.fixture(scope="module")
def metrics() -> dict:
    return hl.compute_metrics(findings(), Q3, ALL, HEADLINES_SAVED, names={"S1": "测试子公司"})


def test_headlines_are_the_analyses_own_numbers(metrics):
    a = metrics["analyses"]
    for analysis in ALL:
        assert a[analysis]["headline"] == HEADLINES_SAVED[analysis]
    # what the report adds: simple counts of the published findings
    assert a["tiering"]["by_severity"] == {"high": 1, "medium": 1, "low": 1}
    assert a["tiering"]["findings"] == 3 and a["tiering"]["amount_cny"] == 200.0
    assert a["sla"]["findings"] == 4 and a["sla"]["by_severity"]["high"] == 2
    assert metrics["subsidiaries"][0] == {"subsidiary_id": "(none)", "findings": 2, "high": 1,
                                          "amount_cny": 500.0, "tiering": 0, "pricing": 1, "sla": 0,
                                          "credit": 1, "name": None}
    assert {s["subsidiary_id"]: s["name"] for s in metrics["subsidiaries"]}["S1"] == "测试子公司"
    assert {(r["analysis"], r["rule"]): r["findings"] for r in metrics["rules"]}[
        ("sla", "ack_breach")] == 2


def test_no_findings_and_no_headline():
    m = hl.compute_metrics(findings().head(0), Q3, ["tiering", "credit"], {})
    assert m["analyses"]["tiering"] == {"findings": 0, "amount_cny": 0.0, "headline": {},
                                        "by_severity": {"high": 0, "medium": 0, "low": 0}}
    assert m["rules"] == [] and m["subsidiaries"] == []
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
    assert delta_text(1.0, None, "cny", "lower", "zh") == ("无上期数据", "")


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
    }
    assert "75.0%" in html and "较上期 ▼ 15.0 个百分点" in html
    assert "3 项达标 · 4 项需关注 · 3 项超限" in html
    from plotly.offline import get_plotlyjs

    ours = html.replace(get_plotlyjs(), "")
    assert "ZQXID" not in ours and "Z9" not in ours  # no entity ids
    assert Scanner().scan_text(html) == []


def test_dashboard_in_english(metrics):
    html = dashboard_html(metrics, Q3, ALL, lang="en")
    assert 'lang="en"' in html and "Compliance evidence dashboard" in html
    assert "合规证据仪表板" not in html and "no previous period" in html
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
