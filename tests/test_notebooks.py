"""The analysis notebooks: committed clean and thin, run on a tiny sample, and the
whole report from the command line.

Notebook executions are ``slow`` and share one xdist group, so that the tiny
sample is generated once per worker and the kernels do not compete.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import nbformat
import polars as pl
import pytest

from workbench.cli import main
from workbench.contract import ANALYSES, CREDIT_GRADES_SCHEMA, FINDINGS_SCHEMA, rules_for
from workbench.report.manifest import sha256_file
from workbench.report.nbcheck import notebooks_with_outputs
from workbench.report.render import external_references
from workbench.report.run import default_notebooks_dir

NOTEBOOKS = default_notebooks_dir()
PERIOD = "2026-Q3"
CONTRACT_OUTPUTS = {
    "manifest.json", "findings.parquet", "findings.csv", "credit_grades.parquet",
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


def _parameters(nb: nbformat.NotebookNode) -> dict[str, object]:
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "exactly one cell tagged 'parameters'"
    tree = ast.parse(cells[0].source)
    return {
        node.targets[0].id: ast.literal_eval(node.value)  # type: ignore[attr-defined]
        for node in tree.body
        if isinstance(node, ast.Assign)
    }


# ------------------------------------------------------------------ structure
def test_committed_notebooks_have_no_outputs():
    assert notebooks_with_outputs(NOTEBOOKS) == []


@pytest.mark.parametrize("analysis", ANALYSES)
def test_notebook_is_thin_and_parameterised(analysis):
    nb = nbformat.read(NOTEBOOKS / f"{analysis}.ipynb", as_version=4)
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    title = nb.cells[0]
    assert title.cell_type == "markdown" and title.source.startswith("# ")
    for rule in rules_for(analysis):
        assert f"`{rule.code}`" in title.source and rule.legal_basis in title.source
    expected = {"source": "../data/samples", "period": PERIOD, "findings_out": ""}
    if analysis == "credit":
        expected["credit_grades_out"] = ""
    assert expected.items() <= _parameters(nb).items()
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f"sources.load(source, tables={analysis}.TABLES)" in code
    assert f"{analysis}.analyze(frames, period" in code
    # thin: no functions, classes or loops of its own
    tree = ast.parse(code)
    own = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.For | ast.While)]
    assert own == []


# ---------------------------------------------------------------- execution
@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
@pytest.mark.parametrize("analysis", ANALYSES)
def test_notebook_runs_on_the_tiny_sample(analysis, tiny, tmp_path):
    import papermill as pm

    from workbench.report.run import _kernel_manager_class

    params = {"source": str(tiny), "period": PERIOD,
              "findings_out": str(tmp_path / "findings.parquet")}
    if analysis == "credit":
        params["credit_grades_out"] = str(tmp_path / "grades.parquet")
    pm.execute_notebook(
        str(NOTEBOOKS / f"{analysis}.ipynb"), str(tmp_path / "out.ipynb"), parameters=params,
        kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOKS),
        kernel_manager_class=_kernel_manager_class(tmp_path / "kernel.log"),
    )
    findings = pl.read_parquet(params["findings_out"])
    assert findings.schema == pl.Schema(FINDINGS_SCHEMA)
    assert set(findings["analysis"].to_list()) <= {analysis}
    assert set(findings["rule"].to_list()) <= {r.code for r in rules_for(analysis)}
    if analysis == "credit":
        assert pl.read_parquet(params["credit_grades_out"]).schema == pl.Schema(CREDIT_GRADES_SCHEMA)
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
    assert "[4/4] credit … ok" in printed.out
    folder = out / PERIOD
    assert {p.name for p in folder.iterdir()} == CONTRACT_OUTPUTS
    assert {p.name for p in out.iterdir()} == {PERIOD, "chain-head.json", ".locks"}

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["outputs"].items():
        assert sha256_file(folder / name) == digest, name
    inputs = manifest["source"]["input_files"]
    assert len(inputs) == 13
    assert inputs["orders"]["sha256"] == sha256_file(tiny / "orders.parquet")
    findings = pl.read_parquet(folder / "findings.parquet")
    assert findings.schema == pl.Schema(FINDINGS_SCHEMA)
    assert sum(a["findings"] for a in manifest["analyses"].values()) == findings.height
    # one remediation workbook per subsidiary of the source, plus the group-level one
    subs = pl.read_parquet(tiny / "subsidiaries.parquet")["subsidiary_id"].to_list()
    assert {p.name for p in (folder / "worklists").iterdir()} == {f"{s}.xlsx" for s in subs} | {"group.xlsx"}
    assert {n for n in manifest["outputs"] if n.startswith("worklists/")} == {
        f"worklists/{s}.xlsx" for s in [*subs, "group"]}
    for name in (*(f"{a}.html" for a in ANALYSES), "dashboard.html"):
        assert external_references((folder / name).read_text(encoding="utf-8")) == []

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
