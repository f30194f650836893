"""Only ended, fresh periods are reported (contract v1.1 "Freshness"; issue #15 item 1)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench import freshness
from workbench.periods import parse_period
from workbench.report import ReportError, run_report
from workbench.sources import load

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def test_a_period_that_has_not_ended_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(freshness, "now_shanghai", lambda: dt.datetime(2026, 12, 2, 10, 0))
    out = tmp_path / "reports"
    with pytest.raises(ReportError, match=r"period 2026-Q4 has not ended: it ends 2027-01-01"):
        run_report(SAMPLES, "2026-Q4", out)
    with pytest.raises(ReportError, match=r"period 2030-Q1 has not ended"):
        run_report(SAMPLES, "2030-Q1", out)
    assert not out.exists()


def test_the_first_minute_after_the_period_is_ended():
    p = parse_period("2026-Q3")
    freshness.check_ended(p, now=dt.datetime(2026, 10, 1, 0, 0))
    with pytest.raises(freshness.FreshnessError):
        freshness.check_ended(p, now=dt.datetime(2026, 9, 30, 23, 59))


def test_the_sample_is_fresh_for_its_reference_quarter():
    frames = load(SAMPLES)
    assert freshness.stale_tables(frames, parse_period("2026-Q3"),
                                  ["tiering", "pricing", "sla", "credit"]) == []


def _stale_copy(tmp_path: Path, table: str, column: str, before: dt.datetime) -> Path:
    src = tmp_path / "source"
    shutil.copytree(SAMPLES, src)
    df = pl.read_parquet(src / f"{table}.parquet")
    df.filter(pl.col(column) < before).write_parquet(src / f"{table}.parquet")
    return src


def test_orders_that_stop_mid_quarter_are_refused_naming_table_and_dates(tmp_path):
    src = _stale_copy(tmp_path, "orders", "ordered_at", dt.datetime(2026, 9, 1))
    out = tmp_path / "reports"
    with pytest.raises(ReportError) as err:
        run_report(src, "2026-Q3", out, analyses=["pricing"])
    text = str(err.value)
    assert "not fresh for 2026-Q3" in text
    assert "table orders ends 2026-08-31 (latest ordered_at)" in text
    assert "up to at least 2026-09-24" in text  # 2026-10-01 less 7 days
    assert not out.exists()
    # A looser tolerance is a parameter (and SLA does not read orders at all).
    assert freshness.stale_tables(load(src), parse_period("2026-Q3"), ["pricing"],
                                  tolerance_days=31) == []
    assert freshness.stale_tables(load(src), parse_period("2026-Q3"), ["sla"]) == []


def test_old_registry_extracts_are_refused_for_credit(tmp_path, monkeypatch):
    """The case of issue #15: ``2027-Q2 --analyses credit`` published 981 'annual report
    overdue' findings only because the extracts were old."""
    monkeypatch.setattr(freshness, "now_shanghai", lambda: dt.datetime(2027, 8, 1))
    with pytest.raises(ReportError, match=r"table registry_snapshots ends 2026-11-15 "
                       r"\(latest snapshot_date\); the period needs rows up to at least "
                       r"2027-05-31"):
        run_report(SAMPLES, "2027-Q2", tmp_path / "reports", analyses=["credit"])


@pytest.mark.parametrize("now", [dt.datetime(2026, 12, 2, 10), dt.datetime(2027, 2, 1),
                                 dt.datetime(2027, 7, 15)])
def test_latest_is_the_last_quarter_the_sample_is_fresh_for_as_the_calendar_moves(now):
    """``make report`` renders ``--period latest``: from January on, ``last-quarter``
    would ask the fixed sample for 2026-Q4, which its orders (to 2026-11-30) do not
    reach."""
    frames = load(SAMPLES)
    analyses = ["tiering", "pricing", "sla", "credit"]
    assert freshness.latest_period(frames, analyses, now=now).label == "2026-Q3"


def test_run_report_resolves_latest_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(freshness, "now_shanghai", lambda: dt.datetime(2027, 2, 1))
    out = tmp_path / "reports"
    (out / "2026-Q3").mkdir(parents=True)
    with pytest.raises(ReportError, match=r"2026-Q3 already exists"):
        run_report(SAMPLES, "latest", out)
