"""What the notebooks of a report run saved, gathered for the report (split out of
:mod:`workbench.report.run`): the findings and each analysis's metrics, the tables
the analyses publish, and whether an analysis judged anything at all.
"""

from __future__ import annotations

import importlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from workbench.analysis import METRICS_FILE, load_saved
from workbench.contract import CREDIT_GRADES_SCHEMA
from workbench.findings import validate_findings
from workbench.report._inputs import ReportError

__all__ = ["CONTRACT_TABLES", "analysis_package", "gather", "not_evaluated", "publish_tables"]

#: Published tables every report holds, with their contract schema: an analysis
#: that publishes one (``PUBLISHED``) is checked against it, and the table is
#: written empty when that analysis did not run.
CONTRACT_TABLES: dict[str, dict[str, pl.DataType]] = {"credit_grades": CREDIT_GRADES_SCHEMA}


def analysis_package(analysis: str) -> ModuleType:
    """``workbench.<analysis>``: its ``PUBLISHED`` tables and ``PARAMETERS``."""
    return importlib.import_module(f"workbench.{analysis}")


def gather(parts: Path, analyses: Sequence[str]) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The findings and the headline metrics every notebook saved."""
    frames, metrics = [], {}
    for a in analyses:
        found, metrics[a] = load_saved(parts / a)
        frames.append(found)
    df = validate_findings(pl.concat(frames, how="vertical"))
    bad = df.filter(~pl.col("analysis").is_in(list(analyses)))
    if bad.height:
        raise ReportError(
            f"{bad.height} findings name an analysis that did not write them, "
            f"e.g. {bad['analysis'].unique().head(3).to_list()}"
        )
    return df.sort("analysis", "rule", "entity_id", "finding_id", nulls_last=True), metrics


def publish_tables(parts: Path, analyses: Sequence[str], staging: Path) -> None:
    """Each analysis's published tables (its package's ``PUBLISHED``) as
    ``<name>.parquet`` in the report; a table with a contract schema
    (:data:`CONTRACT_TABLES`) is checked and cast to it, and written empty when
    its analysis did not run.
    """
    for analysis in analyses:
        for name in analysis_package(analysis).PUBLISHED:
            saved = parts / analysis / f"{name}.parquet"
            schema = CONTRACT_TABLES.get(name)
            if schema is None:
                shutil.copyfile(saved, staging / saved.name)
                continue
            df = pl.read_parquet(saved)
            missing = [c for c in schema if c not in df.columns]
            if missing:
                raise ReportError(
                    f"{name} written by the {analysis} notebook lack columns {missing}")
            df.select(list(schema)).cast(schema).write_parquet(staging / saved.name)  # type: ignore[arg-type]
    for name, schema in CONTRACT_TABLES.items():
        if not (staging / f"{name}.parquet").exists():
            pl.DataFrame(schema=schema).write_parquet(staging / f"{name}.parquet")


def not_evaluated(saved: Path) -> str:
    """``"; not evaluated: <why>"`` when the analysis saved ``evaluated: false`` (the
    marketing analysis on a source without its tables), else ``""``.
    """
    try:
        metrics = json.loads((saved / METRICS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not isinstance(metrics, dict) or metrics.get("evaluated") is not False:
        return ""
    note = metrics.get("note")
    why = note.get("en") if isinstance(note, dict) else note
    return f"; {why or 'not evaluated'}"
