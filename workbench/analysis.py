"""What every analysis returns: :class:`AnalysisResult`.

Each analysis module (``workbench.tiering``, ``workbench.pricing``,
``workbench.sla``, ``workbench.credit``) exposes one entry point::

    analyze(frames, period, **params) -> AnalysisResult

``frames`` are the validated contract LazyFrames from :func:`workbench.sources.load`,
``period`` a :class:`workbench.periods.Period` (or its label). The notebook shows
``tables`` and ``figures`` and writes ``findings`` with
:func:`workbench.findings.write_findings`; it computes nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from workbench.periods import Period, parse_period


@dataclass(frozen=True)
class AnalysisResult:
    """The outcome of one analysis for one period, computed once and read-only.

    Attributes
    ----------
    findings
        Contract findings (:data:`workbench.contract.FINDINGS_SCHEMA`).
    tables
        Named evidence tables for the notebook, e.g. ``{"by_group": frame}``.
    figures
        Named plotly figures for the notebook.
    """

    findings: pl.DataFrame
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)


def as_period(period: Period | str) -> Period:
    """Accept a :class:`Period` or a period label such as ``"2026-Q3"``.

    >>> as_period("2026-Q3").end.isoformat()
    '2026-10-01T00:00:00'
    """
    return period if isinstance(period, Period) else parse_period(period)
