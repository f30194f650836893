"""Open a source, read the contract tables lazily and validate them.

This is the only module that touches input data. Everything downstream receives
LazyFrames with exactly the contract columns, in contract order and contract
dtypes, enum labels mapped to codes; or it receives nothing, because bad input
stops the run with one :class:`ContractError` that names each bad table (the data
contract: "never guesses, never drops rows silently").

Validation is pushed into polars: each table's type, null, enum, bound, key and
row checks are evaluated as boolean flag columns and reduced in a single
``collect`` of aggregates (counts, first offending keys, first offending values);
foreign keys are anti-joins, collected once per table. No Python loop touches
rows, except the sqlite3 cursor, which can only hand out tuples.

Each bad table reports one problem, the most basic first: table missing or
unreadable, required column missing, value of the wrong type, null in a required
column, unknown enum value, bound (money ≥ 0, quantity > 0, …), duplicate primary
key, a :data:`~workbench.contract.ROW_CHECKS` rule, dangling foreign key (checked
only when both tables are otherwise valid, so a broken parent is reported once).

Readers: a directory of ``<table>.parquet`` / ``<table>.csv`` (parquet stays a lazy
``scan_parquet``; CSV is read into memory once, every column as text), where a
table may also be a sub-directory of parquet files, e.g. a hive-partitioned
``orders/year=2026/month=07/part-0.parquet`` (scanned lazily as one table, so the
streaming engine can aggregate it without loading it whole); or a database URI
``sqlite:///path.db`` / ``duckdb:///path.duckdb`` (the SQLAlchemy convention:
``sqlite:///rel.db`` is relative, ``sqlite:////abs/x.db`` absolute), or a libpq URI
``postgresql://user[:password]@host[:port]/db[?options=-csearch_path%3Dcrm]`` read
through the Arrow-native ADBC PostgreSQL driver (``adbc-driver-postgresql``; the
password is better given by ``PGPASSWORD`` or ``~/.pgpass``, which libpq reads).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing as _closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import polars as pl
import pyarrow as pa

if TYPE_CHECKING:
    import duckdb
    from adbc_driver_postgresql.dbapi import Connection as _AdbcConnection
    from polars._typing import EngineType

from workbench.contract import (
    CONTRACT_VERSION,
    ROW_CHECKS,
    TABLE_NAMES,
    TABLES,
    TIMEZONE,
    Column,
    Table,
    enum_codes,
    enum_label_map,
)

__all__ = [
    "BadInputError",
    "ContractError",
    "PostgresSource",
    "Source",
    "UnsupportedSourceError",
    "ValidationReport",
    "load",
    "open_source",
    "redact_uri",
    "split_password",
    "validate_source",
]

MAX_EXAMPLES = 5
_EXAMPLE_SCAN = 10_000  # offending values looked at for distinct examples

# ------------------------------------------------------------------ messages
# Module-level so that tests (and callers) match the exact wording.
MSG_SOURCE_NOT_FOUND = "source not found: {location}"
MSG_SOURCE_NOT_RECOGNISED = (
    "source {location!r} is neither a directory nor a database URI "
    "(sqlite:///path.db, duckdb:///path.duckdb, postgresql://user@host:port/db)"
)
MSG_SOURCE_UNSUPPORTED = (
    "{scheme}:// sources are not supported yet; export the tables to parquet, "
    "sqlite:///… or duckdb:///… meanwhile"
)
MSG_DRIVER_MISSING = (
    "{scheme}:// sources need the {package} package (pip install {package}): {error}"
)
MSG_SOURCE_UNREADABLE = "{location} cannot be read as a {scheme} database: {error}"
MSG_TABLE_MISSING = "table is missing from the source"
MSG_TABLE_UNREADABLE = "table cannot be read: {error}"
MSG_COLUMN_MISSING = "required column is missing"
MSG_COLUMNS_MISSING = "required columns are missing: {columns}"
MSG_WRONG_TYPE = "must be {expected}; got {values}"
MSG_STORED_TYPE = "must be {expected} but the column is stored as {stored}"
MSG_NULL = "must not be null"
MSG_UNKNOWN_ENUM = "must be one of {codes} or their Chinese labels; got {values}"
MSG_MIN_VALUE = "must be {op} {bound}"
MSG_DUPLICATE_KEY = "share a primary key ({columns}) with another row"
MSG_ROW_CHECK = "break the rule: {reason}"
MSG_DANGLING_FK = "must reference an existing {ref}; missing {values}"
MSG_CONTRACT = "{n} {tables} bad against data contract v{version}:"

EXPECTED = {
    "str": "a string",
    "enum": "a string",
    "int": "an integer",
    "float": "a finite number",
    "bool": "true or false",
    "date": "a date (YYYY-MM-DD)",
    "datetime": "an ISO 8601 datetime (YYYY-MM-DD[T ]hh:mm:ss[.f][±hh:mm|Z])",
}

_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_DATETIME_HEAD_RE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}"
_DATETIME_REST_RE = r"^(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$"
_OFFSET_RE = r"(Z|[+-]\d{2}:?\d{2})$"
_TEXT_BOOLS: dict[str, bool] = {"true": True, "false": False}
_RAW = "__raw__"  # prefix of the stored columns while a table is being checked


# -------------------------------------------------------------------- errors
class BadInputError(ValueError):
    """One problem in one table: where, what, how many rows, and which rows.

    ``table`` is ``None`` only for a problem with the source itself (not found,
    not supported). ``examples`` are the keys of the first offending rows (for a
    duplicate primary key: the duplicated keys), rendered as strings.
    """

    def __init__(
        self,
        table: str | None,
        column: str | None,
        problem: str,
        n_rows: int = 0,
        examples: Sequence[str] = (),
    ) -> None:
        self.table = table
        self.column = column
        self.problem = problem
        self.n_rows = int(n_rows)
        self.examples = [str(e) for e in examples][:MAX_EXAMPLES]
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.table or "source"
        if self.column:
            where += f".{self.column}"
        if not self.n_rows:
            return f"{where}: {self.problem}"
        text = f"{where}: {self.n_rows} {'row' if self.n_rows == 1 else 'rows'} {self.problem}"
        if self.examples:
            text += f" (e.g. {', '.join(self.examples)})"
        return text

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self) -> tuple[object, ...]:
        # Exceptions are pickled by re-calling __init__ with .args; ours has its own.
        return (type(self), (self.table, self.column, self.problem, self.n_rows, self.examples))


class UnsupportedSourceError(BadInputError, NotImplementedError):
    """A source kind the workbench cannot read here (e.g. its driver is not installed)."""


class ContractError(ValueError):
    """The source breaks the data contract; ``problems`` holds one error per bad table."""

    def __init__(self, problems: Sequence[BadInputError]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = MSG_CONTRACT.format(
            n=n, tables="table is" if n == 1 else "tables are", version=CONTRACT_VERSION
        )
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.problems,))


# ------------------------------------------------------------------- sources
class Source(ABC):
    """Where the tables come from. Subclasses only read; validation lives in :func:`load`."""

    #: lower-cased text accepted for booleans stored as text
    text_bools: ClassVar[Mapping[str, bool]] = _TEXT_BOOLS

    def __init__(self, location: str) -> None:
        self.location = location

    @abstractmethod
    def tables(self) -> list[str]:
        """Names of the tables present (contract or not)."""

    @abstractmethod
    def scan_raw(self, table: str) -> pl.LazyFrame:
        """The table as stored, before any cast."""

    @abstractmethod
    def input_files(self) -> dict[str, Path]:
        """Files read, for manifests: table → file, or the database file's name → file."""

    @abstractmethod
    def describe(self) -> str:
        """One line saying what the source is."""

    def in_memory(self, table: str) -> bool:
        """Whether ``scan_raw`` is already materialised (then typed frames are too,
        so that collecting a returned frame does not parse text again)."""
        return True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"


class DirectorySource(Source):
    """A directory of ``<table>.parquet`` or ``<table>.csv`` files, or ``<table>/``
    sub-directories of parquet files (parquet file wins, then a sub-directory, then CSV).

    A sub-directory is one table however its files are laid out below it
    (``orders/part-*.parquet``, hive partitions ``orders/year=2026/month=07/*.parquet``):
    all its ``*.parquet`` files are scanned lazily as one frame. Partition keys that
    appear only in the paths become text columns (ids stay strings, ``month=07`` is
    not read as 7), so a table partitioned by a contract column such as
    ``subsidiary_id=0310`` keeps it; keys that are no contract column are dropped
    like any extra column.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(str(path))
        self.path = path
        self._files: dict[str, Path] = {}
        self._dirs: dict[str, list[Path]] = {}
        for p in sorted(path.iterdir()):
            suffix = p.suffix.lower()
            wanted = suffix == ".parquet" or (suffix == ".csv" and p.stem not in self._files)
            if wanted and p.is_file():
                self._files[p.stem] = p
            elif p.is_dir() and not p.name.startswith((".", "_")):
                parts = _parquet_parts(p)
                if parts:
                    self._dirs[p.name] = parts
        for name in list(self._dirs):
            stored = self._files.get(name)
            if stored is not None and stored.suffix.lower() == ".parquet":
                del self._dirs[name]  # <table>.parquet wins over <table>/
            elif stored is not None:
                del self._files[name]  # <table>/ (parquet) wins over <table>.csv
        self._csv: dict[str, pl.DataFrame] = {}

    def tables(self) -> list[str]:
        return sorted([*self._files, *self._dirs])

    def _file(self, table: str) -> Path:
        try:
            return self._files[table]
        except KeyError:
            raise BadInputError(table, None, MSG_TABLE_MISSING) from None

    def scan_raw(self, table: str) -> pl.LazyFrame:
        if table in self._dirs:
            return _scan_parquet_dir(self.path / table, self._dirs[table])
        path = self._file(table)
        if path.suffix.lower() == ".parquet":
            return pl.scan_parquet(path)
        if table not in self._csv:
            # Everything as text: ids like "31" must stay strings, and type errors
            # are then counted per value instead of failing the whole read.
            self._csv[table] = pl.read_csv(path, infer_schema=False, encoding="utf8")
        return self._csv[table].lazy()

    def in_memory(self, table: str) -> bool:
        return table not in self._dirs and self._file(table).suffix.lower() == ".csv"

    def input_files(self) -> dict[str, Path]:
        out = {t: p for t, p in self._files.items() if t in TABLES}
        for t, parts in self._dirs.items():
            if t in TABLES:
                out.update({p.relative_to(self.path).as_posix(): p for p in parts})
        return out

    def describe(self) -> str:
        kinds = [p.suffix.lower().lstrip(".") for p in self._files.values()]
        counts = [f"{kinds.count(k)} {k}" for k in ("parquet", "csv") if k in kinds]
        if self._dirs:
            n = sum(len(v) for v in self._dirs.values())
            counts.append(f"{len(self._dirs)} parquet directories of {n} files")
        return f"directory {self.path} ({', '.join(counts) or 'no tables'})"


def _parquet_parts(folder: Path) -> list[Path]:
    """Every ``*.parquet`` file below ``folder`` (any depth), hidden ones excluded."""
    return sorted(
        p
        for p in folder.rglob("*.parquet")
        if p.is_file()
        and not any(part.startswith((".", "_")) for part in p.relative_to(folder).parts)
    )


def _hive_keys(folder: Path, parts: Sequence[Path]) -> list[str]:
    """Partition keys named by ``key=value`` path segments, in path order."""
    keys: dict[str, None] = {}
    for p in parts:
        for seg in p.relative_to(folder).parts[:-1]:
            if "=" in seg:
                keys.setdefault(seg.split("=", 1)[0], None)
    return list(keys)


def _scan_parquet_dir(folder: Path, parts: Sequence[Path]) -> pl.LazyFrame:
    keys = _hive_keys(folder, parts)
    if not keys:
        return pl.scan_parquet(list(parts), hive_partitioning=False)
    # Keys as text: the validator types them like any stored text column.
    return pl.scan_parquet(
        list(parts),
        hive_partitioning=True,
        hive_schema={k: pl.String for k in keys},
        try_parse_hive_dates=False,
    )


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
                error = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
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
    as text (``CAST(… AS TEXT)``) and parsed like CSV; booleans may be 1/0."""

    scheme = "sqlite"
    text_bools: ClassVar[Mapping[str, bool]] = {**_TEXT_BOOLS, "1": True, "0": False}

    def _connect(self) -> sqlite3.Connection:
        # Read-only URI: never create an empty database for a mistyped path.
        return sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True)

    def _list_tables(self) -> list[str]:
        with _closing(self._connect()) as con:
            rows = con.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            ).fetchall()
        return [r[0] for r in rows]

    def _fetch_arrow(self, table: str) -> pa.Table:
        try:
            with _closing(self._connect()) as con:
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
        with _closing(self._connect()) as con:
            rows = con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            ).fetchall()
        return [r[0] for r in rows]

    def _fetch_arrow(self, table: str) -> pa.Table:
        import duckdb

        try:
            with _closing(self._connect()) as con:
                return con.sql(f"SELECT * FROM {_ident(table)}").to_arrow_table()
        except duckdb.Error as exc:
            raise BadInputError(table, None, MSG_TABLE_UNREADABLE.format(error=exc)) from exc


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
        with _closing(con.cursor()) as cur:
            # Physical order, deterministically: no scan piggy-backing on another
            # one midway through the table, no parallel workers interleaving pages.
            cur.execute("SET synchronize_seqscans = off")
            cur.execute("SET max_parallel_workers_per_gather = 0")
        return con

    def _list_tables(self) -> list[str]:
        with _closing(self._connect()) as con, _closing(con.cursor()) as cur:
            cur.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
            return [str(v) for v in cur.fetch_arrow_table().column(0).to_pylist()]

    def _fetch_arrow(self, table: str) -> pa.Table:
        import adbc_driver_manager

        try:
            with _closing(self._connect()) as con, _closing(con.cursor()) as cur:
                cur.execute(f"SELECT * FROM {_ident(table)}")
                return _plain_arrow(cur.fetch_arrow_table())
        except adbc_driver_manager.Error as exc:
            error = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise BadInputError(table, None, MSG_TABLE_UNREADABLE.format(error=error)) from exc

    def input_files(self) -> dict[str, Path]:
        return {}  # a server holds no file to hash; the manifest keeps the (redacted) URI

    def describe(self) -> str:
        return f"{self.scheme} database {self.location.split('://', 1)[-1]}"


def _plain_arrow(table: pa.Table) -> pa.Table:
    """Drop driver metadata and unwrap extension types (ADBC hands ``numeric`` and
    other types it has no Arrow twin for as opaque text) to their storage."""
    fields, columns = [], []
    for f, col in zip(table.schema, table.columns, strict=True):
        if isinstance(f.type, pa.BaseExtensionType):
            col = pa.chunked_array(
                [c.storage for c in col.chunks], type=f.type.storage_type
            )
        fields.append(pa.field(f.name, col.type, f.nullable))
        columns.append(col)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


_PASSWORD_IN_AUTHORITY = re.compile(r"^([a-z0-9+.-]+://[^/@:?#]*:)([^@/]*)@", re.IGNORECASE)
_PASSWORD_IN_QUERY = re.compile(r"([?&]password=)[^&]*", re.IGNORECASE)


def redact_uri(uri: str) -> str:
    """The URI with any password replaced by ``***`` (for messages and manifests).

    >>> redact_uri("postgresql://crm:s3cret@db:5432/crm?sslmode=require&password=x")
    'postgresql://crm:***@db:5432/crm?sslmode=require&password=***'
    """
    return _PASSWORD_IN_QUERY.sub(r"\1***", _PASSWORD_IN_AUTHORITY.sub(r"\1***@", uri))


def split_password(uri: str) -> tuple[str, str | None]:
    """``(uri without its password, the password or None)``, for handing the password
    to libpq out of band (``PGPASSWORD``) so that it is never written anywhere.

    >>> split_password("postgresql://crm:s%40cret@db:5432/crm?sslmode=require")
    ('postgresql://crm@db:5432/crm?sslmode=require', 's@cret')
    >>> split_password("postgresql://db/crm?password=x&sslmode=require")
    ('postgresql://db/crm?sslmode=require', 'x')
    >>> split_password("data/samples")
    ('data/samples', None)
    """
    from urllib.parse import unquote

    password: str | None = None
    m = _PASSWORD_IN_AUTHORITY.match(uri)
    if m:
        password = unquote(m.group(2))
        uri = m.group(1)[:-1] + "@" + uri[m.end():]
    q = re.search(r"([?&])password=([^&]*)(&?)", uri, re.IGNORECASE)
    if q:
        password = unquote(q.group(2))
        keep = q.group(1) if q.group(3) else ""
        uri = uri[: q.start()] + keep + uri[q.end():]
    return uri, password


def _libpq_uri(uri: str) -> str:
    """``postgresql+adbc://…`` / ``postgres://…`` → what libpq accepts; a connect
    timeout unless one is given (libpq would otherwise wait forever on a dead host)."""
    rest = uri.split("://", 1)[1]
    out = "postgresql://" + rest
    if "connect_timeout=" not in out:
        out += ("&" if "?" in out else "?") + "connect_timeout=10"
    return out


def _open_postgresql(uri: str, rest: str) -> Source:
    source = PostgresSource(uri)
    source.tables()  # fail now, as a source problem, if no server answers
    return source


_URI_OPENERS: dict[str, Callable[[str, str], Source]] = {
    "sqlite": _open_sqlite,
    "duckdb": _open_duckdb,
    "postgresql": _open_postgresql,
    "postgres": _open_postgresql,
}


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


# ------------------------------------------------------------ typing columns
def _naive_shanghai(x: pl.Expr) -> pl.Expr:
    return x.dt.convert_time_zone(TIMEZONE).dt.replace_time_zone(None)


def _parse_datetime(x: pl.Expr) -> pl.Expr:
    """ISO 8601 text → naive Asia/Shanghai datetime, null when it is not one.

    The text is cut into ``YYYY-MM-DD[T ]hh:mm:ss`` (parsed with a fixed format,
    polars' fast path) and a rest holding optional fractional seconds and zone
    offset, so that 10M timestamps parse in about a second instead of ten with a
    ``%.f%z`` format.
    """
    base, rest = x.str.slice(0, 19), x.str.slice(19)
    wellformed = x.str.contains(_DATETIME_HEAD_RE) & rest.str.contains(_DATETIME_REST_RE)
    stamp = base.str.replace("T", " ", literal=True).str.to_datetime(
        "%Y-%m-%d %H:%M:%S", strict=False, time_unit="us"
    )
    frac = rest.str.extract(r"^\.(\d{1,9})", 1).str.pad_end(6, "0").str.slice(0, 6)
    stamp = stamp + pl.duration(microseconds=frac.cast(pl.Int64, strict=False).fill_null(0))
    offset = rest.str.extract(_OFFSET_RE, 1)
    minutes = (
        offset.str.slice(1, 2).cast(pl.Int64, strict=False) * 60
        + offset.str.slice(-2).cast(pl.Int64, strict=False)
    ) * pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
    utc = (stamp - pl.duration(minutes=minutes.fill_null(0))).dt.replace_time_zone("UTC")
    local = pl.when(offset.is_null()).then(stamp).otherwise(_naive_shanghai(utc))
    return pl.when(wellformed).then(local)


def _lookup(x: pl.Expr, mapping: Mapping[object, object], dtype: pl.DataType) -> pl.Expr:
    """``mapping[x]``, null for anything not in it.

    A ``when``/``then`` chain rather than ``replace_strict``: the mappings are a
    handful of enum labels, and ``replace``/``replace_strict`` are not streaming
    operations in polars (the engine falls back to memory for the whole query,
    which made validating 100M partitioned orders need more than 12 GB).
    """
    out = pl.when(pl.lit(False)).then(pl.lit(None, dtype))
    for key, value in mapping.items():
        out = out.when(x == pl.lit(key)).then(pl.lit(value, dtype))
    return out.otherwise(pl.lit(None, dtype))


def _parse_text(col: Column, x: pl.Expr, text_bools: Mapping[str, bool]) -> pl.Expr:
    """Text → contract dtype; anything that does not parse strictly becomes null."""
    kind = col.kind
    if kind in ("str", "enum"):
        return x
    if kind == "int":
        return x.cast(pl.Int64, strict=False)
    if kind == "float":
        f = x.cast(pl.Float64, strict=False)
        return pl.when(f.is_finite()).then(f)
    if kind == "bool":
        return _lookup(x.str.to_lowercase(), text_bools, pl.Boolean)
    if kind == "date":
        return pl.when(x.str.contains(_DATE_RE)).then(x.str.to_date("%Y-%m-%d", strict=False))
    return _parse_datetime(x)


def _typed(
    col: Column, x: pl.Expr, stored: pl.DataType, text_bools: Mapping[str, bool]
) -> tuple[pl.Expr, bool]:
    """Cast one stored column to its contract dtype.

    Returns the expression and whether the stored type can hold the kind at all.
    Values that do not fit become null; the caller counts them as wrong-typed (the
    stored value was present, the typed one is not), so nothing is dropped silently.
    """
    kind, target = col.kind, col.dtype
    if isinstance(stored, pl.Null):
        return x.cast(target), True
    if isinstance(stored, (pl.Categorical, pl.Enum)):
        x, stored = x.cast(pl.String), pl.String()
    if stored == pl.String:
        if kind not in ("str", "enum"):
            x = pl.when(x != "").then(x)  # empty text is null, as in CSV
        out = _parse_text(col, x, text_bools)
    elif kind in ("int", "float") and (stored.is_numeric() or isinstance(stored, pl.Decimal)):
        f = x.cast(pl.Float64, strict=False)
        if kind == "float":
            out = pl.when(f.is_finite()).then(f)
        elif stored.is_integer():
            out = x.cast(pl.Int64, strict=False)
        else:  # pandas writes nullable ints as floats: accept integral values only
            out = pl.when(f.is_finite() & (f == f.floor())).then(f.cast(pl.Int64, strict=False))
    elif kind == "bool" and stored == pl.Boolean:
        out = x
    elif kind == "bool" and stored.is_integer():
        out = _lookup(x, {0: False, 1: True}, pl.Boolean)
    elif kind in ("date", "datetime") and isinstance(stored, pl.Datetime):
        naive = _naive_shanghai(x) if stored.time_zone else x
        if kind == "datetime":
            out = naive
        else:  # a date stored as a timestamp is fine at midnight only
            out = pl.when(naive.dt.time() == pl.lit(dt.time(0))).then(naive.dt.date())
    elif kind == "date" and stored == pl.Date:
        out = x
    else:
        return pl.lit(None, dtype=target), False
    if kind == "enum":
        assert col.enum is not None
        out = _lookup(out, enum_label_map(col.enum), pl.String)
    return out.cast(target), True


def _present(col: Column, x: pl.Expr, stored: pl.DataType) -> pl.Expr:
    """Whether the stored value counts as given (empty text is null, as in CSV)."""
    if isinstance(stored, (pl.String, pl.Categorical, pl.Enum)) and col.kind not in ("str", "enum"):
        return x.is_not_null() & (x.cast(pl.String) != "")
    return x.is_not_null()


def _key_part(typed: pl.Expr, kind: str, raw: pl.Expr | None = None) -> pl.Expr:
    if kind == "datetime":
        text = typed.dt.to_string("%Y-%m-%d %H:%M:%S")
    elif kind == "date":
        text = typed.dt.to_string("%Y-%m-%d")
    else:
        text = typed.cast(pl.String)
    if raw is not None:  # a key that did not parse is shown as stored
        text = pl.coalesce(text, raw.cast(pl.String))
    return text.fill_null("null")


def _key_expr(table: Table, with_raw: bool) -> pl.Expr:
    parts = [
        _key_part(pl.col(k), table.column(k).kind, pl.col(_RAW + k) if with_raw else None)
        for k in table.key_columns
    ]
    if not parts:
        return pl.int_range(1, pl.len() + 1).cast(pl.String).alias("__key")
    return pl.concat_str(parts, separator="|").alias("__key")


def _quote(values: Sequence[object]) -> str:
    shown = []
    for v in values:
        s = str(v)
        shown.append(repr(s if len(s) <= 40 else s[:37] + "..."))
    return ", ".join(shown)


# ---------------------------------------------------------------- validation
@dataclass(frozen=True)
class _Check:
    """One row-level check: a flag column, and how to word it once counted.

    A check with ``resolve`` is cheap to detect but dear to explain (duplicate
    keys: ``n_unique`` vs ``is_duplicated``): its flag is an aggregate that is
    positive when the check may fail, and ``resolve`` counts and names the rows
    in a second query, run only then.
    """

    column: str | None
    flag: pl.Expr
    message: Callable[[list[object]], str]
    values: pl.Expr | None = None  # offending values to quote in the message
    resolve: Callable[[pl.LazyFrame], tuple[int, list[str]]] | None = None


@dataclass
class _TableResult:
    frame: pl.LazyFrame | None = None
    rows: int | None = None
    problem: BadInputError | None = None
    engine: EngineType = "auto"


_READ_ERRORS: tuple[type[BaseException], ...] = (
    pl.exceptions.PolarsError,
    pa.ArrowException,
    OSError,
)


def _said(message: str) -> Callable[[list[object]], str]:
    """A message that quotes no values."""
    return lambda _values: message


def _quoting(template: str, **fields: str) -> Callable[[list[object]], str]:
    """A message that quotes the first offending values."""
    return lambda values: template.format(values=_quote(values), **fields)


def _row_checks(table: Table) -> list[_Check]:
    return [
        _Check(column, (~expr).fill_null(False), _said(MSG_ROW_CHECK.format(reason=reason)))
        for name, column, expr, reason in ROW_CHECKS
        if name == table.name
    ]


def _duplicate_check(table: Table, buckets: int = 1) -> _Check:
    """Duplicate primary keys. With ``buckets`` > 1 (a table scanned from files, too
    big for one hash set of its keys) the keys are counted in that many passes, each
    over the keys whose hash falls in one bucket, so memory is 1/``buckets`` of it."""
    pk = list(table.primary_key)
    keyed = pl.struct(pk) if len(pk) > 1 else pl.col(pk[0])

    def resolve(work: pl.LazyFrame) -> tuple[int, list[str]]:
        valid = work.select(pk).filter(pl.all_horizontal(pl.col(k).is_not_null() for k in pk))
        parts = [_key_part(pl.col(k), table.column(k).kind) for k in pk]
        total, keys = 0, []
        for b in range(buckets):
            part = valid if buckets == 1 else valid.filter(keyed.hash(seed=0) % buckets == b)
            out = (
                part.group_by(pk)
                .agg(pl.len().alias("__n"))
                .filter(pl.col("__n") > 1)
                .select(
                    pl.col("__n").sum().alias("n"),
                    # sorted, so that the examples do not depend on hash order
                    pl.concat_str(parts, separator="|")
                    .sort()
                    .head(MAX_EXAMPLES)
                    .implode()
                    .alias("k"),
                )
                .collect(engine="streaming")
            )
            n, found = out.row(0)
            total += int(n or 0)
            keys = sorted([*keys, *found])[:MAX_EXAMPLES]
        return total, keys

    msg = MSG_DUPLICATE_KEY.format(columns=", ".join(pk))
    # One pass: a cheap aggregate says whether any key may repeat, and only then are
    # the duplicates named. Bucketed: always look (the aggregate is the expensive part).
    flag = pl.len() - keyed.n_unique() if buckets == 1 else pl.lit(1, pl.UInt32)
    return _Check(pk[0], flag, _said(msg), resolve=resolve)


#: Primary keys per hash bucket when a file-scanned table's duplicates are counted
#: in passes (one hash set of 25M string keys is about 1.5 GB).
KEYS_PER_BUCKET = 25_000_000


def _checks(
    table: Table, schema: Mapping[str, pl.DataType], key_buckets: int = 1
) -> list[_Check]:
    """All checks of one table, most basic first: type, null, enum, bound, key, rule."""
    types: list[_Check] = []
    nulls: list[_Check] = []
    enums: list[_Check] = []
    bounds: list[_Check] = []
    for col in table.columns:
        typed = pl.col(col.name)
        if col.name in schema:
            raw, stored = pl.col(_RAW + col.name), schema[col.name]
            present = _present(col, raw, stored)
            _, compatible = _typed(col, raw, stored, {})
            bad = present & typed.is_null()
            expected = EXPECTED[col.kind]
            if not compatible:
                msg = MSG_STORED_TYPE.format(expected=expected, stored=stored)
                types.append(_Check(col.name, bad, _said(msg)))
            elif col.kind == "enum":
                assert col.enum is not None
                codes = ", ".join(enum_codes(col.enum))
                enums.append(
                    _Check(
                        col.name,
                        bad,
                        _quoting(MSG_UNKNOWN_ENUM, codes=codes),
                        raw.cast(pl.String),
                    )
                )
            elif col.kind != "str":  # text always fits a str column
                types.append(
                    _Check(
                        col.name,
                        bad,
                        _quoting(MSG_WRONG_TYPE, expected=expected),
                        raw.cast(pl.String),
                    )
                )
            if not col.nullable:
                nulls.append(_Check(col.name, ~present, _said(MSG_NULL)))
        if col.min_value is not None:
            op = ">" if col.min_exclusive else ">="
            below = typed <= col.min_value if col.min_exclusive else typed < col.min_value
            msg = MSG_MIN_VALUE.format(op=op, bound=f"{col.min_value:g}")
            bounds.append(_Check(col.name, below.fill_null(False), _said(msg)))
    keys = [_duplicate_check(table, key_buckets)] if table.primary_key else []
    return types + nulls + enums + bounds + keys + _row_checks(table)


def _aggregates(checks: Sequence[_Check]) -> list[pl.Expr]:
    """Per check: failing rows (n) and first keys (k). The offending values to quote
    are fetched by :func:`_first_problem` for the one failing check reported: as an
    aggregate here they kept the streaming engine from streaming (``unique``)."""
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


def _check_table(source: Source, table: Table) -> _TableResult:
    """Read, type and check one table with a single aggregate collect."""
    name = table.name
    if name not in source.tables():
        return _TableResult(problem=BadInputError(name, None, MSG_TABLE_MISSING))
    try:
        raw = source.scan_raw(name)
        schema = dict(raw.collect_schema())
    except BadInputError as exc:
        return _TableResult(problem=exc)
    except _READ_ERRORS as exc:
        return _TableResult(problem=_unreadable(name, exc))

    missing = [c.name for c in table.columns if c.name not in schema and c.default is None]
    if missing:
        msg = (
            MSG_COLUMN_MISSING
            if len(missing) == 1
            else MSG_COLUMNS_MISSING.format(columns=", ".join(missing))
        )
        return _TableResult(problem=BadInputError(name, missing[0], msg))

    bools = source.text_bools

    def typed_columns(prefix: str) -> list[pl.Expr]:
        out = []
        for c in table.columns:
            if c.name in schema:
                expr, _ = _typed(c, pl.col(prefix + c.name), schema[c.name], bools)
            else:
                expr = pl.lit(c.default, dtype=c.dtype)
            out.append(expr.alias(c.name))
        return out

    stored_cols = [c.name for c in table.columns if c.name in schema]
    work = raw.select([pl.col(c).alias(_RAW + c) for c in stored_cols]).with_columns(
        typed_columns(_RAW)
    )
    try:
        buckets = 1
        if not source.in_memory(name):  # parquet metadata: no data read
            n_rows = raw.select(pl.len()).collect().item()
            buckets = max(1, -(-n_rows // KEYS_PER_BUCKET))
        checks = _checks(table, schema, buckets)
        if source.in_memory(name):
            # Parse the text once; the frame handed out shares these buffers.
            work_df = work.collect()
            work = work_df.lazy()
            frame = work_df.select([c.name for c in table.columns]).lazy()
        else:
            frame = raw.select(typed_columns(""))
        flags = [c.flag.alias(f"f{i}") for i, c in enumerate(checks) if c.resolve is None]
        flagged = work.with_columns(_key_expr(table, with_raw=True), *flags)
        engine = _engine(source, name)
        agg = flagged.select(_aggregates(checks)).collect(engine=engine)
        problem = _first_problem(table, checks, agg, work, engine)
    except _READ_ERRORS as exc:
        return _TableResult(problem=_unreadable(name, exc))
    return _TableResult(frame=frame, rows=int(agg["rows"][0]), problem=problem, engine=engine)


def _engine(source: Source, table: str) -> EngineType:
    """Streaming for a table scanned from files (it may not fit in memory: a
    partitioned directory), polars' default for one already in memory."""
    return "auto" if source.in_memory(table) else "streaming"


def _unreadable(table: str, exc: BaseException) -> BadInputError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return BadInputError(table, None, MSG_TABLE_UNREADABLE.format(error=first))


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
    return [t for t in TABLE_NAMES if t in seen]


def _resolve(tables: Sequence[str] | None) -> list[str]:
    if tables is None:
        return list(TABLE_NAMES)
    if isinstance(tables, str):
        tables = [tables]
    unknown = [t for t in tables if t not in TABLES]
    if unknown:
        raise ValueError(
            f"not contract tables: {', '.join(unknown)} (known: {', '.join(TABLE_NAMES)})"
        )
    return [t for t in TABLE_NAMES if t in set(tables)]


def _validate(source: Source, names: Sequence[str]) -> dict[str, _TableResult]:
    results = {name: _check_table(source, TABLES[name]) for name in names}
    for name, result in results.items():
        if result.problem is None:
            result.problem = _check_foreign_keys(TABLES[name], results)
    return results


# -------------------------------------------------------------------- public
def load(
    source: str | Path | Source, *, tables: Sequence[str] | None = None
) -> dict[str, pl.LazyFrame]:
    """Validate and return the contract tables (default: all), typed and in contract order.

    Tables referenced by foreign keys are read and validated too, so that every
    key can be checked; only the tables asked for are returned. Raises
    :class:`ContractError` listing the first problem of each bad table, or
    :class:`BadInputError` when the source itself cannot be opened.
    """
    src = open_source(source)
    wanted = _resolve(tables)
    results = _validate(src, _with_parents(wanted))
    problems = [r.problem for r in results.values() if r.problem is not None]
    if problems:
        raise ContractError(problems)
    out: dict[str, pl.LazyFrame] = {}
    for name in wanted:
        frame = results[name].frame
        assert frame is not None
        out[name] = frame
    return out


@dataclass
class ValidationReport:
    """What ``workbench validate`` prints: each contract table, its rows, OK or its problem."""

    source: str
    problems: list[BadInputError] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    tables: tuple[str, ...] = TABLE_NAMES

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
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
            lines.append(f"{t:<{width}}  {rows:>10}  {status}")
        n = len(self.problems)
        verdict = "all OK" if not n else f"{n} of {len(self.tables)} tables bad"
        lines.append(f"data contract v{CONTRACT_VERSION}: {verdict}")
        return "\n".join(lines)


def validate_source(source: str | Path | Source) -> ValidationReport:
    """Check every contract table of a source; never raises for bad input."""
    try:
        src = open_source(source)
    except BadInputError as exc:
        return ValidationReport(source=redact_uri(str(source)), problems=[exc])
    results = _validate(src, TABLE_NAMES)
    return ValidationReport(
        source=src.describe(),
        problems=[r.problem for r in results.values() if r.problem is not None],
        row_counts={t: r.rows for t, r in results.items() if r.rows is not None},
    )
