"""The marketing report as a reader gets it: conclusions in words computed from the
result (planted, clean, empty and not evaluated), every table the notebook shows with
Chinese headers and values, figures in the report's language with units, and a
notebook whose markdown comes in zh/en pairs without stating a limit's value.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import nbformat
import plotly.graph_objects as go
import polars as pl
import pytest

from tests.marketing.conftest import PERIOD, T, consent, frames, message, request
from workbench import i18n, marketing, sources
from workbench import notebook as wn
from workbench.contract import rules_for
from workbench.marketing import views
from workbench.severity import remediation_due

NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "marketing.ipynb"
CJK = re.compile(r"[\u4e00-\u9fff]")
#: ASCII words a Chinese sentence may carry (file names, ids, the ad label's reply code).
ALLOWED_ASCII = {"findings", "csv", "worklists", "marketing_messages", "consents",
                 "privacy_requests", "iOS", "SMS"}
LAST_DAY = dt.date(2026, 9, 30)


@pytest.fixture(autouse=True)
def _zh_after() -> Any:
    yield
    i18n.set_lang("zh")


def english_words(text: str) -> list[str]:
    """ASCII words of three letters or more that are not allowed in Chinese prose."""
    return [w for w in re.findall(r"[A-Za-z][A-Za-z_]{2,}", text) if w not in ALLOWED_ASCII]


def said(result: Any, section: str, lang: str = "zh") -> tuple[str, str | None]:
    i18n.set_lang(lang)
    return marketing.conclusion(result, section, PERIOD)


def due(severity: str) -> str:
    days = (remediation_due(severity, LAST_DAY) - LAST_DAY).days  # type: ignore[operator]
    return f"在 {days} 日内（{remediation_due(severity, LAST_DAY)} 前）"


@pytest.fixture(scope="module")
def planted_result(planted: tuple[Path, dict[str, Any]]) -> Any:
    return marketing.analyze(sources.load(planted[0], tables=marketing.TABLES), PERIOD)


@pytest.fixture(scope="module")
def clean_result(clean: tuple[Path, dict[str, Any]]) -> Any:
    return marketing.analyze(sources.load(clean[0], tables=marketing.TABLES), PERIOD)


# ------------------------------------------------------------------ conclusions
def test_planted_conclusions_state_the_counts_the_rule_and_a_deadline(planted_result: Any) -> None:
    f = planted_result.findings
    n = {r.code: f.filter(pl.col("rule") == r.code).height for r in rules_for("marketing")}
    assert all(n.values()), n  # the sample plants every marketing rule
    text, action = said(planted_result, "labels")
    assert f"{n['ad_unlabelled']:,} 条没有在开头或结尾标明“广告”" in text
    assert f"{n['no_opt_out']:,} 条没有告知拒收方式" in text and "规则“未提供拒收方式”" in text
    assert action and due("medium") in action
    text, action = said(planted_result, "absolute_terms")
    assert text.startswith(f"{n['absolute_term']:,} 条商业信息使用了绝对化用语")
    assert "《广告法》第九条第（三）项" in text and action and due("high") in action
    text, action = said(planted_result, "consent")
    assert f"{n['marketing_without_consent']:,} 条没有" in text and action
    text, action = said(planted_result, "requests")
    assert f"{n['refusal_without_reason']:,} 件未说明理由" in text
    assert action and due("medium") in action
    text, action = said(planted_result, "findings")
    assert text.startswith(f"本期共 {f.height:,} 项发现") and action
    worst = next(s for s in ("high", "medium", "low") if (f["severity"] == s).any())
    assert due(worst) in action
    for section in marketing.SECTIONS:  # no English in the Chinese, no Chinese in the English
        text, action = said(planted_result, section)
        assert CJK.search(text) and not english_words(text + (action or "")), section
        en_text, en_action = said(planted_result, section, "en")
        assert not CJK.search(en_text + (en_action or "")), (section, en_text)


def test_clean_data_says_so_plainly(clean_result: Any) -> None:
    assert clean_result.findings.height == 0 and clean_result.metrics["commercial"] > 0
    text, action = said(clean_result, "findings")
    assert text.startswith("本期未发现") and action is None
    for section in ("commercial", "labels", "absolute_terms", "consent", "requests"):
        text, action = said(clean_result, section)
        assert action is None, (section, text)
        assert "违反" not in text and "无从评估" not in text, (section, text)
    assert "都在开头或结尾标明了“广告”" in said(clean_result, "labels")[0]
    assert "都有有效的营销同意" in said(clean_result, "consent")[0]
    assert said(clean_result, "findings", "en")[0].startswith("No commercial message")


def test_a_planted_withdrawal_and_a_disguised_ad_are_named_with_their_deadline() -> None:
    late = T(2026, 9, 1, 10)
    res = marketing.analyze(frames(
        marketing_messages=[
            message("M1", "全场5折，限时抢购，立即下单！", purpose="service", sent=late),
            message("M2", "【广告】新品上市，会员专享价99元起，回T退订", customer="C2"),
        ],
        consents=[consent("K1", withdrawn=T(2026, 7, 1)),
                  consent("K2", customer="C2")],
        privacy_requests=[request("Q1", received=T(2026, 7, 1, 9)),
                          request("Q2", received=T(2026, 8, 3, 9), completed=T(2026, 8, 5, 9),
                                  outcome="refused")],
    ), PERIOD)
    text, action = said(res, "labels")
    assert "其中 1 条还被标为服务或交易信息" in text
    assert action and f"被标为服务或交易的 1 条广告，请{due('high')}" in action
    text, action = said(res, "consent")
    assert "1 条发给已撤回同意的客户" in text and "从未同意" not in text
    assert action and action.startswith("对已撤回同意的客户立即停止发送")
    text, action = said(res, "requests")
    assert "1 件到期末仍未办结" in text and "1 件未说明理由" in text
    assert action and "到期末仍未办结的 1 件" in action
    text, _ = said(res, "commercial")
    assert "另有 1 条标为服务或交易" in text


def test_nothing_to_judge_is_not_a_clean_result() -> None:
    res = marketing.analyze(frames(), PERIOD)
    assert res.metrics["evaluated"] is True and res.metrics["messages"] == 0
    for section in marketing.SECTIONS:
        text, action = said(res, section)
        assert "无从评估" in text or "无可评估" in text, (section, text)
        assert not text.startswith("本期未发现"), (section, text)
    assert said(res, "data")[1]  # check the export
    assert "not a clean result" in said(res, "findings", "en")[0]


def test_a_source_without_the_marketing_tables_is_not_evaluated() -> None:
    bare = {k: v for k, v in frames().items() if k in ("subsidiaries", "customers")}
    res = marketing.analyze(bare, PERIOD)
    text, action = said(res, "data")
    assert text.startswith("本期未评估营销与个人信息合规（数据源没有 marketing_messages、consents、"
                           "privacy_requests 三张表）") and "不是“未发现问题”" in text
    assert action and "三张表" in action
    for section in marketing.SECTIONS:
        text, _ = said(res, section)
        assert text.startswith("本期未评估"), section
        assert said(res, section, "en")[0].startswith("Marketing and personal-information "
                                                      "compliance was not evaluated")


def test_an_unknown_section_is_refused(planted_result: Any) -> None:
    with pytest.raises(ValueError, match="no conclusion for section 'nope'"):
        marketing.conclusion(planted_result, "nope")


# ------------------------------------------------------------------------ views
def test_views_put_the_flagged_first(planted_result: Any) -> None:
    sub = views.subsidiary_view(planted_result.tables["by_subsidiary"])
    assert sub["findings"].is_sorted(descending=True) and sub["findings"][0] > 0
    cons = views.consent_view(planted_result.tables["consent"])
    without = cons["withdrawn"] + cons["never"]
    assert without.is_sorted(descending=True)
    assert ((cons["in_force"] + without) == cons["commercial"]).all()
    adh = views.adherence_view(planted_result.tables["request_adherence"])
    assert adh["overdue"].is_sorted(descending=True)
    assert (adh["due"] == adh["met"] + adh["overdue"]).all()
    req = views.requests_view(planted_result.tables["requests"])
    assert req["state"][0] == "overdue" and req["state"][-1] in ("met", "running")
    ref = views.refusals_view(planted_result.tables["refusals"])
    assert ref["without_reason"].is_sorted(descending=True)


def test_the_findings_list_shows_every_rule_worst_first(planted_result: Any) -> None:
    f = planted_result.findings
    few = views.worst_per_rule(f, n=2)
    assert set(few["rule"]) == set(f["rule"]) and few.group_by("rule").len()["len"].max() == 2
    for rule, part in few.group_by("rule"):
        worst = next(s for s in ("high", "medium", "low")
                     if (f.filter(pl.col("rule") == rule[0])["severity"] == s).any())
        assert part["severity"][0] == worst, rule


def test_limits_shared_by_every_kind_read_as_one_row() -> None:
    i18n.set_lang("zh")
    since = dt.date(2021, 11, 1)
    policy = pl.DataFrame({"version": ["1"] * 3, "effective_from": [since] * 3,
                           "kind": ["access", "delete", "port"],
                           "clock": ["working_days"] * 3, "limit": [15, 15, 15]})
    assert views.policy_view(policy)["kinds"].to_list() == ["全部类型"]
    mixed = policy.with_columns(pl.Series("limit", [15, 15, 30]))
    assert sorted(views.policy_view(mixed)["kinds"].to_list()) == ["查阅、删除", "转移"]


# ------------------------------------------------------------- notebook tables
class _Shown:
    """What a run of the notebook's code cells puts on screen."""

    def __init__(self) -> None:
        self.tables: list[pl.DataFrame] = []
        self.figures: list[go.Figure] = []
        self.texts: list[str] = []


def run_notebook(source: Path, lang: str, monkeypatch: pytest.MonkeyPatch) -> _Shown:
    """Execute the notebook's code cells in-process, recording every table, figure,
    collapsed block and conclusion (what the report would show)."""
    shown = _Shown()
    monkeypatch.setattr(wn, "table", lambda df, *a, **k: shown.tables.append(
        df.collect() if isinstance(df, pl.LazyFrame) else df))
    monkeypatch.setattr(wn, "findings_table", lambda f, *a, **k: shown.tables.append(
        wn.findings_view(f)))
    monkeypatch.setattr(wn, "details", lambda s, body: (
        shown.texts.append(s),
        shown.tables.append(body) if isinstance(body, pl.DataFrame) else None))
    monkeypatch.setattr(wn, "show", shown.figures.append)
    monkeypatch.setattr(wn, "conclusion", lambda f, a=None: shown.texts.extend([f, a or ""]))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    env: dict[str, Any] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "marketing.ipynb", "exec"), env)  # noqa: S102
            if "parameters" in cell.metadata.get("tags", []):
                env.update(source=str(source), lang=lang, validate_source=False)
    return shown


@pytest.fixture(scope="module")
def shown_zh(planted: tuple[Path, dict[str, Any]]) -> _Shown:
    with pytest.MonkeyPatch.context() as mp:
        return run_notebook(planted[0], "zh", mp)


def test_every_table_the_notebook_shows_has_chinese_headers(shown_zh: _Shown) -> None:
    i18n.set_lang("zh")
    assert len(shown_zh.tables) >= 11 and len(shown_zh.figures) == 5
    for df in shown_zh.tables:
        missing = [c for c in df.columns if c not in i18n.COLUMNS]
        assert not missing, (missing, df.columns)
        headers = [i18n.header(c) for c in df.columns]
        assert all(CJK.search(h) for h in headers), headers


def test_coded_values_in_the_tables_read_in_words(shown_zh: _Shown) -> None:
    i18n.set_lang("zh")
    snake = re.compile(r"^[a-z]+(_[a-z0-9]+)*$")
    identifiers = {"table", "date_column", "null_share", "source", "term"}
    for df in shown_zh.tables:
        view = wn.readable(df)
        for col, header in zip(df.columns, view.columns, strict=True):
            if col in identifiers or view[header].dtype != pl.String:
                continue
            codes = [v for v in view[header].drop_nulls().unique().to_list() if snake.match(v)]
            assert not codes, (col, codes[:5])


def test_conclusions_and_details_of_the_notebook_read_in_chinese(shown_zh: _Shown) -> None:
    texts = [t for t in shown_zh.texts if t]
    assert len(texts) >= 14  # 7 conclusions with their actions, 4 collapsed blocks
    assert not [t for t in texts if english_words(t)][:3]


def test_the_notebook_without_the_tables_shows_only_what_it_can(
        planted: tuple[Path, dict[str, Any]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for p in planted[0].iterdir():
        if p.stem not in ("marketing_messages", "consents", "privacy_requests"):
            (tmp_path / p.name).write_bytes(p.read_bytes())
    shown = run_notebook(tmp_path, "zh", monkeypatch)
    assert "本期未评估营销与个人信息合规" in capsys.readouterr().out
    assert shown.figures == [] and len(shown.tables) == 1  # the data overview only
    assert shown.texts[0].startswith("本期未评估营销与个人信息合规") and shown.texts[1]


# ---------------------------------------------------------------------- figures
def _labels(fig: go.Figure) -> dict[str, list[str]]:
    """Title, axis titles and the other words of a figure (legends, hovers, annotations,
    category labels); the categories of a horizontal bar (quoted terms) apart.
    """
    d = fig.to_plotly_json()
    lay = d["layout"]
    out: dict[str, list[str]] = {"title": [(lay.get("title") or {}).get("text") or ""],
                                 "terms": []}
    out["axes"] = [(lay[k].get("title") or {}).get("text") or "" for k in lay
                   if k.startswith(("xaxis", "yaxis")) and lay[k].get("title")]
    out["other"] = [a.get("text", "") for a in lay.get("annotations") or []]
    for t in d["data"]:
        out["other"] += [t.get("name") or "", t.get("hovertemplate") or ""]
        for k in ("x", "y"):
            v = t.get(k)
            if v is not None and not isinstance(v, dict) and len(v) and isinstance(v[0], str):
                quoted = k == "y" and t.get("orientation") == "h"
                out["terms" if quoted else "other"] += list(v)
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_figures_speak_the_report_language(planted: tuple[Path, dict[str, Any]],
                                           lang: str) -> None:
    i18n.set_lang(lang)
    res = marketing.analyze(sources.load(planted[0], tables=marketing.TABLES), PERIOD)
    assert len(res.figures) == 5
    for name, fig in res.figures.items():
        labels = _labels(fig)
        title = labels["title"][0]
        assert title and len(title) <= (18 if lang == "zh" else 40), (name, title)
        assert labels["axes"], name
        if lang == "zh":
            assert CJK.search(title) and all(CJK.search(a) for a in labels["axes"]), name
            assert all(CJK.search(h) for h in labels["other"] if "<extra>" in h), name
        else:  # the absolute terms themselves are quoted in Chinese ("terms")
            texts = labels["title"] + labels["axes"] + labels["other"]
            assert not [t for t in texts if CJK.search(t)], (name, texts)


def test_counts_on_the_axes_carry_their_unit(planted_result: Any) -> None:
    i18n.set_lang("zh")
    units = {"rules_by_subsidiary": "条", "commercial_mix": "条", "consent_by_channel": "条",
             "absolute_terms": "条", "requests_by_kind": "件"}
    for name, unit in units.items():
        assert any(f"（{unit}" in a for a in _labels(planted_result.figures[name])["axes"]), name


def test_an_empty_figure_says_what_is_not_there_and_the_tables_stay_empty() -> None:
    i18n.set_lang("zh")
    res = marketing.analyze(frames(), PERIOD)
    for name, fig in res.figures.items():
        notes = [a.text for a in fig.layout.annotations]
        assert notes and CJK.search(notes[0]) and not fig.data, name
    t = res.tables
    for view in (views.subsidiary_view(t["by_subsidiary"]), views.consent_view(t["consent"]),
                 views.adherence_view(t["request_adherence"]), views.refusals_view(t["refusals"]),
                 views.requests_view(t["requests"]), views.worst_per_rule(res.findings),
                 views.signals_view(t["signals"], marketing.load_content_rules())):
        assert view.height == 0
    assert views.policy_view(t["policy"], t["requests"]).height >= 1  # every version


# --------------------------------------------------------------------- notebook
def _markdown(nb: nbformat.NotebookNode, lang: str) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "markdown"
            and f"lang-{lang}" in c.metadata.get("tags", [])]


def test_markdown_comes_in_language_pairs_without_mixed_headings() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    tags = [sorted(t for t in c.metadata.get("tags", []) if t.startswith("lang-")) for c in md]
    pairs = [sorted([a[0], b[0]]) for a, b in zip(tags[::2], tags[1::2], strict=True)]
    assert all(len(t) == 1 for t in tags) and pairs == [["lang-en", "lang-zh"]] * (len(md) // 2)
    zh, en = _markdown(nb, "zh"), _markdown(nb, "en")
    heads_zh = [line for s in zh for line in s.splitlines() if line.startswith("#")]
    heads_en = [line for s in en for line in s.splitlines() if line.startswith("#")]
    assert len(heads_zh) == len(heads_en) >= 8
    assert all(CJK.search(h) and not english_words(h) and "·" not in h for h in heads_zh)
    assert not [h for h in heads_en if CJK.search(h)]
    for text in zh:  # Chinese prose: English only in code
        prose = re.sub(r"`[^`]*`", "", text)
        assert not english_words(prose), english_words(prose)[:5]


def test_the_titles_cite_the_law_in_the_readers_language() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    (zh,), (en,) = _markdown(nb, "zh")[:1], _markdown(nb, "en")[:1]
    for rule in rules_for("marketing"):
        assert f"`{rule.code}`" in zh and f"`{rule.code}`" in en
        assert all(law in zh for law in re.findall(r"《[^》]+》", rule.legal_basis)), rule.code
        assert rule.legal_basis in en  # as written: the Chinese citation and its gloss
        assert rule.title_zh in zh and rule.title_en in en


def test_markdown_states_no_limit_or_threshold() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    text = "\n".join(_markdown(nb, "zh")[1:] + _markdown(nb, "en")[1:])  # titles cite laws
    limits = {n for v in marketing.load_policy().versions for n in v.limits.values()}
    for n in limits:
        assert not re.search(rf"(?<![\d.]){n}(?![\d.])", text), n
    threshold = marketing.load_content_rules().threshold
    assert not re.search(rf"(门槛|threshold)\D{{0,6}}{threshold}", text)


def test_sections_that_need_the_tables_are_tagged_and_guarded() -> None:
    """A renderer can drop the ``if-evaluated`` cells of a report that was not
    evaluated; their code shows nothing then anyway."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "if-evaluated" in c.metadata.get("tags", [])]
    assert len(tagged) >= 18
    for c in tagged:
        if c.cell_type == "code":
            assert c.source.startswith("if evaluated:"), c.source[:40]
    kept = [c for c in nb.cells if "if-evaluated" not in c.metadata.get("tags", [])
            and c.cell_type == "markdown"]
    heads = [line for c in kept for line in c.source.splitlines() if line.startswith("## ")]
    assert heads == ["## 数据概况", "## Data overview"]
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for section in marketing.SECTIONS:
        assert f'marketing.conclusion(result, "{section}", period)' in code


def test_every_parameter_has_a_chinese_meaning() -> None:
    for name in marketing.PARAMETERS.names():
        doc = marketing.PARAMETERS[name].doc_zh
        assert CJK.search(doc), name
