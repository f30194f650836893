"""The pricing report reads as a document in its language (issue #16): conclusions in
words computed from the result, every shown header and coded value registered, figures
in the reader's language, and a notebook of zh/en markdown pairs.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import polars as pl
import pytest

from tests.pricing.conftest import T, frames, order
from workbench import i18n, pricing
from workbench import notebook as wn
from workbench.pricing import words
from workbench.pricing._synthetic import synthetic_frames

PERIOD = "2026-Q3"
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "pricing.ipynb"
CJK = re.compile(r"[\u4e00-\u9fff]")
FAST = {"intersections": False, "n_permutations": 50, "n_placebo": 5}
SMALL = {"customers": 600, "orders": 8000}


@pytest.fixture(autouse=True)
def _zh() -> Iterator[None]:
    i18n.set_lang("zh")
    yield
    i18n.set_lang("zh")


@pytest.fixture(scope="module")
def planted_frames():
    return synthetic_frames(seed=1, ios_premium=0.04, **SMALL)


@pytest.fixture(scope="module")
def planted(planted_frames):
    """A 4 % iOS premium planted on a third of the skus; model check on."""
    i18n.set_lang("zh")
    return pricing.analyze(planted_frames, PERIOD, **FAST)


@pytest.fixture(scope="module")
def clean():
    """No group premium, no random mark-ups (unannounced promotions remain)."""
    return pricing.analyze(synthetic_frames(seed=3, markup_rate=0.0, **SMALL), PERIOD,
                           model_check=False, **FAST)


@pytest.fixture(scope="module")
def spotless():
    """Four orders at exactly their explained price: nothing to report, groups too small."""
    orders = [order(f"O{i}", customer_id=f"C{i}") for i in range(4)]
    return pricing.analyze(frames(orders), PERIOD, model_check=False, **FAST)


@pytest.fixture(scope="module")
def empty():
    """Orders only after the period: nothing to judge."""
    return pricing.analyze(frames([order("O1", ordered_at=T(2026, 10, 5))]), PERIOD,
                           model_check=False, **FAST)


def _both(result, section: str) -> dict[str, tuple[str, str | None]]:
    out = {}
    for lang in ("zh", "en"):
        i18n.set_lang(lang)
        out[lang] = pricing.conclusion(result, section, PERIOD)
    i18n.set_lang("zh")
    return out


def _days(severity: str) -> int | None:
    from workbench.severity import load_policy

    return getattr(load_policy(), "remediation_days", {}).get(severity)


# ----------------------------------------------------------------- conclusions
def test_disparity_names_the_planted_group_its_money_and_the_rule(planted):
    amount = float(planted.tables["group_amounts"]["amount_cny"][0])
    got = _both(planted, "disparity")
    finding, action = got["zh"]
    assert "iOS 用户" in finding and "大数据杀熟" in finding and "price_disparity" in finding
    assert f"¥{amount:,.2f}" in finding and "《个人信息保护法》第二十四条" in finding
    assert action is not None and "iOS 用户" in action and "设备系统" in action
    if _days("high") is not None:
        assert f"{_days('high')} 日内" in action
    en_finding, en_action = got["en"]
    assert "iOS users" in en_finding and f"¥{amount:,.2f}" in en_finding
    assert not CJK.search(en_finding + str(en_action))


def test_clean_disparity_says_so_and_asks_nothing(clean):
    finding, action = pricing.conclusion(clean, "disparity", PERIOD)
    tested = clean.metrics["groups_tested"]
    assert f"在 {tested:,} 个达到检验规模的客户群体中，没有群体" in finding
    assert "未发现大数据杀熟的证据" in finding and action is None


def test_explained_and_money_state_the_result_numbers(planted):
    m = planted.metrics
    finding, action = pricing.conclusion(planted, "explained", PERIOD)
    assert f"{m['unexplained_premium_orders']:,} 笔" in finding
    assert f"¥{m['overcharge_cny']:,.2f}" in finding and "容差 0.50%" in finding
    assert f"{m['unpublished_promotion_orders']:,} 笔订单使用了从未公开的促销" in finding
    assert action is not None and "退款清单" in action
    finding, action = pricing.conclusion(planted, "money", PERIOD)
    assert f"¥{m['overcharge_cny']:,.2f}" in finding
    assert f"¥{m['attributed_overcharge_cny']:,.2f}" in finding
    assert f"{m['refund_customers']:,} 位客户" in finding and action is not None


def test_the_stated_tolerance_follows_the_parameter(planted_frames):
    res = pricing.analyze(planted_frames, PERIOD, tolerance=0.02, model_check=False, **FAST)
    finding, _ = pricing.conclusion(res, "explained", PERIOD)
    assert "容差 2.00%" in finding and "0.50%" not in finding


def test_clean_orders_say_every_price_is_explained(spotless):
    finding, action = pricing.conclusion(spotless, "explained", PERIOD)
    assert finding.startswith("本期全部 4 笔订单的实收单价都能由公布价格") and action is None
    finding, action = pricing.conclusion(spotless, "money", PERIOD)
    assert finding.startswith("本期没有多收金额") and action is None
    finding, action = pricing.conclusion(spotless, "findings", PERIOD)
    assert "未发现问题" in finding and action is None


def test_groups_too_small_say_what_could_not_be_judged(spotless):
    for section in ("disparity", "mitigation"):
        finding, action = pricing.conclusion(spotless, section, PERIOD)
        assert "这不是“未发现问题”" in finding and "未发现大数据杀熟" not in finding
        assert action is not None and "更长的报告期" in action


def test_nothing_to_judge_is_never_a_clean_result(empty):
    for section in pricing.SECTIONS:
        got = _both(empty, section)
        assert "本期没有订单" in got["zh"][0] and "无从判断" in got["zh"][0]
        assert "这不是“未发现问题”" in got["zh"][0]
        assert "not a clean result" in got["en"][0]
    assert pricing.conclusion(empty, "data")[1] is not None  # check the export, then rerun


def test_findings_overview_counts_by_severity_with_the_policy_deadlines(planted):
    f = planted.findings
    finding, action = pricing.conclusion(planted, "findings", PERIOD)
    assert f"本期共 {f.height:,} 项发现" in finding
    high = f.filter(pl.col("severity") == "high").height
    assert f"高 {high:,} 项" in finding
    if _days("high") is not None:
        assert f"高严重度 {_days('high')} 日内（2026-10-" in str(action)


def test_model_check_conclusions(planted, clean):
    finding, _ = pricing.conclusion(planted, "model", PERIOD)
    assert "平均绝对误差下降" in finding and "设备系统" in finding
    assert "与第 2 节标记的群体一致" in finding
    finding, action = pricing.conclusion(clean, "model", PERIOD)
    assert "没有做模型核验" in finding and "model_check" in finding and action is None


def test_mitigation_conclusions(planted, clean):
    before = planted.tables["mitigation"].filter(pl.col("group") == "device_os=ios")
    finding, action = pricing.conclusion(planted, "mitigation", PERIOD)
    assert f"iOS 用户由 {before['beta_before'][0] * 100:.2f}%" in finding
    assert "安慰剂门槛" in finding and action is not None
    finding, action = pricing.conclusion(clean, "mitigation", PERIOD)
    assert finding == "没有被标记的群体，无需纠偏。" and action is None


def test_an_unknown_section_is_named():
    with pytest.raises(KeyError, match="no conclusion for section 'nope'"):
        pricing.conclusion(None, "nope")  # type: ignore[arg-type]


# ------------------------------------------------------------------ tables
def _shown(result, source_frames) -> dict[str, pl.DataFrame]:
    """Every frame the notebook shows (its tables and its collapsed statistics)."""
    t = result.tables
    model = {k: t[k] for k in ("model_check", "model_importance") if k in t}
    return {**model,
        "data_quality": wn.data_quality(source_frames, PERIOD),
        "findings": wn.findings_view(result.findings),
        "orders_summary": words.orders_summary(t["orders_summary"]),
        "flagged": words.flagged_groups(t["flagged"]),
        "judged": words.judged_groups(t["groups"]),
        "statistics": words.statistics(t["groups"], top=60),
        "sku_premiums": words.sku_premiums(t["sku_effects"]),
        "group_metrics": words.group_metrics(t["metric_frame"]),
        "breakdown": words.breakdown(t["overcharge_breakdown"]),
        "group_money": words.group_money(t["group_amounts"]),
        "by_subsidiary": words.by_subsidiary(t["overcharge_by_subsidiary"]),
        "refunds": words.refund_list(t["refunds"]),
        "mitigation": words.mitigation(t["mitigation"]),
    }


def test_every_shown_column_has_a_chinese_header(planted, planted_frames):
    shown = _shown(planted, planted_frames)
    assert {"model_check", "model_importance", "statistics"} <= set(shown)
    for name, df in shown.items():
        missing = [c for c in df.columns if c not in i18n.COLUMNS]
        assert not missing, f"{name}: no registered header for {missing}"
        headers = [i18n.header(c) for c in df.columns]
        assert all(CJK.search(h) for h in headers), f"{name}: {headers}"
        i18n.set_lang("en")
        assert not any(CJK.search(i18n.header(c)) for c in df.columns), name
        i18n.set_lang("zh")


def test_every_shown_coded_value_is_registered(planted, planted_frames):
    for name, df in _shown(planted, planted_frames).items():
        for col in set(df.columns) & set(i18n.VALUES):
            if df[col].dtype != pl.String:
                continue
            unknown = set(df[col].drop_nulls().to_list()) - set(i18n.VALUES[col])
            assert not unknown, f"{name}.{col}: {sorted(unknown)[:5]}"


@pytest.mark.parametrize("other", ["tiering", "sla", "credit", "marketing"])
def test_pricing_words_leave_shared_and_other_words_alone(other):
    """The registry is global: a column or value another analysis also registers must
    read the same, and the shared "metric" header stays "指标"."""
    import importlib

    theirs = importlib.import_module(f"workbench.{other}._words")
    for col in set(getattr(theirs, "COLUMNS", {})) & set(words.COLUMNS):
        assert theirs.COLUMNS[col] == words.COLUMNS[col], (other, col)
    for col in set(getattr(theirs, "VALUES", {})) & set(words.VALUES):
        for code in set(theirs.VALUES[col]) & set(words.VALUES[col]):
            assert theirs.VALUES[col][code] == words.VALUES[col][code], (other, col, code)
    assert i18n.header("metric") == "指标"


def test_groups_are_shown_in_words(planted, planted_frames):
    for name, df in _shown(planted, planted_frames).items():
        for col in {"group", "label", "cause", "echo_of", "groups"} & set(df.columns):
            if name == "findings":
                continue
            coded = [v for v in df[col].drop_nulls().to_list() if "=" in v]
            assert not coded, f"{name}.{col}: {coded[:3]}"


def test_views_work_when_there_is_nothing_to_show(empty, spotless, planted_frames):
    for result in (empty, spotless):
        for name, df in _shown(result, planted_frames).items():
            assert isinstance(wn.frame_html(wn.readable(df)), str), name
        assert words.judged_groups(result.tables["groups"]).height == 0
    none = pl.DataFrame(schema={"month": pl.Date, "channel": pl.String, "orders": pl.UInt32})
    assert pricing.monthly_orders(none).layout.title.text == "各渠道月订单量"


def test_judged_groups_flagged_first_untested_hidden(planted):
    groups = planted.tables["groups"]
    view = words.judged_groups(groups)
    assert view.height == groups.filter(pl.col("tested")).height
    flags = view["verdict"].str.starts_with("标记").to_list()
    assert flags[: sum(flags)] == [True] * sum(flags) and sum(flags) >= 1
    assert view["group"][0] == "iOS 用户" and view["q_value"][0] == "<0.001"


def test_percentages_and_money_read_as_such(planted):
    summary = words.orders_summary(planted.tables["orders_summary"])
    assert summary["mean_log_premium"][0].endswith("%")
    html = wn.frame_html(wn.readable(words.by_subsidiary(
        planted.tables["overcharge_by_subsidiary"])))
    assert "多收金额" in html and "¥" in html


# ----------------------------------------------------------------- figures
def _figure_text(fig) -> str:
    return json.dumps(fig.to_plotly_json(), ensure_ascii=False, default=str)


def _titles(fig) -> list[str]:
    lay = fig.layout
    return [t for t in (lay.title.text, lay.xaxis.title.text, lay.yaxis.title.text) if t]


def test_figures_are_chinese_under_zh_and_free_of_chinese_under_en(planted_frames):
    monthly = pricing.orders_by_month(planted_frames, PERIOD)
    for lang in ("zh", "en"):
        i18n.set_lang(lang)
        res = pricing.analyze(planted_frames, PERIOD, model_check=False, **FAST)
        figs = {**res.figures, "monthly": pricing.monthly_orders(monthly)}
        assert {"forest", "sku_heatmap", "mitigation", "refund_exposure"} <= set(figs)
        for name, fig in figs.items():
            title = fig.layout.title.text
            if lang == "zh":
                assert all(CJK.search(t) for t in _titles(fig)), (name, _titles(fig))
                assert len(title) <= 20, (name, title)
            else:
                assert not CJK.search(_figure_text(fig)), name
            # categories in words, never codes like device_os=ios
            cats = [str(v) for tr_ in fig.data for v in (getattr(tr_, "x", None) or ())
                    if isinstance(v, str)]
            cats += [str(v) for tr_ in fig.data for v in (getattr(tr_, "y", None) or ())
                     if isinstance(v, str)]
            assert not [c for c in cats if "=" in c], name
            # the title sits above the plot area, under the toolbar
            assert fig.layout.title.yanchor == "bottom" and fig.layout.margin.t >= 60, name


def test_money_axes_carry_the_yuan_sign(planted):
    for name in ("overcharge_by_subsidiary", "refund_exposure", "overcharge_breakdown"):
        assert planted.figures[name].layout.yaxis.tickprefix == "¥", name
    for name in ("forest",):
        assert planted.figures[name].layout.xaxis.ticksuffix == "%", name


def test_heatmap_shows_the_skus_that_carry_the_premium(planted):
    carried = set(planted.tables["sku_effects"].filter(pl.col("affected"))["sku"].to_list())
    shown = set(planted.figures["sku_heatmap"].data[0].x)
    assert carried and shown <= carried  # not one-order skus whose noise looks largest


# --------------------------------------------------------------- parameters
def test_every_parameter_has_a_chinese_meaning():
    for name in pricing.PARAMETERS.names():
        doc = pricing.PARAMETERS[name].doc_zh
        assert CJK.search(doc), name


# ----------------------------------------------------------------- notebook
def _notebook() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


def _prose(source: str) -> str:
    """Markdown without code spans, collapsed blocks and formulas' letters."""
    text = re.sub(r"<details>.*?</details>", "", source, flags=re.S)
    return re.sub(r"`[^`]*`", "", text)


def test_markdown_cells_are_zh_en_pairs():
    cells = [c for c in _notebook().cells if c.cell_type == "markdown"]
    tags = [c.metadata.get("tags", []) for c in cells]
    assert all(t in (["lang-zh"], ["lang-en"]) for t in tags)
    assert [t[0] for t in tags] == ["lang-zh", "lang-en"] * (len(cells) // 2)
    for zh, en in zip(cells[::2], cells[1::2], strict=True):
        zh_heads = re.findall(r"^#+ (.*)$", zh.source, flags=re.M)
        en_heads = re.findall(r"^#+ (.*)$", en.source, flags=re.M)
        assert len(zh_heads) == len(en_heads)
        assert all(CJK.search(h) and not re.search(r"[A-Za-z]{3,}", h) for h in zh_heads)
        assert not any(CJK.search(h) for h in en_heads)


def test_chinese_cells_have_no_english_sentences():
    for cell in _notebook().cells:
        if "lang-zh" in cell.metadata.get("tags", []):
            runs = re.findall(r"[A-Za-z][A-Za-z'\-]*(?:[ ,;:]+[A-Za-z][A-Za-z'\-]*){2,}",
                              _prose(cell.source))
            assert not runs, runs


def test_prose_states_no_parameter_value():
    stated = ("0.005", "0.5 %", "0.5%", "200", "α =", "0.05", "≥ 50", "50 位")
    for cell in _notebook().cells:
        if cell.cell_type == "markdown":
            hits = [s for s in stated if s in _prose(cell.source)]
            assert not hits, (cell.id, hits)


def test_notebook_shows_reader_views_and_every_conclusion():
    code = "\n".join(c.source for c in _notebook().cells if c.cell_type == "code")
    tree = ast.parse(code)
    shown = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr in ("table", "details")
             and isinstance(n.func.value, ast.Name) and n.func.value.id == "wn"]
    allowed_raw = {"T['model_check']", "T['model_importance']",
                   "wn.data_quality(frames, period)"}
    for call in shown:
        frame = ast.unparse(call.args[-1] if call.func.attr == "details" else call.args[0])
        assert frame.startswith("pricing.words.") or frame in allowed_raw, frame
        if frame.startswith("pricing.words."):
            assert hasattr(words, frame.split(".")[2].split("(")[0]), frame
    for section in pricing.SECTIONS:
        assert f'pricing.conclusion(result, "{section}", period)' in code, section
    assert "wn.findings_table(result.findings)" in code


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_executed_zh_notebook_shows_chinese_headers(tmp_path):
    """The notebook run on the tiny sample: every table header it shows is Chinese."""
    import papermill as pm

    from workbench.report.run import _kernel_manager_class
    from workbench.samples import generate

    sample = tmp_path / "tiny"
    generate(sample, scale="tiny")
    pm.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "out.ipynb"), parameters={"source": str(sample)},
        kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOK.parent),
        kernel_manager_class=_kernel_manager_class(tmp_path / "kernel.log"))
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells
                   for o in c.get("outputs", []))
    headers = re.findall(r"<th>(.*?)</th>", html)
    assert headers and all(CJK.search(h) for h in headers), sorted(
        {h for h in headers if not CJK.search(h)})
    assert html.count('class="wb-conclusion"') == len(pricing.SECTIONS)
