"""What the notebooks and the report runner rely on: every analysis package has the
same public shape — ``ANALYSIS``, ``TABLES``, ``PARAMETERS`` (declared),
``PUBLISHED`` and ``analyze(frames, period, **params) -> AnalysisResult`` — and
re-exports only; plus the overview helpers the notebooks plot."""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import importlib.resources
import inspect

import polars as pl
import pytest

from workbench.contract import ANALYSES, CREDIT_GRADES_SCHEMA, TABLES
from workbench.params import ParameterSet

SHAPE = ("ANALYSIS", "TABLES", "PARAMETERS", "PUBLISHED", "analyze")
LAYOUT = {"__init__.py", "_analysis.py", "_findings.py", "_figures.py"}


@pytest.mark.parametrize("analysis", ANALYSES)
def test_every_package_has_the_same_public_shape(analysis):
    module = importlib.import_module(f"workbench.{analysis}")
    assert set(SHAPE) <= set(module.__all__)
    assert module.ANALYSIS == analysis
    assert set(module.TABLES) <= set(TABLES)
    assert isinstance(module.PARAMETERS, ParameterSet) and module.PARAMETERS.analysis == analysis
    assert isinstance(module.PUBLISHED, tuple)
    assert callable(module.analyze) and module.analyze.__doc__
    # analyze is declared: every declared parameter is a keyword of its signature
    assert module.analyze.parameters is module.PARAMETERS
    signature = inspect.signature(module.analyze)
    assert list(signature.parameters)[:2] == ["frames", "period"]
    assert set(module.PARAMETERS.names()) <= set(signature.parameters)


@pytest.mark.parametrize("analysis", ANALYSES)
def test_every_package_has_the_same_layout(analysis):
    module = importlib.import_module(f"workbench.{analysis}")
    folder = importlib.resources.files(module)
    files = {p.name for p in folder.iterdir() if p.name.endswith(".py")}
    assert LAYOUT <= files
    assert all(f == "__init__.py" or f.startswith("_") for f in files), files
    # __init__.py re-exports only: a docstring, imports and __all__
    tree = ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))
    body = tree.body[1:] if ast.get_docstring(tree) else tree.body
    allowed = (ast.Import, ast.ImportFrom)
    own = [n for n in body if not isinstance(n, allowed)
           and not (isinstance(n, ast.Assign) and [t.id for t in n.targets] == ["__all__"])]
    assert own == [], [ast.dump(n)[:80] for n in own]


def test_write_credit_grades_casts_to_the_contract(tmp_path):
    from workbench.credit import write_credit_grades

    df = pl.DataFrame({"customer_id": ["C1"], "uscc": ["U"], "score": [600], "pd": [0.1],
                       "grade": ["A"], "credit_limit_cny": [1000], "payment_terms_days": [30],
                       "reasons": ["r"], "extra": [1]})
    path = write_credit_grades(df, tmp_path / "g.parquet")
    assert pl.read_parquet(path).schema == pl.Schema(CREDIT_GRADES_SCHEMA)
    with pytest.raises(ValueError, match="reasons"):
        write_credit_grades(df.drop("reasons"), tmp_path / "h.parquet")


def test_registry_status_counts_use_the_latest_extract_before_the_end():
    from workbench.credit import registry_status_counts

    snaps = pl.LazyFrame({
        "snapshot_date": [dt.date(2026, 3, 31), dt.date(2026, 9, 30), dt.date(2026, 10, 1),
                          dt.date(2026, 6, 30)],
        "uscc": ["U1", "U1", "U1", "U2"],
        "status": ["active", "revoked", "cancelled", "active"],
    })
    counts = registry_status_counts({"registry_snapshots": snaps}, "2026-Q3")
    assert counts.rows() == [("active", 1), ("revoked", 1)]


def test_complaints_by_month_counts_the_trailing_year():
    from workbench.sla import complaints_by_month

    complaints = pl.LazyFrame({
        "received_at": [dt.datetime(2025, 9, 30), dt.datetime(2025, 10, 1),
                        dt.datetime(2026, 9, 30), dt.datetime(2026, 9, 1),
                        dt.datetime(2026, 10, 1)],
        "severity": ["low", "low", "high", "high", "high"],
    })
    rows = complaints_by_month({"complaints": complaints}, "2026-Q3").rows()
    assert rows == [(dt.date(2025, 10, 1), "low", 1), (dt.date(2026, 9, 1), "high", 2)]
