"""Fixtures for the report pipeline tests: stand-in notebooks in a tmp folder.

The stand-ins take the real notebooks' parameters and write one finding each
(and credit grades for ``credit``), so that the runner can be tested without
the analyses or the sample data. Variants fail, sleep or write nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import polars as pl
import pytest

from workbench.contract import ANALYSES
from workbench.periods import parse_period
from workbench.report import chain
from workbench.report import manifest as mf
from workbench.report import run as run_module

ONE_RULE = {
    "tiering": ("stale_tier", "customer"),
    "pricing": ("unexplained_premium", "order"),
    "sla": ("ack_breach", "complaint"),
    "credit": ("invalid_uscc", "enterprise"),
}

OK_BODY = '''\
import plotly.express as px
import polars as pl
from workbench import notebook as wn
from workbench.findings import make_findings, write_findings

wn.setup(period)
wn.show(px.bar(x=["甲", "乙"], y=[3, 5], title="测试图 {analysis} chart"))
raw = pl.DataFrame({{"rule": ["{rule}", "{rule}"], "severity": ["high", "low"],
    "entity_type": ["{entity_type}", "{entity_type}"], "entity_id": ["Z9", "A1"],
    "subsidiary_id": ["S1", None], "amount_cny": [12.5, None], "detail": ['{{"n": 1}}', None]}})
findings = make_findings(raw, analysis="{analysis}", period=period)
if findings_out:
    write_findings(findings, findings_out)
'''

CREDIT_EXTRA = '''
from workbench.credit import write_credit_grades
grades = pl.DataFrame({"customer_id": ["C1"], "uscc": ["91350100M000100Y43"], "score": [612.0],
    "pd": [0.03], "grade": ["A"], "credit_limit_cny": [50000], "payment_terms_days": [30],
    "reasons": ["tenure"]})
if credit_grades_out:
    write_credit_grades(grades, credit_grades_out)
'''

BODIES = {
    "ok": OK_BODY,
    "fail": 'raise ValueError("boom: planted failure")\n',
    "sleep": "import time\ntime.sleep(120)\n",
    "silent": "x = 1  # runs fine but writes no findings\n",
    "foreign": OK_BODY,  # writes another analysis' findings
    # prints a complaint note with a phone number, as an analysis showing free text would
    "leaky": OK_BODY + 'print("备注：客户要求回电 13812345678")\n',
    # a PostgreSQL source whose URI carried a password: the kernel gets it from
    # PGPASSWORD, the source parameter has none
    "pgpass": OK_BODY + 'import os\nassert os.environ["PGPASSWORD"] == "s3" + "cret-pw" and "s3" + "cret" not in source\n',
}


def write_notebook(path: Path, analysis: str, kind: str = "ok") -> Path:
    rule, entity_type = ONE_RULE[analysis]
    writes_as = "pricing" if kind == "foreign" else analysis
    params = 'source = ""\nperiod = "2026-Q3"\nfindings_out = ""\n'
    if analysis == "credit":
        params += 'credit_grades_out = ""\n'
    rule, entity_type = ONE_RULE[writes_as]
    body = BODIES[kind].format(analysis=writes_as, rule=rule, entity_type=entity_type)
    if analysis == "credit" and kind == "ok":
        body += CREDIT_EXTRA
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(f"# {analysis} 测试 stand-in"),
            nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("SECRET_CODE_MARKER = 42"),
            nbformat.v4.new_code_cell(body),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
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


@pytest.fixture
def fake_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A source folder whose up-front validation is stubbed (one input file)."""
    src = tmp_path / "source"
    src.mkdir()
    (src / "orders.csv").write_text("order_id\nO1\n", encoding="utf-8")
    monkeypatch.setattr(
        run_module, "_validate_source", lambda source: {"orders": Path(source) / "orders.csv"}
    )
    monkeypatch.setattr(run_module, "_load_frames", lambda source: stub_frames())
    return src


def stub_frames() -> dict[str, pl.LazyFrame]:
    """The few source columns the headline metrics count (stand-in notebooks' world)."""
    return {
        "customers": pl.LazyFrame({"customer_id": ["Z9", "A1", "C3", "C4"],
                                   "signup_date": [dt.date(2020, 1, 1)] * 4}),
        "orders": pl.LazyFrame({"order_id": ["Z9", "A1"],
                                "ordered_at": [dt.datetime(2026, 8, 1)] * 2}),
        "complaints": pl.LazyFrame({"complaint_id": ["Z9", "A1", "K3", "K4"],
                                    "received_at": [dt.datetime(2026, 8, 1)] * 4}),
        "receivables": pl.LazyFrame({"customer_id": ["C1", "C2"], "issued_at": [dt.date(2026, 8, 1)] * 2,
                                     "amount_cny": [300.0, 100.0], "paid_at": [None, None],
                                     "paid_amount_cny": [0.0, 0.0]},
                                    schema_overrides={"paid_at": pl.Date}),
        "subsidiaries": pl.LazyFrame({"subsidiary_id": ["S1"], "name": ["测试子公司"]}),
    }


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
        (staging / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False), encoding="utf-8")

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
