"""The credit report as a reader gets it: conclusions in words computed from the
result (planted, clean and empty data), every table the notebook shows with Chinese
headers and values, figures titled in the report's language, and a notebook whose
markdown comes in zh/en pairs without stating parameter values.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import plotly.graph_objects as go
import polars as pl
import pytest
from scipy import stats

from workbench import credit, i18n, sources
from workbench import notebook as wn
from workbench.credit import _conclusions, _figures, _words
from workbench.credit._scoring import MSG_FEW_OUTCOMES, MSG_NO_OUTCOMES
from workbench.credit._validation import (
    ABOVE,
    MSG_FLAT_FEATURES,
    MSG_NO_OUT_OF_TIME,
    MSG_ONE_CLASS,
    PSI_SHIFT,
)
from workbench.report.run import default_notebooks_dir

NOTEBOOK = default_notebooks_dir() / "credit.ipynb"
CJK = re.compile(r"[\u4e00-\u9fff]")
#: Acronyms and code words a Chinese sentence may carry.
ALLOWED_ASCII = {"AUC", "KS", "PSI", "Brier", "WoE", "IV", "GB", "USCC", "ROC", "Jeffreys",
                 "AAA", "AA", "BBB", "BB", "findings", "csv", "base_score", "base_odds", "pdo",
                 "recalibration", "min_class_rows", "python", "stdnum", "Excel"}
RULES = ("registry_knockout", "registry_change", "annual_report_overdue", "invalid_uscc")


@pytest.fixture(autouse=True)
def _zh_after() -> Any:
    yield
    i18n.set_lang("zh")


def english_words(text: str) -> list[str]:
    """ASCII words of three letters or more that are not an allowed acronym."""
    return [w for w in re.findall(r"[A-Za-z][A-Za-z_]{2,}", text) if w not in ALLOWED_ASCII]


def both(result: Any, section: str, lang: str) -> tuple[str, str | None]:
    i18n.set_lang(lang)
    return credit.conclusion(result, section)


# ------------------------------------------------------------------ conclusions
@pytest.mark.parametrize("rule", RULES)
def test_rule_conclusions_state_the_planted_counts_money_and_a_deadline(
    sample_result: Any, rule: str
) -> None:
    f = sample_result.findings.filter(pl.col("rule") == rule)
    assert f.height, "the sample plants every credit rule"
    owed = f.filter(pl.col("amount_cny") > 0.005)
    text, action = both(sample_result, rule, "zh")
    assert f"{f.height:,} " in text
    assert f"¥{owed['amount_cny'].sum():,.2f}" in text or rule == "registry_change"
    assert action and CJK.search(action) and not english_words(text + action)
    worst = next(s for s in ("high", "medium", "low") if (f["severity"] == s).any())
    days = _conclusions._days(worst)
    due = (dt.date(2026, 9, 30) + dt.timedelta(days=days)).isoformat()
    assert f"{days} 日内（{due} 前）" in action  # the severity policy's remediation days
    en_text, en_action = both(sample_result, rule, "en")
    assert not CJK.search(en_text + (en_action or ""))


def test_findings_conclusion_counts_each_enterprise_once(sample_result: Any) -> None:
    f = sample_result.findings
    once = f.group_by("entity_id").agg(pl.col("amount_cny").max())["amount_cny"].sum()
    text, action = both(sample_result, "findings", "zh")
    assert f"本期共 {f.height:,} 项发现" in text and f"¥{once:,.2f}" in text
    assert f"¥{f['amount_cny'].sum():,.2f}" not in text  # not the double-counted total
    high = f.filter(pl.col("severity") == "high").height
    assert action and f"高严重度的 {high} 项" in action


def test_change_conclusion_splits_the_changes_by_severity(sample_result: Any) -> None:
    f = sample_result.findings.filter(pl.col("rule") == "registry_change")
    counts = {s: int((f["severity"] == s).sum()) for s in ("high", "medium", "low")}
    text, action = both(sample_result, "registry_change", "zh")
    assert (f"{counts['high']} 家因此变为否决（高），{counts['medium']} 家情况变差（中），"
            f"{counts['low']} 家有所改善（低）") in text
    assert action and action.count("日内") == sum(1 for v in counts.values() if v)


def test_clean_data_says_so_plainly(clean_dir: Path) -> None:
    res = credit.analyze(sources.load(clean_dir, tables=list(credit.TABLES)), "2026-Q3")
    assert res.findings.height == 0
    text, action = both(res, "findings", "zh")
    assert text.startswith("本期未发现") and action is None
    for rule in RULES:
        text, action = both(res, rule, "zh")
        assert action is None, text
        assert not re.search(r"\d", text.replace("32100", "")), text  # no count to report
    assert both(res, "findings", "en")[0].startswith("No enterprise customer")


def test_nothing_to_judge_is_not_a_clean_result(rf: Any) -> None:
    frames = {
        "customers": rf.frame("customers", [{"customer_id": "P1", "subsidiary_id": "S1",
                                             "customer_type": "individual",
                                             "signup_date": rf.D(2020, 1, 1)}]),
        "receivables": rf.frame("receivables", []),
        "registry_snapshots": rf.frame("registry_snapshots", []),
        "registry_events": rf.frame("registry_events", []),
    }
    res = credit.analyze(frames, "2026-Q3")
    for section in credit.SECTIONS:
        text, action = both(res, section, "zh")
        assert "无可评估的内容" in text and "不是“未发现问题”" in text and action is None
        assert "nothing could be judged" in both(res, section, "en")[0]


@pytest.mark.parametrize("seed", [3])
def test_scorecard_conclusion_on_planted_and_clean_history(history: Any, seed: int) -> None:
    """Planted: better than a random order, keep grading. Clean (the past says nothing
    about the future): not shown to beat a random order, have it reviewed."""
    planted = credit.analyze(history.frames(seed, signal=True), "2026-Q3")
    text, action = both(planted, "scorecard", "zh")
    assert "显著优于随机排序" in text and action and "继续用于评级" in action
    assert f"AUC 为 {planted.metrics['oot_auc']:.2f}" in text
    clean = credit.analyze(history.frames(seed, signal=False), "2026-Q3")
    text, action = both(clean, "scorecard", "zh")
    assert "不能证明优于随机排序" in text and action and "复核" in action
    assert "not shown to beat a random order" in both(clean, "scorecard", "en")[0]


def test_scorecard_conclusion_names_a_grade_above_its_band(sample_result: Any) -> None:
    table = sample_result.tables["reliability_by_grade"]
    above = table.with_columns(
        pl.when(pl.col("grade") == "BBB").then(pl.lit(ABOVE)).otherwise(pl.col("assessment"))
        .alias("assessment"))
    res = replace(sample_result, tables={**sample_result.tables, "reliability_by_grade": above})
    text, action = both(res, "scorecard", "zh")
    assert "BBB（实际" in text and action and "复核 BBB 级" in action
    text, action = both(sample_result, "scorecard", "zh")  # as analysed: none above
    assert "没有哪个等级" in text and "复核" not in (action or "")


def test_scorecard_conclusion_when_it_cannot_judge(history: Any) -> None:
    frames = history.frames(1, signal=True)
    few = credit.analyze(frames, "2026-Q3", min_class_rows=100_000)
    text, action = both(few, "scorecard", "zh")
    assert text.startswith("本期未能开发评分卡") and "违约" in text and action
    frames["receivables"] = frames["receivables"].filter(
        pl.col("due_date") < dt.date(2025, 10, 1))
    no_oot = credit.analyze(frames, "2026-Q3")
    text, _ = both(no_oot, "scorecard", "zh")
    assert "无法检验" in text


def test_stability_conclusion_flags_a_feature_in_the_model(sample_result: Any) -> None:
    psi = sample_result.tables["psi"]
    feature = psi.filter(pl.col("in_model") & (pl.col("variable") != "score"))["variable"][0]
    moved = psi.with_columns(
        pl.when(pl.col("variable") == feature).then(PSI_SHIFT * 4).otherwise(pl.col("psi"))
        .alias("psi"))
    res = replace(sample_result, tables={**sample_result.tables, "psi": moved})
    text, action = both(res, "stability", "zh")
    word = _words.feature_words(feature)
    assert f"入模特征中 1 个显著偏移：{word}" in text and action and word in action
    text, action = both(sample_result, "stability", "zh")
    assert "入模特征都没有显著偏移" in text


def test_grades_conclusion_counts_the_migration(sample_result: Any) -> None:
    m = sample_result.tables["migration"]
    down, to_reject, up, new = _conclusions._migration(m)
    rank = {g: i for i, g in enumerate(credit._grades.GRADE_ORDER)}
    cells = [(r["previous"], g, r[g]) for r in m.iter_rows(named=True) for g in rank]
    assert down == sum(n for p, g, n in cells if p in rank and rank[g] > rank[p])
    assert up == sum(n for p, g, n in cells if p in rank and rank[g] < rank[p])
    assert new == sum(n for p, _, n in cells if p == "new") > 0 and to_reject > 0
    text, action = both(sample_result, "grades", "zh")
    assert f"{down:,} 家等级下调" in text and action and f"{down:,} 家下调企业" in action


def test_auc_p_value_is_the_mann_whitney_test() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.1
    risk = rng.normal(size=400) + 0.6 * y
    auc = float(np.mean([[a > b for b in risk[~y]] for a in risk[y]]))
    ours = credit.auc_p_value(auc, int(y.sum()), int((~y).sum()))
    scipy_p = stats.mannwhitneyu(risk[y], risk[~y], alternative="greater",
                                 method="asymptotic", use_continuity=False).pvalue
    assert ours == pytest.approx(scipy_p, rel=1e-6)
    assert credit.auc_p_value(1 - auc, int(y.sum()), int((~y).sum())) > 0.5


# ------------------------------------------------------------------------ words
def test_validation_notes_and_grade_reasons_read_in_chinese(sample_result: Any) -> None:
    filled = {"date": "2024-10-01", "names": "years_established, weak_status", "n": 12,
              "kind": "default", "start": "2025-10-01", "end": "2026-10-01", "bads": 3,
              "goods": 40, "need": 10}
    for msg in (MSG_FLAT_FEATURES, MSG_NO_OUT_OF_TIME, MSG_ONE_CLASS, MSG_FEW_OUTCOMES,
                MSG_NO_OUTCOMES):
        note = msg.format(**{k: v for k, v in filled.items() if "{" + k + "}" in msg})
        zh = _words.note_text(note)
        assert CJK.search(zh) and not english_words(zh), (note, zh)
    reasons = sample_result.tables["credit_grades"]["reasons"].to_list()
    zh = [_words.reasons_text(r) for r in reasons]
    assert not [t for t in zh if english_words(t)][:3]
    i18n.set_lang("en")
    assert not [t for t in map(_words.reasons_text, reasons) if CJK.search(t)][:3]


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
    monkeypatch.setattr(wn, "details", lambda s, body: (shown.texts.append(s), shown.tables.append(
        body) if isinstance(body, pl.DataFrame) else None))
    monkeypatch.setattr(wn, "show", shown.figures.append)
    monkeypatch.setattr(wn, "conclusion", lambda f, a=None: shown.texts.extend([f, a or ""]))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    env: dict[str, Any] = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, "credit.ipynb", "exec"), env)  # noqa: S102
            if "parameters" in cell.metadata.get("tags", []):
                env.update(source=str(source), lang=lang, validate_source=False)
    return shown


@pytest.fixture(scope="module")
def shown_zh(sample_dir: Path) -> _Shown:
    with pytest.MonkeyPatch.context() as mp:
        return run_notebook(sample_dir, "zh", mp)


def test_every_table_the_notebook_shows_has_chinese_headers(shown_zh: _Shown) -> None:
    i18n.set_lang("zh")
    assert len(shown_zh.tables) >= 15
    for df in shown_zh.tables:
        missing = [c for c in df.columns if c not in i18n.COLUMNS]
        assert not missing, (missing, df.columns)
        headers = [i18n.header(c) for c in df.columns]
        assert not [h for h in headers if not CJK.search(h) and h not in ALLOWED_ASCII], headers


def test_coded_values_in_the_tables_read_in_words(shown_zh: _Shown) -> None:
    i18n.set_lang("zh")
    snake = re.compile(r"^[a-z]+(_[a-z0-9]+)+$|^(active|revoked|reject|stable|new)$")
    identifiers = {"table", "date_column", "null_share"}  # data-quality code names
    for df in shown_zh.tables:
        view = wn.readable(df)
        for col, header in zip(df.columns, view.columns, strict=True):
            if col in identifiers or view[header].dtype != pl.String:
                continue
            codes = [v for v in view[header].drop_nulls().unique().to_list() if snake.match(v)]
            assert not codes, (col, codes[:5])


def test_judged_tables_put_the_flagged_first_and_the_empty_last(sample_result: Any) -> None:
    table = sample_result.tables["reliability_by_grade"]
    planted = pl.concat([
        table.with_columns(pl.when(pl.col("grade") == "A").then(pl.lit(ABOVE))
                           .otherwise(pl.col("assessment")).alias("assessment")),
        table.head(1).with_columns(pl.lit("reject").alias("grade"),
                                   pl.lit(0, pl.Int64).alias("customers"),
                                   pl.lit("no customers").alias("assessment")),
    ])
    view = credit.grade_reliability_view(planted)
    assert view["grade"][0] == "A" and view["grade"][-1] == "reject"
    psi = credit.psi_view(sample_result.tables["psi"])
    ranks = psi["assessment"].replace_strict({"major shift": 0, "shift": 1, "stable": 2})
    assert ranks.is_sorted()
    grades = credit.grades_view(sample_result.tables["credit_grades"])
    assert grades["grade"][0] == "reject" and grades["grade"][-1] == "AAA"


# ---------------------------------------------------------------------- figures
def _labels(fig: go.Figure) -> dict[str, list[str]]:
    d = fig.to_plotly_json()
    lay = d["layout"]
    out: dict[str, list[str]] = {"title": [(lay.get("title") or {}).get("text") or ""]}
    out["axes"] = [(lay[k].get("title") or {}).get("text") or "" for k in lay
                   if k.startswith(("xaxis", "yaxis")) and lay[k].get("title")]
    out["other"] = [a.get("text", "") for a in lay.get("annotations") or []]
    for t in d["data"]:
        out["other"] += [t.get("name") or "", t.get("hovertemplate") or ""]
        if t["type"] == "table":
            out["axes"] += list(t["header"]["values"])
        for k in ("x", "y"):
            v = t.get(k)
            if t["type"] != "table" and v is not None and len(v) and isinstance(v[0], str):
                out["other"] += list(v)
    return out


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_figures_speak_the_report_language(sample_dir: Path, lang: str) -> None:
    i18n.set_lang(lang)
    res = credit.analyze(sources.load(sample_dir, tables=list(credit.TABLES)), "2026-Q3")
    assert len(res.figures) >= 11
    for name, fig in res.figures.items():
        labels = _labels(fig)
        title = labels["title"][0]
        assert title and len(title) <= 40, (name, title)
        if lang == "zh":
            assert CJK.search(title), (name, title)
            assert all(CJK.search(a) or a in ALLOWED_ASCII for a in labels["axes"]), (
                name, labels["axes"])
        else:
            texts = labels["title"] + labels["axes"] + labels["other"]
            assert not [t for t in texts if CJK.search(t)], (name, texts)


def test_psi_axis_stops_near_the_shift_line_and_calibration_ticks_are_round(
    sample_result: Any,
) -> None:
    i18n.set_lang("zh")
    fig = _figures.psi_bars(sample_result.tables["psi"])
    assert sample_result.tables["psi"]["psi"].max() > 10  # features without development data
    top = fig.layout.xaxis.range[1]
    assert PSI_SHIFT < top <= 1.05
    assert max(fig.data[0].customdata) > 10  # the true value is kept for the hover
    for value, want in ((0.52, 0.6), (0.0764, 0.1), (0.011, 0.02), (0.4, 0.5)):
        assert _figures._nice_top(value) == pytest.approx(want)
    cal = _figures.reliability_plot(sample_result.tables["reliability"], "out of time")
    assert cal.layout.yaxis.range[1] >= sample_result.tables["reliability"]["ci_high"].max()


# --------------------------------------------------------------------- notebook
def _markdown(nb: nbformat.NotebookNode, lang: str) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "markdown"
            and f"lang-{lang}" in c.metadata.get("tags", [])]


def test_markdown_comes_in_language_pairs_without_mixed_headings() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    tags = [[t for t in c.metadata.get("tags", []) if t.startswith("lang-")] for c in md]
    assert tags == [["lang-zh"], ["lang-en"]] * (len(md) // 2)
    zh, en = _markdown(nb, "zh"), _markdown(nb, "en")
    heads_zh = [line for s in zh for line in s.splitlines() if line.startswith("#")]
    heads_en = [line for s in en for line in s.splitlines() if line.startswith("#")]
    assert len(heads_zh) == len(heads_en) >= 10
    assert all(CJK.search(h) and not english_words(h) and "·" not in h for h in heads_zh)
    assert not [h for h in heads_en if CJK.search(h)]
    for text in zh:  # Chinese prose: English only in code, acronyms and the legal basis
        prose = re.sub(r"`[^`]*`|\([^()]*[A-Za-z][^()]*\)", "", text)
        assert not english_words(prose), english_words(prose)[:5]


def test_markdown_states_no_parameter_value() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    text = "\n".join(_markdown(nb, "zh") + _markdown(nb, "en"))
    for name, value in credit.PARAMETERS.defaults().items():
        if name == "seed" or not isinstance(value, int | float) or isinstance(value, bool):
            continue
        hits = re.findall(rf"(?<![\d.]){re.escape(str(value))}(?![\d.])", text)
        assert not hits, (name, value)


def test_notebook_code_stays_thin_and_uses_the_views() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    tree = ast.parse(code)
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.For)]
    assert "print(" not in code and "credit.alerts(" not in code
    assert code.count("wn.conclusion(") == len(credit.SECTIONS)
    for section in credit.SECTIONS:
        assert f'credit.conclusion(result, "{section}")' in code
