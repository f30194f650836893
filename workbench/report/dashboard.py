"""The executive dashboard ``dashboard.html`` (placeholder version).

One self-contained offline file in Simplified Chinese with English subtitles:
finding counts by severity and money at stake per analysis and per rule, a bar
chart (plotly.js inline), and links to each analysis report. It shows
aggregates only — no customer ids or other personal data.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from workbench.contract import ANALYSES, RULES
from workbench.notebook import CJK_FONT_STACK
from workbench.periods import Period

ANALYSIS_TITLES: dict[str, tuple[str, str]] = {
    "tiering": ("会员分级", "Customer tiering"),
    "pricing": ("价格公平", "Price fairness"),
    "sla": ("投诉处理时效", "Complaint SLA"),
    "credit": ("客户信用", "Customer credit"),
}
SEVERITIES: tuple[tuple[str, str, str, str], ...] = (
    ("high", "高", "High", "#c0392b"),
    ("medium", "中", "Medium", "#e67e22"),
    ("low", "低", "Low", "#f1c40f"),
)

_CSS = """
body { font-family: FONTS; margin: 0 auto; max-width: 1100px; padding: 24px; color: #222; }
h1 { margin-bottom: 0; } h2 { margin-top: 32px; }
.en { color: #666; font-size: 0.8em; font-weight: normal; display: block; }
table { border-collapse: collapse; width: 100%; margin-top: 8px; }
th, td { border-bottom: 1px solid #ddd; padding: 6px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f5f5f5; }
footer { margin-top: 40px; color: #888; font-size: 0.85em; }
""".replace("FONTS", CJK_FONT_STACK)


def _e(text: object) -> str:
    return html.escape(str(text))


def _money(value: float | None) -> str:
    return f"{value:,.2f}" if value else "–"


def summarize(findings: pl.DataFrame, analyses: Sequence[str]) -> pl.DataFrame:
    """Findings per analysis: ``high``, ``medium``, ``low``, ``total`` and
    ``amount_cny`` (money at stake), one row per analysis in ``analyses`` order."""
    rows = []
    for a in analyses:
        sub = findings.filter(pl.col("analysis") == a)
        row: dict[str, object] = {"analysis": a}
        for sev, *_ in SEVERITIES:
            row[sev] = sub.filter(pl.col("severity") == sev).height
        row["total"] = sub.height
        row["amount_cny"] = float(sub["amount_cny"].fill_null(0.0).sum())
        rows.append(row)
    schema = {"analysis": pl.String, "high": pl.Int64, "medium": pl.Int64, "low": pl.Int64,
              "total": pl.Int64, "amount_cny": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


def _bar_chart(summary: pl.DataFrame) -> str:
    labels = [f"{ANALYSIS_TITLES[a][0]}<br>{ANALYSIS_TITLES[a][1]}" for a in summary["analysis"]]
    fig = go.Figure(
        [
            go.Bar(name=f"{zh} {en}", x=labels, y=summary[sev].to_list(), marker_color=color)
            for sev, zh, en, color in SEVERITIES
        ]
    )
    fig.update_layout(
        barmode="stack",
        title="各分析发现数（按严重程度） · Findings by analysis and severity",
        font={"family": CJK_FONT_STACK},
        template="plotly_white",
        height=420,
        legend={"orientation": "h", "y": -0.2},
    )
    return pio.to_html(
        fig,
        include_plotlyjs=True,
        include_mathjax=False,
        full_html=False,
        config={"displaylogo": False, "responsive": True},
        default_width="100%",
    )


def dashboard_html(findings: pl.DataFrame, period: Period, analyses: Sequence[str]) -> str:
    """The dashboard as one HTML string (plotly.js inline, nothing fetched)."""
    analyses = [a for a in ANALYSES if a in analyses]
    summary = summarize(findings, analyses)
    head = "".join(f"<th>{zh}<span class='en'>{en}</span></th>" for _, zh, en, _ in SEVERITIES)
    body = []
    for r in summary.iter_rows(named=True):
        zh, en = ANALYSIS_TITLES[r["analysis"]]
        cells = "".join(f"<td>{r[sev]}</td>" for sev, *_ in SEVERITIES)
        body.append(
            f"<tr><td>{_e(zh)}<span class='en'>{_e(en)}</span></td>{cells}"
            f"<td>{r['total']}</td><td>{_money(r['amount_cny'])}</td>"
            f"<td><a href='{_e(r['analysis'])}.html'>查看报告<span class='en'>open report</span>"
            "</a></td></tr>"
        )
    by_rule = (
        findings.group_by("analysis", "rule")
        .agg(pl.len().alias("n"), pl.col("amount_cny").fill_null(0.0).sum().alias("amount"))
        .sort("analysis", "rule")
    )
    rule_rows = []
    for r in by_rule.iter_rows(named=True):
        rule = RULES.get(r["rule"])
        zh, en = (rule.title_zh, rule.title_en) if rule else (r["rule"], "")
        rule_rows.append(
            f"<tr><td>{_e(zh)}<span class='en'>{_e(en)} · <code>{_e(r['rule'])}</code></span></td>"
            f"<td>{_e(ANALYSIS_TITLES.get(r['analysis'], (r['analysis'],))[0])}</td>"
            f"<td>{r['n']}</td><td>{_money(r['amount'])}</td></tr>"
        )
    if not rule_rows:
        rule_rows.append("<tr><td colspan='4'>本期无发现<span class='en'>no findings this period</span></td></tr>")
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>合规证据仪表板 {_e(period.label)} · Compliance dashboard</title>
<style>{_CSS}</style>
</head>
<body>
<h1>合规证据仪表板<span class="en">Compliance evidence dashboard</span></h1>
<p>报告期 {_e(period.label)}：{period.start_date.isoformat()} 至 {period.last_day.isoformat()}
<span class="en">Period {_e(period.label)}: {period.start_date.isoformat()} to {period.last_day.isoformat()}</span></p>
<h2>发现汇总<span class="en">Findings by analysis</span></h2>
<table>
<tr><th>分析<span class="en">Analysis</span></th>{head}<th>合计<span class="en">Total</span></th>
<th>涉及金额（元）<span class="en">Money at stake (CNY)</span></th><th>报告<span class="en">Report</span></th></tr>
{"".join(body)}
</table>
{_bar_chart(summary)}
<h2>按规则<span class="en">By rule</span></h2>
<table>
<tr><th>规则<span class="en">Rule</span></th><th>分析<span class="en">Analysis</span></th>
<th>发现数<span class="en">Findings</span></th><th>涉及金额（元）<span class="en">Money at stake (CNY)</span></th></tr>
{"".join(rule_rows)}
</table>
<footer>占位版仪表板，仅含汇总数据，不含客户身份信息。
<span class="en">Placeholder dashboard: aggregates only, no customer identifiers.</span></footer>
</body>
</html>
"""


def write_dashboard(
    findings: pl.DataFrame, period: Period, analyses: Sequence[str], path: str | Path
) -> Path:
    """Write ``dashboard.html`` (UTF-8)."""
    path = Path(path)
    path.write_text(dashboard_html(findings, period, analyses), encoding="utf-8")
    return path
