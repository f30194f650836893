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
    assert head[:10] == ["finding_id", "规则", "内容", "严重程度", "对象类型", "对象编号",
                         "金额（元）", "金额类别", "证据摘要", "法律依据"]
    assert head[10:] == ["责任人", "整改措施", "完成期限", "状态"]
    assert [r[5] for r in body] == ["G2", "G1", "C1"]  # high, then medium, then low
    assert [r[3] for r in body] == ["高", "中", "低"]
    assert body[0][6:8] == ["250", "未公示权益"]
    assert body[2][6:8] == ["", ""]  # no money, no kind
    assert body[0][8] == "published_value=3.0; value=8.0"  # legal basis has its own column
    assert body[0][9].startswith("《消费者权益保护法》第十条")
    assert all(len(r) <= 10 or set(r[10:]) <= {""} for r in body)  # filled in by the subsidiary
    # the finding_id leads back to the full evidence
    ids = set(_findings()["finding_id"])
    assert {r[0] for r in body} <= ids
    # a subsidiary with nothing to fix says so
    assert read_sheet(tmp_path / "0510.xlsx", "会员分级")[1] == ["本期无需整改的发现。"]
    # group-level findings (no subsidiary) go to group.xlsx only
    group = read_sheet(tmp_path / "group.xlsx", "会员分级")[1:]
    assert [r[5] for r in group] == ["gender=f"]
    assert group[0][6:8] == ["900", "未公示权益（分解，不计入合计）"]
    assert [r[5] for r in read_sheet(tmp_path / "0310.xlsx", "投诉处理时效")[1:]] == ["CP1"]


def test_overview_counts_and_money_by_rule(tmp_path):
    write_worklists(_findings(), SUBS, tmp_path, Q3, lang="en")
    rows = read_sheet(tmp_path / "0110.xlsx", "Overview")
    assert rows[0] == ["Remediation worklist · Subsidiary 0110 北京子公司"]
    table = {r[1]: r for r in rows[5:] if len(r) > 1 and r[1]}
    assert table["hidden_benefit"][3:7] == ["2", "1", "260", "Unpublished benefits"]
    assert table["stale_tier"][3] == "1" and table["ack_breach"][3] == "0"
    assert table["stale_tier"][5:7] == ["", ""]  # a rule without money: no ¥0
    assert table["registry_knockout"][5:7] == ["0", "Credit exposure"]  # money rule, none found
    total = next(r for r in rows if r and r[0] == "Total")
    assert total[3:] == ["3", "1"]  # counts only: money is totalled per kind below
    kinds = {r[0]: r[5] for r in rows if r and r[0].startswith("Total: ")}
    assert kinds == {"Total: Overcharge": "0", "Total: Unpublished benefits": "260",
                     "Total: Unannounced discounts": "0", "Total: Credit exposure": "0"}


def test_group_workbook_totals_leave_breakdowns_out_and_count_each_thing_once(tmp_path):
    f = pl.concat([
        _findings(),
        make_findings(pl.DataFrame({
            "rule": ["registry_knockout", "registry_change", "annual_report_overdue"],
            "severity": ["high", "medium", "low"], "entity_type": ["enterprise"] * 3,
            "entity_id": ["91X"] * 3, "subsidiary_id": [None] * 3,
            "amount_cny": [5000.0, 5000.0, 5000.0]}), analysis="credit", period=Q3.label),
    ])
    write_worklists(f, SUBS, tmp_path, Q3)
    rows = read_sheet(tmp_path / "group.xlsx", "概览")
    kinds = {r[0]: r[5] for r in rows if r and r[0].startswith("合计：")}
    # the tier_disparity group's ¥900 is a breakdown; 91X's three alerts count once
    assert kinds["合计：未公示权益"] == "0" and kinds["合计：信用敞口"] == "5000"
    table = {r[1]: r for r in rows[5:] if len(r) > 1 and r[1]}
    assert table["tier_disparity"][5:7] == ["900", "未公示权益（分解，不计入合计）"]
    # a money rule whose findings state no amount: empty, not 0
    no_amount = f.with_columns(pl.when(pl.col("rule") == "tier_disparity").then(None)
                               .otherwise(pl.col("amount_cny")).alias("amount_cny"),
                               pl.when(pl.col("rule") == "tier_disparity").then(None)
                               .otherwise(pl.col("amount_kind")).alias("amount_kind"))
    write_worklists(no_amount, SUBS, tmp_path, Q3)
    rows = read_sheet(tmp_path / "group.xlsx", "概览")
    table = {r[1]: r for r in rows[5:] if len(r) > 1 and r[1]}
    assert table["tier_disparity"][3] == "1" and table["tier_disparity"][5] == ""


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


def test_refund_sheet_lists_the_subsidiary_customers_owed_a_refund(tmp_path):
    refunds = pl.DataFrame({
        "customer_id": ["C1", "C2", "C3"], "subsidiary_id": ["0110", "0110", "0310"],
        "orders": [2, 5, 1], "excess_cny": [6.4, 120.25, 3.0],
        "attributed_cny": [6.4, 100.0, 0.0], "groups": ["device_os=ios", "device_os=ios", ""]})
    write_worklists(_findings(), SUBS, tmp_path, Q3, refunds=refunds)
    rows = read_sheet(tmp_path / "0110.xlsx", "退款清单")
    assert rows[1] == ["客户编号", "订单数", "多收金额（元）", "其中归因于群体溢价（元）",
                       "所属被标记群体", "退款状态"]
    assert [r[:5] for r in rows[2:4]] == [["C2", "5", "120.25", "100", "device_os=ios"],
                                         ["C1", "2", "6.4", "6.4", "device_os=ios"]]
    assert rows[4][0] == "合计：多收金额" and rows[4][2:4] == ["126.65", "106.4"]
    assert [r[0] for r in read_sheet(tmp_path / "0310.xlsx", "退款清单")[2:3]] == ["C3"]
    assert read_sheet(tmp_path / "0510.xlsx", "退款清单")[2] == ["本期无应退款的客户。"]
    import zipfile

    book = zipfile.ZipFile(tmp_path / "group.xlsx").read("xl/workbook.xml").decode()
    assert "退款清单" not in book  # refunds are owed by a subsidiary, not the group
    sheet = zipfile.ZipFile(tmp_path / "0110.xlsx").read("xl/worksheets/sheet6.xml").decode()
    assert "待退款,已退款,不适用" in sheet
