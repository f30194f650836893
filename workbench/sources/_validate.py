"""Running the checks: read and type a table, one aggregate ``collect``, the first problem.

Each table's declared checks (:mod:`workbench.sources._checks`) become flag columns
reduced in a single ``collect`` of aggregates (counts, first offending keys); only
for the one failing check that is reported are the offending values fetched.
Foreign keys are anti-joins against the (valid) parent tables, collected once per
table, so a broken parent is reported once, in its own table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from workbench.contract import TABLES, Column, Table
from workbench.sources._checks import _Check, _checks
from workbench.sources._messages import (
    _EXAMPLE_SCAN,
    MAX_EXAMPLES,
    MSG_COLUMN_MISSING,
    MSG_COLUMNS_MISSING,
    MSG_DANGLING_FK,
    MSG_TABLE_MISSING,
    BadInputError,
    _quote,
    _unreadable,
)
from workbench.sources._parsing import _RAW, _key_expr, _typed_columns
from workbench.sources._readers import Source

if TYPE_CHECKING:
    from polars._typing import EngineType

#: Primary keys per hash bucket when a file-scanned table's duplicates are counted
#: in passes (one hash set of 25M string keys is about 1.5 GB).
KEYS_PER_BUCKET = 25_000_000

_READ_ERRORS: tuple[type[BaseException], ...] = (
    pl.exceptions.PolarsError,
    pa.ArrowException,
    OSError,
)


@dataclass
class _TableResult:
    frame: pl.LazyFrame | None = None
    rows: int | None = None
    problem: BadInputError | None = None
    engine: EngineType = "auto"


def _aggregates(checks: Sequence[_Check]) -> list[pl.Expr]:
    """Per check: failing rows (n) and first keys (k). The offending values to quote
    are fetched by :func:`_first_problem` for the one failing check reported: as an
    aggregate here they kept the streaming engine from streaming (``unique``).
    """
    aggs: list[pl.Expr] = [pl.len().alias("rows")]
    for i, check in enumerate(checks):
        if check.resolve is not None:
            aggs.append(check.flag.alias(f"n{i}"))
            continue
        f = pl.col(f"f{i}")
        aggs += [
            f.sum().alias(f"n{i}"),
            pl.col("__key").filter(f).head(MAX_EXAMPLES).implode().alias(f"k{i}"),
        ]
    return aggs


def _first_problem(
    table: Table,
    checks: Sequence[_Check],
    agg: pl.DataFrame,
    work: pl.LazyFrame,
    engine: EngineType = "auto",
) -> BadInputError | None:
    row = agg.row(0, named=True)
    for i, check in enumerate(checks):
        if not row[f"n{i}"]:
            continue
        if check.resolve is not None:
            n, keys = check.resolve(work)
            if n:
                return BadInputError(table.name, check.column, check.message([]), n, keys)
            continue
        values: list[object] = []
        if check.values is not None:
            first = (
                check.values.filter(check.flag)
                .head(_EXAMPLE_SCAN)
                .unique(maintain_order=True)
                .head(MAX_EXAMPLES)
                .implode()
            )
            values = work.select(first).collect(engine=engine).item().to_list()
        return BadInputError(
            table.name, check.column, check.message(values), row[f"n{i}"], row[f"k{i}"]
        )
    return None


def _stored(
    source: Source, table: Table
) -> tuple[pl.LazyFrame, dict[str, pl.DataType]] | BadInputError:
    """The table as stored and its schema, or why there is none to type: the table
    is missing or unreadable, or a required column (one without default) is missing.
    """
    name = table.name
    if name not in source.tables():
        return BadInputError(name, None, MSG_TABLE_MISSING)
    try:
        raw = source.scan_raw(name)
        schema = dict(raw.collect_schema())
    except BadInputError as exc:
        return exc
    except _READ_ERRORS as exc:
        return _unreadable(name, exc)
    missing = [c.name for c in table.columns if c.name not in schema and c.default is None]
    if missing:
        msg = (
            MSG_COLUMN_MISSING
            if len(missing) == 1
            else MSG_COLUMNS_MISSING.format(columns=", ".join(missing))
        )
        return BadInputError(name, missing[0], msg)
    return raw, schema


def _typed_frames(
    source: Source, table: Table, raw: pl.LazyFrame, schema: Mapping[str, pl.DataType]
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """``(work, frame)``: the stored columns (prefixed ``__raw__``) beside the typed
    ones, which the checks read; and the typed contract columns, which are handed out.

    A table already in memory is typed here, once: both share the parsed buffers.
    """
    stored_cols = [c.name for c in table.columns if c.name in schema]
    bools = source.text_bools
    work = raw.select([pl.col(c).alias(_RAW + c) for c in stored_cols]).with_columns(
        _typed_columns(table, schema, bools, _RAW)
    )
    if source.in_memory(table.name):
        work_df = work.collect()
        return work_df.lazy(), work_df.select([c.name for c in table.columns]).lazy()
    return work, raw.select(_typed_columns(table, schema, bools, ""))


def _check_table(source: Source, table: Table) -> _TableResult:
    """Read, type and check one table with a single aggregate collect."""
    stored = _stored(source, table)
    if isinstance(stored, BadInputError):
        return _TableResult(problem=stored)
    raw, schema = stored
    name = table.name
    try:
        buckets = 1
        if not source.in_memory(name):  # parquet metadata: no data read
            n_rows = raw.select(pl.len()).collect().item()
            buckets = max(1, -(-n_rows // KEYS_PER_BUCKET))
        checks = _checks(table, schema, buckets)
        work, frame = _typed_frames(source, table, raw, schema)
        flags = [c.flag.alias(f"f{i}") for i, c in enumerate(checks) if c.resolve is None]
        flagged = work.with_columns(_key_expr(table, with_raw=True), *flags)
        engine = _engine(source, name)
        agg = flagged.select(_aggregates(checks)).collect(engine=engine)
        problem = _first_problem(table, checks, agg, work, engine)
    except _READ_ERRORS as exc:
        return _TableResult(problem=_unreadable(name, exc))
    return _TableResult(frame=frame, rows=int(agg["rows"][0]), problem=problem, engine=engine)


def _typed_table(source: Source, table: Table) -> _TableResult:
    """Read and type one table exactly as :func:`_check_table` does, checking nothing.

    Only a table that cannot be typed at all is a problem: missing, unreadable, or
    missing a required column.
    """
    stored = _stored(source, table)
    if isinstance(stored, BadInputError):
        return _TableResult(problem=stored)
    raw, schema = stored
    try:
        _, frame = _typed_frames(source, table, raw, schema)
    except _READ_ERRORS as exc:
        return _TableResult(problem=_unreadable(table.name, exc))
    return _TableResult(frame=frame)


def _engine(source: Source, table: str) -> EngineType:
    """Streaming for a table scanned from files (it may not fit in memory: a
    partitioned directory), polars' default for one already in memory.
    """
    return "auto" if source.in_memory(table) else "streaming"


def _check_foreign_keys(table: Table, results: Mapping[str, _TableResult]) -> BadInputError | None:
    """Anti-join each fk against its (valid, loaded) parent; one collect per table."""
    child = results[table.name].frame
    assert child is not None
    key = _key_expr(table, with_raw=False)
    fks: list[tuple[Column, str]] = []
    queries: list[pl.LazyFrame] = []
    for col in table.columns:
        if col.fk is None:
            continue
        ref_table, ref_col = col.fk.split(".", 1)
        parent = results.get(ref_table)
        if parent is None or parent.frame is None or parent.problem is not None:
            continue  # not loaded, or itself bad (reported there)
        parent_keys = parent.frame.select(pl.col(ref_col).alias(col.name)).unique()
        dangling = child.filter(pl.col(col.name).is_not_null()).join(
            parent_keys, on=col.name, how="anti"
        )
        queries.append(
            dangling.select(
                pl.len().alias("n"),
                key.head(MAX_EXAMPLES).implode().alias("k"),
                pl.col(col.name)
                .head(_EXAMPLE_SCAN)  # a bounded prefix first: unique() is not streaming
                .unique(maintain_order=True)
                .head(MAX_EXAMPLES)
                .implode()
                .alias("v"),
            )
        )
        fks.append((col, col.fk))
    if not queries:
        return None
    try:
        engine = results[table.name].engine
        if engine == "streaming":
            # One at a time: collect_all shares the child's scan between the queries
            # by caching it whole (6 GB for 100M orders instead of 0.6 GB).
            outs = [q.collect(engine=engine) for q in queries]
        else:
            outs = pl.collect_all(queries, engine=engine)
    except _READ_ERRORS as exc:
        return _unreadable(table.name, exc)
    for (col, ref), out in zip(fks, outs, strict=True):
        n, keys, values = out.row(0)
        if n:
            msg = MSG_DANGLING_FK.format(ref=ref, values=_quote(values))
            return BadInputError(table.name, col.name, msg, n, keys)
    return None


def _validate(source: Source, names: Sequence[str]) -> dict[str, _TableResult]:
    """Check the tables named (parents included by the caller), then their foreign keys."""
    results = {name: _check_table(source, TABLES[name]) for name in names}
    for name, result in results.items():
        if result.problem is None:
            result.problem = _check_foreign_keys(TABLES[name], results)
    return results
