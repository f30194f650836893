"""Fixtures for the credit tests: hand-made contract frames and generated samples."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl
import pytest

from workbench.contract import TABLES

D = dt.date


def frame(name: str, rows: list[dict[str, Any]]) -> pl.LazyFrame:
    """A contract table from row dicts (missing nullable columns are null)."""
    schema = TABLES[name].schema
    cols = {c: [r.get(c) for r in rows] for c in schema}
    return pl.DataFrame(cols, schema=schema).lazy()


def snap(uscc: str, day: dt.date, status: str = "active", **kw: Any) -> dict[str, Any]:
    row = {
        "snapshot_date": day,
        "uscc": uscc,
        "name": f"{uscc[-4:]}有限公司",
        "status": status,
        "established_date": D(2015, 3, 1),
        "registered_capital_cny": 1_000_000.0,
        "last_annual_report_year": 2025,
    }
    row.update(kw)
    return row


def event(uscc: str, day: dt.date, kind: str, **kw: Any) -> dict[str, Any]:
    return {"uscc": uscc, "event_date": day, "event_type": kind, **kw}


@pytest.fixture(scope="session")
def rf() -> SimpleNamespace:
    """Row and frame builders for hand-made registry data: ``rf.frame``, ``rf.snap``,
    ``rf.event`` and ``rf.D`` (datetime.date)."""
    return SimpleNamespace(frame=frame, snap=snap, event=event, D=D)


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.samples import generate

    out = tmp_path_factory.mktemp("credit_sample")
    generate(out, seed=7, scale="small")
    return out


@pytest.fixture(scope="session")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from workbench.samples import generate

    out = tmp_path_factory.mktemp("credit_clean")
    generate(out, seed=7, scale="small", clean=True)
    return out


@pytest.fixture(scope="session")
def sample_result(sample_dir: Path):  # noqa: ANN201
    from workbench import credit, sources

    frames = sources.load(sample_dir, tables=list(credit.TABLES))
    return credit.analyze(frames, "2026-Q3")


@pytest.fixture(scope="session")
def sample_truth(sample_dir: Path) -> dict[str, Any]:
    return json.loads((sample_dir / "ground_truth.json").read_text(encoding="utf-8"))
