"""Report HTML: no code, no prompts, opens offline, plotly.js inline once, CJK-ready."""

from __future__ import annotations

import re
import subprocess

import nbformat
import plotly.graph_objects as go
import pytest

from workbench.notebook import PLOTLY_MIMETYPE, figure_bundle
from workbench.report.render import RenderError, external_references, notebook_to_html

PLOTLYJS_MARKER = "plotly.js v"  # the bundle's licence banner


def executed_notebook(*extra_outputs: dict) -> nbformat.NotebookNode:
    """A notebook as papermill leaves it: code with outputs, two plotly figures."""
    first = figure_bundle(go.Figure(go.Bar(x=["甲", "乙"], y=[3, 7171])), include_plotlyjs=True)
    second = figure_bundle(
        go.Figure(go.Scatter(x=[1, 2], y=[4, 4242]), layout={"title": "第二张图 second"}),
        include_plotlyjs=False,
    )
    cells = [
        nbformat.v4.new_markdown_cell("# 会员分级合规 · Tiering\n\n客户等级说明。"),
        nbformat.v4.new_code_cell("SECRET_CODE = 'do not show'", execution_count=1),
        nbformat.v4.new_code_cell(
            "wn.show(fig)",
            execution_count=2,
            outputs=[
                nbformat.v4.new_output("display_data", data=first),
                nbformat.v4.new_output("display_data", data=second),
                *[nbformat.v4.new_output("display_data", data=d) for d in extra_outputs],
            ],
        ),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


@pytest.fixture(scope="module")
def html() -> str:
    return notebook_to_html(executed_notebook(), title="tiering · 2026-Q3")


def test_html_has_no_code_and_no_prompts(html):
    assert "SECRET_CODE" not in html
    assert "wn.show" not in html
    assert 'class="jp-InputPrompt' not in html and 'class="jp-OutputPrompt' not in html
    assert "In&nbsp;[" not in html


def test_html_loads_nothing_from_the_network(html):
    assert external_references(html) == []
    assert "<script src" not in html  # every script is inline
    assert "require.min.js" not in html


def test_html_embeds_plotlyjs_once_and_the_figure_data(html):
    assert html.count(PLOTLYJS_MARKER) == 1
    assert html.count("Plotly.newPlot") == 2
    assert "[3,7171]" in html and "[4,4242]" in html
    assert "\\u7b2c\\u4e8c\\u5f20\\u56fe second" in html  # 第二张图, JSON-escaped


def test_html_is_utf8_with_a_cjk_font_stack(html):
    assert re.search(r'<meta charset="utf-8"', html, re.IGNORECASE)
    assert '<html lang="zh">' in html
    assert "Noto Sans CJK SC" in html and "Microsoft YaHei" in html
    assert "会员分级合规" in html


def test_nbconvert_picks_the_html_not_the_plotly_json():
    nb = executed_notebook()
    mimes = set(nb.cells[2].outputs[0].data)
    assert {PLOTLY_MIMETYPE, "text/html"} <= mimes
    html = notebook_to_html(nb)
    assert 'data-mime-type="text/html"' in html
    assert PLOTLY_MIMETYPE not in html


def test_an_output_that_needs_the_network_is_refused():
    cdn = {"text/html": '<script src="https://cdn.plot.ly/plotly-2.35.2.min.js"></script>'}
    with pytest.raises(RenderError, match="cdn.plot.ly"):
        notebook_to_html(executed_notebook(cdn))


@pytest.mark.parametrize(
    ("snippet", "found"),
    [
        ('<script src="https://cdn.example/x.js"></script>', ["https://cdn.example/x.js"]),
        ("<script src='//cdn.example/x.js'></script>", ["//cdn.example/x.js"]),
        ('<link rel="stylesheet" href="http://fonts.example/a.css">', ["http://fonts.example/a.css"]),
        ('<style>@import url("https://fonts.example/b.css");</style>', ["https://fonts.example/b.css"]),
        ('<script type="module">import "https://esm.example/m.mjs"</script>', ["https://esm.example/m.mjs"]),
        ('<a href="https://www.samr.gov.cn">SAMR</a>', []),
        ('<script>var u = "https://not.loaded/just-a-string";</script>', []),
    ],
)
def test_external_references(snippet, found):
    assert external_references(snippet) == found


@pytest.mark.slow
@pytest.mark.xdist_group("browser")
def test_charts_really_render_offline_in_a_browser(tmp_path, chromium):
    """Headless chromium with no network: plotly must have drawn both figures."""
    path = tmp_path / "report.html"
    path.write_text(notebook_to_html(executed_notebook()), encoding="utf-8")
    done = subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
            "--proxy-server=127.0.0.1:9", "--virtual-time-budget=10000", "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )
    dom = done.stdout
    # plotly draws each figure into an <svg class="main-svg">; 2 figures → ≥ 2
    assert dom.count('class="main-svg"') >= 2, done.stderr[-2000:]


# ------------------------------------------------- summary and rules table
def _findings():
    import polars as pl

    from workbench.findings import make_findings

    return make_findings(
        pl.DataFrame({"rule": ["hidden_benefit", "hidden_benefit", "stale_tier"],
                      "severity": ["high", "low", "low"],
                      "entity_type": ["grant", "grant", "customer"],
                      "entity_id": ["G1", "G2", "C3"], "amount_cny": [100.0, 23.45, None]}),
        analysis="tiering", period="2026-Q3",
    )


def test_report_opens_with_a_summary_and_ends_with_the_rules(tmp_path):
    html = notebook_to_html(executed_notebook(), findings=_findings(), analysis="tiering",
                            period="2026-Q3")
    summary = html.index('id="wb-summary"')
    # the title first, then the summary and the contents, the rules at the end
    assert html.index("</h1>") < summary < html.index('id="wb-toc"') < html.index('id="wb-rules"')
    text = re.sub(r"<[^>]+>", "", html[summary: html.index("</section>", summary)])
    assert ("本期（2026-Q3）会员分级分析共发现 3 项问题（高 1、中 0、低 2），"
            "未公示权益 ¥123.45。") in text
    assert ("未公布的权益（hidden_benefit）2 项，¥123.45 未公示权益；"
            "等级未按周期复核（stale_tier）1 项。") in text
    rules = html[html.index('id="wb-rules"'):]
    assert rules.count("<tr>") == 1 + 7  # header + every tiering rule, found or not
    assert "《消费者权益保护法》第十条" in rules and "<code>dormant_top_tier</code>" in rules
    assert ("<td class='n'>2</td><td class='n'>1/0/1</td><td class='n'>¥123.45 未公示权益</td>"
            in rules)
    # a rule that carries no money shows "—", never ¥0
    stale = rules[rules.index("<code>stale_tier</code>"):]
    assert stale[:stale.index("</tr>")].endswith("<td class='n'>—</td>")
    assert external_references(html) == [] and "SECRET_CODE" not in html


def test_summary_in_english_and_for_no_findings():
    html = notebook_to_html(executed_notebook(), findings=_findings().head(0), analysis="sla",
                            period="2026-Q3", lang="en")
    assert '<html lang="en"' in html
    assert "Complaint handling SLA, 2026-Q3: nothing to report." in html
    assert "Rules and their legal basis" in html


def test_summary_in_english_with_findings():
    html = notebook_to_html(executed_notebook(), findings=_findings(), analysis="tiering",
                            period="2026-Q3", lang="en")
    summary = html.index('id="wb-summary"')
    text = re.sub(r"<[^>]+>", "", html[summary: html.index("</section>", summary)])
    assert ("Customer tiering, 2026-Q3: 3 findings (High 1, Medium 0, Low 2); Unpublished "
            "benefits ¥123.45. By rule: Benefit outside the published schedule (hidden_benefit) "
            "2, ¥123.45 Unpublished benefits;") in text


def _pricing_findings():
    import polars as pl

    from workbench.findings import make_findings

    return make_findings(
        pl.DataFrame({"rule": ["unexplained_premium", "unexplained_premium", "price_disparity",
                               "unpublished_promotion"],
                      "severity": ["low", "medium", "high", "low"],
                      "entity_type": ["order", "order", "group", "order"],
                      "entity_id": ["O1", "O2", "device_os=ios", "O3"],
                      "amount_cny": [6.4, 4.0, 6.4, 2.5]}),
        analysis="pricing", period="2026-Q3",
    )


def test_summary_gives_money_per_kind_and_marks_breakdowns():
    from workbench.report.render import rules_table_html, summary_html

    text = re.sub(r"<[^>]+>", "", summary_html(_pricing_findings(), "pricing", "2026-Q3"))
    # overcharge counts the orders only (the group amount is a breakdown of it); the
    # discounts given are their own kind: nothing is added across kinds
    assert "多收金额 ¥10.40、未公告优惠 ¥2.50（各类金额分别合计，不跨类别相加）。" in text
    assert ("大数据杀熟：群体价格差异（price_disparity）1 项，"
            "¥6.40 多收金额（分解，不计入合计）") in text
    assert "12.90" not in text and "16.80" not in text and "19.30" not in text
    table = rules_table_html(_pricing_findings(), "pricing", lang="en")
    assert "¥6.40 Overcharge (breakdown, not added to totals)" in table
    assert "¥2.50 Unannounced discounts" in table
    sla = summary_html(_pricing_findings().head(0), "sla", "2026-Q3")
    assert "¥" not in sla


def test_summary_says_a_thing_found_by_several_rules_counts_once():
    import polars as pl

    from workbench.findings import make_findings
    from workbench.report.render import summary_html

    credit = make_findings(
        pl.DataFrame({"rule": ["registry_knockout", "registry_change", "invalid_uscc"],
                      "severity": ["high", "medium", "high"],
                      "entity_type": ["enterprise"] * 3, "entity_id": ["91X", "91X", "91Y"],
                      "amount_cny": [1000.0, 1000.0, 50.0]}),
        analysis="credit", period="2026-Q3")
    text = re.sub(r"<[^>]+>", "", summary_html(credit, "credit", "2026-Q3"))
    assert "信用敞口 ¥1,050.00（同一对象的多项发现只计一次，各规则金额之和因此大于合计）" in text
    assert "登记状态否决（registry_knockout）1 项，¥1,000.00 信用敞口" in text
    single = re.sub(r"<[^>]+>", "", summary_html(credit.tail(1), "credit", "2026-Q3"))
    assert "只计一次" not in single


@pytest.mark.parametrize(("analysis", "metric"), [("pricing", "orders_in_period"),
                                                   ("sla", "complaints_received"),
                                                   ("tiering", "customers_in_scope")])
def test_a_period_with_nothing_to_judge_is_not_called_clean(analysis, metric):
    """Issue #15: a period with no orders read "未发现问题" (no problems found)."""
    from workbench.report.render import summary_html

    none = _findings().head(0)
    empty = summary_html(none, analysis, "2024-Q3", metrics={metric: 0})
    assert "无可评估的内容" in empty and "未发现问题”的结论" in empty
    english = summary_html(none, analysis, "2024-Q3", lang="en", metrics={metric: 0})
    assert "nothing could be judged" in english
    judged = summary_html(none, analysis, "2026-Q3", metrics={metric: 120})
    assert "未发现问题。" in judged


def test_the_report_shows_the_parameters_in_force_and_which_are_not_defaults():
    """Issue #15 item 8: a threshold set for a scheduled run (--params) is visible in
    the report it produced, not only in the manifest."""
    from workbench.report.parameters import check_parameters

    params = check_parameters({"pricing": {"alpha": 0.01}}, ["pricing"])["pricing"]
    html = notebook_to_html(executed_notebook(), findings=_findings(), analysis="pricing",
                            period="2026-Q3", parameters=params)
    assert "本次运行参数（实际生效）" in html
    assert "<code>alpha</code></td><td>0.01（非默认）" in html
    assert "<code>min_premium</code></td><td>0.01</td>" in html  # a default, not marked
    # a default list (declared as a tuple) is not "changed"; booleans read as in YAML/JSON
    assert "<code>attributes</code></td><td>[&quot;tenure_band&quot;" in html
    assert "（非默认）" not in html.split("<code>attributes</code>")[1].split("</tr>")[0]
    assert "<code>intersections</code></td><td>true</td>" in html


def test_report_has_contents_and_downloads_in_its_language() -> None:
    zh = notebook_to_html(executed_notebook(), findings=_findings(), analysis="tiering",
                          period="2026-Q3")
    toc = zh[zh.index('id="wb-toc"'): zh.index("</nav>")]
    assert 'href="#wb-rules"' in toc and "规则与法律依据" in toc
    assert 'href="findings.csv"' in toc and 'href="worklists/"' in toc
    en = notebook_to_html(executed_notebook(), findings=_findings(), analysis="tiering",
                          period="2026-Q3", lang="en")
    assert "Contents" in en and "目录" not in en


def test_cells_of_the_other_language_are_left_out() -> None:
    from workbench.report.render import select_language

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("中文说明", metadata={"tags": ["lang-zh"]}),
        nbformat.v4.new_markdown_cell("English text", metadata={"tags": ["lang-en"]}),
        nbformat.v4.new_markdown_cell("共用 · shared"),
    ])
    assert [c.source for c in select_language(nb, "zh").cells] == ["中文说明", "共用 · shared"]
    assert [c.source for c in select_language(nb, "en").cells] == ["English text",
                                                                    "共用 · shared"]
    assert len(nb.cells) == 3  # the notebook itself is not changed


def test_rules_table_lists_the_worst_rules_first() -> None:
    from workbench.report.render import rules_table_html

    html = rules_table_html(_findings(), "tiering")
    order = re.findall(r"<code>([a-z_]+)</code>", html)
    # hidden_benefit has a high finding, stale_tier only a low one, the rest nothing
    assert order[:2] == ["hidden_benefit", "stale_tier"]


def test_an_analysis_not_evaluated_says_so_and_drops_its_sections() -> None:
    from workbench.findings import empty_findings
    from workbench.report.render import summary_html

    note = {"zh": "数据源没有 marketing_messages、consents、privacy_requests 三张表",
            "en": "the source has no marketing tables"}
    metrics = {"evaluated": False, "note": note}
    zh = summary_html(empty_findings(), "marketing", "2026-Q3", metrics=metrics)
    assert "未评估" in zh and "不是“未发现问题”" in zh and "未发现问题。" not in zh.replace(
        "不是“未发现问题”", "")
    en = summary_html(empty_findings(), "marketing", "2026-Q3", lang="en", metrics=metrics)
    assert "not evaluated" in en and "the source has no marketing tables" in en
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# 营销"),
        nbformat.v4.new_markdown_cell("## 同意", metadata={"tags": ["if-evaluated"]}),
    ])
    html = notebook_to_html(nb, findings=empty_findings(), analysis="marketing",
                            period="2026-Q3", metrics=metrics)
    assert "同意</h2>" not in html and "营销" in html
