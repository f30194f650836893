"""The SLA report reads as a Chinese document: conclusions in words computed from the
result (planted and clean data, nothing to judge), every table the notebook shows with
Chinese headers and values, figures in the report's language, parameters with a
Chinese meaning, and a notebook of zh/en markdown pairs that states no threshold.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nbformat
import plotly.graph_objects as go
import polars as pl
import pytest

from tests.sla.sla_helpers import D, build
from workbench import i18n, sla
from workbench.analysis import AnalysisResult
from workbench.findings import empty_findings, make_findings
from workbench.sla import _figures, _figures_more
from workbench.sla import conclusions as C
from workbench.sla import views as V

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "sla.ipynb"
CJK = re.compile(r"[\u3400-\u9fff]")
PERIOD = "2026-Q3"


@pytest.fixture(autouse=True)
def _zh() -> Iterator[None]:
    i18n.set_lang("zh")
    yield
    i18n.set_lang("zh")


def _run(frames: dict[str, pl.LazyFrame], **params: Any) -> AnalysisResult:
    return sla.analyze(frames, PERIOD, **{"with_risk": False, **params})


# ------------------------------------------------------------- hand-made data
def _planted() -> dict[str, pl.LazyFrame]:
    """Three breaches in S2 (one still open at the period end), one in S1, one clean."""
    r = D(2026, 8, 3, 9)
    complaints = [
        {"complaint_id": "LATE_ACK", "received_at": r, "severity": "high",
         "subsidiary_id": "S2"},
        {"complaint_id": "OPEN", "received_at": D(2026, 7, 1, 9), "severity": "high",
         "subsidiary_id": "S2"},
        {"complaint_id": "LATE_RES", "received_at": r, "severity": "medium",
         "subsidiary_id": "S2"},
        {"complaint_id": "S1_LATE", "received_at": r, "severity": "low", "subsidiary_id": "S1"},
        {"complaint_id": "OK", "received_at": r, "subsidiary_id": "S1"},
    ]
    day = dt.timedelta(days=1)
    events = [
        ("LATE_ACK", r + dt.timedelta(hours=30), "acknowledged"),
        ("LATE_ACK", r + dt.timedelta(hours=31), "accepted"),
        ("LATE_ACK", r + 2 * day, "resolved"), ("LATE_ACK", r + 2 * day, "closed"),
        ("OPEN", D(2026, 7, 1, 12), "acknowledged"), ("OPEN", D(2026, 7, 1, 13), "accepted"),
        *[("OPEN", D(2026, 7, 1, 13) + k * 2 * day, "progress_update") for k in range(1, 46)],
        ("LATE_RES", r + dt.timedelta(hours=2), "acknowledged"),
        ("LATE_RES", r + dt.timedelta(hours=3), "accepted"),
        *[("LATE_RES", r + k * 2 * day, "progress_update") for k in range(1, 10)],
        ("LATE_RES", r + 19 * day, "resolved"), ("LATE_RES", r + 20 * day, "closed"),
        ("S1_LATE", r + dt.timedelta(hours=80), "acknowledged"),
        ("S1_LATE", r + dt.timedelta(hours=81), "accepted"),
        ("S1_LATE", r + 4 * day, "resolved"), ("S1_LATE", r + 4 * day, "closed"),
        ("OK", r + dt.timedelta(hours=2), "acknowledged"),
        ("OK", r + dt.timedelta(hours=3), "accepted"),
        ("OK", r + 2 * day, "resolved"), ("OK", r + 2 * day, "closed"),
    ]
    return build(complaints, events)


def _clean() -> dict[str, pl.LazyFrame]:
    r = D(2026, 8, 3, 9)
    complaints = [{"complaint_id": f"OK{i}", "received_at": r + dt.timedelta(days=i)}
                  for i in range(3)]
    events = [e for i in range(3) for e in (
        (f"OK{i}", r + dt.timedelta(days=i, hours=2), "acknowledged"),
        (f"OK{i}", r + dt.timedelta(days=i, hours=3), "accepted"),
        (f"OK{i}", r + dt.timedelta(days=i + 2), "resolved"),
        (f"OK{i}", r + dt.timedelta(days=i + 2, hours=1), "closed"))]
    return build(complaints, events)


@pytest.fixture(scope="module")
def planted() -> AnalysisResult:
    return _run(_planted())


@pytest.fixture(scope="module")
def clean() -> AnalysisResult:
    return _run(_clean())


def test_breaches_conclusion_counts_names_the_worst_subsidiary_and_a_due_date(planted):
    f = planted.findings.filter(pl.col("rule").is_in(C.CLOCK_RULES))
    assert f.height >= 4
    text, action = C.breaches(planted, PERIOD)
    assert f"本期共有 {f.height} 项超时" in text
    assert f"涉及 {f['entity_id'].n_unique()} 件投诉" in text
    assert f"其中高严重度 {f.filter(pl.col('severity') == 'high').height} 项" in text
    assert "子公司 S2 最多" in text
    assert "至期末仍有 1 件尚未完成相应环节，其中 OPEN 已超出时限" in text
    assert action is not None and "子公司 S2 超时最多" in action
    due = C.due_date("high", PERIOD)
    assert due is not None and f"于 {due} 前" in action  # the severity policy's days
    i18n.set_lang("en")
    text_en, action_en = C.breaches(planted, PERIOD)
    assert not CJK.search(text_en + (action_en or "")) and "Subsidiary S2 has the most" in text_en


def test_adherence_conclusion_names_the_commitment_with_most_breaches(planted):
    text, action = C.adherence(planted, PERIOD)
    assert "首次响应" in text and "超时最多的是子公司 S2" in text
    assert action is not None and action.startswith("请子公司 S2 复盘")
    for rule in C.CLOCK_RULES:  # the conclusion names the rules it evidences
        assert str(i18n.value("rule", rule)) in text


def test_records_conclusion_says_what_is_missing() -> None:
    r = D(2026, 8, 3, 9)
    events = [("C", r + dt.timedelta(hours=20), "accepted"),
              ("C", r + dt.timedelta(days=2), "resolved"),
              ("C", r + dt.timedelta(days=2, hours=1), "closed")]
    res = _run(build([{"complaint_id": "C", "received_at": r}], events))
    text, action = C.records(res, PERIOD)
    assert "本期 1 件投诉的处理记录不完整" in text
    assert "“已办结或关闭，但没有首次响应记录”（1 件）" in text
    assert action is not None and "补全或更正处理记录" in action


def test_clean_sections_say_so_plainly(clean):
    assert clean.findings.height == 0
    assert C.breaches(clean, PERIOD) == ("本期没有超过承诺时限的投诉。", None)
    assert C.records(clean, PERIOD)[0] == "本期投诉的处理记录完整，与投诉表一致。"
    text, action = C.adherence(clean, PERIOD)
    assert text.startswith("本期已判定的") and "全部按时完成" in text and action is None
    # no breach-risk model and no known root cause: clean, but not everything was judged
    text, action = C.overall(clean, PERIOD)
    assert text.startswith("本期没有发现，但以下内容无法评估") and "recurring_cause" in text
    assert C.overall(_result(), PERIOD) == ("本期投诉处理时效分析未发现问题。", None)
    text, action = C.resolution_time(clean, PERIOD)
    assert "半数投诉在 2.0 天内办结" in text and "都有 90% 以上" in text and action is None


def test_nothing_to_judge_is_never_a_clean_result() -> None:
    res = _run(build([{"complaint_id": "C", "received_at": D(2026, 5, 1)}], []))
    assert res.metrics["complaints_received"] == 0
    text, action = C.data_overview(res, PERIOD)
    assert "本期没有收到投诉" in text and "不是“未发现问题”" in text and action
    for section in (C.breaches, C.records, C.adherence):
        text, _ = section(res, PERIOD)
        assert "无从" in text, (section.__name__, text)
        assert "没有超过" not in text and "完整" not in text
    assert "无法评估" in C.overall(res, PERIOD)[0]


def test_open_breach_and_mediation_cap_are_said() -> None:
    """An open 12315 transfer past both its resolution limit and the mediation cap."""
    r = D(2026, 7, 1, 9)
    events = [("T", r + dt.timedelta(hours=2), "acknowledged"),
              ("T", r + dt.timedelta(hours=3), "accepted"),
              *[("T", r + dt.timedelta(days=2 * k), "progress_update") for k in range(1, 46)]]
    res = _run(build([{"complaint_id": "T", "received_at": r, "channel": "regulator"}], events))
    text, _ = C.breaches(res, PERIOD)
    assert "另有 1 件 12315 转办投诉超过调解期限" in text
    assert "至期末仍有 1 件尚未完成相应环节" in text


# ------------------------------------------------- constructed results (rules)
def _result(findings: pl.DataFrame | None = None, **tables: pl.DataFrame) -> AnalysisResult:
    return AnalysisResult(analysis="sla", findings=findings if findings is not None
                          else empty_findings(), tables=tables,
                          parameters={"recurring_months": 12},
                          metrics={"complaints_received": 10, "not_judged": []})


def _risk_metrics(precision: float, skill: float) -> pl.DataFrame:
    m = {"threshold": 0.3, "min_precision": 0.5, "precision_oot": precision,
         "brier_skill_oot": skill, "roc_auc_oot": 0.7}
    return pl.DataFrame({"metric": list(m), "value": [str(v) for v in m.values()]})


def _finding(rule: str, entity: str, severity: str, detail: dict[str, Any]) -> pl.DataFrame:
    raw = pl.DataFrame({"rule": [rule], "entity_type": ["complaint"], "entity_id": [entity],
                        "subsidiary_id": ["S1"], "severity": [severity],
                        "detail": [json.dumps(detail)]})
    return make_findings(raw, analysis="sla", period=PERIOD)


def test_breach_risk_conclusion_is_honest_about_the_model() -> None:
    flag = _finding("breach_risk", "X", "high", {"probability": 0.6})
    scores = pl.DataFrame({"complaint_id": ["X", "Y"]})
    weak = _result(flag, risk_metrics=_risk_metrics(0.18, -0.1), risk_scores=scores)
    text, action = C.breach_risk(weak, PERIOD)
    assert "2 件在办投诉中，1 件被模型判为可能超过办结时限（预计超时概率不低于 30.0%）" in text
    assert "这是预测，不是已发生的违规" in text
    assert "18.0%（设定要求不低于 50.0%，未达到）" in text and "不如直接按平均超时率估计" in text
    assert action is not None and "请模型负责人复核" in action
    good = _result(flag, risk_metrics=_risk_metrics(0.6, 0.2), risk_scores=scores)
    text, action = C.breach_risk(good, PERIOD)
    assert "达到" in text and "优于" in text and action is not None and "复核" not in action
    none = _result(risk_metrics=pl.DataFrame({"metric": ["note"], "value": ["x"]}))
    assert C.breach_risk(none, PERIOD)[0].startswith("超时风险未评估")


def test_recurring_conclusion_names_cause_subsidiary_and_months() -> None:
    causes = pl.DataFrame({
        "subsidiary_id": ["S1", "S2"], "root_cause": ["damaged_in_transit", "courier_delay"],
        "trigger_month": [dt.date(2026, 4, 1), dt.date(2026, 2, 1)], "trigger_count": [7, 5],
        "trigger_share": [0.583, 0.4], "months_after": [5, 7], "mean_count_after": [5.4, 1.0],
        "share_after": [0.415, 0.1], "judged": [True, True], "flagged": [True, False]})
    f = _finding("recurring_cause", "S1", "medium", {"causes": []})
    text, action = C.recurring(_result(f, recurring=causes), PERIOD)
    assert text.startswith("子公司 S1 的“运输途中损坏”类投诉在 2026-04 达到 7 件（占 58.3%）"
                           "后没有下降")
    assert "此后 5 个月平均每月 5.4 件（占 41.5%）" in text and "同类问题反复发生" in text
    assert "快递延误" not in text  # fell after its trigger: not a finding
    assert action is not None and action.startswith("请子公司 S1（运输途中损坏）")
    fell = causes.with_columns(flagged=pl.lit(False))
    text, action = C.recurring(_result(recurring=fell), PERIOD)
    assert text == "近 12 个月没有哪类投诉原因在超标后持续居高（2 类原因曾超标，之后均已回落）。"
    assert action is None


# ------------------------------------------------------------------- tables
def _notebook_code() -> str:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def _views(res: AnalysisResult) -> dict[str, Callable[[], Any]]:
    """Every view the notebook calls (``V.<name>(``), as the notebook calls it."""
    t = res.tables
    return {
        "policy_view": lambda: V.policy_view(t["policy"], t["clocks"]),
        "adherence_overall": lambda: V.adherence_overall(t["adherence"]),
        "adherence_groups": lambda: V.adherence_groups(t["adherence"]),
        "count_by_rule": lambda: V.count_by_rule(res.findings),
        "record_view": lambda: V.record_view(t["record_problems"]),
        "km_view": lambda: V.km_view(t["km_summary"], V.resolution_limits(t["clocks"])),
        "resolution_limits": lambda: V.resolution_limits(t["clocks"]),
        "km_intervals": lambda: V.km_intervals(t["km_summary"]),
        "risk_metrics_view": lambda: V.risk_metrics_view(t["risk_metrics"]),
        "reliability_view": lambda: V.reliability_view(t["risk_reliability"]),
        "pareto_top": lambda: V.pareto_top(t["pareto"]),
        "pareto_view": lambda: V.pareto_view(t["pareto"]),
        "recurring_view": lambda: V.recurring_view(t["recurring"]),
    }


#: Columns whose values are codes, and must read as words.
CODED = ("target", "dimension", "root_cause", "status", "event_status", "table_status",
         "channel", "category", "severity", "risk_metric", "rule")


def _check_frame(name: str, df: pl.DataFrame) -> None:
    for c in df.columns:
        assert c in i18n.COLUMNS, f"{name}: column {c!r} has no registered header"
        assert CJK.search(i18n.header(c)), (name, c)
        if c in CODED and df[c].dtype == pl.String:
            for v in df[c].drop_nulls().unique().to_list():
                shown = str(i18n.value(c, v))
                assert CJK.search(shown) or shown == "ROC AUC", (name, c, v)


def test_every_table_the_notebook_shows_has_chinese_headers_and_values(tiny_result):
    calls = set(re.findall(r"\bV\.(\w+)\(", _notebook_code()))
    views = _views(tiny_result)
    assert calls == set(views), "a view of the notebook is not checked here (or vice versa)"
    filled = 0
    for name, call in views.items():
        df = call()
        if isinstance(df, pl.DataFrame):
            _check_frame(name, df)
            filled += df.height > 0
    assert filled >= len(views) - 2  # the tiny sample fills (nearly) every table
    from workbench.notebook import findings_view
    _check_frame("findings", findings_view(tiny_result.findings))


def test_groups_are_flagged_first_and_empty_groups_last():
    df = pl.DataFrame({
        "dimension": ["overall", "channel", "channel", "channel", "severity"],
        "group": ["all", "app", "web", "email", "critical"],
        "target": ["ack"] * 5, "judged": [10, 5, 0, 8, 4], "met": [9, 5, 0, 6, 4],
        "breached": [1, 0, 0, 2, 0], "running": [0, 0, 3, 0, 0],
        "adherence": [0.9, 1.0, None, 0.75, 1.0], "ci_low": [0.6, 0.5, None, 0.4, 0.5],
        "ci_high": [0.98, 1.0, None, 0.93, 1.0]})
    view = V.adherence_groups(df)
    assert view["group_name"].to_list() == ["邮件", "应用", "特急", "网站"]
    assert view["judged"].to_list()[-1] == 0


# ------------------------------------------------------------------ figures
def _texts(fig: go.Figure) -> list[str]:
    """Every string a reader can see in a figure: titles, axes, legends, hovers, ticks."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for k, v in node.items():
                if k not in ("type", "mode", "xref", "yref", "fill", "hoverinfo",
                             "line_shape", "barmode", "scattermode", "colorscale",
                             "tickformat", "hoverformat", "xaxis", "yaxis", "legendgroup",
                             "offsetgroup", "texttemplate", "uid", "template", "font"):
                    walk(v)
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v)

    d = fig.to_plotly_json()
    walk(d.get("layout", {}))
    for trace in d.get("data", []):
        walk({k: trace.get(k) for k in ("name", "x", "y", "text", "customdata",
                                        "hovertemplate", "header", "cells")})
    return out


def _all_figures(res: AnalysisResult, lang: str) -> dict[str, go.Figure]:
    """All the figures of ``res`` rebuilt in ``lang`` from its tables."""
    i18n.set_lang(lang)
    t = res.tables
    metrics = dict(t["risk_metrics"].iter_rows())
    risk = SimpleNamespace(reliability=t["risk_reliability"], holdout=t["risk_holdout"],
                           metrics=metrics, threshold=float(metrics["threshold"]))
    figs = _figures.all_figures(t, risk, res.parameters)
    figs["complaints"] = sla.complaints_figure(pl.DataFrame({
        "month": [dt.date(2026, 7, 1)] * 2, "severity": ["critical", "low"],
        "complaints": [3, 40]}))
    return figs


def test_figures_speak_the_report_language(tiny_result):
    zh = _all_figures(tiny_result, "zh")
    assert "worklist" in zh and len(zh) == 12
    for name, fig in zh.items():
        title = fig.layout.title.text
        assert title and CJK.search(title) and "·" not in title, (name, title)
        assert len(title) <= 20, (name, title)  # short: never under the toolbar
        for axis in ("xaxis", "yaxis"):
            text = fig.layout[axis].title.text
            assert text is None or CJK.search(text), (name, axis, text)
    en = _all_figures(tiny_result, "en")
    for name, fig in en.items():
        leaked = [s for s in _texts(fig) if CJK.search(s)]
        assert leaked == [], (name, leaked[:3])


def test_rate_axes_have_units_and_the_title_sits_below_the_toolbar(tiny_result):
    figs = _all_figures(tiny_result, "zh")
    for name in ("adherence_by_channel", "monthly_trend", "km", "calibration"):
        assert "%" in figs[name].layout.yaxis.title.text, name
        assert figs[name].layout.yaxis.tickformat == ".0%", name
    assert "天" in figs["km"].layout.xaxis.title.text
    for name, fig in figs.items():
        assert fig.layout.margin.t >= 80, name  # room for plotly's toolbar above the title


def test_pareto_cumulative_axis_stops_at_100_percent_and_causes_read_as_words(tiny_result):
    fig = _all_figures(tiny_result, "zh")["pareto"]
    right = [ax for name, ax in fig.layout.to_plotly_json().items()
             if name.startswith("yaxis") and ax.get("tickvals")]
    assert right and all(max(ax["tickvals"]) == 1.0 and ax["range"][1] <= 1.05 for ax in right)
    labels = {x for tr in fig.data if tr.type == "bar" for x in tr.x}
    assert labels and all(CJK.search(x) for x in labels)
    assert not any("_" in x for x in labels)


def test_calibration_second_axis_ticks_are_round_counts():
    rel = pl.DataFrame({"bin": [0, 1], "n": [100, 100], "breached": [5, 30],
                        "predicted": [0.05, 0.3], "observed": [0.05, 0.3],
                        "lower": [0.02, 0.22], "upper": [0.11, 0.4]})
    holdout = pl.DataFrame({"y": [0] * 166, "probability": [0.01 * (i % 60) for i in range(166)]})
    fig = _figures_more.calibration_figure(rel, {}, holdout)
    ticks = fig.layout.yaxis2.tickvals
    assert ticks and all(float(t).is_integer() for t in ticks)
    step = ticks[1] - ticks[0]
    assert step in (1, 2, 5, 10, 20, 50, 100) and all(
        b - a == step for a, b in zip(ticks, ticks[1:], strict=False))


def test_km_limits_come_from_the_policy_not_the_code():
    curves = pl.DataFrame({"severity": ["high"] * 2, "time": [24.0, 48.0],
                           "at_risk": [2, 1], "events": [1, 1], "censored": [0, 0],
                           "survival": [0.5, 0.0], "ci_low": [0.1, 0.0], "ci_high": [0.9, 0.0]})
    fig = _figures.km_curves(curves, "severity", {"high": 10.0, "critical": 2.0})
    lines = sorted(s.x0 for s in fig.layout.shapes)
    assert lines == [2.0, 10.0]
    assert [a.text for a in fig.layout.annotations] == ["时限 2 天（特急）", "时限 10 天（高）"]
    assert _figures.km_curves(curves).layout.shapes == ()


# --------------------------------------------------------------- parameters
def test_every_parameter_has_a_chinese_meaning():
    for name in sla.PARAMETERS.names():
        doc = sla.PARAMETERS[name].doc_zh
        assert doc and CJK.search(doc), name


# ----------------------------------------------------------------- notebook
def _markdown() -> list[nbformat.NotebookNode]:
    return [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "markdown"]


def test_markdown_cells_are_zh_en_pairs_with_headings_in_one_language():
    md = _markdown()
    tags = [c.metadata.get("tags", []) for c in md]
    assert tags == [["lang-zh"], ["lang-en"]] * (len(md) // 2) and len(md) % 2 == 0
    for zh, en in zip(md[::2], md[1::2], strict=True):
        heads_zh = [ln for ln in zh.source.splitlines() if ln.startswith("#")]
        heads_en = [ln for ln in en.source.splitlines() if ln.startswith("#")]
        assert len(heads_zh) == len(heads_en)
        assert all(CJK.search(h) and not re.search(r"[A-Za-z]{3,}", h) for h in heads_zh)
        assert all(not CJK.search(h) for h in heads_en)
        # the legal basis is the contract's own text (Chinese title, English gloss)
        prose_en = re.sub(r"《[^》]*》及企业公开承诺", "", en.source)
        assert not CJK.search(prose_en), en.source[:80]
        prose_zh = re.sub(r"`[^`]*`", "", zh.source)
        assert not re.search(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+", prose_zh), zh.source[:80]


def test_markdown_states_no_threshold_as_a_fact():
    """Thresholds come from the parameters (the table at the end), never the prose."""
    text = "\n".join(c.source for c in _markdown())
    for name in ("risk_min_precision", "recurring_threshold", "recurring_min_count",
                 "recurring_months", "recurring_min_months_after", "risk_max_flags"):
        default = sla.PARAMETERS[name].default
        assert f"`{name}`" in text, name
        assert not re.search(rf"`{name}`\W{{0,4}}[（(=：:]?\s*{default}", text), name
        if isinstance(default, float):
            assert not any(f"{default * 100:g}{sep}%" in text for sep in ("", " ")), name
    assert "24 h" not in text and "15 天" not in text and "60 calendar days" not in text


def test_the_notebook_has_no_outputs_and_one_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in code) == 1
    assert "wn.setup(period, lang)" in _notebook_code()
    sections = len(re.findall(r"^## ", "\n".join(c.source for c in _markdown()[::2]), re.M))
    assert _notebook_code().count("wn.conclusion(") == sections


# ------------------------------------------------------------- tiny sample
@pytest.fixture(scope="module")
def tiny_result(tmp_path_factory: pytest.TempPathFactory) -> AnalysisResult:
    from workbench import sources
    from workbench.samples import generate

    out = tmp_path_factory.mktemp("tiny-reading")
    generate(out, seed=7, scale="tiny")
    i18n.set_lang("zh")
    return sla.analyze(sources.load(str(out), tables=sla.TABLES), PERIOD)


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_the_zh_report_shows_chinese_headers_and_the_en_report_none(tmp_path, tiny_result):
    """Execute the notebook on the tiny sample in each language and read its tables."""
    import papermill as pm

    from workbench.report.render import notebook_to_html
    from workbench.samples import generate

    src = tmp_path / "tiny"
    generate(src, seed=7, scale="tiny")
    for lang in ("zh", "en"):
        out = tmp_path / f"sla-{lang}.ipynb"
        pm.execute_notebook(str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parent),
                            progress_bar=False, parameters={"source": str(src), "lang": lang})
        html = notebook_to_html(out, lang=lang)
        heads = re.findall(r"<th>(.*?)</th>", html)
        assert len(heads) > 40
        if lang == "zh":
            assert [h for h in heads if not CJK.search(h)] == []
            assert html.count('class="wb-conclusion"') >= 8
        else:
            assert [h for h in heads if CJK.search(h)] == []
