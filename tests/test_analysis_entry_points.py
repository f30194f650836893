"""What the notebooks rely on: every analysis exposes ``TABLES`` and
``analyze(frames, period) -> AnalysisResult``; the overview helpers they plot."""

from __future__ import annotations

import datetime as dt
import importlib

import polars as pl
import pytest

from workbench.contract import ANALYSES, CREDIT_GRADES_SCHEMA, TABLES


@pytest.mark.parametrize("analysis", ANALYSES)
def test_entry_point_exists(analysis):
    module = importlib.import_module(f"workbench.{analysis}")
    assert callable(module.analyze)
    assert set(module.TABLES) <= set(TABLES)
    assert module.analyze.__doc__


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
        "received_at": [dt.datetime(2025, 9, 30), dt.datetime(2025, 10, 1), dt.datetime(2026, 9, 30),
                        dt.datetime(2026, 9, 1), dt.datetime(2026, 10, 1)],
        "severity": ["low", "low", "high", "high", "high"],
    })
    rows = complaints_by_month({"complaints": complaints}, "2026-Q3").rows()
    assert rows == [(dt.date(2025, 10, 1), "low", 1), (dt.date(2026, 9, 1), "high", 2)]
