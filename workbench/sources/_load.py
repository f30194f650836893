"""The public functions: open a source, load its contract tables, validate it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from workbench.contract import CONTRACT_VERSION, OPTIONAL_TABLES, TABLES
from workbench.redact import mask_free_text
from workbench.sources._databases import _URI_OPENERS
from workbench.sources._messages import (
    MSG_OPTIONAL_PARTIAL,
    MSG_SOURCE_NOT_FOUND,
    MSG_SOURCE_NOT_RECOGNISED,
    BadInputError,
    ContractError,
)
from workbench.sources._readers import DirectorySource, Source
from workbench.sources._uri import redact_uri
from workbench.sources._validate import _typed_table, _validate


def open_source(source: str | Path | Source) -> Source:
    """Open a directory or database URI; raise :class:`BadInputError` when it isn't one."""
    if isinstance(source, Source):
        return source
    location = str(source)
    if "://" in location:
        scheme, rest = location.split("://", 1)
        opener = _URI_OPENERS.get(scheme.split("+", 1)[0].lower())
        if opener is None:
            msg = MSG_SOURCE_NOT_RECOGNISED.format(location=redact_uri(location))
            raise BadInputError(None, None, msg)
        return opener(location, rest)
    path = Path(location)
    if not path.exists():
        raise BadInputError(None, None, MSG_SOURCE_NOT_FOUND.format(location=location))
    if not path.is_dir():
        raise BadInputError(None, None, MSG_SOURCE_NOT_RECOGNISED.format(location=location))
    return DirectorySource(path)


def _with_parents(names: Sequence[str]) -> list[str]:
    """The tables named plus every table their foreign keys reach, in contract order."""
    todo, seen = list(names), set(names)
    while todo:
        for col in TABLES[todo.pop()].columns:
            if col.fk:
                parent = col.fk.split(".", 1)[0]
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
    return [t for t in TABLES if t in seen]


def _resolve(tables: Sequence[str] | None) -> list[str]:
    """The tables asked for in contract order (``None``: every table, optional ones too)."""
    if tables is None:
        return list(TABLES)
    if isinstance(tables, str):
        tables = [tables]
    unknown = [t for t in tables if t not in TABLES]
    if unknown:
        raise ValueError(
            f"not contract tables: {', '.join(unknown)} (known: {', '.join(TABLES)})"
        )
    return [t for t in TABLES if t in set(tables)]


def _optional_tables(src: Source, wanted: Sequence[str]) -> tuple[list[str], list[BadInputError]]:
    """Of the optional groups ``wanted`` touches: the tables the source lacks as a whole
    group (left out, not an error: that analysis is *not evaluated*), and one problem
    per table missing from a group the source has only some of (bad input).
    """
    present = set(src.tables())
    absent: list[str] = []
    problems: list[BadInputError] = []
    for group, names in OPTIONAL_TABLES.items():
        if not set(names) & set(wanted):
            continue
        have = [t for t in names if t in present]
        if not have:
            absent += names
            continue
        msg = MSG_OPTIONAL_PARTIAL.format(group=group, tables=", ".join(names),
                                          present=", ".join(have))
        problems += [BadInputError(t, None, msg) for t in names if t not in present]
    return absent, problems


def load(
    source: str | Path | Source,
    *,
    tables: Sequence[str] | None = None,
    validate: bool = True,
) -> dict[str, pl.LazyFrame]:
    """Validate and return the contract tables (default: all), typed and in contract order.

    Tables referenced by foreign keys are read and validated too, so that every
    key can be checked; only the tables asked for are returned. An optional group
    (:data:`~workbench.contract.OPTIONAL_TABLES`) the source lacks entirely is simply
    not returned; a source with only some of a group's tables is bad input, one
    problem per missing table (checked whenever a table of the group is asked for,
    or every table is). Raises
    :class:`ContractError` listing the first problem of each bad table, or
    :class:`BadInputError` when the source itself cannot be opened.

    With ``validate=False`` (for a source already validated, e.g. by the report
    runner) the tables asked for are read and typed exactly the same way, but no
    value, key or foreign-key check runs and no parent table is read; only a table
    that cannot be typed at all (missing, unreadable, a required column missing)
    still raises :class:`ContractError`.
    """
    src = open_source(source)
    wanted = _resolve(tables)
    absent, partial = _optional_tables(src, wanted)
    wanted = [t for t in wanted if t not in absent]
    if partial:
        raise ContractError(partial)
    if validate:
        results = _validate(src, _with_parents(wanted))
    else:
        results = {name: _typed_table(src, TABLES[name]) for name in wanted}
    problems = [r.problem for r in results.values() if r.problem is not None]
    if problems:
        raise ContractError(problems)
    out: dict[str, pl.LazyFrame] = {}
    for name in wanted:
        frame = results[name].frame
        assert frame is not None
        out[name] = mask_free_text(name, frame)  # identifiers never reach an analysis
    return out


@dataclass
class ValidationReport:
    """What ``workbench validate`` prints: each contract table, its rows, OK or its problem.

    ``absent`` are optional tables the source lacks as a whole group: not a problem.
    """

    source: str
    problems: list[BadInputError] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    tables: tuple[str, ...] = tuple(TABLES)
    absent: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every contract table passed."""
        return not self.problems

    def render(self) -> str:
        """The report as text: one line per table, then the verdict."""
        lines = [f"source: {self.source}"]
        by_table = {p.table: p for p in self.problems}
        if None in by_table:
            lines.append(f"BAD  {by_table[None]}")
            return "\n".join(lines)
        width = max(len(t) for t in self.tables)
        lines.append(f"{'table':<{width}}  {'rows':>10}  status")
        for t in self.tables:
            rows = f"{self.row_counts[t]:,}" if t in self.row_counts else "-"
            status = f"BAD  {by_table[t]}" if t in by_table else "OK"
            if t in self.absent:
                status = "absent (optional: its analysis is not evaluated)"
            lines.append(f"{t:<{width}}  {rows:>10}  {status}")
        n = len(self.problems)
        checked = len(self.tables) - len(self.absent)
        verdict = "all OK" if not n else f"{n} of {checked} tables bad"
        if self.absent:
            verdict += f" ({len(self.absent)} optional tables absent)"
        lines.append(f"data contract v{CONTRACT_VERSION}: {verdict}")
        return "\n".join(lines)


def validate_source(source: str | Path | Source) -> ValidationReport:
    """Check every contract table of a source; never raises for bad input."""
    try:
        src = open_source(source)
    except BadInputError as exc:
        return ValidationReport(source=redact_uri(str(source)), problems=[exc])
    absent, partial = _optional_tables(src, list(TABLES))
    skip = set(absent) | {p.table for p in partial}
    results = _validate(src, [t for t in TABLES if t not in skip])
    problems = [r.problem for r in results.values() if r.problem is not None]
    return ValidationReport(
        source=src.describe(),
        problems=sorted([*problems, *partial], key=lambda p: list(TABLES).index(p.table)),
        row_counts={t: r.rows for t, r in results.items() if r.rows is not None},
        absent=tuple(absent),
    )
