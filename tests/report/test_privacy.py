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
    assert "sla.ipynb (cell 0, output): mobile phone number" in message
    assert "f.parquet (column detail): email address" in message
    assert "ok.html" not in message and ".parts" not in message
    for value in ("13912345678", "13*******78", "5678", "a.b@corp.cn", "corp"):
        assert value not in message  # never the value, not even masked


# ------------------------------------------- where a hit is: file and column, never the value
SECRET_PHONE, SECRET_MAIL = "13987654321", "zhao.liu@example.org"


def _message(folder) -> str:
    with pytest.raises(PrivacyError) as err:
        assert_clean(folder)
    message = str(err.value)
    for value in (SECRET_PHONE, SECRET_PHONE[-4:], mask(SECRET_PHONE), SECRET_MAIL,
                  mask(SECRET_MAIL), "zhao"):
        assert value not in message, message
    return message


def test_a_parquet_or_csv_hit_names_its_column(tmp_path):
    df = pl.DataFrame({"finding_id": ["a1", "b2"], "entity_id": ["C1", "C2"],
                       "detail": ['{"n": 1}', f'{{"note": "回电 {SECRET_PHONE}"}}'],
                       "summary": [f"mail {SECRET_MAIL}", "ok"]})
    df.write_parquet(tmp_path / "findings.parquet")
    df.write_csv(tmp_path / "findings.csv")
    message = _message(tmp_path)
    for f in ("findings.parquet", "findings.csv"):
        assert f"{f} (column detail): mobile phone number" in message
        assert f"{f} (column summary): email address" in message
    assert "entity_id" not in message and "finding_id" not in message


def test_a_workbook_hit_names_its_sheet_and_column(tmp_path):
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(tmp_path / "0310.xlsx"))
    ws = wb.add_worksheet("投诉处理时效")
    ws.write_row(0, 0, ["序号", "投诉编号", "证据"])
    ws.write_row(1, 0, [1, "CP1", f"客户回电 {SECRET_PHONE}"])
    ws.write_row(2, 0, [2, "CP2", "无"])
    ws.autofilter(0, 0, 2, 2)
    notes = wb.add_worksheet("说明")
    notes.write(3, 1, f"联系 {SECRET_MAIL}")
    wb.close()
    message = _message(tmp_path)
    assert "0310.xlsx (sheet 投诉处理时效, column 证据): mobile phone number" in message
    assert "0310.xlsx (sheet 说明, column B): email address" in message


def test_an_html_hit_names_its_section_and_table_column(tmp_path):
    html = ("<html><body><h1>投诉处理时效</h1><p>摘要</p>"
            "<h2 id='x'>超时投诉 · Breached complaints<a href='#x'>¶</a></h2>"
            '<div><table class="wb-table"><thead><tr><th>投诉编号</th><th>规则</th>'
            "<th>证据</th></tr></thead><tbody>"
            f"<tr><td>CP1</td><td>ack_breach</td><td title='x'>回电 {SECRET_PHONE}</td></tr>"
            f"<tr><td>CP2</td><td>ack_breach</td><td>回电 {SECRET_PHONE}</td></tr>"
            "</tbody></table></div><h2>闭环管理</h2>"
            f"<p>联系 {SECRET_MAIL}</p>"
            f'<script>Plotly.newPlot("d", [{{"text": ["{SECRET_PHONE}"]}}])</script>'
            "</body></html>")
    (tmp_path / "sla.html").write_text(html, encoding="utf-8")
    message = _message(tmp_path)
    assert ("sla.html (section «超时投诉 · Breached complaints», column «证据»): "
            "mobile phone number ×2") in message
    assert "sla.html (section «闭环管理»): email address" in message
    assert "sla.html (section «闭环管理», figure): mobile phone number" in message


def test_a_notebook_hit_names_its_cell_section_and_column(tmp_path):
    import nbformat

    table = ('<table class="wb-table"><thead><tr><th>投诉编号</th><th>证据</th></tr></thead>'
             f"<tbody><tr><td>CP1</td><td>回电 {SECRET_PHONE}</td></tr></tbody></table>")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## 超时投诉 · Breached complaints\n\ntext"),
        nbformat.v4.new_code_cell("wn.table(x)", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/html": table, "text/plain": "table"})]),
    ])
    nbformat.write(nb, tmp_path / "sla.ipynb")
    message = _message(tmp_path)
    assert ("sla.ipynb (cell 1, section «超时投诉 · Breached complaints», output, "
            "column «证据»): mobile phone number") in message


def test_a_json_or_text_hit_names_its_key_or_line(tmp_path):
    (tmp_path / "metrics.json").write_text(
        json.dumps({"analyses": {"sla": {"notes": ["ok", f"回电 {SECRET_PHONE}"]}}}),
        encoding="utf-8")
    (tmp_path / "README.txt").write_text(f"line one\nline two {SECRET_MAIL}\n", encoding="utf-8")
    message = _message(tmp_path)
    assert "metrics.json (key analyses.sla.notes[1]): mobile phone number" in message
    assert "README.txt (line 2): email address" in message


def test_a_message_lists_a_bounded_number_of_places(tmp_path):
    from workbench.report.privacy import MAX_HITS_SHOWN

    pl.DataFrame({f"c{i}": [f"回电 {SECRET_PHONE}"] for i in range(MAX_HITS_SHOWN + 5)}) \
        .write_parquet(tmp_path / "wide.parquet")
    message = _message(tmp_path)
    assert message.count("wide.parquet (column c") == MAX_HITS_SHOWN
    assert message.endswith("and 5 more places")


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
             ("tier_assignments", "reason"), ("registry_snapshots", "business_scope"),
             # the marketing tables: a message's text, a refusal's stated reason
             ("marketing_messages", "content"), ("privacy_requests", "refusal_reason")]


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
@pytest.mark.parametrize("analysis", ["tiering", "pricing", "sla", "credit", "marketing"])
def test_seeded_personal_data_never_reaches_the_exports(seeded, tmp_path, analysis):
    from workbench.report import ReportError, run_report

    out = tmp_path / "reports"
    try:
        folder = run_report(seeded, "2026-Q3", out, analyses=[analysis])
    except ReportError as exc:
        pytest.fail(f"the {analysis} exports carry personal data: {exc}")
    assert _raw_hits(folder) == []
