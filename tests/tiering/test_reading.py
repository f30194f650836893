"""The tiering report reads as a document in the reader's language: each section's
conclusion and what to do in words, computed from the result; every table the
notebook shows with registered Chinese headers and coded values in words; figures
with Chinese titles, axes and labels under zh and no Chinese under en.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat
import polars as pl
import pytest

from tests.tiering.conftest import POLICY, D, T, assignment, build, customer, of, orders_for
from workbench import i18n
from workbench import notebook as wn
from workbench.contract import rules_for
from workbench.severity import load_policy
from workbench.tiering import analyze, conclusions, views

Q3 = "2026-Q3"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
REPO = Path(__file__).resolve().parents[2]
SECTIONS = ("data_quality", "overview", "policy", "mismatch", "process", "hidden", "disparity")


@pytest.fixture(autouse=True)
def _zh():
    i18n.set_lang("zh")
    yield
    i18n.set_lang("zh")


def _grant(gid: str, cid: str, btype: str, value: float, amount: float) -> dict[str, Any]:
    return {"grant_id": gid, "customer_id": cid, "granted_at": T(2026, 8, 1, 10),
            "benefit_type": btype, "value": value, "amount_cny": amount}


def _core(cid: str) -> list[dict[str, Any]]:
    return orders_for(cid, 8, 700.0, T(2026, 7, 5))


def _vip(cid: str, first: Any) -> list[dict[str, Any]]:
    return orders_for(cid, 30, 1_000.0, first, step_days=9)


AT = T(2026, 7, 15)  # in the period, within every review cycle at its end


def planted_frames() -> dict[str, pl.LazyFrame]:
    """One customer per problem, an unpublished tier and two hidden grants (S1, S2)."""
    policy = [*POLICY, {"tier": "staff", "rank": 0, "min_spend_12m": 0.0, "min_orders_12m": 0,
                        "min_tenure_months": 0, "review_cycle_days": 365, "published_at": None}]
    customers = [customer(c) for c in ("UNDER", "OVER", "OK", "MANUAL", "STALE", "DORMANT")]
    customers.append(customer("S2C", subsidiary_id="S2"))
    orders = (_core("UNDER") + _core("OK") + _core("MANUAL") + _core("S2C")
              + orders_for("DORMANT", 30, 1_000.0, T(2025, 10, 5), step_days=3))
    assign = [assignment("UNDER", "standard", AT), assignment("OVER", "core", AT),
              assignment("OK", "core", AT), assignment("MANUAL", "core", AT, "manual"),
              assignment("STALE", "standard", T(2024, 1, 1)),
              assignment("DORMANT", "vip", AT), assignment("S2C", "core", AT)]
    grants = [_grant("G1", "OK", "rebate_pct", 2.0, 90.0),  # core: rebate not published
              _grant("G2", "S2C", "rebate_pct", 2.0, 10.0),
              _grant("G3", "OK", "discount_pct", 5.0, 30.0)]  # as published
    return build(tier_policy=policy, customers=customers, orders=orders,
                 tier_assignments=assign, benefit_grants=grants)


def clean_frames() -> dict[str, pl.LazyFrame]:
    """Everyone tiered as published and reviewed in the period; published grants only."""
    customers = [customer(f"C{i}", gender="fm"[i % 2], province=["31", "11"][i % 3 == 0])
                 for i in range(12)]
    orders = [o for i in range(0, 12, 3) for o in _core(f"C{i}")]
    orders += [o for i in range(1, 12, 3) for o in _vip(f"C{i}", T(2026, 1, 3))]
    tiers = {0: "core", 1: "vip", 2: "standard"}
    assign = [assignment(f"C{i}", tiers[i % 3], AT) for i in range(12)]
    grants = [_grant("G1", "C1", "discount_pct", 10.0, 50.0)]
    return build(customers=customers, orders=orders, tier_assignments=assign,
                 benefit_grants=grants)


def disparity_frames() -> dict[str, pl.LazyFrame]:
    """40 women and 40 men qualifying for core; every second woman holds standard.
    Five customers of province 11 qualify for nothing (an empty group of the
    under-tiering metric).
    """
    customers, orders, assign = [], [], []
    for i in range(80):
        cid, woman = f"D{i:03d}", i < 40
        customers.append(customer(cid, gender="f" if woman else "m"))
        orders += _core(cid)
        under = woman and i % 2 == 0
        assign.append(assignment(cid, "standard" if under else "core", AT))
    for i in range(5):
        customers.append(customer(f"E{i}", province="11"))
        assign.append(assignment(f"E{i}", "standard", AT))
    return build(customers=customers, orders=orders, tier_assignments=assign)


FAST = {"n_bootstrap": 0}


@pytest.fixture(scope="module")
def planted():
    return analyze(planted_frames(), Q3, **FAST)


@pytest.fixture(scope="module")
def clean():
    return analyze(clean_frames(), Q3, min_group_size=2, **FAST)


@pytest.fixture(scope="module")
def disparity():
    return analyze(disparity_frames(), Q3, min_group_size=20, attributes=["gender", "province"],
                   **FAST)


def said(result, lang: str = "zh") -> dict[str, tuple[str, str | None]]:
    i18n.set_lang(lang)
    return {name: getattr(conclusions, name)(result) for name in SECTIONS}


def days(severity: str) -> int:
    return load_policy().remediation_days[severity]


# ---------------------------------------------------------------- conclusions
def test_the_planted_world_has_one_finding_per_problem(planted) -> None:
    got = {r: sorted(of(planted, r)["entity_id"]) for r in planted.findings["rule"].unique()}
    assert got == {"tier_mismatch": ["OVER", "UNDER"], "manual_tier_without_reason": ["MANUAL"],
                   "stale_tier": ["STALE"], "dormant_top_tier": ["DORMANT"],
                   "unpublished_policy": ["staff"], "hidden_benefit": ["G1", "G2"]}


def test_conclusions_state_what_the_planted_evidence_shows(planted) -> None:
    s = said(planted)
    text, todo = s["mismatch"]
    assert "7 位客户中有 2 位（28.6%）" in text and "1 位评低" in text and "1 位评高" in text
    assert "依据《消费者权益保护法》第十条，属于“会员等级与公布标准不符”问题" in text
    assert todo and f"{days('high')} 日内" in todo and "2 位客户" in todo
    text, todo = s["process"]
    assert "1 位客户的当前等级为人工调整，但没有记录理由" in text
    assert "1 位客户的等级超过复核周期没有复核，其中 1 位已超过两个周期" in text
    assert "1 位贵宾会员已连续 6 个月以上没有订单" in text  # dormant_months as used
    assert todo and "补录理由" in todo and f"{days('medium')} 日内" in todo
    text, todo = s["hidden"]
    assert "2 笔权益发放" in text and "¥100.00" in text and "属于“未公布的权益”问题" in text
    assert "子公司 S1 占隐性金额的 90.0%" in text  # 90 of 100, with 2 of 3 grants
    assert todo and "子公司 S1" in todo
    text, todo = s["policy"]
    assert "员工等级（期末持有 0 人）" in text and "从未公布" in text
    assert todo and "公布员工等级的评定标准" in todo
    text, todo = s["overview"]
    assert text.startswith(f"本期共 {planted.findings.height} 项发现")
    assert "涉及未公示权益 ¥100.00" in text and todo and "高严重度 15 日内" in todo


def test_conclusions_follow_the_parameters(planted) -> None:
    """A threshold in a sentence is the one the run used, never a constant."""
    longer = analyze(planted_frames(), Q3, dormant_months=3, **FAST)
    i18n.set_lang("zh")
    assert "连续 3 个月以上" in conclusions.process(longer)[0]


def test_clean_sections_say_so_plainly(clean) -> None:
    assert clean.findings.height == 0
    s = said(clean)
    assert all(todo is None for _, todo in s.values()), s
    assert s["mismatch"][0] == "全部 12 位客户期末持有的等级都与公布标准给出的等级一致。"
    assert s["policy"][0].startswith("全部 3 个会员等级的评定标准均已在报告期结束前公布")
    assert s["process"][0].startswith("人工调级均记录了理由")
    assert s["hidden"][0].startswith("本期 1 笔权益发放都在客户所持等级公布的权益表内")
    assert "没有群体在定级或隐性权益上显著且实质性地差于其他客户" in s["disparity"][0]
    assert "群体和其余客户各至少 2 人" in s["disparity"][0]  # min_group_size as used
    assert s["data_quality"][0].startswith("本期数据足以评估全部 7 条规则")
    assert s["overview"][0] == "本期没有发现问题。"


def test_a_section_with_nothing_to_judge_says_what_could_not_be_judged(clean) -> None:
    frames = clean_frames()
    frames["benefit_grants"] = frames["benefit_grants"].head(0)
    r = analyze(frames, Q3, min_group_size=2, **FAST)
    notes = [n for n in r.metrics["not_judged"] if "hidden_benefit" in n["rules"]]
    assert notes, "the analysis says the grants could not be judged"
    i18n.set_lang("zh")
    text, todo = conclusions.hidden(r)
    assert notes[0]["zh"] in text and "都在" not in text and todo is None
    text, todo = conclusions.data_quality(r)
    assert text.startswith("以下内容本期无法评估") and notes[0]["zh"] in text and todo
    assert "但部分规则因数据不足无法评估" in conclusions.overview(r)[0]
    nobody = analyze(build(), Q3, **FAST)
    text, todo = conclusions.mismatch(nobody)
    assert text and "一致" not in text and todo is None
    note = next(n["zh"] for n in nobody.metrics["not_judged"] if "tier_disparity" in n["rules"])
    text, todo = conclusions.disparity(nobody)
    assert note in text and "没有群体" not in text and todo is None


def test_a_flagged_group_is_named_with_its_rates_and_what_to_do(disparity) -> None:
    assert of(disparity, "tier_disparity")["entity_id"].to_list() == ["gender=f"]
    text, todo = said(disparity)["disparity"]
    assert text.startswith("女性中符合较高等级条件的客户有 50.0% 被评低，其他客户只有 0.0%，"
                           "高 50.0 个百分点")
    assert "多重比较校正后仍然显著" in text and "《个人信息保护法》第二十四条" in text
    assert todo and "对该群体中 20 位被评低的客户逐一按公布标准重新评定" in todo
    text, todo = said(disparity, "en")["disparity"]
    assert text.startswith("50.0% of eligible women were placed below the tier")
    assert todo and "re-tier the 20 under-tiered customers" in todo


@pytest.mark.parametrize("world", ["planted", "clean", "disparity"])
def test_english_conclusions_have_no_chinese(world, request) -> None:
    for name, (text, todo) in said(request.getfixturevalue(world), "en").items():
        assert text and not CJK.search(text + (todo or "")), (name, text, todo)
        assert text[0].isupper() or text[0].isdigit(), (name, text)


# --------------------------------------------------------------------- tables
def _views(result) -> dict[str, pl.DataFrame]:
    return {
        "policy": views.policy_view(result), "mismatch": views.mismatch_view(result),
        "eligibility": views.eligibility_view(result),
        "hidden_sub": views.hidden_by_view(result, "subsidiary"),
        "hidden_tier": views.hidden_by_view(result, "tier"),
        "under": views.disparity_view(result, "under_tiered_rate"),
        "hidden_groups": views.disparity_view(result, "hidden_benefit_rate"),
        "details": views.disparity_details(result), "worklist": views.worklist_view(result),
        "summary": result.tables["findings_summary"], "findings": wn.findings_view(
            result.findings),
    }


def _check_zh(name: str, frame: pl.DataFrame) -> None:
    for column in frame.columns:
        assert column in i18n.COLUMNS, f"{name}: no registered header for {column}"
    shown = wn.readable(frame)
    for header in shown.columns:
        assert CJK.search(header), f"{name}: header {header!r} is not Chinese"
    for column in set(frame.columns) & set(i18n.VALUES):
        codes = set(frame[column].drop_nulls().to_list()) & set(i18n.VALUES[column])
        words = set(shown[i18n.header(column)].to_list())
        assert not {c for c in codes if isinstance(c, str)} & words, (name, column)


def _check_en(name: str, frame: pl.DataFrame) -> None:
    shown = wn.readable(frame)
    cells = " ".join(map(str, shown.columns)) + " ".join(
        str(v) for c in shown.columns for v in shown[c].to_list())
    assert not CJK.search(cells), f"{name}: Chinese in the English table"


@pytest.mark.parametrize("world", ["planted", "disparity"])
def test_every_view_has_chinese_headers_and_words(world, request) -> None:
    result = request.getfixturevalue(world)
    i18n.set_lang("zh")
    for name, frame in _views(result).items():
        _check_zh(name, frame)
    i18n.set_lang("en")
    for name, frame in _views(result).items():
        _check_en(name, frame)


def test_tiers_groups_and_policy_entities_are_words(planted, disparity) -> None:
    i18n.set_lang("zh")
    shown = wn.readable(views.eligibility_view(planted))
    assert set(shown["应得等级"]) <= {"贵宾", "核心", "标准"}
    assert set(shown["定级结果"]) == {"评低", "评高", "相符"}
    assert views.mismatch_view(planted).columns[1:] == ["held_vip", "held_core", "held_standard"]
    assert wn.readable(views.mismatch_view(planted)).columns[1] == "实际为贵宾"
    work = views.worklist_view(planted)
    assert "员工" in work["entity_id"].to_list() and "staff" not in work["entity_id"].to_list()
    assert not any(CJK.search(s) is None for s in work["evidence"].to_list())
    groups = wn.readable(views.disparity_view(disparity, "under_tiered_rate"))["客户群体"]
    assert groups.to_list()[0] == "女性"


def test_group_tables_put_flagged_first_and_hide_empty_groups(disparity) -> None:
    d = views.disparity_details(disparity)
    assert d["n_group"].min() > 0
    assert d["flagged"].to_list() == sorted(d["flagged"].to_list(), reverse=True)
    assert d["flagged"][0] and d["group"][0] == "gender=f"
    raw = disparity.tables["disparity"]
    assert raw.filter(pl.col("n_group") == 0).height > 0, "the raw table has empty groups"
    tested = views.disparity_view(disparity, "under_tiered_rate")
    assert tested["flagged"].to_list()[0] and tested["gap_points"][0] == 50.0


def test_the_problem_customers_come_first(planted) -> None:
    e = views.eligibility_view(planted)
    problems = {"UNDER", "OVER", "MANUAL", "STALE", "DORMANT"}
    assert set(e["customer_id"].head(len(problems))) == problems
    assert e["customer_id"][0] == "UNDER"  # under-tiered before over-tiered


# -------------------------------------------------------- the notebook's tables
def _run_notebook(lang: str, monkeypatch) -> dict[str, list[Any]]:
    """Execute the notebook's code in this process on the repository sample, with the
    display calls recorded instead of shown.
    """
    shown: dict[str, list[Any]] = {"table": [], "details": [], "conclusion": [], "show": []}
    monkeypatch.setattr(wn, "table", lambda df, *a, **k: shown["table"].append(df))
    monkeypatch.setattr(wn, "details", lambda s, body: shown["details"].append((s, body)))
    monkeypatch.setattr(wn, "findings_table",
                        lambda f, *a, **k: shown["table"].append(wn.findings_view(f)))
    monkeypatch.setattr(wn, "conclusion", lambda *parts: shown["conclusion"].append(parts))
    monkeypatch.setattr(wn, "show", lambda fig: shown["show"].append(fig))
    nb = nbformat.read(REPO / "notebooks" / "tiering.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    ns: dict[str, Any] = {}
    exec(code[0].source, ns)  # the parameters cell
    ns.update(source=str(REPO / "data" / "samples"), lang=lang, n_bootstrap=0,
              validate_source=False)
    for cell in code[1:]:
        exec(cell.source, ns)
    return shown


@pytest.mark.slow
def test_every_table_the_notebook_shows_reads_in_the_report_language(monkeypatch) -> None:
    zh = _run_notebook("zh", monkeypatch)
    assert len(zh["conclusion"]) == len(SECTIONS) and len(zh["show"]) == 5
    for i, frame in enumerate(zh["table"] + [b for _, b in zh["details"]]):
        _check_zh(f"table {i}", frame)
    for text, todo in zh["conclusion"]:
        for words in (text, todo or ""):
            assert not re.search(r"[A-Za-z]{4,} [A-Za-z]{3,}", words), words
        assert CJK.search(text), text
    en = _run_notebook("en", monkeypatch)
    for i, frame in enumerate(en["table"] + [b for _, b in en["details"]]):
        _check_en(f"table {i}", frame)
    assert not any(CJK.search(t + (a or "")) for t, a in en["conclusion"])
    assert not any(CJK.search(f.to_json()) for f in en["show"])


def test_notebook_markdown_is_one_language_per_cell() -> None:
    nb = nbformat.read(REPO / "notebooks" / "tiering.ipynb", as_version=4)
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    tags = [c.metadata.get("tags", []) for c in md]
    assert tags == [["lang-zh"], ["lang-en"]] * (len(md) // 2)
    bases = {r.legal_basis for r in rules_for("tiering")}  # the contract's citations

    def cited(text: str) -> str:
        for basis in bases:
            text = text.replace(basis, "")
        return re.sub(r"`[^`]*`", "", text)  # code identifiers

    for zh, en in zip(md[::2], md[1::2], strict=True):
        assert zh.source.split("\n")[0].startswith("#") == en.source.split("\n")[0].startswith(
            "#")
        assert not CJK.search(cited(en.source)), en.source[:80]
        words = re.sub(r"Benjamini–Hochberg|Fisher|bootstrap", "", cited(zh.source))
        assert not re.search(r"[A-Za-z]{3,}", words), zh.source[:80]
        heading = zh.source.split("\n")[0]
        assert not heading.startswith("#") or not re.search(r"[A-Za-z]", heading)


# -------------------------------------------------------------------- figures
def _texts(fig) -> dict[str, list[str]]:
    layout = fig.layout
    axes = [getattr(layout, k) for k in layout if k.startswith(("xaxis", "yaxis"))]
    return {
        "title": [layout.title.text],
        "axes": [a.title.text for a in axes if a.title.text],
        "annotations": [a.text for a in layout.annotations or ()],
        "names": [t.name for t in fig.data if t.name],
        "hover": [t.hovertemplate for t in fig.data
                  if t.hovertemplate and t.hovertemplate != "%{customdata}<extra></extra>"]
        + [str(c) for t in fig.data if t.hovertemplate == "%{customdata}<extra></extra>"
           for row in t.customdata for c in row],
        "legend": [layout.legend.title.text] if layout.legend.title.text else [],
    }


@pytest.mark.parametrize("world", ["planted", "disparity"])
def test_figures_speak_chinese_under_zh_and_no_chinese_under_en(world) -> None:
    frames = {"planted": planted_frames, "disparity": disparity_frames}[world]()
    kw = ({"min_group_size": 20, "attributes": ["gender", "province"]} if world == "disparity"
          else {})
    i18n.set_lang("zh")
    r = analyze(frames, Q3, **kw, **FAST)
    for name, fig in r.figures.items():
        for kind, texts in _texts(fig).items():
            for text in texts:
                assert CJK.search(text), (name, kind, text)
        title = fig.layout.title
        assert len(title.text) <= 16, (name, title.text)  # short: clear of the toolbar
        assert title.yref == "container" and title.pad.t >= 30 and fig.layout.margin.t >= 90
    i18n.set_lang("en")
    r = analyze(frames, Q3, **kw, **FAST)
    for name, fig in r.figures.items():
        assert not CJK.search(fig.to_json()), name
        assert len(fig.layout.title.text) <= 40, name


def test_heatmap_cells_say_where_the_under_tiered_customers_are(planted) -> None:
    i18n.set_lang("zh")
    fig = analyze(planted_frames(), Q3, **FAST).figures["eligibility_heatmap"]
    labels = {}
    for trace in fig.data:
        for i, row in enumerate(trace.text):
            for j, text in enumerate(row):
                if text:
                    labels[(trace.y[i], trace.x[j])] = text
    # UNDER: eligible core, holds standard; OVER: eligible standard, holds core
    assert labels[("核心", "标准")] == "1<br>评低"
    assert labels[("标准", "核心")] == "1<br>评高"
    rank = {"贵宾": 3, "核心": 2, "标准": 1}
    for (due, held), text in labels.items():
        if "评低" in text:
            assert rank[held] < rank[due]
        if "评高" in text:
            assert rank[held] > rank[due]
    tiers = fig.layout.yaxis
    assert tiers.autorange == "reversed"  # best tier on top: under-tiered cells top right


def test_money_and_shares_carry_their_units(planted) -> None:
    i18n.set_lang("zh")
    figs = analyze(planted_frames(), Q3, **FAST).figures
    hidden = figs["hidden_by_subsidiary"].layout
    assert hidden.yaxis.tickprefix == "¥" and hidden.yaxis2.tickformat == ".0%"
    assert hidden.xaxis.type == "category"  # "0110" is a subsidiary, not the number 110
    dist = figs["tier_distribution"].layout
    assert dist.yaxis.tickformat == ".0%" and "%" in dist.yaxis.title.text
    assert "百分点" in figs["disparity_forest"].layout.xaxis.title.text


def test_forest_rows_are_groups_in_words(disparity) -> None:
    i18n.set_lang("zh")
    fig = analyze(disparity_frames(), Q3, min_group_size=20, attributes=["gender", "province"],
                  **FAST).figures["disparity_forest"]
    points = [t for t in fig.data if any(v is not None for v in t.x)]
    assert "女性" in points[0].y and not any("=" in y for y in points[0].y)
    legend = {t.name for t in fig.data if t.name}
    assert "问题群体" in legend
    assert json.loads(fig.to_json())["layout"]["title"]["text"].startswith("群体差异")


def test_parameters_have_a_chinese_meaning() -> None:
    from workbench.tiering import PARAMETERS

    for name in PARAMETERS.names():
        assert CJK.search(PARAMETERS[name].doc_zh), name


def test_clean_frames_have_the_stated_shape() -> None:
    """The clean world is what its docstring says (guards the clean-data tests)."""
    r = analyze(clean_frames(), Q3, min_group_size=2, **FAST)
    assert r.metrics["customers_in_scope"] == 12 and r.findings.height == 0
    assert D(2024, 7, 1) == POLICY[0]["published_at"]
