"""What every analysis returns: :class:`AnalysisResult`, and how a notebook hands it
to the report runner (:func:`save_result` / :func:`load_result_outputs`).

Each analysis package (``workbench.tiering``, ``workbench.pricing``,
``workbench.sla``, ``workbench.credit``) has one shape::

    __init__.py    re-exports only
    _analysis.py   PARAMETERS (declared) and analyze(frames, period, **params)
    _findings.py   one builder per rule code
    _figures.py    plotly figures
    _<topic>.py    private helpers

``frames`` are validated contract LazyFrames, ``period`` a
:class:`workbench.periods.Period` or its label. The notebook shows ``tables`` and
``figures`` and calls :func:`save_result`; the runner reads what it saved and
never recomputes a number.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import polars as pl

from workbench.findings import FINDINGS_FILE, read_findings, write_findings
from workbench.periods import Period, parse_period

METRICS_FILE = "metrics.json"
PARAMETERS_FILE = "parameters.json"


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return value if isinstance(value, MappingProxyType) else MappingProxyType(dict(value))


@dataclass(frozen=True)
class AnalysisResult:
    """The outcome of one analysis for one period, computed once and read-only.

    Attributes
    ----------
    analysis
        The analysis code (``tiering``, ``pricing``, ``sla``, ``credit``).
    findings
        Contract findings (:data:`workbench.contract.FINDINGS_SCHEMA`).
    tables
        Named evidence tables, e.g. ``{"disparity": frame}``.
    figures
        Named plotly figures.
    parameters
        Every declared parameter as used (JSON-friendly).
    metrics
        The analysis's own headline numbers (JSON-friendly scalars, lists and
        dicts); the dashboard and the report read these values, never recompute them.
    timings_s
        Seconds per step.
    published
        Names of ``tables`` the report publishes as ``<name>.parquet`` beside the
        findings (``credit_grades``).
    """

    analysis: str
    findings: pl.DataFrame
    tables: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    figures: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    timings_s: Mapping[str, float] = field(default_factory=dict)
    published: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("tables", "figures", "parameters", "metrics", "timings_s"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        missing = [t for t in self.published if t not in self.tables]
        if missing:
            raise ValueError(f"{self.analysis}: published tables {missing} are not in tables")


class Laps:
    """Seconds per step of one run (an analysis' ``timings_s``): call it with a
    step's name when the step ends.
    """

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def __call__(self, step: str) -> None:
        """Record the seconds since the previous step (or the start) as ``step``."""
        now = time.perf_counter()
        self.timings[step] = round(now - self._t, 3)
        self._t = now


def as_period(period: Period | str) -> Period:
    """Accept a :class:`Period` or a period label such as ``"2026-Q3"``.

    >>> as_period("2026-Q3").end.isoformat()
    '2026-10-01T00:00:00'
    """
    return period if isinstance(period, Period) else parse_period(period)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def write_json(value: Mapping[str, Any], path: str | Path) -> Path:
    """Deterministic UTF-8 JSON (sorted keys), the way every report file is written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(_plain(value), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return path


def save_result(result: AnalysisResult, out_dir: str | Path) -> Path:
    """Write what the report runner gathers from one analysis into ``out_dir``.

    ``findings.parquet``, ``metrics.json``, ``parameters.json`` and every table
    named in ``result.published`` as ``<name>.parquet``. A notebook calls this last.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in result.published:
        result.tables[name].write_parquet(out / f"{name}.parquet")
    write_json(result.metrics, out / METRICS_FILE)
    write_json(result.parameters, out / PARAMETERS_FILE)
    write_findings(result.findings, out / FINDINGS_FILE)  # last: its presence means "done"
    return out


def saved_files(out_dir: str | Path, published: tuple[str, ...] = ()) -> list[Path]:
    """The files :func:`save_result` writes into ``out_dir``."""
    out = Path(out_dir)
    return [out / FINDINGS_FILE, out / METRICS_FILE, out / PARAMETERS_FILE,
            *(out / f"{t}.parquet" for t in published)]


def load_saved(out_dir: str | Path) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Findings and metrics saved by :func:`save_result` (contract-checked findings)."""
    out = Path(out_dir)
    metrics = json.loads((out / METRICS_FILE).read_text(encoding="utf-8"))
    return read_findings(out / FINDINGS_FILE), metrics
