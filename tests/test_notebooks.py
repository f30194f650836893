"""The analysis notebooks: committed clean and thin, on the notebook protocol, run on a
tiny sample, and the whole report from the command line.

Notebook executions are ``slow`` and share one xdist group, so that the tiny
sample is generated once per worker and the kernels do not compete.
"""

from __future__ import annotations

import ast
import importlib
import json
import shutil
from pathlib import Path

import nbformat
import polars as pl
import pytest

from workbench.analysis import METRICS_FILE, PARAMETERS_FILE
from workbench.cli import main
from workbench.contract import ANALYSES, CREDIT_GRADES_SCHEMA, FINDINGS_SCHEMA, rules_for
from workbench.labels import legal_basis_text
from workbench.report.manifest import sha256_file
from workbench.report.render import external_references
from workbench.report.run import default_notebooks_dir

NOTEBOOKS = default_notebooks_dir()
PERIOD = "2026-Q3"
#: The parameters every notebook starts with, before its analysis's declared ones.
PROTOCOL = {"source": "../data/samples", "period": PERIOD, "out_dir": "", "validate_source": True,
            "lang": "zh"}
CONTRACT_OUTPUTS = {
    "manifest.json", "findings.parquet", "findings.csv", "credit_grades.parquet", "refunds.parquet",
    "dashboard.html", "metrics.json", "worklists",
    *(f"{a}.{ext}" for a in ANALYSES for ext in ("ipynb", "html")),
}
notebook_run = [pytest.mark.slow, pytest.mark.xdist_group("notebooks")]


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.samples import generate

    out = tmp_path_factory.mktemp("tiny-sample")
    generate(out, scale="tiny")
    return out


def _package(analysis: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"workbench.{analysis}")


def _parameters(nb: nbformat.NotebookNode) -> list[tuple[str, object]]:
    """The (name, value) assignments of the cell tagged ``parameters``, in order."""
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "exactly one cell tagged 'parameters'"
    tree = ast.parse(cells[0].source)
    assert all(isinstance(node, ast.Assign) for node in tree.body), "assignments only"
    return [
        (node.targets[0].id, ast.literal_eval(node.value))  # type: ignore[attr-defined]
        for node in tree.body
    ]


# ------------------------------------------------------------------ structure
def test_committed_notebooks_have_no_outputs(capsys):
    assert main(["nbcheck", str(NOTEBOOKS)]) == 0, capsys.readouterr().out


def test_nbcheck_lists_and_strips_outputs(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "1 + 1", execution_count=1, outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/plain": "2"}, execution_count=1)])])
    nbformat.write(nb, tmp_path / "a.ipynb")
    assert main(["nbcheck", str(tmp_path)]) == 1
    assert f"has outputs: {tmp_path / 'a.ipynb'}" in capsys.readouterr().out
    assert main(["nbcheck", "--strip", str(tmp_path)]) == 0
    assert main(["nbcheck", str(tmp_path)]) == 0
    cell = nbformat.read(tmp_path / "a.ipynb", as_version=4).cells[0]
    assert cell.outputs == [] and cell.execution_count is None and cell.source == "1 + 1"


@pytest.mark.parametrize("analysis", ANALYSES)
def test_parameters_cell_lists_the_protocol_and_every_declared_parameter(analysis):
    """Exactly ``source, period, out_dir, validate_source`` and then the analysis's
    declared parameters, in declaration order, each at its declared default: what a
    scheduled run can set (``workbench report --parameters``) is what the notebook has."""
    nb = nbformat.read(NOTEBOOKS / f"{analysis}.ipynb", as_version=4)
    declared = _package(analysis).PARAMETERS
    assigned = _parameters(nb)
    assert [name for name, _ in assigned] == [*PROTOCOL, *declared.names()]
    values = dict(assigned)
    assert {k: values[k] for k in PROTOCOL} == PROTOCOL
    given = {k: values[k] for k in declared.names()}
    assert declared.check(given) == declared.defaults()


@pytest.mark.parametrize("analysis", ANALYSES)
def test_notebook_is_thin_and_follows_the_protocol(analysis):
    nb = nbformat.read(NOTEBOOKS / f"{analysis}.ipynb", as_version=4)
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    # the title in Chinese (the default language; an English twin is tagged lang-en)
    title = next(c for c in nb.cells if c.cell_type == "markdown"
                 and "lang-en" not in c.metadata.get("tags", []))
    assert title.source.startswith("# ")
    for rule in rules_for(analysis):
        assert f"`{rule.code}`" in title.source and (
            legal_basis_text(rule.legal_basis, "zh") in title.source), rule.code
    code_cells = [c.source for c in nb.cells if c.cell_type == "code"]
    code = "\n".join(code_cells)
    assert (f"sources.load(source, tables={analysis}.TABLES, validate=validate_source)"
            in code)
    assert f"{analysis}.analyze(frames, period, **{analysis}.PARAMETERS.pick(globals()))" in code
    assert "from workbench.analysis import save_result" in code
    assert code_cells[-1].strip() == "if out_dir:\n    save_result(result, out_dir)"
    for old in ("findings_out", "credit_grades_out", "write_findings", "write_credit_grades"):
        assert old not in code, old
    # thin: no functions, classes or loops of its own
    tree = ast.parse(code)
    own = [n for n in ast.walk(tree)
           if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.For | ast.While)]
    assert own == []


# ---------------------------------------------------------------- execution
@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
@pytest.mark.parametrize("analysis", ANALYSES)
def test_notebook_runs_on_the_tiny_sample(analysis, tiny, tmp_path):
    import papermill as pm

    from workbench.report.run import _kernel_manager_class

    out_dir = tmp_path / "saved"
    params = {"source": str(tiny), "period": PERIOD, "out_dir": str(out_dir)}
    pm.execute_notebook(
        str(NOTEBOOKS / f"{analysis}.ipynb"), str(tmp_path / "out.ipynb"), parameters=params,
        kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOKS),
        kernel_manager_class=_kernel_manager_class(tmp_path / "kernel.log"),
    )
    findings = pl.read_parquet(out_dir / "findings.parquet")
    assert findings.schema == pl.Schema(FINDINGS_SCHEMA)
    assert set(findings["analysis"].to_list()) <= {analysis}
    assert set(findings["rule"].to_list()) <= {r.code for r in rules_for(analysis)}
    package = _package(analysis)
    saved = json.loads((out_dir / PARAMETERS_FILE).read_text(encoding="utf-8"))
    assert saved == package.PARAMETERS.defaults()
    assert isinstance(json.loads((out_dir / METRICS_FILE).read_text(encoding="utf-8")), dict)
    for name in package.PUBLISHED:
        assert (out_dir / f"{name}.parquet").is_file()
    if analysis == "credit":
        grades = pl.read_parquet(out_dir / "credit_grades.parquet")
        assert grades.schema == pl.Schema(CREDIT_GRADES_SCHEMA)
    # the overview figure made it into the executed notebook
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    mimes = {m for c in nb.cells for o in c.get("outputs", []) for m in o.get("data", {})}
    assert "application/vnd.plotly.v1+json" in mimes


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_cli_report_end_to_end(tiny, tmp_path, capsys):
    out = tmp_path / "reports"
    code = main(["report", "--source", str(tiny), "--period", PERIOD, "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "[4/5] credit … ok" in printed.out and "[5/5] marketing … ok" in printed.out
    folder = out / PERIOD
    assert {p.name for p in folder.iterdir()} == CONTRACT_OUTPUTS
    assert {p.name for p in out.iterdir()} == {PERIOD, "chain-head.json", ".locks"}

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["outputs"].items():
        assert sha256_file(folder / name) == digest, name
    inputs = manifest["source"]["input_files"]
    assert len(inputs) == 16  # the 13 required tables and the 3 optional marketing ones
    assert inputs["orders"]["sha256"] == sha256_file(tiny / "orders.parquet")
    findings = pl.read_parquet(folder / "findings.parquet")
    assert findings.schema == pl.Schema(FINDINGS_SCHEMA)
    assert sum(a["findings"] for a in manifest["analyses"].values()) == findings.height
    # one remediation workbook per subsidiary of the source, plus the group-level one
    subs = pl.read_parquet(tiny / "subsidiaries.parquet")["subsidiary_id"].to_list()
    books = {p.name for p in (folder / "worklists").iterdir()}
    assert books == {f"{s}.xlsx" for s in subs} | {"group.xlsx"}
    assert {n for n in manifest["outputs"] if n.startswith("worklists/")} == {
        f"worklists/{s}.xlsx" for s in [*subs, "group"]}
    for name in (*(f"{a}.html" for a in ANALYSES), "dashboard.html"):
        assert external_references((folder / name).read_text(encoding="utf-8")) == []
    # the dashboard's SLA numbers are the SLA analysis's own, not a recount
    from workbench import sla, sources

    result = sla.analyze(sources.load(tiny, tables=sla.TABLES), PERIOD)
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["analyses"]["sla"]["headline"] == json.loads(json.dumps(dict(result.metrics)))
    assert manifest["parameters"]["analysis_parameters"]["sla"] == sla.PARAMETERS.defaults()

    assert main(["verify", str(out)]) == 0
    # a second run of the same period is refused without --replace
    assert main(["report", "--source", str(tiny), "--period", PERIOD, "--out", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_cli_report_on_broken_input_publishes_nothing(tiny, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(tiny, broken)
    orders = pl.read_parquet(broken / "orders.parquet")
    dupe = orders.head(1).with_columns(pl.lit(orders["order_id"][1]).alias("order_id"))
    pl.concat([orders, dupe]).write_parquet(broken / "orders.parquet")
    out = tmp_path / "reports"

    code = main(["report", "--source", str(broken), "--period", PERIOD, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert "orders" in err and "order_id" in err
    assert not out.exists() or list(out.iterdir()) == []


MARKETING_TABLES = ("marketing_messages", "consents", "privacy_requests")


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_cli_report_on_a_source_without_the_marketing_tables(tiny, tmp_path, capsys):
    """Issue #17: a copy of the tiny sample without the three optional tables renders
    the other four analyses and says plainly that marketing was not evaluated: in the
    progress, its report, the dashboard, the metrics and the worklists."""
    src = tmp_path / "no-marketing"
    shutil.copytree(tiny, src, ignore=shutil.ignore_patterns(
        *(f"{t}.parquet" for t in MARKETING_TABLES)))
    out = tmp_path / "reports"
    code = main(["report", "--source", str(src), "--period", PERIOD, "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "[5/5] marketing … ok" in printed.out and "0 findings; Not evaluated" in printed.out
    folder = out / PERIOD
    assert {p.name for p in folder.iterdir()} == CONTRACT_OUTPUTS
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["source"]["input_files"]) == 13
    assert manifest["analyses"]["marketing"] == {**manifest["analyses"]["marketing"],
                                                 "status": "ok", "findings": 0}
    findings = pl.read_parquet(folder / "findings.parquet")
    assert set(findings["analysis"]) == {"tiering", "pricing", "sla", "credit"}
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["analyses"]["marketing"]["headline"]["evaluated"] is False
    dashboard = (folder / "dashboard.html").read_text(encoding="utf-8")
    panel = dashboard[dashboard.index("id='panel-marketing'"):]
    panel = panel[:panel.index("</section>")]
    assert "data-status='not-evaluated'" in panel and "<p class='state'>未评估</p>" in panel
    assert "数据源没有营销与个人信息表" in panel and "href='marketing.html'" in panel
    for a in ("tiering", "pricing", "sla", "credit"):
        assert f"data-key='{a}." in dashboard  # the other four have their lights
    report = (folder / "marketing.html").read_text(encoding="utf-8")
    summary = report[report.index('id="wb-summary"'):]
    summary = summary[:summary.index("</section>")]
    assert "<b>未评估</b>营销与个人信息：数据源没有营销与个人信息表" in summary, summary
    assert "不是“未发现问题”的结论" in summary and "。。" not in summary
    from workbench.report.worklists import read_sheet

    subs = pl.read_parquet(src / "subsidiaries.parquet")["subsidiary_id"].to_list()
    assert read_sheet(folder / "worklists" / f"{subs[0]}.xlsx", "营销与个人信息")[1] == [
        "本期无需整改的问题。"]
    assert main(["verify", str(out)]) == 0
