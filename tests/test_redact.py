"""Identifiers in free text are masked where the text enters (issue #15 item 5)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench import sources
from workbench.redact import FREE_TEXT_COLUMNS, mask_identifiers
from workbench.report.privacy import Scanner

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"

PLANTED = {
    "王先生 139 1234 5678 投诉配送慢": ["王先生", "139 1234 5678"],
    "客户李女士来电 13912345678，要求退款": ["李女士", "13912345678"],
    "+86 139-1234-5678 张三": ["139-1234-5678", "张三"],
    "张三 13812345678 催单": ["张三", "13812345678"],
    "身份证 110101199003071234 已核验": ["110101199003071234"],
    "退款到卡 6222 0212 3456 7890 123": ["6222 0212 3456 7890 123"],
    "联系邮箱 li.na+crm@example.com.cn": ["li.na+crm@example.com.cn"],
    "座机 021-6234 5678 无人接听": ["021-6234 5678"],
}
CLEAN = ["送货慢", "升级至区域客服经理", "12315 转办，第 2 次催办",
         "订单 20260915123456 金额 88.50 元", "价格 1391 元，优惠券 30 元", "SKU-0042 缺货"]


@pytest.mark.parametrize(("text", "secrets"), PLANTED.items())
def test_identifiers_are_masked(text, secrets):
    masked = pl.select(mask_identifiers(pl.lit(text))).item()
    for secret in secrets:
        assert secret not in masked, (text, masked)
    assert Scanner().scan_text(masked) == []
    assert "［" in masked  # the placeholder says what was there


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_text_and_numbers_are_left_alone(text):
    assert pl.select(mask_identifiers(pl.lit(text))).item() == text


def test_every_free_text_column_is_masked_on_load(tmp_path):
    src = tmp_path / "source"
    shutil.copytree(SAMPLES, src)
    texts = list(PLANTED)
    for table, columns in FREE_TEXT_COLUMNS.items():
        df = pl.read_parquet(src / f"{table}.parquet")
        n = min(df.height, len(texts))
        df = df.with_columns(
            pl.Series(c, texts[:n] + df[c].to_list()[n:], dtype=pl.String) for c in columns)
        df.write_parquet(src / f"{table}.parquet")
    frames = sources.load(src, tables=list(FREE_TEXT_COLUMNS))
    scanner = Scanner()
    secrets = [s for found in PLANTED.values() for s in found]
    expected = set(pl.DataFrame({"t": texts}).select(mask_identifiers(pl.col("t")))["t"])
    for table, columns in FREE_TEXT_COLUMNS.items():
        values = frames[table].select(columns).collect()
        for c in columns:
            seen = [v for v in values[c].to_list() if v]
            assert expected <= set(seen), (table, c)  # every planted text, masked
            assert not any(secret in v for v in seen for secret in secrets), (table, c)
            assert not any(scanner.scan_text(v) for v in seen), (table, c)


def test_the_scan_is_linear_on_a_huge_value():
    """A 1 MB id of address characters without "@" took minutes (the e-mail pattern
    retried at every position); now one pass."""
    huge = "a" * 1_000_000
    assert Scanner().scan_text(huge) == []
    assert Scanner().scan_text("x" * 500_000 + " li@example.com") == [
        ("email address", "li@example.com")]


def test_the_scan_sees_a_phone_number_with_separators():
    hits = Scanner().scan_text("客户 139 1234 5678")
    assert [name for name, _ in hits] == ["mobile phone number with separators"]
