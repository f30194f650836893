"""What a bad source is told: the message texts, the errors that carry them.

The texts are module-level constants so that tests (and callers) match the exact
wording; they are re-exported by :mod:`workbench.sources`.
"""

from __future__ import annotations

from collections.abc import Sequence

from workbench.contract import CONTRACT_VERSION

#: offending rows (keys) and values named in one message
MAX_EXAMPLES = 5
_EXAMPLE_SCAN = 10_000  # offending values looked at for distinct examples

MSG_SOURCE_NOT_FOUND = "source not found: {location}"
MSG_SOURCE_NOT_RECOGNISED = (
    "source {location!r} is neither a directory nor a database URI "
    "(sqlite:///path.db, duckdb:///path.duckdb, postgresql://user@host:port/db)"
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
MSG_OPTIONAL_PARTIAL = (
    "table is missing from the source: a source with any of the optional {group} tables "
    "({tables}) must have all of them (it has {present})"
)

#: what a value of each column kind must look like, as the messages say it
EXPECTED = {
    "str": "a string",
    "enum": "a string",
    "int": "an integer",
    "float": "a finite number",
    "bool": "true or false",
    "date": "a date (YYYY-MM-DD)",
    "datetime": "an ISO 8601 datetime (YYYY-MM-DD[T ]hh:mm:ss[.f][±hh:mm|Z])",
}


class BadInputError(ValueError):
    """One problem in one table: where, what, how many rows, and which rows.

    ``table`` is ``None`` only for a problem with the source itself (not found,
    not supported). ``examples`` are the keys of the first offending rows (for a
    duplicate primary key: the duplicated keys), rendered as strings.
    """

    __module__ = "workbench.sources"  # its public home, in tracebacks and pickles

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

    __module__ = "workbench.sources"


class ContractError(ValueError):
    """The source breaks the data contract; ``problems`` holds one error per bad table."""

    __module__ = "workbench.sources"

    def __init__(self, problems: Sequence[BadInputError]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = MSG_CONTRACT.format(
            n=n, tables="table is" if n == 1 else "tables are", version=CONTRACT_VERSION
        )
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.problems,))


def _first_line(exc: BaseException) -> str:
    """The first line of a driver's error message (or the error's type)."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _unreadable(table: str, exc: BaseException) -> BadInputError:
    return BadInputError(table, None, MSG_TABLE_UNREADABLE.format(error=_first_line(exc)))


def _quote(values: Sequence[object]) -> str:
    """Offending values as the messages quote them: ``repr``, cut at 40 characters."""
    shown = []
    for v in values:
        s = str(v)
        shown.append(repr(s if len(s) <= 40 else s[:37] + "..."))
    return ", ".join(shown)
