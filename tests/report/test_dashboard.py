"""The placeholder executive dashboard."""

from __future__ import annotations

import polars as pl

from workbench.contract import FINDINGS_SCHEMA
from workbench.findings import make_findings
from workbench.periods import parse_period
from workbench.report.dashboard import dashboard_html, summarize
from workbench.report.render import external_references


def findings() -> pl.DataFrame:
    tiering = make_findings(
        pl.DataFrame({"rule": ["hidden_benefit", "stale_tier", "stale_tier"],
                      "severity": ["high", "low", "low"],
                      "entity_type": ["grant", "customer", "customer"],
                      "entity_id": ["G-ZQXID-1", "CUST-ZQXID-2", "CUST-ZQXID-3"],
                      "amount_cny": [120.5, None, None]}),
        analysis="tiering", period="2026-Q3",
    )
    pricing = make_findings(
        pl.DataFrame({"rule": ["unexplained_premium"], "severity": ["medium"],
                      "entity_type": ["order"], "entity_id": ["ORD-ZQXID-4"],
                      "amount_cny": [30.0]}),
        analysis="pricing", period="2026-Q3",
    )
    return pl.concat([tiering, pricing]).cast(FINDINGS_SCHEMA)  # type: ignore[arg-type]


def test_summary_counts_by_severity_and_money():
    s = summarize(findings(), ["tiering", "pricing", "sla", "credit"])
    assert s.rows() == [
        ("tiering", 1, 0, 2, 3, 120.5),
        ("pricing", 0, 1, 0, 1, 30.0),
        ("sla", 0, 0, 0, 0, 0.0),
        ("credit", 0, 0, 0, 0, 0.0),
    ]


def test_dashboard_is_offline_chinese_and_free_of_ids():
    html = dashboard_html(findings(), parse_period("2026-Q3"), ["tiering", "pricing", "sla", "credit"])
    assert external_references(html) == []
    assert html.count("plotly.js v") == 1
    assert '<meta charset="utf-8">' in html and 'lang="zh-CN"' in html
    assert "合规证据仪表板" in html and "Compliance evidence dashboard" in html
    for a in ("tiering", "pricing", "sla", "credit"):
        assert f"href='{a}.html'" in html
    assert "120.50" in html and "未公布的权益" in html
    assert "ZQXID" not in html


def test_dashboard_links_only_the_analyses_that_ran():
    html = dashboard_html(findings().filter(pl.col("analysis") == "tiering"),
                          parse_period("2026-Q3"), ["tiering"])
    assert "href='tiering.html'" in html and "href='sla.html'" not in html
