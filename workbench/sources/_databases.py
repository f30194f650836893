"""Database readers: SQLite, DuckDB and PostgreSQL (ADBC), each table read once as Arrow.

URIs follow the SQLAlchemy convention for database files (``sqlite:///rel.db`` is
relative, ``sqlite:////abs/x.db`` absolute) and libpq's for PostgreSQL
(``postgresql://user[:password]@host[:port]/db[?options=-csearch_path%3Dcrm]``).
"""

from __future__ import annotations

import sqlite3
from abc import abstractmethod
from collections.abc import Callable, Mapping
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import polars as pl
import pyarrow as pa

from workbench.sources._messages import (
    MSG_DRIVER_MISSING,
    MSG_SOURCE_NOT_FOUND,
    MSG_SOURCE_NOT_RECOGNISED,
    MSG_SOURCE_UNREADABLE,
    MSG_TABLE_MISSING,
    MSG_TABLE_UNREADABLE,
    BadInputError,
    UnsupportedSourceError,
    _first_line,
    _unreadable,
)
from workbench.sources._readers import _TEXT_BOOLS, Source
from workbench.sources._uri import _libpq_uri, redact_uri

if TYPE_CHECKING:
    import duckdb
    from adbc_driver_postgresql.dbapi import Connection as _AdbcConnection


class _DatabaseSource(Source):
    """A database file: subclasses list tables and fetch one as Arrow; this caches.

    A database is read once per table into memory: its drivers hand over whole
    result sets anyway, and the file can then be closed (no lock held while the
    notebooks run).
    """

    scheme = ""

    def __init__(self, uri: str, path: Path) -> None:
        super().__init__(uri)
        self.path = path
        self._names: list[str] | None = None
        self._frames: dict[str, pl.DataFrame] = {}

    @abstractmethod
    def _list_tables(self) -> list[str]: ...

    @abstractmethod
    def _fetch_arrow(self, table: str) -> pa.Table: ...

    def tables(self) -> list[str]:
        if self._names is None:
            try:
                self._names = sorted(self._list_tables())
            except Exception as exc:  # each driver has its own error hierarchy
                error = _first_line(exc)
                raise BadInputError(
                    None,
                    None,
                    MSG_SOURCE_UNREADABLE.format(
                        location=self.location, scheme=self.scheme, error=error
                    ),
                ) from exc
        return list(self._names)

    def scan_raw(self, table: str) -> pl.LazyFrame:
        if table not in self.tables():
            raise BadInputError(table, None, MSG_TABLE_MISSING)
        if table not in self._frames:
            frame = pl.from_arrow(self._fetch_arrow(table))
            assert isinstance(frame, pl.DataFrame)
            self._frames[table] = frame
        return self._frames[table].lazy()

    def input_files(self) -> dict[str, Path]:
        return {self.path.name: self.path}

    def describe(self) -> str:
        return f"{self.scheme} database {self.path}"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqliteSource(_DatabaseSource):
    """``sqlite:///path.db``. SQLite has no column types, so every value is read
    as text (``CAST(… AS TEXT)``) and parsed like CSV; booleans may be 1/0.
    """

    scheme = "sqlite"
    text_bools: ClassVar[Mapping[str, bool]] = {**_TEXT_BOOLS, "1": True, "0": False}

    def _connect(self) -> sqlite3.Connection:
        # Read-only URI: never create an empty database for a mistyped path.
        return sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True)

    def _list_tables(self) -> list[str]:
        with closing(self._connect()) as con:
            rows = con.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            ).fetchall()
        return [r[0] for r in rows]

    def _fetch_arrow(self, table: str) -> pa.Table:
        try:
            with closing(self._connect()) as con:
                names = [r[1] for r in con.execute(f"PRAGMA table_info({_ident(table)})")]
                select = ", ".join(f"CAST({_ident(n)} AS TEXT) AS {_ident(n)}" for n in names)
                rows = con.execute(f"SELECT {select} FROM {_ident(table)}").fetchall()
        except sqlite3.Error as exc:
            raise BadInputError(table, None, MSG_TABLE_UNREADABLE.format(error=exc)) from exc
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        return pa.table(
            {n: pa.array(col, type=pa.string()) for n, col in zip(names, columns, strict=True)}
        )


class DuckdbSource(_DatabaseSource):
    """``duckdb:///path.duckdb``: typed columns arrive as Arrow, TIMESTAMPTZ included."""

    scheme = "duckdb"

    def _connect(self) -> duckdb.DuckDBPyConnection:
        import duckdb

        return duckdb.connect(str(self.path), read_only=True)

    def _list_tables(self) -> list[str]:
        with closing(self._connect()) as con:
            rows = con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            ).fetchall()
        return [r[0] for r in rows]

    def _fetch_arrow(self, table: str) -> pa.Table:
        import duckdb

        try:
            with closing(self._connect()) as con:
                return con.sql(f"SELECT * FROM {_ident(table)}").to_arrow_table()
        except duckdb.Error as exc:
            raise BadInputError(table, None, MSG_TABLE_UNREADABLE.format(error=exc)) from exc


class PostgresSource(_DatabaseSource):
    """``postgresql://user@host:port/db``: the tables of the connection's current
    schema (``?options=-csearch_path%3Dcrm`` picks another), read through the ADBC
    PostgreSQL driver, which copies each result in PostgreSQL's binary format straight
    into Arrow columns (``timestamptz`` arrives as UTC, ``numeric`` as exact text that
    the validator parses like CSV).

    Rows come in the table's physical order (synchronised and parallel scans off), so
    a table loaded with ``COPY`` or ``INSERT`` and not updated since reads in the order
    it was written: what "the later row in the file" means for tier history.
    """

    scheme = "postgresql"

    def __init__(self, uri: str) -> None:
        Source.__init__(self, redact_uri(uri))
        self._uri = _libpq_uri(uri)
        self._names = None
        self._frames = {}

    def _connect(self) -> _AdbcConnection:
        try:
            import adbc_driver_postgresql.dbapi as adbc_pg
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise UnsupportedSourceError(
                None,
                None,
                MSG_DRIVER_MISSING.format(
                    scheme=self.scheme, package="adbc-driver-postgresql", error=exc
                ),
            ) from exc
        con = adbc_pg.connect(self._uri)
        with closing(con.cursor()) as cur:
            # Physical order, deterministically: no scan piggy-backing on another
            # one midway through the table, no parallel workers interleaving pages.
            cur.execute("SET synchronize_seqscans = off")
            cur.execute("SET max_parallel_workers_per_gather = 0")
        return con

    def _list_tables(self) -> list[str]:
        with closing(self._connect()) as con, closing(con.cursor()) as cur:
            cur.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
            return [str(v) for v in cur.fetch_arrow_table().column(0).to_pylist()]

    def _fetch_arrow(self, table: str) -> pa.Table:
        import adbc_driver_manager

        try:
            with closing(self._connect()) as con, closing(con.cursor()) as cur:
                cur.execute(f"SELECT * FROM {_ident(table)}")
                return _plain_arrow(cur.fetch_arrow_table())
        except adbc_driver_manager.Error as exc:
            raise _unreadable(table, exc) from exc

    def input_files(self) -> dict[str, Path]:
        """No files: a server holds none to hash; the manifest keeps the (redacted) URI."""
        return {}

    def describe(self) -> str:
        """``postgresql database <user@host:port/db>``, password redacted."""
        return f"{self.scheme} database {self.location.split('://', 1)[-1]}"


def _plain_arrow(table: pa.Table) -> pa.Table:
    """Drop driver metadata and unwrap extension types (ADBC hands ``numeric`` and
    other types it has no Arrow twin for as opaque text) to their storage.
    """
    fields, columns = [], []
    for f, col in zip(table.schema, table.columns, strict=True):
        if isinstance(f.type, pa.BaseExtensionType):
            col = pa.chunked_array(
                [c.storage for c in col.chunks], type=f.type.storage_type
            )
        fields.append(pa.field(f.name, col.type, f.nullable))
        columns.append(col)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _database_path(uri: str, rest: str) -> Path:
    if not rest.startswith("/"):
        raise BadInputError(None, None, MSG_SOURCE_NOT_RECOGNISED.format(location=uri))
    path = Path(rest[1:])  # sqlite:///rel.db → rel.db; sqlite:////abs.db → /abs.db
    if not path.is_file():
        raise BadInputError(None, None, MSG_SOURCE_NOT_FOUND.format(location=uri))
    return path


def _open_sqlite(uri: str, rest: str) -> Source:
    source = SqliteSource(uri, _database_path(uri, rest))
    source.tables()  # fail now, as a source problem, if it is no database
    return source


def _open_duckdb(uri: str, rest: str) -> Source:
    source = DuckdbSource(uri, _database_path(uri, rest))
    source.tables()
    return source


def _open_postgresql(uri: str, rest: str) -> Source:
    source = PostgresSource(uri)
    source.tables()  # fail now, as a source problem, if no server answers
    return source


#: URI scheme (before any ``+driver``) → opener(uri, part after ``://``)
_URI_OPENERS: dict[str, Callable[[str, str], Source]] = {
    "sqlite": _open_sqlite,
    "duckdb": _open_duckdb,
    "postgresql": _open_postgresql,
    "postgres": _open_postgresql,
}
