"""Remediation worklists: one Excel workbook per subsidiary an operations team can act on."""

from __future__ import annotations

import datetime as dt
import json
import re
import zipfile
from pathlib import Path

import polars as pl
import pytest
import yaml

from tests.test_evidence import sample_findings
from workbench.findings import make_findings
from workbench.periods import parse_period
from workbench.report.privacy import PrivacyError, assert_clean
from workbench.report.worklists import (
    check_refunds,
    read_sheet,
    refund_rows,
    worklist_rows,
    write_worklists,
)
from workbench.severity import SeverityPolicyError, load_policy, remediation_due

Q3 = parse_period("2026-Q3")
END = dt.date(2026, 9, 30)
SUBS = pl.DataFrame({"subsidiary_id": ["0110", "0310", "0510"],
                     "name": ["北京子公司", "上海子公司", "成都子公司"]})
HEAD = ["优先级", "严重程度", "问题", "对象类型", "对象编号", "客户编号", "证据", "金额（元）",
        "金额类别", "超期天数", "完成期限", "责任人", "整改措施", "状态", "法律依据", "规则代码",
        "finding_id"]
COL = {name: j for j, name in enumerate(HEAD)}
POLICY_FILE = Path(__file__).resolve().parents[2] / "workbench" / "severity_policy.yaml"


def _detail(**kw: object) -> str:
    return json.dumps(kw, ensure_ascii=False)


def _clock(target: str, clock: str, limit: float, elapsed: float, still_open: bool,
           channel: str = "hotline") -> str:
    overrun = elapsed - limit
    hours = overrun if clock == "calendar_hours" else overrun * 24
    return _detail(target=target, clock=clock, limit=limit, elapsed=elapsed, overrun=overrun,
                   overrun_hours=round(hours, 2), received_at="2026-07-05T14:39:40",
                   still_open_at_period_end=still_open, channel=channel,
                   targets=[{"target": target, "clock": clock, "limit": limit,
                             "elapsed": elapsed, "overrun": overrun}])


def _premium(customer: str, charged: float, explained: float, groups: list | None = None) -> str:
    return _detail(customer_id=customer, charged_price=charged, explained_price=explained,
                   quantity=1, sku="SKU1", ordered_at="2026-08-01 10:00:00",
                   flagged_groups=groups or [])


def _findings() -> pl.DataFrame:
    parts = [
        make_findings(pl.DataFrame({
            "rule": ["stale_tier", "hidden_benefit", "hidden_benefit", "tier_disparity"],
            "severity": ["low", "medium", "high", "high"],
            "entity_type": ["customer", "grant", "grant", "group"],
            "entity_id": ["C1", "G1", "G2", "gender=f"],
            "subsidiary_id": ["0110", "0110", "0110", None],
            "amount_cny": [None, 10.0, 250.0, 900.0],
            "detail": [
                _detail(current_tier="core", assigned_at="2025-06-30 23:59:59",
                        tier_age_days=457, review_cycle_days=365, overdue_days=92),
                _detail(customer_id="C2", benefit_type="rebate_pct", value=2.0,
                        granted_at="2026-07-01 02:00:00", held_tier="core",
                        hidden_reason="not_in_schedule"),
                _detail(customer_id="C3", benefit_type="rebate_pct", value=2.0,
                        granted_at="2026-08-01 02:00:00", held_tier="core",
                        hidden_reason="not_in_schedule"),
                _detail(metrics=[{"metric": "under_tiered_rate", "rate_group": 0.162,
                                  "rate_rest": 0.032, "difference": 0.13}])],
        }), analysis="tiering", period=Q3.label),
        make_findings(pl.DataFrame({
            "rule": ["unexplained_premium"] * 3, "severity": ["medium", "low", "high"],
            "entity_type": ["order"] * 3, "entity_id": ["O1", "O2", "O3"],
            "subsidiary_id": ["0110", "0110", "0310"], "amount_cny": [6.4, 1.25, 120.0],
            "detail": [_premium("C2", 16.4, 10.0, [{"group": "device_os=ios",
                                                    "attributed_cny": 4.0}]),
                       _premium("C2", 11.25, 10.0), _premium("C9", 220.0, 100.0)],
        }), analysis="pricing", period=Q3.label),
        make_findings(pl.DataFrame({
            "rule": ["ack_breach", "resolution_breach", "missing_record", "breach_risk"],
            "severity": ["high", "high", "medium", "high"],
            "entity_type": ["complaint"] * 4,
            "entity_id": ["CP1", "CP2", "CP2", "CP3"], "subsidiary_id": ["0310"] * 4,
            "amount_cny": [None] * 4,
            "detail": [
                _clock("ack", "calendar_hours", 24.0, 26.7, False),  # closed, 2.7 h late
                _clock("resolution", "calendar_days", 15.0, 87.4, True, "regulator"),
                _detail(checks=["closed_without_resolution"], channel="regulator"),
                _detail(elapsed=12.9, limit=15.0, clock="calendar_days", hours_left=49.9,
                        probability=0.8, deadline="2026-10-03T01:55:38")],
        }), analysis="sla", period=Q3.label),
    ]
    return pl.concat(parts)


def _body(path: Path, sheet: str) -> list[list[str]]:
    return read_sheet(path, sheet)[1:]


def test_one_workbook_per_subsidiary_and_one_for_the_group(tmp_path):
    paths = write_worklists(_findings(), SUBS, tmp_path / "wl", Q3)
    assert sorted(p.name for p in paths) == ["0110.xlsx", "0310.xlsx", "0510.xlsx", "group.xlsx"]
    for path in paths:
        book = zipfile.ZipFile(path).read("xl/workbook.xml").decode()
        sheets = ["概览", "会员分级", "价格公平", "投诉处理时效", "客户信用", "营销与个人信息",
                  "退款清单"]
        wanted = sheets if path.name != "group.xlsx" else sheets[:-1]
        assert [n for n in sheets if f'name="{n}"' in book] == wanted


def test_a_row_says_what_to_fix_for_whom_by_when(tmp_path):
    write_worklists(_findings(), SUBS, tmp_path, Q3)
    rows = read_sheet(tmp_path / "0110.xlsx", "会员分级")
    assert rows[0] == HEAD
    body = rows[1:]
    assert [r[COL["对象编号"]] for r in body] == ["G2", "G1", "C1"]  # high, medium, low
    assert [r[COL["严重程度"]] for r in body] == ["高", "中", "低"]
    assert [r[COL["客户编号"]] for r in body] == ["C3", "C2", "C1"]
    first = body[0]
    assert first[COL["对象类型"]] == "权益发放" and first[COL["问题"]] == "未公布的权益"
    assert first[COL["证据"]] == ("2026-08-01 向核心等级客户发放返利 2%，价值 ¥250.00，"
                                  "该等级公布的权益中没有此项")
    assert first[COL["金额（元）"]:COL["超期天数"]] == ["250", "未公示权益"]
    assert body[2][COL["超期天数"]] == "92"  # the late review, in days
    assert body[2][COL["金额（元）"]:COL["超期天数"]] == ["", ""]  # no money, no kind
    assert first[COL["法律依据"]].startswith("《消费者权益保护法》第十条")
    assert {r[COL["finding_id"]] for r in body} <= set(_findings()["finding_id"])
    # owner, action and status are the subsidiary's to fill in
    assert all(r[COL["责任人"]:COL["法律依据"]] == ["", "", ""] for r in body)
    assert read_sheet(tmp_path / "0510.xlsx", "会员分级")[1] == ["本期无需整改的问题。"]
    group = _body(tmp_path / "group.xlsx", "会员分级")
    assert [r[COL["对象编号"]] for r in group] == ["女性（gender=f）"]
    assert group[0][COL["证据"]].startswith("女性中符合条件却被评低等级的比例为 16.2%")
    assert group[0][COL["金额类别"]] == "未公示权益（分解，不计入合计）"


def test_due_dates_follow_the_severity_policy(tmp_path):
    days = load_policy().remediation_days
    assert days == {"high": 15, "medium": 30, "low": 60}
    rows = worklist_rows(_findings(), period=Q3)
    due = dict(zip(rows["规则代码"] + ":" + rows["对象编号"], rows["完成期限"], strict=True))
    assert due["hidden_benefit:G2"] == END + dt.timedelta(days=15)  # high
    assert due["hidden_benefit:G1"] == END + dt.timedelta(days=30)  # medium
    assert due["stale_tier:C1"] == END + dt.timedelta(days=60)  # low
    # an open complaint predicted to breach: no later than its own deadline
    assert due["breach_risk:CP3"] == dt.date(2026, 10, 3)
    write_worklists(_findings(), SUBS, tmp_path, Q3)
    sheet = zipfile.ZipFile(tmp_path / "0110.xlsx").read("xl/worksheets/sheet2.xml").decode()
    assert 's="' in sheet and "yyyy-mm-dd" in zipfile.ZipFile(
        tmp_path / "0110.xlsx").read("xl/styles.xml").decode()
    assert read_sheet(tmp_path / "0110.xlsx", "会员分级")[1][COL["完成期限"]] == str(
        (END + dt.timedelta(days=15) - dt.date(1899, 12, 30)).days)  # an Excel date
    # without a period there is nothing to count from
    assert worklist_rows(_findings())["完成期限"].null_count() == _findings().height


def _policy(tmp_path: Path, days: object) -> Path:
    doc = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    if days is None:
        doc.pop("remediation_days")
    else:
        doc["remediation_days"] = days
    path = tmp_path / "sev.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_remediation_days_are_checked_and_optional(tmp_path):
    policy = load_policy(_policy(tmp_path, {"high": 5, "medium": 10, "low": 20}))
    assert remediation_due("medium", END, policy=policy) == dt.date(2026, 10, 10)
    rows = worklist_rows(_findings(), period=Q3, policy=policy)
    assert rows.filter(pl.col("对象编号") == "G2")["完成期限"].item() == dt.date(2026, 10, 5)
    bad = [({"high": 15, "medium": 30}, r"remediation_days\.low: required key is missing"),
           ({"high": 15, "medium": 30, "low": -1}, r"remediation_days\.low: expected an integer"),
           ({"high": 40, "medium": 30, "low": 60}, r"remediation_days\.high: 40 days is longer"),
           ({"high": 1, "medium": 2, "low": 3, "urgent": 0}, r"remediation_days\.urgent: unknown")]
    for days, message in bad:
        with pytest.raises(SeverityPolicyError, match=r"sev\.yaml: " + message):
            load_policy(_policy(tmp_path, days))
    with pytest.raises(ValueError, match="severity must be one of"):
        remediation_due("critical", END)
    none = load_policy(_policy(tmp_path, None))  # a policy without: no suggested date
    assert remediation_due("high", END, policy=none) is None
    assert worklist_rows(_findings(), period=Q3, policy=none)["完成期限"].null_count() == 11


def test_priority_severity_then_overdue_then_money_and_one_entity_together(tmp_path):
    write_worklists(_findings(), SUBS, tmp_path, Q3)
    body = _body(tmp_path / "0310.xlsx", "投诉处理时效")
    # the open 12315 complaint 72 days overdue first, its record problem right after it
    # (although medium), then the high rows without a delay as long
    assert [(r[COL["规则代码"]], r[COL["对象编号"]]) for r in body] == [
        ("resolution_breach", "CP2"), ("missing_record", "CP2"), ("ack_breach", "CP1"),
        ("breach_risk", "CP3")]
    assert [r[COL["优先级"]] for r in body] == ["1", "2", "3", "4"]
    late = [r[COL["超期天数"]] for r in body][:3]
    assert [float(x) if x else None for x in late] == [pytest.approx(72.4), None, 0.1]
    assert body[0][COL["证据"]].startswith("投诉（12315 转办）于 2026-07-05 收到，至期末仍未办结")
    # money breaks ties within a severity
    pricing = _body(tmp_path / "0110.xlsx", "价格公平")
    assert [r[COL["对象编号"]] for r in pricing] == ["O1", "O2"]


def test_priority_on_the_sample():
    f = sample_findings().filter(pl.col("subsidiary_id") == "0440")
    rows = worklist_rows(f.filter(pl.col("analysis") == "sla"), period=Q3)
    first = rows.row(0, named=True)
    assert (first["规则代码"], first["对象编号"], first["超期天数"]) == (
        "resolution_breach", "CP0003315", 72.4)
    ack = rows.filter((pl.col("规则代码") == "ack_breach") & (pl.col("证据").str.contains(
        "26.7 小时后才首次响应")))
    assert ack.height == 1 and ack["优先级"].item() > first["优先级"]
    # the rows of one entity are contiguous
    ids = rows["对象编号"].to_list()
    assert all(ids.index(i) + ids.count(i) - 1 == len(ids) - 1 - ids[::-1].index(i)
               for i in set(ids))


def test_evidence_cells_read_as_sentences_on_the_sample(tmp_path):
    subs = pl.DataFrame({"subsidiary_id": ["0110", "0310", "0330", "0420", "0440", "0510"],
                         "name": ["子公司"] * 6})
    write_worklists(sample_findings(), subs, tmp_path, Q3)
    texts = []
    for path in sorted(tmp_path.glob("*.xlsx")):
        with zipfile.ZipFile(path) as z:
            texts.append(z.read("xl/sharedStrings.xml").decode("utf-8"))
        for sheet in ("会员分级", "价格公平", "投诉处理时效", "客户信用", "营销与个人信息"):
            for row in _body(path, sheet):
                if len(row) > COL["证据"]:
                    cell = row[COL["证据"]]
                    assert not re.search(r"[=…{}]|items\]|\w+_\w+", cell), cell
    assert "parquet" not in " ".join(texts).lower()
    assert_clean(tmp_path)


def test_refund_sheet_lists_every_customer_owed_once_per_order(tmp_path):
    f = _findings()
    f = pl.concat([f, f.filter(pl.col("entity_id") == "O1")])  # the same order twice
    rows = refund_rows(f, period=Q3)
    assert rows.select("subsidiary_id", "customer_id", "orders", "order_ids", "excess_cny",
                       "attributed_cny", "groups").rows() == [
        ("0110", "C2", 2, "O1、O2", 7.65, 4.0, "iOS 用户"),
        ("0310", "C9", 1, "O3", 120.0, 0.0, None)]
    assert rows["due"].to_list() == [END + dt.timedelta(days=30), END + dt.timedelta(days=15)]
    write_worklists(_findings(), SUBS, tmp_path, Q3)
    sheet = read_sheet(tmp_path / "0110.xlsx", "退款清单")
    assert sheet[1] == ["客户编号", "订单数", "订单编号", "多收金额（元）",
                        "其中归因于群体溢价（元）", "所属被标记群体", "完成期限", "退款状态"]
    assert sheet[2][:6] == ["C2", "2", "O1、O2", "7.65", "4", "iOS 用户"]
    assert sheet[3][:5] == ["合计：多收金额", "2", "", "7.65", "4"]
    assert read_sheet(tmp_path / "0510.xlsx", "退款清单")[2] == ["本期无应退款的客户。"]
    book = zipfile.ZipFile(tmp_path / "group.xlsx").read("xl/workbook.xml").decode()
    assert "退款清单" not in book  # refunds are owed by a subsidiary, not the group
    refunds = zipfile.ZipFile(tmp_path / "0110.xlsx").read("xl/worksheets/sheet7.xml").decode()
    assert "待退款,已退款,不适用" in refunds


def test_refund_totals_equal_the_overcharge_per_subsidiary_on_the_sample():
    f = sample_findings()
    up = f.filter(pl.col("rule") == "unexplained_premium")
    want = dict(up.group_by("subsidiary_id").agg(pl.col("amount_cny").sum().round(2)).rows())
    rows = refund_rows(f, period=Q3)
    got = dict(rows.group_by("subsidiary_id").agg(pl.col("excess_cny").sum().round(2)).rows())
    assert got == want and len(want) == 6
    assert rows["orders"].sum() == up.height == up["entity_id"].n_unique()
    assert rows.select("subsidiary_id", "customer_id").is_unique().all()
    assert rows["customer_id"].null_count() == 0


def test_a_published_refund_list_must_agree_with_the_findings(tmp_path):
    f = _findings()
    agree = pl.DataFrame({"customer_id": ["C2", "C9"], "subsidiary_id": ["0110", "0310"],
                          "orders": [2, 1], "excess_cny": [7.65, 120.0]})
    check_refunds(f, agree)
    write_worklists(f, SUBS, tmp_path, Q3, refunds=agree)
    off = agree.with_columns(pl.Series("excess_cny", [7.65, 119.0]))
    with pytest.raises(ValueError, match=r"disagree \(subsidiary 0310: findings 1 orders "
                                         r"¥120\.00, refunds 1 orders ¥119\.00\)"):
        write_worklists(f, SUBS, tmp_path / "off", Q3, refunds=off)
    assert not (tmp_path / "off").exists()
    with pytest.raises(ValueError, match="table refunds lacks column"):
        check_refunds(f, agree.drop("orders"))


def test_overview_counts_money_and_says_what_to_do(tmp_path):
    write_worklists(_findings(), SUBS, tmp_path, Q3, lang="en")
    rows = read_sheet(tmp_path / "0110.xlsx", "Overview")
    assert rows[0] == ["Remediation worklist · Subsidiary 0110 北京子公司"]
    steps = [r[0] for r in rows if r and re.match(r"\d\. ", r[0])]
    assert len(steps) == 7 and "high 15 days, medium 30 days, low 60 days" in steps[3]
    assert all("parquet" not in s.lower() for s in steps)
    table = {r[-1]: r for r in rows if len(r) == 8 and r[-1] and r[0] != "Analysis"}
    assert table["hidden_benefit"][2:6] == ["2", "1", "260", "Unpublished benefits"]
    assert table["stale_tier"][2] == "1" and table["ack_breach"][2] == "0"
    assert table["stale_tier"][4:6] == ["", ""]  # a rule without money: no ¥0
    assert table["registry_knockout"][4:6] == ["0", "Credit exposure"]
    total = next(r for r in rows if r and r[0] == "Total")
    assert total[2:4] == ["5", "1"]  # counts only: money is totalled per kind below
    kinds = {r[0]: r[4] for r in rows if r and r[0].startswith("Total: ")}
    assert kinds == {"Total: Overcharge": "7.65", "Total: Unpublished benefits": "260",
                     "Total: Unannounced discounts": "0", "Total: Credit exposure": "0"}
    group = read_sheet(tmp_path / "group.xlsx", "Overview")
    assert not any("refund" in r[0].lower() for r in group if r and re.match(r"\d\. ", r[0]))


def test_status_is_picked_from_a_list_and_files_are_reproducible(tmp_path):
    write_worklists(_findings(), SUBS, tmp_path / "a", Q3)
    write_worklists(_findings(), SUBS, tmp_path / "b", Q3)
    for name in ("0110.xlsx", "0310.xlsx", "group.xlsx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    sheet = zipfile.ZipFile(tmp_path / "a" / "0110.xlsx").read("xl/worksheets/sheet2.xml").decode()
    assert '<dataValidation type="list"' in sheet and "待处理,处理中,已整改,不适用" in sheet
    assert "<autoFilter" in sheet


def test_findings_of_an_unknown_subsidiary_still_get_a_workbook(tmp_path):
    f = _findings().with_columns(pl.when(pl.col("entity_id") == "CP1").then(pl.lit("0999"))
                                 .otherwise(pl.col("subsidiary_id")).alias("subsidiary_id"))
    paths = write_worklists(f, SUBS, tmp_path, Q3)
    assert "0999.xlsx" in {p.name for p in paths}
    assert [r[COL["对象编号"]] for r in _body(tmp_path / "0999.xlsx", "投诉处理时效")] == ["CP1"]


def test_the_privacy_scan_reads_workbooks(tmp_path):
    leaky = _findings().with_columns(
        pl.when(pl.col("entity_id") == "CP1").then(pl.lit("13912345678"))
        .otherwise(pl.col("entity_id")).alias("entity_id"))
    write_worklists(leaky, SUBS, tmp_path, Q3)
    with pytest.raises(PrivacyError, match=r"0310\.xlsx.*mobile phone number"):
        assert_clean(tmp_path)
    write_worklists(_findings(), SUBS, tmp_path, Q3)  # the same without the phone number
    assert_clean(tmp_path)


def _marketing() -> pl.DataFrame:
    """Marketing findings as the analysis writes them: ids, times and figures, never a
    recipient (the runner looks the customers up in the source)."""
    withdrawn = _detail(channel="sms", sent_at="2026-07-05T10:00:00", purpose_label="marketing",
                        commercial_because="purpose", consent_state="withdrawn",
                        after_withdrawal=True, withdrawn_at="2026-06-01T00:00:00",
                        withdrawn_consent_id="K1",
                        consent_scope={"subsidiary": "*", "channel": "*"})
    unlabelled = _detail(channel="sms", sent_at="2026-07-05T10:00:00",
                         purpose_label="marketing", commercial_because="purpose")
    late = _detail(kind="access", received_at="2026-06-22T13:37:27", deadline="2026-07-13",
                   completed_at=None, still_open_at_period_end=True, clock="working_days",
                   limit=15, elapsed=72, overrun=57)
    done = _detail(kind="delete", received_at="2026-08-03T09:00:00", deadline="2026-08-24",
                   completed_at="2026-08-31T17:00:00", still_open_at_period_end=False,
                   clock="working_days", limit=15, elapsed=20, overrun=5)
    return make_findings(pl.DataFrame({
        "rule": ["marketing_without_consent", "ad_unlabelled", "privacy_request_overdue",
                 "privacy_request_overdue"],
        "severity": ["high", "medium", "high", "medium"],
        "entity_type": ["message", "message", "request", "request"],
        "entity_id": ["M1", "M1", "R1", "R2"], "subsidiary_id": ["0110"] * 4,
        "detail": [withdrawn, unlabelled, late, done]}), analysis="marketing", period=Q3.label)


def test_marketing_rows_name_the_message_or_request_its_customer_and_a_due_date(tmp_path):
    f = _marketing()
    who = f.select("finding_id", pl.col("entity_id").replace_strict(
        {"M1": "C7", "R1": "C8", "R2": "C9"}).alias("customer_id"))
    write_worklists(pl.concat([_findings(), f]), SUBS, tmp_path, Q3, customers=who)
    body = _body(tmp_path / "0110.xlsx", "营销与个人信息")
    # the open request 79 calendar days past its last day first; the message's two rows
    # together; the request completed 7 days late last
    assert [(r[COL["规则代码"]], r[COL["对象编号"]], r[COL["客户编号"]]) for r in body] == [
        ("privacy_request_overdue", "R1", "C8"), ("marketing_without_consent", "M1", "C7"),
        ("ad_unlabelled", "M1", "C7"), ("privacy_request_overdue", "R2", "C9")]
    assert [r[COL["超期天数"]] for r in body] == ["79", "", "", "7"]
    assert [r[COL["对象类型"]] for r in body] == ["个人信息请求", "消息", "消息", "个人信息请求"]
    assert body[0][COL["证据"]] == (
        "2026-06-22 收到的个人信息查阅请求，办结期限 2026-07-13，"
        "至期末仍未办结（已过 72 个工作日）：时限 15 个工作日，超期 57 个工作日")
    assert body[1][COL["证据"]] == (
        "客户已于 2026-06-01 撤回营销同意（同意记录 K1，适用于全集团、全部渠道），之后仍于 "
        "2026-07-05 收到经短信发送的营销信息")
    excel = {r[COL["对象编号"]] + r[COL["规则代码"]]: int(r[COL["完成期限"]]) for r in body}
    assert excel["R1privacy_request_overdue"] == (
        END + dt.timedelta(days=15) - dt.date(1899, 12, 30)).days  # high: 15 days
    assert excel["M1ad_unlabelled"] == (END + dt.timedelta(days=30) - dt.date(1899, 12, 30)).days
    assert body[0][COL["法律依据"]].startswith("《个人信息保护法》第四十四条")
    # without the look-up the customer column stays empty (the evidence names none)
    rows = worklist_rows(f, period=Q3)
    assert rows["客户编号"].null_count() == 4
    assert_clean(tmp_path)
