"""The benchmark harness's marketing case (issue #17, item 8), on a small source.

Nothing here times anything: the wiring is checked (the input is made once, the plan
runs the marketing cases on it, the target is judged from the figures given and its
peak memory reported beside it), and the two cases run on 20,000 messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from benchmarks import _cases, _data, _harness

N = 20_000
RULES = {
    "ad_unlabelled",
    "absolute_term",
    "no_opt_out",
    "marketing_without_consent",
    "privacy_request_overdue",
    "refusal_without_reason",
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-data")


@pytest.fixture(scope="module")
def small(data_dir: Path) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_data, "DATA", data_dir)
        return _data.marketing(N)


def test_marketing_source_is_made_once_with_its_marker(small: Path, data_dir: Path) -> None:
    assert small == data_dir / f"marketing-{N}"
    assert (small / _data.DONE).is_file()
    count = lambda t: pl.scan_parquet(small / f"{t}.parquet").select(pl.len()).collect().item()  # noqa: E731
    assert (count("marketing_messages"), count("consents")) == (N, N // 2)
    stamp = (small / "marketing_messages.parquet").stat().st_mtime_ns
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_data, "DATA", data_dir)
        assert _data.marketing(N) == small
    assert (small / "marketing_messages.parquet").stat().st_mtime_ns == stamp


def test_a_half_made_marketing_source_is_made_again(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(_data, "DATA", tmp_path)
    half = tmp_path / "marketing-2000"
    half.mkdir()
    (half / "marketing_messages.parquet").write_text("not parquet")
    assert _data.marketing(2_000) == half
    assert (half / _data.DONE).is_file()
    assert pl.read_parquet(half / "marketing_messages.parquet").height == 2_000


def test_plan_runs_both_marketing_cases_on_the_marketing_input(monkeypatch: Any) -> None:
    asked: list[tuple[str, int | None]] = []

    def prepare(kind: str, arg: int | None = None) -> Path:
        asked.append((kind, arg))
        return Path(f"/data/{kind}")

    monkeypatch.setattr(_data, "prepare", prepare)
    plan = _harness.plan_cases(["marketing"])
    assert plan == [
        ("marketing/workbench", Path("/data/marketing")),
        ("marketing/floor", Path("/data/marketing")),
    ]
    assert asked == [("marketing", 10_000_000)]
    assert all(name in _cases.CASES for name, _ in plan)
    assert "marketing" in _harness.ANALYSES
    asked.clear()
    assert _harness._case_source("marketing/floor", 0) == Path("/data/marketing")
    assert asked == [("marketing", 10_000_000)]
    assert not any(n.startswith("marketing/") for n, _ in _harness.plan_cases(["tiering"]))


def _result(case: str, wall: float, **more: Any) -> dict[str, Any]:
    return {"case": case, "source": "benchmarks/data/marketing-10m", "rows": 10_000_000,
            "wall_s": wall, "peak_mb": 5_000.0, **more}


def _marketing_target(results: list[dict[str, Any]]) -> dict[str, Any]:
    _harness._ratios(results)
    return next(t for t in _harness._targets(results) if t["target"].startswith("marketing"))


@pytest.mark.parametrize(("wall", "met"), [(53.4, True), (60.0, False), (75.0, False)])
def test_marketing_target_is_under_a_minute(wall: float, met: bool) -> None:
    results = [_result("marketing/workbench", wall, validate_s=9.1, peak_mb=5_450.0),
               _result("marketing/floor", 5.0, peak_mb=900.0)]
    t = _marketing_target(results)
    assert (t["value"], t["limit"], t["met"]) == (wall, 60.0, met)
    assert (t["peak_mb"], t["validate_s"]) == (5_450.0, 9.1)
    assert results[0]["multiple_of_floor"] == pytest.approx(wall / 5.0)
    assert "speedup_vs_pandas" not in results[0]
    note = next(n for n in _harness.target_notes([t]) if "marketing" in n)
    assert "peak_mb 5,450" in note and "validate_s 9.10" in note
    assert note.endswith("met" if met else "MISSED")


def test_marketing_target_stopped_is_missed_and_crashed_is_not_measured() -> None:
    stopped = _result("marketing/workbench", 0.0, error="stopped after 1800 s", stopped=True)
    assert _marketing_target([stopped])["met"] is False
    crashed = _result("marketing/workbench", 0.0, error="exit 1: MemoryError")
    t = _marketing_target([crashed])
    assert t["met"] is None
    assert _harness.target_notes([t])[0].endswith("not measured: exit 1: MemoryError")
    assert _marketing_target([])["met"] is None


def test_marketing_cases_run_on_a_small_source(small: Path) -> None:
    work = _cases.CASES["marketing/workbench"](small)
    assert work["rows"] == N
    assert set(work["findings"]) == RULES
    assert work["wall_s"] > 0 and work["validate_s"] > 0
    floor = _cases.CASES["marketing/floor"](small)
    assert floor["rows"] == N and floor["groups"] > 0


def test_marketing_floor_reads_every_period_message_and_counts_consent(tmp_path: Path) -> None:
    """The floor's as-of join: covered = the latest marketing grant at or before the
    send, not withdrawn by then (withdrawn exactly at the send: not covered); a
    message after the period and a profiling consent are not counted.
    """
    import datetime as dt

    t = dt.datetime
    pl.DataFrame({
        "sent_at": [t(2026, 7, 5), t(2026, 7, 20), t(2026, 8, 1), t(2026, 9, 1), t(2026, 10, 2)],
        "customer_id": ["C1", "C1", "C1", "C2", "C1"], "content": ["a", "b", "b", "a", "c"],
        "subsidiary_id": "S", "channel": "sms", "purpose": "marketing",
    }).write_parquet(tmp_path / "marketing_messages.parquet")
    pl.DataFrame({
        "customer_id": ["C1", "C2"], "purpose": ["marketing", "profiling"],
        "granted_at": [t(2026, 7, 5), t(2026, 7, 1)], "withdrawn_at": [t(2026, 8, 1), None],
    }).write_parquet(tmp_path / "consents.parquet")
    out = _cases.CASES["marketing/floor"](tmp_path)
    assert (out["rows"], out["period_messages"], out["covered"], out["groups"]) == (5, 4, 2, 1)
