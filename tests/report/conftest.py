"""Fixtures for the report pipeline tests: stand-in notebooks in a tmp folder.

The stand-ins follow the notebook protocol (``source``, ``period``, ``out_dir``,
``validate_source``; ``save_result`` last) and save one result each — two
findings, the headline metrics of :data:`STAND_IN_METRICS` and, for ``credit``,
the credit grades it publishes — so that the runner can be tested without the
analyses or the sample data. Variants fail, sleep, save nothing or (marketing on a
source without its tables) save no findings and ``evaluated: false``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import polars as pl
import pytest

from workbench.contract import ANALYSES, RULES
from workbench.periods import parse_period
from workbench.report import chain
from workbench.report import manifest as mf
from workbench.report import run as run_module

ONE_RULE = {
    "tiering": ("stale_tier", "customer"),
    "pricing": ("unexplained_premium", "order"),
    "sla": ("ack_breach", "complaint"),
    "credit": ("invalid_uscc", "enterprise"),
    "marketing": ("refusal_without_reason", "request"),
}
#: What each stand-in notebook saves as its analysis's own metrics.json.
STAND_IN_METRICS: dict[str, dict[str, Any]] = {
    "tiering": {"customers_in_scope": 4, "tier_mismatch": 0, "correctly_tiered_share": 1.0,
                "hidden_benefit_grants": 0, "hidden_benefit_cny": 0.0},
    "pricing": {"orders_in_period": 2, "price_disparity_groups": 0, "group_overcharge_cny": 0.0,
                "unexplained_premium_orders": 2, "overcharge_cny": 12.5,
                "unpublished_promotion_orders": 0},
    "sla": {"complaints_received": 4, "breach_risk": 0, "recurring_causes": 0,
            "missing_records": 0,
            **{f"{k}_{t}": v for t in ("ack", "acceptance", "resolution", "update")
               for k, v in (("breached", 1 if t == "ack" else 0), ("running", 0),
                            ("adherence", 0.6 if t == "ack" else 1.0))}},
    "credit": {"enterprises_graded": 1, "grades": {"AAA": 0, "AA": 0, "A": 1, "BBB": 0, "BB": 0,
                                                   "reject": 0},
               "receivables_outstanding_cny": 400.0, "receivables_aa_cny": 0.0,
               "receivables_aa_share": 0.0, "registry_alerts": 0, "registry_knockouts": 0,
               "invalid_uscc": 2},
    "marketing": {"evaluated": True, "messages": 4, "commercial": 2, "commercial_by_content": 0,
                  "consent_coverage": 1.0, "requests_received": 2, "requests_judged": 2,
                  "requests_met": 2, "requests_overdue": 0, "requests_running": 0,
                  "on_time_share": 1.0, "refusals": 2, "refusals_without_reason": 2,
                  "ad_unlabelled": 0, "absolute_term": 0, "no_opt_out": 0,
                  "marketing_without_consent": 0, "privacy_request_overdue": 0,
                  "refusal_without_reason": 2},
}
#: What the marketing analysis saves on a source without its tables (``not_evaluated``).
NOT_EVALUATED_METRICS: dict[str, Any] = {"evaluated": False, "note": {
    "zh": "未评估：数据源没有营销与个人信息表（marketing_messages、consents、privacy_requests）。",
    "en": "Not evaluated: the source has no marketing and personal-information tables "
          "(marketing_messages, consents, privacy_requests)."}}
#: The tables each stand-in publishes: the same as its analysis package's PUBLISHED
#: (test_run.py checks that).
STAND_IN_PUBLISHED = {"tiering": (), "pricing": ("refunds",), "sla": (),
                      "credit": ("credit_grades",), "marketing": ()}

PARAMETERS_CELL = 'source = ""\nperiod = "2026-Q3"\nout_dir = ""\nvalidate_source = True\n'

OK_BODY = '''\
import plotly.express as px
import polars as pl
from workbench import notebook as wn
from workbench.analysis import AnalysisResult
from workbench.findings import make_findings

assert validate_source is False  # the runner validated the source once
wn.setup(period)
wn.show(px.bar(x=["甲", "乙"], y=[3, 5], title="测试图 {analysis} chart"))
raw = pl.DataFrame({{"rule": ["{rule}", "{rule}"], "severity": ["high", "low"],
    "entity_type": ["{entity_type}", "{entity_type}"], "entity_id": ["Z9", "A1"],
    "subsidiary_id": ["S1", None], "amount_cny": [{amount}, None],
    "detail": ['{{"n": 1}}', None]}}, schema_overrides={{"amount_cny": pl.Float64}})
findings = make_findings(raw, analysis="{analysis}", period=period)
tables = {{}}
'''

CREDIT_EXTRA = '''
tables["credit_grades"] = pl.DataFrame({"customer_id": ["C1"], "uscc": ["91350100M000100Y43"],
    "score": [612.0], "pd": [0.03], "grade": ["A"], "credit_limit_cny": [50000],
    "payment_terms_days": [30], "reasons": ["tenure"]})
'''

PRICING_EXTRA = '''
tables["refunds"] = pl.DataFrame({"customer_id": ["C1"], "subsidiary_id": ["S1"], "orders": [1],
    "excess_cny": [12.5], "attributed_cny": [0.0], "groups": [""]})
'''

SAVE = '''\
result = AnalysisResult("{analysis}", findings, tables=tables, metrics={metrics!r},
                        published={published!r})
'''

LAST_CELL = ("from workbench.analysis import save_result\n"
             "if out_dir:\n    save_result(result, out_dir)\n")

BODIES = {
    "ok": OK_BODY,
    "fail": 'raise ValueError("boom: planted failure")\n',
    "sleep": "import time\ntime.sleep(120)\n",
    "silent": "x = 1  # runs fine but saves nothing\n",
    "foreign": OK_BODY,  # writes another analysis' findings
    # prints a complaint note with a phone number, as an analysis showing free text would
    "leaky": OK_BODY + 'print("备注：客户要求回电 13812345678")\n',
    # the marketing analysis on a source without its tables: no findings, not evaluated
    "not_evaluated": OK_BODY + "findings = findings.head(0)\n",
    # a PostgreSQL source whose URI carried a password: the kernel gets it from
    # PGPASSWORD, the source parameter has none
    "pgpass": OK_BODY + 'import os\nassert os.environ["PGPASSWORD"] == "s3" + "cret-pw" '
                        'and "s3" + "cret" not in source\n',
}


def write_notebook(path: Path, analysis: str, kind: str = "ok") -> Path:
    """A stand-in ``<analysis>.ipynb`` of ``kind`` (a key of :data:`BODIES`) in ``path``."""
    writes_as = "pricing" if kind == "foreign" else analysis
    rule, entity_type = ONE_RULE[writes_as]
    # money only on a rule that carries money (contract v1.1 amount_kind)
    amount = "12.5" if RULES[rule].amount_kind else "None"
    body = BODIES[kind].format(analysis=writes_as, rule=rule, entity_type=entity_type,
                               amount=amount)
    cells = [nbformat.v4.new_markdown_cell(f"# {analysis} 测试 stand-in"),
             nbformat.v4.new_code_cell(PARAMETERS_CELL, metadata={"tags": ["parameters"]}),
             nbformat.v4.new_code_cell("SECRET_CODE_MARKER = 42")]
    if kind in ("ok", "foreign", "leaky", "pgpass", "not_evaluated"):
        if analysis == "credit":
            body += CREDIT_EXTRA
        if analysis == "pricing":
            body += PRICING_EXTRA
        metrics = NOT_EVALUATED_METRICS if kind == "not_evaluated" else STAND_IN_METRICS[analysis]
        body += SAVE.format(analysis=writes_as, metrics=metrics,
                            published=STAND_IN_PUBLISHED[analysis])
        cells += [nbformat.v4.new_code_cell(body), nbformat.v4.new_code_cell(LAST_CELL)]
    else:
        cells.append(nbformat.v4.new_code_cell(body))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path / f"{analysis}.ipynb")
    return path / f"{analysis}.ipynb"


@pytest.fixture
def notebooks(tmp_path: Path) -> Callable[..., Path]:
    """``notebooks(tiering="fail")`` → a folder of stand-in notebooks (default kind "ok")."""

    def make(**kinds: str) -> Path:
        folder = tmp_path / "notebooks"
        folder.mkdir(exist_ok=True)
        for analysis in ANALYSES:
            write_notebook(folder, analysis, kinds.get(analysis, "ok"))
        return folder

    return make


SUBSIDIARIES = pl.DataFrame({"subsidiary_id": ["S1"], "name": ["测试子公司"]})


@pytest.fixture
def fake_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A source folder whose up-front validation is stubbed (one input file, one subsidiary)."""
    src = tmp_path / "source"
    src.mkdir()
    (src / "orders.csv").write_text("order_id\nO1\n", encoding="utf-8")
    monkeypatch.setattr(
        run_module, "_validate_source",
        lambda source, *args, **kwargs: run_module.ValidSource(
            {"orders": Path(source) / "orders.csv"}, SUBSIDIARIES),
    )
    return src


def publish_fake(
    out: Path,
    label: str,
    files: dict[str, str | bytes] | None = None,
    *,
    replace: bool = False,
    inputs: dict[str, Path] | None = None,
    metrics: dict[str, Any] | None = None,
) -> Path:
    """A report folder appended to the chain exactly as run_report does, without
    notebooks: staging → chain.publish (manifest, supersede, head)."""
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f".staging-{label}-test"
    staging.mkdir()
    for name, content in (files or {"findings.csv": f"findings of {label}\n"}).items():
        target = staging / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    if metrics is not None:
        (staging / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False),
                                              encoding="utf-8")

    def make(**link: Any) -> dict[str, Any]:
        return mf.build_manifest(
            period=parse_period(label), parameters={"period": label, "lang": "zh"},
            source_uri="sqlite:///x.db", input_files=inputs or {}, folder=staging,
            analyses={"sla": {"status": "ok", "seconds": 1.0, "findings": 0}}, **link,
        )

    chain.publish(out, staging, out / label, make, replace=replace)
    return out / label


@pytest.fixture(scope="session")
def chromium() -> str:
    """The headless browser of the browser tests (installed as root on a fresh machine,
    see ``tests/report/browser.py``); skip without it, fail on CI."""
    from tests.report.browser import ensure_chromium

    path = ensure_chromium()
    if path is None:
        message = ("no chromium found and none could be installed "
                   "(Debian: apt-get install -y chromium fonts-wqy-microhei)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
