"""Open a source, read the contract tables lazily and validate them.

This is the only package that touches input data. Everything downstream receives
LazyFrames with exactly the contract columns, in contract order and contract
dtypes, enum labels mapped to codes; or it receives nothing, because bad input
stops the run with one :class:`ContractError` that names each bad table (the data
contract: "never guesses, never drops rows silently").

Validation is pushed into polars: each table's type, null, enum, bound, key and
row checks are evaluated as boolean flag columns and reduced in a single
``collect`` of aggregates (counts, first offending keys, first offending values);
foreign keys are anti-joins, collected once per table. No Python loop touches
rows, except the sqlite3 cursor, which can only hand out tuples. A source that is
already validated can be loaded with ``load(source, validate=False)``: same typed
frames, no checks.

The optional tables of contract v1.1 (``OPTIONAL_TABLES``: the marketing group,
``marketing_messages``, ``consents``, ``privacy_requests``) are read like any other
when the source has them; a source without the whole group simply does not return
them (the marketing analysis is then not evaluated), and a source with only some
of them is bad input, one problem per missing table (``MSG_OPTIONAL_PARTIAL``).

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

Modules, one concern each: ``_load`` (the public functions), ``_readers`` (what a
source is; the directory reader), ``_databases`` (SQLite, DuckDB, PostgreSQL),
``_uri`` (passwords: redacted, out of band), ``_parsing`` (typing stored columns),
``_checks`` (declaring a table's checks), ``_validate`` (running them),
``_messages`` (the errors and their wording).
"""

from workbench.sources._databases import DuckdbSource, PostgresSource, SqliteSource
from workbench.sources._load import ValidationReport, load, open_source, validate_source
from workbench.sources._messages import (
    EXPECTED,
    MAX_EXAMPLES,
    MSG_COLUMN_MISSING,
    MSG_COLUMNS_MISSING,
    MSG_CONTRACT,
    MSG_DANGLING_FK,
    MSG_DRIVER_MISSING,
    MSG_DUPLICATE_KEY,
    MSG_MIN_VALUE,
    MSG_NULL,
    MSG_OPTIONAL_PARTIAL,
    MSG_ROW_CHECK,
    MSG_SOURCE_NOT_FOUND,
    MSG_SOURCE_NOT_RECOGNISED,
    MSG_SOURCE_UNREADABLE,
    MSG_STORED_TYPE,
    MSG_TABLE_MISSING,
    MSG_TABLE_UNREADABLE,
    MSG_UNKNOWN_ENUM,
    MSG_WRONG_TYPE,
    BadInputError,
    ContractError,
    UnsupportedSourceError,
)
from workbench.sources._readers import DirectorySource, Source
from workbench.sources._uri import redact_uri, split_password
from workbench.sources._validate import KEYS_PER_BUCKET

__all__ = [
    # functions
    "load",
    "open_source",
    "redact_uri",
    "split_password",
    "validate_source",
    # results and errors
    "BadInputError",
    "ContractError",
    "UnsupportedSourceError",
    "ValidationReport",
    # sources
    "DirectorySource",
    "DuckdbSource",
    "PostgresSource",
    "Source",
    "SqliteSource",
    # message texts (tests and callers match the exact wording)
    "EXPECTED",
    "MAX_EXAMPLES",
    "MSG_COLUMN_MISSING",
    "MSG_COLUMNS_MISSING",
    "MSG_CONTRACT",
    "MSG_DANGLING_FK",
    "MSG_DRIVER_MISSING",
    "MSG_DUPLICATE_KEY",
    "MSG_MIN_VALUE",
    "MSG_NULL",
    "MSG_OPTIONAL_PARTIAL",
    "MSG_ROW_CHECK",
    "MSG_SOURCE_NOT_FOUND",
    "MSG_SOURCE_NOT_RECOGNISED",
    "MSG_SOURCE_UNREADABLE",
    "MSG_STORED_TYPE",
    "MSG_TABLE_MISSING",
    "MSG_TABLE_UNREADABLE",
    "MSG_UNKNOWN_ENUM",
    "MSG_WRONG_TYPE",
    # tuning (read from workbench.sources._validate: patch it there)
    "KEYS_PER_BUCKET",
]
