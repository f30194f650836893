"""The personal-data scanner run on every export before publishing."""

from __future__ import annotations

import json

import polars as pl
import pytest

from workbench.report.privacy import PrivacyError, Scanner, assert_clean, mask, personal_values

ID_CARD = "11010519491231002X"  # valid check digit
USCC = "91350100M000100Y43"


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("请致电 13812345678 联系", "mobile phone number"),
        ("tel:+86 15912345678", "mobile phone number"),
        (f"身份证 {ID_CARD} 已核验", "ID-card number"),
        ("mail zhang.san@example.com.cn now", "email address"),
        ("送货至浦东新区世纪大道100号", "street address"),
        ("住址：上海市长宁区延安西路1号", "street address"),
        ("广东省深圳市南山区", "administrative address"),
    ],
)
def test_each_pattern_is_found(text, pattern):
    assert pattern in [p for p, _ in Scanner().scan_text(text)]


@pytest.mark.parametrize(
    "text",
    [
        "订单 O0001234 金额 13812.50 元",  # a price, not a phone number
        "timestamp 1735689600000",  # 13 digits
        "[493.7328587189341,558.84571015625308,0.15912345678]",  # decimal fractions
        '{"pd": 0.018912345678, "score": 13912345678.5}',
        "分数.13912345678",
        "finding_id 5c59a15500652596, sha256 0a13912345678ff",
        "110105194912310021",  # ID-shaped but its check digit fails
        USCC,  # a unified social credit code
        "会员分级合规 · Customer tiering: tier_mismatch 12 项，province=31",
        "客户 C0000123 在 2026-Q3 的等级",
    ],
)
def test_ordinary_report_text_is_clean(text):
    assert Scanner().scan_text(text) == []


def test_plotly_js_itself_is_not_scanned():
    from plotly.offline import get_plotlyjs

    assert Scanner().scan_text(f"<script>{get_plotlyjs()}</script>") == []


def test_names_from_the_source_are_found():
    scanner = Scanner(["张三丰", "李四", "王五", "x"])
    assert [v for _, v in scanner.scan_text("经办：张三丰；复核：李四")] == ["张三丰", "李四"]
    assert scanner.scan_text("张三") == []


def test_mask_hides_the_value():
    assert mask("13812345678") == "13*******78"
    assert "12345" not in mask("13812345678")


def test_folder_scan_names_file_and_pattern(tmp_path):
    (tmp_path / "ok.html").write_text("<p>无个人信息</p>", encoding="utf-8")
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("stream", text=["备注：请回电\n", "13912345678"])])])
    nbformat.write(nb, tmp_path / "sla.ipynb")
    pl.DataFrame({"detail": ['{"note": "联系 a.b@corp.cn"}']}).write_parquet(tmp_path / "f.parquet")
    (tmp_path / ".parts").mkdir()
    (tmp_path / ".parts" / "x.txt").write_text("13912345678")  # staging internals are skipped
    with pytest.raises(PrivacyError) as err:
        assert_clean(tmp_path)
    message = str(err.value)
    assert "sla.ipynb: mobile phone number (13*******78)" in message
    assert "f.parquet: email address" in message
    assert "ok.html" not in message and ".parts" not in message
    assert "13912345678" not in message


def test_personal_columns_of_a_source_are_collected(tmp_path):
    pl.DataFrame({"customer_id": ["C1", "C2"], "name": ["赵六", None],
                  "手机": ["13800000000", "13900000000"]}).write_parquet(
        tmp_path / "customers.parquet")
    pl.DataFrame({"subsidiary_id": ["S1"], "name": ["华东商贸有限公司"]}).write_parquet(
        tmp_path / "subsidiaries.parquet")
    values = set(personal_values(str(tmp_path)))
    assert values == {"赵六", "13800000000", "13900000000"}  # organisation names are not personal


# ------------------------------------------- real notebooks, seeded sample
PHONE, NAME = "13912345678", "欧阳娜娜"
SEEDED = (f"联系人{NAME} 电话{PHONE} 身份证{ID_CARD} 邮箱li.si@example.com "
          "地址上海市长宁区延安西路1号")
FREE_TEXT = [("complaint_events", "note"), ("registry_events", "reason"),
             ("tier_assignments", "reason"), ("registry_snapshots", "business_scope")]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A tiny sample whose free-text columns all carry a name, phone, ID card,
    email and address, plus customers.name/phone columns the contract lacks."""
    from workbench.samples import generate

    src = tmp_path_factory.mktemp("seeded")
    generate(src, scale="tiny")
    for table, col in FREE_TEXT:
        df = pl.read_parquet(src / f"{table}.parquet")
        filled = pl.col(col).is_not_null() & (pl.col(col).cast(pl.String).str.strip_chars() != "")
        df.with_columns(pl.when(filled).then(pl.lit(SEEDED)).otherwise(pl.col(col)).alias(col)) \
          .write_parquet(src / f"{table}.parquet")
        assert pl.read_parquet(src / f"{table}.parquet")[col].str.contains(PHONE).sum() > 0
    cust = pl.read_parquet(src / "customers.parquet")
    cust.with_columns(pl.lit(NAME).alias("name"), pl.lit(PHONE).alias("phone")) \
        .write_parquet(src / "customers.parquet")
    return src


def _raw_hits(folder) -> list[str]:
    """Seeded values found anywhere in the published folder, scanner-independent."""
    found = []
    for path in folder.rglob("*"):
        if path.suffix == ".parquet":
            text = pl.read_parquet(path).write_csv()
        elif path.suffix == ".xlsx":
            import zipfile

            with zipfile.ZipFile(path) as z:
                text = "".join(z.read(m).decode("utf-8", errors="replace") for m in z.namelist())
        elif path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
        else:
            continue
        found += [f"{path.name}: {v}" for v in (PHONE, NAME, ID_CARD, "li.si@example.com")
                  if v in text or json.dumps(v)[1:-1] in text]
    return found


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
@pytest.mark.parametrize("analysis", ["tiering", "pricing", "sla", "credit"])
def test_seeded_personal_data_never_reaches_the_exports(seeded, tmp_path, analysis):
    from workbench.report import ReportError, run_report

    out = tmp_path / "reports"
    try:
        folder = run_report(seeded, "2026-Q3", out, analyses=[analysis])
    except ReportError as exc:
        pytest.fail(f"the {analysis} exports carry personal data: {exc}")
    assert _raw_hits(folder) == []
