"""Remediation worklists: one Excel workbook per subsidiary, one sheet per analysis."""

from __future__ import annotations

import json

import polars as pl
import pytest

from workbench.findings import make_findings
from workbench.periods import parse_period
from workbench.report.privacy import PrivacyError, assert_clean
from workbench.report.worklists import evidence_line, read_sheet, write_worklists

Q3 = parse_period("2026-Q3")
SUBS = pl.DataFrame({"subsidiary_id": ["0110", "0310", "0510"],
                     "name": ["北京子公司", "上海子公司", "成都子公司"]})


def _findings() -> pl.DataFrame:
    def detail(**kw: object) -> str:
        return json.dumps(kw, ensure_ascii=False)

    parts = [
        make_findings(pl.DataFrame({
            "rule": ["stale_tier", "hidden_benefit", "hidden_benefit", "tier_disparity"],
            "severity": ["low", "medium", "high", "high"],
            "entity_type": ["customer", "grant", "grant", "group"],
            "entity_id": ["C1", "G1", "G2", "gender=f"],
            "subsidiary_id": ["0110", "0110", "0110", None],
            "amount_cny": [None, 10.0, 250.0, 900.0],
            "detail": [detail(overdue_days=40, review_cycle_days=180),
                       detail(value=5.0, published_value=3.0),
                       detail(value=8.0, published_value=3.0), detail(difference=0.12)],
        }), analysis="tiering", period=Q3.label),
        make_findings(pl.DataFrame({
            "rule": ["ack_breach"], "severity": ["medium"], "entity_type": ["complaint"],
            "entity_id": ["CP1"], "subsidiary_id": ["0310"], "amount_cny": [None],
            "detail": [detail(limit=48.0, elapsed=60.5)],
        }), analysis="sla", period=Q3.label),
    ]
    return pl.concat(parts)


def test_one_workbook_per_subsidiary_and_one_for_the_group(tmp_path):
    paths = write_worklists(_findings(), SUBS, tmp_path / "wl", Q3)
    assert sorted(p.name for p in paths) == ["0110.xlsx", "0310.xlsx", "0510.xlsx", "group.xlsx"]
    # every sheet: overview + the four analyses, in the report's order
    for path in paths:
        import zipfile

        book = zipfile.ZipFile(path).read("xl/workbook.xml").decode()
        sheets = ["概览", "会员分级", "价格公平", "投诉处理时效", "客户信用"]
        assert [n for n in sheets if f'name="{n}"' in book] == sheets


def test_rows_are_the_subsidiary_findings_sorted_by_severity_then_money(tmp_path):
    write_worklists(_findings(), SUBS, tmp_path, Q3)
    rows = read_sheet(tmp_path / "0110.xlsx", "会员分级")
    head, body = rows[0], rows[1:]
    assert head[:9] == ["finding_id", "规则", "内容", "严重程度", "对象类型", "对象编号",
                        "涉及金额（元）", "证据摘要", "法律依据"]
    assert head[9:] == ["责任人", "整改措施", "完成期限", "状态"]
    assert [r[5] for r in body] == ["G2", "G1", "C1"]  # high, then medium, then low
    assert [r[3] for r in body] == ["高", "中", "低"]
    assert body[0][6] == "250"
    assert body[0][7] == "published_value=3.0; value=8.0"  # legal basis has its own column
    assert body[0][8].startswith("《消费者权益保护法》第十条")
    assert all(len(r) <= 9 or set(r[9:]) <= {""} for r in body)  # to be filled in by the subsidiary
    # the finding_id leads back to the full evidence
    ids = set(_findings()["finding_id"])
    assert {r[0] for r in body} <= ids
    # a subsidiary with nothing to fix says so
    assert read_sheet(tmp_path / "0510.xlsx", "会员分级")[1] == ["本期无需整改的发现。"]
    # group-level findings (no subsidiary) go to group.xlsx only
    assert [r[5] for r in read_sheet(tmp_path / "group.xlsx", "会员分级")[1:]] == ["gender=f"]
    assert [r[5] for r in read_sheet(tmp_path / "0310.xlsx", "投诉处理时效")[1:]] == ["CP1"]


def test_overview_counts_and_money_by_rule(tmp_path):
    write_worklists(_findings(), SUBS, tmp_path, Q3, lang="en")
    rows = read_sheet(tmp_path / "0110.xlsx", "Overview")
    assert rows[0] == ["Remediation worklist · Subsidiary 0110 北京子公司"]
    table = {r[1]: r for r in rows[5:] if len(r) > 1 and r[1]}
    assert table["hidden_benefit"][3:6] == ["2", "1", "260"]
    assert table["stale_tier"][3] == "1" and table["ack_breach"][3] == "0"
    total = next(r for r in rows if r and r[0] == "Total")
    assert total[3:6] == ["3", "1", "260"]


def test_status_is_picked_from_a_list_and_files_are_reproducible(tmp_path):
    write_worklists(_findings(), SUBS, tmp_path / "a", Q3)
    write_worklists(_findings(), SUBS, tmp_path / "b", Q3)
    for name in ("0110.xlsx", "group.xlsx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    import zipfile

    sheet = zipfile.ZipFile(tmp_path / "a" / "0110.xlsx").read("xl/worksheets/sheet2.xml").decode()
    assert '<dataValidation type="list"' in sheet and "待处理,处理中,已整改,不适用" in sheet
    assert "<autoFilter" in sheet


def test_findings_of_an_unknown_subsidiary_still_get_a_workbook(tmp_path):
    f = _findings().with_columns(pl.when(pl.col("entity_id") == "CP1").then(pl.lit("0999"))
                                 .otherwise(pl.col("subsidiary_id")).alias("subsidiary_id"))
    paths = write_worklists(f, SUBS, tmp_path, Q3)
    assert "0999.xlsx" in {p.name for p in paths}
    assert [r[5] for r in read_sheet(tmp_path / "0999.xlsx", "投诉处理时效")[1:]] == ["CP1"]


def test_evidence_line_flattens_and_cuts():
    assert (evidence_line('{"a": {"b": 1, "c": [1, 2, 3, 4, 5, 6, 7]}, "d": null}')
            == "a.b=1; a.c=[1, 2, 3, 4, 5 … (+2)]")
    assert evidence_line('{"months": [{"m": 1}, {"m": 2}]}') == "months=[2 items]"
    assert len(evidence_line(json.dumps({"x": "长" * 5000}), max_chars=100)) == 100
    assert evidence_line("not json") == "not json"


def test_the_privacy_scan_reads_workbooks(tmp_path):
    leaky = _findings().with_columns(
        pl.when(pl.col("entity_id") == "CP1").then(pl.lit('{"note": "客户回电 13912345678"}'))
        .otherwise(pl.col("detail")).alias("detail"))
    write_worklists(leaky, SUBS, tmp_path, Q3)
    with pytest.raises(PrivacyError, match=r"0310\.xlsx: mobile phone number \(13\*+78\)"):
        assert_clean(tmp_path)
    write_worklists(_findings(), SUBS, tmp_path, Q3)  # the same without the phone number
    assert_clean(tmp_path)
