"""Headline metrics (metrics.json) and the executive dashboard."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from tests.report.conftest import stub_frames
from workbench.contract import CREDIT_GRADES_SCHEMA, FINDINGS_SCHEMA
from workbench.findings import make_findings
from workbench.periods import parse_period
from workbench.report import headlines as hl
from workbench.report.dashboard import (
    HEADLINES,
    dashboard_html,
    delta_text,
    light,
    load_thresholds,
    summarize,
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
            "subsidiary_id": sub, "amount_cny": amount}, schema_overrides={"amount_cny": pl.Float64}),
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
                      ("annual_report_overdue", "low", "enterprise", "91110105524876441M", None, None)]),
    ]).cast(FINDINGS_SCHEMA)  # type: ignore[arg-type]


def grades() -> pl.DataFrame:
    return pl.DataFrame({"customer_id": ["C1", "C2"], "uscc": ["u1", "u2"], "score": [700.0, 500.0],
                         "pd": [0.01, 0.2], "grade": ["AA", "BB"], "credit_limit_cny": [1.0, 0.0],
                         "payment_terms_days": [30, 0], "reasons": ["", ""]}).cast(CREDIT_GRADES_SCHEMA)


@pytest.fixture(scope="module")
def metrics() -> dict:
    return hl.compute_metrics(findings(), grades(), stub_frames(), Q3, ALL)


def test_headline_metrics(metrics):
    a = metrics["analyses"]
    assert a["tiering"]["headline"] == {
        "customers_in_scope": 4, "tier_mismatch": 1, "correctly_tiered_share": 0.75,
        "hidden_benefit_grants": 2, "hidden_benefit_cny": 200.0}
    assert a["pricing"]["headline"]["price_disparity_groups"] == 1
    assert a["pricing"]["headline"]["overcharge_cny"] == 30.0
    sla = a["sla"]["headline"]
    assert sla["complaints_received"] == 4 and sla["breached_ack"] == 1  # OLD1 not received in P
    assert sla["adherence_ack"] == 0.75 and sla["adherence_update"] == 0.75
    assert sla["adherence_resolution"] == 1.0 and sla["breach_risk"] == 1
    credit = a["credit"]["headline"]
    assert credit["receivables_outstanding_cny"] == 400.0 and credit["receivables_aa_share"] == 0.75
    assert credit["registry_alerts"] == 2 and credit["registry_knockouts"] == 1
    assert a["tiering"]["by_severity"] == {"high": 1, "medium": 1, "low": 1}
    assert metrics["subsidiaries"][0] == {"subsidiary_id": "(none)", "findings": 2, "high": 1,
                                          "amount_cny": 500.0, "tiering": 0, "pricing": 1, "sla": 0,
                                          "credit": 1, "name": None}
    assert {s["subsidiary_id"]: s["name"] for s in metrics["subsidiaries"]}["S1"] == "测试子公司"


def test_shares_without_a_denominator_are_null():
    frames = stub_frames()
    frames["customers"] = frames["customers"].filter(pl.col("signup_date") > dt.date(2030, 1, 1))
    m = hl.compute_metrics(findings().head(0), grades().head(0), frames, Q3, ["tiering", "credit"])
    assert m["analyses"]["tiering"]["headline"]["correctly_tiered_share"] is None
    assert m["analyses"]["credit"]["headline"]["receivables_aa_share"] == 0.0


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


def test_bad_thresholds_are_refused(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("sla.adherence_ack: {better: higher, green: 0.9, amber: 0.95}\n")
    with pytest.raises(ValueError, match="worse side"):
        load_thresholds(path)


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
        hl.write_metrics(previous_metrics(metrics, label, 1.0), tmp_path / label / hl.METRICS_FILE)
    (tmp_path / ".superseded" / "2026-Q1-x").mkdir(parents=True)
    labels = [m["period"]["label"] for m in hl.history(tmp_path, Q3, metrics)]
    assert labels == ["2025-Q4", "2026-Q2", "2026-Q3"]


def test_summary_counts_by_severity_and_money():
    s = summarize(findings(), ALL)
    assert s.row(0) == ("tiering", 1, 1, 1, 3, 200.0)
