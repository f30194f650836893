"""notebooks/marketing.ipynb: on the notebook protocol, thin, committed without outputs,
and it runs on a planted sample and on a source without the marketing tables."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path
from typing import Any

import nbformat
import polars as pl
import pytest

from workbench import marketing
from workbench.contract import FINDINGS_SCHEMA, rules_for

NOTEBOOK = Path(__file__).parents[2] / "notebooks" / "marketing.ipynb"
PROTOCOL = {"source": "../data/samples", "period": "2026-Q3", "out_dir": "",
            "validate_source": True, "lang": "zh"}


def _nb() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


def test_parameters_cell_is_the_protocol_and_the_declared_parameters() -> None:
    (cell,) = [c for c in _nb().cells if "parameters" in c.metadata.get("tags", [])]
    tree = ast.parse(cell.source)
    assigned = [(n.targets[0].id, ast.literal_eval(n.value)) for n in tree.body]  # type: ignore[attr-defined]
    assert [k for k, _ in assigned] == [*PROTOCOL, *marketing.PARAMETERS.names()]
    values = dict(assigned)
    assert {k: values[k] for k in PROTOCOL} == PROTOCOL
    given = {k: values[k] for k in marketing.PARAMETERS.names()}
    assert marketing.PARAMETERS.check(given) == marketing.PARAMETERS.defaults()


def test_the_notebook_is_thin_clean_and_names_every_rule() -> None:
    nb = _nb()
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    title = nb.cells[0]
    assert title.source.startswith("# ")
    for rule in rules_for("marketing"):
        assert f"`{rule.code}`" in title.source and rule.legal_basis in title.source
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "sources.load(source, tables=marketing.TABLES, validate=validate_source)" in code
    assert "marketing.analyze(frames, period, **marketing.PARAMETERS.pick(globals()))" in code
    assert [c.source for c in nb.cells if c.cell_type == "code"][-1].strip() == (
        "if out_dir:\n    save_result(result, out_dir)")
    own = [n for n in ast.walk(ast.parse(code))
           if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.For | ast.While)]
    assert own == []


def _execute(source: Path, tmp_path: Path) -> Path:
    import papermill as pm

    from workbench.report.run import _kernel_manager_class

    out_dir = tmp_path / "saved"
    pm.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "out.ipynb"),
        parameters={"source": str(source), "period": "2026-Q3", "out_dir": str(out_dir)},
        kernel_name="python3", progress_bar=False, cwd=str(NOTEBOOK.parent),
        kernel_manager_class=_kernel_manager_class(tmp_path / "kernel.log"),
    )
    return out_dir


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_the_notebook_runs_on_a_planted_sample(planted: tuple[Path, dict[str, Any]],
                                               tmp_path: Path) -> None:
    out = _execute(planted[0], tmp_path)
    findings = pl.read_parquet(out / "findings.parquet")
    assert findings.schema == pl.Schema(FINDINGS_SCHEMA)
    assert set(findings["analysis"]) == {"marketing"}
    assert set(findings["rule"]) == {r.code for r in rules_for("marketing")}


@pytest.mark.slow
@pytest.mark.xdist_group("notebooks")
def test_the_notebook_says_not_evaluated_without_the_tables(
        planted: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    for p in planted[0].iterdir():
        if p.stem not in ("marketing_messages", "consents", "privacy_requests"):
            shutil.copy(p, bare / p.name)
    out = _execute(bare, tmp_path)
    assert pl.read_parquet(out / "findings.parquet").height == 0
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["evaluated"] is False and "未评估" in metrics["note"]["zh"]
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    printed = [o.get("text", "") for c in executed.cells if c.cell_type == "code"
               for o in c.get("outputs", [])]
    assert any("未评估" in t for t in printed)
